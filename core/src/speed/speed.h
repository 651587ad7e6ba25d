// How fast: prefill (time to first token), decode (time per output token), throughput vs concurrency.
//
// First principles (seed articles 002 and 003): prefill is compute-bound — FLOPs = 2 x active parameters x
// prompt tokens + attention scores growing with the prompt — and decode is memory-bound — every step reads
// the weights it touches and the KV cache of every running sequence. Each step takes
//   max(bytes / (bandwidth x efficiency), FLOPs / (peak x efficiency)) + overheads + tensor-parallel all-reduces,
// with the efficiencies and overheads calibrated per GPU family, serving engine and quantisation method
// against published measurements (speed.cpp names every constant's data; README "Speed").
//
// Everything here is pure: a normalised model, resolved inputs and the engine's plan (for the KV-cache
// limit on concurrency) in; numbers out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/engines.h"
#include "model/inputs.h"
#include "model/memory.h"
#include "model/model.h"

namespace llmsizer {

// ---- formula building blocks (public for tests) ------------------------------------------------

/// Dense (linear-layer) FLOPs of a forward pass: 2 x parameters x tokens (one multiply-add per weight per
/// token; Kaplan et al. arXiv:2001.08361 §2.1, article 002).
double linear_flops(double parameters, double tokens);

/// Seconds to do `flops` at `peak_flops_per_s` (FLOP/s) x `efficiency` (model FLOPs utilisation).
double compute_seconds(double flops, double peak_flops_per_s, double efficiency);

/// Seconds to stream `bytes` at `bandwidth_bytes_per_s` x `efficiency`.
double memory_seconds(double bytes, double bandwidth_bytes_per_s, double efficiency);

/// Expected number of distinct routed experts hit when `tokens` tokens each pick `top_k` of `experts`
/// uniformly: E x (1 - (1 - k/E)^B). 1 token -> k; many tokens -> E.
double expected_distinct_experts(int64_t experts, int64_t top_k, double tokens);

/// Keys (summed over the new tokens) that `new_tokens` query tokens appended after `prefix` cached tokens
/// attend to, causally, each seeing at most `window` keys (0 = unlimited):
/// sum over p in [prefix, prefix + new_tokens) of min(p + 1, window).
double attended_keys(int64_t prefix, int64_t new_tokens, int64_t window);

/// Attention-score FLOPs of one layer (all heads, whole model — not per rank) for `keys` (from
/// attended_keys): QK^T is 2 x qk_dim and PV is 2 x v_dim multiply-adds per head per key. Standard
/// attention: 4 x heads x head_dim per key (article 002's "4 x layers x heads x head_dim x tokens^2 / 2"
/// when causal). MLA prefill runs per head with qk = nope + rope, v = v_head_dim; MLA decode (vLLM's
/// absorbed form, vllm/attention/backends/mla/common.py) attends in the latent space: qk = kv_lora_rank +
/// rope, v = kv_lora_rank.
double attention_flops_layer(const AttentionSpec& a, double keys, bool mla_absorbed);

/// Ring all-reduce of `bytes` over `ranks` GPUs: 2(n-1)/n x bytes / link bandwidth + latency
/// (Patarasuk & Yuan 2009; NCCL's "bus bandwidth" definition, nccl-tests doc/PERFORMANCE.md).
double ring_allreduce_seconds(double bytes, int64_t ranks, double link_bytes_per_s, double latency_s);

// ---- the calibrated constants ------------------------------------------------------------------

/// What a serving engine's software adds to each step, and how its kernels read quantised weights: the speed
/// profile of an engine's row in engines/table.cpp (the values and their sources are in speed.cpp).
struct EngineSpeed {
  bool calibrated;          ///< fitted to public measurements of this engine (else borrowed, and said so)
  double step_overhead_s;   ///< per engine step (scheduler + input preparation + sampling + output processing)
  double layer_overhead_s;  ///< per decoder layer per step
  bool cpu_overlaps_gpu;    ///< eager engines: the CPU launches while the GPU runs (step = max(CPU, GPU))
  double kv_read_factor;    ///< KV bytes moved per KV byte attended in a decode step
  double kv_read_per_group; ///< added per query head of a KV head (copies expanded to every query head), not MLA
  double int8_read;         ///< 8-bit integer weights: multiplier on the bandwidth efficiency
  double int4_read;         ///< 4-bit group-quantised weights (GPTQ/AWQ/compressed-tensors), MXFP4, NF4
  double fp8_read;          ///< fp8 weights
  double quant_cpu;         ///< eager engines: multiplier on the per-layer CPU cost with quantised kernels
  double quant_cpu_exllama4;  ///< eager engines: the same for 4-bit GPTQ through the exllama kernels
  double quant_layer_s;     ///< graph-replaying engines: added per decoder layer per step with quantised kernels
  bool whole_prompt_prefill;  ///< one forward pass over the whole prompt (no chunked prefill)
};
/// vLLM's fitted profile, transformers generate()'s, and vLLM's values marked uncalibrated for the engines
/// without public speed measurements (generic, SGLang, llama.cpp).
extern const EngineSpeed kVllmSpeed;
extern const EngineSpeed kTransformersSpeed;
extern const EngineSpeed kBorrowedVllmSpeed;

/// Efficiencies and overheads the estimate used (each from a table in speed.cpp, or a request override).
struct SpeedConstants {
  std::string gpu_family;               ///< "ampere", "hopper", "ada", ... (from the GPU preset's id)
  bool gpu_family_calibrated = false;   ///< the family has its own measured constants
  std::string engine;                   ///< the serving engine whose overheads are used
  bool engine_calibrated = false;
  bool cpu_overlaps_gpu = false;        ///< eager engine: the per-layer CPU cost overlaps the GPU time (finish())
  std::string compute_dtype;            ///< the `tflops` key the peak comes from ("bf16", "fp8", ...)
  double peak_flops_per_s = 0;          ///< dense peak of one GPU, FLOP/s
  double bandwidth_bytes_per_s = 0;     ///< datasheet memory bandwidth of one GPU, bytes/s (decimal)
  double bandwidth_efficiency = 0;      ///< fraction of bandwidth reached streaming 16-bit weights and KV
  double quantized_read_efficiency = 1; ///< multiplier on that for quantised weights (dequantising kernels)
  double kv_read_factor = 1;            ///< KV bytes moved per KV byte attended (1 = read once; >1 copies)
  double prefill_efficiency = 0;        ///< fraction of peak reached by prefill GEMMs
  double attention_efficiency = 0;      ///< fraction of peak reached by prefill attention (flash attention)
  double decode_compute_efficiency = 0; ///< fraction of peak reached by decode GEMMs when compute-bound
  double step_overhead_s = 0;           ///< per engine step: scheduling, input preparation, sampling, output
  double layer_overhead_s = 0;          ///< per decoder layer per step: kernel boundaries (graph replay/launches)
  /// Engines without CUDA graphs (cpu_overlaps_gpu): the per-layer host cost from a fast to a slow host (the
  /// point estimate layer_overhead_s lies between); graph-replaying engines: both equal layer_overhead_s.
  double layer_overhead_fast_s = 0;
  double layer_overhead_slow_s = 0;
  /// The per-step host cost at the fast and the slow host (transformers >= 5 has one of its own); other engines:
  /// both equal step_overhead_s.
  double step_overhead_fast_s = 0;
  double step_overhead_slow_s = 0;
  double prefill_chunk_tokens = 0;      ///< tokens per prefill step (chunked prefill)
  /// Bytes moved per attention score in the prefill when scores are materialised (transformers eager
  /// attention); 0 with fused kernels (SDPA, FlashAttention).
  double eager_score_bytes = 0;
  std::string interconnect;             ///< "nvlink" or "pcie" (the class used for all-reduce costs)
  double link_bytes_per_s = 0;          ///< GPU-to-GPU one-direction bandwidth, bytes/s
  double link_latency_s = 0;            ///< per collective
  std::string pp_link;                  ///< what a pipeline boundary crosses ("none" without PP; deploy::pp_link)
  bool pp_link_crosses_nodes = false;   ///< the stages sit on different nodes (scale-out network)
  double pp_link_latency_s = 0;         ///< per pipeline hop
  std::vector<std::string> notes;       ///< where each constant came from, and what is not calibrated
};

/// The constants for this GPU, engine, weight format and request (overrides applied).
SpeedConstants speed_constants(const ModelSpec& m, const Inputs& in);

// ---- one step --------------------------------------------------------------------------------

/// What one forward step of one pipeline stage costs on one GPU (a tensor-parallel rank).
struct StepCost {
  double weight_bytes = 0;        ///< weights read (routed experts: the distinct ones hit)
  double kv_bytes = 0;            ///< KV cache read (and written) by attention
  double flops = 0;               ///< linear + attention FLOPs on this GPU
  double memory_s = 0;            ///< bytes at the efficient bandwidth
  double compute_s = 0;           ///< FLOPs at the efficient peak
  double communication_s = 0;     ///< tensor-parallel all-reduces (and the logits gather)
  double overhead_s = 0;          ///< per-layer kernel boundaries (the per-step engine overhead is added once per step)
  double seconds = 0;             ///< max(memory, compute) + communication + overhead
  bool compute_bound = false;
};

/// A decode step on `stage`: `sequences` sequences, each with `context` tokens already cached, each
/// generating one token.
StepCost decode_step(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const Stage& stage,
                     int64_t sequences, int64_t context);

/// A prefill step on `stage`: `tokens` new prompt tokens (spread over `sequences`), each sequence with
/// `prefix` tokens already cached, and `logits` rows computed by the LM head.
StepCost prefill_step(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const Stage& stage,
                      int64_t tokens, int64_t sequences, int64_t prefix, int64_t logits);

// ---- the whole request -------------------------------------------------------------------------

/// One point of the throughput-vs-concurrency curve: `concurrency` requests of the workload's shape
/// served together (continuous batching at steady state: every running sequence decodes each step).
struct SpeedPoint {
  int64_t concurrency = 0;
  double ttft_seconds = 0;                      ///< prefill of every prompt, then the first token
  double tpot_seconds = 0;                      ///< time per output token (a decode step), averaged over the output
  double per_user_tokens_per_second = 0;        ///< 1 / tpot
  double throughput_tokens_per_second = 0;      ///< concurrency x output / (ttft + output x tpot)
  double decode_throughput_tokens_per_second = 0;  ///< concurrency / tpot (decode only)
  bool compute_bound = false;                   ///< the decode step is compute-bound
};

struct SpeedEstimate {
  bool available = false;       ///< false: the GPU has no bandwidth/TFLOPS data (see `unavailable_reason`)
  std::string unavailable_reason;
  int64_t batch = 1;            ///< concurrent requests
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  double prefill_seconds = 0;   ///< prefill of every prompt in the batch
  double ttft_seconds = 0;      ///< time to first token: prefill + one engine step
  double tpot_seconds = 0;      ///< time per output token, averaged over the output
  double e2e_latency_seconds = 0;         ///< ttft + tpot x output tokens
  double decode_tokens_per_second = 0;    ///< per request: 1 / tpot
  double throughput_tokens_per_second = 0;  ///< all sequences: batch x output / e2e latency
  std::string bound;            ///< the decode step: "memory" or "compute"
  std::string prefill_bound;    ///< the prefill: "memory" or "compute"
  StepCost decode;              ///< one decode step at the batch and the mean context (the tightest stage)
  StepCost prefill;             ///< one prefill chunk (the tightest stage)
  int64_t prefill_chunks = 0;   ///< prefill steps (chunked prefill)
  double max_concurrency = 0;   ///< from the engine plan (KV-cache limit)
  // Weights run from host memory (llama.cpp -ngl below the layers, --n-cpu-moe; speed/offload.h).
  bool host_offload = false;
  double host_bandwidth_bytes_per_s = 0;  ///< the host memory bandwidth used (decimal bytes/s)
  double host_upload_bytes_per_s = 0;     ///< host-to-GPU copies over PCIe (decimal bytes/s; 0 = unified memory)
  std::string host_bandwidth_basis;
  double host_decode_seconds = 0;         ///< the CPU's share of one decode step at the request's batch
  double host_prefill_seconds = 0;        ///< what the host-resident weights add to the prefill
  /// Host-bound decode: an engine without CUDA graphs whose per-layer host cost (launching every op from the
  /// CPU) takes longer than the GPU's work for the decode step. The step time then depends on the CPU.
  bool host_bound = false;
  double tpot_fast_host_seconds = 0;  ///< TPOT with the fast host's per-layer cost (= tpot for graph engines)
  double tpot_slow_host_seconds = 0;  ///< ... with the slow host's
  std::vector<SpeedPoint> curve;  ///< concurrency 1, 2, 4, ... up to max_concurrency (and it)
  SpeedConstants constants;
  std::vector<Warning> warnings;
};

/// Speed of `in`'s workload (batch, input_tokens, output_tokens) on in.layout, with the curve bounded by
/// plan.max_concurrency.
SpeedEstimate estimate_speed(const ModelSpec& m, const Inputs& in, const EnginePlan& plan);

/// One point of the curve on in.layout: `concurrency` requests of the workload's shape served together (what
/// the latency-target search evaluates); nullopt when the GPU has no bandwidth/TFLOPS figures.
std::optional<SpeedPoint> speed_point(const ModelSpec& m, const Inputs& in, int64_t concurrency);

/// The GPU family a preset belongs to ("ampere", "hopper", "ada", "blackwell", "volta", "turing", "cdna3",
/// "cdna2", "rdna3", "gaudi", "apple", "tpu", "ascend"; "" when unknown), read from its id.
std::string gpu_family(const GpuSpec& gpu);

}  // namespace llmsizer
