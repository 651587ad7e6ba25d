// GPU recommendations: every GPU preset the request's engine runs on, in the node-shaped layout people deploy.
//
// For each GPU (deploy.h): whether the engine supports it (else `recommendations_excluded` with the reason); the
// smallest node-shaped layouts that serve `batch` users at `context` tokens (TP inside a node, PP and DP across
// nodes; pipeline stages deeper than the nodes require only when nothing else fits); among them the one with the
// most output tokens/s per GPU (at the latency target when one is set). The GPUs are ranked the same way: fewest
// nodes, fewest GPUs, throughput per GPU (deploy::rank_before).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/estimate.h"
#include "deploy/deploy.h"
#include "llmsizer/gpu.h"
#include "speed/speed.h"

namespace llmsizer {

struct Recommendation {
  std::string gpu;          ///< preset id
  std::string name;
  std::string vendor;
  std::string market;
  double memory_gib = 0;    ///< one GPU's memory, GiB
  int64_t count = 0;        ///< GPUs needed
  Layout layout;            ///< their tensor/pipeline split and data-parallel replicas
  int64_t nodes = 1;        ///< machines the layout occupies (deploy::layout_nodes)
  int64_t gpus_per_node = 8;
  bool conventional = true;     ///< pipeline stages only where nodes force them (deploy::conventional)
  std::string tp_link;          ///< the link TP all-reduces cross ("none" without TP)
  std::string pp_link;          ///< the link pipeline hand-offs cross ("none" without PP)
  std::string support_via;      ///< the backend the engine runs through on this GPU ("CUDA", "ROCm", ...)
  std::string support_note;     ///< a caveat of that support ("" = none)
  double max_concurrency = 0;   ///< sequences of `context` tokens that layout serves at once
  int64_t headroom_bytes = 0;   ///< the tightest GPU's spare bytes with `batch` sequences
  /// Generated tokens per second per request at the request's batch, input and output lengths (speed.h);
  /// empty when the GPU preset has no bandwidth / TFLOPS figures.
  std::optional<double> tokens_per_second;
  /// Generated tokens per second over all the batch's sequences (prefill included).
  std::optional<double> throughput_tokens_per_second;
  /// What the ranking uses: output tokens/s per GPU, at the latency target when one is set (0 when missed).
  std::optional<double> throughput_per_gpu;
  bool target = false;              ///< a latency target was set (target_tpot_ms / target_ttft_ms)
  deploy::TargetResult at_target;   ///< the largest concurrency that meets it, and the speed there
  std::optional<deploy::Cost> cost; ///< with gpu_hour_usd: the price spread over the throughput
  std::vector<deploy::NodeCommand> launch_commands;  ///< one per node (vLLM, SGLang, llama.cpp)
  /// The first recommendations only (kCurveRecommendations): tokens/s per user and per GPU at 1, 2, 4, ... users
  /// up to the KV-cache limit, for the page's per-GPU vs per-user chart.
  std::vector<SpeedPoint> curve;
};

/// How many of the ranked recommendations carry a speed curve.
constexpr size_t kCurveRecommendations = 3;

/// A GPU left out, and why: the engine does not run on it, or no layout within recommend_max_gpus serves the load.
struct ExcludedGpu {
  std::string gpu;
  std::string name;
  std::string reason;
};

struct Recommendations {
  std::vector<Recommendation> items;
  std::vector<ExcludedGpu> excluded;
};

/// Ranks `gpus` (filtered by in.request.recommend_vendor / recommend_market / recommend_min_memory_gib) for
/// in.batch sequences of in.context tokens.
Recommendations recommend_gpus(const ModelSpec& m, const Inputs& in, const std::vector<GpuSpec>& gpus);

}  // namespace llmsizer
