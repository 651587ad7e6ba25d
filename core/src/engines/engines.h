// Serving-engine profiles: each turns the resolved inputs into that engine's memory plan.
//
// Every engine is a row of engines/table.cpp. The generic profile (generic.cpp) is engine-neutral: weights +
// KV(batch x context) + activations + overhead against capacity x (1 - reserve). Engine profiles replace those
// rules with the engine's own budget (vLLM's gpu_memory_utilization and profiled peak, SGLang's
// mem_fraction_static, llama.cpp's compute buffer and offload, ...). Every profile fills the same EnginePlan, so the JSON, the CLI and the
// page never need to know which engine they are showing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/table.h"
#include "model/inputs.h"

namespace llmsizer {

/// What an engine keeps in host memory and runs from there every step (llama.cpp -ngl below the layer count,
/// --n-cpu-moe, --override-tensor; vLLM --cpu-offload-gb): the speed model prices these bytes at the host's memory bandwidth (speed/offload.h).
struct HostOffload {
  int64_t layer_weight_bytes = 0;   ///< whole layers (and the output layer) on the CPU, read in full every step
  int64_t expert_weight_bytes = 0;  ///< routed experts in host memory: a step reads the experts its tokens pick
  int64_t kv_bytes = 0;             ///< KV cache of the CPU layers (all slots)
  int64_t ubatch_tokens = 512;      ///< llama.cpp -ub: prefill runs in micro-batches of this many tokens
  bool op_offload = true;           ///< big batches run CPU-resident matmuls on the GPU, copying the weights over
  /// vLLM --cpu-offload-gb: weights in pinned host memory that every forward reads over PCIe (per GPU, summed
  /// over pipeline stages, which run one after another).
  int64_t pcie_weight_bytes = 0;
  bool any() const { return layer_weight_bytes > 0 || expert_weight_bytes > 0 || pcie_weight_bytes > 0; }
};

struct EnginePlan {
  std::string engine = "generic";        ///< the engine's name (plan_engine sets it from its record)
  /// The engine release whose rules the plan follows, as it is reported ("vLLM 0.6 (V0 engine)",
  /// "transformers 4.46 (sdpa)"); "" for the generic engine.
  std::string engine_rules;
  std::vector<GpuMemory> per_gpu;        ///< memory per GPU (one entry per pipeline stage) as the engine lays it out
  bool fits = false;                     ///< the engine would start and serve the workload
  int64_t margin_bytes = 0;              ///< the tightest GPU's free bytes (negative: short by this much)
  double max_concurrency = 0;            ///< sequences of the request's length served at once (engines may log fractions)
  int64_t kv_cache_tokens = -1;          ///< engines with a KV pool: tokens it holds (-1 = not applicable)
  int64_t kv_cache_blocks = -1;          ///< paged engines: blocks in the pool
  int64_t available_kv_cache_bytes = -1; ///< bytes the engine hands to the KV cache per GPU
  int64_t max_model_len_that_fits = -1;  ///< when one request of the wanted length cannot fit: the longest that would
  /// The engine profiled and sized its KV pool (kv_cache_tokens, max_concurrency are reported) but refuses to
  /// start because one request of max_model_len does not fit: its error line ("" = the check passed).
  std::string max_model_len_failure;
  int64_t system_ram_bytes = 0;          ///< host memory used (llama.cpp layers left on the CPU, vLLM's offload)
  HostOffload host;                      ///< what runs from host memory each step (speed)
  std::vector<std::string> startup_log;  ///< the lines the engine would print at start-up
  std::string failure;                   ///< the error the engine would raise, verbatim where known ("" = none)
  std::string launch_command;            ///< the command line that matches this estimate
  std::vector<std::string> assumptions;  ///< engine rules and defaults the numbers rest on
  std::vector<Warning> warnings;
  /// The engine settings the plan resolved (defaults filled in), e.g. {"max_num_seqs", 1024}: for display.
  std::vector<std::pair<std::string, double>> settings;
};

/// What one layout of the chosen GPU can serve for `batch` sequences of `context` tokens: the quantity the
/// reverse solves and the GPU recommendations search over (engines.cpp). Cheap to evaluate.
struct Capacity {
  bool starts = false;          ///< the engine would start (weights load, one request of `context` tokens fits)
  double max_concurrency = 0;   ///< sequences of `context` tokens served at once (all data-parallel replicas)
  int64_t headroom_bytes = 0;   ///< the tightest GPU's spare bytes with `batch` sequences (negative: short)
  bool serves(int64_t batch) const { return starts && headroom_bytes >= 0 && max_concurrency >= static_cast<double>(batch); }
};

/// Reverse solves for the request's batch N and context L (serving.solves in the JSON).
struct EngineSolves {
  int64_t batch = 0;               ///< N: concurrent users asked for
  int64_t context = 0;             ///< L: tokens per user asked for
  int64_t max_context = -1;        ///< largest context serving N users on the chosen layout (0 = none)
  int64_t max_context_limit = 0;   ///< the search ceiling (the model's max_position_embeddings, or 10^7)
  std::string max_context_note;
  std::string knob;                ///< the engine's memory knob: "gpu_memory_utilization", "mem_fraction_static" or ""
  double knob_value = -1;          ///< the smallest knob value that serves N users at L (-1 = none works)
  std::string knob_note;           ///< why none works, or what the value leaves for the rest
  int64_t fewest_gpus = 0;         ///< the fewest GPUs of this type (valid layout) serving N users at L (0 = none)
  Layout fewest_layout;            ///< its tensor/pipeline split and data-parallel replicas
  std::string fewest_note;
};

/// One point of the memory / concurrency vs context curves (serving.context_curve in the JSON).
struct ContextPoint {
  int64_t context = 0;                   ///< tokens per sequence
  double max_concurrency = 0;            ///< sequences of this length the deployment serves at once
  int64_t kv_cache_bytes_per_sequence = 0;  ///< one sequence's KV on the tightest GPU
  MemoryBreakdown memory;                ///< the tightest GPU with the request's batch at this length
  bool fits = false;                     ///< the engine starts and serves the request's batch at this length
};

/// The engine's plan at a range of context lengths (1,024 doubling up to the model's maximum, and the
/// request's own context), for the request's batch and layout: the data behind the page's charts of
/// max concurrency vs context and memory vs context.
std::vector<ContextPoint> context_curve(const ModelSpec& m, const Inputs& in);

/// The plan of in.engine (its record in engines/table.h): memory per GPU, start-up lines, launch command.
EnginePlan plan_engine(const ModelSpec& m, const Inputs& in);

/// What `layout` of in.gpu serves for `batch` sequences of `context` tokens under in.engine.
Capacity engine_capacity(const ModelSpec& m, const Inputs& in, const Layout& layout, int64_t batch, int64_t context);

/// The fewest GPUs of in.gpu, with a valid layout (tensor parallel <= 8 dividing the heads, then pipeline
/// stages; data-parallel replicas when no single replica can), that serve `batch` sequences of `context` tokens;
/// nullopt when none up to max_gpus does.
std::optional<Layout> fewest_gpus(const ModelSpec& m, const Inputs& in, int64_t batch, int64_t context,
                                  int64_t max_gpus);

/// The reverse solves for in.batch users at in.context tokens (largest context, the memory knob, fewest GPUs).
EngineSolves solve_engine(const ModelSpec& m, const Inputs& in);

}  // namespace llmsizer
