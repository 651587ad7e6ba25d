// Inference memory terms: weights per rank, KV cache, activation peak, runtime overhead.
#include "model/memory.h"

#include <algorithm>
#include <cmath>

#include "gguf/quantize.h"
#include "units.h"

namespace llmsizer {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? a : (a + b - 1) / b; }

bool quantised_role(const WeightFormat& f, TensorRole role) {
  if (f.method == QuantMethod::kNone) return false;
  if (f.experts_only) return role == TensorRole::kExperts;
  return role == TensorRole::kAttention || role == TensorRole::kMlp || role == TensorRole::kExperts ||
         role == TensorRole::kSharedExperts || role == TensorRole::kMtp;
}

}  // namespace

std::vector<Stage> pipeline_stages(int64_t num_layers, int64_t pp) {
  pp = std::max<int64_t>(1, std::min(pp, num_layers));
  std::vector<int64_t> sizes(static_cast<size_t>(pp), num_layers / pp);
  const int64_t rem = num_layers % pp;
  for (int64_t i = 2; i < rem + 2; ++i) sizes[static_cast<size_t>(pp - i)] += 1;
  std::vector<Stage> out;
  int64_t start = 0;
  for (int64_t i = 0; i < pp; ++i) {
    Stage s;
    s.index = i;
    s.first_layer = start;
    s.end_layer = start + sizes[static_cast<size_t>(i)];
    s.first = i == 0;
    s.last = i == pp - 1;
    start = s.end_layer;
    out.push_back(s);
  }
  return out;
}

std::string tp_problem(const ModelSpec& m, int64_t tp) {
  if (tp <= 1 || m.layers.empty()) return {};
  const AttentionSpec& a = m.layers.front().attn;
  if (a.num_heads % tp != 0) {
    return "tensor parallel size " + std::to_string(tp) + " does not divide the " + std::to_string(a.num_heads) +
           " attention heads";
  }
  if (!a.mla && a.num_kv_heads % tp != 0 && tp % a.num_kv_heads != 0) {
    return "tensor parallel size " + std::to_string(tp) + " and the " + std::to_string(a.num_kv_heads) +
           " KV heads do not divide one another";
  }
  return {};
}

ShardShape shard_shape(Shard shard, int64_t rows, int64_t cols, int64_t heads, int64_t tp, int64_t vocab_padding) {
  tp = std::max<int64_t>(1, tp);
  ShardShape s{rows, cols};
  switch (shard) {
    case Shard::kReplicated: break;
    case Shard::kColumn: s.rows = ceil_div(rows, tp); break;
    case Shard::kRow: s.cols = ceil_div(cols, tp); break;
    case Shard::kVocab: {
      const int64_t pad = std::max<int64_t>(1, vocab_padding);
      s.rows = ceil_div(ceil_div(rows, pad) * pad, tp);
      break;
    }
    case Shard::kKvHeads: {
      const int64_t h = std::max<int64_t>(1, heads);
      s.rows = std::max<int64_t>(1, h / tp) * (rows / h);
      break;
    }
  }
  return s;
}

