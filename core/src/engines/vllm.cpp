// vLLM V1 engine emulation (rules of vLLM 0.19; see ENGINES.md beside the shared reference data).
//
// What vLLM does at start-up, per GPU (vllm/v1/worker/gpu_worker.py determine_available_memory, and
// vllm/v1/core/kv_cache_utils.py for the KV cache):
//   requested  = total_memory x gpu_memory_utilization
//   available  = requested - weights ("Model loading took X GiB") - torch activation peak of a profiling run
//                - non-torch memory that appeared since start-up (NCCL/cuBLAS workspaces)
//   num_blocks = available // page bytes // layers   (min over all workers; hybrid models group layers)
//   logs "GPU KV cache size: num_blocks x block_size tokens" and
//        "Maximum concurrency for L tokens per request: num_blocks / blocks per request".
// The CUDA context (~0.5 GiB, before the first snapshot) and CUDA graphs live outside the budget in 0.19.
//
// Calibration (the public llm-d-planner sweep of vLLM 0.19 on H100 80GB, 26 start-up logs; per GPU):
//   budget - weights - KV(num_blocks) = activation + non-torch, and the logs print both parts:
//     Llama-3.1-8B   TP1: 1.89 + 0.25   TP2: 1.89 + 2.07   TP4: 1.89 + 2.13   PP2/PP4 first stage: 1.10/1.05 + 0.07
//                   (the last PP stage, which binds, leaves 2.09/2.08 = sampler 1.89 + ~0.2)
//     Llama fp32    TP1: 2.21 + 0.25      Qwen2.5-7B  TP1/2/4: 2.21 + 0.24 / 2.06 / 2.13
//     gemma-2-9b    TP1: 3.65 + 0.25      Mixtral-8x7B TP2: 1.21 + 2.07      DeepSeek-V2-Lite TP1: 1.93 + 0.26
//   The activation peak does not move with max_model_len (2k..32k) but with the vocabulary: 1.89 GiB at
//   128,256, 2.21 at 152,064, 3.65 at 256,000. It is the sampler warm-up: 1024 rows (max_num_seqs) of logits
//   in the model dtype plus fp32 sampler work tensors, 12.7-13.1 bytes per logit over the model-dtype copy in all
//   four dense cases (bf16 and fp32), plus the 8192 x hidden output of the forward it samples from. Where the
//   forward of 8192 tokens is larger (Mixtral: fused-MoE caches; pipeline stages without the sampler) it sets
//   the peak: the MoE/MLP intermediates plus 7 hidden-size vectors per token (residual, normed input, layer
//   outputs and compiled-graph temporaries) reproduce Llama's 1.05-1.10 and Mixtral's 1.21 (-0.12) GiB.
//   DeepSeek-V2-Lite's 1.93 GiB is not explained by these terms (we get the sampler's 1.50): its KV comes out
//   1 % high. The non-torch increase is 0.25 GiB alone; with TP it adds ~1.8 GiB on H100 (NCCL NVLink-SHARP
//   buffers on NVSwitch systems) plus ~32 MiB per extra peer (TP2 2.07, TP4 2.13).
// These are rules per engine version and GPU family, never per model.
#include "engines/vllm.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "engines/util.h"
#include "model/vision.h"
#include "units.h"

