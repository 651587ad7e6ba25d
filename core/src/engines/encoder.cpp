// Encoders: one forward pass per batch of texts, no KV cache (see encoder.h).
#include "engines/encoder.h"

#include <algorithm>
#include <cmath>

#include "engines/util.h"
#include "engines/vllm.h"
#include "speed/speed.h"
#include "units.h"

namespace llmsizer {

namespace {

using engine_util::gib_text;
using engine_util::repo_or_placeholder;
using engine_util::with_commas;

/// text-embeddings-inference's default --max-batch-tokens (router/src/main.rs, TEI 1.x): tokens per forward.
constexpr int64_t kTeiMaxBatchTokens = 16384;
/// TEI's default --max-client-batch-size: texts per request.
constexpr int64_t kTeiMaxClientBatch = 32;

bool is_reranker(const ModelSpec& m) { return m.encoder.head == "sequence_classification"; }

const char* dtype_word(Dtype d) {
  return d == Dtype::kFp32 ? "float32" : d == Dtype::kFp16 ? "float16" : "bfloat16";
}

/// Tokens one forward takes under the engine, and the forwards the batch needs.
struct Steps {
  int64_t tokens = 0;    ///< tokens per forward (the activation peak's size)
  int64_t forwards = 1;  ///< forwards for the whole batch
};

/// vLLM pooling models run whole prompts (no chunked prefill), so a step holds at least one max_model_len text
/// (vllm/config/scheduler.py: max_num_batched_tokens raised to max_model_len when chunked prefill is off).
int64_t vllm_step_tokens(const Inputs& in) {
  return std::max(vllm::startup(in).max_num_batched_tokens, in.context);
}

Steps steps_of(const Inputs& in) {
  const int64_t batch = engine_util::per_replica(in.batch, in.layout.dp);
  Steps s;
  if (in.engine == EngineId::kVllm) {
    s.tokens = vllm_step_tokens(in);
    const int64_t texts = std::max<int64_t>(1, s.tokens / std::max<int64_t>(1, in.context));
    s.forwards = engine_util::ceil_div(batch, texts);
  } else {
    // transformers / sentence-transformers (and the engine-neutral estimate): the batch is one padded forward.
    s.tokens = batch * in.context;
  }
  return s;
}

/// DeBERTa-v2 has no SDPA / FlashAttention path in transformers: its attention materialises the score matrices.
bool eager_scores(const ModelSpec& m, const Inputs& in) {
  return m.encoder.positions == "relative" && in.engine == EngineId::kTransformers;
}

}  // namespace

double encoder_activation_bytes(const ModelSpec& m, Dtype act, int64_t sequences, int64_t tokens_per_sequence,
                                bool eager) {
  if (m.layers.empty()) return 0;
  const double b = dtype_bits(act) / 8.0;
  const double h = static_cast<double>(m.hidden_size);
  double peak = 0;
  for (const LayerSpec& l : m.layers) {
    const double i = static_cast<double>(l.mlp.intermediate_size);
    const double up = i * (l.mlp.gated ? 2.0 : 1.0);
    peak = std::max(peak, std::max(5.0 * h, up + i + h));
  }
  const double tokens = static_cast<double>(sequences) * static_cast<double>(tokens_per_sequence);
  double bytes = tokens * b * (h + peak);
  if (eager) {
    const double s = static_cast<double>(tokens_per_sequence);
    const double mats = m.encoder.positions == "relative" ? 4.0 : 2.0;
    bytes += static_cast<double>(sequences) * mats * static_cast<double>(m.layers.front().attn.num_heads) * s * s * b;
  }
  return bytes;
}

std::optional<Error> encoder_engine_problem(const ModelSpec& m, const Inputs& in) {
  const std::string what = m.architecture + " is an encoder (no KV cache, one forward per text)";
  if (in.engine == EngineId::kSglang) {
    return make_error(ErrorCode::kInvalidRequest,
                      "engine 'sglang': " + what +
                          "; llmsizer sizes SGLang's KV-cache pool for decoders only. Serve it with vLLM's pooling "
                          "runner (engine 'vllm'), transformers / sentence-transformers (engine 'transformers'), or "
                          "text-embeddings-inference (engine 'generic' prints its command)",
                      "/engine");
  }
  if (in.engine == EngineId::kLlamaCpp) {
    return make_error(ErrorCode::kInvalidRequest,
                      "engine 'llama.cpp': " + what +
                          "; llama.cpp runs BERT-family embedding models only from a GGUF conversion "
                          "(convert_hf_to_gguf.py, then llama-server --embeddings), which llmsizer does not size. "
                          "Use engine 'vllm', 'transformers' or 'generic' (text-embeddings-inference)",
                      "/engine");
  }
  if (in.layout.tp > 1 || in.layout.pp > 1) {
    return make_error(ErrorCode::kConflictingOptions,
                      what + ": it runs whole on one GPU and scales with replicas; set gpus without tp or pp",
                      in.layout.tp > 1 ? "/tp" : "/pp");
  }
  if (m.encoder.max_sequence > 0 && in.context > m.encoder.max_sequence) {
    return make_error(ErrorCode::kInvalidRequest,
                      "context " + std::to_string(in.context) + " tokens per text is beyond " + m.architecture +
                          "'s " + std::to_string(m.encoder.max_sequence) + " (max_position_embeddings " +
                          std::to_string(m.max_position_embeddings) +
                          (m.encoder.position_offset > 0
                               ? " minus the padding offset " + std::to_string(m.encoder.position_offset)
                               : std::string()) +
                          "): engines truncate or refuse longer texts",
                      "/context");
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> encoder_commands(const ModelSpec& m, const Inputs& in) {
  const std::string repo = repo_or_placeholder(in);
  const std::string dt = dtype_word(in.weights.dtype);
  const bool remote = m.model_type == "nomic_bert";
  const std::string batch = std::to_string(engine_util::per_replica(in.batch, in.layout.dp));
  std::vector<std::pair<std::string, std::string>> out;
  // sentence-transformers: SentenceTransformer for embedding models, CrossEncoder for rerankers.
  std::string st = "python -c \"from sentence_transformers import ";
  st += is_reranker(m) ? "CrossEncoder; m = CrossEncoder('" : "SentenceTransformer; m = SentenceTransformer('";
  st += repo + "', device='cuda'" + std::string(remote ? ", trust_remote_code=True" : "") +
        ", model_kwargs={'torch_dtype': '" + dt + "'}); " +
        (is_reranker(m) ? "print(m.predict([('query', 'passage')] * " + batch + ", batch_size=" + batch + "))\""
                        : "print(m.encode(['text'] * " + batch + ", batch_size=" + batch + ").shape)\"");
  out.emplace_back("transformers", st);
  // vLLM: --runner pooling from 0.10 (the task is read from the architecture), --task embed / score before.
  const bool runner = in.vllm.version_major > 0 || in.vllm.version_minor >= 10;
  std::string v = "vllm serve " + repo;
  v += runner ? " --runner pooling" : is_reranker(m) ? " --task score" : " --task embed";
  const bool native = m.model_type == "bert" || m.model_type == "roberta" || m.model_type == "xlm-roberta" ||
                      m.model_type == "nomic_bert" || (m.model_type == "modernbert" && is_reranker(m));
  if (!native) v += " --model-impl transformers";  // vLLM's Transformers backend runs other encoders
  if (remote) v += " --trust-remote-code";
  v += " --max-model-len " + std::to_string(in.context);
  if (in.layout.dp > 1) v += " --data-parallel-size " + std::to_string(in.layout.dp);
  v += std::string(" --dtype ") + dt;
  out.emplace_back("vllm", v);
  // text-embeddings-inference implements BERT, CamemBERT, (XLM-)RoBERTa, NomicBERT, ModernBERT and MPNet (its README's
  // supported models), not DistilBERT or DeBERTa: no command for those.
  if (m.model_type == "distilbert" || m.model_type == "deberta-v2") return out;
  // --max-batch-tokens must hold the longest text (router/src/lib.rs check).
  const int64_t tei_tokens = std::max(kTeiMaxBatchTokens, in.context);
  std::string t = "text-embeddings-router --model-id " + repo + " --dtype " + (dt == "float32" ? "float32" : "float16");
  if (tei_tokens != kTeiMaxBatchTokens) t += " --max-batch-tokens " + std::to_string(tei_tokens);
  if (engine_util::per_replica(in.batch, in.layout.dp) > kTeiMaxClientBatch) t += " --max-client-batch-size " + batch;
  t += " --port 8080";
  out.emplace_back("tei", t);
  return out;
}

EnginePlan encoder_plan(const ModelSpec& m, const Inputs& in) {
  EnginePlan p;
  const bool vllm_engine = in.engine == EngineId::kVllm;
  // Weights as the engine loads them: the checkpoint's tensors (no vocabulary padding); vLLM adds its rotary
  // cos/sin cache for rotary encoders.
  const RankWeights rw = rank_weights(m, in.weights, 1, false, 1, vllm_engine);
  const Stage whole = pipeline_stages(m.num_hidden_layers(), 1).front();
  const WeightBytes w = stage_weights(rw, whole);
  const double scale = engine_util::safetensors_scale(m, in);
  GpuMemory g = stage_gpu(whole, static_cast<int64_t>(std::llround(w.tensors * scale + w.buffers)), w.parameters);
  const Steps st = steps_of(in);
  const bool eager = eager_scores(m, in);
  const int64_t texts_per_forward = std::max<int64_t>(1, st.tokens / std::max<int64_t>(1, in.context));
  // Clamped far above any GPU (1e18 bytes) so absurd batches cannot overflow the integer.
  g.memory.activations_bytes = static_cast<int64_t>(
      std::llround(std::min(1e18, encoder_activation_bytes(m, in.act_dtype, texts_per_forward, in.context, eager))));
  g.capacity_bytes = in.gpu.memory_bytes();
  if (vllm_engine) {
    // vLLM's budget (gpu_memory_utilization) with its non-torch memory; no KV-cache pool for encoder-only attention.
    const vllm::Startup s = vllm::startup(in);
    g.memory.overhead_bytes = vllm::non_torch_bytes(in.gpu, 1);
    g.usable_bytes = static_cast<int64_t>(static_cast<double>(g.capacity_bytes) * s.gpu_memory_utilization);
    p.settings.emplace_back("gpu_memory_utilization", s.gpu_memory_utilization);
    p.settings.emplace_back("max_num_batched_tokens", static_cast<double>(st.tokens));
  } else {
    g.memory.overhead_bytes = in.generic.overhead_bytes;
    g.usable_bytes = static_cast<int64_t>(static_cast<double>(g.capacity_bytes) * (1.0 - in.generic.reserve));
  }
  g.free_bytes = g.usable_bytes - g.memory.total_bytes();
  // Texts of `context` tokens one forward could take in what the weights and overhead leave.
  const double per_text = encoder_activation_bytes(m, in.act_dtype, 1, in.context, eager);
  const int64_t left = g.usable_bytes - g.memory.weights_bytes - g.memory.overhead_bytes;
  int64_t conc = left > 0 && per_text > 0 ? static_cast<int64_t>(std::min(1e15, static_cast<double>(left) / per_text)) : 0;
  if (vllm_engine) conc = std::min(conc, texts_per_forward);  // vLLM's step holds at most this many
  g.max_concurrency = conc;
  p.per_gpu.push_back(g);
  p.fits = g.free_bytes >= 0;
  p.margin_bytes = g.free_bytes;
  p.max_concurrency = static_cast<double>(conc * std::max<int64_t>(1, in.layout.dp));
  p.assumptions.push_back("encoder: no KV cache; activations of one forward over " + with_commas(texts_per_forward) +
                          " texts x " + with_commas(in.context) + " tokens (" + gib_text(static_cast<double>(g.memory.activations_bytes)) +
                          " GiB)" + (eager ? ", with the eager attention's score matrices" : ", fused attention (no score matrices)"));
  for (const auto& [engine, cmd] : encoder_commands(m, in)) {
    const bool mine = (engine == "vllm" && vllm_engine) || (engine == "transformers" && in.engine == EngineId::kTransformers) ||
                      (engine == "tei" && in.engine == EngineId::kGeneric);
    if (mine) p.launch_command = cmd;
  }
  if (p.launch_command.empty() && in.engine == EngineId::kGeneric) {
    p.assumptions.push_back("text-embeddings-inference does not serve " + m.architecture +
                            ": serving.commands lists transformers and vLLM");
  }
  if (!p.fits) {
    p.failure = "CUDA out of memory: weights " + gib_text(static_cast<double>(g.memory.weights_bytes)) +
                " GiB + one forward's activations " + gib_text(static_cast<double>(g.memory.activations_bytes)) +
                " GiB + overhead exceed the usable " + gib_text(static_cast<double>(g.usable_bytes)) + " GiB";
  }
  return p;
}

EncoderSpeed encoder_speed(const ModelSpec& m, const Inputs& in) {
  EncoderSpeed e;
  const SpeedConstants k = speed_constants(m, in);
  e.batch = in.batch;
  e.tokens_per_text = in.context;
  if (k.peak_flops_per_s <= 0 || k.bandwidth_bytes_per_s <= 0) {
    e.unavailable_reason = "the GPU preset has no TFLOPS or bandwidth figures";
    return e;
  }
  e.available = true;
  e.peak_tflops = k.peak_flops_per_s / 1e12;
  e.memory_bandwidth_gbps = k.bandwidth_bytes_per_s / 1e9;
  e.prefill_efficiency = k.prefill_efficiency;
  e.attention_efficiency = k.attention_efficiency;
  const Steps st = steps_of(in);
  e.forwards = st.forwards;
  const int64_t batch = engine_util::per_replica(in.batch, in.layout.dp);
  // Linear FLOPs: 2 x the layers' matrix parameters x tokens (embedding lookups and norms cost no GEMM; the
  // pooler and heads run on one token per text). Attention is bidirectional: every token attends to all s tokens
  // of its text, 2 x heads x (qk + v) per key (attention_flops_layer), s^2 keys per text and layer.
  double matrix_params = 0;
  for (const TensorGroup& t : weight_tensors(m)) {
    if (t.matrix && t.layer >= 0) matrix_params += static_cast<double>(t.elements());
  }
  const double tokens = static_cast<double>(batch) * static_cast<double>(in.context);
  const double linear = linear_flops(matrix_params, tokens);
  // ModernBERT's local layers: each token attends to at most its window (local_attention tokens around it).
  double attention = 0;
  for (const LayerSpec& l : m.layers) {
    const int64_t seen = l.attn.sliding_window > 0 ? std::min(l.attn.sliding_window, in.context) : in.context;
    const double keys = static_cast<double>(batch) * static_cast<double>(in.context) * static_cast<double>(seen);
    attention += attention_flops_layer(l.attn, keys, false);
  }
  e.flops = linear + attention;
  e.compute_seconds = compute_seconds(linear, k.peak_flops_per_s, k.prefill_efficiency) +
                      compute_seconds(attention, k.peak_flops_per_s, k.attention_efficiency);
  const RankWeights rw = rank_weights(m, in.weights, 1, false, 1, false);
  const WeightBytes w = stage_weights(rw, pipeline_stages(m.num_hidden_layers(), 1).front());
  e.memory_seconds = memory_seconds(w.tensors, k.bandwidth_bytes_per_s, k.bandwidth_efficiency) *
                     static_cast<double>(st.forwards);
  e.overhead_seconds = static_cast<double>(st.forwards) *
                       (k.step_overhead_s + static_cast<double>(m.num_hidden_layers()) * k.layer_overhead_s);
  e.compute_bound = e.compute_seconds >= e.memory_seconds;
  e.seconds = std::max(e.compute_seconds, e.memory_seconds) + e.overhead_seconds;
  const double dp = static_cast<double>(std::max<int64_t>(1, in.layout.dp));
  e.sequences_per_second = e.seconds > 0 ? static_cast<double>(batch) / e.seconds * dp : 0;
  e.tokens_per_second = e.sequences_per_second * static_cast<double>(in.context);
  e.notes.push_back("prefill only: one bidirectional forward per text, no decode steps; padded batches cost the "
                    "longest text's tokens");
  e.notes.insert(e.notes.end(), k.notes.begin(), k.notes.end());
  return e;
}

}  // namespace llmsizer
