// Hugging Face transformers generate() memory rules (transformers.cpp), internal to the core and visible to
// the unit tests.
#pragma once

#include <cstdint>
#include <string>

#include "engines/engines.h"

namespace llmsizer::hf {

/// Whether this transformers version computes logits for every prompt position (before 4.45).
bool full_prompt_logits(const TransformersOptions& o);

/// Whether the options' version is before major.minor.
inline bool version_before(const TransformersOptions& o, int major, int minor) {
  return o.version_major < major || (o.version_major == major && o.version_minor < minor);
}

/// The attention implementation generate() runs: the request's, else the version's default for the family.
/// Inline: the speed model (also in the lite module, which has no transformers.cpp) asks it too.
inline AttentionImpl attention_of(const ModelSpec& m, const TransformersOptions& o) {
  if (o.attention != AttentionImpl::kDefault) return o.attention;
  // modeling_utils.py _autoset_attn_implementation: SDPA is the default wherever the family supports it from
  // 4.36 (and in 5.x); before, eager. Gemma 2 overrode _check_and_enable_sdpa to fall back to eager (softcapped
  // logits) from its release in 4.42 until the attention-interface refactor of 4.48 (modeling_gemma2.py).
  if (version_before(o, 4, 36)) return AttentionImpl::kEager;
  if (m.model_type == "gemma2" && o.version_major == 4 && o.version_minor >= 42 && o.version_minor < 48) {
    return AttentionImpl::kEager;
  }
  return AttentionImpl::kSdpa;
}

/// "sdpa", "eager", "flash_attention_2".
inline const char* attention_name(AttentionImpl a) {
  switch (a) {
    case AttentionImpl::kEager:
      return "eager";
    case AttentionImpl::kFlashAttention2:
      return "flash_attention_2";
    default:
      return "sdpa";
  }
}
/// Whether each attention layer keeps its own rotary cos/sin cache (up to about 4.38).
bool per_layer_rotary_cache(const TransformersOptions& o);
/// eager attention's prefill transient beyond the projections, for `batch` sequences of `tokens` on the stage's
/// largest layer: the q.k^T scores in the activation dtype, their fp32 upcast and the fp32 softmax output.
double eager_scores_bytes(const ModelSpec& m, Dtype act, const Stage& stage, int64_t batch, int64_t tokens);

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