namespace llmsizer {
namespace vllm {

namespace {

using engine_util::ceil_div;

/// Hidden-size vectors per token alive beside the largest layer transient during the profiling forward
/// (residual, normed input, attention/MLP outputs, torch.compile temporaries). Fitted: Llama-3.1-8B pipeline
/// stages (1.10 / 1.05 GiB at 8192 tokens) and Mixtral-8x7B TP2 (1.21 GiB); see the header comment.
constexpr double kForwardHiddenCopies = 7.0;
/// fp32 sampler work tensors per logit beyond the logits themselves (_dummy_sampler_run: fp32 logits,
/// probabilities, random exponentials, masks). Fitted on the four dense public cases: 12.7-13.1.
constexpr double kSamplerBytesPerLogit = 13.0;
/// Non-torch memory of the profiling run on one GPU without tensor parallelism (cuBLAS/cuBLASLt workspaces,
/// allocator and kernel-module growth): 0.24-0.26 GiB in every TP1 log.
constexpr int64_t kNonTorchBase = 256 * kMiB;
/// NCCL buffers per extra tensor-parallel peer (TP4 - TP2 = 0.06 GiB for two more peers).
constexpr int64_t kNcclPerPeer = 32 * kMiB;
/// NCCL NVLink-SHARP (NVLS) buffers on NVSwitch systems: TP2 on H100 = 2.07 GiB = 0.25 + 0.03 + 1.79.
constexpr int64_t kNvlsBuffers = 1832 * kMiB;
/// V0's profiling forward: hidden-size vectors per token beside the MLP's gate_up and activation outputs.
/// Published V0 logs of an 8B Llama-shaped model show ~110 KB per profiled token = (3 I + 3 h) x 2 B
/// (ENGINES.md "vLLM by version").
constexpr double kV0HiddenCopies = 3.0;
/// V0's sampler in the profiling run: logits (model dtype), their fp32 copy, fp32 probabilities and logprobs.
constexpr double kV0SamplerBytesPerLogit = 12.0;
/// V0's non-torch memory on one GPU: 0.3-0.4 GiB in published V0 logs ("non_torch_memory=").
constexpr int64_t kV0NonTorchBase = 358 * kMiB;
/// V0 without chunked prefill profiles max(max_model_len, 2048) tokens (vllm/config.py
/// _DEFAULT_MAX_NUM_BATCHED_TOKENS); it turns chunked prefill on by default only above 32768 tokens
/// (vllm/engine/arg_utils.py: use_long_context = max_model_len > 32K).
constexpr int64_t kV0MinBatchedTokens = 2048;
constexpr int64_t kV0LongContext = 32768;
/// CUDA graphs (0.19 logs an estimate: 0.49-1.69 GiB, median 0.72, across the public logs).
constexpr int64_t kCudaGraphEstimate = 768 * kMiB;
/// The CUDA context and NCCL communicators before the first memory snapshot (outside the budget): 0.51 GiB
/// alone, 1.43-1.53 GiB with TP or PP in the public logs (units.h).
constexpr int64_t kContextBytes = kCudaContextBytes;
constexpr int64_t kContextParallelBytes = kCudaContextParallelBytes;

/// Case-insensitive "a100" in a name, without building strings (this runs once per evaluated layout).
bool contains_a100(const std::string& s) {
  for (size_t i = 0; i + 4 <= s.size(); ++i) {
    if ((s[i] == 'a' || s[i] == 'A') && s[i + 1] == '1' && s[i + 2] == '0' && s[i + 3] == '0') return true;
  }
  return false;
}

int64_t to_bytes(double b) { return static_cast<int64_t>(std::llround(b)); }

}  // namespace

BatchDefaults batch_defaults(const GpuSpec& g, bool offline, bool a100_small) {
  // vllm/engine/arg_utils.py EngineArgs.get_batch_defaults: `device_memory >= 70 * GiB_bytes and "a100" not in
  // device_name` (A100s keep the small defaults: vLLM PR #17885 measured lower throughput with larger ones).
  const bool a100 = a100_small && (contains_a100(g.name) || contains_a100(g.id));
  const bool large = g.memory_bytes() >= int64_t{70} * (int64_t{1} << 30) && !a100;
  BatchDefaults d;
  d.max_num_batched_tokens = large ? (offline ? 16384 : 8192) : (offline ? 8192 : 2048);
  d.max_num_seqs = large ? 1024 : 256;
  return d;
}

// The version table: every rule that differs between vLLM releases is a column, every release range a row.
// Facts and source paths: ../shared/reference/ENGINES.md "vLLM by version"; tests/reference/vllm_versions.json
// holds the published figures each rule is tested against.
const std::vector<VersionRule>& version_table() {
  static const std::vector<VersionRule> t = {
      // V0 only. vllm/worker/worker.py determine_num_available_blocks, vllm/worker/model_runner.py profile_run;
      // chunked prefill (auto above 32k tokens) defaults to 512 batched tokens (vllm/config.py SchedulerConfig).
      {4, 6, true, false, 512, 38.0, false, true, 0,
       "V0 engine: vllm/worker/worker.py determine_num_available_blocks, model_runner.py profile_run "
       "(chunked prefill 512 tokens)"},
      // V0 by default (V1 was opt-in with VLLM_USE_V1=1 in 0.7); chunked prefill takes 2048 tokens.
      {7, 7, true, false, 2048, 38.0, false, true, 1,
       "V0 engine: vllm/worker/worker.py determine_num_available_blocks (chunked prefill 2048 tokens)"},
      // V1 by default from 0.8 (VLLM_USE_V1=1); V0 stays behind VLLM_USE_V1=0 until its removal in 0.11.
      // V1's dummy sampler run (vLLM PR #13594) costs ~38 B per logit in published 0.11-0.16 logs.
      // 0.8's V1 defaults gave every GPU of >= 70 GiB the large batch (arg_utils.py _set_default_args_v1); A100s
      // keep the small one from 0.9 (vLLM PR #17885).
      {8, 8, false, true, 2048, 36.0, false, false, 1,
       "V1 engine: vllm/v1/worker/gpu_worker.py determine_available_memory; V0 with VLLM_USE_V1=0; "
       "sampler warm-up ~38 B per logit (published 0.11-0.16 logs); A100s get the large batch defaults"},
      {9, 10, false, true, 2048, 36.0, false, true, 1,
       "V1 engine: vllm/v1/worker/gpu_worker.py determine_available_memory; V0 with VLLM_USE_V1=0; "
       "sampler warm-up ~38 B per logit (published 0.11-0.16 logs)"},
      {11, 16, false, false, 2048, 36.0, false, true, 2,
       "V1 engine only (V0 removed in 0.11); sampler warm-up ~38 B per logit (published 0.11-0.16 logs)"},
      // From 0.17 the sampler warm-up takes ~15 B per logit: 2 (bf16 logits) + 13, fitted on the public 0.19 logs.
      {17, 18, false, false, 2048, 13.0, false, true, 2,
       "V1 engine; sampler warm-up ~15 B per logit (published 0.17-0.18 logs)"},
      // 0.19 logs its CUDA-graph estimate; only VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 subtracts it
      // (vLLM PR #30515).
      {19, 19, false, false, 2048, 13.0, true, true, 2,
       "V1 engine; calibrated on the public llm-d-planner sweep of 0.19 start-up logs (H100)"},
  };
  return t;
}

VersionMatch find_version(int major, int minor) {
  const std::vector<VersionRule>& t = version_table();
  VersionMatch v;
  if (major > 0) {  // 1.x and later: the newest known rules
    v.rule = &t.back();
    v.minor = t.back().to_minor;
    v.exact = false;
    return v;
  }
  for (const VersionRule& r : t) {
    if (minor >= r.from_minor && minor <= r.to_minor) {
      v.rule = &r;
      v.minor = minor;
      return v;
    }
  }
  v.exact = false;
  v.rule = minor < t.front().from_minor ? &t.front() : &t.back();
  v.minor = minor < t.front().from_minor ? t.front().from_minor : t.back().to_minor;
  return v;
}

namespace {

/// Whether a tensor group is stored in the quantised format (memory.cpp rank_weights applies the same rule).
bool quantised(const WeightFormat& f, TensorRole role) {
  if (f.method == QuantMethod::kNone) return false;
  if (f.experts_only) return role == TensorRole::kExperts;
  return role == TensorRole::kAttention || role == TensorRole::kMlp || role == TensorRole::kExperts ||
         role == TensorRole::kSharedExperts || role == TensorRole::kMtp;
}

/// Tensor groups vLLM fuses into the parameter before them: QKVParallelLinear (q, k, v and their biases) and
/// MergedColumnParallelLinear (gate and up; the shared experts' too).
bool fused_with_previous(const std::string& name, const std::string& previous) {
  return (name == "k_proj" && previous == "q_proj") || (name == "v_proj" && previous == "k_proj") ||
         (name == "k_bias" && previous == "q_bias") || (name == "v_bias" && previous == "k_bias") ||
         (name == "up_proj" && previous == "gate_proj") ||
         (name == "shared.up_proj" && previous == "shared.gate_proj");
}

}  // namespace

// vLLM --cpu-offload-gb (vllm/model_executor/models/utils.py, v0.5.3 to v0.11: set_cpu_offload_max_bytes,
// maybe_offload_to_cpu, make_layers; later releases keep the rule as the "uva" backend of vllm/config/offload.py
// UVAOffloadConfig). make_layers wraps every decoder layer of the worker's pipeline stage in maybe_offload_to_cpu,
// in layer order; embeddings and the LM head are never offloaded. Inside a layer it walks module.parameters() and
// moves one whole parameter at a time to pinned host memory while the bytes moved so far are below the budget:
// the check comes before each parameter, so the last one may overshoot it. Every forward reads the moved
// parameters back over PCIe (a copy to the GPU through functional_call, or zero-copy UVA reads).
std::vector<double> offload_parameters(const ModelSpec& m, const WeightFormat& f, const RankWeights& rw, int64_t tp) {
  const size_t layers = rw.layer_bytes.size();
  std::vector<std::vector<double>> out(layers);
  std::vector<std::string> last(layers);
  std::vector<double> raw(layers, 0.0);
  for (const TensorGroup& t : weight_tensors(m, /*include_mtp=*/false)) {
    if (t.layer < 0 || static_cast<size_t>(t.layer) >= layers) continue;
    const size_t l = static_cast<size_t>(t.layer);
    const ShardShape sh = shard_shape(t, tp, kVocabPadding);
    // FusedMoE stacks all experts in one parameter; other repeated groups (the two layer norms) are separate.
    const int64_t copies = t.role == TensorRole::kExperts ? 1 : std::max<int64_t>(1, t.count);
    const int64_t per = t.role == TensorRole::kExperts ? t.count : 1;
    const double bytes = t.matrix && quantised(f, t.role)
                             ? quantized_matrix_bytes(f, sh.rows, sh.cols) * static_cast<double>(per)
                             : plain_bytes(f.dtype, static_cast<double>(sh.rows * sh.cols * per));
    const std::string name = t.name;
    for (int64_t c = 0; c < copies; ++c) {
      if (c == 0 && !out[l].empty() && fused_with_previous(name, last[l])) {
        out[l].back() += bytes;
      } else {
        out[l].push_back(bytes);
      }
      raw[l] += bytes;
    }
    last[l] = name;
  }
  // GGUF file types size layers from their tensor table: share each layer's exact bytes out by these weights.
  std::vector<double> flat;
  for (size_t l = 0; l < layers; ++l) {
    const double k = raw[l] > 0 ? rw.layer_bytes[l] / raw[l] : 1.0;
    for (double b : out[l]) flat.push_back(b * k);
    flat.push_back(-1);
  }
  return flat;
}

int64_t offloaded_bytes(const std::vector<double>& params, const Stage& stage, int64_t budget, double scale) {
  double moved = 0;
  if (budget <= 0) return 0;
  int64_t layer = 0;
  for (double b : params) {
    if (b < 0) {
      ++layer;
      continue;
    }
    if (layer < stage.first_layer) continue;
    if (layer >= stage.end_layer || moved >= static_cast<double>(budget)) break;
    moved += b * scale;
  }
  return static_cast<int64_t>(moved);
}

Startup startup(const Inputs& in, int64_t max_model_len) {
  const VllmSettings& r = in.vllm;
  Startup s;
  s.gpu_memory_utilization = r.gpu_memory_utilization;
  s.max_model_len = max_model_len > 0 ? max_model_len : r.max_model_len > 0 ? r.max_model_len : in.context;
  const VersionMatch v = find_version(r.version_major, r.version_minor);
  s.rule = v.rule;
  s.version_major = 0;
  s.version_minor = v.minor;
  s.version_exact = v.exact;
  s.v0 = v.rule->v0_default || (r.use_v0 && v.rule->v0_selectable);
  s.v0_refused = r.use_v0 && !s.v0;
  s.block_size = r.block_size;
  s.enforce_eager = r.enforce_eager;
  s.max_num_seqs = r.max_num_seqs;
  s.max_num_batched_tokens = r.max_num_batched_tokens;
  if (s.v0) {
    // V0 (vllm/config.py SchedulerConfig, vllm/engine/arg_utils.py): 256 sequences; chunked prefill on by default
    // only for max_model_len > 32768; without it the profile runs max(max_model_len, 2048) tokens.
    s.chunked_prefill = s.max_model_len > kV0LongContext;
    if (s.max_num_seqs <= 0) s.max_num_seqs = 256;
    if (s.max_num_batched_tokens <= 0) {
      s.max_num_batched_tokens =
          s.chunked_prefill ? v.rule->v0_chunked_tokens : std::max(s.max_model_len, kV0MinBatchedTokens);
    }
  } else {
    const BatchDefaults d = batch_defaults(in.gpu, r.offline, v.rule->a100_small_defaults);
    if (s.max_num_batched_tokens <= 0) s.max_num_batched_tokens = d.max_num_batched_tokens;
    if (s.max_num_seqs <= 0) s.max_num_seqs = d.max_num_seqs;
  }
  // No version subtracts CUDA-graph memory by default: graphs are captured after the KV cache is allocated and
  // come out of the 1 - gpu_memory_utilization headroom (published logs of 0.10.2, 0.11, 0.15-0.19 and V0 all
  // satisfy KV = budget - weights - activation - non-torch). VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 (V1,
  // vLLM PR #30515) subtracts the estimate; eager mode captures none.
  s.subtract_cuda_graphs = !s.enforce_eager && !s.v0 && r.estimate_cudagraphs;
  s.kv_cache_memory_bytes = r.kv_cache_memory_bytes;
  // --cpu-offload-gb arrived in vLLM 0.5.3 (PR #6496); each worker's budget is int(cpu_offload_gb * 1024**3)
  // bytes (set_cpu_offload_max_bytes in the model runner: GiB, per GPU, as the flag's help says).
  if (r.cpu_offload_gb > 0 && (r.version_major > 0 || r.version_minor >= 5)) {
    s.cpu_offload_bytes = static_cast<int64_t>(r.cpu_offload_gb * static_cast<double>(kGiB));
  }
  return s;
}

std::vector<double> forward_layer_elements(const ModelSpec& m, int64_t tp) {
  // The profiling forward (gpu_model_runner.py profile_run -> _dummy_run(max_num_tokens)) runs the layers one
  // after another; attention kernels are skipped (no metadata in the profile run) but its projections run.
  // Per token, in elements of the activation dtype, on one tensor-parallel rank:
  //   attention: fused qkv output + attention output (MLA: q, latent, decompressed k/v, output);
  //   dense MLP: gate_up output (2 I) + activation output (I) (vllm/model_executor/layers/activation.py SiluAndMul);
  //   fused MoE: the modular kernel's two workspaces, k x max(N, hidden) and k x max(N/2, hidden), N = 2 I_expert
  //     (vllm/model_executor/layers/fused_moe/fused_moe.py TritonExperts.workspace_shapes; caches 1 and 3 share
  //     one), + router logits (E), + the shared experts' output kept while the routed experts run
  //     (DeepseekV2MoE / Qwen2MoeSparseMoeBlock);
  // plus kForwardHiddenCopies hidden-size vectors.
  tp = std::max<int64_t>(1, tp);
  const double h = static_cast<double>(m.hidden_size);
  std::vector<double> out;
  out.reserve(m.layers.size());
  for (const LayerSpec& l : m.layers) {
    const AttentionSpec& at = l.attn;
    const double heads = static_cast<double>(ceil_div(at.num_heads, tp));
    double attn;
    if (at.mla) {
      attn = heads * static_cast<double>(at.qk_nope_head_dim + at.qk_rope_head_dim) +
             static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim) +
             heads * static_cast<double>(at.qk_nope_head_dim + at.v_head_dim) + heads * static_cast<double>(at.v_head_dim);
    } else {
      const double kvh = static_cast<double>(std::max<int64_t>(1, at.num_kv_heads / tp));
      attn = heads * static_cast<double>(at.head_dim) + kvh * static_cast<double>(at.head_dim + at.v_head_dim) +
             heads * static_cast<double>(at.v_head_dim);
    }
    const MlpSpec& f = l.mlp;
    double mlp = 0;
    if (f.is_moe()) {
      const double ie = static_cast<double>(ceil_div(f.expert_intermediate_size, tp));
      const double n = (f.gated ? 2.0 : 1.0) * ie;
      const double k = static_cast<double>(f.experts_per_token);
      mlp = k * std::max(n, h) + k * std::max(f.gated ? n / 2.0 : n, h) + static_cast<double>(f.num_experts);
      if (f.num_shared_experts > 0) {
        const double si = static_cast<double>(ceil_div(f.shared_intermediate_size * f.num_shared_experts, tp));
        mlp = std::max(mlp + h, (f.gated ? 3.0 : 2.0) * si);
      }
    }
    if (f.intermediate_size > 0) {
      const double inter = static_cast<double>(ceil_div(f.intermediate_size, tp));
      mlp = std::max(mlp, (f.gated ? 3.0 : 2.0) * inter);
    }
    out.push_back(std::max(attn, mlp));
  }
  return out;
}

double forward_peak_bytes(const std::vector<double>& elements, const ModelSpec& m, Dtype act, const Stage& stage,
                          int64_t tokens) {
  double worst = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) worst = std::max(worst, elements[static_cast<size_t>(i)]);
  return static_cast<double>(std::max<int64_t>(0, tokens)) *
         (worst + kForwardHiddenCopies * static_cast<double>(m.hidden_size)) * (dtype_bits(act) / 8.0);
}

