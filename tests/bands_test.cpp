// "How sure": the accuracy table (presets/accuracy.json) and the bands built from it (core/src/bands).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "bands/bands.h"
#include "llmsizer/api.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using nlohmann::json;

const std::string kPresetsDir = LLMSIZER_PRESETS_DIR;
const std::string kReferenceDir = std::string(LLMSIZER_SOURCE_DIR) + "/tests/reference";

// A small table with hand-picked numbers. Rules as the real table's: defaults x/÷ 1.10 (memory) and 1.35 (time),
// floors 1.02 / 1.10; a step divides the low end and multiplies the high end by gpu 1.2 (time), version 1.05
// (memory) / 1.2 (time), host 2.0 (time).
const char* kSmallTable = R"({
  "rules": {"min_cases": 5, "default_factor": {"memory": 1.10, "time": 1.35},
            "min_factor": {"memory": 1.02, "time": 1.10},
            "step_factor": {"gpu": {"memory": 1.0, "time": 1.2}, "version": {"memory": 1.05, "time": 1.2},
                            "host": {"memory": 1.0, "time": 2.0}}},
  "families": {
    "kv_tokens/vllm": {"kind": "memory", "axes": ["version"], "cells": [
      {"architecture": "any", "engine_version": "0.19", "n": 5, "enough": true, "host_bound": false,
       "p5": -0.04, "p50": 0.0, "p95": 0.10, "min": -0.045, "max": 0.10, "lo": -0.05, "hi": 0.10,
       "cases": ["a", "b", "c", "d", "e"]}]},
    "weights": {"kind": "memory", "axes": [], "cells": [
      {"architecture": "any", "engine_version": "any", "n": 5, "enough": true, "host_bound": false,
       "p5": -0.001, "p50": 0.0, "p95": 0.001, "min": -0.001, "max": 0.001, "lo": -0.001, "hi": 0.001,
       "cases": ["a", "b", "c", "d", "e"]}]},
    "decode/vllm": {"kind": "time", "axes": ["gpu", "version"], "cells": [
      {"architecture": "ampere", "engine_version": "0.6", "n": 5, "enough": true, "host_bound": false,
       "p5": -0.15, "p50": 0.0, "p95": 0.08, "min": -0.18, "max": 0.09, "lo": -0.20, "hi": 0.10,
       "cases": ["f", "g", "h", "i", "j"]},
      {"architecture": "hopper", "engine_version": "0.19", "n": 2, "enough": false, "host_bound": false,
       "p5": -0.5, "p50": -0.4, "p95": -0.3, "min": -0.5, "max": -0.3, "lo": -0.5, "hi": -0.3, "cases": ["k", "l"]}]}
  }
})";

AccuracyTable small_table() {
  auto t = parse_accuracy_table(kSmallTable);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? t.value() : AccuracyTable{};
}

BandEnvelope env(const std::string& arch, const std::string& version, bool host_bound = false) {
  BandEnvelope e;
  e.architecture = arch;
  e.engine_version = version;
  e.host_bound = host_bound;
  return e;
}

// ---- hand-computed bands --------------------------------------------------------------------------------

TEST(Bands, InsideTheEnvelopeUsesTheCellsPredictionBounds) {
  // measured = estimate / (1 + error), error in [lo, hi] = [-5 %, +10 %] (not its 5th..95th percentiles, which
  // describe its own cases): 1000 / 1.10 = 909.09 -> 909 (floored), 1000 / 0.95 = 1052.63 -> 1053.
  const Band b = make_band(small_table(), "kv_tokens/vllm", 1000, env("hopper", "0.19.1"), true);
  EXPECT_EQ(b.lo, 909);
  EXPECT_EQ(b.hi, 1053);
  EXPECT_EQ(b.value, 1000);
  EXPECT_TRUE(b.measured);
  EXPECT_TRUE(b.inside_envelope);
  EXPECT_EQ(b.n, 5);
  EXPECT_EQ(b.cases.size(), 5u);
}

TEST(Bands, AnUnmeasuredVersionWidensByOneStep) {
  // low 1000 / (1.10 x 1.05) = 1000 / 1.155 = 865.80 -> 865; high 1000 x 1.05 / 0.95 = 1105.26 -> 1106.
  const Band b = make_band(small_table(), "kv_tokens/vllm", 1000, env("hopper", "0.10.2"), true);
  EXPECT_EQ(b.lo, 865);
  EXPECT_EQ(b.hi, 1106);
  EXPECT_EQ(b.version_steps, 1);
  EXPECT_FALSE(b.inside_envelope);
}

