// SGLang engine emulation: a static pool for weights + KV cache, sized by mem_fraction_static.
//
// python/sglang/srt/model_executor/model_runner.py, ModelRunner.profile_max_num_token:
//   rest_memory    = available_gpu_memory (after loading the weights) - total_gpu_memory x (1 - mem_fraction_static)
//   max_num_token  = rest_memory // cell_size,   cell_size = kv_heads_per_rank x head_dim x layers x 2 x dtype bytes
//                    (MLA: (kv_lora_rank + qk_rope_head_dim) x layers x dtype bytes)
// where total_gpu_memory is the free memory measured at start-up, before the weights (after the CUDA context
// and NCCL). So tokens = (free x fraction - weights) / cell_size; the rest, (1 - fraction) x free, is left for
// activations and CUDA graphs. With TP the minimum over ranks is used (get_available_gpu_memory(distributed)).
//
// The default fraction (python/sglang/srt/server_args.py, ServerArgs._handle_gpu_memory_settings, v0.5 series):
// chunked_prefill_size and cuda_graph_max_bs by GPU memory, then
//   reserved_mem (MiB) = 512 + max(chunked_prefill_size, 2048) x 1.5 + cuda_graph_max_bs x 2 + tp x pp / 8 x 1024
//   mem_fraction_static = round((gpu_mem - reserved_mem) / gpu_mem, 3)
// (older releases, <= 0.4.6, used 0.88 / 0.87 / 0.85 / 0.81 / 0.79 for TP 1 / 2 / 4 / 8 / 16).
#include <algorithm>
#include <cmath>
#include <limits>

#include "engines/util.h"
#include "engines/sglang.h"
#include "units.h"

namespace llmsizer {

namespace sglang {

// Free memory at start-up = total minus the CUDA context (and NCCL communicators with TP/PP): the same
// 0.5 / 1.5 GiB vLLM's logs show before its first snapshot (units.h).

Defaults defaults(const GpuSpec& g, int64_t tp, int64_t pp) {
  Defaults d;
  const double mem = g.memory_gib * 1024.0;  // MiB, as get_device_memory_capacity returns it
  tp = std::max<int64_t>(1, tp);
  pp = std::max<int64_t>(1, pp);
  if (mem < 20 * 1024) {  // T4, RTX 4080
    d.chunked_prefill_size = 2048;
    d.cuda_graph_max_bs = 8;
  } else if (mem < 35 * 1024) {  // A10, L4, RTX 4090, RTX 5090
    d.chunked_prefill_size = 2048;
    d.cuda_graph_max_bs = tp < 4 ? 24 : 80;
  } else if (mem < 60 * 1024) {  // A100 40GB, L40(S)
    d.chunked_prefill_size = 4096;
    d.cuda_graph_max_bs = tp < 4 ? 32 : 160;
  } else if (mem < 160 * 1024) {  // H100, A100 80GB, H20, H200
    d.chunked_prefill_size = 8192;
    d.cuda_graph_max_bs = tp < 4 ? 256 : 512;
  } else {  // B200, MI300X
    d.chunked_prefill_size = 16384;
    d.cuda_graph_max_bs = 512;
  }
  d.reserved_mib = 512.0 + static_cast<double>(std::max<int64_t>(d.chunked_prefill_size, 2048)) * 1.5 +
                   static_cast<double>(d.cuda_graph_max_bs) * 2.0 + static_cast<double>(tp * pp) / 8.0 * 1024.0;
  d.mem_fraction_static = mem > d.reserved_mib ? std::round((mem - d.reserved_mib) / mem * 1000.0) / 1000.0 : 0.0;
  return d;
}

int64_t free_at_start(const GpuSpec& g, const Layout& l) {
  return g.memory_bytes() - (l.tp > 1 || l.pp > 1 ? kCudaContextParallelBytes : kCudaContextBytes);
}

double cell_bytes(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage) {
  return kv_bytes_per_token_rank(m, kv, tp, stage);
}

int64_t max_num_reqs(int64_t tokens, int64_t context_len) {
  // model_runner.py init_memory_pool: req_to_token_pool size.
  const double v = static_cast<double>(tokens) / static_cast<double>(std::max<int64_t>(1, context_len)) * 512.0;
  return std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(v), 2048), 4096);
}

}  // namespace sglang

