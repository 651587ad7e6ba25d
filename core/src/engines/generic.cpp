// The generic engine: weights + KV cache + activations + overhead per GPU, against the GPU's memory
// minus a safety reserve; max concurrency; the smallest layout that fits.
#include "engines/generic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engines/util.h"
#if !LLMSIZER_LITE
#include "model/vision.h"
#endif

namespace llmsizer {

namespace {

int64_t to_bytes(double b) { return static_cast<int64_t>(std::llround(b)); }

#if !LLMSIZER_LITE
/// The vision tower's forward over one request's images (the lite module answers no image request).
int64_t vision_activations(const ModelSpec& m, const Inputs& in) {
  return to_bytes(vision_activation_bytes(m.vision, in.images * in.image.encoder_tokens, dtype_bits(in.act_dtype) / 8.0));
}
#endif

/// Sequences of `context` tokens that fit into what weights, activations and overhead leave.
int64_t concurrency(int64_t usable, const MemoryBreakdown& m, int64_t kv_per_sequence) {
  const int64_t left = usable - m.weights_bytes - m.activations_bytes - m.overhead_bytes;
  if (left <= 0 || kv_per_sequence <= 0) return 0;
  return left / kv_per_sequence;
}

RankWeights generic_rank_weights(const ModelSpec& m, const Inputs& in, int64_t tp) {
  return rank_weights(m, in.weights, tp, in.include_mtp, /*vocab_padding=*/1, /*rope_cache=*/true);
}

std::vector<GpuMemory> generic_memory_with(const ModelSpec& m, const Inputs& in, const Layout& layout,
                                           const RankWeights& rw) {
  // The Hub's exact checkpoint bytes replace ours when the precision is the checkpoint's own; the split
  // over ranks keeps our proportions.
  double scale = 1.0;
  if (in.safetensors_bytes) {
    const RankWeights whole = rank_weights(m, in.weights, 1, in.include_mtp, 1, false);
    double ours = whole.first_bytes + whole.last_bytes;
    for (double b : whole.layer_bytes) ours += b;
    if (ours > 0) scale = *in.safetensors_bytes / ours;
  }
  return generic_memory(m, in, layout, rw, scale);
}

}  // namespace

std::vector<GpuMemory> generic_memory(const ModelSpec& m, const Inputs& in, const Layout& layout, const RankWeights& rw,
                                      double scale) {
  // Sequences per data-parallel replica.
  const int64_t batch = (in.batch + layout.dp - 1) / std::max<int64_t>(1, layout.dp);
  const int64_t prompt = in.input_tokens > 0 ? in.input_tokens : in.context;
  const int64_t step_tokens = std::max<int64_t>(1, std::min(in.prefill_tokens, batch * prompt));
  std::vector<GpuMemory> out;
  for (const Stage& s : pipeline_stages(m.num_hidden_layers(), layout.pp)) {
    const WeightBytes w = stage_weights(rw, s);
    GpuMemory g = stage_gpu(s, to_bytes(w.tensors * scale + w.buffers), w.parameters);
    g.kv_cache_bytes_per_token = to_bytes(kv_bytes_per_token_rank(m, in.kv_dtype, layout.tp, s));
    g.kv_cache_bytes_per_sequence = to_bytes(kv_bytes_per_sequence_rank(m, in.kv_dtype, layout.tp, s, in.context));
    g.memory.kv_cache_bytes = g.kv_cache_bytes_per_sequence * batch;
    g.memory.activations_bytes = activation_peak_rank(m, in.act_dtype, layout.tp, s, step_tokens, batch).total();
#if !LLMSIZER_LITE
    if (s.first && in.images > 0) {
      // The tower's forward over one request's images, on the GPUs that hold it (model/vision.h), beside the
      // text step's peak: its outputs wait in memory for the prefill that consumes them.
      g.memory.vision_activations_bytes = vision_activations(m, in);
      g.memory.activations_bytes += g.memory.vision_activations_bytes;
    }
#endif
    g.memory.overhead_bytes = in.generic.overhead_bytes;
    g.capacity_bytes = in.gpu.memory_bytes();
    g.usable_bytes = static_cast<int64_t>(static_cast<double>(g.capacity_bytes) * (1.0 - in.generic.reserve));
    g.free_bytes = g.usable_bytes - g.memory.total_bytes();
    g.max_concurrency = concurrency(g.usable_bytes, g.memory, g.kv_cache_bytes_per_sequence);
    out.push_back(g);
  }
  return out;
}

std::vector<GpuMemory> generic_memory(const ModelSpec& m, const Inputs& in, const Layout& layout) {
  return generic_memory_with(m, in, layout, generic_rank_weights(m, in, layout.tp));
}

bool all_fit(const std::vector<GpuMemory>& gpus) {
  return std::all_of(gpus.begin(), gpus.end(), [](const GpuMemory& g) { return g.free_bytes >= 0; });
}

std::optional<Layout> smallest_layout(const ModelSpec& m, const Inputs& in, int64_t max_gpus) {
  // Tensor parallelism within a node (<= 8 GPUs, NVLink domain), pipeline stages beyond: the usual
  // recipe (vLLM docs "Distributed inference and serving": TP = GPUs per node, PP = nodes).
  std::optional<Layout> best;
  const int64_t layers = m.num_hidden_layers();
  for (int64_t tp : {8, 4, 2, 1}) {
    if (!tp_problem(m, tp).empty()) continue;
    const RankWeights rw = generic_rank_weights(m, in, tp);  // per-layer costs once per tp, then any split
    for (int64_t pp = 1; pp <= layers && tp * pp <= max_gpus; ++pp) {
      if (best && tp * pp >= best->gpus()) break;
      Layout l{tp, pp, 1};
      if (all_fit(generic_memory_with(m, in, l, rw))) {
        // Prefer the fewest GPUs; at equal count, more tensor parallelism (tried first) wins.
        best = l;
        break;
      }
    }
  }
  return best;
}

namespace engine_util {

EnginePlan generic_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache&) {
  EnginePlan p;
  p.per_gpu = generic_memory(m, in, in.layout);
  p.fits = all_fit(p.per_gpu);
  int64_t conc = std::numeric_limits<int64_t>::max();
  p.margin_bytes = std::numeric_limits<int64_t>::max();
  for (const GpuMemory& g : p.per_gpu) {
    conc = std::min(conc, g.max_concurrency);
    p.margin_bytes = std::min(p.margin_bytes, g.free_bytes);
  }
  if (p.per_gpu.empty()) conc = p.margin_bytes = 0;
  p.max_concurrency = static_cast<double>(conc * in.layout.dp);
  return p;
}

Capacity generic_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                          int64_t batch, int64_t context) {
  const Inputs x = with_workload(in, batch, context);
  const std::vector<GpuMemory> gpus = generic_memory(m, x, l, cache.data(l.tp).rw, scale);
  Capacity c;
  c.starts = !gpus.empty();
  int64_t conc = std::numeric_limits<int64_t>::max();
  c.headroom_bytes = std::numeric_limits<int64_t>::max();
  for (const GpuMemory& g : gpus) {
    conc = std::min(conc, g.max_concurrency);
    c.headroom_bytes = std::min(c.headroom_bytes, g.free_bytes);
  }
  if (gpus.empty()) conc = c.headroom_bytes = 0;
  c.starts = c.starts && conc >= 1;
  c.max_concurrency = static_cast<double>(conc * std::max<int64_t>(1, l.dp));
  return c;
}

double generic_usable_fraction(const Inputs& in) { return 1.0 - in.generic.reserve; }

}  // namespace engine_util

}  // namespace llmsizer