TEST(Bands, TheFloorKeepsATightCellFromClaimingTooMuch) {
  // The weights cell is within +-0.1 %; the memory floor is x/÷ 1.02: 1e9 / 1.02 = 980,392,156.9 -> 980,392,156;
  // 1e9 x 1.02 = 1,020,000,000.
  const Band b = make_band(small_table(), "weights", 1e9, env("", ""), true);
  EXPECT_EQ(b.lo, 980392156);
  EXPECT_EQ(b.hi, 1020000000);
  EXPECT_TRUE(b.inside_envelope);  // weights depend on neither axis
}

TEST(Bands, TimeCellOnItsOwnGpuAndVersion) {
  // 10 ms: 0.010 / 1.10 = 9.0909 ms, 0.010 / 0.80 = 12.5 ms.
  const Band b = make_band(small_table(), "decode/vllm", 0.010, env("ampere", "0.6.3"), false);
  EXPECT_NEAR(b.lo, 0.010 / 1.10, 1e-15);
  EXPECT_NEAR(b.hi, 0.0125, 1e-15);
  EXPECT_TRUE(b.inside_envelope);
}

TEST(Bands, ACellWithTooFewCasesGivesItsRangeAndAtLeastTheDefault) {
  // hopper/0.19 has 2 cases, errors -50 % .. -30 %: high 0.010 / 0.5 = 20 ms; low: its range does not reach
  // below the estimate, so the default x/÷ 1.35: 0.010 / 1.35 = 7.4074 ms.
  const Band b = make_band(small_table(), "decode/vllm", 0.010, env("hopper", "0.19"), false);
  EXPECT_NEAR(b.lo, 0.010 / 1.35, 1e-15);
  EXPECT_NEAR(b.hi, 0.020, 1e-15);
  EXPECT_FALSE(b.measured);
  EXPECT_FALSE(b.inside_envelope);
}

TEST(Bands, EquallyNearCellsGiveTheirHull) {
  // hopper + vLLM 0.6: one step from ampere/0.6 (gpu) and one from hopper/0.19 (version).
  //  ampere, gpu step: low / (1.10 x 1.2) = / 1.32, high x 1.25 x 1.2 = x 1.5;
  //  hopper (2 cases: default x/÷ 1.35, high its range x 2), version step: low / (1.35 x 1.2) = / 1.62, high x 2.4.
  //  Hull: 0.010 / 1.62 = 6.1728 ms .. 0.010 x 2.4 = 24 ms.
  const Band b = make_band(small_table(), "decode/vllm", 0.010, env("hopper", "0.6"), false);
  EXPECT_NEAR(b.lo, 0.010 / 1.62, 1e-15);
  EXPECT_NEAR(b.hi, 0.024, 1e-15);
  EXPECT_EQ(b.gpu_steps, 1);
  EXPECT_EQ(b.version_steps, 1);
  EXPECT_EQ(b.n, 7);
}

TEST(Bands, AHostBoundCaseWidensACellMeasuredWithCudaGraphs) {
  // ampere/0.6, host step (factor 2): low 0.010 / (1.10 x 2) = 4.5455 ms; high 0.010 / 0.8 x 2 = 25 ms.
  const Band b = make_band(small_table(), "decode/vllm", 0.010, env("ampere", "0.6", true), false);
  EXPECT_NEAR(b.lo, 0.010 / 2.2, 1e-15);
  EXPECT_NEAR(b.hi, 0.025, 1e-15);
  EXPECT_EQ(b.host_steps, 1);
}

TEST(Bands, AFamilyWithoutCellsGetsTheDefaultFactor) {
  // x/÷ 1.35 (time): 0.010 / 1.35 = 7.4074 ms .. 13.5 ms; host-bound: one host step more,
  // x/÷ 1.35 x 2 = 2.7: 3.7037 ms .. 27 ms.
  const Band b = make_band(small_table(), "prefill/sglang", 0.010, env("hopper", "0.5"), false);
  EXPECT_NEAR(b.lo, 0.010 / 1.35, 1e-15);
  EXPECT_NEAR(b.hi, 0.0135, 1e-15);
  EXPECT_FALSE(b.measured);
  const Band h = make_band(small_table(), "prefill/sglang", 0.010, env("hopper", "0.5", true), false);
  EXPECT_NEAR(h.lo, 0.010 / 2.7, 1e-15);
  EXPECT_NEAR(h.hi, 0.027, 1e-15);
}