RankWeights rank_weights(const ModelSpec& m, const WeightFormat& f, int64_t tp, bool include_mtp,
                         int64_t vocab_padding, bool rope_cache) {
  // GGUF file types: per-tensor ggml types (llama-quantize's rules) or a file's exact tensor table.
  if (f.method == QuantMethod::kGguf) return gguf_rank_weights(m, f, tp, vocab_padding, rope_cache);
  tp = std::max<int64_t>(1, tp);
  RankWeights w;
  const Dtype plain = f.dtype;  // unquantised tensors: the format's 16-bit (or plain) dtype
  const int64_t num_layers = m.num_hidden_layers();
  w.layer_bytes.assign(static_cast<size_t>(num_layers), 0.0);
  w.layer_params.assign(static_cast<size_t>(num_layers), 0);
  auto cost = [&](const TensorGroup& t, double* bytes, int64_t* params) {
    const ShardShape sh = shard_shape(t, tp, vocab_padding);
    const int64_t rows = sh.rows;
    const int64_t cols = sh.cols;
    *params += rows * cols * t.count;
    if (t.matrix && quantised_role(f, t.role)) {
      *bytes += quantized_matrix_bytes(f, rows, cols) * static_cast<double>(t.count);
    } else {
      *bytes += plain_bytes(plain, static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(t.count));
    }
  };
  for (const TensorGroup& t : weight_tensors(m, include_mtp)) {
    if (t.layer == -1) {
      cost(t, &w.first_bytes, &w.first_params);
    } else if (t.layer == -2 || t.layer >= num_layers) {
      cost(t, &w.last_bytes, &w.last_params);  // final norm, head, MTP modules after the last layer
    } else {
      cost(t, &w.layer_bytes[static_cast<size_t>(t.layer)], &w.layer_params[static_cast<size_t>(t.layer)]);
    }
  }
  // Tied embeddings with pipeline parallelism: the last stage builds its own LM head from the
  // embedding weights (vLLM ParallelLMHead on the last PP rank), so the matrix exists twice.
  if (m.tie_word_embeddings) {
    TensorGroup head;
    head.role = TensorRole::kLmHead;
    head.rows = m.vocab_size;
    head.cols = m.embed_proj_dim > 0 ? m.embed_proj_dim : m.hidden_size;
    head.shard = Shard::kVocab;
    cost(head, &w.tied_head_bytes, &w.tied_head_params);
  }
  if (rope_cache && m.rotary_dim > 0 && m.max_position_embeddings > 0) {
    w.buffers = static_cast<double>(m.max_position_embeddings) * static_cast<double>(m.rotary_dim) *
                dtype_bits(plain) / 8.0;
  }
  return w;
}

WeightBytes stage_weights(const RankWeights& w, const Stage& stage) {
  WeightBytes out;
  for (int64_t i = stage.first_layer; i < stage.end_layer && i < static_cast<int64_t>(w.layer_bytes.size()); ++i) {
    out.tensors += w.layer_bytes[static_cast<size_t>(i)];
    out.parameters += w.layer_params[static_cast<size_t>(i)];
  }
  if (stage.first) {
    out.tensors += w.first_bytes;
    out.parameters += w.first_params;
  }
  if (stage.last) {
    out.tensors += w.last_bytes;
    out.parameters += w.last_params;
    if (!stage.first) {
      out.tensors += w.tied_head_bytes;
      out.parameters += w.tied_head_params;
    }
  }
  out.buffers = w.buffers;
  return out;
}

WeightBytes weight_bytes_rank(const ModelSpec& m, const WeightFormat& f, int64_t tp, const Stage& stage,
                              bool include_mtp, int64_t vocab_padding, bool rope_cache) {
  return stage_weights(rank_weights(m, f, tp, include_mtp, vocab_padding, rope_cache), stage);
}

namespace {
/// Mllama's cross-attention layers (VisionSpec::cross_attention_layers) cache the image tokens, not the text's.
bool cross_attention_layer(const ModelSpec& m, int64_t i) {
#if LLMSIZER_LITE  // no vision towers in the lite module
  (void)m;
  (void)i;
  return false;
#else
  const std::vector<int64_t>& c = m.vision.cross_attention_layers;
  return !c.empty() && std::find(c.begin(), c.end(), i) != c.end();
#endif
}
}  // namespace

double kv_bytes_per_token_rank(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage) {
  double sum = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    if (cross_attention_layer(m, i)) continue;
    sum += kv_bytes_per_token_layer(m.layers[static_cast<size_t>(i)].attn, kv, tp);
  }
  return sum;
}

double kv_bytes_per_sequence_rank(const ModelSpec& m, Dtype kv, int64_t tp, const Stage& stage, int64_t context) {
  double sum = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const AttentionSpec& a = m.layers[static_cast<size_t>(i)].attn;
    const int64_t tokens = cross_attention_layer(m, i) ? m.vision.cross_tokens
                           : a.sliding_window > 0  ? std::min(context, a.sliding_window)
                                                   : context;
    sum += static_cast<double>(tokens) * kv_bytes_per_token_layer(a, kv, tp);
  }
  return sum;
}

