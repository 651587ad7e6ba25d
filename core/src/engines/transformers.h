// Hugging Face transformers generate() memory rules (transformers.cpp), internal to the core and visible to
// the unit tests.
#pragma once

#include <cstdint>
#include <string>

#include "engines/engines.h"

namespace llmsizer::hf {

/// Whether this transformers version computes logits for every prompt position (before 4.45).
bool full_prompt_logits(const TransformersOptions& o);

/// Bytes per prompt token of the prefill's largest layer transient plus the hidden states alive beside it.
double prefill_layer_bytes_per_token(const ModelSpec& m, Dtype act, const Stage& stage);

/// DynamicCache bytes of one sequence of `tokens` tokens over a stage's layers.
double kv_bytes(const ModelSpec& m, Dtype kv, const Stage& stage, int64_t tokens);

/// The parts of one GPU's allocator peak beyond the weights.
struct Peak {
  double kv_prompt = 0;  ///< KV after the prefill
  double kv_full = 0;    ///< KV after the last generated token
  double prefill = 0;    ///< layer transient over the prompt + prefill logits
  double decode = 0;     ///< concatenation copy + last-position logits
  double workspace = 0;  ///< allocator-resident workspaces
};
Peak peak(const ModelSpec& m, const Inputs& in, const Stage& stage, int64_t batch, int64_t input, int64_t output);

/// What the JSON reports as activations: peak - weights - kv_full.
double activations_bytes(const Peak& p);

/// The CUDA context (outside max_memory_allocated).
int64_t context_bytes();

}  // namespace llmsizer::hf