namespace {

struct StageInfo {
  Stage stage;
  int64_t weights = 0;
  int64_t parameters = 0;
  double cell = 0;       ///< KV bytes per token on one rank of this stage
  int64_t pool = 0;      ///< free x fraction - weights
  int64_t tokens = 0;
};

struct Pool {
  double fraction = 0;
  sglang::Defaults d;
  int64_t free = 0;
  std::vector<StageInfo> stages;
  int64_t tokens = 0;   ///< min over stages
  std::string failure;
};

Pool pool(const ModelSpec& m, const Inputs& in, const Layout& l, const RankWeights& rw, double scale, double fraction) {
  Pool p;
  p.d = sglang::defaults(in.gpu, l.tp, l.pp);
  p.fraction = fraction > 0 ? fraction : p.d.mem_fraction_static;
  p.free = sglang::free_at_start(in.gpu, l);
  const double budget = static_cast<double>(p.free) * p.fraction;
  p.tokens = std::numeric_limits<int64_t>::max();
  for (const Stage& st : pipeline_stages(m.num_hidden_layers(), l.pp)) {
    StageInfo s;
    s.stage = st;
    const WeightBytes w = stage_weights(rw, st);
    s.weights = static_cast<int64_t>(std::llround(w.tensors * scale + w.buffers));
    s.parameters = w.parameters;
    s.cell = sglang::cell_bytes(m, in.kv_dtype, l.tp, st);
    s.pool = static_cast<int64_t>(budget) - s.weights;
    s.tokens = s.pool > 0 && s.cell > 0 ? static_cast<int64_t>(std::floor(static_cast<double>(s.pool) / s.cell)) : 0;
    p.tokens = std::min(p.tokens, s.tokens);
    if (p.failure.empty() && s.weights > p.free) {
      p.failure = "torch.OutOfMemoryError: CUDA out of memory while loading the weights (" +
                  engine_util::gib_text(static_cast<double>(s.weights)) + " GiB)";
    }
    p.stages.push_back(s);
  }
  if (p.stages.empty()) p.tokens = 0;
  if (p.failure.empty() && !engine_util::tp_divides(m, l.tp)) p.failure = "ValueError: " + tp_problem(m, l.tp);
  if (p.failure.empty() && p.tokens <= 0) {
    p.failure = "RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.";
  }
  return p;
}

int64_t max_running(const Pool& p, int64_t context) {
  // tp_worker.py: max_running_requests = min(max_total_num_tokens // 2, req_to_token_pool.size).
  return std::min(p.tokens / 2, sglang::max_num_reqs(p.tokens, context));
}

}  // namespace

namespace engine_util {

Capacity sglang_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                         int64_t batch, int64_t context) {
  const Pool p = pool(m, in, l, cache.data(l.tp).rw, scale, in.sglang.mem_fraction_static);
  Capacity c;
  if (!p.failure.empty() || p.tokens < context) return c;  // a request longer than the pool is refused
  c.starts = true;
  const int64_t dp = std::max<int64_t>(1, l.dp);
  const double by_tokens = static_cast<double>(p.tokens) / static_cast<double>(context);
  c.max_concurrency = std::min(by_tokens, static_cast<double>(max_running(p, context))) * static_cast<double>(dp);
  const int64_t seqs = per_replica(batch, dp);
  c.headroom_bytes = std::numeric_limits<int64_t>::max();
  for (const StageInfo& s : p.stages) {
    c.headroom_bytes = std::min(c.headroom_bytes,
                                s.pool - static_cast<int64_t>(std::llround(static_cast<double>(seqs * context) * s.cell)));
  }
  return c;
}

double sglang_usable_fraction(const Inputs& in) {
  // The static pool (free x mem_fraction_static) holds weights + KV; the default shrinks with tp x pp, so the
  // single-GPU default bounds every layout.
  return in.sglang.mem_fraction_static > 0 ? in.sglang.mem_fraction_static
                                            : sglang::defaults(in.gpu, 1, 1).mem_fraction_static;
}

bool sglang_monotone_in_pp(const Inputs& in) {
  // SGLang's default reserve grows with tp x pp (sglang::defaults), so on small GPUs a deeper pipeline can serve
  // less; a fraction the request sets does not move.
  return in.sglang.mem_fraction_static > 0;
}

int64_t sglang_window_tokens(int64_t, int64_t context, const Inputs&) {
  // SGLang keeps full KV on every layer (no sliding-window pool).
  return context;
}

