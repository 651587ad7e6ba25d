// GGUF files and ggml tensor types: the exact bytes of llama.cpp weights.
//
// Four parts, all pure (bytes in, values out):
//  1. ggml_types.h: ggml's tensor types with their block sizes and bytes per block.
//  2. quantize.h: llama.cpp's file types (Q4_K_M, Q8_0, IQ4_XS, ...) as weight precisions for a Hugging Face
//     config: which ggml type each tensor gets, following llama-quantize's rules (src/llama-quant.cpp).
//  3. file.h: the GGUF v2/v3 header parser (metadata + tensor table, no tensor data needed).
//  4. Below (gguf_model.cpp): a parsed header (one or more parts) -> ModelSpec with exact weight bytes.
//
// Source snapshot for every rule and constant: llama.cpp (ggml-org/llama.cpp) as of 2026-09-28, the copy
// bundled in node-llama-cpp 3.22.1 (llama/gitRelease.bundle, release tag v0.5.0). File paths are cited
// relative to that tree.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf/ggml_types.h"
#include "gguf/quantize.h"
#include "model/model.h"
#include "llmsizer/result.h"

namespace llmsizer {

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

/// A multimodal projector file (llama.cpp's mmproj: general.architecture "clip", tensors v.* / a.* / mm.*), which
/// llama-server loads with --mmproj beside the model (tools/mtmd/clip.cpp), on the GPU unless --no-mmproj-offload.
struct GgufMmproj {
  std::string name;             ///< general.name
  std::string projector_type;   ///< clip.projector_type (or clip.vision.projector_type): "mlp", "gemma3", ...
  bool has_vision = false;      ///< clip.has_vision_encoder
  bool has_audio = false;       ///< clip.has_audio_encoder
  int64_t image_size = 0;       ///< clip.vision.image_size
  int64_t patch_size = 0;       ///< clip.vision.patch_size
  int64_t tensors = 0;
  int64_t bytes = 0;            ///< every tensor (ggml_nbytes), the file's weights
  int64_t parameters = 0;
  std::vector<GgufFile> parts;
  bool from_bytes = false;      ///< a part came as raw header bytes (the response echoes summaries)
};

/// Reads an mmproj header: refuses a file whose general.architecture is not "clip".
Result<GgufMmproj> gguf_mmproj(std::vector<GgufFile> parts);

/// The kGguf WeightFormat carrying the model's exact tensor bytes.
WeightFormat gguf_file_format(const GgufModel& g);

// gguf_inspect_json / gguf_inspect_base64_json (the page's and the CLI's header reader): llmsizer/api.h.

}  // namespace llmsizer
