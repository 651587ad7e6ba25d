// What every engine shares: the plan through the engine's record (engines/table.h), capacity of a layout, the
// fewest-GPU layout search, the reverse solves (largest context, the memory knob, fewest GPUs) and the context curve.
#include "engines/engines.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engines/table.h"
#include "engines/util.h"

namespace llmsizer {

namespace engine_util {

std::string with_commas(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++count;
  }
  return n < 0 ? "-" + out : out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string gib_text(double bytes) { return fixed(bytes / (1024.0 * 1024.0 * 1024.0), 2); }

std::string knob_text(double v) {
  for (int d = 2; d <= 4; ++d) {
    const double scale = std::pow(10.0, d);
    if (std::abs(v * scale - std::round(v * scale)) < 1e-6) return fixed(v, d);
  }
  return fixed(v, 4);
}

bool parse_version(const std::string& text, int* major, int* minor) {
  size_t i = 0;
  if (i < text.size() && (text[i] == 'v' || text[i] == 'V')) ++i;
  auto number = [&](int* out) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    int v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && v < 100000) {
      v = v * 10 + (text[i] - '0');
      ++i;
    }
    *out = v;
    return true;
  };
  int a = 0;
  int b = 0;
  if (!number(&a)) return false;
  if (i >= text.size() || text[i] != '.') return false;
  ++i;
  if (!number(&b)) return false;
  // Anything after major.minor (".0", ".post1", "rc1") does not change the memory rules.
  *major = a;
  *minor = b;
  return true;
}

bool tp_divides(const ModelSpec& m, int64_t tp) {
  // The rule of memory.cpp tp_problem (vLLM's): heads divisible by tp; KV heads divisible by tp or tp by them.
  if (tp <= 1 || m.layers.empty()) return true;
  const AttentionSpec& a = m.layers.front().attn;
  if (a.num_heads % tp != 0) return false;
  return a.mla || a.num_kv_heads % tp == 0 || (a.num_kv_heads > 0 && tp % a.num_kv_heads == 0);
}

std::string repo_or_placeholder(const Inputs& in) {
  if (!in.command_model_id.empty()) return in.command_model_id;
  return in.model_id.empty() ? std::string("<hf-repo-id>") : in.model_id;
}

int64_t per_replica(int64_t batch, int64_t dp) {
  dp = std::max<int64_t>(1, dp);
  return (std::max<int64_t>(0, batch) + dp - 1) / dp;
}

double safetensors_scale(const ModelSpec& m, const Inputs& in) {
  // As the generic engine does (generic.cpp generic_memory): the Hub's exact checkpoint bytes replace ours
  // when the precision is the checkpoint's own; the split over ranks keeps our proportions.
  if (!in.safetensors_bytes) return 1.0;
  const RankWeights whole = rank_weights(m, in.weights, 1, in.include_mtp, 1, false);
  double ours = whole.first_bytes + whole.last_bytes;
  for (double b : whole.layer_bytes) ours += b;
  return ours > 0 ? *in.safetensors_bytes / ours : 1.0;
}

bool nvlink_sharp(const GpuSpec& g) {
  // HGX/DGX systems whose NVSwitch supports NVLink SHARP. H100 NVL / PCIe, H200 NVL and A100 use NVLink bridges
  // or second-generation NVSwitch: no NVLS.
  static const char* const kSystems[] = {"nvidia-h100-sxm", "nvidia-h200-sxm", "nvidia-h800-sxm", "nvidia-h20",
                                         "nvidia-b100",     "nvidia-b200",     "nvidia-b300",     "nvidia-gb200",
                                         "nvidia-gb300"};
  std::string id = g.id;
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* s : kSystems) {
    const std::string p = s;
    if (id.compare(0, p.size(), p) == 0 && (id.size() == p.size() || id[p.size()] == '-')) return true;
  }
  return false;
}

TpData& RankWeightsCache::data(int64_t tp) {
  for (TpData& d : items_) {
    if (d.tp == tp) return d;
  }
  items_.reserve(8);  // tp 1, 2, 4, 8 (+ the request's own): references stay valid
  TpData d;
  d.tp = tp;
  d.rw = rank_weights(m_, f_, tp, mtp_, pad_, rope_);
  items_.push_back(std::move(d));
  return items_.back();
}

RankWeightsCache::RankWeightsCache(const ModelSpec& m, const Inputs& in)
    : RankWeightsCache(m, in.weights, in.include_mtp, engine_of(in).traits.vocab_padding,
                       engine_of(in).traits.rope_cache) {}

