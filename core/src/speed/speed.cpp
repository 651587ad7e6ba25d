// Speed: prefill / decode step costs from the model's real shapes, and the request's TTFT, TPOT, latency,
// throughput and throughput-vs-concurrency curve. See speed.h for the model; every constant below names
// its source or the measurements it was fitted to.
#include "speed/speed.h"
#include "speed/offload.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "deploy/deploy.h"
#include "engines/table.h"
#include "engines/transformers.h"

namespace llmsizer {

// ================================================================================================
// Formula building blocks
// ================================================================================================

double linear_flops(double parameters, double tokens) { return 2.0 * parameters * tokens; }

double compute_seconds(double flops, double peak_flops_per_s, double efficiency) {
  if (flops <= 0) return 0;
  return flops / (peak_flops_per_s * efficiency);
}

double memory_seconds(double bytes, double bandwidth_bytes_per_s, double efficiency) {
  if (bytes <= 0) return 0;
  return bytes / (bandwidth_bytes_per_s * efficiency);
}

double expected_distinct_experts(int64_t experts, int64_t top_k, double tokens) {
  // Each token picks k of E experts; under uniform routing an expert is missed by one token with
  // probability 1 - k/E, by B independent tokens with (1 - k/E)^B. Expected distinct experts hit:
  // E x (1 - (1 - k/E)^B) (the occupancy / balls-into-bins expectation; real routers are not uniform,
  // so this is the most experts a batch can be expected to touch). B = 1 gives exactly k.
  if (experts <= 0 || top_k <= 0 || tokens <= 0) return 0;
  const double e = static_cast<double>(experts);
  const double k = static_cast<double>(std::min(top_k, experts));
  if (tokens <= 1.0) return k * tokens;
  return e * (1.0 - std::pow(1.0 - k / e, tokens));
}

double attended_keys(int64_t prefix, int64_t new_tokens, int64_t window) {
  if (new_tokens <= 0) return 0;
  const double p0 = static_cast<double>(std::max<int64_t>(0, prefix));
  const double n = static_cast<double>(new_tokens);
  // Without a window: sum_{p=p0}^{p0+n-1} (p + 1) = n x p0 + n(n+1)/2.
  const double full = n * p0 + n * (n + 1.0) / 2.0;
  if (window <= 0) return full;
  const double w = static_cast<double>(window);
  // Positions p with p + 1 <= w (p < w) see p + 1 keys; later ones see w.
  const double last = p0 + n - 1.0;
  if (last + 1.0 <= w) return full;
  if (p0 + 1.0 > w) return n * w;
  const double grow = w - p0;  // positions p0 .. w-1
  return grow * p0 + grow * (grow + 1.0) / 2.0 + (n - grow) * w;
}

double attention_flops_layer(const AttentionSpec& a, double keys, bool mla_absorbed) {
  const double heads = static_cast<double>(a.num_heads);
  double qk = static_cast<double>(a.head_dim);
  double v = static_cast<double>(a.v_head_dim > 0 ? a.v_head_dim : a.head_dim);
  if (a.mla) {
    if (mla_absorbed) {
      qk = static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim);
      v = static_cast<double>(a.kv_lora_rank);
    } else {
      qk = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
      v = static_cast<double>(a.v_head_dim);
    }
  }
  return 2.0 * heads * (qk + v) * keys;
}

double ring_allreduce_seconds(double bytes, int64_t ranks, double link_bytes_per_s, double latency_s) {
  if (ranks <= 1) return 0;
  const double n = static_cast<double>(ranks);
  return 2.0 * (n - 1.0) / n * bytes / link_bytes_per_s + latency_s;
}

// ================================================================================================
// Calibrated constants
// ================================================================================================

namespace {

// ---- GPU families: what the hardware reaches ---------------------------------------------------
//
// Calibration data (the only public speed measurements in ../shared/reference/validation-public.jsonl):
// Qwen2.5-7B-Instruct on one A100 80GB SXM (2,039 GB/s, 312 dense bf16 TFLOPS), vLLM 0.6.2/0.6.3, batch 1,
// 2,048 generated tokens, prompts of 1 / 6,144 / 14,336 / 30,720 / 63,488 / 129,024 tokens, BF16 /
// GPTQ-Int8 / GPTQ-Int4 / AWQ: cases GT0272-GT0295 (Qwen2.5 speed benchmark, qwen.readthedocs.io v2.5).
struct FamilyProfile {
  const char* family;
  bool calibrated;
  double bandwidth;       ///< fraction of datasheet bandwidth streaming weights / KV in a decode step
  double prefill;         ///< fraction of dense peak of prefill GEMMs
  double attention;       ///< fraction of dense peak of prefill flash attention
  double decode_compute;  ///< fraction of dense peak of decode GEMMs at large batch
};

// Ampere (A100):
//  bandwidth 0.75 — the split between this and the engine's per-step overhead cannot be identified from
//    one model's batch-1 rows (both are per-step costs), so it is chosen across model sizes: the same
//    Qwen2.5 speed table (vLLM 0.6.3, one A100 80GB, BF16, 1-token prompt) lists 0.5B / 3B / 14B / 32B at
//    about 311 / 128 / 46 / 22 tok/s besides 7B's 84.28 (those rows are not in the reference set; values as
//    recalled from qwen.readthedocs.io v2.5 "Speed Benchmark", not re-checked against it here). Pinned to GT0272,
//    bandwidth 0.75 puts 0.5B, 14B and 32B within 3 % (3B is 15 % fast under every split tried) where 0.85
//    was 23 % slow on 0.5B and 9-11 % fast on 14B/32B. Independent check: gpt-fast (pytorch-labs/gpt-fast
//    README) streams Llama-2-7B bf16 at 1,397 GB/s = 0.69 of an A100-80GB's 2,039 GB/s, overhead included.
//    The engine overhead below is then fitted to GT0272 (BF16, 1-token prompt).
//  prefill 0.60 and attention 0.33 — fitted to the long-prompt rows GT0276-GT0295 (6k-129k prompts): the
//    time they add over GT0272-GT0275 is prefill FLOPs + the longer KV read per decode step. A grid over
//    the BF16 rows is flat in the GEMM efficiency (0.55-0.80 all within 2.1 % mean error; 0.60 kept) and
//    sharp in the attention one: 0.30 / 0.33 / 0.35 / 0.45 give median 2.2 / 1.8 / 2.0 / 2.9 % and p90
//    12 / 17 / 21 / 35 % over the 24 vLLM rows. 0.60 is in line with large-GEMM utilisation of cuBLAS on
//    A100; 0.33 is below FlashAttention-2's own 50-73 % of A100 peak (arXiv:2307.08691) because the engine's
//    prefill runs it chunked, over a paged cache, with GQA and rotary/cache-write kernels around it.
//  decode_compute 0.50 — decode GEMMs at batch 64-256 reach about half the dense peak (a decode step is a
//    skinny GEMM of batch x hidden); not in the batch-1 data, an assumption.
constexpr FamilyProfile kAmpere{"ampere", true, 0.75, 0.60, 0.33, 0.50};

// Families without public speed measurements in the reference set use the Ampere fit (marked
// uncalibrated in the output). The datasheet peaks and bandwidths still come from each GPU's preset.
constexpr const char* kFamilies[][2] = {
    // {id substring, family}; the first match wins, so longer / more specific ids come first.
    {"gh200", "hopper"},        {"h100", "hopper"},    {"h200", "hopper"},       {"h800", "hopper"},
    {"h20", "hopper"},          {"gb200", "blackwell"}, {"gb300", "blackwell"},  {"b200", "blackwell"},
    {"b100", "blackwell"},      {"b300", "blackwell"}, {"rtx-50", "blackwell"},  {"rtx-pro-6000", "blackwell"},
    {"a100", "ampere"},         {"a800", "ampere"},    {"a10", "ampere"},        {"a30", "ampere"},
    {"a40", "ampere"},          {"rtx-30", "ampere"},  {"rtx-a", "ampere"},      {"l40", "ada"},
    {"l20", "ada"},             {"l4", "ada"},         {"rtx-40", "ada"},        {"ada", "ada"},
    {"v100", "volta"},          {"t4", "turing"},      {"rtx-20", "turing"},     {"mi355", "cdna4"},
    {"mi350", "cdna4"},         {"mi300", "cdna3"},    {"mi325", "cdna3"},       {"mi250", "cdna2"},
    {"mi210", "cdna2"},         {"rx-7", "rdna3"},     {"gaudi", "gaudi"},       {"apple", "apple"},
    {"tpu", "tpu"},             {"ascend", "ascend"},
};

// Hopper (H100 / H200), from the public H200 rows (../shared/reference/validation-gpu-public.jsonl, transformers
// 5.17 + torch 2.11, one H200 SXM: 4,800 GB/s, 989.5 dense bf16 TFLOPS; docs/host-bound.md works every number):
//  bandwidth 0.66 — the `gemv` rows (every linear layer of the model once at batch 1, i.e. one decode step's
//    weight stream): 2.96-3.24 TB/s on the 7-9B models (0.62-0.68 of 4.8 TB/s), e.g. Qwen2.5-7B 14.141 GB in
//    4.466 ms = 3.17 TB/s; 0.78 on Qwen2.5-32B, 0.22 on Qwen2.5-0.5B (small matrices). Measured eagerly (one
//    launch per matrix); inside vLLM's CUDA graphs it may be higher, not measured (bands widen vLLM on Hopper).
//  prefill 0.50, attention 0.60 — the sdpa `prefill` rows of Llama-3.1-8B (1 x 2,048: 59.5 ms, 1 x 8,192:
//    252.6 ms, 8 x 2,048: 473.0 ms; 50-53 % of peak overall): solving the 2,048 and 8,192 rows for the GEMM and
//    attention shares gives GEMM 0.495 and attention ~0.9; attention is 4-13 % of the FLOPs, so 0.60 is kept
//    (+0.2 %, +3.3 %, +0.9 % on the three rows).
//  decode_compute 0.50 — not measured (batch-1 rows only): Ampere's assumption.
constexpr FamilyProfile kHopper{"hopper", true, 0.66, 0.50, 0.60, 0.50};

FamilyProfile family_profile(const std::string& family) {
  if (family == "hopper") return kHopper;
  FamilyProfile p = kAmpere;
  if (family != "ampere") {
    p.family = "ampere";
    p.calibrated = false;
  }
  return p;
}

}  // namespace