double forward_peak_bytes(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens) {
  return forward_peak_bytes(forward_layer_elements(m, tp), m, act, stage, tokens);
}

double sampler_peak_bytes(const ModelSpec& m, Dtype act, int64_t tokens, int64_t max_num_seqs, double bytes_per_logit) {
  // gpu_model_runner.py: _dummy_run returns hidden_states[logit_indices] for num_reqs = min(max_num_tokens,
  // max_num_seqs) requests; _dummy_sampler_run computes their logits over the full vocabulary (gathered on every
  // TP rank) and runs the sampler with top-k/top-p on them. The forward's hidden states stay alive meanwhile.
  const double a = dtype_bits(act) / 8.0;
  const double rows = static_cast<double>(std::max<int64_t>(1, std::min(tokens, max_num_seqs)));
  return static_cast<double>(tokens) * static_cast<double>(m.hidden_size) * a +
         rows * static_cast<double>(m.vocab_size) * (a + bytes_per_logit);
}

double sampler_peak_bytes(const ModelSpec& m, Dtype act, int64_t tokens, int64_t max_num_seqs) {
  return sampler_peak_bytes(m, act, tokens, max_num_seqs, kSamplerBytesPerLogit);
}

double v0_peak_bytes(const std::vector<double>& el, const ModelSpec& m, Dtype act, const Stage& stage, int64_t tokens,
                     int64_t max_num_seqs) {
  // vllm/worker/model_runner.py profile_run: max_num_batched_tokens tokens split over up to max_num_seqs dummy
  // sequences, one forward (the layer's MLP intermediates dominate; no compiled-graph temporaries as in V1), then
  // the sampler on each sequence's last position. The forward's activations are freed before the sampler runs.
  double worst = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) worst = std::max(worst, el[static_cast<size_t>(i)]);
  const double a = dtype_bits(act) / 8.0;
  const double forward = static_cast<double>(std::max<int64_t>(0, tokens)) *
                         (worst + kV0HiddenCopies * static_cast<double>(m.hidden_size)) * a;
  if (!stage.last) return forward;
  const double rows = static_cast<double>(std::max<int64_t>(1, std::min(tokens, max_num_seqs)));
  return std::max(forward, rows * static_cast<double>(m.vocab_size) * (a + kV0SamplerBytesPerLogit));
}

double v0_peak_bytes(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens,
                     int64_t max_num_seqs) {
  return v0_peak_bytes(forward_layer_elements(m, tp), m, act, stage, tokens, max_num_seqs);
}

int64_t non_torch_bytes(const GpuSpec& g, int64_t tp) {
  int64_t b = kNonTorchBase;
  if (tp > 1) {
    // NCCL connects lazily at the first collective (NCCL_RUNTIME_CONNECT, NCCL >= 2.22), i.e. during the
    // profiling run, so its buffers land in the non-torch increase: ring/tree buffers per peer, and on NVSwitch
    // systems the NVLS multicast buffers (docs.nvidia.com/deeplearning/nccl, NCCL_NVLS_ENABLE: "NVLS ... uses
    // a significant amount of GPU memory"). The NVLS size is what the H100 logs imply; without NVLS only the
    // per-peer buffers are counted (not calibrated on public logs).
    b += kNcclPerPeer * (tp - 1);
    if (engine_util::nvlink_sharp(g)) b += kNvlsBuffers;
  }
  return b;
}

int64_t non_torch_bytes_v0(const GpuSpec& g, int64_t tp) {
  // The same NCCL terms as V1 with tensor parallelism (not calibrated on V0 logs).
  return non_torch_bytes(g, tp) - kNonTorchBase + kV0NonTorchBase;
}

int64_t cuda_graph_bytes(bool enforce_eager) { return enforce_eager ? 0 : kCudaGraphEstimate; }

int64_t context_bytes(const Layout& layout) {
  return layout.tp > 1 || layout.pp > 1 ? kContextParallelBytes : kContextBytes;
}

KvLayout kv_layout(const ModelSpec& m, Dtype kv, int64_t tp, int64_t block_size, bool one_group) {
  KvLayout out;
  const size_t n = m.layers.size();
  block_size = std::max<int64_t>(1, block_size);
  std::vector<int64_t> blocks(n, block_size);
  out.page_bytes.assign(n, 0);
  bool uniform = true;
  for (size_t i = 0; i < n; ++i) {
    const AttentionSpec& a = m.layers[i].attn;
    // vllm/v1/kv_cache_interface.py: AttentionSpec.page_size_bytes = 2 x block_size x num_kv_heads x head_size x
    // dtype size (KV heads per rank: max(1, kv_heads // tp), replicated beyond); MLAAttentionSpec: one latent
    // "head" of kv_lora_rank + qk_rope_head_dim, no x2, the same on every rank.
    double per_token = kv_bytes_per_token_layer(a, kv, tp);
    if (kv == Dtype::kInt8 && !a.mla) {
      // int8 KV carries fp32 scales per token and KV head, for K and V (ENGINES.md).
      per_token += 2.0 * static_cast<double>(std::max<int64_t>(1, a.num_kv_heads / std::max<int64_t>(1, tp))) * 4.0;
    }
    out.page_bytes[i] = to_bytes(per_token * static_cast<double>(block_size));
    const AttentionSpec& a0 = m.layers.front().attn;
    if (a.sliding_window != a0.sliding_window || a.mla != a0.mla) uniform = false;
  }
  out.group_of.assign(n, 0);
  if (uniform || one_group) {
    // UniformTypeKVCacheSpecs: every layer needs the same token slots -> one group; a block spans every layer.
    // V0 (vllm/core/block_manager.py): one block table for all layers; mixed windows hold every token.
    out.uniform_type = true;
    out.groups.push_back(KvGroup{block_size, uniform && n > 0 ? m.layers.front().attn.sliding_window : 0});
    return out;
  }
  out.uniform_type = false;
  // unify_kv_cache_spec_page_size: the allocator hands out one page size, so smaller pages get a proportionally
  // larger block_size; vLLM refuses layouts whose page sizes do not divide the largest.
  const int64_t max_page = *std::max_element(out.page_bytes.begin(), out.page_bytes.end());
  for (size_t i = 0; i < n; ++i) {
    if (out.page_bytes[i] <= 0) continue;
    if (max_page % out.page_bytes[i] != 0) {
      out.error = "vLLM cannot unify the KV-cache page sizes of this model's layers (" +
                  std::to_string(out.page_bytes[i]) + " and " + std::to_string(max_page) +
                  " bytes per block: the smaller must divide the larger)";
      return out;
    }
    blocks[i] = block_size * (max_page / out.page_bytes[i]);
    out.page_bytes[i] = max_page;
  }
  // _get_kv_cache_groups_uniform_page_size: layers grouped by spec (in order of first appearance), each type
  // split into groups of group_size layers (the smallest type's layer count, or the largest when they are within
  // 25 %), taking layers[i::num_groups] so pipeline stages stay balanced.
  struct Type {
    int64_t window;
    int64_t block;
    bool mla;
    std::vector<size_t> layers;
  };
  std::vector<Type> types;
  for (size_t i = 0; i < n; ++i) {
    const AttentionSpec& a = m.layers[i].attn;
    auto it = std::find_if(types.begin(), types.end(), [&](const Type& t) {
      return t.window == a.sliding_window && t.block == blocks[i] && t.mla == a.mla;
    });
    if (it == types.end()) {
      types.push_back(Type{a.sliding_window, blocks[i], a.mla, {}});
      it = types.end() - 1;
    }
    it->layers.push_back(i);
  }
  size_t min_n = n;
  size_t max_n = 0;
  for (const Type& t : types) {
    min_n = std::min(min_n, t.layers.size());
    max_n = std::max(max_n, t.layers.size());
  }
  const size_t group_size = 4 * max_n < 5 * min_n ? max_n : min_n;
  for (const Type& t : types) {
    const size_t groups = (t.layers.size() + group_size - 1) / group_size;
    for (size_t g = 0; g < groups; ++g) {
      const int index = static_cast<int>(out.groups.size());
      out.groups.push_back(KvGroup{t.block, t.window});
      for (size_t j = g; j < t.layers.size(); j += groups) out.group_of[t.layers[j]] = index;
    }
  }
  return out;
}