Inputs with_workload(const Inputs& in, int64_t batch, int64_t context) {
  Inputs x = in;
  x.batch = std::max<int64_t>(1, batch);
  if (context != in.context) {
    // Another context keeps the request's output length (at most half the context) and fills the rest with prompt.
    x.context = context;
    x.output_tokens = std::min(in.output_tokens, std::max<int64_t>(1, context / 2));
    x.input_tokens = std::max<int64_t>(1, context - x.output_tokens);
    if (x.vllm.max_model_len > 0) x.vllm.max_model_len = context;
  }
  return x;
}

Capacity capacity_cached(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double scale,
                         int64_t batch, int64_t context) {
  return engine_of(in).capacity(m, in, l, cache, scale, batch, context);
}

namespace {

/// The smallest pipeline depth (<= hi) at which `tp` ranks per stage serve `batch` sequences of `context` tokens
/// in one replica, and what that layout serves; pp = 0 when none does. See fewest_gpus_cached for the search.
struct Depth {
  int64_t pp = 0;
  Capacity capacity;
};
Depth smallest_depth(const ModelSpec& m, const Inputs& in, const EngineTraits& t, RankWeightsCache& cache,
                     double scale, int64_t tp, int64_t batch, int64_t context, int64_t hi) {
  Depth none;
  const int64_t layers = m.num_hidden_layers();
  const double memory = static_cast<double>(std::max<int64_t>(1, in.gpu.memory_bytes())) * t.usable_fraction(in);
  const double seqs = static_cast<double>(std::max<int64_t>(1, batch));
  int64_t lo = 1;
  if (t.stage_bound) {
    // Whole layers per stage: each stage's weights on this rank and the KV of `batch` sequences (at least the
    // tokens the engine keeps per layer) must fit the engine's usable share of the GPU. Bisection on a check
    // that costs one pass over the stages (prefix sums, cached per tp).
    TpData& d = cache.data(tp);
    const RankWeights& rw = d.rw;
    if (d.weight_prefix.empty()) {
      d.weight_prefix.assign(1, 0.0);
      for (double b : rw.layer_bytes) d.weight_prefix.push_back(d.weight_prefix.back() + b);
    }
    if (d.kv_context != context) {
      d.kv_prefix.assign(1, 0.0);
      for (const LayerSpec& l : m.layers) {
        const int64_t n = l.attn.sliding_window > 0 ? t.window_tokens(l.attn.sliding_window, context, in) : context;
        d.kv_prefix.push_back(d.kv_prefix.back() +
                              static_cast<double>(n) * kv_bytes_per_token_layer(l.attn, in.kv_dtype, tp));
      }
      d.kv_context = context;
    }
    auto fits_stages = [&](int64_t pp) {
      // The split of pipeline_stages (memory.cpp): layers / pp each, one more on the stages before the last.
      const int64_t base = layers / pp;
      const int64_t rem = layers % pp;
      int64_t first = 0;
      for (int64_t i = 0; i < pp; ++i) {
        const int64_t end = first + base + (i >= pp - 1 - rem && i < pp - 1 ? 1 : 0);
        double w = d.weight_prefix[static_cast<size_t>(end)] - d.weight_prefix[static_cast<size_t>(first)];
        if (i == 0) w += rw.first_bytes;
        if (i == pp - 1) w += rw.last_bytes + (i > 0 ? rw.tied_head_bytes : 0.0);
        const double kv = seqs * (d.kv_prefix[static_cast<size_t>(end)] - d.kv_prefix[static_cast<size_t>(first)]);
        if (w * scale + rw.buffers + kv > memory) return false;
        first = end;
      }
      return true;
    };
    if (hi < 1 || !fits_stages(hi)) return none;
    int64_t a = 0;   // does not fit
    int64_t b = hi;  // fits
    while (b - a > 1) {
      const int64_t mid = a + (b - a) / 2;
      if (fits_stages(mid)) {
        b = mid;
      } else {
        a = mid;
      }
    }
    lo = b;
  }
  if (lo > hi) return none;
  auto eval = [&](int64_t pp, Capacity* c) {
    *c = capacity_cached(m, in, Layout{tp, pp, 1}, cache, scale, batch, context);
    return c->serves(batch);
  };
  Capacity c;
  Depth found;
  int64_t failed = lo - 1;  // largest depth known not to serve
  if (!t.monotone_in_pp(in)) {
    // One by one from the bound (the serving depths can end); 32 depths past it at most.
    for (int64_t pp = lo; pp <= std::min(hi, lo + 32); ++pp) {
      if (eval(pp, &c)) return Depth{pp, c};
    }
    return none;
  }
  // Galloping up from the bound (lo, lo + 1, lo + 3, ...), then bisection.
  for (int64_t step = 1, pp = lo;; step *= 2) {
    if (eval(pp, &c)) {
      found = Depth{pp, c};
      break;
    }
    failed = pp;
    if (pp >= hi) return none;
    pp = std::min(hi, lo + 2 * step - 1);
  }
  while (found.pp - failed > 1) {
    const int64_t mid = failed + (found.pp - failed) / 2;
    if (eval(mid, &c)) {
      found = Depth{mid, c};
    } else {
      failed = mid;
    }
  }
  return found;
}

}  // namespace

