// Everything a calculation takes, as one plain struct.
//
// The JSON request (WASM, `llmsizer --request`), the CLI flags and the page's share-URL all map onto
// these fields. JSON keys are the field names; CLI flags are the same names with '-' for '_'
// (`max_num_seqs` <-> `--max-num-seqs`). Defaults here are the defaults everywhere.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmsizer {

struct Request {
  // ---- the model ------------------------------------------------------------------------------
  std::string config_text;       ///< config.json text ("config": object or string); or...
  std::string model;             ///< ...a preset id from presets/models.json ("model")
  std::string model_id;          ///< Hub repo id, for labels and launch commands
  std::string revision = "main";
  /// Exact parameter counts by dtype from the Hub's safetensors metadata ({"BF16": n, "F8_E4M3": m}).
  std::map<std::string, int64_t> safetensors;
  bool include_mtp = false;      ///< count DeepSeek-V3's multi-token-prediction layer in the weights

  // ---- hardware -------------------------------------------------------------------------------
  std::string gpu;               ///< GPU preset id ("" = nvidia-h100-sxm, or with gpu_memory_gib: the preset of that memory)
  double gpu_memory_gib = 0;     ///< > 0: a custom GPU with this much memory (GiB) instead of a preset
  int64_t gpus = 0;              ///< GPUs in the deployment (0 = tp x pp)
  int64_t tp = 0;                ///< tensor-parallel size (0 = gpus / pp, or 1)
  int64_t pp = 1;                ///< pipeline-parallel stages

  // ---- precision ------------------------------------------------------------------------------
  std::string dtype = "auto";    ///< weights: auto|fp32|fp16|bf16|fp8|int8|int4 (+ engine formats such as GGUF types)
  std::string kv_dtype = "auto"; ///< KV cache: auto|fp16|bf16|fp8|int8|int4

  // ---- workload -------------------------------------------------------------------------------
  int64_t context = 0;           ///< tokens per sequence (0 = min(max_position_embeddings, 8192))
  int64_t batch = 1;             ///< concurrent sequences
  double reserve = 0.2;          ///< safety reserve: fraction of GPU memory kept free
  double overhead_gib = -1;      ///< runtime overhead per GPU, GiB (< 0 = engine default)
  int64_t max_batched_tokens = 0;  ///< generic engine: tokens per prefill step (0 = 8192, chunked prefill)
  int64_t input_tokens = 0;      ///< prompt tokens per request (0 = context - output_tokens)
  int64_t output_tokens = 0;     ///< generated tokens per request (0 = min(256, context / 2))

  // ---- serving engine -------------------------------------------------------------------------
  std::string engine = "generic";  ///< generic|vllm|sglang|transformers|llama.cpp
  double gpu_memory_utilization = 0.9;   ///< vLLM
  int64_t max_model_len = 0;             ///< vLLM (0 = context)
  int64_t max_num_batched_tokens = 0;    ///< vLLM (0 = vLLM's default for the GPU)
  int64_t max_num_seqs = 0;              ///< vLLM (0 = vLLM's default for the GPU)
  int64_t block_size = 16;               ///< vLLM KV block size (tokens)
  bool enforce_eager = false;            ///< vLLM: no CUDA graphs
  double mem_fraction_static = 0;        ///< SGLang (0 = SGLang's default for the GPU and TP)

  // ---- serving engines (engines issue): versions and engine-specific options --------------------
  std::string vllm_version = "0.19";     ///< vLLM whose memory rules apply ("0.19"; earlier ones subtract CUDA graphs)
  bool vllm_offline = false;             ///< vLLM's offline LLM class defaults (larger max_num_batched_tokens)
  bool vllm_estimate_cudagraphs = false; ///< VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: subtract CUDA graphs
  int64_t kv_cache_memory_bytes = 0;     ///< vLLM --kv-cache-memory-bytes: KV cache per GPU, no profiling (0 = off)
  std::string transformers_version = "4.46";  ///< transformers whose generate() logits rule applies

  // ---- GPU recommendations --------------------------------------------------------------------
  bool recommend = false;               ///< rank every GPU preset for this workload
  std::string recommend_vendor;         ///< filter: "NVIDIA", "AMD", ... ("" = all)
  std::string recommend_market;         ///< filter: "datacenter", ... ("" = all)
  double recommend_min_memory_gib = 0;  ///< filter: per-GPU memory at least this
  int64_t recommend_max_gpus = 64;      ///< give up beyond this many GPUs

  // ---- fine-tuning ----------------------------------------------------------------------------
  std::string mode = "inference";       ///< inference|full|lora|qlora
};

}  // namespace llmsizer
