// Internal: "how sure" in the response — a low-high band on every headline figure (bands/bands.h, from
// presets/accuracy.json), the verdict on the band, and a note naming the measurements behind each band and
// whether this case lies inside their envelope (README "How sure").
#pragma once

#include <string>
#include <vector>

#include "api/estimate.h"
#include "bands/bands.h"
#include "json/writer.h"
#include "speed/speed.h"
#include "training/training_json.h"

namespace llmsizer {

struct FigureBand {
  std::string path;    ///< dotted path of the figure it bounds ("serving.kv_cache_tokens")
  std::string family;  ///< the accuracy table's rule family ("kv_tokens/vllm"; "sum" for a sum of bands)
  Band band;
};

struct HowSure {
  std::vector<FigureBand> bands;  ///< in the response's order
  /// "fits" when the high end of what is needed fits (or the low end of what is supplied covers the request),
  /// "may not fit" when only the estimate does, "does not fit" otherwise.
  FitVerdict verdict = FitVerdict::kDoesNotFit;
  std::string verdict_basis;      ///< the figure the verdict was taken on, and how
  bool inside_envelope = false;   ///< every measured band is inside its cell's envelope
  bool host_bound = false;        ///< decode is host-bound (speed.host_bound)
  /// Inference: the fewest GPUs when the memory needed is at the high end of its band (the extra bytes of
  /// memory.total_bytes' band added to the weights); -1 = not computed, 0 = none within the search limit.
  int64_t gpus_needed_high = -1;
  std::vector<std::string> notes; ///< one line per figure group: the measurements behind it, the steps taken
};

/// The bands of an inference estimate (memory, serving, speed) and, when fine-tuning, of training.
HowSure how_sure(const Estimate& e, const SpeedEstimate& s, const TrainingSection& t);

/// "bands": {"memory.weights_bytes": [lo, hi], ...}
void write_bands(JsonWriter& w, const HowSure& h);
/// "how_sure": {"verdict", "verdict_basis", "inside_envelope", "host_bound", "figures": {...}, "notes": [...]}
void write_how_sure(JsonWriter& w, const HowSure& h);

}  // namespace llmsizer
