// GPU recommendations (recommend.h): supported GPUs in node-shaped layouts, ranked for people who buy or rent
// nodes, with the latency-target concurrency, the cost and one launch command per node.
#include "recommend/recommend.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "engines/table.h"
#include "engines/util.h"
#include "speed/speed.h"

namespace llmsizer {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

deploy::Layout to_deploy(const Layout& l) { return deploy::Layout{l.tp, l.pp, l.dp}; }
Layout from_deploy(const deploy::Layout& l) { return Layout{l.tp, l.pp, l.dp}; }

/// What every GPU's search shares: the model, the inputs, the weights cache and the engine's layout rules.
struct Search {
  const ModelSpec& m;
  const Inputs& in;
  engine_util::RankWeightsCache& cache;
  double scale = 1;
  int64_t limit = 1;
  std::string engine;
  bool tensor_parallel = true;
  bool multi_node = true;
};

/// A layout of one GPU that serves the load.
struct Fit {
  deploy::Layout layout;
  Capacity capacity;
  int64_t nodes = 1;
  bool conventional = true;
};

deploy::LayoutRules rules_for(const Search& s) {
  deploy::LayoutRules r;
  r.max_nodes = s.multi_node ? 0 : 1;
  // llama.cpp serves one model from one llama-server (RPC servers add devices, not replicas).
  r.allow_dp = s.engine != "llama.cpp";
  const ModelSpec& m = s.m;
  const bool tp = s.tensor_parallel;
  r.tp_ok = [&m, tp](int64_t t) { return tp ? engine_util::tp_divides(m, t) : t == 1; };
  return r;
}

/// The layouts that serve the load with the fewest GPUs, scanning GPU counts up from `first` (the fewest GPUs
/// any layout needs): stops at the first count where a conventional layout fits; layouts with deeper pipelines
/// than their nodes require are kept only while no conventional layout on as few nodes exists. Engines that split
/// layers instead of tensors (transformers, llama.cpp) have only pipelines: every layout of theirs is conventional.
std::vector<Fit> fitting_layouts(const Search& s, const Inputs& x, const deploy::NodeShape& shape, int64_t first) {
  const deploy::LayoutRules rules = rules_for(s);
  const int64_t layers = s.m.num_hidden_layers();
  std::vector<Fit> out;
  int64_t unconventional_nodes = 0;
  for (int64_t g = std::max<int64_t>(1, first); g <= s.limit; ++g) {
    if (unconventional_nodes > 0 && deploy::nodes_for(g, shape) > unconventional_nodes) break;
    bool conventional_found = false;
    for (const deploy::Layout& l : deploy::node_layouts(g, shape, rules)) {
      if (l.pp > layers) continue;
      const Capacity c = engine_util::capacity_cached(s.m, x, from_deploy(l), s.cache, s.scale, s.in.batch,
                                                      s.in.context);
      if (!c.serves(s.in.batch)) continue;
      const bool conv = !s.tensor_parallel || deploy::conventional(l, shape);
      out.push_back({l, c, deploy::layout_nodes(l, shape), conv});
      conventional_found = conventional_found || conv;
    }
    if (conventional_found) break;
    if (!out.empty() && unconventional_nodes == 0) unconventional_nodes = out.front().nodes;
  }
  return out;
}

/// Speed on the recommendation's layout: at the request's batch, and at the latency target when one is set.
void fill_speed(const Search& s, Inputs x, Recommendation* rec) {
  x.layout = rec->layout;
  const std::optional<SpeedPoint> at_batch = speed_point(s.m, x, std::max<int64_t>(1, s.in.batch));
  if (!at_batch) return;
  rec->tokens_per_second = at_batch->per_user_tokens_per_second;
  rec->throughput_tokens_per_second = at_batch->throughput_tokens_per_second;
  const double gpus = static_cast<double>(rec->count);
  rec->throughput_per_gpu = at_batch->throughput_tokens_per_second / gpus;
  const Request& r = s.in.request;
  if (!(r.target_tpot_ms > 0 || r.target_ttft_ms > 0)) return;
  rec->target = true;
  const deploy::LatencyCurve curve = [&](int64_t c) {
    const std::optional<SpeedPoint> p = speed_point(s.m, x, c);
    return deploy::LatencyPoint{p->tpot_seconds, p->ttft_seconds, p->throughput_tokens_per_second};
  };
  // The KV cache bounds the search: no more requests than fit at once at the request's context.
  const auto top = static_cast<int64_t>(std::floor(std::min(rec->max_concurrency, 1e9) + 1e-9));
  rec->at_target = deploy::max_concurrency_at_target(curve, top, r.target_tpot_ms, r.target_ttft_ms);
  rec->throughput_per_gpu = rec->at_target.met ? rec->at_target.at.throughput_tokens_per_s / gpus : 0.0;
}

/// Splits the engine's single-node command (built for one GPU) into environment, model and the other flags, so
/// deploy::launch_commands can add the parallel flags and one line per node.
void fill_commands(const Search& s, Inputs x, Recommendation* rec) {
  if (s.engine != "vllm" && s.engine != "sglang" && s.engine != "llama.cpp") return;
  const Engine& e = engine_of(x);
  if (!e.launch_command) return;
  // llama.cpp's command has no parallel flags (it splits layers over the devices it sees): keep the layout.
  x.layout = s.engine == "llama.cpp" ? rec->layout : Layout{1, 1, 1};
  const std::string one = e.launch_command(s.m, x);
  const std::string marker = s.engine == "vllm"     ? "vllm serve "
                             : s.engine == "sglang" ? "python -m sglang.launch_server --model-path "
                                                    : "llama-server ";
  const size_t at = one.find(marker);
  if (at == std::string::npos) return;
  deploy::CommandInputs ci;
  ci.engine = s.engine;
  ci.env = one.substr(0, at);
  std::string rest = one.substr(at + marker.size());
  if (s.engine == "llama.cpp") rest = rest.substr(std::min(rest.size(), rest.find(' ') + 1));  // "-m " / "-hf "
  const size_t sp = rest.find(' ');
  ci.model = rest.substr(0, sp);
  ci.extra_args = sp == std::string::npos ? "" : rest.substr(sp + 1);
  ci.layout = to_deploy(rec->layout);
  ci.gpus_per_node = rec->gpus_per_node;
  auto cmds = deploy::launch_commands(ci);
  if (cmds.ok()) rec->launch_commands = cmds.value();
}

deploy::Candidate candidate_of(const Recommendation& r) {
  deploy::Candidate c;
  c.gpu_id = r.gpu;
  c.layout = to_deploy(r.layout);
  c.nodes = r.nodes;
  c.conventional = r.conventional;
  c.fits = true;
  c.throughput_per_gpu = r.throughput_per_gpu.value_or(0.0);
  return c;
}

Recommendation base_recommendation(const GpuSpec& g, const deploy::Support& sup, const deploy::NodeShape& shape) {
  Recommendation rec;
  rec.gpu = g.id;
  rec.name = g.name;
  rec.vendor = g.vendor;
  rec.market = g.market;
  rec.memory_gib = g.memory_gib;
  rec.gpus_per_node = shape.gpus_per_node;
  rec.support_via = sup.via;
  rec.support_note = sup.note;
  return rec;
}

/// The best recommendation of one GPU, or why there is none.
std::optional<Recommendation> recommend_one(const Search& s, const GpuSpec& g, const deploy::Support& sup,
                                            std::string* why) {
  Inputs x = s.in;
  x.gpu = g;
  const deploy::NodeShape shape = deploy::node_shape(g);
  const auto fewest = engine_util::fewest_gpus_cached(s.m, x, s.cache, s.scale, s.in.batch, s.in.context, s.limit,
                                                      nullptr);
  std::vector<Fit> fits;
  if (fewest) fits = fitting_layouts(s, x, shape, fewest->gpus());
  if (fits.empty()) {
    *why = "no layout of up to " + std::to_string(s.limit) + " GPUs (recommend_max_gpus) serves " +
           std::to_string(s.in.batch) + " sequences of " + std::to_string(s.in.context) + " tokens" +
           (fewest ? " with tensor parallelism inside a node" : "");
    return std::nullopt;
  }
  const Recommendation base = base_recommendation(g, sup, shape);
  std::vector<Recommendation> options;
  for (const Fit& f : fits) {
    Recommendation rec = base;
    rec.layout = from_deploy(f.layout);
    rec.count = f.layout.gpus();
    rec.nodes = f.nodes;
    rec.conventional = f.conventional;
    rec.tp_link = deploy::tp_link(f.layout.tp, shape).kind;
    rec.pp_link = deploy::pp_link(f.layout, shape).kind;
    // Two decimals, rounded down (vLLM logs two; never overstate what fits).
    rec.max_concurrency = std::floor(f.capacity.max_concurrency * 100.0 + 1e-9) / 100.0;
    rec.headroom_bytes = f.capacity.headroom_bytes;
    options.push_back(rec);
  }
  // deploy::select keeps the conventional layouts when any fits; speed decides among the fewest nodes and GPUs.
  std::vector<deploy::Candidate> cands;
  for (const Recommendation& r : options) cands.push_back(candidate_of(r));
  const std::vector<deploy::Candidate> kept = deploy::select(cands);
  std::vector<Recommendation> tier;
  for (const deploy::Candidate& c : kept) {
    if (c.nodes != kept.front().nodes || c.layout.gpus() != kept.front().layout.gpus()) continue;
    for (Recommendation& r : options) {
      if (to_deploy(r.layout) == c.layout) tier.push_back(r);
    }
  }
  for (Recommendation& r : tier) fill_speed(s, x, &r);
  std::stable_sort(tier.begin(), tier.end(), [](const Recommendation& a, const Recommendation& b) {
    return deploy::rank_before(candidate_of(a), candidate_of(b));
  });
  Recommendation best = tier.front();
  const Request& req = s.in.request;
  if (req.gpu_hour_usd > 0) {
    const double tps = best.target ? best.at_target.at.throughput_tokens_per_s
                                   : best.throughput_tokens_per_second.value_or(0.0);
    auto c = deploy::serving_cost(req.gpu_hour_usd, best.count, tps);
    if (c.ok()) best.cost = c.value();
  }
  fill_commands(s, x, &best);
  return best;
}

/// Speed at 1, 2, 4, ... users up to the layout's KV-cache limit (and the limit itself), at most 12 points.
void fill_curve(const Search& s, const GpuSpec& g, Recommendation* rec) {
  Inputs x = s.in;
  x.gpu = g;
  x.layout = rec->layout;
  const auto top = static_cast<int64_t>(std::floor(std::min(rec->max_concurrency, 1e9) + 1e-9));
  std::vector<int64_t> cs;
  for (int64_t c = 1; c < top && cs.size() < 11; c *= 2) cs.push_back(c);
  if (top >= 1) cs.push_back(top);
  for (int64_t c : cs) {
    const std::optional<SpeedPoint> p = speed_point(s.m, x, c);
    if (!p) return;
    rec->curve.push_back(*p);
  }
}

}  // namespace

