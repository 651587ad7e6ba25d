// The estimate: a breakdown of typed parts, in bytes, per GPU and in total.
//
// estimate() is pure: a normalised model and resolved inputs (defaults applied, validated) in; an
// Estimate out. The serving engine's profile (engines.h) decides how memory is laid out; this file holds
// the engine-neutral ("generic") rules and the search for the smallest layout that fits.
// api.cpp turns a JSON request into Inputs and the Estimate into JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/engines.h"
#include "model/inputs.h"

namespace llmsizer {

struct Estimate {
  ModelSpec model;
  ParameterCounts parameters;
  std::string parameters_source = "config";  ///< "config" or "safetensors"
  Inputs inputs;
  EnginePlan plan;                 ///< the engine's memory plan and serving numbers
  size_t binding_gpu = 0;          ///< index in plan.per_gpu of the GPU with the least free memory
  MemoryBreakdown all_gpus;        ///< sum over every GPU of the deployment
  std::optional<Layout> gpus_needed_layout;  ///< the smallest valid layout of this GPU type that fits
  int64_t gpus_needed = 0;         ///< 0 = none within the search limit
  std::string gpus_needed_note;
  std::vector<ContextPoint> context_curve;  ///< the plan at other context lengths (engines.cpp)
  EngineSolves solves;             ///< reverse solves for the request's batch and context (engines.cpp)
  std::vector<Warning> warnings;
  std::vector<std::string> assumptions;  ///< the defaults and rules the numbers rest on, in words
};

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

/// The whole estimate: the engine's plan, totals, and the GPUs needed.
Estimate estimate(const ModelSpec& m, const Inputs& in);

}  // namespace llmsizer
