// The estimate: the engine's plan (engines/table.h), the totals over every GPU, the reverse solves and the
// context curve.
#include "api/estimate.h"

#include <algorithm>
#include <utility>

#include "engines/encoder.h"

namespace llmsizer {

namespace {

/// An encoder: one GPU per replica, one forward per batch (engines/encoder.cpp); no reverse solves or context
/// curve (they size KV caches).
Estimate estimate_encoder(Estimate e) {
  const ModelSpec& m = e.model;
  const Inputs& in = e.inputs;
  e.plan = encoder_plan(m, in);
  e.plan.engine = engine_name(in.engine);
  e.assumptions.insert(e.assumptions.end(), e.plan.assumptions.begin(), e.plan.assumptions.end());
  const int64_t ranks = in.layout.dp;
  for (const GpuMemory& g : e.plan.per_gpu) {
    e.all_gpus.weights_bytes += g.memory.weights_bytes * ranks;
    e.all_gpus.activations_bytes += g.memory.activations_bytes * ranks;
    e.all_gpus.overhead_bytes += g.memory.overhead_bytes * ranks;
  }
  if (e.plan.fits) {
    e.gpus_needed = in.layout.gpus();
    e.gpus_needed_layout = in.layout;
  } else {
    e.gpus_needed_note = "the model and one forward do not fit one GPU of this type: lower the batch or the tokens "
                         "per text, or choose a larger GPU";
  }
  e.solves.batch = in.batch;
  e.solves.context = in.context;
  return e;
}

/// The vision tower and projector's share of the first stage's weights (memory.breakdown): they stay in the
/// format's plain 16-bit dtype (weight quantisation applies to the language model's matrices, model/memory.cpp).
/// llama.cpp keeps them in a separate mmproj file the model file does not count (gguf/quantize.cpp).
#if !LLMSIZER_LITE
void mark_vision_weights(const ModelSpec& m, const Inputs& in, std::vector<GpuMemory>& gpus) {
  if (m.vision.parameters <= 0 || in.engine == EngineId::kLlamaCpp) return;
  const auto bytes = static_cast<int64_t>(plain_bytes(in.weights.dtype, static_cast<double>(m.vision.parameters)));
  for (GpuMemory& g : gpus) {
    if (g.stage == 0) g.memory.vision_weights_bytes = std::min(bytes, g.memory.weights_bytes);
  }
}
#endif

}  // namespace

Estimate estimate(const ModelSpec& m, const Inputs& in) {
  Estimate e;
  e.model = m;
  e.inputs = in;
  e.parameters = count_parameters(m);
  e.warnings = m.warnings;
  if (m.kind == ModelKind::kEncoder) return estimate_encoder(std::move(e));
  e.plan = plan_engine(m, in);
  e.warnings.insert(e.warnings.end(), e.plan.warnings.begin(), e.plan.warnings.end());
  e.assumptions.insert(e.assumptions.end(), e.plan.assumptions.begin(), e.plan.assumptions.end());
#if !LLMSIZER_LITE  // no vision towers in the lite module
  mark_vision_weights(m, in, e.plan.per_gpu);
#endif
  const std::vector<GpuMemory>& gpus = e.plan.per_gpu;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (gpus[i].free_bytes < gpus[e.binding_gpu].free_bytes) e.binding_gpu = i;
  }
  const int64_t ranks = in.layout.tp * in.layout.dp;
  for (const GpuMemory& g : gpus) {
    e.all_gpus.weights_bytes += g.memory.weights_bytes * ranks;
    e.all_gpus.kv_cache_bytes += g.memory.kv_cache_bytes * ranks;
    e.all_gpus.activations_bytes += g.memory.activations_bytes * ranks;
    e.all_gpus.overhead_bytes += g.memory.overhead_bytes * ranks;
#if !LLMSIZER_LITE  // llama.cpp --mmproj (not in the lite module)
    e.all_gpus.mmproj_bytes += g.memory.mmproj_bytes * ranks;
#endif
  }
  // The reverse solves (engines.cpp) include the engine's own fewest-GPU layout for this workload.
  e.solves = solve_engine(m, in);
  e.context_curve = context_curve(m, in);
  e.gpus_needed = e.solves.fewest_gpus;
  if (e.solves.fewest_gpus > 0) e.gpus_needed_layout = e.solves.fewest_layout;
  e.gpus_needed_note = e.solves.fewest_note;
  return e;
}

}  // namespace llmsizer
