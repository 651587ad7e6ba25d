// Internal: helpers shared by the TUs that read or print JSON: the guard at the entry points, number text.
#pragma once

#include <string>

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


/// A number as short text for messages (1e+12, 4096, 0.5).
std::string json_number_text(double d);

/// Rounds a double to 10 significant digits through decimal text, so results print identically from
/// the native and the WebAssembly builds even where their libm differs in the last bit.
double stable(double x);

}  // namespace llmsizer
