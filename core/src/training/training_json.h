// Internal: the `training` section of the JSON response (fine-tuning), from a request's resolved inputs.
#pragma once

#include <string>
#include <vector>

#include "model/inputs.h"
#include "model/model.h"
#include "llmsizer/result.h"
#include "training/training.h"

namespace llmsizer {

struct TrainingSection {
  std::string section;            ///< the response's "training" object, as JSON text
  std::vector<Warning> warnings;  ///< for the response's top-level warnings
  // The headline figures the "how sure" bands bound (api/how_sure.cpp); estimated = false for inference.
  bool estimated = false;
  int64_t total_bytes = 0;         ///< training.total_bytes (one GPU's peak)
  int64_t other_bytes = 0;         ///< training.other_bytes (outside the allocator: the band excludes it)
  int64_t usable_bytes = 0;        ///< what one GPU may use (capacity less the reserve)
  bool fits = false;               ///< training.fits
  double seconds_per_step = 0;     ///< training.speed.seconds_per_step (0 = no speed)
};

/// The "training" section of an inference request: the same text in the full and the lite core.
std::string inference_training_section_json();

/// Validates the training fields of in.request and, unless the mode is inference, estimates fine-tuning.
/// With mode inference the section is {"mode": "inference"} (the other fields still validated).
Result<TrainingSection> training_section(const ModelSpec& m, const Inputs& in);

/// The JSON text of a training estimate.
std::string training_estimate_json(const TrainingEstimate& t, const GpuSpec& gpu);

}  // namespace llmsizer