Recommendations recommend_gpus(const ModelSpec& m, const Inputs& in, const std::vector<GpuSpec>& gpus) {
  const Request& r = in.request;
  // Weights per rank do not depend on the GPU: one cache for every preset.
  engine_util::RankWeightsCache cache(m, in);
  const Engine& engine = engine_of(in);
  Search s{m, in, cache};
  s.scale = engine_util::safetensors_scale(m, in);
  s.limit = std::max<int64_t>(1, in.max_gpus);
  s.engine = engine.name;
  s.tensor_parallel = engine.traits.tensor_parallel;
  const deploy::EngineInfo* info = deploy::engine_info(s.engine);
  s.multi_node = info == nullptr || info->multi_node;
  const std::string vendor = lower(r.recommend_vendor);
  const std::string market = lower(r.recommend_market);
  Recommendations out;
  for (const GpuSpec& g : gpus) {
    if (g.memory_gib <= 0) continue;
    if (!vendor.empty() && lower(g.vendor) != vendor) continue;
    if (!market.empty() && lower(g.market) != market) continue;
    if (g.memory_gib < r.recommend_min_memory_gib) continue;
    const deploy::Support sup = deploy::support(s.engine, g);
    if (!sup.supported) {
      out.excluded.push_back({g.id, g.name, sup.reason});
      continue;
    }
    std::string why;
    if (auto rec = recommend_one(s, g, sup, &why)) {
      out.items.push_back(std::move(*rec));
    } else {
      out.excluded.push_back({g.id, g.name, why});
    }
  }
  std::stable_sort(out.items.begin(), out.items.end(), [](const Recommendation& a, const Recommendation& b) {
    return deploy::rank_before(candidate_of(a), candidate_of(b));
  });
  for (size_t i = 0; i < out.items.size() && i < kCurveRecommendations; ++i) {
    for (const GpuSpec& g : gpus) {
      if (g.id == out.items[i].gpu) fill_curve(s, g, &out.items[i]);
    }
  }
  return out;
}

}  // namespace llmsizer