namespace {

/// Blocks one layer of group `g` holds for a request of `len` tokens: SlidingWindowSpec keeps the last
/// window - 1 tokens plus one step's new tokens, +1 block because the window need not start on a block
/// boundary; FullAttentionSpec holds all of them (kv_cache_interface.py max_memory_usage_bytes).
int64_t group_blocks(const KvGroup& g, int64_t len, int64_t max_num_batched_tokens) {
  if (g.window > 0) {
    const int64_t tokens = std::min(g.window - 1 + max_num_batched_tokens, len);
    return ceil_div(tokens, g.block_size) + 1;
  }
  return ceil_div(len, g.block_size);
}

}  // namespace

int64_t blocks_per_request(const KvLayout& kv, int64_t len, int64_t max_num_batched_tokens) {
  // get_max_concurrency_for_kv_cache_config: the groups' max_memory_usage_bytes summed, in blocks of the pool.
  int64_t sum = 0;
  for (const KvGroup& g : kv.groups) sum += group_blocks(g, len, max_num_batched_tokens);
  return std::max<int64_t>(1, sum);
}

int64_t block_bytes(const KvLayout& kv, const Stage& stage) {
  if (kv.uniform_type) {
    int64_t sum = 0;
    for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) sum += kv.page_bytes[static_cast<size_t>(i)];
    return sum;
  }
  // get_kv_cache_config_from_groups: group_size KV tensors, each shared by one layer of every group.
  std::vector<int64_t> count(kv.groups.size(), 0);
  int64_t page = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    ++count[static_cast<size_t>(kv.group_of[static_cast<size_t>(i)])];
    page = kv.page_bytes[static_cast<size_t>(i)];
  }
  const int64_t tensors = count.empty() ? 0 : *std::max_element(count.begin(), count.end());
  return page * tensors;
}

int64_t num_blocks(const KvLayout& kv, const Stage& stage, int64_t available_bytes) {
  const int64_t b = block_bytes(kv, stage);
  if (available_bytes <= 0 || b <= 0) return 0;
  return available_bytes / b;
}

int64_t one_request_bytes(const KvLayout& kv, const Stage& stage, int64_t len, int64_t max_num_batched_tokens) {
  int64_t sum = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const KvGroup& g = kv.groups[static_cast<size_t>(kv.group_of[static_cast<size_t>(i)])];
    sum += group_blocks(g, len, max_num_batched_tokens) * kv.page_bytes[static_cast<size_t>(i)];
  }
  return sum;
}

int64_t estimate_max_model_len(const KvLayout& kv, const Stage& stage, int64_t available_bytes, int64_t current_max,
                               int64_t max_num_batched_tokens) {
  // kv_cache_utils.py estimate_max_model_len: binary search over [1, max_model_len].
  auto fits = [&](int64_t len) { return one_request_bytes(kv, stage, len, max_num_batched_tokens) <= available_bytes; };
  int64_t left = 1;
  int64_t right = current_max;
  if (!fits(left)) return 0;
  int64_t result = 1;
  while (left <= right) {
    const int64_t mid = left + (right - left) / 2;
    if (fits(mid)) {
      result = mid;
      left = mid + 1;
    } else {
      right = mid - 1;
    }
  }
  return result;
}

int64_t logged_tokens(const KvLayout& kv, int64_t blocks) {
  // _report_kv_cache_config: num_blocks // len(kv_cache_groups) * min block size.
  int64_t min_block = std::numeric_limits<int64_t>::max();
  for (const KvGroup& g : kv.groups) min_block = std::min(min_block, g.block_size);
  if (kv.groups.empty()) return 0;
  return blocks / static_cast<int64_t>(kv.groups.size()) * min_block;
}

// ------------------------------------------------------------------------------------------------
// The start-up of one layout
// ------------------------------------------------------------------------------------------------

