// Which checkpoint an engine's launch command must load so that it serves the precision that was estimated.
//
// Engines quantise some formats while loading a 16-bit checkpoint and not others. When the estimate is for a
// format the checkpoint does not carry and the engine cannot produce on load (vLLM and SGLang: AWQ/GPTQ int4,
// int8 W8A8; transformers: AWQ/GPTQ, FP8), the command names a pre-quantised checkpoint instead (the usual
// naming pattern of such conversions) and a warning says so: a command must never load the 16-bit weights
// while the page promises a quarter of them.
#pragma once

#include <string>

#include "engines/settings.h"
#include "model/inputs.h"
#include "model/model.h"

namespace llmsizer {

struct ServedCheckpoint {
  bool needs_quantised_checkpoint = false;  ///< the checkpoint as given cannot load as the estimated format
  std::string repo;     ///< the repo the command names ("" = the request's own model id)
  std::string format;   ///< "AWQ int4", "GPTQ int4", "int8 W8A8", ... (for the message)
  Warning warning;      ///< code "quantised_checkpoint_needed" when needs_quantised_checkpoint
};

/// What `engine` must load to serve `in.weights` of model `m` whose Hub id is `in.model_id` ("" = unknown).
ServedCheckpoint served_checkpoint(const ModelSpec& m, const Inputs& in, EngineId engine);

}  // namespace llmsizer