// ---- serving engines: what the software adds ---------------------------------------------------
// Each engine's row in engines/table.cpp points to one of these profiles (EngineSpeed, speed.h).

// vLLM (0.6.x, CUDA graphs, offline LLM.generate):
//  layer_overhead 20 us — about ten kernels per decoder layer (two fused norms, qkv, rotary, cache write,
//    paged attention, o_proj, gate_up, act-and-mul, down; vllm/model_executor/models/qwen2.py) at ~2 us of
//    boundary each inside a CUDA graph. An assumption: it only splits the fitted overhead by layer count.
//  step_overhead 2.01 ms — fitted: GT0272 (BF16, 1-token prompt, 84.28 tok/s = 11.87 ms per token) minus
//    the weight stream (14.14 GB of the 15.2 GB checkpoint: embeddings are looked up, not read) at
//    0.75 x 2,039 GB/s = 9.25 ms, minus 28 x 20 us. vLLM's own v0.6.0 performance analysis (blog.vllm.ai,
//    "vLLM v0.6.0: 2.7x Throughput Improvement and 5x Latency Reduction", Sept 2024) attributes this kind
//    of per-step time to CPU-side scheduling, input preparation and output processing; newer (V1) engines
//    overlap more of it, so this overhead is conservative for them.
//  quant_layer 35 us — quantised linears (GPTQ-Marlin / AWQ-Marlin: four per decoder layer) cost a fixed
//    ~9 us each above their streaming time (the kernel's minimum tile work, scale and zero-point loads,
//    the workspace reduction). Chosen with the other sizes of the same table (see bandwidth above): the
//    0.5B model is slower quantised than in BF16 (about 257-262 vs 311 tok/s) although it reads half the
//    bytes, which only a per-layer cost explains; 35 us puts 0.5B / 3B / 14B / 32B quantised rows within
//    1-12 % where none gave 23-37 % on the small models.
//  int8_read 1.08 — then fitted to GT0273 (GPTQ-Int8, 122.01 tok/s): 8-bit weights stream at 0.81 of the
//    datasheet bandwidth, a little faster than the 16-bit batch-1 GEMV (Marlin 8-bit kernels are built
//    to saturate DRAM at small batch; the 16-bit path is a cuBLAS GEMM with tails).
//  int4_read 0.97 — fitted to GT0274 (GPTQ-Int4, 154.05 tok/s) and GT0275 (AWQ, 148.10 tok/s): Marlin
//    (arXiv:2408.11743) keeps 4-bit batch-1 GEMVs close to the bandwidth bound.
//  fp8_read 1.08 — no public fp8 measurement here; the 8-bit integer value (same bytes, similar kernels).
constexpr EngineSpeed kVllm{/*calibrated=*/true,     /*step_overhead_s=*/2.01e-3, /*layer_overhead_s=*/20e-6,
                            /*cpu_overlaps_gpu=*/false, /*kv_read_factor=*/1.0,      /*kv_read_per_group=*/0.0,
                            /*int8_read=*/1.08,         /*int4_read=*/0.97,          /*fp8_read=*/1.08,
                            /*quant_cpu=*/1.0,          /*quant_cpu_exllama4=*/1.0,  /*quant_layer_s=*/35e-6,
                            /*whole_prompt_prefill=*/false};
const EngineSpeed kVllmSpeed = kVllm;

// Hugging Face transformers generate() (4.46, eager PyTorch, DynamicCache, SDPA attention): fitted
// separately, to GT0256-GT0271 (the same Qwen2.5-7B on the same A100).
//  cpu_overlaps_gpu — eager launches run ahead of the GPU, so a step costs max(CPU launch time, GPU time).
//  layer_overhead 0.83 ms, step_overhead 1.0 ms — GT0256 (BF16, 1-token prompt, 40.38 tok/s = 24.76 ms per
//    token, CPU-bound: the GPU needs ~8.7 ms): (24.76 - 1.0 - 0.58 of cache traffic, below) / 28 layers;
//    ~35 PyTorch ops per Qwen2 layer (modeling_qwen2.py) at ~24 us of Python dispatch and launch each.
//    The 1.0 ms per step (the generate loop's logits processors, stopping criteria, cache bookkeeping) is
//    an assumption that only splits the fit.
//  kv_read_factor, kv_read_per_group — per model in speed_constants(): 3 + 2 x (query heads per KV head). Each step,
//    DynamicCache.update torch.cat's every layer's cache (read + write: 2), and the SDPA path expands K and
//    V to every query head (repeat_kv: write `groups` copies, attention reads them: 2 x groups) besides
//    reading the cache (1) (transformers cache_utils.py, models/qwen2/modeling_qwen2.py). Checked on
//    GT0264 (14,336-token prompt: 17 x KV predicts the 8 ms per step it adds); shorter prompts keep the
//    expanded copies in L2 (GT0260 adds less), longer ones add more (GT0268).
//  quant_cpu 1.29 — GT0257 / GT0259 (GPTQ-Int8 31.55, AWQ 32.03 tok/s): the AutoGPTQ / AutoAWQ kernels
//    add ops per layer. GPTQ 4-bit through the exllama kernels is cheaper: 0.93 (GT0258, 43.10 tok/s).
//  whole_prompt_prefill — generate() runs the whole prompt in one forward pass.
/// transformers eager attention: bytes moved per prefill attention score (speed_constants()).
constexpr double kEagerScoreBytes = 48.0;

const EngineSpeed kTransformersSpeed{
    /*calibrated=*/true,  /*step_overhead_s=*/1.0e-3, /*layer_overhead_s=*/0.83e-3, /*cpu_overlaps_gpu=*/true,
    /*kv_read_factor=*/3.0, /*kv_read_per_group=*/2.0, /*int8_read=*/1.0,           /*int4_read=*/1.0,
    /*fp8_read=*/1.0,     /*quant_cpu=*/1.29,       /*quant_cpu_exllama4=*/0.93,  /*quant_layer_s=*/0.0,
    /*whole_prompt_prefill=*/true};

