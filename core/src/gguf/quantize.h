// llama.cpp's file types (Q4_K_M, Q8_0, IQ4_XS, ...) as weight precisions for a Hugging Face config, and the
// ggml type llama-quantize gives each tensor of a model (src/llama-quant.cpp): the weight bytes of a GGUF that
// was not given, and the per-rank split of one that was.
//
// Source snapshot for every rule and constant: llama.cpp (ggml-org/llama.cpp) as of 2026-09-28, the copy
// bundled in node-llama-cpp 3.22.1 (llama/gitRelease.bundle, release tag v0.5.0). File paths are cited
// relative to that tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/ggml_types.h"
#include "model/memory.h"
#include "model/model.h"
#include "llmsizer/result.h"

namespace llmsizer {

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

}  // namespace llmsizer
