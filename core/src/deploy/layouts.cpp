// Node-shaped parallel layouts, their ranking, and the links their collectives cross.
#include <algorithm>
#include <cmath>

#include "deploy/deploy.h"

namespace llmsizer::deploy {

namespace {

// A custom GPU's node: 8 GPUs over PCIe 4.0 x16, ~25 GB/s one way in practice (speed.cpp uses the same figure
// for a preset without interconnect_gbps), and NVIDIA's PCIe reference architecture "2-8-5" scale-out: one
// 400 Gb/s east-west NIC per 2 GPUs = 25 GB/s per GPU
// (https://docs.nvidia.com/ai-enterprise/reference-architecture/latest/compute-node-hardware.html).
constexpr int64_t kDefaultGpusPerNode = 8;
constexpr double kDefaultPcieGbps = 25;
constexpr double kDefaultScaleOutGbps = 25;

int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? a : (a + b - 1) / b; }

std::vector<int64_t> divisors(int64_t n) {
  std::vector<int64_t> d;
  for (int64_t i = 1; i * i <= n; ++i) {
    if (n % i != 0) continue;
    d.push_back(i);
    if (i != n / i) d.push_back(n / i);
  }
  std::sort(d.begin(), d.end());
  return d;
}

// Once the GPUs span several nodes, TP groups and replicas must tile the nodes: no TP group straddles a node
// boundary (a group larger than a node runs on a scale-up fabric that spans hosts, GB200 NVL72 or a TPU slice,
// and fills whole nodes of one domain), and a replica either packs whole into a node or fills whole nodes.
bool tiles_nodes(const Layout& l, int64_t gpus, const NodeShape& s) {
  const int64_t n = s.gpus_per_node;
  if (l.tp <= n) {
    if (n % l.tp != 0) return false;
  } else if (l.tp % n != 0 || (gpus > s.scale_up_domain && s.scale_up_domain % l.tp != 0)) {
    return false;
  }
  const int64_t r = l.replica_gpus();
  return r <= n ? n % r == 0 : r % n == 0;
}

}  // namespace

NodeShape node_shape(const GpuSpec& g) {
  NodeShape s;
  s.assumed = g.gpus_per_node <= 0;
  s.gpus_per_node = s.assumed ? kDefaultGpusPerNode : g.gpus_per_node;
  s.scale_up_domain = std::max<int64_t>(1, g.scale_up_domain);
  s.scale_up = {g.interconnect.empty() ? "pcie" : g.interconnect,
                g.interconnect_gbps > 0 ? g.interconnect_gbps : kDefaultPcieGbps, s.scale_up_domain > s.gpus_per_node};
  s.intra_node = {g.intra_node_link.empty() ? s.scale_up.kind : g.intra_node_link,
                  g.intra_node_gbps > 0 ? g.intra_node_gbps : s.scale_up.gbps, false};
  if (s.gpus_per_node == 1) s.intra_node = {"none", 0, false};
  s.inter_node = {g.inter_node_link.empty() ? "ethernet" : g.inter_node_link,
                  g.inter_node_gbps > 0 ? g.inter_node_gbps : kDefaultScaleOutGbps, true};
  return s;
}

int64_t nodes_for(int64_t gpus, const NodeShape& shape) {
  return std::max<int64_t>(1, ceil_div(gpus, std::max<int64_t>(1, shape.gpus_per_node)));
}

int64_t replica_nodes(const Layout& l, const NodeShape& shape) { return nodes_for(l.replica_gpus(), shape); }

int64_t layout_nodes(const Layout& l, const NodeShape& shape) {
  const int64_t n = std::max<int64_t>(1, shape.gpus_per_node);
  const int64_t r = l.replica_gpus();
  if (r > n) return l.dp * ceil_div(r, n);
  return ceil_div(l.dp, n / r);
}

bool conventional(const Layout& l, const NodeShape& shape) { return l.pp <= replica_nodes(l, shape); }

