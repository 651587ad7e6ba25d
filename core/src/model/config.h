// Hugging Face config.json -> ModelSpec.
//
// Every architecture difference is resolved here (see the family table in config.cpp); the rest of the
// core only sees ModelSpec. Errors name the key and its JSON pointer ("/text_config/hidden_size").
#pragma once

#include <string>

#include "json/read.h"
#include "model/model.h"
#include "llmsizer/result.h"

namespace llmsizer {

/// Largest config.json text accepted (real ones are < 100 KB; tokenizer-laden ones < 1 MB).
constexpr size_t kMaxConfigBytes = 4u << 20;
/// Deepest JSON nesting accepted (real configs nest < 6 levels).
constexpr int kMaxJsonDepth = 64;

/// Parses config.json text into the normalised model.
Result<ModelSpec> parse_config(const std::string& text);
/// The same from config.json already parsed (an object), or from a JSON string holding its text (the request's
/// "config" may be either).
Result<ModelSpec> parse_config_value(const JsonValue& j);

/// Checks size and nesting before a JSON parser sees the text (the parser itself is iterative, but
/// deep documents cost memory and time for nothing). Returns an Error with kTooLarge, or nothing.
Result<bool> check_json_limits(const std::string& text, size_t max_bytes, const char* what);

}  // namespace llmsizer