TEST(Bands, ExactFiguresHaveZeroWidth) {
  BandEnvelope e = env("hopper", "0.19");
  e.exact = true;
  const Band b = make_band(small_table(), "weights", 15231233024, e, true);
  EXPECT_EQ(b.lo, 15231233024.0);
  EXPECT_EQ(b.hi, 15231233024.0);
  EXPECT_TRUE(b.exact);
}

TEST(Bands, NonPositiveValuesStayPut) {
  const Band b = make_band(small_table(), "kv_tokens/vllm", 0, env("hopper", "0.19"), true);
  EXPECT_EQ(b.lo, 0);
  EXPECT_EQ(b.hi, 0);
  const Band n = make_band(small_table(), "kv_tokens/vllm", NAN, env("hopper", "0.19"), true);
  EXPECT_TRUE(std::isnan(n.lo) && std::isnan(n.hi));  // nothing invented for a missing figure
}

TEST(Bands, EngineMinorVersion) {
  EXPECT_EQ(engine_minor_version("0.19.0 (V1 engine)"), "0.19");
  EXPECT_EQ(engine_minor_version("v0.6.3.post1"), "0.6");
  EXPECT_EQ(engine_minor_version("4.46"), "4.46");
  EXPECT_EQ(engine_minor_version("5"), "");
  EXPECT_EQ(engine_minor_version(""), "");
}

TEST(Bands, Verdicts) {
  Band need;
  need.lo = 70;
  need.value = 75;
  need.hi = 82;
  EXPECT_EQ(verdict_need(need, 80), FitVerdict::kMayNotFit);  // the estimate fits, the high end does not
  EXPECT_EQ(verdict_need(need, 82), FitVerdict::kFits);
  EXPECT_EQ(verdict_need(need, 74.9), FitVerdict::kDoesNotFit);
  EXPECT_STREQ(fit_verdict_name(FitVerdict::kMayNotFit), "may not fit");
  Band supply;  // e.g. max concurrency 96-108, estimate 100
  supply.lo = 96;
  supply.value = 100;
  supply.hi = 108;
  EXPECT_EQ(verdict_supply(supply, 96), FitVerdict::kFits);
  EXPECT_EQ(verdict_supply(supply, 100), FitVerdict::kMayNotFit);
  EXPECT_EQ(verdict_supply(supply, 101), FitVerdict::kDoesNotFit);
}

TEST(Bands, MalformedTablesAreErrorsThatSayWhere) {
  auto bad = [](const std::string& text) {
    auto t = parse_accuracy_table(text);
    return t.ok() ? std::string() : t.error().message;
  };
  std::string t = kSmallTable;
  EXPECT_NE(bad(t.replace(t.find("\"p95\": 0.10"), 11, "\"p95\": -0.10")).find("kv_tokens/vllm/cells/0"),
            std::string::npos);
  t = kSmallTable;
  EXPECT_NE(bad(t.replace(t.find("\"n\": 2"), 6, "\"n\": 3")).find("/n"), std::string::npos);
  t = kSmallTable;
  EXPECT_NE(bad(t.replace(t.find("\"time\": 2.0"), 11, "\"time\": 0.5")).find("step_factor"),
            std::string::npos);
  t = kSmallTable;
  EXPECT_NE(bad(t.replace(t.find("\"kind\": \"time\""), 14, "\"kind\": \"memory\"")).find("kind"),
            std::string::npos);
  EXPECT_NE(bad("[1]").find("object"), std::string::npos);
  EXPECT_NE(bad("{").find("accuracy.json"), std::string::npos);
}

// ---- the embedded table ---------------------------------------------------------------------------------

