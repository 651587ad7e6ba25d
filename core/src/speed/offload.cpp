#include "speed/offload.h"

#include <algorithm>
#include <cmath>

#include "speed/speed.h"

namespace llmsizer {

namespace {

// Host memory bandwidth defaults, decimal bytes/s: channels x 8 bytes x transfers per second (JEDEC JESD79-5
// DDR5 data rates). A server socket of 8 channels at DDR5-4800 (Intel Xeon 4th gen "Sapphire Rapids"; AMD EPYC
// 9004 has 12): 307.2 GB/s. A desktop with two channels at DDR5-5600: 89.6 GB/s.
constexpr double kServerHostBytesPerS = 8 * 8 * 4.8e9;
constexpr double kDesktopHostBytesPerS = 2 * 8 * 5.6e9;
// Fraction of the host bandwidth a llama.cpp CPU decode step streams. Not calibrated on the project's validation
// set (no offloaded rows): a check, ik_llama.cpp PR #841 (2025-10): gpt-oss-20b MXFP4 with --cpu-moe on a Ryzen 9
// 7950X (dual-channel DDR5) + RTX 4080 generated 33-34 tokens/s, i.e. ~1.2 GB of active experts per token at ~42 GB/s,
// about half of the platform's ~90 GB/s.
constexpr double kHostStreamEfficiency = 0.5;
// Host-to-GPU copies: PCIe x16 one-direction raw 15.75 / 31.5 / 63 GB/s for gen 3 / 4 / 5 (PCI-SIG), ~80 % of it
// in practice for large pinned copies (25 GB/s on gen 4: speed.cpp's kPcieDefaultGbps).
double pcie_upload_bytes_per_s(int64_t gen) {
  const double raw = gen >= 5 ? 63e9 : gen == 3 ? 15.75e9 : gen > 0 && gen < 3 ? 8e9 : 31.5e9;
  return 0.8 * raw;
}

double expert_fraction(const ModelSpec& m, int64_t sequences) {
  for (const LayerSpec& l : m.layers) {
    if (l.mlp.is_moe() && l.mlp.num_experts > 0) {
      return expected_distinct_experts(l.mlp.num_experts, l.mlp.experts_per_token, static_cast<double>(sequences)) /
             static_cast<double>(l.mlp.num_experts);
    }
  }
  return 1.0;
}

/// Bytes one decode step reads from host memory.
double host_step_bytes(const ModelSpec& m, const HostOffload& h, int64_t sequences, int64_t context, int64_t kv_cells) {
  const double seqs = static_cast<double>(std::max<int64_t>(1, sequences));
  double bytes = static_cast<double>(h.layer_weight_bytes) + static_cast<double>(h.expert_weight_bytes) * expert_fraction(m, sequences);
  if (h.kv_bytes > 0 && kv_cells > 0) {
    const double used = std::min(1.0, seqs * static_cast<double>(std::max<int64_t>(1, context)) / static_cast<double>(kv_cells));
    bytes += static_cast<double>(h.kv_bytes) * used;
  }
  return bytes;
}

}  // namespace

HostSpeed host_speed(const Inputs& in) {
  HostSpeed s;
  s.efficiency = kHostStreamEfficiency;
  s.upload_bytes_per_s = pcie_upload_bytes_per_s(in.gpu.pcie_gen);
  if (in.request.host_memory_bandwidth_gbps > 0) {
    s.bandwidth_bytes_per_s = in.request.host_memory_bandwidth_gbps * 1e9;
    s.basis = "host_memory_bandwidth_gbps from the request";
  } else if (in.gpu.vendor == "Apple" || in.gpu.market == "apple") {
    // Unified memory: the CPU reads the same LPDDR5 the GPU does; nothing is copied for prefill either.
    s.bandwidth_bytes_per_s = in.gpu.memory_bandwidth_gbps * 1e9;
    s.upload_bytes_per_s = 0;
    s.basis = "Apple unified memory: the preset's memory bandwidth";
  } else if (in.gpu.market == "datacenter" || in.gpu.market == "cloud" || in.gpu.market == "china-market") {
    s.bandwidth_bytes_per_s = kServerHostBytesPerS;
    s.basis = "a server socket: 8 channels of DDR5-4800 (307.2 GB/s); set host_memory_bandwidth_gbps for yours";
  } else {
    s.bandwidth_bytes_per_s = kDesktopHostBytesPerS;
    s.basis = "a desktop: 2 channels of DDR5-5600 (89.6 GB/s); set host_memory_bandwidth_gbps for yours";
  }
  return s;
}

double pcie_forward_seconds(const HostOffload& h, const HostSpeed& s) {
  if (h.pcie_weight_bytes <= 0 || s.upload_bytes_per_s <= 0) return 0;
  return static_cast<double>(h.pcie_weight_bytes) / s.upload_bytes_per_s;
}

double host_decode_seconds(const ModelSpec& m, const HostOffload& h, const HostSpeed& s, int64_t sequences,
                           int64_t context, int64_t kv_cells) {
  if (!h.any()) return 0;
  const double cpu = s.bandwidth_bytes_per_s > 0 && h.layer_weight_bytes + h.expert_weight_bytes > 0
                         ? memory_seconds(host_step_bytes(m, h, sequences, context, kv_cells), s.bandwidth_bytes_per_s,
                                          s.efficiency)
                         : 0.0;
  return cpu + pcie_forward_seconds(h, s);
}

double gpu_seconds_not_spent(const ModelSpec& m, const HostOffload& h, double gpu_bytes_per_s, int64_t sequences,
                             int64_t context, int64_t kv_cells) {
  if (!h.any() || gpu_bytes_per_s <= 0) return 0;
  return host_step_bytes(m, h, sequences, context, kv_cells) / gpu_bytes_per_s;
}

double host_prefill_seconds(const HostOffload& h, const HostSpeed& s, int64_t tokens) {
  if (!h.any() || tokens <= 0) return 0;
  const int64_t ub = std::max<int64_t>(1, h.ubatch_tokens);
  const int64_t full = tokens / ub;
  const int64_t rest = tokens % ub;
  const double bytes = static_cast<double>(h.layer_weight_bytes + h.expert_weight_bytes);
  const double pcie = pcie_forward_seconds(h, s);  // vLLM --cpu-offload-gb: every forward reads them again
  auto one = [&](int64_t t) -> double {
    if (bytes <= 0) return pcie;
    // Apple (unified memory): nothing to copy; the CPU runs its layers (compute-bound there, not modelled: one
    // read of the weights is the floor).
    if (h.op_offload && t >= 32 && s.upload_bytes_per_s > 0) return bytes / s.upload_bytes_per_s + pcie;
    return memory_seconds(bytes, s.bandwidth_bytes_per_s, s.efficiency) + pcie;  // the CPU runs them: one read
  };
  return static_cast<double>(full) * one(ub) + (rest > 0 ? one(rest) : 0.0);
}

}  // namespace llmsizer
