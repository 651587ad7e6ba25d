// Serving-engine profiles: each turns the resolved inputs into that engine's memory plan.
//
// The generic profile (estimate.cpp) is engine-neutral: weights + KV(batch x context) + activations +
// overhead against capacity x (1 - reserve). Engine profiles replace those rules with the engine's own
// budget (vLLM's gpu_memory_utilization and profiled peak, SGLang's mem_fraction_static, llama.cpp's
// compute buffer and offload, ...). Every profile fills the same EnginePlan, so the JSON, the CLI and the
// page never need to know which engine they are showing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/inputs.h"

namespace llmsizer {

struct EnginePlan {
  std::string engine = "generic";
  std::vector<GpuMemory> per_gpu;        ///< memory per GPU (one entry per pipeline stage) as the engine lays it out
  bool fits = false;                     ///< the engine would start and serve the workload
  int64_t margin_bytes = 0;              ///< the tightest GPU's free bytes (negative: short by this much)
  double max_concurrency = 0;            ///< sequences of the request's length served at once (engines may log fractions)
  int64_t kv_cache_tokens = -1;          ///< engines with a KV pool: tokens it holds (-1 = not applicable)
  int64_t kv_cache_blocks = -1;          ///< paged engines: blocks in the pool
  int64_t available_kv_cache_bytes = -1; ///< bytes the engine hands to the KV cache per GPU
  int64_t max_model_len_that_fits = -1;  ///< when one request of the wanted length cannot fit: the longest that would
  int64_t system_ram_bytes = 0;          ///< host memory used (llama.cpp layers left on the CPU)
  std::vector<std::string> startup_log;  ///< the lines the engine would print at start-up
  std::string failure;                   ///< the error the engine would raise, verbatim where known ("" = none)
  std::string launch_command;            ///< the command line that matches this estimate
  std::vector<std::string> assumptions;  ///< engine rules and defaults the numbers rest on
  std::vector<Warning> warnings;
};

/// The generic engine's plan (estimate.cpp).
EnginePlan plan_generic(const ModelSpec& m, const Inputs& in);

/// Dispatches on in.request.engine ("generic", "vllm", "sglang", "transformers", "llama.cpp").
/// Unknown names are rejected when the request is resolved, so this always finds a profile.
EnginePlan plan_engine(const ModelSpec& m, const Inputs& in);

/// The engine names plan_engine accepts.
const std::vector<std::string>& engine_names();

}  // namespace llmsizer
