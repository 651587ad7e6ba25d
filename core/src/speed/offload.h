// Weights run from host memory: llama.cpp layers left on the CPU (-ngl below the layer count) and routed experts
// kept there (--n-cpu-moe / --cpu-moe). Each decode step the CPU streams those bytes from host memory (the layers
// run one after another, so the CPU's time adds to the GPU's); each prefill micro-batch of >= 32 tokens copies them
// to the GPU over PCIe instead (ggml-cuda.cu ggml_backend_cuda_device_offload_op: ops whose batch is >= 32 run on
// the GPU, the scheduler copying their CPU-resident weights; llama.cpp's default --op-offload).
//
// Pure: the engine plan's HostOffload, the GPU's link and the request's host bandwidth in, seconds out.
#pragma once

#include <cstdint>
#include <string>

#include "engines/engines.h"
#include "model/inputs.h"
#include "model/model.h"

namespace llmsizer {

/// The host side of an offloaded deployment.
struct HostSpeed {
  double bandwidth_bytes_per_s = 0;  ///< host memory bandwidth (decimal bytes/s)
  double efficiency = 0;             ///< fraction of it a CPU decode step reaches
  std::string basis;                 ///< where the bandwidth comes from ("request", "apple unified memory", ...)
  double upload_bytes_per_s = 0;     ///< host-to-GPU copies (PCIe) during prefill
};

/// The host bandwidth: the request's host_memory_bandwidth_gbps; Apple: the preset's unified-memory bandwidth;
/// datacenter GPUs: one server socket of 8-channel DDR5-4800 (8 x 8 B x 4.8 GT/s = 307.2 GB/s); other GPUs: a
/// desktop's dual-channel DDR5-5600 (2 x 8 B x 5.6 GT/s = 89.6 GB/s). JEDEC JESD79-5 data rates; 64-bit channels.
HostSpeed host_speed(const Inputs& in);

/// Seconds the CPU adds to one decode step of `sequences` sequences with `context` tokens each: whole CPU layers in
/// full, the routed experts the step's tokens pick (expected distinct experts of top-k routing), and the CPU layers'
/// KV cache of every sequence, at the host bandwidth x efficiency; plus pcie_forward_seconds (vLLM).
double host_decode_seconds(const ModelSpec& m, const HostOffload& h, const HostSpeed& s, int64_t sequences,
                           int64_t context, int64_t kv_cells);

/// Seconds the GPU-side estimate charged for the same bytes (they are not on the GPU): the weights at the GPU's
/// streaming rate, so the step is not counted twice.
double gpu_seconds_not_spent(const ModelSpec& m, const HostOffload& h, double gpu_bytes_per_s, int64_t sequences,
                             int64_t context, int64_t kv_cells);

/// vLLM --cpu-offload-gb: seconds one forward spends reading the offloaded weights over PCIe (bytes / the
/// host-to-GPU rate; the copies run on the compute stream, so they add to the step).
double pcie_forward_seconds(const HostOffload& h, const HostSpeed& s);

/// Seconds prefill of `tokens` prompt tokens adds: each micro-batch of >= 32 tokens uploads every host-resident
/// weight over PCIe (op offload); smaller ones run on the CPU at host bandwidth. vLLM: pcie_forward_seconds per
/// forward of ubatch_tokens (max_num_batched_tokens) tokens.
double host_prefill_seconds(const HostOffload& h, const HostSpeed& s, int64_t tokens);

}  // namespace llmsizer
