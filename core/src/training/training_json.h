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
};

/// The "training" section of an inference request: the same text in the full and the lite core.
std::string inference_training_section_json();

/// Validates the training fields of in.request and, unless the mode is inference, estimates fine-tuning.
/// With mode inference the section is {"mode": "inference"} (the other fields still validated).
Result<TrainingSection> training_section(const ModelSpec& m, const Inputs& in);

/// The JSON text of a training estimate.
std::string training_estimate_json(const TrainingEstimate& t, const GpuSpec& gpu);

}  // namespace llmsizer
