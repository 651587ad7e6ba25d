// Internal: the JSON helpers shared by the TUs that parse or print JSON (config, catalogue, API).
// nlohmann/json costs seconds of compile per TU, so only those few include this header.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "llmsizer/model.h"
#include "llmsizer/result.h"

namespace llmsizer {

/// Parses JSON text; a syntax error becomes kInvalidJson naming the byte where it went wrong.
Result<nlohmann::json> parse_json_text(const std::string& text, const char* what);

/// "a string", "an array", "null", ... for error messages.
std::string describe(const nlohmann::json& v);

/// A number as short text for messages (1e+12, 4096, 0.5).
std::string json_number_text(double d);

/// config.json (already parsed) -> ModelSpec.
Result<ModelSpec> parse_config_value(const nlohmann::json& j);

/// Rounds a double to 10 significant digits through decimal text, so results print identically from
/// the native and the WebAssembly builds even where their libm differs in the last bit.
double stable(double x);

}  // namespace llmsizer
