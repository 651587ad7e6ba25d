// GPU recommendations: every GPU preset ranked for one workload (model, precision, context, users, engine).
//
// For each GPU the fewest GPUs with a valid layout that serve `batch` users at `context` tokens under the
// request's engine (the same search as serving.gpus_needed), then sorted by GPU count, then memory headroom.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/estimate.h"
#include "llmsizer/gpu.h"

namespace llmsizer {

struct Recommendation {
  std::string gpu;          ///< preset id
  std::string name;
  std::string vendor;
  std::string market;
  double memory_gib = 0;    ///< one GPU's memory, GiB
  int64_t count = 0;        ///< GPUs needed
  Layout layout;            ///< their tensor/pipeline split and data-parallel replicas
  double max_concurrency = 0;   ///< sequences of `context` tokens that layout serves at once
  int64_t headroom_bytes = 0;   ///< the tightest GPU's spare bytes with `batch` sequences
  /// Generated tokens per second per request at the request's batch, input and output lengths (speed.h);
  /// empty when the GPU preset has no bandwidth / TFLOPS figures.
  std::optional<double> tokens_per_second;
  /// Generated tokens per second over all the batch's sequences (prefill included).
  std::optional<double> throughput_tokens_per_second;
};

/// Ranks `gpus` (filtered by in.request.recommend_vendor / recommend_market / recommend_min_memory_gib) for
/// in.batch sequences of in.context tokens; GPUs that cannot serve it within recommend_max_gpus are left out.
std::vector<Recommendation> recommend_gpus(const ModelSpec& m, const Inputs& in, const std::vector<GpuSpec>& gpus);

}  // namespace llmsizer
