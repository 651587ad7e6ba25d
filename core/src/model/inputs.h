// The resolved inputs of a calculation and the per-GPU memory record every engine profile fills.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/settings.h"
#include "llmsizer/gpu.h"
#include "model/memory.h"
#include "model/model.h"
#include "model/precision.h"
#include "llmsizer/request.h"

namespace llmsizer {

/// A request after defaults, presets and validation: everything the formulas need, nothing optional.
struct Inputs {
  EngineId engine = EngineId::kGeneric;  ///< the serving engine (its record: engines/table.h)
  GpuSpec gpu;
  Layout layout;
  WeightFormat weights;          ///< weight storage format
  Dtype kv_dtype = Dtype::kBf16;
  Dtype act_dtype = Dtype::kBf16;  ///< activations / compute
  int64_t context = 4096;        ///< tokens per sequence
  int64_t batch = 1;             ///< concurrent sequences
  int64_t input_tokens = 0;      ///< prompt tokens per request
  int64_t output_tokens = 0;     ///< generated tokens per request
  int64_t prefill_tokens = 8192; ///< tokens per prefill step (chunked prefill)
  bool include_mtp = false;
  int64_t images = 0;            ///< images per request (vision-language models)
#if !LLMSIZER_LITE  // no image requests in the lite module
  ImageCost image;               ///< one image's tokens (model/vision.h); input_tokens and context include them
#endif
  /// Checkpoint bytes from the Hub's safetensors counts (used for weights when the precision is auto).
  std::optional<double> safetensors_bytes;
  std::optional<int64_t> safetensors_parameters;
  std::string model_id;          ///< Hub repo id (or the preset's) for labels and launch commands ("" = none)
  /// The repo launch commands load when it is not model_id: a pre-quantised conversion when the engine cannot
  /// quantise the checkpoint to the estimated format on load (engines/checkpoint.h); "" = model_id.
  std::string command_model_id;
  bool gguf_file = false;        ///< the model came from a GGUF file's header (launch commands name the file)
  int64_t max_gpus = 64;         ///< layout searches give up beyond this many GPUs (recommend_max_gpus)

  // ---- each engine's options, typed (engines/settings.h) ----
  GenericSettings generic;
  VllmSettings vllm;
  SglangSettings sglang;
  TransformersOptions transformers;
  LlamaCppOptions llamacpp;

  Request request;  ///< the raw request: fine-tuning, the recommendations' filters and the speed overrides read it
};

struct MemoryBreakdown {
  int64_t weights_bytes = 0;
  int64_t kv_cache_bytes = 0;
  int64_t activations_bytes = 0;
  int64_t overhead_bytes = 0;
  // Parts of the above (not added again to the total): the vision tower + projector in weights_bytes, the tower's
  // forward in activations_bytes (vision-language models, first pipeline stage; model/vision.h).
  int64_t vision_weights_bytes = 0;
  int64_t vision_activations_bytes = 0;
  int64_t mmproj_bytes = 0;   ///< llama.cpp --mmproj: the multimodal projector's weights (its own row)
  int64_t total_bytes() const {
    return weights_bytes + kv_cache_bytes + activations_bytes + overhead_bytes + mmproj_bytes;
  }
};

/// One GPU of the deployment: a tensor-parallel rank of one pipeline stage (ranks of a stage are alike).
struct GpuMemory {
  int64_t stage = 0;
  int64_t first_layer = 0;
  int64_t end_layer = 0;
  MemoryBreakdown memory;
  int64_t weights_parameters = 0;           ///< parameters held by this GPU
  int64_t kv_cache_bytes_per_token = 0;     ///< one token's KV over this GPU's layers
  int64_t kv_cache_bytes_per_sequence = 0;  ///< one sequence of `context` tokens (sliding windows capped)
  int64_t capacity_bytes = 0;               ///< the GPU's memory
  int64_t usable_bytes = 0;                 ///< capacity minus the safety reserve
  int64_t free_bytes = 0;                   ///< usable minus total (negative: does not fit)
  int64_t max_concurrency = 0;              ///< sequences of `context` tokens that fit in what weights leave
};

/// The record of one GPU of `stage` holding `weights_bytes` of weights (`parameters` of them): what every
/// engine profile fills first; the engine adds its KV cache, activations and overhead.
inline GpuMemory stage_gpu(const Stage& stage, int64_t weights_bytes, int64_t parameters) {
  GpuMemory g;
  g.stage = stage.index;
  g.first_layer = stage.first_layer;
  g.end_layer = stage.end_layer;
  g.memory.weights_bytes = weights_bytes;
  g.weights_parameters = parameters;
  return g;
}

}  // namespace llmsizer