TEST(AccuracyTable, TheCommittedFileParsesAndIsTheEmbeddedOne) {
  auto t = parse_accuracy_table(test::read_text(kPresetsDir + "/accuracy.json"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  const AccuracyTable& builtin = builtin_accuracy_table();
  ASSERT_EQ(builtin.families.size(), t.value().families.size());
  const AccuracyTable& file = t.value();
  EXPECT_EQ(builtin.rules.min_cases, file.rules.min_cases);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(builtin.rules.default_factor[k], file.rules.default_factor[k]);
    EXPECT_EQ(builtin.rules.min_factor[k], file.rules.min_factor[k]);
    EXPECT_EQ(builtin.rules.gpu_step[k], file.rules.gpu_step[k]);
    EXPECT_EQ(builtin.rules.version_step[k], file.rules.version_step[k]);
    EXPECT_EQ(builtin.rules.host_step[k], file.rules.host_step[k]);
  }
  for (size_t i = 0; i < builtin.families.size(); ++i) {
    const BandFamilyTable& a = builtin.families[i];
    const BandFamilyTable& b = file.families[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.gpu_axis, b.gpu_axis);
    EXPECT_EQ(a.version_axis, b.version_axis);
    ASSERT_EQ(a.cells.size(), b.cells.size()) << a.key;
    for (size_t j = 0; j < a.cells.size(); ++j) {
      const BandCell& x = a.cells[j];
      const BandCell& y = b.cells[j];
      EXPECT_EQ(x.architecture, y.architecture);
      EXPECT_EQ(x.engine_version, y.engine_version);
      EXPECT_EQ(x.n, y.n);
      EXPECT_EQ(x.enough, y.enough);
      EXPECT_EQ(x.host_bound, y.host_bound);
      EXPECT_EQ(x.p5, y.p5);
      EXPECT_EQ(x.p50, y.p50);
      EXPECT_EQ(x.p95, y.p95);
      EXPECT_EQ(x.min, y.min);
      EXPECT_EQ(x.max, y.max);
      EXPECT_EQ(x.lo, y.lo);
      EXPECT_EQ(x.hi, y.hi);
    }
  }
}

TEST(AccuracyTable, HasEveryFamilyTheCoreAsksForAndNoOther) {
  const AccuracyTable& t = builtin_accuracy_table();
  const std::vector<std::string> keys = band_families();
  for (const std::string& k : keys) EXPECT_NE(t.find(k), nullptr) << "accuracy.json lacks " << k;
  for (const BandFamilyTable& f : t.families) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), f.key), keys.end()) << f.key << " is not a family the core asks for";
  }
  // The measured heart of the table (public cases): these must hold cells with enough cases.
  for (const char* k : {"weights", "kv_tokens/vllm", "concurrency/vllm", "peak/transformers/sdpa",
                        "decode/vllm", "decode/transformers", "training_peak", "training_step"}) {
    const BandFamilyTable* f = t.find(k);
    ASSERT_NE(f, nullptr) << k;
    EXPECT_TRUE(std::any_of(f->cells.begin(), f->cells.end(), [](const BandCell& c) { return c.enough; })) << k;
  }
}

TEST(AccuracyTable, BandsNeverInvert) {
  const AccuracyTable& t = builtin_accuracy_table();
  for (const std::string& fam : band_families()) {
    for (const char* arch : {"", "ampere", "hopper", "blackwell"}) {
      for (const char* ver : {"", "0.6.3", "0.19", "4.46", "5.17"}) {
        for (bool host : {false, true}) {
          for (double v : {1.0, 0.0123, 12345.0, 1.5e10}) {
            const Band b = make_band(t, fam, v, env(arch, ver, host), v > 1);
            EXPECT_LE(b.lo, b.value) << fam << " " << arch << " " << ver;
            EXPECT_GE(b.hi, b.value) << fam << " " << arch << " " << ver;
            EXPECT_GT(b.lo, 0) << fam;
          }
        }
      }
    }
  }
}

double width(const Band& b) { return std::log(b.hi / b.lo); }

TEST(AccuracyTable, OutOfEnvelopeIsWiderThanInEnvelope) {
  const AccuracyTable& t = builtin_accuracy_table();
  // vLLM KV tokens: measured on 0.19; 0.8 is an unmeasured version.
  const Band kv_in = make_band(t, "kv_tokens/vllm", 476000, env("hopper", "0.19"), true);
  const Band kv_out = make_band(t, "kv_tokens/vllm", 476000, env("hopper", "0.8.5"), true);
  EXPECT_TRUE(kv_in.inside_envelope);
  EXPECT_FALSE(kv_out.inside_envelope);
  EXPECT_GT(width(kv_out), width(kv_in));
  // vLLM decode: measured on Ampere (A100) with 0.6; a Blackwell GPU is another architecture.
  const Band d_in = make_band(t, "decode/vllm", 0.0119, env("ampere", "0.6.3"), false);
  const Band d_out = make_band(t, "decode/vllm", 0.0119, env("blackwell", "0.6.3"), false);
  const Band d_eager = make_band(t, "decode/vllm", 0.0119, env("ampere", "0.6.3", true), false);
  EXPECT_TRUE(d_in.inside_envelope);
  EXPECT_GT(width(d_out), width(d_in));
  EXPECT_GT(width(d_eager), width(d_in));
  // transformers decode measured host-bound (H200, 5.17): a host-bound case there takes no extra step.
  const Band h = make_band(t, "decode/transformers", 0.024, env("hopper", "5.17", true), false);
  EXPECT_TRUE(h.inside_envelope);
  EXPECT_EQ(h.host_steps, 0);
}

