// The serving engine a request names and each engine's options, typed, as resolve() fills them from the request
// (api/resolve.cpp) with the defaults applied there. Every Inputs (model/inputs.h) carries them; engines read
// these, never the raw request. A value marked "0 = ..." is a default the engine derives per evaluation,
// because it depends on the GPU, layout, batch or context that the searches vary.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf.h"  // GgmlType (llama.cpp's cache types)
#include "units.h"

namespace llmsizer {

/// The serving engines, in the order the catalogue lists them (engines/table.cpp names them).
enum class EngineId { kGeneric, kVllm, kSglang, kTransformers, kLlamaCpp };

/// The generic engine: engine-neutral budget (engines/generic.cpp).
struct GenericSettings {
  double reserve = 0.2;         ///< fraction of GPU memory kept free
  int64_t overhead_bytes = 0;   ///< runtime overhead per GPU (CUDA context, workspaces, NCCL), bytes
};

/// vLLM's engine arguments (vllm/engine/arg_utils.py EngineArgs) and the version whose rules apply.
struct VllmSettings {
  double gpu_memory_utilization = 0.9;   ///< --gpu-memory-utilization
  int64_t max_model_len = 0;             ///< --max-model-len (0 = the context)
  int64_t max_num_batched_tokens = 0;    ///< --max-num-batched-tokens (0 = vLLM's default for the GPU)
  int64_t max_num_seqs = 0;              ///< --max-num-seqs (0 = vLLM's default for the GPU)
  int64_t limit_mm_images = -1;          ///< --limit-mm-per-prompt images (-1 = vLLM's default: 999 in V1)
  int64_t block_size = 16;               ///< --block-size: tokens per KV block
  bool enforce_eager = false;            ///< --enforce-eager: no CUDA graphs
  int64_t kv_cache_memory_bytes = 0;     ///< --kv-cache-memory-bytes: KV cache per GPU, no profiling (0 = profile)
  double cpu_offload_gb = 0;             ///< --cpu-offload-gb: GiB per GPU of decoder-layer weights in host memory
  bool offline = false;                  ///< the offline LLM class's defaults (larger max_num_batched_tokens)
  bool estimate_cudagraphs = false;      ///< VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1
  bool use_v0 = false;                   ///< VLLM_USE_V1=0: the V0 engine (0.8-0.10; V0 is the only one before 0.8)
  int version_major = 0;                 ///< the vLLM whose memory rules apply (0.19)
  int version_minor = 19;
};

/// SGLang's server arguments (python/sglang/srt/server_args.py).
struct SglangSettings {
  double mem_fraction_static = 0;  ///< --mem-fraction-static (0 = SGLang's default for the GPU and layout)
};

/// transformers' attention implementations (attn_implementation): how the prefill computes attention.
enum class AttentionImpl { kDefault, kSdpa, kEager, kFlashAttention2 };

/// Hugging Face transformers generate(): the version whose rules apply.
struct TransformersOptions {
  std::string version = "4.46";  ///< as the request wrote it (shown in the assumptions)
  int version_major = 4;
  int version_minor = 46;
  AttentionImpl attention = AttentionImpl::kDefault;  ///< attn_implementation (kDefault: the version's default)
};

/// Per-GPU footprint outside llama.cpp's buffers (CUDA context, cuBLAS workspace): ~250 MiB VRAM
/// (gguf-parser-go's llama.cpp estimate; ../shared/reference/ENGINES.md).
constexpr int64_t kLlamaCppGpuFootprint = 256 * kMiB;

/// The cache types llama-server accepts for -ctk / -ctv (common/arg.cpp kv_cache_types), as ggml names them.
struct LlamaCppCacheType {
  const char* name;
  GgmlType type;
};
inline constexpr LlamaCppCacheType kLlamaCppCacheTypes[] = {
    {"f32", GgmlType::kF32},   {"f16", GgmlType::kF16},   {"bf16", GgmlType::kBF16},
    {"q8_0", GgmlType::kQ8_0}, {"q4_0", GgmlType::kQ4_0}, {"q4_1", GgmlType::kQ4_1},
    {"iq4_nl", GgmlType::kIQ4_NL}, {"q5_0", GgmlType::kQ5_0}, {"q5_1", GgmlType::kQ5_1}};

/// llama-server's options (tools/server, common/arg.cpp; defaults from common/common.h).
struct LlamaCppOptions {
  int64_t ctx_size = 0;    ///< -c: context cells over all slots (0 = np x context)
  int64_t np = 0;          ///< -np: parallel slots (0 = the batch)
  int64_t ngl = -1;        ///< -ngl: layers on the GPUs, the output layer counting as one (-1 = all)
  /// --n-cpu-moe N: the routed-expert tensors (ffn_{gate,up,down}_exps) of the first N layers stay in host memory
  /// (--cpu-moe = every layer). 0 = none. llama.cpp PR #15077 (2025-08), common/arg.cpp: a tensor override
  /// "blk\\.i\\.ffn_(up|down|gate)_exps=CPU" per layer i < N.
  int64_t n_cpu_moe = 0;
  GgmlType type_k = GgmlType::kF16;  ///< -ctk: K cache type (the request's ctk, else mapped from kv_dtype)
  GgmlType type_v = GgmlType::kF16;  ///< -ctv: V cache type
  int64_t n_batch = 2048;  ///< -b: logical batch (tokens)
  bool n_batch_given = false;  ///< the request set -b (the command line repeats it)
  int64_t n_ubatch = 512;  ///< -ub: physical micro-batch (tokens)
  bool n_ubatch_given = false;
  bool flash_attn = true;  ///< -fa on|off ('auto', llama-server's default, turns it on where the GPU supports it)
  bool swa_full = false;   ///< --swa-full: full-size cache for sliding-window layers
  bool kv_unified = false; ///< -kvu: one KV pool shared by all slots
  int64_t gpu_overhead_bytes = kLlamaCppGpuFootprint;  ///< per-GPU footprint outside llama.cpp's buffers, bytes
  /// --mmproj: the multimodal projector's weights (every tensor of its GGUF), loaded on the main GPU (0 = none).
  int64_t mmproj_bytes = 0;
  int64_t mmproj_parameters = 0;
};

}  // namespace llmsizer