// Host cost per decoder layer of an engine without CUDA graphs, from a fast to a slow host. Every op of every
// layer is launched from Python each decode step, so the step costs what the CPU takes when that exceeds the
// GPU's work ("host-bound"). The public H200 decode rows (transformers 5.17, batch 1, 512-token prompts; per
// token over the first 8-16 tokens and marginally over the next 24-128, minus 1 ms per step) ran at
//   0.5B 2.17, Qwen2.5-7B 1.92, Llama-3.1-8B 1.67, Qwen3-8B 0.80, gemma-2-9b 1.72, Qwen2.5-32B 1.12 ms per layer
//   (marginal; GPT-2 3.04) and 0.65-0.85 ms over the first tokens, on the same host (docs/host-bound.md):
//  fast 0.65 ms, slow 2.2 ms — the ends of those rates (GT0256's 0.83 ms on the A100 host lies inside).
//  transformers >= 5 (the point estimate): per step 24 ms + per layer 1.05 ms + 0.12 ms per routed expert a token
//    visits in the layer. Fitted to the nine marginal H200 rates (what tokens/s means for a long generation),
//    which a per-layer cost alone does not explain: GPT-2's 12 layers took 37.5 ms per token and Qwen2.5-0.5B
//    (24 layers) 53.1 ms, as long as Qwen2.5-7B (28) 54.8 and Llama-3.1-8B (32) 54.5, so most of a step is a
//    per-step cost of the generate loop (input preparation and mask building each step, logits processors,
//    stopping criteria whose check syncs the GPU; generation/utils.py _sample) at this host's speed, and the
//    MoE rows pay per routed expert (transformers loops over the experts hit; docs/host-bound.md section 1).
//    The shape (step : layer : expert) minimises the spread of measured / estimate over the nine rows (max/min
//    2.2 against 3.6 for a per-layer cost alone); the scale minimises the median tokens/s error over them
//    (8 %; Qwen3-8B and Mixtral ran ~2x faster than the rest, -48..-52 %). Slow host: x 1.1, the largest
//    measured / estimate among the nine (Qwen2.5-0.5B, 1.08); fast host: 1 ms per step and 0.65 ms per layer,
//    the rates of the first 8-16 tokens of the same runs (GPT-2 ran at 0.44 ms per layer all in).
//  transformers 4.x keeps its A100 fit, 0.83 ms (GT0256, above).
//  vLLM --enforce-eager: 0.19-0.63 ms, point 0.35 ms (the geometric middle) — not measured: the transformers
//    range scaled by op count, ~10 kernels per vLLM decoder layer (fused norms, qkv, rotary, cache write,
//    attention, o_proj, gate_up, act-and-mul, down; vllm/model_executor/models/qwen2.py) against ~35 ops per
//    transformers layer (models/qwen2/modeling_qwen2.py).
constexpr double kHostLayerFastS = 0.65e-3;
constexpr double kHostLayerSlowS = 2.2e-3;
constexpr double kTransformers5StepS = 24e-3;
constexpr double kTransformers5LayerS = 1.05e-3;
constexpr double kTransformers5ExpertS = 0.12e-3;
constexpr double kTransformers5SlowFactor = 1.1;
constexpr double kHostStepFastS = 1.0e-3;
constexpr double kVllmEagerLayerS = 0.35e-3;
constexpr double kVllmEagerLayerFastS = 0.19e-3;
constexpr double kVllmEagerLayerSlowS = 0.63e-3;

// "generic" is a well-tuned serving engine: vLLM's constants. SGLang, llama.cpp and others have no
// public speed rows in the reference set: vLLM's constants, marked uncalibrated.
namespace {
constexpr EngineSpeed uncalibrated(EngineSpeed p) {
  p.calibrated = false;
  return p;
}
}  // namespace
const EngineSpeed kBorrowedVllmSpeed = uncalibrated(kVllm);

