// Stable names of error codes (they appear in JSON; never rename one).
#include "llmsizer/result.h"

namespace llmsizer {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kNotAnObject: return "not_an_object";
    case ErrorCode::kMissingKey: return "missing_key";
    case ErrorCode::kInvalidValue: return "invalid_value";
    case ErrorCode::kInconsistentConfig: return "inconsistent_config";
    case ErrorCode::kUnsupportedArchitecture: return "unsupported_architecture";
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kUnknownGpu: return "unknown_gpu";
    case ErrorCode::kUnknownModel: return "unknown_model";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kConflictingOptions: return "conflicting_options";
    case ErrorCode::kInvalidGguf: return "invalid_gguf";
    case ErrorCode::kDoesNotFit: return "does_not_fit";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kNeedsFullModule: return "needs_full_module";
  }
  return "internal";
}

}  // namespace llmsizer
