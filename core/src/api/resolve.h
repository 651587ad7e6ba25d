// Internal: request text -> Request -> the resolved model and inputs (defaults, presets, validation).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/estimate.h"
#include "llmsizer/api.h"

namespace llmsizer {

/// Parses request JSON text into a Request. Unknown keys are errors (they are usually typos).
Result<Request> parse_request(const std::string& text);

/// Applies defaults, presets and validation: the model spec and the resolved inputs.
struct GgufModel;
struct GgufMmproj;
struct Resolved {
  ModelSpec model;
  std::shared_ptr<const GgufModel> gguf;  ///< the parsed GGUF header(s) when the model came from one
#if !LLMSIZER_LITE  // GGUF requests go to the full module
  std::shared_ptr<const GgufMmproj> mmproj;  ///< llama.cpp --mmproj: the projector's header(s) (gguf_mmproj)
#endif
  Inputs inputs;
  std::vector<Warning> warnings;
  std::vector<std::string> assumptions;
};
Result<Resolved> resolve(const Request& req, const Catalog& catalog);

/// Each engine's options from the request, defaults applied, as resolve() fills Inputs (engines/settings.h).
/// Errors name the request key (a llama.cpp cache type llama-server refuses, a version that is not one).
Result<LlamaCppOptions> llamacpp_options(const Request& req);
Result<VllmSettings> vllm_settings(const Request& req);
Result<TransformersOptions> transformers_options(const Request& req);

}  // namespace llmsizer