// ---- coverage: the bands contain the public measured values -------------------------------------------------

double figure(const json& out, const std::string& how, const json& request) {
  auto at = [&](std::initializer_list<const char*> path) -> double {
    const json* j = &out;
    for (const char* k : path) {
      if (j->is_array()) {
        const size_t i = std::stoul(k);
        if (i >= j->size()) return NAN;
        j = &(*j)[i];
      } else {
        if (!j->contains(k)) return NAN;
        j = &(*j)[k];
      }
    }
    return j->is_number() ? j->get<double>() : NAN;
  };
  if (how == "peak") {
    return at({"memory", "weights_bytes"}) + at({"memory", "kv_cache_bytes"}) + at({"memory", "activations_bytes"});
  }
  if (how == "training_peak") {
    const double other = at({"training", "other_bytes"});
    return at({"training", "total_bytes"}) - (std::isnan(other) ? 0 : other);
  }
  if (how == "seconds_per_output_token") {
    const double n = request.at("output_tokens").get<double>();
    return (at({"speed", "ttft_seconds"}) + n * at({"speed", "tpot_seconds"})) / n;
  }
  if (how == "memory.weights_bytes") return at({"memory", "weights_bytes"});
  if (how == "memory.per_gpu.0.activations_bytes") return at({"memory", "per_gpu", "0", "activations_bytes"});
  if (how == "serving.kv_cache_tokens") return at({"serving", "kv_cache_tokens"});
  if (how == "serving.max_concurrency") return at({"serving", "max_concurrency"});
  if (how == "speed.prefill_seconds") return at({"speed", "prefill_seconds"});
  if (how == "speed.tpot_seconds") return at({"speed", "tpot_seconds"});
  if (how == "training.speed.seconds_per_step") return at({"training", "speed", "seconds_per_step"});
  ADD_FAILURE() << "unknown extract " << how;
  return NAN;
}

bool integral_family(const std::string& family) {
  return !band_family_is_time(family) && family.rfind("concurrency/", 0) != 0;
}

// Source of the cases: tests/reference/SOURCES.md (the public measured rows of ../shared/reference, written as
// requests by scripts/accuracy.py). Each case is re-estimated by the current core and its band taken from the
// embedded table, so a model change that moves numbers without regenerating the table shows up here.
TEST(AccuracyCoverage, BandsContainThePublicMeasuredValues) {
  const json file = json::parse(test::read_text(kReferenceDir + "/accuracy_cases.json"));
  const AccuracyTable& t = builtin_accuracy_table();
  std::map<std::string, std::pair<int, int>> tally;  // family -> (inside, cases)
  std::map<std::string, std::string> misses;          // family -> the cases outside their band
  std::map<std::string, std::vector<std::string>> table_cases;  // the case ids stay in the file (not built in)
  const auto committed = parse_accuracy_table(test::read_text(kPresetsDir + "/accuracy.json"));
  ASSERT_TRUE(committed.ok());
  for (const BandFamilyTable& f : committed.value().families) {
    for (const BandCell& c : f.cells) table_cases[f.key].insert(table_cases[f.key].end(), c.cases.begin(), c.cases.end());
  }
  for (const json& c : file.at("cases")) {
    json request = c.at("request");
    request["config"] = file.at("configs").at(c.at("config").get<std::string>());
    const json out = json::parse(handle_request(request.dump()));
    const std::string family = c.at("family").get<std::string>();
    const std::string id = c.at("id").get<std::string>();
    ASSERT_TRUE(out.value("ok", false)) << id << ": " << out.dump().substr(0, 300);
    const double est = figure(out, c.at("extract").get<std::string>(), request);
    const double measured = c.at("measured").get<double>();
    ASSERT_TRUE(est > 0) << id << " " << family;
    const Band b = make_band(t, family, est, env(c.at("architecture").get<std::string>(),
                                                  c.at("engine_version").get<std::string>()), integral_family(family));
    const bool inside = b.lo <= measured && measured <= b.hi;
    auto& [in, n] = tally[family];
    in += inside ? 1 : 0;
    n += 1;
    const auto& ids = table_cases[family];
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end())
        << id << " (" << family << ") is not in presets/accuracy.json: regenerate with python3 scripts/accuracy.py";
    if (!inside) {
      misses[family] += "\n  " + id + ": measured " + std::to_string(measured) + ", band [" + std::to_string(b.lo) +
                        ", " + std::to_string(b.hi) + "] around " + std::to_string(est);
    }
  }
  EXPECT_GE(tally.size(), 9u);
  for (const auto& [family, t2] : tally) {
    const double coverage = static_cast<double>(t2.first) / t2.second;
    EXPECT_GE(coverage, 0.90) << family << ": " << t2.first << " of " << t2.second
                              << " measured values inside their band (regenerate: python3 scripts/accuracy.py)"
                              << misses[family];
  }
}