namespace {

// ---- tensor-parallel links ---------------------------------------------------------------------
// Small-message all-reduce latency: vLLM's custom all-reduce (one-shot over NVLink P2P,
// vllm/distributed/device_communicators/custom_all_reduce.py) runs in a few microseconds; NCCL over PCIe
// in tens (nccl-tests all_reduce_perf small sizes). Assumptions: no TP speed rows in the reference set.
constexpr double kNvlinkLatencyS = 8e-6;
constexpr double kPcieLatencyS = 25e-6;
// When a preset has no interconnect_gbps: PCIe 4.0 x16 carries ~25 GB/s one way in practice (32 GB/s raw);
// NVLink 3 (A100) 300 GB/s one way (600 GB/s total per GPU, NVIDIA A100 datasheet).
constexpr double kPcieDefaultGbps = 25;
constexpr double kNvlinkDefaultGbps = 300;

bool contains(const std::string& hay, const char* needle) { return hay.find(needle) != std::string::npos; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

double tflops_of(const GpuSpec& g, const char* key) {
  auto it = g.tflops.find(key);
  return it == g.tflops.end() ? 0.0 : it->second;
}

// ================================================================================================
// The model's weights as one GPU reads them
// ================================================================================================

bool quantised_role(const WeightFormat& f, TensorRole role) {
  // Same rule as memory.cpp's rank_weights: quantisation applies to linear-layer matrices.
  if (f.method == QuantMethod::kNone) return false;
  if (f.experts_only) return role == TensorRole::kExperts;
  return role == TensorRole::kAttention || role == TensorRole::kMlp || role == TensorRole::kExperts ||
         role == TensorRole::kSharedExperts || role == TensorRole::kMtp;
}

int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? a : (a + b - 1) / b; }

/// One decoder layer on one tensor-parallel rank.
struct RankLayer {
  double dense_q_bytes = 0;    ///< quantised matrices other than routed experts (attention, MLP, shared experts)
  double dense_plain_bytes = 0;///< unquantised tensors (everything when not quantised; norms, biases, router)
  double dense_params = 0;     ///< matrix elements every token multiplies (attention, MLP, shared experts, router)
  double expert_q_bytes = 0;   ///< one routed expert's quantised bytes
  double expert_plain_bytes = 0;
  double expert_params = 0;    ///< one routed expert's matrix elements
};

struct RankModel {
  std::vector<RankLayer> layers;
  double head_q_bytes = 0;     ///< LM head (or the tied embedding it reuses) + final norm, last stage
  double head_plain_bytes = 0;
  double head_params = 0;
  double extra_params = 0;     ///< other per-token matmuls outside the layers (OPT project_in/out)
};

RankModel rank_model(const ModelSpec& m, const WeightFormat& f, int64_t tp) {
  // Same sharding rules as memory.cpp rank_weights (vLLM linear.py / vocab_parallel_embedding.py),
  // without vocabulary padding.
  tp = std::max<int64_t>(1, tp);
  RankModel r;
  r.layers.assign(m.layers.size(), RankLayer{});
  for (const TensorGroup& t : weight_tensors(m, /*include_mtp=*/false)) {
    const ShardShape sh = shard_shape(t, tp, /*vocab_padding=*/1);
    const int64_t rows = sh.rows;
    const int64_t cols = sh.cols;
    const bool quant = t.matrix && quantised_role(f, t.role);
    const double one = quant ? quantized_matrix_bytes(f, rows, cols)
                             : plain_bytes(f.dtype, static_cast<double>(rows) * static_cast<double>(cols));
    const double elems = static_cast<double>(rows) * static_cast<double>(cols);
    const bool matmul = cols > 1;  // vectors (norms, biases) cost no FLOPs worth counting
    if (t.role == TensorRole::kVision || t.role == TensorRole::kMtp || t.role == TensorRole::kPosition) continue;
    if (t.role == TensorRole::kEmbedding) {
      // Token embeddings are looked up (a row per token), not streamed; OPT's projections are matmuls.
      if (std::string(t.name) == "embed_tokens") {
        if (m.tie_word_embeddings) {  // the LM head multiplies by this matrix
          r.head_plain_bytes += one * static_cast<double>(t.count);
          r.head_params += elems * static_cast<double>(t.count);
        }
      } else if (matmul) {
        r.extra_params += elems;
        r.head_plain_bytes += one;
      }
      continue;
    }
    if (t.layer < 0 || t.layer >= static_cast<int32_t>(r.layers.size())) {
      // final norm, LM head (layer -2)
      (quant ? r.head_q_bytes : r.head_plain_bytes) += one * static_cast<double>(t.count);
      if (matmul) r.head_params += elems * static_cast<double>(t.count);
      continue;
    }
    RankLayer& l = r.layers[static_cast<size_t>(t.layer)];
    if (t.role == TensorRole::kExperts) {
      (quant ? l.expert_q_bytes : l.expert_plain_bytes) += one;  // per expert: count = experts
      if (matmul) l.expert_params += elems;
      continue;
    }
    (quant ? l.dense_q_bytes : l.dense_plain_bytes) += one * static_cast<double>(t.count);
    if (matmul) l.dense_params += elems * static_cast<double>(t.count);
  }
  return r;
}

/// Per-step cost of the tensors of `stage` for `tokens` tokens (routed experts: the distinct ones hit).
struct StageWeights {
  double q_bytes = 0;
  double plain_bytes = 0;
  double params_per_token = 0;  ///< matrix elements one token multiplies (top-k experts only)
  double head_params = 0;       ///< LM head matrix elements (per logits row)
};

StageWeights stage_weights_touched(const ModelSpec& m, const RankModel& r, const Stage& s, double tokens) {
  StageWeights w;
  for (int64_t i = s.first_layer; i < s.end_layer; ++i) {
    const RankLayer& l = r.layers[static_cast<size_t>(i)];
    const MlpSpec& mlp = m.layers[static_cast<size_t>(i)].mlp;
    w.q_bytes += l.dense_q_bytes;
    w.plain_bytes += l.dense_plain_bytes;
    w.params_per_token += l.dense_params;
    if (mlp.is_moe()) {
      const double hit = expected_distinct_experts(mlp.num_experts, mlp.experts_per_token, tokens);
      w.q_bytes += hit * l.expert_q_bytes;
      w.plain_bytes += hit * l.expert_plain_bytes;
      w.params_per_token += static_cast<double>(std::min(mlp.experts_per_token, mlp.num_experts)) * l.expert_params;
    }
  }
  if (s.last) {
    w.q_bytes += r.head_q_bytes;
    w.plain_bytes += r.head_plain_bytes;
    w.head_params = r.head_params;
    w.params_per_token += r.extra_params;
  }
  return w;
}

/// KV bytes of one sequence with `tokens` cached tokens on one rank of `stage`, sliding windows capped.
double kv_sequence_bytes(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& s, int64_t tokens) {
  return kv_bytes_per_sequence_rank(m, kv, tp, s, tokens);
}

/// Attention FLOPs on one rank (heads split over tensor-parallel ranks) for a piece of `new_tokens`
/// query tokens after `prefix` cached ones.
double attention_flops_rank(const ModelSpec& m, const Stage& s, int64_t tp, int64_t prefix, int64_t new_tokens,
                            bool decode) {
  double f = 0;
  for (int64_t i = s.first_layer; i < s.end_layer; ++i) {
    const AttentionSpec& a = m.layers[static_cast<size_t>(i)].attn;
    f += attention_flops_layer(a, attended_keys(prefix, new_tokens, a.sliding_window), decode);
  }
  const double heads = m.layers.empty() ? 1.0 : static_cast<double>(m.layers.front().attn.num_heads);
  const double per_rank = static_cast<double>(ceil_div(static_cast<int64_t>(heads), std::max<int64_t>(1, tp)));
  return heads > 0 ? f * per_rank / heads : f;
}

double act_bytes(const Inputs& in) { return dtype_bits(in.act_dtype) / 8.0; }

/// Tensor-parallel communication of one step on `stage` for `tokens` tokens and `logits` sampled rows:
/// two all-reduces per layer (after attention's o_proj and after the MLP's down projection, Megatron-LM
/// arXiv:1909.08053 §3) of tokens x hidden activations, and the LM head's vocabulary-parallel logits
/// gathered (vllm/model_executor/layers/logits_processor.py).
double tp_comm_seconds(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const Stage& s, double tokens,
                       double logits) {
  const int64_t tp = in.layout.tp;
  if (tp <= 1) return 0;
  const double bytes = tokens * static_cast<double>(m.hidden_size) * act_bytes(in);
  const double layers = static_cast<double>(s.end_layer - s.first_layer);
  double t = 2.0 * layers * ring_allreduce_seconds(bytes, tp, k.link_bytes_per_s, k.link_latency_s);
  if (s.last && logits > 0) {
    const double n = static_cast<double>(tp);
    t += (n - 1.0) / n * logits * static_cast<double>(m.vocab_size) * act_bytes(in) / k.link_bytes_per_s +
         k.link_latency_s;
  }
  return t;
}

/// Bytes -> seconds at the calibrated bandwidth (quantised bytes at the dequantising kernels' rate).
double stream_seconds(const SpeedConstants& k, double q_bytes, double plain_bytes) {
  return memory_seconds(q_bytes, k.bandwidth_bytes_per_s, k.bandwidth_efficiency * k.quantized_read_efficiency) +
         memory_seconds(plain_bytes, k.bandwidth_bytes_per_s, k.bandwidth_efficiency);
}

/// Adds the per-layer cost and combines: GPU time = max(memory, compute) + communication. Eager engines
/// launch from the CPU while the GPU works, so their per-layer cost overlaps the GPU time — except the KV
/// cache traffic (`kv_s`): transformers' cache grows by torch.cat every step, and the caching allocator
/// cannot reuse the previous step's smaller block, so fresh allocations synchronise CPU and GPU. Fitted:
/// GT0264 adds its ~8 ms of cache traffic per step on top of the CPU-bound 24.8 ms of GT0256.
void finish(StepCost& c, const SpeedConstants& k, const Stage& s, bool eager, double kv_s) {
  c.overhead_s = static_cast<double>(s.end_layer - s.first_layer) * k.layer_overhead_s;
  c.compute_bound = c.compute_s > c.memory_s;
  const double gpu = std::max(c.memory_s, c.compute_s) + c.communication_s;
  if (!eager) {
    c.seconds = gpu + c.overhead_s;
  } else {
    const double rest = std::max(c.memory_s - kv_s, c.compute_s) + c.communication_s;
    c.seconds = std::max(rest, c.overhead_s) + kv_s;
  }
}

struct Piece {
  int64_t prefix = 0;  ///< tokens of this sequence already cached
  int64_t tokens = 0;  ///< new tokens of this sequence in the step
};

StepCost prefill_cost(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const RankModel& r,
                      const Stage& s, const std::vector<Piece>& pieces, int64_t repeat, int64_t logits, bool eager) {
  // `pieces` of one group of sequences, `repeat` identical groups in the same step.
  StepCost c;
  const int64_t tp = in.layout.tp;
  double tokens = 0;
  double attn = 0;
  double kv = 0;
  for (const Piece& p : pieces) {
    tokens += static_cast<double>(p.tokens);
    attn += attention_flops_rank(m, s, tp, p.prefix, p.tokens, false);
    // Attention reads the cached prefix and writes the new tokens' K/V.
    kv += kv_sequence_bytes(m, in.kv_dtype, tp, s, p.prefix + p.tokens);
  }
  const double rep = static_cast<double>(std::max<int64_t>(1, repeat));
  tokens *= rep;
  attn *= rep;
  kv *= rep;
  const StageWeights w = stage_weights_touched(m, r, s, tokens);
  const double rows = s.last ? static_cast<double>(logits) : 0.0;
  const double lin = linear_flops(w.params_per_token, tokens) + linear_flops(w.head_params, rows);
  c.weight_bytes = w.q_bytes + w.plain_bytes;
  c.kv_bytes = kv;
  c.flops = lin + attn;
  c.memory_s = stream_seconds(k, w.q_bytes, w.plain_bytes + kv);
  c.compute_s = compute_seconds(lin, k.peak_flops_per_s, k.prefill_efficiency) +
                compute_seconds(attn, k.peak_flops_per_s, k.attention_efficiency);
  if (k.eager_score_bytes > 0) {
    // Materialised scores (heads x new tokens x attended keys per layer, per rank): memory-bound kernels that
    // run between the GEMMs, so their time adds. The score GEMMs themselves skip no masked half: twice the
    // causal FLOPs.
    double scores = 0;
    for (const Piece& p : pieces) {
      scores += static_cast<double>(p.tokens) * static_cast<double>(p.prefix + p.tokens);
    }
    double heads = 0;
    for (int64_t i = s.first_layer; i < s.end_layer; ++i) {
      heads += static_cast<double>(ceil_div(m.layers[static_cast<size_t>(i)].attn.num_heads, std::max<int64_t>(1, tp)));
    }
    const double bytes = scores * rep * heads * k.eager_score_bytes;
    c.compute_s += memory_seconds(bytes, k.bandwidth_bytes_per_s, k.bandwidth_efficiency) +
                   compute_seconds(attn, k.peak_flops_per_s, k.attention_efficiency);
  }
  c.communication_s = tp_comm_seconds(m, in, k, s, tokens, rows);
  finish(c, k, s, eager, 0.0);
  return c;
}

StepCost decode_cost(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const RankModel& r,
                     const Stage& s, int64_t sequences, int64_t context, bool eager) {
  StepCost c;
  const int64_t tp = in.layout.tp;
  const double seqs = static_cast<double>(std::max<int64_t>(1, sequences));
  const StageWeights w = stage_weights_touched(m, r, s, seqs);
  // Every running sequence's cache is read once (plus the new token written), sliding windows capped.
  const double kv = seqs * kv_sequence_bytes(m, in.kv_dtype, tp, s, context + 1);
  const double attn = seqs * attention_flops_rank(m, s, tp, context, 1, true);
  const double rows = s.last ? seqs : 0.0;
  const double lin = linear_flops(w.params_per_token, seqs) + linear_flops(w.head_params, rows);
  c.weight_bytes = w.q_bytes + w.plain_bytes;
  c.kv_bytes = kv * k.kv_read_factor;
  c.flops = lin + attn;
  c.memory_s = stream_seconds(k, w.q_bytes, w.plain_bytes + c.kv_bytes);
  c.compute_s = compute_seconds(lin + attn, k.peak_flops_per_s, k.decode_compute_efficiency);
  c.communication_s = tp_comm_seconds(m, in, k, s, seqs, rows);
  finish(c, k, s, eager, memory_seconds(c.kv_bytes, k.bandwidth_bytes_per_s, k.bandwidth_efficiency));
  return c;
}

/// Pipeline hop: hidden states of `tokens` tokens sent to the next stage.
double hop_seconds(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, double tokens) {
  // One stage's output activations over the link between the stages (deploy::pp_send_seconds: the TP ranks
  // send their parts in parallel; across nodes over the scale-out network).
  const double bytes = tokens * static_cast<double>(m.hidden_size) * act_bytes(in);
  const deploy::Layout l{in.layout.tp, in.layout.pp, in.layout.dp};
  return deploy::pp_send_seconds(bytes, l, deploy::node_shape(in.gpu)) + k.pp_link_latency_s;
}

bool is_eager(const SpeedConstants& k) { return k.cpu_overlaps_gpu; }

// ---- the schedule -------------------------------------------------------------------------------

struct Timeline {
  double prefill_gpu_s = 0;  ///< prefill, GPU work (pipeline filled)
  int64_t chunks = 0;        ///< prefill steps
  StepCost prefill_step;     ///< the first chunk on the slowest stage
  double tpot_s = 0;         ///< decode step, averaged over the output
  StepCost decode_step;      ///< at the mean context, slowest stage
};

struct Ctx {
  const ModelSpec& m;
  const Inputs& in;
  const SpeedConstants& k;
  const RankModel& r;
  std::vector<Stage> stages;
};

/// Cost of a prefill step through every stage: the slowest stage (pipelined chunks) and the sum (one chunk).
void prefill_through_stages(const Ctx& x, const std::vector<Piece>& pieces, int64_t repeat, int64_t logits,
                            double* slowest, double* sum, StepCost* worst) {
  *slowest = 0;
  *sum = 0;
  double tokens = 0;
  for (const Piece& p : pieces) tokens += static_cast<double>(p.tokens);
  tokens *= static_cast<double>(std::max<int64_t>(1, repeat));
  for (const Stage& s : x.stages) {
    const StepCost c = prefill_cost(x.m, x.in, x.k, x.r, s, pieces, repeat, logits, is_eager(x.k));
    if (c.seconds >= *slowest) {
      *slowest = c.seconds;
      if (worst) *worst = c;
    }
    *sum += c.seconds;
  }
  if (x.stages.size() > 1) *sum += static_cast<double>(x.stages.size() - 1) * hop_seconds(x.m, x.in, x.k, tokens);
}

/// Prefill of `seqs` prompts of `prompt` tokens in chunks of `chunk` tokens (vLLM chunked prefill packs
/// prompts into steps of max_num_batched_tokens tokens; a prompt longer than that is split).
void prefill_timeline(const Ctx& x, int64_t seqs, int64_t prompt, int64_t chunk, Timeline* t) {
  chunk = std::max<int64_t>(1, chunk);
  prompt = std::max<int64_t>(1, prompt);
  double total = 0;       // sum over steps of the slowest stage
  double first_sum = 0;   // the first step's pass through every stage (pipeline fill)
  double first_slow = 0;
  int64_t steps = 0;
  bool have_first = false;
  auto account = [&](double slow, double sum, int64_t times) {
    if (!have_first) {
      first_sum = sum;
      first_slow = slow;
      have_first = true;
    }
    total += slow * static_cast<double>(times);
    steps += times;
  };
  if (prompt >= chunk) {
    // Each prompt alone, split into ceil(prompt / chunk) steps with a growing prefix; prompts are alike.
    const int64_t n = ceil_div(prompt, chunk);
    // Very many chunks (tiny chunk settings): evaluate an even sample and scale (the cost is smooth in the prefix).
    const int64_t samples = std::min<int64_t>(n, 512);
    double per_prompt = 0;
    for (int64_t j = 0; j < samples; ++j) {
      const int64_t idx = samples == n ? j : (j * n + n / 2) / samples;
      const int64_t prefix = idx * chunk;
      const Piece p{prefix, std::min(chunk, prompt - prefix)};
      double slow = 0, sum = 0;
      StepCost worst;
      prefill_through_stages(x, {p}, 1, prefix + p.tokens >= prompt ? 1 : 0, &slow, &sum, &worst);
      if (j == 0) {
        t->prefill_step = worst;
        account(slow, sum, 0);
      }
      per_prompt += slow;
    }
    per_prompt *= static_cast<double>(n) / static_cast<double>(samples);
    total += per_prompt * static_cast<double>(seqs);
    steps += n * seqs;
  } else {
    // Whole prompts packed floor(chunk / prompt) per step.
    const int64_t per_step = std::max<int64_t>(1, std::min(seqs, chunk / prompt));
    const int64_t full = seqs / per_step;
    const int64_t rest = seqs % per_step;
    double slow = 0, sum = 0;
    StepCost worst;
    prefill_through_stages(x, {Piece{0, prompt}}, per_step, per_step, &slow, &sum, &worst);
    t->prefill_step = worst;
    account(slow, sum, full);
    if (rest > 0) {
      prefill_through_stages(x, {Piece{0, prompt}}, rest, rest, &slow, &sum, &worst);
      account(slow, sum, 1);
    }
  }
  // Pipelined: steps follow each other one stage apart; the first one crosses every stage.
  t->prefill_gpu_s = total + (first_sum - first_slow);
  t->chunks = steps;
}

/// Decode: `seqs` sequences per replica, contexts growing from `prompt` over `output` tokens. Pipeline
/// stages take the sequences in ceil(seqs / pp) micro-batches (vLLM's virtual engines): a sequence's token
/// passes every stage in turn, so with fewer sequences than stages the other stages idle (the bubble).
void decode_timeline(const Ctx& x, int64_t seqs, int64_t prompt, int64_t output, Timeline* t) {
  const int64_t pp = static_cast<int64_t>(x.stages.size());
  const int64_t micro = ceil_div(std::max<int64_t>(1, seqs), pp);
  // The step cost is near-linear in the context: average it at up to 8 evenly spaced points.
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(output, 8));
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t ctx = prompt + static_cast<int64_t>((static_cast<double>(j) + 0.5) * static_cast<double>(output) /
                                                      static_cast<double>(n));
    double step = 0;
    StepCost worst;
    for (const Stage& s : x.stages) {
      const StepCost c = decode_cost(x.m, x.in, x.k, x.r, s, micro, ctx, is_eager(x.k));
      step += c.seconds;
      if (c.seconds >= worst.seconds) worst = c;
    }
    if (pp > 1) step += static_cast<double>(pp - 1) * hop_seconds(x.m, x.in, x.k, static_cast<double>(micro));
    step += x.k.step_overhead_s;
    sum += step;
    if (j == n / 2) t->decode_step = worst;
  }
  t->tpot_s = sum / static_cast<double>(n);
}

