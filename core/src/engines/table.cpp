// The engine table: one row per serving engine (see table.h for what each field answers). Each row names the
// functions of its engine's file (generic.cpp, vllm.cpp, sglang.cpp, transformers.cpp, llamacpp.cpp) and its speed
// profile (speed/speed.cpp). The lite module (LLMSIZER_LITE) compiles the generic row only (the page's default engine).
#include "engines/table.h"

#include <algorithm>
#include <iterator>

#include "engines/util.h"
#include "speed/speed.h"

namespace llmsizer {

namespace {

using namespace engine_util;  // the rows name the engines' entry points

/// Every engine's name, indexed by EngineId: the names requests and responses use.
constexpr const char* kNames[] = {"generic", "vllm", "sglang", "transformers", "llama.cpp"};
static_assert(std::size(kNames) == static_cast<size_t>(EngineId::kLlamaCpp) + 1, "one name per EngineId");

constexpr const char* name_of(EngineId id) { return kNames[static_cast<int>(id)]; }

// Search hints shared by several engines (EngineTraits).
[[maybe_unused]] double whole_gpu(const Inputs&) { return 1.0; }  // rows the lite module leaves out use it
bool deeper_is_easier(const Inputs&) { return true; }
int64_t window_or_context(int64_t window, int64_t context, const Inputs&) { return std::min(window, context); }

const Engine kEngines[] = {
    {EngineId::kGeneric, name_of(EngineId::kGeneric),
     /*traits=*/{/*vocab_padding=*/1, /*rope_cache=*/true, /*tensor_parallel=*/true, /*stage_bound=*/true,
                 generic_usable_fraction, deeper_is_easier, window_or_context},
     generic_plan, generic_capacity, /*knob=*/{}, &kBorrowedVllmSpeed, /*launch_command=*/nullptr,
     /*run_layout=*/nullptr, /*max_model_len_is_context=*/false},
#if !LLMSIZER_LITE
    // vLLM and SGLang shard the vocabulary in 64-row padded pieces and allocate a rotary cos/sin cache
    // (vllm/model_executor/layers/vocab_parallel_embedding.py DEFAULT_VOCAB_PADDING_SIZE; SGLang's copy).
    // vLLM keeps window - 1 + a scheduler step on sliding layers (vllm_window_tokens).
    {EngineId::kVllm, name_of(EngineId::kVllm),
     /*traits=*/{kVocabPadding, /*rope_cache=*/true, /*tensor_parallel=*/true, /*stage_bound=*/true,
                 vllm_usable_fraction, deeper_is_easier, vllm_window_tokens},
     vllm_plan, vllm_capacity, {"gpu_memory_utilization", vllm_solve_knob}, &kVllmSpeed, vllm_launch_command,
     /*run_layout=*/nullptr, /*max_model_len_is_context=*/true},
    // SGLang keeps full KV on every layer (sglang_window_tokens).
    {EngineId::kSglang, name_of(EngineId::kSglang),
     /*traits=*/{kVocabPadding, /*rope_cache=*/true, /*tensor_parallel=*/true, /*stage_bound=*/true,
                 sglang_usable_fraction, sglang_monotone_in_pp, sglang_window_tokens},
     sglang_plan, sglang_capacity, {"mem_fraction_static", sglang_solve_knob}, &kBorrowedVllmSpeed,
     sglang_launch_command, /*run_layout=*/nullptr, /*max_model_len_is_context=*/true},
    // Exact checkpoint tensors; rotary embeddings computed per forward (no cache); layers split over GPUs
    // by device_map="auto" instead of tensor parallelism.
    {EngineId::kTransformers, name_of(EngineId::kTransformers),
     /*traits=*/{/*vocab_padding=*/1, /*rope_cache=*/false, /*tensor_parallel=*/false, /*stage_bound=*/true,
                 whole_gpu, deeper_is_easier, window_or_context},
     transformers_plan, transformers_capacity, /*knob=*/{}, &kTransformersSpeed, transformers_launch_command,
     /*run_layout=*/nullptr, /*max_model_len_is_context=*/false},
    // GGUF tensors and host-resident layers: no stage bound, the whole plan per layout; layers split over GPUs.
    {EngineId::kLlamaCpp, name_of(EngineId::kLlamaCpp),
     /*traits=*/{/*vocab_padding=*/1, /*rope_cache=*/false, /*tensor_parallel=*/false, /*stage_bound=*/false,
                 whole_gpu, deeper_is_easier, window_or_context},
     llamacpp_plan, llamacpp_capacity, /*knob=*/{}, &kBorrowedVllmSpeed, llamacpp_launch_command,
     llamacpp_run_layout, /*max_model_len_is_context=*/false},
#endif
};

}  // namespace

const std::vector<std::string>& engine_names() {
  static const std::vector<std::string> kAll(std::begin(kNames), std::end(kNames));
  return kAll;
}

const char* engine_name(EngineId id) { return name_of(id); }

std::optional<EngineId> engine_from_name(const std::string& name) {
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (name == kNames[i]) return static_cast<EngineId>(i);
  }
  return std::nullopt;
}

const Engine* find_engine(EngineId id) {
  for (const Engine& e : kEngines) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

const Engine& engine_of(const Inputs& in) {
  // resolve() sends requests for engines this module does not link to the full module, so the fallback to the
  // generic row is never taken; it keeps a stray call well-defined.
  const Engine* e = find_engine(in.engine);
  return e ? *e : kEngines[0];
}

}  // namespace llmsizer