void sglang_solve_knob(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale, EngineSolves* sv) {
  const Pool p = pool(m, in, in.layout, cache.data(in.layout.tp).rw, scale, 1.0);
  if (!p.failure.empty() && p.failure.rfind("RuntimeError: Not enough memory", 0) != 0) {
    sv->knob_note = "no value works: " + p.failure;
    return;
  }
  const int64_t seqs = per_replica(sv->batch, in.layout.dp);
  double needed = 0;
  for (const StageInfo& s : p.stages) {
    needed = std::max(needed, static_cast<double>(s.weights) + static_cast<double>(seqs * sv->context) * s.cell);
  }
  const double f = std::ceil(needed / static_cast<double>(p.free) * 1000.0) / 1000.0;
  if (f >= 1.0) {
    sv->knob_value = -1;
    sv->knob_note = "no value works: weights + " + std::to_string(sv->batch) + " x " + std::to_string(sv->context) +
                    " tokens need " + gib_text(needed) + " GiB per GPU, more than the " +
                    gib_text(static_cast<double>(p.free)) + " GiB free after the CUDA context; add GPUs";
    return;
  }
  sv->knob_value = f;
  const double left = (1.0 - f) * static_cast<double>(p.free);
  const double reserve = p.d.reserved_mib * static_cast<double>(int64_t{1} << 20);
  if (left < reserve) {
    sv->knob_note = "leaves " + gib_text(left) + " GiB for activations and CUDA graphs, less than the " +
                    gib_text(reserve) + " GiB SGLang's default reserves: prefill may run out of memory";
  }
}

std::string sglang_launch_command(const ModelSpec& m, const Inputs& in) {
  const double fraction = in.sglang.mem_fraction_static > 0
                              ? in.sglang.mem_fraction_static
                              : sglang::defaults(in.gpu, in.layout.tp, in.layout.pp).mem_fraction_static;
  std::string cmd = "python -m sglang.launch_server --model-path " + repo_or_placeholder(in);
  if (in.layout.tp > 1) cmd += " --tp-size " + std::to_string(in.layout.tp);
  if (in.layout.pp > 1) cmd += " --pp-size " + std::to_string(in.layout.pp);
  if (in.layout.dp > 1) cmd += " --dp-size " + std::to_string(in.layout.dp);
  cmd += " --context-length " + std::to_string(in.context);
  cmd += " --mem-fraction-static " + knob_text(fraction);
  if (in.kv_dtype == Dtype::kFp8) cmd += " --kv-cache-dtype fp8_e5m2";
  if (in.weights.method == QuantMethod::kFp8 && !m.has_quantization_config) cmd += " --quantization fp8";
  if (in.weights.method == QuantMethod::kNone) {
    const Dtype ckpt = m.has_torch_dtype ? m.torch_dtype : Dtype::kBf16;
    const Dtype served = ckpt == Dtype::kFp32 ? Dtype::kBf16 : ckpt;
    if (in.weights.dtype != served) {
      cmd += std::string(" --dtype ") +
             (in.weights.dtype == Dtype::kFp32 ? "float32" : in.weights.dtype == Dtype::kFp16 ? "float16" : "bfloat16");
    }
  }
  return cmd;
}