// One point: `total` requests over dp replicas, served together.
SpeedPoint point_at(const Ctx& x, int64_t dp, int64_t chunk, int64_t input, int64_t output, int64_t total,
                    Timeline* tl, const std::function<void(int64_t, Timeline*)>* adjust = nullptr) {
  const int64_t per_replica = ceil_div(std::max<int64_t>(1, total), dp);
  prefill_timeline(x, per_replica, input, chunk, tl);
#if !LLMSIZER_LITE  // no image requests in the lite module
  if (x.in.images > 0) {
    // The vision tower's forward before the prefill: 2 x tower parameters x patches per request (model/vision.h
    // vision_flops), at the prefill GEMM efficiency.
    const double flops = 2.0 * static_cast<double>(x.m.vision.tower_parameters) *
                         static_cast<double>(x.in.images * x.in.image.encoder_tokens) * static_cast<double>(per_replica);
    tl->prefill_gpu_s += compute_seconds(flops, x.k.peak_flops_per_s, x.k.prefill_efficiency);
  }
#endif
  decode_timeline(x, per_replica, input, output, tl);
  if (adjust) (*adjust)(per_replica, tl);  // weights in host memory (estimate_speed)
  SpeedPoint p;
  p.concurrency = total;
  // The engine runs one step per prefill chunk; the last one samples the first token.
  p.ttft_seconds = tl->prefill_gpu_s + static_cast<double>(tl->chunks) * x.k.step_overhead_s;
  p.tpot_seconds = tl->tpot_s;
  p.per_user_tokens_per_second = 1.0 / p.tpot_seconds;
  const double e2e = p.ttft_seconds + p.tpot_seconds * static_cast<double>(output);
  p.throughput_tokens_per_second = static_cast<double>(total * output) / e2e;
  p.decode_throughput_tokens_per_second = static_cast<double>(total) / p.tpot_seconds;
  p.compute_bound = tl->decode_step.compute_bound;
  return p;
}

