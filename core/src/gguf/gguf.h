// GGUF files and ggml tensor types: the exact bytes of llama.cpp weights.
//
// Three things live here, all pure (bytes in, values out):
//  1. ggml's tensor types with their block sizes and bytes per block, so bits per weight and row sizes are
//     exact (Q4_0 = 18 B per 32 weights = 4.5 bits, Q4_K = 144 B per 256 = 4.5, Q6_K = 210 B per 256 = 6.5625).
//  2. llama.cpp's file types (Q4_K_M, Q8_0, IQ4_XS, ...) as weight precisions for a Hugging Face config:
//     which ggml type each tensor gets, following llama-quantize's rules (src/llama-quant.cpp).
//  3. A GGUF v2/v3 header parser (metadata + tensor table, no tensor data needed) and the conversion of a
//     parsed header into a ModelSpec with exact weight bytes (gguf_model.cpp).
//
// Source snapshot for every rule and constant: llama.cpp (ggml-org/llama.cpp) as of 2026-09-28, the copy
// bundled in node-llama-cpp 3.22.1 (llama/gitRelease.bundle, release tag v0.5.0). File paths are cited
// relative to that tree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/memory.h"
#include "model/model.h"
#include "llmsizer/result.h"

namespace llmsizer {

// ------------------------------------------------------------------------------------------------
// ggml tensor types (ggml/include/ggml.h enum ggml_type; sizes from ggml/src/ggml.c type_traits and
// ggml/src/ggml-common.h block structs). The values are the ids stored in GGUF tensor infos.
// ------------------------------------------------------------------------------------------------

enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19, kIQ4_NL = 20, kIQ3_S = 21, kIQ2_S = 22, kIQ4_XS = 23,
  kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kIQ1_M = 29, kBF16 = 30,
  kTQ1_0 = 34, kTQ2_0 = 35, kMXFP4 = 39, kNVFP4 = 40, kQ1_0 = 41, kQ2_0 = 42,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;      ///< ggml_type_name: "f32", "q4_K", "iq2_xxs", ...
  int64_t block_size;    ///< elements per block (ggml_blck_size)
  int64_t type_size;     ///< bytes per block (ggml_type_size)
  bool quantized;
};

/// Every tensor type ggml defines (removed ids 4, 5, 31-33, 36-38 are absent).
const std::vector<GgmlTypeInfo>& ggml_types();
/// The type with this GGUF id, or nullptr (unknown or removed).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
const GgmlTypeInfo& ggml_type_info(GgmlType t);
/// A type by ggml name, case-insensitive ("q8_0", "Q4_K", "f16", "bf16").
const GgmlTypeInfo* ggml_type_by_name(const std::string& name);
/// type_size x 8 / block_size: Q8_0 8.5, Q4_K 4.5, Q6_K 6.5625, IQ4_XS 4.25, MXFP4 4.25.
double ggml_bits_per_weight(GgmlType t);
/// ggml_row_size: bytes of n elements of one row, type_size x n / block_size. A partial block (n not a
/// multiple of the block size, which ggml forbids in real tensors) counts as a whole block.
int64_t ggml_row_size(GgmlType t, int64_t n);

// ------------------------------------------------------------------------------------------------
// llama.cpp file types (include/llama.h enum llama_ftype) as weight precisions.
// ------------------------------------------------------------------------------------------------

struct LlamaFtypeInfo {
  int id;                  ///< llama_ftype value (general.file_type in a GGUF)
  const char* name;        ///< llama-quantize's name: "Q4_K_M", "IQ4_XS", "F16"
  const char* log_name;    ///< llama_ftype_name (src/llama-model-loader.cpp): "Q4_K - Medium"
  GgmlType default_type;   ///< llama_ftype_get_default_type (src/llama-quant.cpp)
};
const std::vector<LlamaFtypeInfo>& llama_ftypes();
const LlamaFtypeInfo* llama_ftype_info(int id);
/// By name, case-insensitive; llama-quantize's aliases Q3_K / Q4_K / Q5_K mean the _M mixes.
const LlamaFtypeInfo* llama_ftype_by_name(const std::string& name);

/// The WeightFormat (method kGguf) for a file type name, or an error listing the names.
Result<WeightFormat> gguf_weight_format(const std::string& name);

// ------------------------------------------------------------------------------------------------
// The tensors a ModelSpec has in GGUF, and the type llama-quantize gives each one.
// ------------------------------------------------------------------------------------------------

