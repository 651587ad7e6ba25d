// Everything a calculation takes, as one plain struct.
//
// The JSON request (WASM, `llmsizer --request`), the CLI flags and the page's share-URL all map onto
// these fields. JSON keys are the field names; CLI flags are the same names with '-' for '_'
// (`max_num_seqs` <-> `--max-num-seqs`). Defaults here are the defaults everywhere.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace llmsizer {

struct Request {
  // ---- the model ------------------------------------------------------------------------------
  /// config.json as the request gives it ("config": the object, or its text as a JSON string): a pointer into
  /// the request's parsed document, never re-serialised; null = none (so is an empty text). Or...
  std::shared_ptr<const nlohmann::ordered_json> config;
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
  int64_t images = 0;            ///< images per request (vision-language models): their tokens join the prompt
  std::string image_size;        ///< "WxH" pixels of each image ("" = the model's default size)

  // ---- serving engine -------------------------------------------------------------------------
  std::string engine = "generic";  ///< generic|vllm|sglang|transformers|llama.cpp
  double gpu_memory_utilization = 0.9;   ///< vLLM
  int64_t limit_mm_per_prompt = -1;      ///< vLLM --limit-mm-per-prompt images (-1 = vLLM's default, 999 in V1)
  int64_t max_model_len = 0;             ///< vLLM (0 = context)
  int64_t max_num_batched_tokens = 0;    ///< vLLM (0 = vLLM's default for the GPU)
  int64_t max_num_seqs = 0;              ///< vLLM (0 = vLLM's default for the GPU)
  int64_t block_size = 16;               ///< vLLM KV block size (tokens)
  bool enforce_eager = false;            ///< vLLM: no CUDA graphs
  double mem_fraction_static = 0;        ///< SGLang (0 = SGLang's default for the GPU and TP)

  // ---- llama.cpp (llama-server) and GGUF files ------------------------------------------------
  int64_t ctx_size = 0;        ///< -c: context cells over all slots (0 = np x context)
  int64_t np = 0;              ///< -np: parallel slots (0 = batch)
  int64_t ngl = -1;            ///< -ngl: layers on the GPUs, the output layer counting as one (-1 = all)
  int64_t n_cpu_moe = 0;       ///< --n-cpu-moe: routed experts of the first N layers in host memory (0 = none)
  std::string override_tensor; ///< -ot: "PATTERN=BUFFER,..." (regex on tensor names; BUFFER CPU = host memory)
  std::string ctk;             ///< -ctk: K cache type f16|bf16|f32|q8_0|q4_0|q4_1|iq4_nl|q5_0|q5_1 ("" = from kv_dtype)
  std::string ctv;             ///< -ctv: V cache type (as ctk)
  int64_t ubatch = 0;          ///< -ub: physical micro-batch (0 = 512)
  int64_t n_batch = 0;         ///< -b: logical batch (0 = 2048); `batch` above is concurrent sequences
  bool flash_attn = true;      ///< -fa on|off ('auto', the default, turns it on where the GPU supports it)
  bool swa_full = false;       ///< --swa-full: full-size cache for sliding-window layers
  bool kv_unified = false;     ///< -kvu: one KV pool shared by all slots
  /// GGUF headers, one per part of the file: base64 of the first bytes of the file (a string), or the summary
  /// object a previous response returned; pointers into the request's parsed document. With a GGUF no
  /// config.json is needed.
  std::vector<std::shared_ptr<const nlohmann::ordered_json>> gguf;
  /// llama.cpp --mmproj: the multimodal projector's GGUF header(s), in the same forms as `gguf`.
  std::vector<std::shared_ptr<const nlohmann::ordered_json>> gguf_mmproj;

