// llama.cpp --override-tensor / -ot (request override_tensor): "PATTERN=BUFFER,PATTERN=BUFFER,...".
//
// llama.cpp (common/arg.cpp parse_tensor_buffer_overrides) splits the value at commas, each part at its '=' (none:
// "invalid value"), and looks the buffer type up among the devices' default buffer types ("CPU", "CUDA0", ...;
// another name: "unknown buffer type"). Loading (src/llama-model.cpp, create_tensor) tries the patterns in order
// with std::regex_search on the full tensor name ("blk.12.ffn_up_exps.weight"); the first one that matches picks
// the tensor's buffer. --n-cpu-moe adds "blk\.i\.ffn_(up|down|gate)_exps=CPU" patterns after them.
//
// The WebAssembly core is built without exceptions, where std::regex's error on a bad pattern aborts; and std::regex
// would add its own code to the module. So patterns run on a small backtracking matcher of the ECMAScript subset
// these patterns use: literals and escapes (\. \d \w \s \D \W \S), '.', classes [a-z0-9_] and [^...], groups
// (a|b) and (?:...), the quantifiers * + ? {n} {n,} {n,m} (lazy forms too), ^ and $. A boolean search has the same
// answer under any matching strategy, so these patterns match exactly the tensors std::regex_search would. Anything
// else (back-references, look-arounds, \b) is refused with an error naming override_tensor, and so is a pattern
// that backtracks past 200,000 steps on a long tensor name (nested quantifiers such as (.*)*x).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmsizer/result.h"

namespace llmsizer {

/// One compiled pattern of the small matcher (tensor_override.cpp).
struct TensorPattern;

struct TensorOverride {
  std::string pattern;   ///< as written
  std::string buffer;    ///< "CPU", "CUDA0", ...
  bool cpu = false;      ///< host memory
  std::shared_ptr<const TensorPattern> re;
};

struct TensorOverrides {
  std::string text;      ///< the request's value, for the launch command
  std::vector<TensorOverride> items;
  /// The first override whose pattern occurs in `name` (std::regex_search), or nullptr.
  const TensorOverride* first_match(const std::string& name) const;
};

/// Parses and checks the request's override_tensor; errors name /override_tensor.
Result<std::shared_ptr<const TensorOverrides>> parse_tensor_overrides(const std::string& text);

/// Whether `pattern` occurs in `text` (std::regex_search semantics for the supported subset).
bool tensor_pattern_search(const TensorPattern& p, const std::string& text);

}  // namespace llmsizer
