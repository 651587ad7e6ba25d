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
struct Resolved {
  ModelSpec model;
  std::shared_ptr<const GgufModel> gguf;  ///< the parsed GGUF header(s) when the model came from one
  Inputs inputs;
  std::vector<Warning> warnings;
  std::vector<std::string> assumptions;
};
Result<Resolved> resolve(const Request& req, const Catalog& catalog);

}  // namespace llmsizer
