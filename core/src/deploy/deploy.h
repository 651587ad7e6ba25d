// Deployments people run: which engine runs on which accelerator, node-shaped parallel layouts, the links their
// collectives cross, multi-node launch commands, the concurrency that meets a latency target, and the cost.
//
// Pure building blocks (no I/O, no estimate): the recommendation, engine and speed code combine them. The data
// comes from presets/engine_support.json (engine x hardware rows, each with a source link; embedded at build
// time by cmake/embed_presets.py as the tables below) and the node fields of presets/gpus.json (GpuSpec).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "llmsizer/gpu.h"
#include "llmsizer/result.h"

namespace llmsizer::deploy {

// ---- engine x hardware support ---------------------------------------------------------------------------

/// One row of presets/engine_support.json "rows". A row matches a GPU when every condition it sets holds.
struct SupportRow {
  std::string engine;                  ///< "generic", "vllm", "sglang", "transformers", "llama.cpp"
  std::string vendor;                  ///< match: GpuSpec::vendor ("" = any)
  std::vector<std::string> architectures;  ///< match: GpuSpec::architecture is one of these (empty = any)
  double min_compute_capability = 0;   ///< match: GpuSpec::compute_capability >= this (0 = no condition)
  bool supported = false;
  std::string via;                     ///< the backend or plugin it runs through ("CUDA", "vllm-gaudi plugin (HPU)")
  std::string note;                    ///< a caveat when supported ("" = none)
  std::string reason;                  ///< why not, when unsupported
  std::string source;                  ///< the page or file that says so
  double fp8_w8a8_min_cc = 0;          ///< FP8 weights and activations need this compute capability (0 = no data)
  double fp8_weight_only_min_cc = 0;   ///< FP8 weight-only (W8A16) kernels need this compute capability (0 = no data)
};

/// One entry of presets/engine_support.json "engines": how the engine spans machines.
struct EngineInfo {
  std::string engine;
  bool multi_node = false;      ///< one model replica may span several nodes
  std::string multi_node_via;   ///< how (flags, helper processes)
  std::string source;
};

/// The tables compiled into this build (presets/engine_support.json, embedded by cmake/embed_presets.py).
const std::vector<SupportRow>& builtin_support_rows();
const std::vector<EngineInfo>& builtin_engines();

struct Support {
  bool supported = false;
  std::string via;      ///< backend ("CUDA", "ROCm", "Metal", "vllm-ascend plugin", ...)
  std::string note;     ///< caveat shown with a supported pair ("" = none)
  std::string reason;   ///< why not (unsupported pairs): for `recommendations_excluded`
  std::string source;   ///< the row's citation
};

/// Whether `engine` runs on `gpu`: the first row of that engine (in file order) whose match holds. A custom GPU
/// (no preset, no vendor) is taken as supported with a note that nothing was checked.
Support support(const std::string& engine, const GpuSpec& gpu,
                const std::vector<SupportRow>& rows = builtin_support_rows());

enum class Fp8Kernels {
  kUnknown,     ///< the support row states nothing about FP8
  kNone,        ///< no FP8 kernels on this GPU
  kWeightOnly,  ///< FP8 weights dequantised to 16 bits (vLLM's FP8 Marlin, W8A16)
  kNative,      ///< FP8 tensor-core GEMMs (W8A8)
};
/// What FP8 checkpoints run as on this GPU with this engine (vLLM: W8A8 from compute capability 8.9, weight-only
/// from 7.5; docs.vllm.ai v0.32.0 "FP8 W8A8").
Fp8Kernels fp8_kernels(const std::string& engine, const GpuSpec& gpu,
                       const std::vector<SupportRow>& rows = builtin_support_rows());

/// The engine's multi-node facts; nullptr for an unknown engine.
const EngineInfo* engine_info(const std::string& engine, const std::vector<EngineInfo>& engines = builtin_engines());

// ---- nodes and links ---------------------------------------------------------------------------------------

struct Link {
  std::string kind;      ///< "nvlink", "pcie", "xgmi", "infiniband", "ethernet", "ici", ... ("none" for one GPU)
  double gbps = 0;       ///< one GPU's one-direction bandwidth over it, decimal GB/s
  bool crosses_nodes = false;
};

/// The shape of the machines a GPU comes in, with the defaults for a custom GPU filled in.
struct NodeShape {
  int64_t gpus_per_node = 8;
  int64_t scale_up_domain = 1;  ///< GPUs joined by `scale_up` (NVLink/NVSwitch, xGMI, HCCS, ICI); may exceed a node
  Link scale_up;                ///< GpuSpec::interconnect at interconnect_gbps
  Link intra_node;              ///< what any two GPUs of one node share (PCIe between NVLink pairs, ...)
  Link inter_node;              ///< scale-out, one GPU's share
  bool assumed = false;         ///< a custom GPU: the values are the defaults below, not a preset's
};

/// A custom GPU (no preset) is taken as an 8-GPU PCIe 4.0 server: ~25 GB/s one way between GPUs (speed.cpp's
/// practical PCIe 4.0 x16 figure) and 25 GB/s per GPU scale-out (NVIDIA's PCIe reference architecture 2-8-5).
NodeShape node_shape(const GpuSpec& gpu);

/// Machines `gpus` GPUs need: ceil(gpus / gpus_per_node).
int64_t nodes_for(int64_t gpus, const NodeShape& shape);

// ---- layouts ---------------------------------------------------------------------------------------------

struct Layout {
  int64_t tp = 1;  ///< tensor parallel: inside a node (or an NVLink/ICI domain that spans hosts)
  int64_t pp = 1;  ///< pipeline stages: across nodes
  int64_t dp = 1;  ///< replicas
  int64_t gpus() const { return tp * pp * dp; }
  int64_t replica_gpus() const { return tp * pp; }
  bool operator==(const Layout& o) const { return tp == o.tp && pp == o.pp && dp == o.dp; }
};

struct LayoutRules {
  int64_t max_nodes = 0;          ///< 0 = any; 1 for an engine that cannot span machines (transformers)
  bool allow_pp = true;
  bool allow_dp = true;
  std::function<bool(int64_t)> tp_ok;  ///< the model and engine accept this TP size (heads divide, ...); empty = any
};

/// Every (tp, pp, dp) with tp x pp x dp = gpus that respects the nodes: TP stays inside one node or one scale-up
/// domain (tp <= max(gpus_per_node, scale_up_domain)); once the GPUs span several nodes no TP group straddles a
/// node (tp divides gpus_per_node; a group larger than a node is a multiple of it and, when the GPUs exceed one
/// domain, divides the domain), and a replica packs whole into a node or fills whole nodes. Ordered by tp
/// descending, then pp ascending.
std::vector<Layout> node_layouts(int64_t gpus, const NodeShape& shape, const LayoutRules& rules = {});

/// Nodes one replica occupies: ceil(tp x pp / gpus_per_node).
int64_t replica_nodes(const Layout& l, const NodeShape& shape);
/// Nodes the whole layout occupies: replicas of several nodes each take whole nodes; smaller replicas pack.
int64_t layout_nodes(const Layout& l, const NodeShape& shape);
/// What deployment guides do: pipeline stages only where nodes force them (pp <= replica_nodes; vLLM's
/// parallelism guide: "tensor_parallel_size = GPUs per node, pipeline_parallel_size = number of nodes").
bool conventional(const Layout& l, const NodeShape& shape);

/// A layout as the recommendations rank it (the caller fills fits and throughput from its estimate).
struct Candidate {
  std::string gpu_id;
  Layout layout;
  int64_t nodes = 1;
  bool conventional = true;
  bool fits = false;
  double throughput_per_gpu = 0;  ///< output tokens/s per GPU (at the latency target when one is set)
};
/// Orders for people who buy or rent nodes: fitting first; then fewest nodes, fewest GPUs, highest throughput
/// per GPU; ties by GPU id and layout (tp descending) so the order is stable.
bool rank_before(const Candidate& a, const Candidate& b);
/// The fitting candidates in rank order; layouts deeper than their nodes require are kept only when no
/// conventional layout fits.
std::vector<Candidate> select(std::vector<Candidate> candidates);

// ---- communication ---------------------------------------------------------------------------------------

/// The link a TP group's all-reduce runs over: the scale-up fabric when tp fits in it, else the node's
/// GPU-to-GPU path, else the scale-out network.
Link tp_link(int64_t tp, const NodeShape& shape);
/// The slowest link a pipeline boundary of this layout crosses (scale-out when a replica spans nodes).
Link pp_link(const Layout& l, const NodeShape& shape);

/// Ring all-reduce of `bytes` over `tp` GPUs: each GPU sends (and receives) 2 (tp - 1) / tp x bytes (the
/// bus-bandwidth factor of nccl-tests doc/PERFORMANCE.md: AllReduce bus bandwidth = algorithm bandwidth x
/// 2(n-1)/n; Patarasuk & Yuan 2009, J. Parallel Distrib. Comput. 69(2)).
double ring_allreduce_bytes_per_gpu(double bytes, int64_t tp);
/// Bandwidth time of one all-reduce of `bytes` (the activation a TP layer reduces) over tp_link.
double allreduce_seconds(double bytes, int64_t tp, const NodeShape& shape);
/// Bandwidth time of one pipeline hand-off of `bytes` (a stage's output activations): the TP ranks of a stage
/// send their parts in parallel, so the boundary carries min(tp, gpus_per_node) x the per-GPU link.
double pp_send_seconds(double bytes, const Layout& l, const NodeShape& shape);

// ---- launch commands -------------------------------------------------------------------------------------

struct CommandInputs {
  std::string engine;                ///< "vllm", "sglang", "llama.cpp"
  std::string model;                 ///< as the engine takes it (Hub id, path, or a .gguf file for llama.cpp)
  Layout layout;
  int64_t gpus_per_node = 8;
  std::string extra_args;            ///< the engine's other flags, appended verbatim ("--max-model-len 8192 ...")
  std::string env;                   ///< environment prefix, prepended verbatim ("VLLM_X=1 ")
  std::string head_address = "<HEAD_NODE_IP>";
};

struct NodeCommand {
  int64_t node = 0;        ///< 0-based machine index
  std::string role;        ///< "head", "worker", "rpc-server", "replica 2 head", ...
  std::string command;
};

/// One command per node for the layout (a single-node layout gives one command). vLLM: TP inside nodes and PP
/// across with --nnodes/--node-rank/--master-addr (--headless workers), data parallel across nodes with
/// --data-parallel-size-local/--data-parallel-start-rank; SGLang: --nnodes/--node-rank/--dist-init-addr with the
/// total --tp; llama.cpp: rpc-server on every other node and --rpc on the head (layers split across all).
Result<std::vector<NodeCommand>> launch_commands(const CommandInputs& in);

// ---- latency targets ---------------------------------------------------------------------------------------

struct LatencyPoint {
  double tpot_seconds = 0;             ///< time per output token of one request
  double ttft_seconds = 0;             ///< time to first token
  double throughput_tokens_per_s = 0;  ///< output tokens/s of the whole deployment (<= 0: concurrency / tpot)
};
/// concurrency -> latency; must not get faster as concurrency grows (both times non-decreasing).
using LatencyCurve = std::function<LatencyPoint(int64_t concurrency)>;

struct TargetResult {
  bool met = false;          ///< some concurrency >= 1 meets every target
  int64_t concurrency = 0;   ///< concurrency_at_target: the largest one that does (0 when none)
  LatencyPoint at;           ///< the curve there (tpot_seconds_at_target, ttft_seconds_at_target, throughput)
  std::string reason;        ///< why none does
  int evaluations = 0;       ///< curve calls spent (binary search: about log2(max_concurrency) + 2)
};

/// The largest concurrency in [1, max_concurrency] whose TPOT <= target_tpot_ms and TTFT <= target_ttft_ms
/// (a target <= 0 is no constraint), by binary search over the monotone curve.
TargetResult max_concurrency_at_target(const LatencyCurve& curve, int64_t max_concurrency, double target_tpot_ms,
                                       double target_ttft_ms);

// ---- cost ------------------------------------------------------------------------------------------------

constexpr double kHoursPerMonth = 730;  ///< 365 x 24 / 12 = 730 h, the cloud providers' billing month

struct Cost {
  double usd_per_hour = 0;                     ///< price_per_gpu_hour x gpus
  double usd_per_month = 0;                    ///< x 730 h
  double usd_per_million_output_tokens = 0;    ///< usd_per_hour / (tokens/s x 3600) x 10^6
};
/// The cost of serving at `output_tokens_per_s` on `gpus` GPUs rented at `usd_per_gpu_hour`.
Result<Cost> serving_cost(double usd_per_gpu_hour, int64_t gpus, double output_tokens_per_s);

}  // namespace llmsizer::deploy
