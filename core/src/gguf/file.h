// The GGUF v2/v3 header parser: metadata and the tensor table, no tensor data needed
// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; ggml/src/gguf.cpp).
//
// Source snapshot for every rule and constant: llama.cpp (ggml-org/llama.cpp) as of 2026-09-28, the copy
// bundled in node-llama-cpp 3.22.1 (llama/gitRelease.bundle, release tag v0.5.0). File paths are cited
// relative to that tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gguf/ggml_types.h"
#include "llmsizer/result.h"

namespace llmsizer {

// ------------------------------------------------------------------------------------------------
// GGUF header parsing (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; ggml/src/gguf.cpp).
// ------------------------------------------------------------------------------------------------

/// GGUF metadata value types (ggml/include/gguf.h enum gguf_type).
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6, kBool = 7,
  kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

/// A metadata value. Numbers (and bools) are kept as doubles (exact below 2^53, more than any count in a
/// model needs). Arrays keep their elements when short (per-layer head counts, window patterns); long
/// ones (the tokenizer's 150k tokens and merges) keep only their type and length.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint32;
  double number = 0;                 ///< numeric and bool scalars
  std::string text;                  ///< strings (up to kGgufMaxKeptString bytes; longer ones are dropped)
  uint64_t string_length = 0;        ///< the string's length in the file
  GgufValueType array_type = GgufValueType::kUint8;
  uint64_t array_length = 0;
  bool array_kept = false;           ///< elements below are present
  std::vector<double> numbers;       ///< numeric / bool array elements (when kept)
  std::vector<std::string> strings;  ///< string array elements (when kept)

  bool is_number() const;
  bool is_array() const { return type == GgufValueType::kArray; }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  ///< ne[0..n_dims)
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;        ///< relative to the start of the tensor data section
  int64_t elements() const;
  int64_t bytes() const;      ///< ggml_nbytes: row_size(type, ne[0]) x ne[1] x ne[2] x ne[3]
};

struct GgufFile {
  uint32_t version = 3;
  uint64_t alignment = 32;    ///< general.alignment (GGUF_DEFAULT_ALIGNMENT = 32)
  uint64_t header_bytes = 0;  ///< bytes of magic + counts + metadata + tensor table
  uint64_t data_offset = 0;   ///< header_bytes padded to the alignment: where tensor data starts
  std::vector<std::pair<std::string, GgufValue>> metadata;  ///< in file order
  std::vector<GgufTensorInfo> tensors;

  const GgufValue* find(const std::string& key) const;
};

// Hard limits against hostile files. Real models stay far below them (DeepSeek-V3: ~1,100 tensors, ~50
// metadata keys; Gemma 3: 262,144 tokens; the longest chat templates ~100 KB).
constexpr uint64_t kGgufMaxTensors = 1 << 16;
constexpr uint64_t kGgufMaxKv = 1 << 16;
constexpr uint64_t kGgufMaxKeyBytes = 1 << 16;
constexpr uint64_t kGgufMaxStringBytes = 1 << 26;
constexpr uint64_t kGgufMaxArrayLength = 1 << 28;
constexpr uint64_t kGgufMaxTensorName = 63;         ///< GGML_MAX_NAME (64) minus the terminator
constexpr uint64_t kGgufMaxDims = 4;                ///< GGML_MAX_DIMS
constexpr int64_t kGgufMaxElements = int64_t{1} << 48;  ///< per tensor (256 T elements)
constexpr uint64_t kGgufMaxKeptArray = 4096;        ///< arrays up to this length keep their elements
constexpr uint64_t kGgufMaxKeptString = 4096;       ///< strings up to this length keep their text

/// Parses a GGUF header from the first `size` bytes of a file. The buffer may end anywhere after the
/// tensor table (an HTTP Range request for the header is enough). When it ends before, the error is
/// kInvalidGguf with a message saying how many bytes are needed, and *bytes_needed (if given) gets that
/// count: fetch at least that many bytes from the start of the file and parse again. Never reads past
/// `size`, never allocates from a count the buffer cannot back.
Result<GgufFile> parse_gguf(const uint8_t* data, size_t size, uint64_t* bytes_needed = nullptr);

/// Standard base64 (RFC 4648 §4; '-' and '_' of §5 accepted, whitespace ignored) -> bytes.
Result<std::string> base64_decode(const std::string& text);

}  // namespace llmsizer
