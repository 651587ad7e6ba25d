// libFuzzer target: differential test of the core's JSON parser (core/src/json_value.h) against
// nlohmann/json. Both must accept and reject the same texts, and agree on the value (compared after the
// core's dump is re-read by nlohmann). Nesting is kept below the core's limit of 256 levels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "json/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  int depth = 0;
  int max_depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    if (c == ']' || c == '}') --depth;
  }
  if (max_depth > 200) return 0;
  // nlohmann stops reading at a NUL byte and accepts "null\0..."; the core rejects trailing bytes (as RFC 8259
  // and Python's json do). Not a disagreement worth reporting.
  if (text.find('\0') != std::string::npos) return 0;
  const nlohmann::json ref = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string err;
  const llmsizer::Json ours = llmsizer::Json::parse(text, &err, nullptr);
  if (ref.is_discarded() != !err.empty()) std::abort();  // one accepts what the other rejects
  if (!err.empty()) return 0;
  // Compared as nlohmann prints them (sorted keys).
  const nlohmann::json back = nlohmann::json::parse(ours.dump(), nullptr, false);
  if (back.is_discarded() || back.dump() != ref.dump()) std::abort();  // different values
  return 0;
}
