// The estimate: a breakdown of typed parts, in bytes, per GPU and in total.
//
// estimate() is pure: a normalised model, a resolved set of inputs (defaults applied, validated) and a
// GPU in; an Estimate out. api.cpp turns a JSON request into these inputs and the Estimate into JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmsizer/gpu.h"
#include "llmsizer/memory.h"
#include "llmsizer/model.h"
#include "llmsizer/precision.h"
#include "llmsizer/request.h"

namespace llmsizer {

/// A request after defaults, presets and validation: everything the formulas need, nothing optional.
struct Inputs {
  GpuSpec gpu;
  Layout layout;
  WeightFormat weights;          ///< weight storage format
  Dtype kv_dtype = Dtype::kBf16;
  Dtype act_dtype = Dtype::kBf16;  ///< activations / compute
  int64_t context = 4096;        ///< tokens per sequence
  int64_t batch = 1;             ///< concurrent sequences
  int64_t input_tokens = 0;      ///< prompt tokens per request
  int64_t output_tokens = 0;     ///< generated tokens per request
  int64_t prefill_tokens = 8192; ///< tokens per prefill step (chunked prefill)
  double reserve = 0.2;          ///< fraction of GPU memory kept free
  int64_t overhead_bytes = 0;    ///< runtime overhead per GPU
  bool include_mtp = false;
  /// Checkpoint bytes from the Hub's safetensors counts (used for weights when the precision is auto).
  std::optional<double> safetensors_bytes;
  std::optional<int64_t> safetensors_parameters;
  Request request;               ///< the raw request, for engine-specific options
};

struct MemoryBreakdown {
  int64_t weights_bytes = 0;
  int64_t kv_cache_bytes = 0;
  int64_t activations_bytes = 0;
  int64_t overhead_bytes = 0;
  int64_t total_bytes() const { return weights_bytes + kv_cache_bytes + activations_bytes + overhead_bytes; }
};

/// One GPU of the deployment: a tensor-parallel rank of one pipeline stage (ranks of a stage are alike).
struct GpuMemory {
  int64_t stage = 0;
  int64_t first_layer = 0;
  int64_t end_layer = 0;
  MemoryBreakdown memory;
  int64_t weights_parameters = 0;           ///< parameters held by this GPU
  int64_t kv_cache_bytes_per_token = 0;     ///< one token's KV over this GPU's layers
  int64_t kv_cache_bytes_per_sequence = 0;  ///< one sequence of `context` tokens (sliding windows capped)
  int64_t capacity_bytes = 0;               ///< the GPU's memory
  int64_t usable_bytes = 0;                 ///< capacity minus the safety reserve
  int64_t free_bytes = 0;                   ///< usable minus total (negative: does not fit)
  int64_t max_concurrency = 0;              ///< sequences of `context` tokens that fit in what weights leave
};

struct ServingSummary {
  std::string engine = "generic";
  bool fits = false;               ///< every GPU's total within its usable memory
  int64_t margin_bytes = 0;        ///< the tightest GPU's free bytes (negative: short by this much)
  int64_t max_concurrency = 0;     ///< over the whole deployment (min over stages x data-parallel replicas)
  std::optional<Layout> gpus_needed_layout;  ///< the smallest valid layout of this GPU type that fits
  int64_t gpus_needed = 0;         ///< 0 = none within the search limit
  std::string gpus_needed_note;
};

struct Estimate {
  ModelSpec model;
  ParameterCounts parameters;
  std::string parameters_source = "config";  ///< "config" or "safetensors"
  Inputs inputs;
  std::vector<GpuMemory> per_gpu;  ///< one entry per pipeline stage
  size_t binding_gpu = 0;          ///< index in per_gpu of the GPU with the least free memory
  MemoryBreakdown all_gpus;        ///< sum over every GPU of the deployment
  ServingSummary serving;
  std::vector<Warning> warnings;
  std::vector<std::string> assumptions;  ///< the defaults and rules the numbers rest on, in words
};

/// Memory of every GPU of `layout` for the generic engine: weights + KV(batch x context) +
/// activations + overhead, against capacity x (1 - reserve).
std::vector<GpuMemory> generic_memory(const ModelSpec& m, const Inputs& in, const Layout& layout);

/// Whether every GPU of the layout fits (with the reserve).
bool all_fit(const std::vector<GpuMemory>& gpus);

/// The smallest valid layout of in.gpu that fits the workload (tp <= 8 and dividing the heads, then
/// pipeline stages), searching up to max_gpus GPUs.
std::optional<Layout> smallest_layout(const ModelSpec& m, const Inputs& in, int64_t max_gpus);

/// The whole estimate for the generic engine.
Estimate estimate(const ModelSpec& m, const Inputs& in);

}  // namespace llmsizer