std::optional<Layout> fewest_gpus_cached(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache, double scale,
                                         int64_t batch, int64_t context, int64_t max_gpus, Capacity* found) {
  // Tensor parallelism within a node (<= 8 GPUs, one NVLink domain), pipeline stages beyond: vLLM's docs,
  // "Distributed inference and serving" (TP = GPUs per node, PP = nodes). At equal GPU counts more tensor
  // parallelism wins. Engines that split layers instead (transformers, llama.cpp) use tp = 1.
  //
  // The recommendations run this for every GPU preset, so it evaluates few layouts. For each tp (smallest first;
  // larger ones then only need as many GPUs as the best so far, and win ties) the pipeline depth starts at a
  // lower bound and grows by galloping, then bisection (more stages take layers off each GPU); the bound is the
  // smallest depth at which every stage's whole layers and KV fit the engine's usable share of the GPU. Most
  // models take one or two evaluations per GPU type; tests/engines_test.cpp checks the result against an
  // exhaustive search.
  //
  // When no single replica serves `batch` sequences, data-parallel replicas of the layout that serves the most
  // sequences per GPU do (the engine's max concurrency is per replica).
  const EngineTraits& t = engine_of(in).traits;
  const int64_t layers = m.num_hidden_layers();
  const std::vector<int64_t> tps = t.tensor_parallel ? std::vector<int64_t>{1, 2, 4, 8} : std::vector<int64_t>{1};
  std::optional<Layout> best;
  for (int64_t tp : tps) {
    if (!tp_divides(m, tp)) continue;
    int64_t hi = std::min(layers, max_gpus / tp);
    if (best) hi = std::min(hi, best->gpus() / tp);  // no more GPUs than the best so far (ties go to larger tp)
    const Depth d = smallest_depth(m, in, t, cache, scale, tp, batch, context, hi);
    if (d.pp == 0) continue;
    best = Layout{tp, d.pp, 1};
    if (found) *found = d.capacity;
  }
  if (best || batch <= 1) return best;
  for (int64_t tp : tps) {
    if (!tp_divides(m, tp)) continue;
    const Depth one = smallest_depth(m, in, t, cache, scale, tp, 1, context, std::min(layers, max_gpus / tp));
    if (one.pp == 0) continue;
    const int64_t per_replica = static_cast<int64_t>(std::floor(one.capacity.max_concurrency + 1e-9));
    if (per_replica < 1) continue;
    const int64_t replicas = ceil_div(batch, per_replica);
    const Layout l{tp, one.pp, replicas};
    if (l.gpus() > max_gpus || (best && l.gpus() > best->gpus())) continue;
    const Capacity c = capacity_cached(m, in, l, cache, scale, batch, context);
    if (!c.serves(batch)) continue;
    best = l;
    if (found) *found = c;
  }
  return best;
}

}  // namespace engine_util

EnginePlan plan_engine(const ModelSpec& m, const Inputs& in) {
  const Engine& e = engine_of(in);
  engine_util::RankWeightsCache cache(m, in);
  EnginePlan p = e.plan(m, in, cache);
  p.engine = e.name;
  if (e.launch_command) p.launch_command = e.launch_command(m, in);
  // Say so when weights include a buffer that is not a parameter (issue 17: "a rotary buffer folded into
  // Weights without a word"): memory.cpp rank_weights adds it on every GPU.
  if (e.traits.rope_cache && m.rotary_dim > 0 && m.max_position_embeddings > 0 && !in.gguf_file) {
    const double bytes = static_cast<double>(m.max_position_embeddings) * static_cast<double>(m.rotary_dim) *
                         dtype_bits(in.weights.dtype) / 8.0;
    p.assumptions.push_back("weights include a rotary cos/sin cache on every GPU, not a parameter (serving engines "
                            "precompute it for every position): max_position_embeddings " +
                            engine_util::with_commas(m.max_position_embeddings) + " x rotary_dim " +
                            std::to_string(m.rotary_dim) + " x " +
                            std::to_string(static_cast<int>(dtype_bits(in.weights.dtype) / 8)) + " bytes = " +
                            engine_util::fixed(bytes / (1 << 20), 1) +
                            " MiB (vllm/model_executor/layers/rotary_embedding.py cos_sin_cache)");
  }
  return p;
}