// ---- the response: bands, how_sure, the verdict on the band (api/how_sure.cpp) ----------------------------

json respond(const json& request) { return json::parse(handle_request(request.dump())); }

/// The figure a band's dotted path names ("speed.tpot_seconds" -> response["speed"]["tpot_seconds"]).
double at_path(const json& r, const std::string& path) {
  const json* j = &r;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string k = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!j->is_object() || !j->contains(k)) return NAN;
    j = &(*j)[k];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return j->is_number() ? j->get<double>() : NAN;
}

// Every band of every committed golden response surrounds the figure it names: lo <= value <= hi (never
// inverted), and every band names a figure the response has.
TEST(ResponseBands, NeverInvertInAnyGoldenResponse) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LLMSIZER_SOURCE_DIR) + "/tests/golden")) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 14 || name.substr(name.size() - 14) != ".response.json") continue;
    const json r = json::parse(test::read_text(entry.path().string()));
    if (!r.value("ok", false)) continue;
    ASSERT_TRUE(r.contains("bands")) << name;
    ASSERT_TRUE(r.contains("how_sure")) << name;
    for (const auto& [path, b] : r["bands"].items()) {
      const double v = at_path(r, path);
      ASSERT_FALSE(std::isnan(v)) << name << ": band " << path << " names no figure";
      // Integral bands are rounded outward; the figure itself may be fractional (seconds) or integral.
      EXPECT_LE(b[0].get<double>(), v * (1 + 1e-12)) << name << " " << path;
      EXPECT_GE(b[1].get<double>(), v * (1 - 1e-12)) << name << " " << path;
      ++checked;
    }
  }
  EXPECT_GE(checked, 300);  // ~70 ok responses x 8-11 bands
}

TEST(ResponseBands, EveryHeadlineFigureHasItsBand) {
  const json r = respond({{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"},
                          {"context", 8192}, {"batch", 16}});
  for (const char* k : {"memory.weights_bytes", "memory.kv_cache_bytes", "memory.activations_bytes", "memory.total_bytes",
                        "serving.kv_cache_tokens", "serving.max_concurrency", "speed.prefill_seconds",
                        "speed.ttft_seconds", "speed.tpot_seconds"}) {
    EXPECT_TRUE(r["bands"].contains(k)) << k;
    EXPECT_TRUE(r["how_sure"]["figures"].contains(k)) << k;
  }
  const json t = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h200-sxm"}, {"mode", "lora"}});
  EXPECT_TRUE(t["bands"].contains("training.total_bytes"));
  EXPECT_TRUE(t["bands"].contains("training.speed.seconds_per_step"));
  // vLLM 0.19 KV tokens are measured (26 start-up logs): the band is the cell's, at least the x/÷ 1.02 floor.
  const json& kv = r["bands"]["serving.kv_cache_tokens"];
  const double tokens = r["serving"]["kv_cache_tokens"].get<double>();
  EXPECT_EQ(kv[0].get<double>(), std::floor(tokens / 1.02));
  EXPECT_EQ(kv[1].get<double>(), std::ceil(tokens * 1.02));
  EXPECT_TRUE(r["how_sure"]["figures"]["serving.kv_cache_tokens"]["inside_envelope"].get<bool>());
  EXPECT_EQ(r["how_sure"]["figures"]["serving.kv_cache_tokens"]["measured_cases"].get<int>(), 26);
}

TEST(ResponseBands, ExactWeightsHaveZeroWidth) {
  // The Hub's safetensors counts in the checkpoint's own precision: bytes read, not estimated.
  const json r = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h100-sxm"},
                          {"safetensors", {{"BF16", 7615616512LL}}}});
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  const json& w = r["bands"]["memory.weights_bytes"];
  EXPECT_EQ(w[0], w[1]);
  EXPECT_EQ(w[0], r["memory"]["weights_bytes"]);
  EXPECT_TRUE(r["how_sure"]["figures"]["memory.weights_bytes"]["exact"].get<bool>());
  // Without them, the weights carry the measured band (x/÷ 1.02 floor).
  const json c = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h100-sxm"}});
  EXPECT_LT(c["bands"]["memory.weights_bytes"][0].get<double>(), c["memory"]["weights_bytes"].get<double>());
}

