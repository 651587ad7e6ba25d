// Inference memory terms, one function per term, bytes everywhere.
//
// These are the engine-neutral building blocks: weights per rank (tensor- and pipeline-parallel),
// KV cache per token and per sequence, the activation peak of one prefill step, the runtime overhead.
// Engine profiles (engines.cpp) combine them with each engine's own budget rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/gpu.h"
#include "model/model.h"
#include "model/precision.h"

namespace llmsizer {

/// How a deployment is split: tensor parallel x pipeline parallel, replicated dp times.
struct Layout {
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t dp = 1;
  int64_t gpus() const { return tp * pp * dp; }
};

/// The layers one pipeline stage holds.
struct Stage {
  int64_t index = 0;
  int64_t first_layer = 0;  ///< inclusive
  int64_t end_layer = 0;    ///< exclusive
  bool first = true;        ///< holds the embeddings
  bool last = true;         ///< holds the final norm, LM head (and computes the logits)
};

/// vLLM's split of layers over pipeline stages (vllm/distributed/utils.py get_pp_indices): layers / pp
/// each, the remainder added to the stages before the last one (the last also holds the LM head).
std::vector<Stage> pipeline_stages(int64_t num_layers, int64_t pp);

/// Whether tp can shard this model's attention: heads divisible by tp, and KV heads divisible by tp or tp
/// divisible by KV heads (vLLM's check). Returns "" when valid, else why not.
std::string tp_problem(const ModelSpec& m, int64_t tp);

/// Vocabulary padding of vLLM's VocabParallelEmbedding (DEFAULT_VOCAB_PADDING_SIZE = 64).
constexpr int64_t kVocabPadding = 64;

/// One tensor-parallel rank's share of a tensor group: rows x cols after the group's Shard rule (column /
/// row split, vocabulary padded to `vocab_padding` then split, KV heads max(1, heads / tp)).
struct ShardShape {
  int64_t rows = 0;
  int64_t cols = 0;
};
ShardShape shard_shape(Shard shard, int64_t rows, int64_t cols, int64_t heads, int64_t tp, int64_t vocab_padding);
inline ShardShape shard_shape(const TensorGroup& t, int64_t tp, int64_t vocab_padding) {
  return shard_shape(t.shard, t.rows, t.cols, t.heads, tp, vocab_padding);
}

/// What a weights total is made of on one rank.
struct WeightBytes {
  double tensors = 0;   ///< parameters in their storage formats
  double buffers = 0;   ///< non-parameter buffers engines preallocate (rotary cos/sin cache)
  int64_t parameters = 0;  ///< parameters held by this rank
  int64_t total() const { return static_cast<int64_t>(tensors + buffers); }
};

/// Weight bytes of one tensor-parallel rank, per decoder layer and outside the layer stack, so that
/// any pipeline split can be summed without walking the tensors again.
/// Quantisation applies to linear-layer matrices (attention, MLP, experts); embeddings, LM head, norms,
/// biases and routers stay in the format's 16-bit dtype (as GPTQ/AWQ/fp8 checkpoints keep them).
/// `vocab_padding` rounds the vocabulary up per engine (64 in vLLM, 1 = none).
/// `rope_cache` adds the rotary cos/sin cache serving engines allocate: max_position x rotary_dim x 2 bytes
/// (vLLM RotaryEmbedding.cos_sin_cache, vllm/model_executor/layers/rotary_embedding.py).
struct RankWeights {
  std::vector<double> layer_bytes;      ///< per decoder layer
  std::vector<int64_t> layer_params;
  double first_bytes = 0;               ///< embeddings (and a vision tower): first pipeline stage
  int64_t first_params = 0;
  double last_bytes = 0;                ///< final norm, LM head, MTP: last pipeline stage
  int64_t last_params = 0;
  double tied_head_bytes = 0;           ///< an LM head the last stage builds when tied embeddings meet pp > 1
  int64_t tied_head_params = 0;
  double buffers = 0;                   ///< rope cache, on every rank
};
RankWeights rank_weights(const ModelSpec& m, const WeightFormat& f, int64_t tp, bool include_mtp,
                         int64_t vocab_padding, bool rope_cache);

/// The weights of one stage from per-layer costs.
WeightBytes stage_weights(const RankWeights& w, const Stage& stage);

/// Convenience: weight bytes on one rank of `stage` (rank_weights + stage_weights).
WeightBytes weight_bytes_rank(const ModelSpec& m, const WeightFormat& f, int64_t tp, const Stage& stage,
                              bool include_mtp, int64_t vocab_padding, bool rope_cache);

/// KV-cache bytes of one token over the layers of `stage` on one TP rank (no sliding-window cap).
double kv_bytes_per_token_rank(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage);

/// KV-cache bytes of one sequence of `context` tokens on one rank: each layer holds min(context, window)
/// tokens (sliding-window layers keep only their window).
double kv_bytes_per_sequence_rank(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage, int64_t context);

/// The activation peak of one forward step of `tokens` tokens (prefill chunk), `sequences` of which
/// produce logits, on one rank. See memory.cpp for the terms and sources.
struct ActivationPeak {
  double layer_bytes = 0;   ///< the largest intra-layer transient + residual stream
  double logits_bytes = 0;  ///< logits of the sampled rows (16-bit from the head, fp32 for sampling)
  int64_t total() const { return static_cast<int64_t>(layer_bytes > logits_bytes ? layer_bytes : logits_bytes); }
};
ActivationPeak activation_peak_rank(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens,
                                    int64_t sequences);

/// Default runtime overhead per GPU outside the allocator: CUDA context + cuBLAS/cuDNN workspaces, plus
/// NCCL buffers with tp > 1. See memory.cpp.
int64_t default_overhead_bytes(const GpuSpec& gpu, int64_t tp);

}  // namespace llmsizer
