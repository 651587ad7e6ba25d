// "How sure": bands from presets/accuracy.json (see bands.h and README "How sure").
#include "bands/bands.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "json/json.h"
#include "json/util.h"

namespace llmsizer {

namespace {

constexpr const char* kEngines[] = {"generic", "vllm", "sglang", "transformers", "llama.cpp"};

std::string engine_key(const std::string& engine) {
  for (const char* e : kEngines) {
    if (engine == e) return e;
  }
  return "generic";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Error table_error(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::kInvalidValue, "accuracy.json " + where + ": " + what, where);
}

using Json = JsonValue;

double num(const Json& j, const char* key, double fallback) {
  const Json* m = json_member(j, key);
  return m && m->is_number() ? m->get<double>() : fallback;
}

std::string str(const Json& j, const char* key) {
  const Json* m = json_member(j, key);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

bool flag(const Json& j, const char* key) {
  const Json* m = json_member(j, key);
  return m && m->is_boolean() && m->get<bool>();
}

/// The member `key`, or a null value when absent (never operator[] on a const value: json/json.h).
const Json& member_or_null(const Json& j, const char* key) {
  static const Json kNull;
  const Json* m = json_member(j, key);
  return m ? *m : kNull;
}

/// rules.<name>.{memory,time} into out[0], out[1]; each a factor >= 1.
bool read_pair(const Json& rules, const char* name, double out[2]) {
  const Json* p = json_member(rules, name);
  if (!p || !p->is_object()) return false;
  out[0] = num(*p, "memory", 0);
  out[1] = num(*p, "time", 0);
  return out[0] >= 1 && out[1] >= 1 && std::isfinite(out[0]) && std::isfinite(out[1]);
}

Result<BandRules> parse_rules(const Json& j) {
  BandRules r;
  if (!j.is_object()) return table_error("/rules", "missing or not an object");
  r.min_cases = static_cast<int64_t>(num(j, "min_cases", 0));
  if (r.min_cases < 1) return table_error("/rules/min_cases", "must be a whole number >= 1");
  if (!read_pair(j, "default_factor", r.default_factor)) {
    return table_error("/rules/default_factor", "needs memory and time factors >= 1");
  }
  if (!read_pair(j, "min_factor", r.min_factor)) {
    return table_error("/rules/min_factor", "needs memory and time factors >= 1");
  }
  const Json& steps = member_or_null(j, "step_factor");
  if (!read_pair(steps, "gpu", r.gpu_step) || !read_pair(steps, "version", r.version_step) ||
      !read_pair(steps, "host", r.host_step)) {
    return table_error("/rules/step_factor", "needs gpu, version and host, each with memory and time factors >= 1");
  }
  return r;
}

Result<BandCell> parse_cell(const Json& c, const std::string& where) {
  if (!c.is_object()) return table_error(where, "not an object");
  BandCell cell;
  cell.architecture = lower(str(c, "architecture"));
  cell.engine_version = str(c, "engine_version");
  cell.n = static_cast<int64_t>(num(c, "n", -1));
  cell.enough = flag(c, "enough");
  cell.host_bound = flag(c, "host_bound");
  cell.p5 = num(c, "p5", NAN);
  cell.p50 = num(c, "p50", NAN);
  cell.p95 = num(c, "p95", NAN);
  cell.min = num(c, "min", NAN);
  cell.max = num(c, "max", NAN);
  cell.lo = num(c, "lo", NAN);
  cell.hi = num(c, "hi", NAN);
  if (cell.architecture.empty() || cell.engine_version.empty()) {
    return table_error(where, "needs architecture and engine_version (\"any\" where the axis does not apply)");
  }
  // error = estimate / measured - 1 > -1 for any positive pair; ordered lo <= min <= p5 <= p50 <= p95 <= max <= hi.
  if (!(cell.lo > -1 && cell.lo <= cell.min && cell.min <= cell.p5 && cell.p5 <= cell.p50 &&
        cell.p50 <= cell.p95 && cell.p95 <= cell.max && cell.max <= cell.hi && std::isfinite(cell.hi))) {
    return table_error(where, "bounds must be finite, > -1 and ordered lo <= min <= p5 <= p50 <= p95 <= max <= hi");
  }
  const Json& cases = member_or_null(c, "cases");
  if (!cases.is_array()) return table_error(where + "/cases", "must be an array of case ids");
  for (const Json& id : cases) {
    if (!id.is_string()) return table_error(where + "/cases", "case ids are strings");
    cell.cases.push_back(id.get<std::string>());
  }
  if (cell.n < 1 || static_cast<size_t>(cell.n) != cell.cases.size()) {
    return table_error(where + "/n", "must equal the number of case ids (>= 1)");
  }
  return cell;
}

Result<BandFamilyTable> parse_family(const std::string& key, const Json& f) {
  const std::string where = "/families/" + key;
  if (!f.is_object()) return table_error(where, "not an object");
  BandFamilyTable fam;
  fam.key = key;
  const std::string kind = str(f, "kind");
  if (kind != "memory" && kind != "time") return table_error(where + "/kind", "must be \"memory\" or \"time\"");
  fam.time = kind == "time";
  if (fam.time != band_family_is_time(key)) return table_error(where + "/kind", "does not match the family");
  const Json& axes = member_or_null(f, "axes");
  if (!axes.is_null() && !axes.is_array()) return table_error(where + "/axes", "must be an array");
  for (const Json& a : axes) {
    const std::string axis = a.is_string() ? a.get<std::string>() : std::string();
    if (axis == "gpu") {
      fam.gpu_axis = true;
    } else if (axis == "version") {
      fam.version_axis = true;
    } else {
      return table_error(where + "/axes", "axes are \"gpu\" and \"version\"");
    }
  }
  const Json& cells = member_or_null(f, "cells");
  if (!cells.is_array()) return table_error(where + "/cells", "must be an array");
  for (size_t i = 0; i < cells.size(); ++i) {
    auto cell = parse_cell(cells[i], where + "/cells/" + std::to_string(i));
    if (!cell.ok()) return cell.error();
    fam.cells.push_back(std::move(cell).value());
  }
  return fam;
}

// ---- the band arithmetic: [lo, hi] bounds measured / estimate ---------------------------------------------------
/// [lo, hi] bounds the ratio measured / estimate (lo <= 1 <= hi). Worked as ratios, not logarithms: the same
/// arithmetic (a step multiplies, a hull takes the extremes) without pulling log/exp into the page's module.
struct LogBand {
  double lo = 1;  ///< <= 1
  double hi = 1;  ///< >= 1
};

LogBand hull(LogBand a, LogBand b) { return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)}; }

/// x/÷ factor around the estimate.
LogBand around(double factor) { return {1.0 / factor, factor}; }

/// One step outside an envelope: the low end divided, the high end multiplied by the step's factor.
LogBand widen(LogBand b, double factor) { return {b.lo / factor, b.hi * factor}; }

/// A cell's own band, before any step: its prediction bounds (where a case not among its own is expected, 90 %:
/// scripts/accuracy.py prediction_bounds), or, with too few cases, its range and at least the default factor;
/// always containing the estimate and never narrower than the floor.
LogBand cell_band(const BandCell& c, const BandRules& r, int kind) {
  // measured / estimate = 1 / (1 + error): the largest error gives the low end.
  LogBand b = c.enough ? LogBand{1.0 / (1.0 + c.hi), 1.0 / (1.0 + c.lo)} : LogBand{1.0 / (1.0 + c.max), 1.0 / (1.0 + c.min)};
  b = hull(b, LogBand{1, 1});
  if (!c.enough) b = hull(b, around(r.default_factor[kind]));
  return hull(b, around(r.min_factor[kind]));
}

struct Candidate {
  LogBand band;
  int gpu = 0, version = 0, host = 0;
  const BandCell* cell = nullptr;
  int steps() const { return gpu + version + host; }
};

Candidate candidate(const BandFamilyTable& f, const BandCell& c, const BandEnvelope& env, const BandRules& r) {
  const int kind = f.time ? 1 : 0;
  Candidate k;
  k.cell = &c;
  k.gpu = f.gpu_axis && c.architecture != "any" && c.architecture != lower(env.architecture) ? 1 : 0;
  k.version = f.version_axis && c.engine_version != "any" &&
                      c.engine_version != engine_minor_version(env.engine_version) ? 1 : 0;
  k.host = f.time && env.host_bound && !c.host_bound ? 1 : 0;
  k.band = cell_band(c, r, kind);
  if (k.gpu) k.band = widen(k.band, r.gpu_step[kind]);
  if (k.version) k.band = widen(k.band, r.version_step[kind]);
  if (k.host) k.band = widen(k.band, r.host_step[kind]);
  return k;
}

}  // namespace

