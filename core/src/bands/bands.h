// Internal: "how sure" — a low-high band around a headline figure, from the project's accuracy table.
//
// presets/accuracy.json (written by scripts/accuracy.py from the public measured cases) holds, per rule family
// ("kv_tokens/vllm", "decode/transformers", ...) and per envelope cell (the GPU architecture and engine minor
// version the cases were measured on; "any" where the family does not depend on that axis), the signed relative
// error of the estimate: error = estimate / measured - 1. So measured = estimate / (1 + error), and a cell's
// prediction bounds (where an unseen case's error is expected, 90 %) give the band [estimate / (1 + hi),
// estimate / (1 + lo)]. Outside a cell's envelope
// (another GPU architecture, an engine version without a cell, a host-bound regime the cell was not measured
// in) the band widens by the table's documented steps. Everything here is pure arithmetic on numbers: the
// page and the CLI format what it returns. README "How sure" states the rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/result.h"

namespace llmsizer {

/// The figure a band bounds: with the engine (and attention implementation), it selects the rule family.
enum class BandFigure {
  kWeights,       ///< memory.weights_bytes
  kKvTokens,      ///< serving.kv_cache_tokens (and the KV bytes an engine derives from them)
  kConcurrency,   ///< serving.max_concurrency
  kActivations,   ///< memory.activations_bytes (vLLM: the profile run's torch peak increase)
  kPeak,          ///< weights + KV + activations, what torch.cuda.max_memory_allocated() reports (transformers)
  kPrefill,       ///< speed.prefill_seconds, speed.ttft_seconds
  kDecode,        ///< speed.tpot_seconds
  kTrainingPeak,  ///< training.total_bytes (less training.other_bytes, which is outside the allocator)
  kTrainingStep,  ///< training.speed.seconds_per_step
};

/// The family key of a figure: "weights", "kv_tokens/vllm", "peak/transformers/sdpa", "training_step". Engines:
/// generic|vllm|sglang|transformers|llama.cpp (anything else maps to "generic"); attention only matters for
/// kPeak: "eager" or anything else ("sdpa": fused attention, no score matrix).
std::string band_family(BandFigure figure, const std::string& engine, const std::string& attention = "sdpa");

/// Every key band_family() can return (the table must hold each one; tests/bands_test.cpp checks it).
std::vector<std::string> band_families();

/// Whether a family bounds a time (seconds) rather than a memory quantity (bytes, tokens, sequences).
bool band_family_is_time(const std::string& family);

/// One envelope cell: the measured error distribution of a family on one GPU architecture x engine version.
struct BandCell {
  std::string architecture;    ///< GPU architecture of the cases ("ampere", "hopper"), or "any"
  std::string engine_version;  ///< engine minor version of the cases ("0.19", "4.46"), or "any"
  int64_t n = 0;               ///< cases
  bool enough = false;         ///< n >= the table's min_cases: its prediction bounds (lo, hi) are used
  bool host_bound = false;     ///< measured on an engine without CUDA graphs, host launch cost included
  double p5 = 0, p50 = 0, p95 = 0;  ///< signed relative error percentiles (estimate / measured - 1)
  double min = 0, max = 0;          ///< the extremes
  /// Prediction bounds: where the error of a case not among these is expected to lie (90 %; the hull of the
  /// distribution-free order-statistic interval and the normal prediction interval, scripts/accuracy.py
  /// prediction_bounds). lo <= min and hi >= max; the band of a cell with enough cases.
  double lo = 0, hi = 0;
  std::vector<std::string> cases;   ///< case ids (validation files' case_id or file:line)
};

struct BandFamilyTable {
  std::string key;
  bool time = false;          ///< a time figure (the "time" factors apply), else a memory one
  bool gpu_axis = false;      ///< the error depends on the GPU architecture (cells differ by architecture)
  bool version_axis = false;  ///< the error depends on the engine version
  std::vector<BandCell> cells;
};

/// The widening rules (presets/accuracy.json "rules"). Factors are on the ratio measured / estimate, >= 1;
/// index [0] memory figures, [1] time figures.
struct BandRules {
  int64_t min_cases = 5;
  double default_factor[2] = {1.10, 1.35};  ///< a family or cell with too few cases: x/÷ this
  double min_factor[2] = {1.02, 1.10};      ///< floor on each side of a measured cell
  // Each step outside a cell's envelope divides the low end and multiplies the high end by its factor:
  double gpu_step[2] = {1.0, 1.2};          ///< another GPU architecture
  double version_step[2] = {1.05, 1.2};     ///< an engine version without a cell
  double host_step[2] = {1.0, 2.0};         ///< a host-bound case against a cell not measured host-bound
};

struct AccuracyTable {
  BandRules rules;
  std::vector<BandFamilyTable> families;
  const BandFamilyTable* find(const std::string& key) const;
};

/// Parses and validates presets/accuracy.json text (bounds and percentiles ordered and > -1, factors >= 1, n = cases).
Result<AccuracyTable> parse_accuracy_table(const std::string& text);

/// The built-in table: presets/accuracy.json as C++ data, written at build time by cmake/embed_presets.py (which
/// refuses a malformed file); tests/bands_test.cpp checks it equals parse_accuracy_table() of the file.
const AccuracyTable& builtin_accuracy_table();

/// Where a case stands against the measurements.
struct BandEnvelope {
  std::string architecture;    ///< the GPU's architecture as the presets name it ("ampere"); "" = unknown
  std::string engine_version;  ///< the engine version whose rules apply ("0.19", "4.46.0"); "" = none
  bool host_bound = false;     ///< run without CUDA graphs and the host's launch cost dominates the step
  bool exact = false;          ///< the figure is read, not estimated (weights from safetensors metadata)
};

struct Band {
  double lo = 0;      ///< low end (bytes / tokens / sequences / seconds, as the figure)
  double value = 0;   ///< the estimate itself; lo <= value <= hi always
  double hi = 0;      ///< high end
  bool exact = false;            ///< zero width: an exact figure
  bool measured = false;         ///< from a cell with enough cases (else the default factor)
  bool inside_envelope = false;  ///< measured and no widening step: the case is where the table was measured
  int gpu_steps = 0;             ///< widening steps taken for another GPU architecture (0/1)
  int version_steps = 0;         ///< ... for an engine version without a cell (0/1)
  int host_steps = 0;            ///< ... for a host-bound regime the cell was not measured in (0/1)
  int64_t n = 0;                 ///< measured cases behind the band
  std::vector<std::string> cases;  ///< their ids, for the "how sure" note
};

/// The band of `value` for a family. `integral`: a count (bytes, tokens): lo floored, hi ceiled, outward.
/// A family the table lacks, or a value that is not a positive finite number, gets no measurement behind it
/// (default factor, or a zero-width band at a non-positive value).
Band make_band(const AccuracyTable& table, const std::string& family, double value, const BandEnvelope& envelope,
               bool integral);

/// "0.19.0 (V1 engine)" -> "0.19"; "" when there is no major.minor.
std::string engine_minor_version(const std::string& version);

/// The verdict on a band, from the issue: "fits" when the high end fits, "may not fit" when only the estimate
/// does, "does not fit" otherwise.
enum class FitVerdict { kFits, kMayNotFit, kDoesNotFit };
const char* fit_verdict_name(FitVerdict v);  ///< "fits", "may not fit", "does not fit"

/// A requirement (bytes a GPU must hold) against what there is: fits when need.hi <= capacity.
FitVerdict verdict_need(const Band& need, double capacity);
/// A supply (max concurrency, KV tokens) against a demand: fits when demand <= supply.lo (the low end of what
/// is supplied still covers it).
FitVerdict verdict_supply(const Band& supply, double demand);

}  // namespace llmsizer
