// The generic engine: engine-neutral rules (weights + KV(batch x context) + activations + overhead per GPU, against
// the GPU's memory minus a safety reserve), the profile a request gets when it names no serving engine.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engines/engines.h"
#include "model/inputs.h"

namespace llmsizer {

/// Memory of every GPU of `layout` for the generic engine: weights + KV(batch x context) +
/// activations + overhead, against capacity x (1 - reserve).
std::vector<GpuMemory> generic_memory(const ModelSpec& m, const Inputs& in, const Layout& layout);
/// The same with the ranks' weights precomputed (rank_weights with vocab padding 1 and the rope cache) and the
/// factor to the Hub's exact checkpoint bytes (1 without them).
std::vector<GpuMemory> generic_memory(const ModelSpec& m, const Inputs& in, const Layout& layout, const RankWeights& rw,
                                      double weights_scale);

/// Whether every GPU of the layout fits (with the reserve).
bool all_fit(const std::vector<GpuMemory>& gpus);

/// The smallest valid layout of in.gpu that fits the workload (tp <= 8 and dividing the heads, then
/// pipeline stages), searching up to max_gpus GPUs.
std::optional<Layout> smallest_layout(const ModelSpec& m, const Inputs& in, int64_t max_gpus);

}  // namespace llmsizer