std::string band_family(BandFigure figure, const std::string& engine, const std::string& attention) {
  const std::string e = engine_key(engine);
  switch (figure) {
    case BandFigure::kWeights: return "weights";
    case BandFigure::kKvTokens: return "kv_tokens/" + e;
    case BandFigure::kConcurrency: return "concurrency/" + e;
    case BandFigure::kActivations: return "activations/" + e;
    case BandFigure::kPeak: return "peak/" + e + (attention == "eager" ? "/eager" : "/sdpa");
    case BandFigure::kPrefill: return "prefill/" + e;
    case BandFigure::kDecode: return "decode/" + e;
    case BandFigure::kTrainingPeak: return "training_peak";
    case BandFigure::kTrainingStep: return "training_step";
  }
  return "weights";
}

std::vector<std::string> band_families() {
  std::vector<std::string> out = {"weights", "training_peak", "training_step"};
  for (const char* e : kEngines) {
    for (BandFigure f : {BandFigure::kKvTokens, BandFigure::kConcurrency, BandFigure::kActivations,
                         BandFigure::kPrefill, BandFigure::kDecode}) {
      out.push_back(band_family(f, e));
    }
    out.push_back(band_family(BandFigure::kPeak, e, "sdpa"));
    out.push_back(band_family(BandFigure::kPeak, e, "eager"));
  }
  return out;
}

