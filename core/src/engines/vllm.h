// vLLM V1 memory rules as separate functions (vllm.cpp), internal to the core and visible to the unit tests.
//
// Each function emulates one step of vLLM's start-up: the batch defaults by GPU, the profiled activation peak,
// the non-torch memory, the KV-cache layer groups and page sizes, the block count, the logged token count and
// concurrency, and the "max seq len" check. Sources are cited at each definition.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engines/engines.h"

namespace llmsizer::vllm {

/// vLLM's default scheduler sizes for a GPU (vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults):
/// >= 70 GiB and not an A100: 8192 batched tokens for the OpenAI server (16384 for the offline LLM class)
/// and 1024 sequences; every other GPU 2048 (8192 offline) and 256.
struct BatchDefaults {
  int64_t max_num_batched_tokens = 2048;
  int64_t max_num_seqs = 256;
};
/// `a100_small`: A100s keep the small defaults (from 0.9, vLLM PR #17885; 0.8 gave every >= 70 GiB GPU the large ones).
BatchDefaults batch_defaults(const GpuSpec& g, bool offline, bool a100_small = true);

/// One row of vLLM's version table (vllm.cpp kVersionTable): what changes the memory numbers between releases,
/// for vLLM 0.from_minor .. 0.to_minor, and the source or published log it came from.
struct VersionRule {
  int from_minor = 0;
  int to_minor = 0;
  bool v0_default = false;     ///< V0 is the engine (0.4-0.7); else V1
  bool v0_selectable = false;  ///< VLLM_USE_V1=0 still selects V0 (0.8-0.10)
  /// V0 with chunked prefill: its default max_num_batched_tokens (vllm/config.py SchedulerConfig).
  int64_t v0_chunked_tokens = 2048;
  /// V1 sampler warm-up: bytes per logit (max_num_seqs x vocab) beyond the model-dtype logits.
  double sampler_bytes_per_logit = 13.0;
  bool logs_cuda_graph_estimate = false;  ///< the profiler logs its CUDA-graph estimate (0.19)
  bool a100_small_defaults = true;        ///< A100s keep the small batch defaults (0.9+)
  /// How the memory profile is logged: 0 "Memory profiling results: ..." (V0 0.4-0.6), 1 "the current vLLM
  /// instance can use ... the rest of the memory reserved for KV Cache is X GiB." (0.7-0.10), 2 "Available KV
  /// cache memory: X GiB" (0.11+).
  int log_style = 2;
  const char* source = "";
};
/// The table's rows, oldest first.
const std::vector<VersionRule>& version_table();
/// The row for vLLM major.minor: the nearest known row when the version is outside the table (`exact` false).
struct VersionMatch {
  const VersionRule* rule = nullptr;
  int minor = 19;      ///< the version whose rules apply (0.minor)
  bool exact = true;   ///< the version is in the table
};
VersionMatch find_version(int major, int minor);

/// The engine arguments one vLLM start-up runs with: in.vllm (VllmSettings) with the defaults that depend on
/// the GPU and the context filled in, and the version's rules resolved.
struct Startup {
  double gpu_memory_utilization = 0.9;
  int64_t max_model_len = 0;
  int64_t max_num_batched_tokens = 0;
  int64_t max_num_seqs = 0;
  int64_t block_size = 16;
  bool enforce_eager = false;
  int version_major = 0;
  int version_minor = 19;   ///< the version whose rules apply (the nearest known one)
  bool version_exact = true;
  const VersionRule* rule = nullptr;
  bool v0 = false;               ///< the V0 engine (vllm/worker/worker.py) instead of V1
  bool v0_refused = false;       ///< V0 asked for on a version without it (0.11+): V1 runs
  bool chunked_prefill = true;   ///< V1 always; V0 by default only when max_model_len > 32768
  bool subtract_cuda_graphs = false;  ///< VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 (V1 only)
  int64_t kv_cache_memory_bytes = 0;  ///< --kv-cache-memory-bytes (0 = profile)
  int64_t cpu_offload_bytes = 0;      ///< --cpu-offload-gb as bytes per GPU: int(GiB x 1024**3) (0 = none)
};
/// `max_model_len` > 0 replaces the request's (the searches vary it; V0's profile depends on it).
Startup startup(const Inputs& in, int64_t max_model_len = 0);

/// --cpu-offload-gb: each decoder layer's parameters as vLLM registers them (q/k/v and gate/up fused, the routed
/// experts one w13 and one w2 tensor), bytes on one tensor-parallel rank, in module order.
/// Flat: every layer's list closed by -1.
std::vector<double> offload_parameters(const ModelSpec& m, const WeightFormat& f, const RankWeights& rw, int64_t tp);
/// The bytes one worker of `stage` moves to host memory with a budget of `budget` bytes (maybe_offload_to_cpu).
int64_t offloaded_bytes(const std::vector<double>& params, const Stage& stage, int64_t budget, double scale);

/// The largest transient of each decoder layer in the profiling forward, elements per token on one rank.
std::vector<double> forward_layer_elements(const ModelSpec& m, int64_t tp);
/// The profiled forward peak of one stage: max_num_batched_tokens tokens through the largest layer, on one
/// tensor-parallel rank (see vllm.cpp for the terms and the fit).
double forward_peak_bytes(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens);
/// The sampler warm-up peak on the last stage (gpu_model_runner.py _dummy_sampler_run).
double sampler_peak_bytes(const ModelSpec& m, Dtype act, int64_t tokens, int64_t max_num_seqs);
/// The V1 sampler warm-up with a version's bytes per logit.
double sampler_peak_bytes(const ModelSpec& m, Dtype act, int64_t tokens, int64_t max_num_seqs, double bytes_per_logit);
/// V0's profiled peak (vllm/worker/model_runner.py profile_run): `tokens` through the largest layer, the MLP's
/// gate_up and activation outputs plus 3 hidden-size copies per token, or the sampler over max_num_seqs rows.
double v0_peak_bytes(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens,
                     int64_t max_num_seqs);
/// Memory outside PyTorch's allocator that appears during the profiling run, per GPU.
int64_t non_torch_bytes(const GpuSpec& g, int64_t tp);
/// The same for V0 (0.3-0.4 GiB on one GPU in published V0 logs).
int64_t non_torch_bytes_v0(const GpuSpec& g, int64_t tp);
/// The CUDA-graph memory estimate (subtracted only by versions that do so).
int64_t cuda_graph_bytes(bool enforce_eager);
/// The CUDA context and NCCL communicators present before vLLM's first memory snapshot (outside the budget).
int64_t context_bytes(const Layout& layout);

/// The KV cache as vLLM's hybrid allocator lays it out (vllm/v1/core/kv_cache_utils.py).
struct KvGroup {
  int64_t block_size = 16;  ///< tokens per block (scaled up when page sizes are unified)
  int64_t window = 0;       ///< 0 = full attention, else the sliding window
};
struct KvLayout {
  std::vector<int64_t> page_bytes;  ///< per decoder layer: bytes of one block of that layer on one rank
  std::vector<int> group_of;        ///< per decoder layer: its KV-cache group
  std::vector<KvGroup> groups;
  bool uniform_type = true;  ///< one group; blocks span every layer (num_blocks = available / sum of pages)
  std::string error;         ///< vLLM cannot lay these layers out ("" = fine)
};
/// `one_group`: V0's block manager, one block table for every layer (sliding windows kept only when every layer
/// shares the same one).
KvLayout kv_layout(const ModelSpec& m, Dtype kv, int64_t tp, int64_t block_size, bool one_group = false);

/// Blocks of the shared pool one request of `len` tokens needs (get_max_concurrency_for_kv_cache_config).
int64_t blocks_per_request(const KvLayout& kv, int64_t len, int64_t max_num_batched_tokens);
/// Bytes one block takes on one rank of `stage` (every layer's page for uniform layouts; page x tensors for
/// hybrid ones, whose blocks are shared by one layer of each group).
int64_t block_bytes(const KvLayout& kv, const Stage& stage);
/// num_blocks for one stage's available memory.
int64_t num_blocks(const KvLayout& kv, const Stage& stage, int64_t available_bytes);
/// The KV bytes one request of `len` tokens needs on one rank of `stage` (check_enough_kv_cache_memory).
int64_t one_request_bytes(const KvLayout& kv, const Stage& stage, int64_t len, int64_t max_num_batched_tokens);
/// estimate_max_model_len: the largest length whose one request fits `available_bytes` (0 = none).
int64_t estimate_max_model_len(const KvLayout& kv, const Stage& stage, int64_t available_bytes, int64_t current_max,
                               int64_t max_num_batched_tokens);
/// The token count vLLM logs: num_blocks // groups x the smallest block size.
int64_t logged_tokens(const KvLayout& kv, int64_t num_blocks);

}  // namespace llmsizer::vllm
