// Internal: how the core reads JSON — nlohmann/json, behind a forward declaration.
//
// Requests, config.json, the preset catalogue and GGUF summaries are parsed once into nlohmann::ordered_json
// values (members keep document order, so the first unknown request key and the first quantisation group are
// the ones written first; a repeated key keeps its last value). The values travel as they are — the request's
// "config" and "gguf" entries are pointers into the request's own document, never text that is parsed again.
//
// This header only forward-declares nlohmann (<nlohmann/json_fwd.hpp>): the few TUs that look inside values
// include json/json.h, which brings <nlohmann/json.hpp> (3-4 s of compile per TU).
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "llmsizer/result.h"

namespace llmsizer {

/// The core's JSON value.
using JsonValue = nlohmann::ordered_json;
/// A parsed value, shared: a member of a document points into it and keeps the whole document alive.
using JsonRef = std::shared_ptr<const JsonValue>;

/// Parses JSON text (RFC 8259, strict: UTF-8 validated, surrogates paired, numbers beyond the double range and
/// trailing bytes refused). A syntax error is kInvalidJson, "WHAT is not valid JSON (at byte N): syntax error:
/// ...", N being the 1-based byte where it went wrong. Never throws, also without exceptions (WebAssembly):
/// nlohmann's SAX parser reports errors to a handler instead. Check the size and nesting first
/// (check_json_limits, model/config.h): the parse itself has no depth limit.
Result<JsonRef> parse_json(std::string_view text, const char* what);

/// The message part of a syntax error ("expected a key string, found end of input") and its 1-based byte,
/// from what nlohmann's parser reports: the byte where it stopped, its exception id and message, and the token
/// it last read.
/// The wording is the core's own (it predates nlohmann here); the byte is the start of the offending token.
struct JsonSyntaxError {
  std::string message;
  size_t byte = 0;
};
JsonSyntaxError json_syntax_error(std::string_view text, size_t nlohmann_byte, int nlohmann_id,
                                  const std::string& nlohmann_message, const std::string& last_token);

}  // namespace llmsizer