bool band_family_is_time(const std::string& family) {
  return family.rfind("prefill/", 0) == 0 || family.rfind("decode/", 0) == 0 || family == "training_step";
}

const BandFamilyTable* AccuracyTable::find(const std::string& key) const {
  for (const BandFamilyTable& f : families) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

Result<AccuracyTable> parse_accuracy_table(const std::string& text) {
  auto parsed = parse_json(text, "accuracy.json");
  if (!parsed.ok()) return parsed.error();
  const Json& j = *parsed.value();
  if (!j.is_object()) return make_error(ErrorCode::kNotAnObject, "accuracy.json must be an object");
  AccuracyTable t;
  auto rules = parse_rules(member_or_null(j, "rules"));
  if (!rules.ok()) return rules.error();
  t.rules = rules.value();
  const Json& fams = member_or_null(j, "families");
  if (!fams.is_object()) return table_error("/families", "missing or not an object");
  for (auto it = fams.begin(); it != fams.end(); ++it) {
    auto f = parse_family(it.key(), it.value());
    if (!f.ok()) return f.error();
    t.families.push_back(std::move(f).value());
  }
  return t;
}

// builtin_accuracy_table(): generated from presets/accuracy.json by cmake/embed_presets.py.

std::string engine_minor_version(const std::string& version) {
  for (size_t i = 0; i < version.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(version[i]))) continue;
    size_t j = i;
    while (j < version.size() && std::isdigit(static_cast<unsigned char>(version[j]))) ++j;
    if (j + 1 < version.size() && version[j] == '.' && std::isdigit(static_cast<unsigned char>(version[j + 1]))) {
      size_t k = j + 1;
      while (k < version.size() && std::isdigit(static_cast<unsigned char>(version[k]))) ++k;
      return version.substr(i, k - i);
    }
    i = j;
  }
  return "";
}

Band make_band(const AccuracyTable& table, const std::string& family, double value, const BandEnvelope& envelope,
               bool integral) {
  Band b;
  b.value = b.lo = b.hi = value;
  b.exact = envelope.exact;
  if (envelope.exact || !(value > 0) || !std::isfinite(value)) return b;
  const BandRules& r = table.rules;
  const bool time = band_family_is_time(family);
  const int kind = time ? 1 : 0;
  LogBand lb = around(r.default_factor[kind]);
  const BandFamilyTable* f = table.find(family);
  if (f && !f->cells.empty()) {
    // The cells nearest the case (fewest steps); several at the same distance: their hull.
    std::vector<Candidate> all;
    for (const BandCell& c : f->cells) all.push_back(candidate(*f, c, envelope, r));
    int best = 1 << 20;
    for (const Candidate& c : all) best = std::min(best, c.steps());
    bool first = true;
    for (const Candidate& c : all) {
      if (c.steps() != best) continue;
      lb = first ? c.band : hull(lb, c.band);
      first = false;
      b.gpu_steps = std::max(b.gpu_steps, c.gpu);
      b.version_steps = std::max(b.version_steps, c.version);
      b.host_steps = std::max(b.host_steps, c.host);
      b.measured = b.measured || c.cell->enough;
      b.n += c.cell->n;
      b.cases.insert(b.cases.end(), c.cell->cases.begin(), c.cell->cases.end());
    }
    b.inside_envelope = b.measured && best == 0;
  } else if (time && envelope.host_bound) {
    // No measurement at all: the default factor already stands for "not measured"; a host-bound regime is
    // still its own step (the launch cost of an unknown host).
    lb = widen(lb, r.host_step[kind]);
    b.host_steps = 1;
  }
  b.lo = value * lb.lo;
  b.hi = value * lb.hi;
  if (integral) {
    b.lo = std::floor(b.lo);
    b.hi = std::ceil(b.hi);
  }
  // Never inverted, always around the estimate (exp of <= 0 / >= 0 already is; rounding must not undo it).
  b.lo = std::min(b.lo, value);
  b.hi = std::max(b.hi, value);
  return b;
}

const char* fit_verdict_name(FitVerdict v) {
  switch (v) {
    case FitVerdict::kFits: return "fits";
    case FitVerdict::kMayNotFit: return "may not fit";
    case FitVerdict::kDoesNotFit: return "does not fit";
  }
  return "does not fit";
}

FitVerdict verdict_need(const Band& need, double capacity) {
  if (need.hi <= capacity) return FitVerdict::kFits;
  if (need.value <= capacity) return FitVerdict::kMayNotFit;
  return FitVerdict::kDoesNotFit;
}

FitVerdict verdict_supply(const Band& supply, double demand) {
  if (demand <= supply.lo) return FitVerdict::kFits;
  if (demand <= supply.value) return FitVerdict::kMayNotFit;
  return FitVerdict::kDoesNotFit;
}

}  // namespace llmsizer