Capacity engine_capacity(const ModelSpec& m, const Inputs& in, const Layout& layout, int64_t batch, int64_t context) {
  engine_util::RankWeightsCache cache(m, in);
  return engine_util::capacity_cached(m, in, layout, cache, engine_util::safetensors_scale(m, in), batch, context);
}

std::optional<Layout> fewest_gpus(const ModelSpec& m, const Inputs& in, int64_t batch, int64_t context,
                                  int64_t max_gpus) {
  engine_util::RankWeightsCache cache(m, in);
  return engine_util::fewest_gpus_cached(m, in, cache, engine_util::safetensors_scale(m, in), batch, context, max_gpus,
                                         nullptr);
}

std::vector<ContextPoint> context_curve(const ModelSpec& m, const Inputs& in) {
  // Doubling from 1,024 tokens to the model's maximum (131,072 when the config does not say), with the
  // request's own context among them; at most 16 points, so a 10M-token model stays cheap.
  const int64_t limit = m.max_position_embeddings > 0 ? m.max_position_embeddings : 131072;
  std::vector<int64_t> contexts;
  for (int64_t c = 1024; c < limit && contexts.size() < 15; c *= 2) contexts.push_back(c);
  contexts.push_back(limit);
  if (std::find(contexts.begin(), contexts.end(), in.context) == contexts.end()) contexts.push_back(in.context);
  std::sort(contexts.begin(), contexts.end());
  std::vector<ContextPoint> out;
  const Engine& e = engine_of(in);
  engine_util::RankWeightsCache cache(m, in);  // per-model data the engine reuses from point to point
  for (int64_t c : contexts) {
    Inputs x = engine_util::with_workload(in, in.batch, c);
    if (x.vllm.max_model_len > 0) x.vllm.max_model_len = c;
    const EnginePlan p = e.plan(m, x, cache);
    if (p.per_gpu.empty()) continue;
    size_t tight = 0;
    for (size_t i = 0; i < p.per_gpu.size(); ++i) {
      if (p.per_gpu[i].free_bytes < p.per_gpu[tight].free_bytes) tight = i;
    }
    ContextPoint pt;
    pt.context = c;
    pt.max_concurrency = p.max_concurrency;
    pt.kv_cache_bytes_per_sequence = p.per_gpu[tight].kv_cache_bytes_per_sequence;
    pt.memory = p.per_gpu[tight].memory;
    pt.fits = p.fits;
    out.push_back(pt);
  }
  return out;
}

EngineSolves solve_engine(const ModelSpec& m, const Inputs& in) {
  using engine_util::gib_text;
  EngineSolves sv;
  sv.batch = std::max<int64_t>(1, in.batch);
  sv.context = in.context;
  const Engine& e = engine_of(in);
  engine_util::RankWeightsCache cache(m, in);
  const double scale = engine_util::safetensors_scale(m, in);
  const int64_t n = sv.batch;

  // ---- 1. the largest context that serves N users on the chosen GPUs ----
  sv.max_context_limit = m.max_position_embeddings > 0 ? m.max_position_embeddings : 10'000'000;
  auto serves = [&](int64_t len) {
    return engine_util::capacity_cached(m, in, in.layout, cache, scale, n, len).serves(n);
  };
  if (!serves(1)) {
    sv.max_context = 0;
    sv.max_context_note = std::to_string(n) + (n == 1 ? " sequence does" : " concurrent sequences do") +
                          " not fit on this layout at any context: the weights, activations or engine overheads "
                          "leave too little memory";
  } else {
    int64_t lo = 1;
    int64_t hi = sv.max_context_limit;
    if (serves(hi)) {
      lo = hi;
      sv.max_context_note = "the model's maximum context (max_position_embeddings) fits";
    }
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (serves(mid)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    sv.max_context = lo;
  }

  // ---- 2. the engine's memory knob for N users at context L ----
  if (e.knob.solve) {
    sv.knob = e.knob.name;
    e.knob.solve(m, in, cache, scale, &sv);
  }

  // ---- 3. the fewest GPUs of this type ----
  const int64_t limit = std::max<int64_t>(1, in.max_gpus);
  Capacity found;
  if (auto l = engine_util::fewest_gpus_cached(m, in, cache, scale, n, in.context, limit, &found)) {
    sv.fewest_gpus = l->gpus();
    sv.fewest_layout = *l;
  } else {
    sv.fewest_gpus = 0;
    sv.fewest_note = "does not fit on " + std::to_string(limit) + " x " + in.gpu.name +
                     " with a valid tensor/pipeline layout (and data-parallel replicas)";
  }
  return sv;
}

}  // namespace llmsizer