namespace {

/// vLLM V1's multimodal profile: before the text forward, profile_run (vllm/v1/worker/gpu_model_runner.py) runs the
/// vision encoder over a batch of the largest dummy images and keeps their outputs in the encoder cache while the
/// text forward runs. Items per batch (vllm/v1/worker/utils.py MultiModalBudget.get_max_items): the encoder budget
/// min(compute budget, cache size) // tokens per item, where both budgets are max(max_num_batched_tokens, tokens
/// per item) (vllm/v1/core/encoder_cache_manager.py compute_mm_encoder_budget), capped by max_num_seqs x
/// max(1, min(limit per prompt, max_model_len // tokens per item)); the default limit is 999 images per prompt.
struct EncoderProfile {
  int64_t item_tokens = 0;     ///< tokens of the largest image
  int64_t budget_tokens = 0;   ///< encoder cache / compute budget
  int64_t items = 0;           ///< dummy images per profiling batch
  int64_t limit = 0;           ///< images per prompt
  double activation = 0;       ///< the tower's forward over them
  double outputs = 0;          ///< their embeddings, held in the encoder cache
};

EncoderProfile encoder_profile(const ModelSpec& m, const Inputs& in, const Startup& s) {
  EncoderProfile e;
  if (m.vision.parameters <= 0 || s.v0 || in.vllm.limit_mm_images == 0) return e;
  const ImageCost big = largest_image_cost(m.vision);
  e.item_tokens = std::max<int64_t>(1, std::max(big.context_tokens, big.cross_tokens));
  e.budget_tokens = std::max(s.max_num_batched_tokens, e.item_tokens);
  e.limit = in.vllm.limit_mm_images > 0 ? in.vllm.limit_mm_images : 999;
  const int64_t per_prompt = std::max<int64_t>(1, std::min(e.limit, s.max_model_len / e.item_tokens));
  e.items = std::max<int64_t>(1, std::min(e.budget_tokens / e.item_tokens, s.max_num_seqs * per_prompt));
  const double bytes = dtype_bits(in.act_dtype) / 8.0;
  e.activation = vision_activation_bytes(m.vision, e.items * big.encoder_tokens, bytes);
  e.outputs = static_cast<double>(e.items * e.item_tokens) * static_cast<double>(m.hidden_size) * bytes;
  return e;
}

struct StagePlan {
  Stage stage;
  int64_t weights = 0;
  int64_t parameters = 0;
  int64_t offloaded = 0;      ///< --cpu-offload-gb: weight bytes this stage's GPUs keep in host memory (each)
  int64_t activation = 0;
  int64_t vision_activation = 0;  ///< the part of `activation` the vision encoder's profile adds (first stage)
  int64_t non_torch = 0;
  int64_t cuda_graph = 0;     ///< estimate (subtracted only when settings say so)
  int64_t budget = 0;         ///< total x gpu_memory_utilization
  int64_t available = 0;      ///< for the KV cache
  int64_t num_blocks = 0;
  int64_t block_bytes = 0;
};

struct Profile {
  Startup s;
  const KvLayout* kvp = nullptr;  ///< the per-tp layout (engine_util::TpData), not copied per evaluation
  const KvLayout& kv() const { return *kvp; }
  std::vector<StagePlan> stages;
  int64_t num_blocks = 0;   ///< min over stages
  size_t binding = 0;       ///< the stage with the fewest blocks
  std::string failure;      ///< a start-up error independent of the request length
};

/// Fills the per-tp data vLLM needs once (KV layout, per-layer forward transients).
void prepare(engine_util::TpData& d, const ModelSpec& m, const Inputs& in) {
  if (d.vllm_ready) return;
  const VersionMatch v = find_version(in.vllm.version_major, in.vllm.version_minor);
  const bool v0 = v.rule->v0_default || (in.vllm.use_v0 && v.rule->v0_selectable);
  d.kv = kv_layout(m, in.kv_dtype, d.tp, in.vllm.block_size, v0);
  d.forward = forward_layer_elements(m, d.tp);
  if (in.vllm.cpu_offload_gb > 0) d.offload_params = offload_parameters(m, in.weights, d.rw, d.tp);
  d.vllm_ready = true;
}

Profile profile(const ModelSpec& m, const Inputs& in, const Layout& layout, const engine_util::TpData& d, double scale,
                const Startup& s) {
  Profile p;
  p.s = s;
  const int64_t tp = std::max<int64_t>(1, layout.tp);
  const int64_t total = in.gpu.memory_bytes();
  const RankWeights& rw = d.rw;
  p.kvp = &d.kv;
  const int64_t budget = static_cast<int64_t>(static_cast<double>(total) * s.gpu_memory_utilization);
  const int64_t context = context_bytes(layout);
  const int64_t nt = s.v0 ? non_torch_bytes_v0(in.gpu, tp) : non_torch_bytes(in.gpu, tp);
  const int64_t graphs = cuda_graph_bytes(s.enforce_eager);
  for (const Stage& st : pipeline_stages(m.num_hidden_layers(), layout.pp)) {
    StagePlan sp;
    sp.stage = st;
    const WeightBytes w = stage_weights(rw, st);
    sp.weights = to_bytes(w.tensors * scale + w.buffers);
    sp.parameters = w.parameters;
    // --cpu-offload-gb: the moved parameters live in pinned host memory, outside the profiled weights.
    sp.offloaded = offloaded_bytes(d.offload_params, st, s.cpu_offload_bytes, scale);
    sp.weights -= sp.offloaded;
    double act;
    if (s.v0) {
      act = v0_peak_bytes(d.forward, m, in.act_dtype, st, s.max_num_batched_tokens, s.max_num_seqs);
    } else {
      act = forward_peak_bytes(d.forward, m, in.act_dtype, st, s.max_num_batched_tokens);
      if (st.last) {
        act = std::max(act, sampler_peak_bytes(m, in.act_dtype, s.max_num_batched_tokens, s.max_num_seqs,
                                               s.rule->sampler_bytes_per_logit));
      }
    }
    if (st.first && m.vision.parameters > 0) {
      // The encoder's batch and its cached outputs beside the text forward (encoder_profile above).
      const EncoderProfile e = encoder_profile(m, in, s);
      const double with_vision = std::max(act, e.activation) + e.outputs;
      sp.vision_activation = to_bytes(with_vision - act);
      act = with_vision;
    }
    sp.activation = to_bytes(act);
    sp.non_torch = nt;
    sp.cuda_graph = graphs;
    sp.budget = budget;
    if (s.kv_cache_memory_bytes > 0) {
      // --kv-cache-memory-bytes: the size is taken as given, without profiling (vllm/config/cache.py).
      sp.available = s.kv_cache_memory_bytes;
    } else {
      sp.available = budget - sp.weights - sp.activation - sp.non_torch - (s.subtract_cuda_graphs ? graphs : 0);
    }
    sp.block_bytes = block_bytes(p.kv(), st);
    sp.num_blocks = num_blocks(p.kv(), st, sp.available);
    if (p.failure.empty() && sp.weights > total - context) {
      p.failure = "torch.OutOfMemoryError: CUDA out of memory while loading the weights (" +
                  engine_util::gib_text(static_cast<double>(sp.weights)) + " GiB on a GPU of " +
                  engine_util::gib_text(static_cast<double>(total)) + " GiB)";
    }
    p.stages.push_back(sp);
  }
  if (p.failure.empty() && !engine_util::tp_divides(m, tp)) {
    // vllm/config/model.py verify_with_parallel_config.
    p.failure = "ValueError: " + tp_problem(m, tp);
  }
  if (p.failure.empty() && s.max_num_batched_tokens < s.max_num_seqs) {
    // vllm/config/scheduler.py _verify_args.
    p.failure = "ValueError: max_num_batched_tokens (" + std::to_string(s.max_num_batched_tokens) +
                ") must be greater than or equal to max_num_seqs (" + std::to_string(s.max_num_seqs) + ").";
  }
  if (p.failure.empty() && s.v0 && !s.chunked_prefill && s.max_num_batched_tokens < s.max_model_len) {
    // V0 vllm/config.py SchedulerConfig._verify_args: without chunked prefill a whole prompt is one batch.
    p.failure = "ValueError: max_num_batched_tokens (" + std::to_string(s.max_num_batched_tokens) +
                ") is smaller than max_model_len (" + std::to_string(s.max_model_len) +
                "). This effectively limits the maximum sequence length to max_num_batched_tokens and makes vLLM "
                "reject longer sequences. Please increase max_num_batched_tokens or decrease max_model_len.";
  }
  if (p.failure.empty() && !p.kv().error.empty()) p.failure = "ValueError: " + p.kv().error;
  p.num_blocks = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < p.stages.size(); ++i) {
    if (p.stages[i].num_blocks < p.num_blocks) {
      p.num_blocks = p.stages[i].num_blocks;
      p.binding = i;
    }
  }
  if (p.stages.empty()) p.num_blocks = 0;
  if (p.failure.empty()) {
    for (const StagePlan& sp : p.stages) {
      if (sp.available <= 0) {
        // kv_cache_utils.py check_enough_kv_cache_memory.
        p.failure =
            "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
            "initializing the engine.";
        break;
      }
    }
  }
  return p;
}

/// The "max seq len" check of every worker for requests of `len` tokens: the first failing worker's error
/// (vLLM checks workers in order), and the longest length every worker could take.
struct LengthCheck {
  std::string failure;
  int64_t max_len = -1;  ///< -1 when `len` fits
};
LengthCheck check_length(const Profile& p, int64_t len) {
  LengthCheck c;
  if (p.s.v0) {
    // V0 vllm/worker/worker.py raise_if_cache_size_invalid: the pool's tokens against max_model_len (the pool is
    // the largest length that fits; no binary search).
    const int64_t tokens = p.num_blocks * p.s.block_size;
    if (len <= tokens) return c;
    c.max_len = tokens;
    c.failure = "ValueError: The model's max seq len (" + std::to_string(len) +
                ") is larger than the maximum number of tokens that can be stored in KV cache (" +
                std::to_string(tokens) +
                "). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.";
    return c;
  }
  for (const StagePlan& sp : p.stages) {
    const int64_t needed = one_request_bytes(p.kv(), sp.stage, len, p.s.max_num_batched_tokens);
    if (needed <= sp.available) continue;
    const int64_t est = estimate_max_model_len(p.kv(), sp.stage, sp.available, len, p.s.max_num_batched_tokens);
    c.max_len = c.max_len < 0 ? est : std::min(c.max_len, est);
    if (c.failure.empty()) {
      // kv_cache_utils.py check_enough_kv_cache_memory (the message's wording and spacing are vLLM's).
      const std::string estimated =
          est > 0 ? "Based on the available memory, the estimated maximum model length is " + std::to_string(est) + "."
                  : "";
      c.failure = "ValueError: To serve at least one request with the models's max seq len (" + std::to_string(len) +
                  "), (" + engine_util::gib_text(static_cast<double>(needed)) +
                  " GiB KV cache is needed, which is larger than the available KV cache memory (" +
                  engine_util::gib_text(static_cast<double>(sp.available)) + " GiB). " + estimated +
                  " Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.";
    }
  }
  return c;
}

/// A GiB figure as a flag value: "10", "2.5".
std::string gb_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string launch_command(const ModelSpec& m, const Inputs& in, const Startup& s) {
  const VllmSettings& r = in.vllm;
  std::string c = "vllm serve " + engine_util::repo_or_placeholder(in);
  if (in.layout.tp > 1) c += " --tensor-parallel-size " + std::to_string(in.layout.tp);
  if (in.layout.pp > 1) c += " --pipeline-parallel-size " + std::to_string(in.layout.pp);
  if (in.layout.dp > 1) c += " --data-parallel-size " + std::to_string(in.layout.dp);
  c += " --max-model-len " + std::to_string(s.max_model_len);
  c += " --gpu-memory-utilization " + engine_util::knob_text(s.gpu_memory_utilization);
  // Weights: a plain dtype other than the checkpoint's needs --dtype; fp8 of a 16-bit checkpoint is vLLM's
  // online quantisation; quantised checkpoints are detected from their quantization_config.
  if (in.weights.method == QuantMethod::kNone) {
    const Dtype ckpt = m.has_torch_dtype ? m.torch_dtype : Dtype::kBf16;
    const Dtype served = ckpt == Dtype::kFp32 ? Dtype::kBf16 : ckpt;
    if (in.weights.dtype != served || m.has_quantization_config) {
      c += std::string(" --dtype ") +
           (in.weights.dtype == Dtype::kFp32 ? "float32" : in.weights.dtype == Dtype::kFp16 ? "float16" : "bfloat16");
    }
  } else if (!m.has_quantization_config && in.weights.method == QuantMethod::kFp8) {
    c += " --quantization fp8";
  } else if (!m.has_quantization_config && in.weights.method == QuantMethod::kBnb4) {
    c += " --quantization bitsandbytes";
  }
  if (in.kv_dtype == Dtype::kFp8) c += " --kv-cache-dtype fp8";
  if (r.max_num_batched_tokens > 0) c += " --max-num-batched-tokens " + std::to_string(s.max_num_batched_tokens);
  if (r.max_num_seqs > 0) c += " --max-num-seqs " + std::to_string(s.max_num_seqs);
  if (s.block_size != 16) c += " --block-size " + std::to_string(s.block_size);
  if (r.limit_mm_images >= 0) c += " --limit-mm-per-prompt '{\"image\": " + std::to_string(r.limit_mm_images) + "}'";
  if (s.enforce_eager) c += " --enforce-eager";
  if (s.kv_cache_memory_bytes > 0) c += " --kv-cache-memory-bytes " + std::to_string(s.kv_cache_memory_bytes);
  if (s.cpu_offload_bytes > 0) c += " --cpu-offload-gb " + gb_text(r.cpu_offload_gb);
  std::string env;
  if (s.subtract_cuda_graphs) env = "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 ";
  if (s.v0 && !s.rule->v0_default) env += "VLLM_USE_V1=0 ";
  return env + c;
}