double rel_width(const json& r, const char* path) {
  const json& b = r["bands"][path];
  return std::log(b[1].get<double>() / b[0].get<double>());
}

TEST(ResponseBands, OutOfEnvelopeIsWiderThanInEnvelope) {
  // vLLM speed was measured on an A100 with vLLM 0.6 (GT0272-GT0295).
  const json in = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-a100-sxm4-80gb"}, {"engine", "vllm"},
                           {"vllm_version", "0.6.3"}, {"context", 4096}});
  const json gpu = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-b200"}, {"engine", "vllm"},
                            {"vllm_version", "0.6.3"}, {"context", 4096}});
  const json eager = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-a100-sxm4-80gb"}, {"engine", "vllm"},
                              {"vllm_version", "0.6.3"}, {"context", 4096}, {"enforce_eager", true}});
  ASSERT_TRUE(in.value("ok", false) && gpu.value("ok", false) && eager.value("ok", false)) << gpu.dump().substr(0, 300);
  EXPECT_TRUE(in["how_sure"]["figures"]["speed.tpot_seconds"]["inside_envelope"].get<bool>());
  EXPECT_FALSE(gpu["how_sure"]["figures"]["speed.tpot_seconds"]["inside_envelope"].get<bool>());
  EXPECT_TRUE(gpu["how_sure"]["figures"]["speed.tpot_seconds"]["other_gpu_family"].get<bool>());
  EXPECT_GT(rel_width(gpu, "speed.tpot_seconds"), rel_width(in, "speed.tpot_seconds"));
  EXPECT_TRUE(eager["how_sure"]["figures"]["speed.tpot_seconds"]["host_bound"].get<bool>());
  EXPECT_GT(rel_width(eager, "speed.tpot_seconds"), rel_width(in, "speed.tpot_seconds"));
  // KV tokens: 0.19 measured, 0.10 not (one version step, x/÷ 1.05 more).
  const json v19 = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"}});
  const json v10 = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"},
                            {"vllm_version", "0.10.2"}});
  EXPECT_GT(rel_width(v10, "serving.kv_cache_tokens"), rel_width(v19, "serving.kv_cache_tokens"));
}

TEST(ResponseBands, HostBoundDecodeCoversTheHostRange) {
  // transformers 5.17 on an H200, Qwen2.5-7B batch 1: 24 ms per step + 28 layers x 1.05 ms of host work against
  // ~4.5 ms of weight streaming (docs/host-bound.md): host-bound. The fast host (1 ms per step, 0.65 ms per
  // layer) and the slow one (x 1.1): 1 + 28 x 0.65 = 19.2 ms .. 1.1 x (24 + 28 x 1.05) = 58.74 ms (plus the
  // small KV traffic, < 0.5 ms).
  const json r = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-h200-sxm"}, {"engine", "transformers"},
                          {"transformers_version", "5.17"}, {"batch", 1}, {"input_tokens", 512}, {"output_tokens", 128}});
  ASSERT_TRUE(r.value("ok", false)) << r.dump().substr(0, 300);
  EXPECT_TRUE(r["speed"]["host_bound"].get<bool>());
  EXPECT_TRUE(r["how_sure"]["host_bound"].get<bool>());
  EXPECT_NEAR(r["speed"]["tpot_fast_host_seconds"].get<double>(), 0.0192, 0.0005);
  EXPECT_NEAR(r["speed"]["tpot_slow_host_seconds"].get<double>(), 0.05874, 0.0005);
  // Measured on that host (validation-gpu-public.jsonl, Qwen2.5-7B decode row): 18.26 tokens/s = 54.8 ms.
  const json& b = r["bands"]["speed.tpot_seconds"];
  EXPECT_LE(b[0].get<double>(), 0.0548);
  EXPECT_GE(b[1].get<double>(), 0.0548);
  // Inside the measured host-bound cell (H200, 5.17) its spread stands; a host-bound case outside any such cell
  // (vLLM --enforce-eager: decode/vllm was measured with CUDA graphs) covers at least the host range.
  const json e = respond({{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu", "nvidia-a100-sxm4-80gb"}, {"engine", "vllm"},
                          {"vllm_version", "0.6.3"}, {"context", 4096}, {"enforce_eager", true}, {"batch", 1}});
  ASSERT_TRUE(e.value("ok", false));
  if (e["speed"]["host_bound"].get<bool>()) {
    EXPECT_LE(e["bands"]["speed.tpot_seconds"][0].get<double>(), e["speed"]["tpot_fast_host_seconds"].get<double>());
    EXPECT_GE(e["bands"]["speed.tpot_seconds"][1].get<double>(), e["speed"]["tpot_slow_host_seconds"].get<double>());
  }
}

