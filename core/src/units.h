// Internal: byte units and the memory constants more than one engine rule shares. Every figure in the core is
// in bytes (int64_t or double); GiB (2^30) appears only when a figure is shown.
#pragma once

#include <cstdint>

namespace llmsizer {

constexpr int64_t kKiB = int64_t{1} << 10;  ///< 1,024 bytes
constexpr int64_t kMiB = int64_t{1} << 20;  ///< 1,048,576 bytes
// kGiB (double, 2^30) lives in llmsizer/gpu.h: it is part of the public API (memory_gib).

/// The CUDA context with PyTorch's kernels, as nvidia-smi shows it for an idle process after torch.cuda.init()
/// on Ampere/Hopper (~500 MiB): outside torch.cuda.max_memory_allocated(), inside what mem_get_info reports as
/// used. vLLM and SGLang take their first memory snapshot after it (vllm/v1/worker/gpu_worker.py
/// init_device; sglang/srt/model_executor/model_runner.py init_torch_distributed).
constexpr int64_t kCudaContextBytes = 512 * kMiB;
/// The same once NCCL communicators exist (tensor or pipeline parallel): the context plus NCCL's buffers
/// (NCCL_BUFFSIZE 4 MiB per channel and peer) and the engines' custom all-reduce buffers, before the first
/// snapshot.
constexpr int64_t kCudaContextParallelBytes = 1536 * kMiB;

}  // namespace llmsizer