using engine_util::gib_text;
using engine_util::with_commas;

/// One record per pipeline stage's GPU, and the plan's margin (the tightest GPU's free bytes). `seqs` sequences of
/// `bpr_work` blocks each run per replica; `blocks` is the pool (0 when vLLM does not start).
void gpu_records(const ModelSpec& m, const Inputs& in, const Startup& s, const Profile& p, int64_t seqs,
                 int64_t bpr_work, int64_t blocks, bool starts, EnginePlan& plan) {
  const int64_t total = in.gpu.memory_bytes();
  plan.margin_bytes = std::numeric_limits<int64_t>::max();
  for (const auto& sp : p.stages) {
    GpuMemory g = stage_gpu(sp.stage, sp.weights, sp.parameters);
    g.memory.activations_bytes = sp.activation;
    g.memory.vision_activations_bytes = sp.vision_activation;
    g.memory.overhead_bytes = sp.non_torch + (s.subtract_cuda_graphs ? sp.cuda_graph : 0);
    g.memory.kv_cache_bytes = seqs * bpr_work * sp.block_bytes;
    double per_token = 0;
    for (int64_t i = sp.stage.first_layer; i < sp.stage.end_layer; ++i) {
      per_token += kv_bytes_per_token_layer(m.layers[static_cast<size_t>(i)].attn, in.kv_dtype, in.layout.tp);
    }
    g.kv_cache_bytes_per_token = static_cast<int64_t>(std::llround(per_token));
    g.kv_cache_bytes_per_sequence = bpr_work * sp.block_bytes;
    g.capacity_bytes = total;
    g.usable_bytes = s.kv_cache_memory_bytes > 0
                         ? sp.weights + sp.activation + g.memory.overhead_bytes + s.kv_cache_memory_bytes
                         : sp.budget;
    g.free_bytes = g.usable_bytes - g.memory.total_bytes();
    g.max_concurrency = bpr_work > 0 && starts ? blocks / bpr_work : 0;
    plan.margin_bytes = std::min(plan.margin_bytes, g.free_bytes);
    plan.per_gpu.push_back(g);
  }
}

/// "vLLM 0.19 (V1 engine)": the release whose rules apply, as the outputs name it.
std::string rules_label(const Startup& s) {
  return "vLLM " + std::to_string(s.version_major) + "." + std::to_string(s.version_minor) +
         (s.v0 ? " (V0 engine)" : " (V1 engine)");
}

/// 0.7-0.10 (V0 worker.py and V1 gpu_worker.py): the profile in one message (vllm/worker/worker.py
/// determine_num_available_blocks msg, after "Memory profiling takes N seconds", whose duration is not modelled).
std::string profiling_takes_line(const Startup& s, const StagePlan& sp, double total) {
  auto g = [](double b) { return engine_util::fixed(b / kGiB, 2) + "GiB"; };
  return "the current vLLM instance can use total_gpu_memory (" + g(total) +
         ") x gpu_memory_utilization (" + engine_util::knob_text(s.gpu_memory_utilization) +
         ") = " + g(static_cast<double>(sp.budget)) + "; model weights take " + g(static_cast<double>(sp.weights)) +
         "; non_torch_memory takes " + g(static_cast<double>(sp.non_torch)) +
         "; PyTorch activation peak memory takes " + g(static_cast<double>(sp.activation)) +
         "; the rest of the memory reserved for KV Cache is " + g(static_cast<double>(sp.available)) + ".";
}

/// "Initializing a V1 LLM engine (v0.19) with config: ..." / V0's "Initializing an LLM engine (v0.6) ...": the
/// first line vLLM prints (vllm/v1/engine/core.py, vllm/engine/llm_engine.py), with the settings that size memory.
std::string init_line(const Inputs& in, const Startup& s) {
  return std::string(s.v0 ? "Initializing an LLM engine" : "Initializing a V1 LLM engine") + " (v" +
         std::to_string(s.version_major) + "." + std::to_string(s.version_minor) + ") with config: model='" +
         engine_util::repo_or_placeholder(in) + "', max_seq_len=" + std::to_string(s.max_model_len) +
         ", tensor_parallel_size=" + std::to_string(std::max<int64_t>(1, in.layout.tp)) +
         ", pipeline_parallel_size=" + std::to_string(std::max<int64_t>(1, in.layout.pp)) +
         ", enforce_eager=" + (s.enforce_eager ? "True" : "False");
}

/// V0's lines (vllm/worker/worker.py determine_num_available_blocks, vllm/executor/executor_base.py
/// initialize_cache): the weights in "GB" (GiB), one "Memory profiling results" line, the block counts.
void startup_lines_v0(const Inputs& in, const Startup& s, const Profile& p, bool profiled, EnginePlan& plan) {
  const StagePlan& sp = p.stages[p.binding];
  plan.startup_log.push_back(init_line(in, s));
  plan.startup_log.push_back("Loading model weights took " + engine_util::fixed(static_cast<double>(sp.weights) / kGiB, 4) +
                             " GB");
  if (!profiled) {
    plan.startup_log.push_back(plan.failure);
    return;
  }
  const double total = static_cast<double>(in.gpu.memory_bytes());
  const double ctx = static_cast<double>(context_bytes(in.layout));
  auto g = [](double b) { return engine_util::fixed(b / kGiB, 2) + "GiB"; };
  if (s.rule->log_style == 1) {
    plan.startup_log.push_back(profiling_takes_line(s, sp, total));
  } else {
    // 0.6.4-0.6.6 (vllm/worker/worker.py); earlier releases print only the block counts.
    plan.startup_log.push_back(
        "Memory profiling results: total_gpu_memory=" + g(total) + " initial_memory_usage=" +
        g(ctx + static_cast<double>(sp.weights)) + " peak_torch_memory=" +
        g(static_cast<double>(sp.weights + sp.activation)) + " memory_usage_post_profile=" +
        g(ctx + static_cast<double>(sp.weights + sp.non_torch)) + " non_torch_memory=" +
        g(static_cast<double>(sp.non_torch)) + " kv_cache_size=" + g(static_cast<double>(sp.available)) +
        " gpu_memory_utilization=" + engine_util::knob_text(s.gpu_memory_utilization));
  }
  // CPU blocks: --swap-space 4 GiB per GPU over the same block size.
  const int64_t cpu_blocks = sp.block_bytes > 0 ? (int64_t{4} << 30) / sp.block_bytes : 0;
  plan.startup_log.push_back("# GPU blocks: " + std::to_string(p.num_blocks) + ", # CPU blocks: " +
                             std::to_string(cpu_blocks));
  const double per_replica = plan.max_concurrency / static_cast<double>(std::max<int64_t>(1, in.layout.dp));
  plan.startup_log.push_back("Maximum concurrency for " + std::to_string(s.max_model_len) +
                             " tokens per request: " + engine_util::fixed(per_replica, 2) + "x");
  if (!plan.failure.empty()) plan.startup_log.push_back(plan.failure);
}

/// The lines vLLM prints at start-up (vllm/v1/worker/gpu_worker.py, vllm/v1/core/kv_cache_utils.py). The pool's
/// size and concurrency come before the one-request check, so a failed check still shows them.
void startup_lines(const Inputs& in, const Startup& s, const Profile& p, bool profiled, EnginePlan& plan) {
  if (s.v0 && !p.stages.empty()) {
    startup_lines_v0(in, s, p, profiled, plan);
    return;
  }
  const int64_t dp = std::max<int64_t>(1, in.layout.dp);
  plan.startup_log.push_back(init_line(in, s));
  for (const auto& sp : p.stages) {
    std::string prefix = in.layout.pp > 1 ? "(PP rank " + std::to_string(sp.stage.index) + ") " : "";
    plan.startup_log.push_back(prefix + "Model loading took " + gib_text(static_cast<double>(sp.weights)) +
                               " GiB memory");
  }
  if (profiled) {
    const auto& sp = p.stages[p.binding];
    if (s.rule->log_style == 1) {
      plan.startup_log.push_back(profiling_takes_line(s, sp, static_cast<double>(in.gpu.memory_bytes())));
    } else {
      plan.startup_log.push_back("Available KV cache memory: " + gib_text(static_cast<double>(sp.available)) + " GiB");
    }
    plan.startup_log.push_back("GPU KV cache size: " + with_commas(plan.kv_cache_tokens) + " tokens");
    plan.startup_log.push_back("Maximum concurrency for " + with_commas(s.max_model_len) + " tokens per request: " +
                               engine_util::fixed(plan.max_concurrency / static_cast<double>(dp), 2) + "x");
  }
  if (!plan.failure.empty()) plan.startup_log.push_back(plan.failure);
}