TEST(ResponseBands, TheVerdictTakesTheHighEnd) {
  // Generic engine, no reserve, a fixed 1 GiB overhead: usable = the GPU's memory. Find the band of the total,
  // then size the GPU between the estimate and the high end ("may not fit"), above it ("fits"), below ("does not").
  json req = {{"model", "Qwen/Qwen2.5-7B-Instruct"}, {"gpu_memory_gib", 200}, {"reserve", 0}, {"overhead_gib", 1},
              {"context", 8192}, {"batch", 4}};
  const json big = respond(req);
  ASSERT_TRUE(big.value("ok", false)) << big.dump().substr(0, 300);
  const double total = big["memory"]["total_bytes"].get<double>();
  const double hi = big["bands"]["memory.total_bytes"][1].get<double>();
  ASSERT_GT(hi, total * 1.01);
  EXPECT_EQ(big["serving"]["verdict"], "fits");
  req["gpu_memory_gib"] = (total + (hi - total) / 2) / 1073741824.0;
  const json mid = respond(req);
  EXPECT_EQ(mid["memory"]["total_bytes"].get<double>(), total);
  EXPECT_TRUE(mid["serving"]["fits"].get<bool>());
  EXPECT_EQ(mid["serving"]["verdict"], "may not fit");
  EXPECT_EQ(mid["how_sure"]["verdict"], "may not fit");
  // GPUs needed: 1 for the estimate; at the high end of the band one GPU no longer holds it, TP 2 does.
  EXPECT_EQ(mid["serving"]["gpus_needed"], 1);
  EXPECT_EQ(mid["how_sure"]["gpus_needed_at_high_end"], 2);
  EXPECT_EQ(big["how_sure"]["gpus_needed_at_high_end"], 1);
  req["gpu_memory_gib"] = total * 0.98 / 1073741824.0;
  EXPECT_EQ(respond(req)["serving"]["verdict"], "does not fit");
}

// The same coverage as AccuracyCoverage, through the response's own bands (the wiring, not only the arithmetic):
// every case whose figure the response bands directly.
TEST(AccuracyCoverage, ResponseBandsContainThePublicMeasuredValues) {
  const json file = json::parse(test::read_text(kReferenceDir + "/accuracy_cases.json"));
  std::map<std::string, std::pair<int, int>> tally;
  std::string misses;
  for (const json& c : file.at("cases")) {
    const std::string how = c.at("extract").get<std::string>();
    // Inference requests carry no attention implementation: the response bands transformers' peak with the
    // default's (sdpa) family; the two eager rows are checked by BandsContainThePublicMeasuredValues above.
    if (c.at("family").get<std::string>() == "peak/transformers/eager") continue;
    json request = c.at("request");
    request["config"] = file.at("configs").at(c.at("config").get<std::string>());
    const json out = respond(request);
    ASSERT_TRUE(out.value("ok", false)) << c.at("id");
    std::string path = how;
    double shift = 0;  // the part of the banded figure outside the measured one
    if (how == "peak") {
      path = "memory.total_bytes";
      shift = out["memory"]["overhead_bytes"].get<double>();
    } else if (how == "training_peak") {
      path = "training.total_bytes";
      shift = out["training"].value("other_bytes", 0.0);
    }
    if (!out["bands"].contains(path)) continue;  // e.g. e2e per token, one stage's activations
    const json& b = out["bands"][path];
    const double m = c.at("measured").get<double>() + shift;
    const std::string family = c.at("family").get<std::string>();
    const bool inside = b[0].get<double>() <= m && m <= b[1].get<double>();
    tally[family].first += inside ? 1 : 0;
    tally[family].second += 1;
    if (!inside) misses += "\n  " + c.at("id").get<std::string>() + " " + family;
  }
  EXPECT_GE(tally.size(), 7u);
  for (const auto& [family, t] : tally) {
    EXPECT_GE(static_cast<double>(t.first) / t.second, 0.90) << family << ": " << t.first << " of " << t.second << misses;
  }
}

}  // namespace
}  // namespace llmsizer
