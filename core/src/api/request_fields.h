// Internal: the request's field table and the helpers resolve() shares with the request parser.
#pragma once

#include <string>

namespace llmsizer {

/// The most tokens any token count may be: beyond any model's context (Llama 4 Scout: 1e7).
constexpr double kMaxTokens = 1e8;

/// The GPU when the request names none.
constexpr const char* kDefaultGpu = "nvidia-h100-sxm";

class JsonWriter;

/// The request's fields for the catalogue: an array of {"key", "kind" (int|number|string|bool|object), "min" and
/// "max" (numbers), "max_length" (strings, bytes), "default" (Request{}'s value; null for config, safetensors
/// and gguf), "help"}.
void write_request_fields(JsonWriter& w);

/// Hub safetensors dtype names (BF16, F8_E4M3, ...) -> bytes per element; -1 for a name it does not know.
double safetensors_dtype_bytes(const std::string& d);

}  // namespace llmsizer
