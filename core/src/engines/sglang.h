// SGLang memory rules as separate functions (sglang.cpp), internal to the core and visible to the unit tests.
#pragma once

#include <cstdint>

#include "engines/engines.h"

namespace llmsizer::sglang {

/// SGLang's GPU-memory dependent defaults (server_args.py, ServerArgs._handle_gpu_memory_settings).
struct Defaults {
  int64_t chunked_prefill_size = 8192;
  int64_t cuda_graph_max_bs = 256;
  double reserved_mib = 0;          ///< activations + CUDA graphs + metadata the default keeps free, MiB
  double mem_fraction_static = 0.88;
};
Defaults defaults(const GpuSpec& g, int64_t tp, int64_t pp);

/// Free memory when SGLang measures it at start-up (before the weights), per GPU.
int64_t free_at_start(const GpuSpec& g, const Layout& l);

/// KV bytes per token on one rank of a stage (profile_max_num_token's cell_size).
double cell_bytes(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage);

/// The request-pool size: min(max(tokens / context_len x 512, 2048), 4096).
int64_t max_num_reqs(int64_t tokens, int64_t context_len);

}  // namespace llmsizer::sglang