/// Host-bound decode: the request's TPOT with the fast and the slow host's per-layer cost, and whether the host
/// (the per-layer launches, at the point estimate) takes longer than the GPU's work of the decode step.
void host_range(const Ctx& x, SpeedEstimate& out, const Timeline& tl) {
  out.tpot_fast_host_seconds = out.tpot_slow_host_seconds = out.tpot_seconds;
  if (!is_eager(x.k)) return;
  const StepCost& d = tl.decode_step;
  out.host_bound = d.overhead_s > std::max(d.memory_s, d.compute_s) + d.communication_s;
  const int64_t dp = std::max<int64_t>(1, x.in.layout.dp);
  const int64_t per_replica = ceil_div(out.batch, dp);
  for (const bool fast : {true, false}) {
    SpeedConstants k = x.k;
    k.layer_overhead_s = fast ? k.layer_overhead_fast_s : k.layer_overhead_slow_s;
    k.step_overhead_s = fast ? k.step_overhead_fast_s : k.step_overhead_slow_s;
    const Ctx y{x.m, x.in, k, x.r, x.stages};
    Timeline t;
    decode_timeline(y, per_replica, out.input_tokens, out.output_tokens, &t);
    (fast ? out.tpot_fast_host_seconds : out.tpot_slow_host_seconds) = t.tpot_s;
  }
  if (out.host_bound) {
    out.constants.notes.push_back(
        "host-bound decode: without CUDA graphs the CPU launching each layer's ops takes longer than the GPU's "
        "work; time per output token depends on the host's CPU (fast to slow host: per step " +
        std::to_string(static_cast<int>(std::lround(x.k.step_overhead_fast_s * 1e6))) + "-" +
        std::to_string(static_cast<int>(std::lround(x.k.step_overhead_slow_s * 1e6))) + " us, per layer " +
        std::to_string(static_cast<int>(std::lround(x.k.layer_overhead_fast_s * 1e6))) + "-" +
        std::to_string(static_cast<int>(std::lround(x.k.layer_overhead_slow_s * 1e6))) + " us)");
  }
}

// ---- the constants, section by section (speed_constants) ----------------------------------------

/// The compute dtype (what the GEMMs run in: the `tflops` key of the GPU preset) and the GPU's dense peak for it.
void compute_peak(const Inputs& in, SpeedConstants& k) {
  // fp8 checkpoints run W8A8 fp8 GEMMs where the GPU has fp8 tensor cores (Ada, Hopper, Blackwell; vLLM
  // fp8.py: activations quantised on the fly), else weight-only fp8 (Marlin) in 16-bit. 8-bit integer
  // weights are taken as weight-only (GPTQ-Int8 / W8A16, the common kind; the format does not record
  // whether activations are quantised): 16-bit GEMMs. With int8 peak the GPTQ-Int8 long-prompt rows come
  // out 25-70 % too fast (GT0289, GT0293); W8A8 int8 GEMMs would prefill up to 2x faster than this.
  // GPTQ / AWQ / NF4 / MXFP4 dequantise into 16-bit GEMMs.
  std::string dtype = dtype_name(in.act_dtype);
  if (in.weights.method == QuantMethod::kFp8 && tflops_of(in.gpu, "fp8") > 0) dtype = "fp8";
  double peak = tflops_of(in.gpu, dtype.c_str());
  if (peak <= 0 && (dtype == "bf16" || dtype == "fp16")) {
    dtype = dtype == "bf16" ? "fp16" : "bf16";  // GPUs listing one 16-bit rate (V100, T4: fp16 only)
    peak = tflops_of(in.gpu, dtype.c_str());
  }
  if (peak <= 0 && dtype != "fp32") {
    dtype = "fp16";
    peak = tflops_of(in.gpu, "fp16");
    if (peak <= 0) {
      dtype = "bf16";
      peak = tflops_of(in.gpu, "bf16");
    }
  }
  if (peak <= 0) {
    dtype = "fp32";
    peak = tflops_of(in.gpu, "fp32");
  }
  k.compute_dtype = dtype;
  k.peak_flops_per_s = peak * 1e12;
}

/// Quantised weights: the dequantising kernels' read efficiency, and what their launches add per layer.
void quantized_kernels(const WeightFormat& f, const EngineSpeed& ep, SpeedConstants& k) {
  // By bits for the group formats (GPTQ/AWQ/compressed-tensors 8-bit run the 8-bit kernels); formats
  // added later fall in by their width.
  if (f.method == QuantMethod::kFp8) {
    k.quantized_read_efficiency = ep.fp8_read;
  } else if (f.method == QuantMethod::kInt8) {
    k.quantized_read_efficiency = ep.int8_read;
  } else if (f.method != QuantMethod::kNone) {
    k.quantized_read_efficiency = f.bits > 6 ? ep.int8_read : ep.int4_read;
  }
  if (f.method != QuantMethod::kNone && ep.cpu_overlaps_gpu) {
    // Eager engines: quantised layers launch more ops (GPTQ 4-bit through exllama kernels excepted, GT0258).
    const bool exllama4 = f.method == QuantMethod::kGptq && f.bits <= 4.5;
    const double factor = exllama4 ? ep.quant_cpu_exllama4 : ep.quant_cpu;
    k.layer_overhead_s *= factor;
    k.layer_overhead_fast_s *= factor;
    k.layer_overhead_slow_s *= factor;
  } else if (f.method != QuantMethod::kNone) {
    k.layer_overhead_s += ep.quant_layer_s;
    k.layer_overhead_fast_s += ep.quant_layer_s;
    k.layer_overhead_slow_s += ep.quant_layer_s;
  }
}

/// Routed experts a token visits per decoder layer, averaged over the layers (dense layers count 0).
double routed_experts_per_layer(const ModelSpec& m) {
  if (m.layers.empty()) return 0;
  double sum = 0;
  for (const LayerSpec& l : m.layers) {
    if (l.mlp.is_moe()) sum += static_cast<double>(l.mlp.experts_per_token);
  }
  return sum / static_cast<double>(m.layers.size());
}

/// The per-step and per-layer host costs of engines without CUDA graphs and their fast..slow ranges (constants above).
void host_overheads(const ModelSpec& m, const Inputs& in, SpeedConstants& k) {
  k.step_overhead_fast_s = k.step_overhead_slow_s = k.step_overhead_s;
  if (in.engine == EngineId::kVllm && in.vllm.enforce_eager) {
    k.cpu_overlaps_gpu = true;
    k.layer_overhead_s = kVllmEagerLayerS;
    k.layer_overhead_fast_s = kVllmEagerLayerFastS;
    k.layer_overhead_slow_s = kVllmEagerLayerSlowS;
    k.notes.push_back("--enforce-eager: no CUDA graphs; the per-layer host cost (0.19-0.63 ms, 0.35 ms used) is "
                      "not measured for vLLM (transformers' range scaled by kernels per layer)");
    return;
  }
  if (!k.cpu_overlaps_gpu) {
    k.layer_overhead_fast_s = k.layer_overhead_slow_s = k.layer_overhead_s;
    return;
  }
  if (in.engine == EngineId::kTransformers && in.transformers.version_major >= 5) {
    k.step_overhead_s = kTransformers5StepS;
    k.layer_overhead_s = kTransformers5LayerS + kTransformers5ExpertS * routed_experts_per_layer(m);
    k.step_overhead_fast_s = kHostStepFastS;
    k.step_overhead_slow_s = kTransformers5SlowFactor * k.step_overhead_s;
    k.layer_overhead_fast_s = kHostLayerFastS;
    k.layer_overhead_slow_s = kTransformers5SlowFactor * k.layer_overhead_s;
    return;
  }
  k.layer_overhead_fast_s = std::min(kHostLayerFastS, k.layer_overhead_s);
  k.layer_overhead_slow_s = std::max(kHostLayerSlowS, k.layer_overhead_s);
}