/// The rules the numbers rest on.
void assumptions(const ModelSpec& m, const Inputs& in, const Startup& s, const Profile& p, EnginePlan& plan) {
  const int64_t total = in.gpu.memory_bytes();
  const vllm::BatchDefaults d = vllm::batch_defaults(in.gpu, in.vllm.offline, s.rule->a100_small_defaults);
  const bool default_batch = in.vllm.max_num_batched_tokens <= 0 && in.vllm.max_num_seqs <= 0;
  plan.assumptions.push_back(
      rules_label(s) + " rules: KV budget per GPU = " + gib_text(static_cast<double>(total)) +
      " GiB x gpu_memory_utilization " + engine_util::knob_text(s.gpu_memory_utilization) +
      " - weights - profiled activation peak - non-torch memory; " + s.rule->source);
  std::string batch_note;
  if (default_batch && s.v0) {
    batch_note = s.chunked_prefill ? " (V0 defaults: chunked prefill, on by default above 32,768 tokens)"
                                   : " (V0 defaults: no chunked prefill at max_model_len <= 32,768, so a whole "
                                     "max_model_len prompt, at least 2,048 tokens, is profiled)";
  } else if (default_batch) {
    batch_note = std::string(" (vLLM's ") + (in.vllm.offline ? "offline LLM-class" : "OpenAI-server") +
                 " defaults for " +
                 (d.max_num_seqs == 1024 ? (s.rule->a100_small_defaults ? "a GPU of >= 70 GiB that is not an A100)"
                                                                         : "a GPU of >= 70 GiB)")
                                         : (s.rule->a100_small_defaults ? "an A100 or a GPU under 70 GiB)"
                                                                         : "a GPU under 70 GiB)"));
  }
  plan.assumptions.push_back(
      "profiling run: max_num_batched_tokens " + std::to_string(s.max_num_batched_tokens) + ", max_num_seqs " +
      std::to_string(s.max_num_seqs) + batch_note +
      (s.v0 ? "; activation peak = max(forward of those tokens: MLP gate_up + activation outputs + 3 hidden-size "
              "copies per token, sampler over " + with_commas(m.vocab_size) + " vocabulary entries per sequence)"
            : "; activation peak = max(forward of those tokens, sampler warm-up over " + with_commas(m.vocab_size) +
                  " vocabulary entries per sequence at " + engine_util::fixed(s.rule->sampler_bytes_per_logit + 2, 0) +
                  " B per bf16 logit)"));
  if (!p.stages.empty()) {
    plan.assumptions.push_back(
        "non-torch memory " + gib_text(static_cast<double>(p.stages.front().non_torch)) + " GiB per GPU" +
        (in.layout.tp > 1 ? (engine_util::nvlink_sharp(in.gpu) ? " (incl. NCCL NVLink-SHARP buffers of NVSwitch systems)"
                                                                : " (NCCL buffers; no NVLink SHARP on this GPU)")
                          : ""));
  }
  plan.assumptions.push_back(
      std::string("CUDA graphs: ") +
      (s.enforce_eager ? "none (--enforce-eager)"
                       : "~" + gib_text(static_cast<double>(vllm::cuda_graph_bytes(false))) + " GiB, " +
                             (s.subtract_cuda_graphs
                                  ? "subtracted from the budget (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)"
                                  : "outside the budget (captured after the KV cache is allocated; no version "
                                    "subtracts them without VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)")));
  plan.assumptions.push_back("KV cache in blocks of " + std::to_string(s.block_size) + " tokens" +
                             (s.v0 ? "; V0: one block table for every layer" : "") +
                             (p.kv().uniform_type ? "" : "; " + std::to_string(p.kv().groups.size()) +
                                                            " layer groups (hybrid allocator: sliding-window layers keep "
                                                            "window - 1 + max_num_batched_tokens tokens)") +
                             "; the smallest pipeline stage's block count applies to all");
}

/// --cpu-offload-gb: what the workers keep in host memory, the speed model's PCIe reads, the note and the warnings.
void cpu_offload(const Inputs& in, const Startup& s, const Profile& p, EnginePlan& plan) {
  if (in.vllm.cpu_offload_gb <= 0) return;
  if (s.cpu_offload_bytes <= 0) {
    plan.warnings.push_back({"vllm_cpu_offload_unsupported",
                             "vLLM before 0.5.3 has no --cpu-offload-gb: the weights stay on the GPU"});
    return;
  }
  int64_t moved = 0;
  int64_t least = std::numeric_limits<int64_t>::max();
  for (const StagePlan& sp : p.stages) {
    moved += sp.offloaded;
    least = std::min(least, sp.offloaded);
  }
  plan.host.pcie_weight_bytes = moved;
  plan.host.ubatch_tokens = s.max_num_batched_tokens;  // one forward per scheduler step
  plan.host.op_offload = false;
  plan.system_ram_bytes = moved * std::max<int64_t>(1, in.layout.tp) * std::max<int64_t>(1, in.layout.dp);
  plan.assumptions.push_back(
      "--cpu-offload-gb " + gb_text(in.vllm.cpu_offload_gb) + ": each GPU keeps " +
      gib_text(static_cast<double>(p.stages.empty() ? 0 : p.stages.front().offloaded)) +
      " GiB of its decoder-layer parameters in pinned host memory (whole parameters, first layers first, until "
      "int(" + gb_text(in.vllm.cpu_offload_gb) + " x 1024**3) bytes are reached: " +
      "vllm/model_executor/models/utils.py maybe_offload_to_cpu); every forward reads them over PCIe");
  if (!p.stages.empty() && least < s.cpu_offload_bytes) {
    plan.warnings.push_back({"vllm_cpu_offload_all_layers",
                             "--cpu-offload-gb " + gb_text(in.vllm.cpu_offload_gb) +
                                 " exceeds a GPU's decoder layers: all of them (" +
                                 gib_text(static_cast<double>(least)) +
                                 " GiB) are in host memory and every forward reads them over PCIe"});
  }
}

/// What may go wrong that the numbers do not show.
void warnings(const ModelSpec& m, const Inputs& in, const Startup& s, const Profile& p, EnginePlan& plan) {
  const int64_t total = in.gpu.memory_bytes();
  if (!s.version_exact) {
    plan.warnings.push_back({"vllm_version_unknown", "vLLM " + std::to_string(in.vllm.version_major) + "." +
                                                         std::to_string(in.vllm.version_minor) +
                                                         " is not in the version table: the rules of the nearest "
                                                         "known release apply (" + rules_label(s) + ")"});
  }
  if (s.v0_refused) {
    plan.warnings.push_back({"vllm_v0_unavailable", "vllm_v0: vLLM 0." + std::to_string(s.version_minor) +
                                                        " has no V0 engine (removed in 0.11): the V1 rules apply"});
  }
  if (in.vllm.estimate_cudagraphs && s.v0) {
    plan.warnings.push_back({"vllm_estimate_cudagraphs_v0", "vllm_estimate_cudagraphs: the V0 engine has no "
                                                            "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS; nothing is "
                                                            "subtracted"});
  }
  if (!plan.max_model_len_failure.empty()) {
    plan.warnings.push_back(
        {"vllm_max_model_len_too_long",
         "max_model_len " + with_commas(s.max_model_len) + " does not fit one request in the KV cache of " +
             with_commas(plan.kv_cache_tokens) + " tokens: vLLM refuses to start" +
             (plan.max_model_len_that_fits > 0 ? "; the largest max_model_len that fits is " +
                                                     with_commas(plan.max_model_len_that_fits)
                                               : std::string("; no length fits"))});
  }
  if (s.kv_cache_memory_bytes <= 0 && !p.stages.empty()) {
    const int64_t outside = total - p.stages.front().budget;
    const int64_t context = vllm::context_bytes(in.layout);
    const int64_t graphs = s.subtract_cuda_graphs ? 0 : vllm::cuda_graph_bytes(s.enforce_eager);
    if (outside < context + graphs) {
      plan.warnings.push_back(
          {"vllm_little_outside_budget",
           "gpu_memory_utilization " + engine_util::knob_text(s.gpu_memory_utilization) + " leaves " +
               gib_text(static_cast<double>(outside)) + " GiB outside vLLM's budget, where the CUDA context and NCCL (~" +
               gib_text(static_cast<double>(context)) + " GiB)" +
               (graphs > 0 ? " and CUDA graphs (~" + gib_text(static_cast<double>(graphs)) + " GiB)" : std::string()) +
               " live: start-up may run out of memory"});
    }
  }
  if (m.vision.parameters > 0 && s.v0) {
    plan.warnings.push_back({"vllm_multimodal_profile",
                             "vLLM V0 also profiles the vision encoder with its largest dummy images; that activation "
                             "is not modelled for V0, so the KV cache may come out smaller"});
  } else if (m.vision.parameters > 0) {
    const EncoderProfile e = encoder_profile(m, in, s);
    plan.assumptions.push_back(
        e.items == 0 ? std::string("vision encoder not profiled (--limit-mm-per-prompt image 0)")
                     : "vision encoder profile: " + std::to_string(e.items) + " dummy image(s) of " +
                           with_commas(e.item_tokens) + " tokens (the largest), encoder cache budget " +
                           with_commas(e.budget_tokens) + " tokens = max(max_num_batched_tokens, largest item); " +
                           "activation peak = max(text forward, encoder forward " + gib_text(e.activation) +
                           " GiB) + cached encoder outputs " + gib_text(e.outputs) +
                           " GiB (vllm/v1/core/encoder_cache_manager.py, vllm/v1/worker/gpu_model_runner.py)");
    if (in.images > e.limit && e.limit > 0) {
      plan.warnings.push_back({"vllm_images_over_limit", std::to_string(in.images) +
                                                              " images per request exceed --limit-mm-per-prompt (" +
                                                              std::to_string(e.limit) + "): vLLM rejects the request"});
    }
  }
  if (in.kv_dtype == Dtype::kInt4) {
    plan.warnings.push_back({"vllm_kv_dtype", "vLLM has no int4 KV cache (use fp8)"});
  }
  if (in.context > s.max_model_len) {
    plan.warnings.push_back({"context_beyond_max_model_len", "requests of " + std::to_string(in.context) +
                                                                 " tokens exceed max_model_len " +
                                                                 std::to_string(s.max_model_len) + ": vLLM rejects them"});
  }
}

}  // namespace

}  // namespace vllm

