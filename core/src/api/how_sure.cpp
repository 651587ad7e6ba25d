// "How sure": the bands on the response's headline figures, the verdict on them and the note (how_sure.h).
//
// Which rule family bounds which figure (bands/bands.h BandFigure), and how:
//   memory.weights_bytes        weights; zero width when the bytes are read (the Hub's safetensors metadata in
//                               the checkpoint's own precision, or a GGUF file's tensor table)
//   memory.kv_cache_bytes       kv_tokens/<engine> (the KV bytes are the pool's tokens x bytes per token)
//   memory.activations_bytes    activations/<engine>
//   memory.total_bytes          transformers: peak/transformers/sdpa on weights + KV + activations (what
//                               torch.cuda.max_memory_allocated() measured), plus the overhead; other engines:
//                               the sum of the parts' bands (their errors taken as moving together: the widest)
//   serving.kv_cache_tokens     kv_tokens/<engine>;  serving.max_concurrency: concurrency/<engine>
//   speed.prefill_seconds, speed.ttft_seconds: prefill/<engine>;  speed.tpot_seconds: decode/<engine>, and for a
//                               host-bound decode outside a measured host-bound cell at least the fast-to-slow
//                               host range (speed.h)
//   training.total_bytes        training_peak on total - other (other is outside the allocator), plus other
//   training.speed.seconds_per_step: training_step
// The envelope of a case: the GPU's architecture, the engine version whose rules apply (vLLM, transformers) and
// whether decode is host-bound; bands.cpp widens outside the measured cells by the table's steps.
#include "api/how_sure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engines/util.h"
#include "json/util.h"

