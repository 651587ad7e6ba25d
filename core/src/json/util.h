// Internal: the JSON helpers shared by the TUs that parse or print JSON (config, catalogue, API).
#pragma once

#include <string>

#include "json/value.h"

#include "model/model.h"
#include "llmsizer/result.h"

// The WebAssembly module is built without C++ exceptions (see core/CMakeLists.txt): every error is a value.
// Natively (tests, fuzzing) exceptions stay on, and the entry points turn any unexpected one (std::bad_alloc,
// a bug) into an "internal" error instead of a crash.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define LLMSIZER_HAS_EXCEPTIONS 1
#else
#define LLMSIZER_HAS_EXCEPTIONS 0
#endif

namespace llmsizer {

/// Runs body(); with exceptions enabled, an escaping std::exception becomes on_error(what).
template <class Body, class OnError>
auto guarded(Body&& body, OnError&& on_error) -> decltype(body()) {
#if LLMSIZER_HAS_EXCEPTIONS
  try {
    return body();
  } catch (const std::exception& ex) {
    return on_error(ex.what());
  } catch (...) {
    return on_error("unknown exception");
  }
#else
  (void)on_error;
  return body();
#endif
}


/// Parses JSON text; a syntax error becomes kInvalidJson naming the byte where it went wrong.
Result<Json> parse_json_text(const std::string& text, const char* what);

/// "a string", "an array", "null", ... for error messages.
std::string describe(const Json& v);

/// A number as short text for messages (1e+12, 4096, 0.5).
std::string json_number_text(double d);

/// config.json (already parsed) -> ModelSpec.
Result<ModelSpec> parse_config_value(const Json& j);

/// Rounds a double to 10 significant digits through decimal text, so results print identically from
/// the native and the WebAssembly builds even where their libm differs in the last bit.
double stable(double x);

}  // namespace llmsizer