EnginePlan sglang_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache&) {
  EnginePlan plan;
  // One release's rules (no version table yet): the default fraction of the v0.5 series (header comment).
  plan.engine_rules = "SGLang 0.5 (server_args.py mem_fraction_static defaults of the v0.5 series)";
  const RankWeights rw = rank_weights(m, in.weights, in.layout.tp, in.include_mtp, kVocabPadding, /*rope_cache=*/true);
  const Pool p = pool(m, in, in.layout, rw, safetensors_scale(m, in), in.sglang.mem_fraction_static);
  const int64_t dp = std::max<int64_t>(1, in.layout.dp);
  const int64_t seqs = per_replica(in.batch, dp);
  const int64_t total = in.gpu.memory_bytes();
  const int64_t context = in.context;
  plan.failure = p.failure;
  if (plan.failure.empty() && p.tokens < context) {
    plan.failure = "The request of " + std::to_string(context) + " tokens is longer than the KV pool (" +
                   std::to_string(p.tokens) + " tokens): SGLang would abort it";
    plan.max_model_len_that_fits = p.tokens;
  }
  const bool starts = plan.failure.empty();
  plan.margin_bytes = std::numeric_limits<int64_t>::max();
  const int64_t reserved = static_cast<int64_t>((1.0 - p.fraction) * static_cast<double>(p.free));
  for (const StageInfo& s : p.stages) {
    GpuMemory g = stage_gpu(s.stage, s.weights, s.parameters);
    g.kv_cache_bytes_per_token = static_cast<int64_t>(std::llround(s.cell));
    g.kv_cache_bytes_per_sequence = static_cast<int64_t>(std::llround(s.cell * static_cast<double>(context)));
    g.memory.kv_cache_bytes = g.kv_cache_bytes_per_sequence * seqs;
    g.memory.activations_bytes = reserved;  // what mem_fraction_static leaves for activations and CUDA graphs
    g.memory.overhead_bytes = total - p.free;
    g.capacity_bytes = total;
    g.usable_bytes = total;
    g.free_bytes = g.usable_bytes - g.memory.total_bytes();
    g.max_concurrency = starts && context > 0 ? std::min(p.tokens / context, max_running(p, context)) : 0;
    plan.margin_bytes = std::min(plan.margin_bytes, g.free_bytes);
    plan.per_gpu.push_back(g);
  }
  if (plan.per_gpu.empty()) plan.margin_bytes = 0;
  plan.fits = starts && plan.margin_bytes >= 0 && !p.stages.empty() &&
              std::min(p.tokens / std::max<int64_t>(1, context), max_running(p, context)) >= seqs;
  if (!p.stages.empty() && p.tokens > 0) {
    plan.kv_cache_tokens = p.tokens;
    plan.available_kv_cache_bytes = static_cast<int64_t>(std::llround(static_cast<double>(p.tokens) * p.stages.front().cell));
  }
  if (starts) {
    const double by_tokens = static_cast<double>(p.tokens) / static_cast<double>(context);
    plan.max_concurrency = std::floor(std::min(by_tokens, static_cast<double>(max_running(p, context))) * 100.0) / 100.0 *
                           static_cast<double>(dp);
  }

  // ---- what SGLang would print (python/sglang/srt/model_executor/model_runner.py, managers/scheduler.py) ----
  for (const StageInfo& s : p.stages) {
    const std::string prefix = in.layout.pp > 1 ? "(PP" + std::to_string(s.stage.index) + ") " : "";
    plan.startup_log.push_back(prefix + "Load weight end. avail mem=" +
                               gib_text(static_cast<double>(p.free - s.weights)) + " GB, mem usage=" +
                               gib_text(static_cast<double>(s.weights)) + " GB.");
  }
  if (!p.stages.empty() && p.tokens > 0) {
    const double half = static_cast<double>(p.tokens) * p.stages.front().cell / 2.0;
    plan.startup_log.push_back("KV Cache is allocated. #tokens: " + std::to_string(p.tokens) + ", K size: " +
                               gib_text(half) + " GB, V size: " + gib_text(half) + " GB");
    plan.startup_log.push_back("max_total_num_tokens=" + std::to_string(p.tokens) +
                               ", chunked_prefill_size=" + std::to_string(p.d.chunked_prefill_size) +
                               ", max_running_requests=" + std::to_string(max_running(p, context)) +
                               ", context_len=" + std::to_string(context));
  }
  if (!starts) plan.startup_log.push_back(plan.failure);

  plan.assumptions.push_back(
      "SGLang: KV pool = (free memory at start x mem_fraction_static " + knob_text(p.fraction) +
      (in.sglang.mem_fraction_static > 0 ? "" : " (SGLang's default for this GPU and TP)") +
      " - weights) / KV bytes per token; free at start = " + gib_text(static_cast<double>(p.free)) +
      " GiB (total minus the CUDA context" + (in.layout.tp > 1 || in.layout.pp > 1 ? " and NCCL)" : ")"));
  plan.assumptions.push_back("SGLang keeps every layer's full KV (no sliding-window pool) with page size 1; "
                             "max_running_requests = min(tokens / 2, request-pool size)");
  if (in.kv_dtype == Dtype::kInt8 || in.kv_dtype == Dtype::kInt4) {
    plan.warnings.push_back({"sglang_kv_dtype", "SGLang's KV cache dtypes are auto, fp8_e5m2 and fp8_e4m3"});
  }
  plan.settings = {{"mem_fraction_static", p.fraction},
                   {"chunked_prefill_size", static_cast<double>(p.d.chunked_prefill_size)},
                   {"cuda_graph_max_bs", static_cast<double>(p.d.cuda_graph_max_bs)},
                   {"context_length", static_cast<double>(context)},
                   {"max_running_requests", static_cast<double>(max_running(p, context))}};
  return plan;
}

}  // namespace engine_util

}  // namespace llmsizer
