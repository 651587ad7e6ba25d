// The engine table: one record per serving engine with everything that differs between engines (how it sizes
// weights, its memory plan, the fast capacity path the layout searches use, the memory knob the reverse solve
// tunes, its speed profile and its launch command). The rest of the core asks the record; no code compares
// engine names. Requests name the engine by string; resolve() parses it to an EngineId once (engines/table.cpp
// holds the names and the rows).
//
// The lite WebAssembly module (core/CMakeLists.txt, LLMSIZER_LITE) links a table with the generic and vLLM rows
// only: find_engine() answers nullptr for the others, and resolve() sends their requests to the full module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/settings.h"

namespace llmsizer {

struct ModelSpec;
struct Inputs;
struct Layout;
struct EnginePlan;
struct Capacity;
struct EngineSolves;
struct EngineSpeed;
namespace engine_util {
class RankWeightsCache;
}

/// How an engine sizes weights and how the layout search may bound it: what the searches and caches need.
struct EngineTraits {
  int64_t vocab_padding = 1;    ///< vocabulary padding of the embeddings / LM head (vLLM, SGLang: 64)
  bool rope_cache = false;      ///< allocates a rotary cos/sin cache buffer
  bool tensor_parallel = true;  ///< shards tensors (transformers generate() and llama.cpp split layers instead)
  /// The layout search may start at the smallest pipeline depth whose stages' whole layers (rank_weights) and KV
  /// fit the usable share of a GPU. Not for llama.cpp, whose GGUF tensors and host-resident layers size otherwise.
  bool stage_bound = true;
  /// The largest share of a GPU's memory the engine lets weights + KV cache use (bounds the layout search).
  double (*usable_fraction)(const Inputs&);
  /// Whether serving only gets easier with more pipeline stages: when not, the search scans depths one by one.
  bool (*monotone_in_pp)(const Inputs&);
  /// The fewest tokens a sliding-window layer keeps for a request of `context` tokens (bounds the search).
  int64_t (*window_tokens)(int64_t window, int64_t context, const Inputs&);
};

/// The engine's memory plan for in.layout. `cache` holds per-model data a search reuses across plans.
using PlanFn = EnginePlan (*)(const ModelSpec&, const Inputs&, engine_util::RankWeightsCache& cache);
/// What `layout` serves for `batch` sequences of `context` tokens (engines.h Capacity). `scale`: the factor to the
/// Hub's exact checkpoint bytes (engine_util::safetensors_scale).
using CapacityFn = Capacity (*)(const ModelSpec&, const Inputs&, const Layout& layout,
                                engine_util::RankWeightsCache& cache, double scale, int64_t batch, int64_t context);
/// Fills sv->knob_value / knob_note: the smallest knob value serving sv->batch users of sv->context tokens.
using SolveKnobFn = void (*)(const ModelSpec&, const Inputs&, engine_util::RankWeightsCache& cache, double scale,
                             EngineSolves* sv);
/// The command line that starts the engine as the estimate assumes.
using LaunchFn = std::string (*)(const ModelSpec&, const Inputs&);

/// The engine's memory knob, which the reverse solve tunes (serving.solves.knob in the JSON).
struct SolveKnob {
  const char* name = "";         ///< "gpu_memory_utilization", "mem_fraction_static", or "" (none)
  SolveKnobFn solve = nullptr;
};

/// One serving engine: a row of engines/table.cpp.
struct Engine {
  EngineId id;
  const char* name;             ///< as requests and responses spell it ("vllm", "llama.cpp", ...)
  EngineTraits traits;
  PlanFn plan;
  CapacityFn capacity;
  SolveKnob knob;
  const EngineSpeed* speed;     ///< overheads and kernel efficiencies (speed/speed.h)
  LaunchFn launch_command;      ///< nullptr: the engine has no command line (generic)
  /// The layout the engine runs for the requested one (nullptr: as requested). llama.cpp splits layers over
  /// every GPU: one pipeline stage per GPU.
  Layout (*run_layout)(const Layout& requested, int64_t layers);
  /// max_model_len (vLLM --max-model-len, SGLang --context-length) is the context when the request gives none.
  bool max_model_len_is_context;
};

/// Every engine's name, in EngineId order, whether or not this module links it (the catalogue lists them all).
const std::vector<std::string>& engine_names();
/// The name of an engine ("generic", "vllm", "sglang", "transformers", "llama.cpp").
const char* engine_name(EngineId id);
/// The engine a request names; nullopt for an unknown name.
std::optional<EngineId> engine_from_name(const std::string& name);
/// This module's record of the engine, or nullptr when it does not link it (the lite module).
const Engine* find_engine(EngineId id);
/// The record of in.engine. resolve() lets through only engines this module links.
const Engine& engine_of(const Inputs& in);

}  // namespace llmsizer
