// Internal: GGUF headers <-> JSON (the compact summaries the request's "gguf" list carries) and the
// response's "gguf" section. Kept out of gguf.h: only the TUs that read or write JSON include it.
#pragma once

#include <string>
#include <vector>

#include "json/read.h"
#include "gguf/gguf.h"
#include "llmsizer/result.h"

namespace llmsizer {

/// A parsed header as its compact JSON summary (long arrays and strings reduced to their lengths).
std::string gguf_file_to_json(const GgufFile& g);
/// A summary back into a GgufFile, with the same limits as the binary parser. `path` names it in errors.
Result<GgufFile> gguf_file_from_json(const JsonValue& j, const std::string& path);

/// The request's "gguf" entries (base64 header bytes, or summary objects) -> the model.
Result<GgufModel> gguf_model_from_request(const std::vector<JsonRef>& parts);

/// The request's "gguf_mmproj" entries (same forms) -> the projector.
Result<GgufMmproj> gguf_mmproj_from_request(const std::vector<JsonRef>& parts);
/// The response's "mmproj" section: what the projector file holds (and its summaries when sent as bytes).
std::string mmproj_section_json(const GgufMmproj& p);

/// The response's "gguf" section: exact weight bytes by ggml type, file type, parts, and the summaries
/// (only when some part came as raw bytes, so the page can send the small form from then on).
std::string gguf_section_json(const GgufModel& g);

}  // namespace llmsizer