/// Tokens per prefill step (chunked prefill).
double prefill_chunk_tokens(const Inputs& in, const EngineSpeed& ep) {
  // vLLM: max_num_batched_tokens (its default varies by version and GPU; the request's value when given,
  // else the tokens per prefill step the request resolved, 8192 by default). transformers: the whole
  // prompt in one forward pass.
  if (ep.whole_prompt_prefill) return static_cast<double>(std::numeric_limits<int32_t>::max());
  if (in.vllm.max_num_batched_tokens > 0) return static_cast<double>(in.vllm.max_num_batched_tokens);
  return static_cast<double>(std::max<int64_t>(1, in.prefill_tokens));
}

bool fast_link(const std::string& kind) {
  // Scale-up links (NVLink/NVSwitch, AMD Infinity Fabric / xGMI, Huawei HCCS, TPU ICI, Gaudi's on-chip RoCE) vs
  // PCIe and networks.
  const std::string ic = lower(kind);
  return contains(ic, "nvlink") || contains(ic, "nvswitch") || contains(ic, "infinity") || contains(ic, "xgmi") ||
         contains(ic, "hccs") || contains(ic, "ici") || contains(ic, "gaudi-roce");
}

/// The link between tensor-parallel ranks (its class, one-way bandwidth and latency) and the one a pipeline
/// boundary crosses; returns the TP link's GB/s. The links come from the GPU's node shape (deploy::tp_link /
/// pp_link, presets/gpus.json node fields): a TP group inside the NVLink domain talks over NVLink, one larger
/// than an NVLink pair (H100 NVL) over the node's PCIe, and a pipeline stage on another node over the scale-out
/// network.
double tp_link(const Inputs& in, SpeedConstants& k) {
  const GpuSpec& g = in.gpu;
  const deploy::NodeShape shape = deploy::node_shape(g);
  const deploy::Link l = deploy::tp_link(std::max<int64_t>(2, in.layout.tp), shape);
  const bool fast = fast_link(l.kind) && !l.crosses_nodes;
  k.interconnect = fast ? "nvlink" : "pcie";
  double gbps = l.gbps > 0 ? l.gbps : kPcieDefaultGbps;
  // A preset naming a fast link without its bandwidth: NVLink 3's figure, as before node shapes.
  if (fast && g.interconnect_gbps <= 0 && l.kind == shape.scale_up.kind) gbps = kNvlinkDefaultGbps;
  k.link_bytes_per_s = gbps * 1e9;
  k.link_latency_s = fast ? kNvlinkLatencyS : kPcieLatencyS;
  // Pipeline hand-offs: the stage's TP ranks send their slices in parallel (deploy::pp_send_seconds).
  const deploy::Link p = deploy::pp_link(deploy::Layout{in.layout.tp, in.layout.pp, in.layout.dp}, shape);
  k.pp_link = p.kind;
  k.pp_link_crosses_nodes = p.crosses_nodes;
  k.pp_link_latency_s = fast_link(p.kind) && !p.crosses_nodes ? kNvlinkLatencyS : kPcieLatencyS;
  return gbps;
}

/// What the numbers rest on: the calibration, and what is borrowed or not measured.
void speed_notes(const Inputs& in, double gbps, SpeedConstants& k) {
  const WeightFormat& f = in.weights;
  const bool llm_int8 = f.method == QuantMethod::kInt8 && contains(f.label, "LLM.int8");
  k.notes.push_back(
      "efficiencies calibrated on Qwen2.5-7B-Instruct, one A100 80GB, vLLM 0.6.x and transformers 4.46 "
      "(Qwen2.5 speed benchmark, cases GT0256-GT0295 of the public validation set)");
  if (k.gpu_family == "hopper") {
    k.notes.push_back("Hopper: weight streaming (0.66 of the bandwidth) and prefill efficiencies (0.50 GEMM) from "
                      "the public H200 rows (transformers 5.17, batch-1 matrix-vector passes and sdpa prefill)");
  }
  if (!k.gpu_family_calibrated) {
    k.notes.push_back("no public speed measurements for the " + k.gpu_family +
                      " GPU family: the A100 (Ampere) efficiencies are used with this GPU's own bandwidth and peak");
  }
  if (!k.engine_calibrated) {
    k.notes.push_back("no public speed measurements for engine '" + k.engine +
                      "': vLLM's calibrated overheads are used");
  }
  if (f.method == QuantMethod::kFp8) {
    k.notes.push_back("fp8 weight read efficiency not measured: the 8-bit integer value is used");
  }
  if (f.method == QuantMethod::kBnb4 || f.method == QuantMethod::kMxfp4 || llm_int8) {
    k.notes.push_back(std::string(quant_method_name(f.method)) +
                      " kernels not measured: the GPTQ/AWQ read efficiency is used (bitsandbytes kernels are "
                      "usually slower)");
  }
  if (in.layout.tp > 1 || in.layout.pp > 1) {
    k.notes.push_back(std::string("tensor/pipeline-parallel communication over ") +
                      (k.interconnect == "nvlink" ? "NVLink-class" : "PCIe") + " links, " +
                      std::to_string(static_cast<int>(gbps)) + " GB/s one way and " + std::to_string(static_cast<int>(k.link_latency_s * 1e6)) +
                      " us per collective (not calibrated: no multi-GPU speed rows)");
  }
  if (in.layout.pp > 1 && k.pp_link_crosses_nodes) {
    k.notes.push_back("pipeline stages on different nodes: each hand-off crosses the " + k.pp_link +
                      " scale-out network (the GPU preset's inter_node_gbps per GPU), " +
                      std::to_string(static_cast<int>(k.pp_link_latency_s * 1e6)) + " us per hop (not calibrated)");
  }
}

}  // namespace

// ================================================================================================
// Public entry points
// ================================================================================================

std::string gpu_family(const GpuSpec& gpu) {
  // The preset's architecture when it has one; else read from the id, then the name (custom GPUs).
  if (!gpu.architecture.empty()) return lower(gpu.architecture);
  for (const std::string& text : {lower(gpu.id), lower(gpu.name)}) {
    for (const auto& f : kFamilies) {
      if (contains(text, f[0])) return f[1];
    }
  }
  return "";
}

SpeedConstants speed_constants(const ModelSpec& m, const Inputs& in) {
  SpeedConstants k;
  const std::string fam = gpu_family(in.gpu);
  const FamilyProfile fp = family_profile(fam);
  const Engine& engine = engine_of(in);
  const EngineSpeed& ep = *engine.speed;
  k.gpu_family = fam.empty() ? "unknown" : fam;
  k.gpu_family_calibrated = fp.calibrated && fam == fp.family;
  k.engine = engine.name;
  k.engine_calibrated = ep.calibrated;
  k.cpu_overlaps_gpu = ep.cpu_overlaps_gpu;
  k.bandwidth_bytes_per_s = in.gpu.memory_bandwidth_gbps * 1e9;
  k.bandwidth_efficiency = fp.bandwidth;
  k.prefill_efficiency = fp.prefill;
  k.attention_efficiency = fp.attention;
  k.decode_compute_efficiency = fp.decode_compute;
  k.step_overhead_s = ep.step_overhead_s;
  k.layer_overhead_s = ep.layer_overhead_s;
  host_overheads(m, in, k);
  k.kv_read_factor = ep.kv_read_factor;
  compute_peak(in, k);
  quantized_kernels(in.weights, ep, k);
  if (ep.kv_read_per_group > 0 && !m.layers.empty() && !m.layers.front().attn.mla) {
    const AttentionSpec& a = m.layers.front().attn;
    const double groups = static_cast<double>(a.num_heads) / static_cast<double>(std::max<int64_t>(1, a.num_kv_heads));
    k.kv_read_factor = ep.kv_read_factor + ep.kv_read_per_group * groups;
  }

  k.prefill_chunk_tokens = prefill_chunk_tokens(in, ep);
  if (ep.whole_prompt_prefill && hf::attention_of(m, in.transformers) == AttentionImpl::kEager) {
    // transformers eager attention (eager_attention_forward): the scores are written by q.k^T, read and written
    // by the scaling, the mask addition, the fp32 upcast, the softmax (two passes over its input) and the cast
    // back, and read by the product with V: 2+4+4+6+12+6+2 = 36 B per bf16 score, memory-bound elementwise
    // kernels. Fitted on the public eager row (Qwen2-7B, 8,192 prompt tokens, H200: ~0.7 s above sdpa) the
    // kernels move ~48 B per score at the calibrated bandwidth efficiency (unfused launches, cache misses).
    k.eager_score_bytes = kEagerScoreBytes;
    k.notes.push_back("eager attention: " + std::to_string(static_cast<int>(kEagerScoreBytes)) +
                      " B moved per prefill attention score (scores materialised; fitted on one H200 measurement)");
  }
  const double gbps = tp_link(in, k);
  // ---- request overrides ----
  if (in.request.bandwidth_efficiency > 0) {
    k.bandwidth_efficiency = in.request.bandwidth_efficiency;
    k.notes.push_back("bandwidth efficiency set by the request");
  }
  if (in.request.prefill_efficiency > 0) {
    k.prefill_efficiency = in.request.prefill_efficiency;
    k.notes.push_back("prefill efficiency set by the request");
  }

  speed_notes(in, gbps, k);
  return k;
}

