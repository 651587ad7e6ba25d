// The serving engine a request names, as resolve() parses it (api/resolve.cpp). The engines' records are in
// engines/table.h; this header stays light because every Inputs (model/inputs.h) carries an EngineId.
#pragma once

namespace llmsizer {

/// The serving engines, in the order the catalogue lists them (engines/table.cpp names them).
enum class EngineId { kGeneric, kVllm, kSglang, kTransformers, kLlamaCpp };

}  // namespace llmsizer