  // ---- serving engines (engines issue): versions and engine-specific options --------------------
  std::string vllm_version = "0.19";     ///< vLLM whose memory rules apply ("0.19"; the version table in vllm.cpp)
  bool vllm_offline = false;             ///< vLLM's offline LLM class defaults (larger max_num_batched_tokens)
  bool vllm_estimate_cudagraphs = false; ///< VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: subtract CUDA graphs
  bool vllm_v0 = false;                  ///< VLLM_USE_V1=0: the V0 engine (vLLM 0.8-0.10)
  int64_t kv_cache_memory_bytes = 0;     ///< vLLM --kv-cache-memory-bytes: KV cache per GPU, no profiling (0 = off)
  double cpu_offload_gb = 0;             ///< vLLM --cpu-offload-gb: GiB of weights per GPU in host memory (0 = none)
  std::string transformers_version = "4.46";  ///< transformers whose generate() logits rule applies
  std::string attention_implementation;  ///< transformers attn_implementation: sdpa|eager|flash_attention_2 ("" = default)

  // ---- GPU recommendations --------------------------------------------------------------------
  bool recommend = false;               ///< rank every GPU preset for this workload
  std::string recommend_vendor;         ///< filter: "NVIDIA", "AMD", ... ("" = all)
  std::string recommend_market;         ///< filter: "datacenter", ... ("" = all)
  double recommend_min_memory_gib = 0;  ///< filter: per-GPU memory at least this
  int64_t recommend_max_gpus = 64;      ///< give up beyond this many GPUs
  double target_tpot_ms = 0;            ///< latency target: time per output token at most this (0 = none)
  double target_ttft_ms = 0;            ///< latency target: time to first token at most this (0 = none)
  double gpu_hour_usd = 0;              ///< price of one GPU-hour, US dollars (0 = no cost figures)

  // ---- fine-tuning ----------------------------------------------------------------------------
  std::string mode = "inference";       ///< inference|full|lora|qlora

  // ---- speed (speed.h) --------------------------------------------------------------------------
  double bandwidth_efficiency = 0;  ///< fraction of datasheet memory bandwidth reached (0 = calibrated value)
  double prefill_efficiency = 0;    ///< fraction of dense peak FLOPS reached by prefill (0 = calibrated value)
  double host_memory_bandwidth_gbps = 0;  ///< host memory GB/s for weights run from it (0 = by platform, offload.h)
  // Fine-tuning options (training.h; read only when mode is not inference, validated always).
  std::string optimizer = "adamw";      ///< adamw|adamw-8bit|sgd|sgd-momentum|adafactor
  std::string training_precision = "auto";  ///< mixed|fp32|bf16 (auto: mixed; qlora: bf16 adapters)
  int64_t micro_batch = 1;              ///< sequences per GPU per step
  int64_t seq_len = 0;                  ///< tokens per training sequence (0 = min(2048, max_position_embeddings))
  std::string gradient_checkpointing = "auto";  ///< none|selective|full (auto: none; qlora: full)
  std::string training_attention = "flash";     ///< flash|eager (eager keeps the tokens x tokens scores)
  int64_t lora_rank = 0;                ///< LoRA rank r (0 = 8 for lora, 64 for qlora)
  std::string lora_targets;             ///< q,k,v,o / all-linear / module list ("" = q,v for lora, all-linear for qlora)
  double lora_dropout = 0;              ///< PEFT lora_dropout
  int64_t zero = 0;                     ///< DeepSpeed ZeRO stage 0..3
  bool offload_optimizer = false;       ///< ZeRO-Offload of optimizer states to the CPU
  int64_t dataset_tokens = 0;           ///< tokens per epoch, for the epoch time (0 = none)
  double training_mfu = 0;              ///< fraction of the GPU's dense peak the training step achieves (0 = the calibrated step-time model)
  double training_reserve = 0.05;       ///< fraction of GPU memory kept free in training (allocator fragmentation)
  std::string optimizer_impl = "foreach";  ///< torch.optim update path: foreach|fused|for-loop (training.h)
};

}  // namespace llmsizer
