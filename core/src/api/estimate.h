// The estimate: a breakdown of typed parts, in bytes, per GPU and in total.
//
// estimate() is pure: a normalised model and resolved inputs (defaults applied, validated) in; an
// Estimate out. The serving engine's record (engines/table.h) decides how memory is laid out; the
// engine-neutral rules are the generic engine's (engines/generic.h).
// api.cpp turns a JSON request into Inputs and the Estimate into JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/engines.h"
#include "engines/generic.h"
#include "model/inputs.h"

namespace llmsizer {

struct Estimate {
  ModelSpec model;
  ParameterCounts parameters;
  std::string parameters_source = "config";  ///< "config", "safetensors" or "gguf"
  /// Elements of the GGUF file's tensors, when the model came from one (model.parameters reports them).
  std::optional<int64_t> gguf_parameters;
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

/// The whole estimate: the engine's plan, totals, and the GPUs needed.
Estimate estimate(const ModelSpec& m, const Inputs& in);

}  // namespace llmsizer