namespace llmsizer {

namespace {

std::string engine_version(const Inputs& in) {
  if (in.engine == EngineId::kVllm) {
    return std::to_string(in.vllm.version_major) + "." + std::to_string(in.vllm.version_minor);
  }
  if (in.engine == EngineId::kTransformers) return in.transformers.version;
  return "";
}

struct Ctx {
  const AccuracyTable& table;
  BandEnvelope env;
  std::string engine;
  HowSure& out;
};

/// Adds a band and returns a copy (not a reference: the next add may reallocate the list).
Band add(Ctx& c, const std::string& path, const std::string& family, double value, bool integral,
         bool exact = false, bool host_bound = false) {
  BandEnvelope env = c.env;
  env.exact = exact;
  env.host_bound = host_bound;
  c.out.bands.push_back({path, family, make_band(c.table, family, value, env, integral)});
  return c.out.bands.back().band;
}

/// A band built from others (a sum, or a family band shifted by an exact part).
void add_derived(Ctx& c, const std::string& path, const std::string& family, double value, double lo, double hi,
                 const Band& like) {
  Band b = like;
  b.value = value;
  b.lo = std::min(lo, value);
  b.hi = std::max(hi, value);
  c.out.bands.push_back({path, family, b});
}

const FigureBand* find(const HowSure& h, const std::string& path) {
  for (const FigureBand& f : h.bands) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

void memory_bands(Ctx& c, const Estimate& e, const GpuMemory& g) {
  const Inputs& in = e.inputs;
  const MemoryBreakdown& m = g.memory;
  const bool exact = in.safetensors_bytes.has_value() || !in.weights.gguf_layer_bytes.empty();
  const Band w = add(c, "memory.weights_bytes", "weights", static_cast<double>(m.weights_bytes), true, exact);
  const Band kv = add(c, "memory.kv_cache_bytes", band_family(BandFigure::kKvTokens, c.engine),
                       static_cast<double>(m.kv_cache_bytes), true);
  const Band act = add(c, "memory.activations_bytes", band_family(BandFigure::kActivations, c.engine),
                        static_cast<double>(m.activations_bytes), true);
  const double overhead = static_cast<double>(m.overhead_bytes);
  const double total = static_cast<double>(m.total_bytes());
  if (in.engine == EngineId::kTransformers) {
    const double peak = static_cast<double>(m.weights_bytes + m.kv_cache_bytes + m.activations_bytes);
    const std::string fam = band_family(BandFigure::kPeak, c.engine, "sdpa");
    const Band p = make_band(c.table, fam, peak, c.env, true);
    add_derived(c, "memory.total_bytes", fam, total, p.lo + overhead, p.hi + overhead, p);
    return;
  }
  Band sum = w;  // the provenance of the sum: its least measured part
  sum.n = std::min({w.exact ? kv.n : w.n, kv.n, act.n});
  sum.cases.clear();
  sum.exact = w.exact && kv.lo == kv.hi && act.lo == act.hi;
  sum.measured = w.measured && kv.measured && act.measured;
  sum.inside_envelope = w.inside_envelope && kv.inside_envelope && act.inside_envelope;
  add_derived(c, "memory.total_bytes", "sum", total, w.lo + kv.lo + act.lo + overhead,
              w.hi + kv.hi + act.hi + overhead, sum);
}

void serving_bands(Ctx& c, const Estimate& e) {
  const EnginePlan& p = e.plan;
  if (p.kv_cache_tokens >= 0) {
    add(c, "serving.kv_cache_tokens", band_family(BandFigure::kKvTokens, c.engine),
        static_cast<double>(p.kv_cache_tokens), true);
  }
  add(c, "serving.max_concurrency", band_family(BandFigure::kConcurrency, c.engine), p.max_concurrency, false);
}

void speed_bands(Ctx& c, const SpeedEstimate& s) {
  if (!s.available) return;
  const std::string pre = band_family(BandFigure::kPrefill, c.engine);
  add(c, "speed.prefill_seconds", pre, s.prefill_seconds, false);
  add(c, "speed.ttft_seconds", pre, s.ttft_seconds, false);
  const Band t = make_band(c.table, band_family(BandFigure::kDecode, c.engine), s.tpot_seconds,
                           BandEnvelope{c.env.architecture, c.env.engine_version, s.host_bound, false}, false);
  // Host-bound outside a cell measured so: the band covers at least the fast-to-slow host range of the per-layer
  // launch cost. Inside one, the measured spread stands (the range is in speed.tpot_*_host_seconds).
  const bool hull = s.host_bound && !t.inside_envelope;
  add_derived(c, "speed.tpot_seconds", band_family(BandFigure::kDecode, c.engine), s.tpot_seconds,
              hull ? std::min(t.lo, s.tpot_fast_host_seconds) : t.lo,
              hull ? std::max(t.hi, s.tpot_slow_host_seconds) : t.hi, t);
}

void training_bands(Ctx& c, const TrainingSection& t) {
  if (!t.estimated) return;
  BandEnvelope env = c.env;
  env.engine_version.clear();  // training families have no version axis
  const double other = static_cast<double>(t.other_bytes);
  const Band p = make_band(c.table, "training_peak", static_cast<double>(t.total_bytes) - other, env, true);
  add_derived(c, "training.total_bytes", "training_peak", static_cast<double>(t.total_bytes), p.lo + other,
              p.hi + other, p);
  if (t.seconds_per_step > 0) add(c, "training.speed.seconds_per_step", "training_step", t.seconds_per_step, false);
}

/// GPUs needed at the high end: the search of engines.cpp (solve_engine's fewest GPUs) with the weights carrying
/// the band's extra bytes (total.hi - total on the tightest GPU, as a share of its weights) — a conservative
/// proxy: all the extra is placed where it scales with the model.
void gpus_needed_high(HowSure& h, const Estimate& e, const GpuMemory& g) {
  const FigureBand* need = find(h, "memory.total_bytes");
  if (!need || e.gpus_needed <= 0 || g.memory.weights_bytes <= 0) return;
  const double extra = need->band.hi - static_cast<double>(g.memory.total_bytes());
  if (!(extra > 0)) {
    h.gpus_needed_high = e.gpus_needed;
    return;
  }
  const double grow = 1.0 + extra / static_cast<double>(g.memory.weights_bytes);
  engine_util::RankWeightsCache cache(e.model, e.inputs);
  const auto l = engine_util::fewest_gpus_cached(e.model, e.inputs, cache,
                                                 engine_util::safetensors_scale(e.model, e.inputs) * grow,
                                                 std::max<int64_t>(1, e.solves.batch), e.solves.context,
                                                 std::max<int64_t>(1, e.inputs.max_gpus), nullptr);
  h.gpus_needed_high = l ? std::max(l->gpus(), e.gpus_needed) : 0;
}

/// The verdict on the band (bands.h verdict_need / verdict_supply), and what it was taken on.
void verdict(HowSure& h, const Estimate& e, const GpuMemory& g, const TrainingSection& t) {
  if (t.estimated) {
    const FigureBand* need = find(h, "training.total_bytes");
    h.verdict = !t.fits || !need ? FitVerdict::kDoesNotFit : verdict_need(need->band, static_cast<double>(t.usable_bytes));
    h.verdict_basis = "training.total_bytes against the usable memory of one GPU (high end of the band)";
    return;
  }
  const bool pool = e.inputs.engine == EngineId::kVllm || e.inputs.engine == EngineId::kSglang;
  if (pool) {
    // The engine takes its memory budget whatever the model; what is uncertain is what that budget holds.
    const FigureBand* conc = find(h, "serving.max_concurrency");
    h.verdict = !e.plan.fits || !conc ? FitVerdict::kDoesNotFit
                                      : verdict_supply(conc->band, static_cast<double>(std::max<int64_t>(1, e.inputs.batch)));
    h.verdict_basis = "serving.max_concurrency against the batch (low end of the band)";
    return;
  }
  const FigureBand* need = find(h, "memory.total_bytes");
  h.verdict = !e.plan.fits || !need ? FitVerdict::kDoesNotFit : verdict_need(need->band, static_cast<double>(g.usable_bytes));
  h.verdict_basis = "memory.total_bytes against the usable memory of the tightest GPU (high end of the band)";
}

std::string pct(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x * 100.0);
  return buf;
}

/// One line per band: what it rests on, and where this case stands. Fine-tuning: the envelope is the training
/// figures' (the inference sections are written too, but the answer is the training one).
void notes(HowSure& h, bool training) {
  h.inside_envelope = true;
  for (const FigureBand& f : h.bands) {
    const bool counts = !training || f.path.rfind("training.", 0) == 0;
    const Band& b = f.band;
    std::string line = f.path + ": ";
    if (b.exact) {
      line += "exact (read from the checkpoint's metadata)";
    } else if (b.value > 0 && std::isfinite(b.value)) {
      line += "-" + pct(1 - b.lo / b.value) + " % .. +" + pct(b.hi / b.value - 1) + " %; ";
      if (f.family == "sum") {
        line += "the sum of its parts' bands (weights, KV cache, activations)";
      } else if (b.n == 0) {
        line += "no measured case for " + f.family + ": the table's default width";
      } else {
        line += std::to_string(b.n) + " measured case" + (b.n == 1 ? "" : "s") + " (" + f.family + ")";
        if (!b.measured) line += ", too few for percentiles: at least the default width";
      }
      std::vector<std::string> steps;
      if (b.gpu_steps) steps.push_back("another GPU family");
      if (b.version_steps) steps.push_back("an unmeasured engine version");
      if (b.host_steps) steps.push_back("host-bound");
      if (f.family == "sum") {
        line += b.inside_envelope ? "; each inside its envelope" : "";
      } else if (!steps.empty()) {
        line += "; outside the envelope, widened for ";
        for (size_t i = 0; i < steps.size(); ++i) line += (i ? ", " : "") + steps[i];
      } else if (b.inside_envelope) {
        line += "; inside the envelope";
      }
    } else {
      continue;
    }
    if (counts && !b.exact && !b.inside_envelope && b.value > 0) h.inside_envelope = false;
    h.notes.push_back(line);
  }
  if (h.host_bound) {
    h.notes.push_back("speed.tpot_seconds: host-bound (no CUDA graphs): the CPU launching every layer's ops sets "
                      "the pace; a fast to a slow host: speed.tpot_fast_host_seconds .. speed.tpot_slow_host_seconds");
  }
}

}  // namespace

HowSure how_sure(const Estimate& e, const SpeedEstimate& s, const TrainingSection& t) {
  HowSure h;
  static const GpuMemory kNone;
  const GpuMemory& g = e.binding_gpu < e.plan.per_gpu.size() ? e.plan.per_gpu[e.binding_gpu] : kNone;
  // Encoders: no measured case of ours is an encoder, so their figures take the table's default widths (the
  // "encoder" family has no rows) and the decoder speed model's bands are left out (speed.* is the encoder's own).
  const bool encoder = e.model.kind == ModelKind::kEncoder;
  Ctx c{builtin_accuracy_table(), BandEnvelope{gpu_family(e.inputs.gpu), engine_version(e.inputs), false, false},
        encoder ? std::string("encoder") : e.plan.engine, h};
  memory_bands(c, e, g);
  serving_bands(c, e);
  if (!encoder) speed_bands(c, s);
  training_bands(c, t);
  h.host_bound = s.available && s.host_bound;
  verdict(h, e, g, t);
  if (!t.estimated) gpus_needed_high(h, e, g);
  notes(h, t.estimated);
  return h;
}

void write_bands(JsonWriter& w, const HowSure& h) {
  w.begin_object();
  for (const FigureBand& f : h.bands) {
    const bool integral = f.path.find("_bytes") != std::string::npos || f.path == "serving.kv_cache_tokens";
    w.key(f.path).begin_array();
    if (integral) {
      w.value(static_cast<int64_t>(std::llround(f.band.lo))).value(static_cast<int64_t>(std::llround(f.band.hi)));
    } else {
      w.number(stable(f.band.lo)).number(stable(f.band.hi));
    }
    w.end_array();
  }
  w.end_object();
}

void write_how_sure(JsonWriter& w, const HowSure& h) {
  w.begin_object();
  w.field("verdict", fit_verdict_name(h.verdict))
      .field("verdict_basis", h.verdict_basis)
      .field("inside_envelope", h.inside_envelope)
      .field("host_bound", h.host_bound);
  if (h.gpus_needed_high >= 0) w.field("gpus_needed_at_high_end", h.gpus_needed_high);
  w.key("figures").begin_object();
  for (const FigureBand& f : h.bands) {
    const Band& b = f.band;
    w.key(f.path).begin_object();
    w.field("family", f.family)
        .field("exact", b.exact)
        .field("measured_cases", b.n)
        .field("inside_envelope", b.exact || b.inside_envelope)
        .field("other_gpu_family", b.gpu_steps > 0)
        .field("unmeasured_engine_version", b.version_steps > 0)
        .field("host_bound", b.host_steps > 0);
    w.end_object();
  }
  w.end_object();
  w.field_strings("notes", h.notes);
  w.end_object();
}

}  // namespace llmsizer
