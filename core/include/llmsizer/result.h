// Errors as values: every fallible core function returns Result<T>.
//
// Error codes are stable strings in the JSON output ("invalid_json", "missing_key", ...): scripts and the
// page branch on them, so never rename one; add new ones at the end of the enum.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace llmsizer {

enum class ErrorCode {
  kInvalidJson,              ///< the text is not JSON
  kNotAnObject,              ///< JSON, but not an object where one is required
  kMissingKey,               ///< an essential key is absent
  kInvalidValue,             ///< a key has the wrong type or an out-of-range value
  kInconsistentConfig,       ///< values that contradict each other (heads not dividing hidden size, ...)
  kUnsupportedArchitecture,  ///< an architecture that cannot be estimated even generically
  kInvalidRequest,           ///< a request field (CLI flag / page control) is wrong
  kUnknownGpu,               ///< a GPU id that is not in the catalogue
  kUnknownModel,             ///< a model preset id that is not in the catalogue
  kTooLarge,                 ///< input beyond the size/nesting limits
  kConflictingOptions,       ///< options that cannot hold together (tp not dividing gpus, ...)
  kInvalidGguf,              ///< a GGUF header that cannot be parsed
  kDoesNotFit,               ///< a solve with no answer (no layout / utilisation can serve the workload)
  kInternal,                 ///< a bug: an exception the core did not expect
  kNeedsFullModule,          ///< the page's small WebAssembly module cannot answer this: load the full one
};

/// Stable snake_case name of an error code, as it appears in JSON.
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  ///< what was wrong and what to do, in plain words
  std::string path;     ///< JSON pointer of the offending key ("/text_config/hidden_size"), or ""
};

inline Error make_error(ErrorCode code, std::string message, std::string path = {}) {
  return Error{code, std::move(message), std::move(path)};
}

/// A value or an Error. Small on purpose (std::expected arrives with C++23).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace llmsizer
