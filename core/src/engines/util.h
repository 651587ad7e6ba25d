// Helpers shared by the serving-engine profiles (engines.cpp, generic.cpp, vllm.cpp, sglang.cpp, transformers.cpp,
// llamacpp.cpp, table.cpp, recommend.cpp): text formatting for start-up lines and launch commands, a
// per-tensor-parallel-size cache of weights per rank, small facts about GPUs the engines branch on, and each
// engine's entry points (the functions its row of the engine table names). Internal to the core.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engines/engines.h"
#include "engines/generic.h"
#include "engines/llamacpp.h"
#include "engines/vllm.h"

namespace llmsizer::engine_util {

inline int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? a : (a + b - 1) / b; }

/// "476016" -> "476,016" (vLLM and SGLang print token counts with thousands separators).
std::string with_commas(int64_t n);
/// printf("%.<decimals>f").
std::string fixed(double v, int decimals);
/// Bytes as GiB with two decimals (2^30 bytes; the unit vLLM logs).
std::string gib_text(double bytes);
/// A flag value with at least two decimals and no trailing noise: 0.9 -> "0.90", 0.925 -> "0.925".
std::string knob_text(double v);

/// tp_problem(m, tp).empty() without building a string (hot path of the layout search).
bool tp_divides(const ModelSpec& m, int64_t tp);

/// Parses "0.19", "0.19.0", "v0.10.1.1", "4.46.0" into major/minor; false when not a version.
bool parse_version(const std::string& text, int* major, int* minor);

/// The Hub repo id for launch commands, or a placeholder when the request gave only a config.
std::string repo_or_placeholder(const Inputs& in);

/// Sequences one data-parallel replica serves: ceil(batch / dp).
int64_t per_replica(int64_t batch, int64_t dp);

/// The inputs for `batch` sequences of `context` tokens (the request's own split of input and output tokens
/// at its own context; at another context the output length is kept, at most half, and the rest is prompt).
Inputs with_workload(const Inputs& in, int64_t batch, int64_t context);

/// The factor that turns computed checkpoint bytes into the Hub's exact ones (1 without safetensors counts).
double safetensors_scale(const ModelSpec& m, const Inputs& in);

/// Whether NCCL's NVLink SHARP (NVLS) algorithms are available between these GPUs: third-generation NVSwitch
/// systems (HGX/DGX H100, H200, H20, H800) and NVLink-switch Blackwell (HGX B200/B100, GB200/GB300 NVL).
/// NVLS needs the NVSwitch's multicast engine, which A100's NVSwitch and NVLink bridges lack (NCCL docs,
/// "NCCL_NVLS_ENABLE"; NVIDIA "NVLink SHARP" in the Hopper architecture whitepaper). Custom GPUs: no.
/// The preset catalogue names the system by id until it carries an explicit NVSwitch field.
bool nvlink_sharp(const GpuSpec& g);

/// What every layout with one tensor-parallel size shares, computed once per tp and reused across GPUs and
/// pipeline splits (the recommendations evaluate hundreds of layouts; walking the layers once per tp keeps that
/// fast): the weights of one rank, and vLLM's KV layout and per-layer forward transients.
struct TpData {
  int64_t tp = 1;
  RankWeights rw;
  bool vllm_ready = false;
  vllm::KvLayout kv;               ///< vLLM KV-cache layout at this tp (in.kv_dtype, block size)
  std::vector<double> forward;     ///< vLLM forward transient per layer, elements per token (vllm.cpp)
  /// vLLM --cpu-offload-gb: each layer's parameter bytes in order, every layer closed by -1 (one flat vector: the
  /// lite module copies TpData and must not carry another container type).
  std::vector<double> offload_params;
  std::vector<double> weight_prefix;  ///< prefix sums of rw.layer_bytes (layer-count + 1 entries; lazily)
  int64_t kv_context = -1;            ///< the context kv_prefix was built for
  std::vector<double> kv_prefix;      ///< prefix sums of one sequence's KV bytes per layer (min(context, window))
};
class RankWeightsCache {
 public:
  RankWeightsCache(const ModelSpec& m, const WeightFormat& f, bool include_mtp, int64_t vocab_padding, bool rope_cache)
      : m_(m), f_(f), mtp_(include_mtp), pad_(vocab_padding), rope_(rope_cache) {}
  /// The weights as in.engine sizes them (its vocabulary padding and rope-cache rule, engines/table.h).
  RankWeightsCache(const ModelSpec& m, const Inputs& in);
  TpData& data(int64_t tp);
  const RankWeights& at(int64_t tp) { return data(tp).rw; }
  /// llama.cpp's per-layer weights (computed on first use; the layout search runs whole llama.cpp plans).
  /// Defined in llamacpp.cpp: only the llama.cpp engine asks for them.
  /// With in.request.override_tensor's patterns (--override-tensor) applied to the tensor names.
  const LlamaCppWeights& llamacpp(const Inputs& in);

 private:
  const ModelSpec& m_;
  WeightFormat f_;
  bool mtp_;
  int64_t pad_;
  bool rope_;
  std::vector<TpData> items_;
  std::shared_ptr<const LlamaCppWeights> llamacpp_;
};

/// Each engine's entry points, the functions its row of engines/table.cpp names (each in its engine's file:
/// generic.cpp, vllm.cpp, sglang.cpp, transformers.cpp, llamacpp.cpp). See table.h for what each one answers.
EnginePlan generic_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache);
Capacity generic_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                          int64_t batch, int64_t context);
double generic_usable_fraction(const Inputs& in);

EnginePlan vllm_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache);
Capacity vllm_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                       int64_t batch, int64_t context);
void vllm_solve_knob(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale, EngineSolves* sv);
std::string vllm_launch_command(const ModelSpec& m, const Inputs& in);
double vllm_usable_fraction(const Inputs& in);
int64_t vllm_window_tokens(int64_t window, int64_t context, const Inputs& in);

EnginePlan sglang_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache);
Capacity sglang_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                         int64_t batch, int64_t context);
void sglang_solve_knob(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale, EngineSolves* sv);
std::string sglang_launch_command(const ModelSpec& m, const Inputs& in);
double sglang_usable_fraction(const Inputs& in);
bool sglang_monotone_in_pp(const Inputs& in);
int64_t sglang_window_tokens(int64_t window, int64_t context, const Inputs& in);

EnginePlan transformers_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache);
Capacity transformers_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache,
                               double scale, int64_t batch, int64_t context);
std::string transformers_launch_command(const ModelSpec& m, const Inputs& in);

EnginePlan llamacpp_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache);
Capacity llamacpp_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache,
                           double scale, int64_t batch, int64_t context);
std::string llamacpp_launch_command(const ModelSpec& m, const Inputs& in);
Layout llamacpp_run_layout(const Layout& requested, int64_t layers);

/// engine_capacity with a caller-held weights cache (the recommendations share one across GPUs).
Capacity capacity_cached(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                         int64_t batch, int64_t context);

/// fewest_gpus with a caller-held weights cache.
std::optional<Layout> fewest_gpus_cached(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale,
                                         int64_t batch, int64_t context, int64_t max_gpus, Capacity* found);

}  // namespace llmsizer::engine_util
