// Accelerators and the preset catalogue (presets/gpus.json, presets/models.json).
//
// The core never opens files: the catalogue is parsed from text the caller hands in (the CLI and the
// WASM module both use the copy embedded at build time, so they agree by construction).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "llmsizer/result.h"

namespace llmsizer {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;  ///< 2^30 bytes: every memory figure shown is in GiB

struct GpuSpec {
  std::string id;                  ///< stable id used by scripts and share links ("nvidia-h100-sxm")
  std::string vendor;              ///< "NVIDIA", "AMD", ...
  std::string name;
  double memory_gib = 0;           ///< total memory as the engine sees it (torch.cuda.mem_get_info total), GiB
  std::string memory_basis;        ///< how memory_gib was obtained: "torch-reported", "nvidia-smi", "datasheet-GiB", ...
  double memory_bandwidth_gbps = 0;  ///< peak memory bandwidth, decimal GB/s
  /// Dense peak TFLOPS by compute dtype ("fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4"; int8 in TOPS).
  std::map<std::string, double> tflops;
  std::string interconnect;        ///< "nvlink", "pcie", "infinity-fabric", "none", ...
  double interconnect_gbps = 0;    ///< per-GPU one-direction GPU-to-GPU bandwidth, decimal GB/s
  bool nvswitch = false;           ///< all-to-all NVLink switch fabric (NCCL NVLS on Hopper and later)
  int64_t pcie_gen = 0;            ///< PCIe generation of the host link (0 = unknown / not PCIe)
  std::string architecture;        ///< "ampere", "hopper", "ada", "blackwell", "cdna3", ... ("" = unknown)
  std::string market;              ///< "datacenter", "workstation", "consumer", "china-market", "apple", ...
  double compute_capability = 0;   ///< NVIDIA CUDA compute capability (9.0 = Hopper); 0 = not NVIDIA or unknown
  // ---- the machines it comes in (presets/gpus.json node_note / node_source say where each figure comes from) ----
  int64_t gpus_per_node = 0;       ///< GPUs in one server/host: HGX 8, GB200 compute tray 4, Apple 1 (0 = unknown)
  int64_t scale_up_domain = 1;     ///< GPUs joined by `interconnect` at interconnect_gbps: HGX 8, GB200 NVL72 72,
                                   ///< H100 NVL bridge pair 2, PCIe-only cards 1
  std::string intra_node_link;     ///< what any two GPUs of one node share: "nvswitch", "nvlink", "xgmi", "pcie", ...
  double intra_node_gbps = 0;      ///< its one-direction bandwidth per GPU, decimal GB/s
  std::string inter_node_link;     ///< scale-out network: "infiniband", "roce", "ethernet", "ici", ...
  double inter_node_gbps = 0;      ///< one GPU's share of the scale-out bandwidth, one direction, decimal GB/s
  std::string source;
  bool custom = false;             ///< built from --gpu-memory-gib, not a preset

  int64_t memory_bytes() const { return static_cast<int64_t>(memory_gib * kGiB); }
};

/// A model preset: the Hub id and a config.json subset.
struct ModelPreset {
  std::string id;           ///< Hub id ("meta-llama/Llama-3.1-8B-Instruct")
  std::string name;
  std::shared_ptr<const nlohmann::ordered_json> config;  ///< the config.json subset (a pointer into models.json)
  bool gated = false;
  std::string source;
};

struct Catalog {
  std::vector<GpuSpec> gpus;
  std::vector<ModelPreset> models;

  const GpuSpec* find_gpu(const std::string& id) const;
  const ModelPreset* find_model(const std::string& id) const;
};

/// Parses presets/gpus.json text (an array of GPU objects).
Result<std::vector<GpuSpec>> parse_gpu_catalog(const std::string& text);
/// Parses presets/models.json text (an array of {id, name, config, gated, source}).
Result<std::vector<ModelPreset>> parse_model_catalog(const std::string& text);

/// The catalogue compiled into this build (presets/*.json embedded by CMake). Parsed once.
const Catalog& builtin_catalog();

}  // namespace llmsizer
