// Serving an encoder (embedding, reranker, classifier model): one bidirectional forward pass per batch of texts,
// no KV cache and no decode steps. The memory plan, the sequences/s speed and the launch commands of the engines
// that serve encoders (transformers / sentence-transformers, vLLM's pooling runner, text-embeddings-inference).
// SGLang and llama.cpp are refused in resolve() (encoder_engine_problem) with what works instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/engines.h"
#include "llmsizer/result.h"
#include "model/inputs.h"

namespace llmsizer {

/// Peak activation bytes of one encoder forward over `sequences` texts of `tokens_per_sequence` tokens (one GPU):
/// per token  bytes x (hidden + max(5 x hidden, up + intermediate + hidden)) — the layer's input (kept for the
/// residual) plus the larger transient of attention (q, k, v, context, output projection) and the MLP (up or
/// gate+up output, the activation's output, the down projection's output); plus, with `eager_scores`, the
/// attention score and probability matrices of one layer, 2 x heads x s^2 per text (DeBERTa's disentangled
/// attention adds its c2p and p2c scores: 4 x heads x s^2). Fused kernels (FlashAttention / SDPA) keep no s^2
/// matrix.
double encoder_activation_bytes(const ModelSpec& m, Dtype act, int64_t sequences, int64_t tokens_per_sequence,
                                bool eager_scores);

/// Why in.engine cannot serve this encoder (with what works instead); nullopt when it can.
std::optional<Error> encoder_engine_problem(const ModelSpec& m, const Inputs& in);

/// The launch command of every engine that serves encoders: {"transformers", ...}, {"vllm", ...}, {"tei", ...}.
std::vector<std::pair<std::string, std::string>> encoder_commands(const ModelSpec& m, const Inputs& in);

/// The encoder's memory plan on one GPU (replicas on every other): weights + one forward's activations +
/// overhead; kv_cache_bytes 0; max_concurrency = texts of `context` tokens one forward can take.
EnginePlan encoder_plan(const ModelSpec& m, const Inputs& in);

/// Prefill-only speed of one forward over the batch (speed.encoder in the JSON).
struct EncoderSpeed {
  bool available = false;
  std::string unavailable_reason;
  int64_t batch = 0;                ///< texts per request batch
  int64_t tokens_per_text = 0;
  int64_t forwards = 0;             ///< forward passes the engine splits the batch into (its tokens per step)
  double flops = 0;                 ///< linear + attention FLOPs of the whole batch
  double compute_seconds = 0;
  double memory_seconds = 0;        ///< weights read once per forward
  double overhead_seconds = 0;      ///< per-forward engine and per-layer launch costs
  double seconds = 0;               ///< the whole batch (every forward)
  double sequences_per_second = 0;  ///< per GPU replica x data-parallel replicas
  double tokens_per_second = 0;
  bool compute_bound = false;
  double peak_tflops = 0;
  double memory_bandwidth_gbps = 0;
  double prefill_efficiency = 0;
  double attention_efficiency = 0;
  std::vector<std::string> notes;
};
EncoderSpeed encoder_speed(const ModelSpec& m, const Inputs& in);

}  // namespace llmsizer