namespace engine_util {

using engine_util::gib_text;

Capacity vllm_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                       int64_t batch, int64_t context) {
  TpData& d = cache.data(l.tp);
  const vllm::Startup s = vllm::startup(in, context);
  vllm::prepare(d, m, in);
  const vllm::Profile p = vllm::profile(m, in, l, d, scale, s);
  Capacity c;
  if (!p.failure.empty() || p.stages.empty()) return c;
  if (!vllm::check_length(p, context).failure.empty()) return c;
  c.starts = true;
  const int64_t bpr = vllm::blocks_per_request(p.kv(), context, s.max_num_batched_tokens);
  const int64_t dp = std::max<int64_t>(1, l.dp);
  c.max_concurrency = (s.v0 ? static_cast<double>(p.num_blocks * s.block_size) / static_cast<double>(context)
                            : static_cast<double>(p.num_blocks) / static_cast<double>(bpr)) *
                      static_cast<double>(dp);
  const int64_t need = per_replica(batch, dp) * bpr;
  c.headroom_bytes = std::numeric_limits<int64_t>::max();
  for (const auto& sp : p.stages) c.headroom_bytes = std::min(c.headroom_bytes, sp.available - need * sp.block_bytes);
  return c;
}

double vllm_usable_fraction(const Inputs& in) {
  // The budget (total x gpu_memory_utilization) holds weights + KV; --kv-cache-memory-bytes can exceed it.
  return in.vllm.kv_cache_memory_bytes > 0 ? 1.0 : std::min(1.0, in.vllm.gpu_memory_utilization);
}

int64_t vllm_window_tokens(int64_t window, int64_t context, const Inputs& in) {
  // A sliding layer holds window - 1 + one scheduler step (at least 2048 tokens, the smallest default).
  const int64_t step = in.vllm.max_num_batched_tokens > 0 ? in.vllm.max_num_batched_tokens : 2048;
  return std::min(window - 1 + step, context);
}

void vllm_solve_knob(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale, EngineSolves* sv) {
  // The smallest gpu_memory_utilization whose budget holds weights + activation peak + non-torch memory +
  // the blocks of N requests of L tokens on every stage: num_blocks = available // block bytes >= N x blocks per
  // request (the one-request check then holds too).
  TpData& d = cache.data(in.layout.tp);
  vllm::Startup s = vllm::startup(in, sv->context);
  s.kv_cache_memory_bytes = 0;
  s.gpu_memory_utilization = 1.0;
  vllm::prepare(d, m, in);
  const vllm::Profile p = vllm::profile(m, in, in.layout, d, scale, s);
  const bool memory_failure = p.failure.rfind("ValueError: No available memory", 0) == 0;
  if (!p.failure.empty() && !memory_failure) {
    sv->knob_note = "no value works: " + p.failure;
    return;
  }
  const int64_t total = in.gpu.memory_bytes();
  const int64_t need_blocks = per_replica(sv->batch, in.layout.dp) *
                              vllm::blocks_per_request(p.kv(), sv->context, s.max_num_batched_tokens);
  double needed = 0;
  for (const auto& sp : p.stages) {
    const int64_t fixed = sp.weights + sp.activation + sp.non_torch + (s.subtract_cuda_graphs ? sp.cuda_graph : 0);
    needed = std::max(needed, static_cast<double>(fixed + need_blocks * sp.block_bytes));
  }
  const double u = std::ceil(needed / static_cast<double>(total) * 1000.0) / 1000.0;
  if (u > 1.0) {
    sv->knob_value = -1;
    sv->knob_note = "no value works: " + std::to_string(sv->batch) + " x " + std::to_string(sv->context) +
                    " tokens need " + gib_text(needed) + " GiB per GPU, more than the GPU's " +
                    gib_text(static_cast<double>(total)) + " GiB; add GPUs";
    return;
  }
  sv->knob_value = u;
  const int64_t outside = total - static_cast<int64_t>(static_cast<double>(total) * u);
  const int64_t room = vllm::context_bytes(in.layout) + (s.subtract_cuda_graphs ? 0 : vllm::cuda_graph_bytes(s.enforce_eager));
  if (outside < room) {
    sv->knob_note = "leaves " + gib_text(static_cast<double>(outside)) +
                    " GiB outside the budget for the CUDA context, NCCL and CUDA graphs (~" +
                    gib_text(static_cast<double>(room)) + " GiB): start-up may run out of memory";
  }
  if (in.vllm.kv_cache_memory_bytes > 0) {
    sv->knob_note += std::string(sv->knob_note.empty() ? "" : "; ") +
                     "--kv-cache-memory-bytes overrides it: the KV cache needs " +
                     std::to_string(need_blocks * p.stages[p.binding].block_bytes) + " bytes per GPU";
  }
}

std::string vllm_launch_command(const ModelSpec& m, const Inputs& in) {
  return vllm::launch_command(m, in, vllm::startup(in));
}

EnginePlan vllm_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache&) {
  EnginePlan plan;
  const vllm::Startup s = vllm::startup(in);
  plan.engine_rules = vllm::rules_label(s);
  TpData tpd;
  tpd.tp = std::max<int64_t>(1, in.layout.tp);
  tpd.rw = rank_weights(m, in.weights, tpd.tp, in.include_mtp, kVocabPadding, /*rope_cache=*/true);
  vllm::prepare(tpd, m, in);
  const double scale = safetensors_scale(m, in);
  const vllm::Profile p = vllm::profile(m, in, in.layout, tpd, scale, s);
  const int64_t dp = std::max<int64_t>(1, in.layout.dp);
  const int64_t seqs = per_replica(in.batch, dp);
  const int64_t bpr_logged = vllm::blocks_per_request(p.kv(), s.max_model_len, s.max_num_batched_tokens);
  const int64_t bpr_work = vllm::blocks_per_request(p.kv(), in.context, s.max_num_batched_tokens);

  // The profile sizes the pool before the one-request check (ENGINES.md: vLLM logs the KV-cache size first), so
  // the pool and its concurrency are reported whenever profiling succeeds, also when the check then fails.
  const bool profiled = p.failure.empty() && !p.stages.empty();
  vllm::LengthCheck len;
  if (profiled) len = vllm::check_length(p, s.max_model_len);
  plan.failure = !p.failure.empty() ? p.failure : len.failure;
  plan.max_model_len_failure = len.failure;
  if (len.max_len >= 0) plan.max_model_len_that_fits = len.max_len;
  const bool starts = plan.failure.empty();
  const int64_t blocks = profiled ? p.num_blocks : 0;

  vllm::gpu_records(m, in, s, p, seqs, bpr_work, starts ? blocks : 0, starts, plan);
  if (plan.per_gpu.empty()) plan.margin_bytes = 0;
  plan.fits = starts && blocks >= seqs * bpr_work && !p.stages.empty();
  if (profiled) {
    plan.kv_cache_blocks = blocks;
    plan.kv_cache_tokens = vllm::logged_tokens(p.kv(), blocks);
    plan.available_kv_cache_bytes = p.stages[p.binding].available;
    // V1: blocks / blocks per request (get_max_concurrency_for_kv_cache_config); V0 (executor_base.py
    // initialize_cache): num_gpu_blocks x block_size / max_model_len.
    plan.max_concurrency =
        s.v0 ? static_cast<double>(blocks * s.block_size) / static_cast<double>(std::max<int64_t>(1, s.max_model_len))
             : static_cast<double>(blocks) / static_cast<double>(bpr_logged);
    plan.max_concurrency *= static_cast<double>(dp);
    // vLLM logs two decimals ("58.11x"); the JSON carries the same rounding.
    plan.max_concurrency = std::round(plan.max_concurrency * 100.0) / 100.0;
  }
  vllm::startup_lines(in, s, p, profiled, plan);
  vllm::cpu_offload(in, s, p, plan);
  vllm::assumptions(m, in, s, p, plan);
  vllm::warnings(m, in, s, p, plan);
  plan.settings = {{"gpu_memory_utilization", s.gpu_memory_utilization},
                   {"max_model_len", static_cast<double>(s.max_model_len)},
                   {"max_num_batched_tokens", static_cast<double>(s.max_num_batched_tokens)},
                   {"max_num_seqs", static_cast<double>(s.max_num_seqs)},
                   {"block_size", static_cast<double>(s.block_size)},
                   {"kv_cache_groups", static_cast<double>(p.kv().groups.size())},
                   {"cuda_graph_bytes", static_cast<double>(vllm::cuda_graph_bytes(s.enforce_eager))}};
  return plan;
}

}  // namespace engine_util

}  // namespace llmsizer