std::vector<Layout> node_layouts(int64_t gpus, const NodeShape& shape, const LayoutRules& rules) {
  std::vector<Layout> out;
  if (gpus < 1) return out;
  const int64_t tp_max = std::max(shape.gpus_per_node, shape.scale_up_domain);
  const bool multi_node = gpus > shape.gpus_per_node;
  const std::vector<int64_t> ds = divisors(gpus);
  for (auto it = ds.rbegin(); it != ds.rend(); ++it) {
    const int64_t tp = *it;
    if (tp > tp_max || (rules.tp_ok && !rules.tp_ok(tp))) continue;
    for (int64_t pp : divisors(gpus / tp)) {
      const Layout l{tp, pp, gpus / tp / pp};
      if ((pp > 1 && !rules.allow_pp) || (l.dp > 1 && !rules.allow_dp)) continue;
      if (multi_node && !tiles_nodes(l, gpus, shape)) continue;
      if (rules.max_nodes > 0 && layout_nodes(l, shape) > rules.max_nodes) continue;
      out.push_back(l);
    }
  }
  return out;
}

bool rank_before(const Candidate& a, const Candidate& b) {
  if (a.fits != b.fits) return a.fits;
  if (a.nodes != b.nodes) return a.nodes < b.nodes;
  if (a.layout.gpus() != b.layout.gpus()) return a.layout.gpus() < b.layout.gpus();
  if (a.throughput_per_gpu != b.throughput_per_gpu) return a.throughput_per_gpu > b.throughput_per_gpu;
  if (a.gpu_id != b.gpu_id) return a.gpu_id < b.gpu_id;
  if (a.layout.tp != b.layout.tp) return a.layout.tp > b.layout.tp;
  return a.layout.pp < b.layout.pp;
}

std::vector<Candidate> select(std::vector<Candidate> candidates) {
  const bool any_conventional = std::any_of(candidates.begin(), candidates.end(),
                                            [](const Candidate& c) { return c.fits && c.conventional; });
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const Candidate& c) { return !c.fits || (any_conventional && !c.conventional); }),
                   candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), rank_before);
  return candidates;
}

Link tp_link(int64_t tp, const NodeShape& shape) {
  if (tp <= 1) return {"none", 0, false};
  if (tp <= shape.scale_up_domain) return {shape.scale_up.kind, shape.scale_up.gbps, tp > shape.gpus_per_node};
  if (tp <= shape.gpus_per_node) return shape.intra_node;
  return shape.inter_node;
}

Link pp_link(const Layout& l, const NodeShape& shape) {
  if (l.pp <= 1) return {"none", 0, false};
  const int64_t r = l.replica_gpus();
  if (r <= shape.scale_up_domain) return {shape.scale_up.kind, shape.scale_up.gbps, r > shape.gpus_per_node};
  if (r <= shape.gpus_per_node) return shape.intra_node;
  return shape.inter_node;
}

double ring_allreduce_bytes_per_gpu(double bytes, int64_t tp) {
  if (tp <= 1 || !(bytes > 0)) return 0;
  return 2.0 * static_cast<double>(tp - 1) / static_cast<double>(tp) * bytes;
}

double allreduce_seconds(double bytes, int64_t tp, const NodeShape& shape) {
  const Link link = tp_link(tp, shape);
  const double per_gpu = ring_allreduce_bytes_per_gpu(bytes, tp);
  if (per_gpu <= 0) return 0;
  return link.gbps > 0 ? per_gpu / (link.gbps * 1e9) : INFINITY;
}

double pp_send_seconds(double bytes, const Layout& l, const NodeShape& shape) {
  if (l.pp <= 1 || !(bytes > 0)) return 0;
  const Link link = pp_link(l, shape);
  // vLLM's GroupCoordinator.send_tensor_dict (vllm/distributed/parallel_state.py) sends each TP rank's 1/tp slice
  // of the stage output to its peer and all-gathers it on arrival: tp senders share the boundary. Across nodes the
  // per-GPU scale-out share is a node's NIC bandwidth divided among its GPUs, so at most gpus_per_node of them add.
  const int64_t senders = link.crosses_nodes ? std::min(l.tp, shape.gpus_per_node) : l.tp;
  const double gbps = link.gbps * static_cast<double>(std::max<int64_t>(1, senders));
  return gbps > 0 ? bytes / (gbps * 1e9) : INFINITY;
}

}  // namespace llmsizer::deploy