ActivationPeak activation_peak_rank(const ModelSpec& m, Dtype act, int64_t tp, const Stage& stage, int64_t tokens,
                                    int64_t sequences) {
  // Inference keeps no activations for backward: layers run one after another and free their
  // intermediates, so the peak is the residual stream plus the largest transient inside one layer
  // (what vLLM's profiling run measures: vllm/v1/worker/gpu_worker.py determine_available_memory).
  // Attention is FlashAttention-style: no tokens x tokens score matrix is materialised.
  tp = std::max<int64_t>(1, tp);
  const double a = dtype_bits(act) / 8.0;
  const double t = static_cast<double>(std::max<int64_t>(0, tokens));
  const double h = static_cast<double>(m.hidden_size);
  ActivationPeak p;
  double worst_layer = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const LayerSpec& l = m.layers[static_cast<size_t>(i)];
    const AttentionSpec& at = l.attn;
    const double heads = static_cast<double>(ceil_div(at.num_heads, tp));
    const double kvh = static_cast<double>(std::max<int64_t>(1, at.num_kv_heads / tp));
    double attn;
    if (at.mla) {
      // q (heads x (nope+rope)), latent kv (kv_lora + rope), decompressed k/v per head, output.
      attn = t * (heads * static_cast<double>(at.qk_nope_head_dim + at.qk_rope_head_dim) +
                  static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim) +
                  heads * static_cast<double>(at.qk_nope_head_dim + at.v_head_dim) +
                  heads * static_cast<double>(at.v_head_dim) + h);
    } else {
      // fused qkv output, attention output, o_proj output.
      attn = t * (heads * static_cast<double>(at.head_dim) + kvh * static_cast<double>(at.head_dim + at.v_head_dim) +
                  heads * static_cast<double>(at.v_head_dim) + h);
    }
    double mlp = 0;
    const MlpSpec& f = l.mlp;
    if (f.is_moe()) {
      // Fused MoE (vllm/model_executor/layers/fused_moe/fused_moe.py): intermediate_cache1 (T*k x 2I),
      // cache2 (T*k x I), cache3 (T*k x h), plus fp32 router logits (T x E).
      // (Elements here are in the activation dtype; the fp32 router logits count as 4/a elements each.)
      const double ie = static_cast<double>(ceil_div(f.expert_intermediate_size, tp));
      const double k = static_cast<double>(f.experts_per_token);
      mlp = t * k * ((f.gated ? 3.0 : 2.0) * ie + h) + t * static_cast<double>(f.num_experts) * 4.0 / a;
      if (f.num_shared_experts > 0) {
        // Shared experts run as a separate dense MLP before or after the routed ones: not concurrent.
        const double si = static_cast<double>(ceil_div(f.shared_intermediate_size * f.num_shared_experts, tp));
        mlp = std::max(mlp, t * ((f.gated ? 3.0 : 2.0) * si + h));
      }
    }
    if (f.intermediate_size > 0) {
      // gate+up output (2I), activation output (I), down output (h); plain MLPs: up (I), act (I), down (h).
      const double inter = static_cast<double>(ceil_div(f.intermediate_size, tp));
      mlp = std::max(mlp, t * ((f.gated ? 3.0 : 2.0) * inter + h));
    }
    // Residual stream + normed input stay live across the block.
    const double layer = (2.0 * t * h + std::max(attn, mlp)) * a;
    worst_layer = std::max(worst_layer, layer);
  }
  p.layer_bytes = worst_layer;
  if (stage.last) {
    // Logits only for the rows that sample (the last token of each sequence, as engines do): 16-bit
    // from the LM head, then an fp32 copy for sampling (vllm/v1/sample/sampler.py: logits.to(float32)),
    // with the full vocabulary gathered on every rank.
    const double rows = static_cast<double>(std::max<int64_t>(1, std::min(sequences, std::max<int64_t>(1, tokens))));
    p.logits_bytes = t * h * a + rows * static_cast<double>(m.vocab_size) * (a + 4.0);
  }
  return p;
}

int64_t default_overhead_bytes(const GpuSpec& gpu, int64_t tp) {
  (void)gpu;
  // CUDA context with PyTorch's kernels (~500 MiB on Ampere/Hopper, as nvidia-smi shows for an idle
  // process after torch.cuda.init()) + cuBLAS/cuDNN workspaces and allocator slack (~256 MiB).
  int64_t bytes = kCudaContextBytes + 256 * kMiB;
  // NCCL communicator buffers with tensor parallelism (NCCL_BUFFSIZE 4 MiB per channel and peer,
  // plus the engine's custom all-reduce buffers): ~512 MiB.
  if (tp > 1) bytes += 512 * kMiB;
  return bytes;
}

}  // namespace llmsizer