StepCost decode_step(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const Stage& stage,
                     int64_t sequences, int64_t context) {
  const RankModel r = rank_model(m, in.weights, in.layout.tp);
  return decode_cost(m, in, k, r, stage, sequences, context, is_eager(k));
}

StepCost prefill_step(const ModelSpec& m, const Inputs& in, const SpeedConstants& k, const Stage& stage,
                      int64_t tokens, int64_t sequences, int64_t prefix, int64_t logits) {
  const RankModel r = rank_model(m, in.weights, in.layout.tp);
  sequences = std::max<int64_t>(1, sequences);
  const int64_t each = tokens / sequences;
  std::vector<Piece> pieces;
  for (int64_t i = 0; i < sequences; ++i) {
    pieces.push_back(Piece{prefix, each + (i < tokens % sequences ? 1 : 0)});
  }
  return prefill_cost(m, in, k, r, stage, pieces, 1, logits, is_eager(k));
}

std::optional<SpeedPoint> speed_point(const ModelSpec& m, const Inputs& in, int64_t concurrency) {
  const SpeedConstants k = speed_constants(m, in);
  if (m.layers.empty() || k.bandwidth_bytes_per_s <= 0 || k.peak_flops_per_s <= 0) return std::nullopt;
  const RankModel r = rank_model(m, in.weights, in.layout.tp);
  const Ctx x{m, in, k, r, pipeline_stages(m.num_hidden_layers(), in.layout.pp)};
  const int64_t chunk = static_cast<int64_t>(std::min(k.prefill_chunk_tokens, 1e15));
  Timeline tl;
  return point_at(x, std::max<int64_t>(1, in.layout.dp), chunk, std::max<int64_t>(1, in.input_tokens),
                  std::max<int64_t>(1, in.output_tokens), std::max<int64_t>(1, concurrency), &tl);
}

SpeedEstimate estimate_speed(const ModelSpec& m, const Inputs& in, const EnginePlan& plan) {
  SpeedEstimate out;
  out.batch = std::max<int64_t>(1, in.batch);
  out.input_tokens = std::max<int64_t>(1, in.input_tokens);
  out.output_tokens = std::max<int64_t>(1, in.output_tokens);
  out.max_concurrency = plan.max_concurrency;
  out.constants = speed_constants(m, in);
  const SpeedConstants& k = out.constants;
  if (m.layers.empty()) {
    out.unavailable_reason = "the model has no decoder layers";
    return out;
  }
  if (k.bandwidth_bytes_per_s <= 0 || k.peak_flops_per_s <= 0) {
    out.unavailable_reason = "the GPU '" + in.gpu.name +
                             "' has no memory bandwidth or TFLOPS figures: choose a GPU preset (--gpu) to get speed";
    return out;
  }
  out.available = true;
  const RankModel r = rank_model(m, in.weights, in.layout.tp);
  const Ctx x{m, in, k, r, pipeline_stages(m.num_hidden_layers(), in.layout.pp)};
  const int64_t dp = std::max<int64_t>(1, in.layout.dp);
  const int64_t chunk = static_cast<int64_t>(std::min(k.prefill_chunk_tokens, 1e15));

  // Weights in host memory (llama.cpp offload): the CPU streams them each decode step, prefill uploads them.
  const HostSpeed host = host_speed(in);
  const double gpu_rate = k.bandwidth_bytes_per_s * k.bandwidth_efficiency *
                          (in.weights.method == QuantMethod::kNone ? 1.0 : k.quantized_read_efficiency);
  const std::function<void(int64_t, Timeline*)> offload = [&](int64_t seqs, Timeline* tl) {
    if (!plan.host.any()) return;
    const int64_t mid = out.input_tokens + out.output_tokens / 2;
    const double cpu = host_decode_seconds(m, plan.host, host, seqs, mid, plan.kv_cache_tokens);
    const double moved = gpu_seconds_not_spent(m, plan.host, gpu_rate, seqs, mid, plan.kv_cache_tokens);
    tl->tpot_s += cpu - std::min(moved, 0.9 * tl->tpot_s);
    tl->prefill_gpu_s += host_prefill_seconds(plan.host, host, seqs * out.input_tokens);
  };

  // One point: `total` requests over dp replicas, served together.
  auto point = [&](int64_t total, Timeline* tl) {
    return point_at(x, dp, chunk, out.input_tokens, out.output_tokens, total, tl, &offload);
  };

  Timeline tl;
  const SpeedPoint req = point(out.batch, &tl);
  out.prefill_seconds = tl.prefill_gpu_s;
  out.ttft_seconds = req.ttft_seconds;
  out.tpot_seconds = req.tpot_seconds;
  out.e2e_latency_seconds = out.ttft_seconds + out.tpot_seconds * static_cast<double>(out.output_tokens);
  out.decode_tokens_per_second = req.per_user_tokens_per_second;
  out.throughput_tokens_per_second = req.throughput_tokens_per_second;
  out.decode = tl.decode_step;
  out.prefill = tl.prefill_step;
  out.prefill_chunks = tl.chunks;
  out.bound = tl.decode_step.compute_bound ? "compute" : "memory";
  if (plan.host.any()) {
    out.host_offload = true;
    out.host_bandwidth_bytes_per_s = host.bandwidth_bytes_per_s;
    out.host_bandwidth_basis = host.basis;
    out.host_upload_bytes_per_s = host.upload_bytes_per_s;
    const int64_t mid = out.input_tokens + out.output_tokens / 2;
    const int64_t seqs = ceil_div(out.batch, dp);
    out.host_decode_seconds = host_decode_seconds(m, plan.host, host, seqs, mid, plan.kv_cache_tokens);
    out.host_prefill_seconds = host_prefill_seconds(plan.host, host, seqs * out.input_tokens);
    // The CPU's share sets the pace when it is most of the step (memory-bound on the host).
    if (out.host_decode_seconds > 0.5 * out.tpot_seconds) out.bound = "host memory";
  }
  out.prefill_bound = tl.prefill_step.compute_bound ? "compute" : "memory";
  host_range(x, out, tl);

  // The curve: 1, 2, 4, ... below the KV-cache limit, and the limit itself.
  const double limit = std::floor(std::max(0.0, plan.max_concurrency));
  if (limit < 1) {
    out.warnings.push_back({"speed_curve_empty",
                            "not even one request of this length fits the KV cache: no throughput curve"});
  } else {
    const int64_t top = static_cast<int64_t>(std::min(limit, 1e9));
    std::vector<int64_t> cs;
    for (int64_t c = 1; c < top && cs.size() < 30; c *= 2) cs.push_back(c);
    cs.push_back(top);
    for (int64_t c : cs) {
      Timeline t2;
      out.curve.push_back(point(c, &t2));
    }
    if (static_cast<double>(out.batch) > limit) {
      out.warnings.push_back({"batch_beyond_kv_limit",
                              "batch " + std::to_string(out.batch) + " exceeds the " + std::to_string(top) +
                                  " sequences the KV cache holds: the speed assumes they all run at once; an "
                                  "engine would queue the rest"});
    }
  }
  return out;
}

}  // namespace llmsizer