/// One GGUF tensor (or `count` identical ones) of a model, with its ggml type.
struct GgufTensor {
  std::string name;          ///< GGUF name without the layer prefix ("attn_v.weight", "token_embd.weight")
  int32_t layer = -1;        ///< blk index; -1 = input layer (token_embd, position_embd), -2 = output layer
  int64_t cols = 0;          ///< ne[0]: the row length (input features)
  int64_t rows = 0;          ///< ne[1]
  int64_t count = 1;         ///< ne[2] (experts) or identical copies
  bool expert3d = false;     ///< a 3-D expert tensor (ne[2] = experts) in the file
  GgmlType type = GgmlType::kF32;
  TensorRole role = TensorRole::kAttention;
  Shard shard = Shard::kReplicated;  ///< how tensor-parallel engines split it (vLLM can load GGUF)
  int64_t heads = 0;                 ///< for Shard::kKvHeads
  int category = -1;                 ///< llama-quantize's tensor category, derived from the name once (gguf.cpp)

  int64_t elements() const { return cols * rows * count; }
  int64_t bytes() const { return ggml_row_size(type, cols) * rows * count; }
};

/// The model's tensors as llama.cpp names and quantises them for `ftype` (llama_ftype id), in file order.
/// Rules: src/llama-quant.cpp llama_tensor_get_type / llama_tensor_get_type_impl / tensor_type_fallback;
/// unquantised tensors keep what convert_hf_to_gguf.py writes (1-D, norms, routers, position embeddings
/// in F32; conversion/base.py prepare_tensors). Vision towers live in a separate mmproj file: excluded.
std::vector<GgufTensor> gguf_tensors(const ModelSpec& m, int ftype);

/// Weight bytes of one tensor-parallel rank for a kGguf format (memory.cpp's rank_weights dispatches here):
/// the exact tensor table when the format carries one (scaled per component for tp > 1), else the
/// types of gguf_tensors().
RankWeights gguf_rank_weights(const ModelSpec& m, const WeightFormat& f, int64_t tp, int64_t vocab_padding,
                              bool rope_cache);

/// "GGUF Q4_K_M (≈4.89 bits/weight)" for this model (exact "file: ..." when the format carries a table).
std::string gguf_format_label(const ModelSpec& m, const WeightFormat& f);

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

// ------------------------------------------------------------------------------------------------
// A parsed GGUF (one or more parts) -> ModelSpec + exact weights (gguf_model.cpp).
// ------------------------------------------------------------------------------------------------

/// Exact weight bytes from the tensor table of every part.
struct GgufWeights {
  std::vector<int64_t> layer_bytes;  ///< blk.N
  int64_t input_bytes = 0;           ///< token_embd, position_embd, token_types, per_layer_token_embd
  int64_t output_bytes = 0;          ///< output, output_norm and every other tensor outside blk.N
  int64_t total_bytes = 0;
  int64_t parameters = 0;
  int64_t tensors = 0;
  std::map<std::string, int64_t> bytes_by_type;       ///< ggml type name -> bytes
  std::map<std::string, int64_t> parameters_by_type;  ///< ggml type name -> elements
};

struct GgufModel {
  ModelSpec spec;
  std::string architecture;   ///< general.architecture
  std::string name;           ///< general.name
  int file_type = -1;         ///< general.file_type (llama_ftype), -1 when absent
  int64_t context_length = 0; ///< <arch>.context_length
  GgufWeights weights;
  std::vector<GgufFile> parts;  ///< in split order
  bool from_bytes = false;      ///< at least one part came as raw header bytes (the response echoes summaries)
};

/// Builds the model from the parts of one GGUF (a single file, or every -0000K-of-0000N.gguf split).
/// Architecture keys: general.architecture, <arch>.block_count, .embedding_length, .feed_forward_length,
/// .attention.head_count(_kv) (scalar or per-layer array), .attention.key_length/value_length,
/// .context_length, .expert_count, .expert_used_count, .expert_feed_forward_length,
/// .attention.sliding_window(_pattern), and for deepseek2 .attention.kv_lora_rank / q_lora_rank /
/// key_length_mla / value_length_mla, .rope.dimension_count, .leading_dense_block_count.
Result<GgufModel> gguf_model(std::vector<GgufFile> parts);

/// The kGguf WeightFormat carrying the model's exact tensor bytes.
WeightFormat gguf_file_format(const GgufModel& g);

// gguf_inspect_json / gguf_inspect_base64_json (the page's and the CLI's header reader): llmsizer/api.h.

}  // namespace llmsizer
