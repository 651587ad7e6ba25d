// The model's weight tensors, parameter counts by component, and KV bytes per token.
//
// Shapes follow the Hugging Face modelling files (transformers/models/<type>/modeling_<type>.py): the
// tensor list is what `model.named_parameters()` yields, grouped. Exact totals checked in
// tests/model_test.cpp (Llama-2-7B 6,738,415,616; Mixtral-8x7B 46,702,792,704; gpt2 124,439,808; ...).
#include "model/model.h"

#include <algorithm>

namespace llmsizer {

const char* tensor_role_name(TensorRole r) {
  switch (r) {
    case TensorRole::kEmbedding: return "embeddings";
    case TensorRole::kPosition: return "position_embeddings";
    case TensorRole::kAttention: return "attention";
    case TensorRole::kMlp: return "mlp";
    case TensorRole::kExperts: return "experts";
    case TensorRole::kSharedExperts: return "shared_experts";
    case TensorRole::kRouter: return "router";
    case TensorRole::kNorm: return "norms";
    case TensorRole::kLmHead: return "lm_head";
    case TensorRole::kVision: return "vision";
    case TensorRole::kMtp: return "mtp";
    case TensorRole::kHead: return "head";
  }
  return "other";
}

const char* model_kind_name(ModelKind k) {
  return k == ModelKind::kEncoder ? "encoder" : k == ModelKind::kVisionLanguage ? "vision-language" : "decoder";
}

namespace {

struct Builder {
  std::vector<TensorGroup>& out;
  TensorRole role_override;  // kMtp for the MTP copy of a layer, else kAttention (ignored)
  bool use_override = false;

  void add(TensorRole role, int32_t layer, int64_t rows, int64_t cols, int64_t count, bool matrix, Shard shard,
           const char* name, int64_t heads = 0) {
    if (rows <= 0 || cols <= 0 || count <= 0) return;
    TensorGroup t;
    t.role = use_override ? role_override : role;
    t.layer = layer;
    t.rows = rows;
    t.cols = cols;
    t.count = count;
    t.matrix = matrix;
    t.shard = shard;
    t.heads = heads;
    t.name = name;
    out.push_back(t);
  }
};

void add_norm(Builder& b, const ModelSpec& m, int32_t layer, int64_t width, int64_t count, const char* name) {
  // LayerNorm: weight + bias; RMSNorm: weight only.
  const int64_t per = m.norm == NormKind::kLayerNorm && m.norm_bias ? 2 : 1;
  b.add(TensorRole::kNorm, layer, width, 1, count * per, false, Shard::kReplicated, name);
}

void add_attention(Builder& b, const ModelSpec& m, const AttentionSpec& a, int32_t l) {
  const int64_t h = m.hidden_size;
  if (a.mla) {
    // DeepSeek-V2/V3 MLA (modeling_deepseek.py DeepseekV2Attention / vLLM deepseek_v2.py):
    // q_a_proj + q_a_layernorm + q_b_proj (or q_proj when q_lora_rank is null), kv_a_proj_with_mqa,
    // kv_a_layernorm, kv_b_proj, o_proj. The down-projections are replicated under TP.
    const int64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      b.add(TensorRole::kAttention, l, a.q_lora_rank, h, 1, true, Shard::kReplicated, "q_a_proj");
      b.add(TensorRole::kAttention, l, a.q_lora_rank, 1, 1, false, Shard::kReplicated, "q_a_layernorm");
      b.add(TensorRole::kAttention, l, a.num_heads * qk_head, a.q_lora_rank, 1, true, Shard::kColumn, "q_b_proj");
    } else {
      b.add(TensorRole::kAttention, l, a.num_heads * qk_head, h, 1, true, Shard::kColumn, "q_proj");
    }
    b.add(TensorRole::kAttention, l, a.kv_lora_rank + a.qk_rope_head_dim, h, 1, true, Shard::kReplicated,
          "kv_a_proj_with_mqa");
    b.add(TensorRole::kAttention, l, a.kv_lora_rank, 1, 1, false, Shard::kReplicated, "kv_a_layernorm");
    b.add(TensorRole::kAttention, l, a.num_heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, 1, true,
          Shard::kColumn, "kv_b_proj");
    b.add(TensorRole::kAttention, l, h, a.num_heads * a.v_head_dim, 1, true, Shard::kRow, "o_proj");
    return;
  }
  b.add(TensorRole::kAttention, l, a.num_heads * a.head_dim, h, 1, true, Shard::kColumn, "q_proj");
  b.add(TensorRole::kAttention, l, a.num_kv_heads * a.head_dim, h, 1, true, Shard::kKvHeads, "k_proj",
        a.num_kv_heads);
  b.add(TensorRole::kAttention, l, a.num_kv_heads * a.v_head_dim, h, 1, true, Shard::kKvHeads, "v_proj",
        a.num_kv_heads);
  b.add(TensorRole::kAttention, l, h, a.num_heads * a.v_head_dim, 1, true, Shard::kRow, "o_proj");
  if (a.qkv_bias) {
    b.add(TensorRole::kAttention, l, a.num_heads * a.head_dim, 1, 1, false, Shard::kColumn, "q_bias");
    b.add(TensorRole::kAttention, l, a.num_kv_heads * a.head_dim, 1, 1, false, Shard::kKvHeads, "k_bias",
          a.num_kv_heads);
    b.add(TensorRole::kAttention, l, a.num_kv_heads * a.v_head_dim, 1, 1, false, Shard::kKvHeads, "v_bias",
          a.num_kv_heads);
  }
  if (a.o_bias) b.add(TensorRole::kAttention, l, h, 1, 1, false, Shard::kReplicated, "o_bias");
  if (a.qk_norm) {
    // Qwen3 / Gemma 3 q_norm and k_norm: RMSNorm over head_dim, shared by all heads.
    b.add(TensorRole::kAttention, l, a.head_dim, 1, 2, false, Shard::kReplicated, "qk_norm");
  }
  if (a.sinks) b.add(TensorRole::kAttention, l, a.num_heads, 1, 1, false, Shard::kColumn, "sinks");
}

void add_dense_mlp(Builder& b, const ModelSpec& m, const MlpSpec& p, int32_t l, TensorRole role, int64_t width,
                   const char* gate_name, const char* up_name, const char* down_name) {
  const int64_t h = m.hidden_size;
  if (width <= 0) return;
  if (p.gated) b.add(role, l, width, h, 1, true, Shard::kColumn, gate_name);
  b.add(role, l, width, h, 1, true, Shard::kColumn, up_name);
  b.add(role, l, h, width, 1, true, Shard::kRow, down_name);
  if (p.bias) {
    b.add(role, l, width * (p.gated ? 2 : 1), 1, 1, false, Shard::kColumn, "mlp_bias_in");
    b.add(role, l, h, 1, 1, false, Shard::kReplicated, "mlp_bias_out");
  }
}

void add_layer(Builder& b, const ModelSpec& m, const LayerSpec& layer, int32_t l) {
  const int64_t h = m.hidden_size;
  add_attention(b, m, layer.attn, l);
  const MlpSpec& p = layer.mlp;
  if (p.is_moe()) {
    b.add(TensorRole::kRouter, l, p.num_experts, h, 1, false, Shard::kReplicated, "router");
    if (p.router_bias) b.add(TensorRole::kRouter, l, p.num_experts, 1, 1, false, Shard::kReplicated, "router_bias");
    if (p.router_score_bias) {
      b.add(TensorRole::kRouter, l, p.num_experts, 1, 1, false, Shard::kReplicated, "e_score_correction_bias");
    }
    const int64_t ie = p.expert_intermediate_size;
    // vLLM FusedMoE: w13 (gate+up) column-split and w2 row-split over TP ranks (no expert parallelism
    // by default): vllm/model_executor/layers/fused_moe/layer.py.
    b.add(TensorRole::kExperts, l, ie * (p.gated ? 2 : 1), h, p.num_experts, true, Shard::kColumn, "experts.w13");
    b.add(TensorRole::kExperts, l, h, ie, p.num_experts, true, Shard::kRow, "experts.w2");
    if (p.bias) {
      b.add(TensorRole::kExperts, l, ie * (p.gated ? 2 : 1), 1, p.num_experts, false, Shard::kColumn,
            "experts.w13_bias");
      b.add(TensorRole::kExperts, l, h, 1, p.num_experts, false, Shard::kReplicated, "experts.w2_bias");
    }
    if (p.num_shared_experts > 0 && p.shared_intermediate_size > 0) {
      add_dense_mlp(b, m, p, l, TensorRole::kSharedExperts, p.shared_intermediate_size * p.num_shared_experts,
                    "shared.gate_proj", "shared.up_proj", "shared.down_proj");
    }
    if (p.shared_expert_gate) b.add(TensorRole::kSharedExperts, l, 1, h, 1, false, Shard::kReplicated, "shared_expert_gate");
  }
  if (p.intermediate_size > 0) {
    add_dense_mlp(b, m, p, l, TensorRole::kMlp, p.intermediate_size, "gate_proj", "up_proj", "down_proj");
  }
  add_norm(b, m, l, h, layer.norms, "layer_norms");
}

}  // namespace

std::vector<TensorGroup> weight_tensors(const ModelSpec& m, bool include_mtp) {
  std::vector<TensorGroup> out;
  // ~20 groups per layer at most (MLA, MoE with shared experts and biases): one allocation.
  out.reserve(m.layers.size() * 20 + 16);
  Builder b{out, TensorRole::kAttention};
  const int64_t h = m.hidden_size;
  const int64_t embed_dim = m.embed_proj_dim > 0 ? m.embed_proj_dim : h;
  // Encoders list their own embeddings (model/encoder.cpp: word, positions, token types) in encoder.extras.
  if (m.kind != ModelKind::kEncoder) {
    b.add(TensorRole::kEmbedding, -1, m.vocab_size, embed_dim, 1, false, Shard::kVocab, "embed_tokens");
  }
  if (m.learned_position_rows > 0) {
    b.add(TensorRole::kPosition, -1, m.learned_position_rows, h, 1, false, Shard::kReplicated, "embed_positions");
  }
  if (embed_dim != h) {
    // OPT-350m: project_in (proj_dim -> hidden) and project_out (hidden -> proj_dim), no bias.
    b.add(TensorRole::kEmbedding, -1, h, embed_dim, 1, false, Shard::kReplicated, "project_in");
    b.add(TensorRole::kEmbedding, -2, embed_dim, h, 1, false, Shard::kReplicated, "project_out");
  }
  for (const ExtraTensor& x : m.encoder.extras) {
    if (x.layer == -1) b.add(static_cast<TensorRole>(x.role), -1, x.rows, x.cols, 1, x.matrix, Shard::kReplicated, x.name);
  }
  for (size_t i = 0; i < m.layers.size(); ++i) add_layer(b, m, m.layers[i], static_cast<int32_t>(i));
  for (const ExtraTensor& x : m.encoder.extras) {
    if (x.layer != -1) b.add(static_cast<TensorRole>(x.role), -2, x.rows, x.cols, 1, x.matrix, Shard::kReplicated, x.name);
  }
  if (m.final_norm) add_norm(b, m, -2, h, 1, "final_norm");
  if (!m.tie_word_embeddings) {
    b.add(TensorRole::kLmHead, -2, m.vocab_size, embed_dim, 1, false, Shard::kVocab, "lm_head");
  }
  if (m.lm_head_bias) b.add(TensorRole::kLmHead, -2, m.vocab_size, 1, 1, false, Shard::kVocab, "lm_head_bias");
#if !LLMSIZER_LITE  // the lite module refuses configs with a vision tower (config.cpp)
  if (m.vision.parameters > 0) {
    // Tower and projector (model/vision.cpp), replicated on every rank that holds the first stage.
    const int64_t proj = m.vision.projector_parameters;
    b.add(TensorRole::kVision, -1, m.vision.parameters - proj, 1, 1, false, Shard::kReplicated, "vision_tower");
    if (proj > 0) b.add(TensorRole::kVision, -1, proj, 1, 1, false, Shard::kReplicated, "vision_projector");
  }
  // Mllama's text weights outside the usual layers (transformers modeling_mllama.py): embed_tokens has
  // vocab_size + 8 rows, and each cross-attention layer has q/k norms and two tanh gates.
  if (m.vision.text_extra_embedding_rows > 0) {
    b.add(TensorRole::kEmbedding, -1, m.vision.text_extra_embedding_rows, embed_dim, 1, false, Shard::kReplicated,
          "embed_tokens_extra");
  }
  if (m.vision.text_extra_parameters > 0) {
    b.add(TensorRole::kNorm, -1, m.vision.text_extra_parameters, 1, 1, false, Shard::kReplicated,
          "cross_attn_norms_gates");
  }
#endif
  if (include_mtp && m.mtp_layers > 0 && !m.layers.empty()) {
    // DeepSeek-V3 MTP module (arXiv:2412.19437 §2.2; checkpoint model.layers.61.*): per module an
    // enorm, hnorm, eh_proj (2h -> h), one decoder layer like the last one, shared_head.norm, and the
    // checkpoint's own copies of embed_tokens and shared_head.head (vocab x h each).
    Builder mb{out, TensorRole::kMtp, true};
    for (int64_t k = 0; k < m.mtp_layers; ++k) {
      const int32_t l = static_cast<int32_t>(m.layers.size() + k);
      add_norm(mb, m, l, h, 3, "mtp_norms");
      mb.add(TensorRole::kMtp, l, h, 2 * h, 1, true, Shard::kReplicated, "mtp.eh_proj");
      add_layer(mb, m, m.layers.back(), l);
      mb.add(TensorRole::kMtp, l, m.vocab_size, h, 1, false, Shard::kVocab, "mtp.embed_tokens");
      mb.add(TensorRole::kMtp, l, m.vocab_size, h, 1, false, Shard::kVocab, "mtp.shared_head");
    }
  }
  return out;
}

ParameterCounts count_parameters(const ModelSpec& m) {
  ParameterCounts c;
  for (const TensorGroup& t : weight_tensors(m, /*include_mtp=*/false)) {
    const int64_t n = t.elements();
    switch (t.role) {
      case TensorRole::kEmbedding:
      case TensorRole::kPosition: c.embeddings += n; break;
      case TensorRole::kAttention: c.attention += n; break;
      case TensorRole::kMlp: c.mlp += n; break;
      case TensorRole::kExperts: c.experts += n; break;
      case TensorRole::kSharedExperts: c.shared_experts += n; break;
      case TensorRole::kRouter: c.router += n; break;
      case TensorRole::kNorm: c.norms += n; break;
      case TensorRole::kLmHead: c.lm_head += n; break;
      case TensorRole::kVision: c.vision += n; break;
      case TensorRole::kMtp: c.mtp += n; break;
      case TensorRole::kHead: c.head += n; break;
    }
  }
  c.total = c.embeddings + c.attention + c.mlp + c.experts + c.shared_experts + c.router + c.norms + c.lm_head +
            c.vision + c.head;
  if (m.mtp_layers > 0) {
    for (const TensorGroup& t : weight_tensors(m, /*include_mtp=*/true)) {
      if (t.role == TensorRole::kMtp) c.mtp += t.elements();
    }
  }
  // Active per token: a token passes through top-k of the routed experts only (Switch Transformer,
  // arXiv:2101.03961; "active parameters" as Mixtral and DeepSeek report them, embeddings included).
  c.active = c.total;
  for (const LayerSpec& l : m.layers) {
    const MlpSpec& p = l.mlp;
    if (!p.is_moe()) continue;
    const int64_t ie = p.expert_intermediate_size;
    int64_t per_expert = (p.gated ? 3 : 2) * m.hidden_size * ie;
    if (p.bias) per_expert += ie * (p.gated ? 2 : 1) + m.hidden_size;
    c.active -= (p.num_experts - std::min(p.experts_per_token, p.num_experts)) * per_expert;
  }
  return c;
}

std::string attention_kind(const ModelSpec& m) {
  if (m.layers.empty()) return "MHA";
  const AttentionSpec& a = m.layers.front().attn;
  if (a.mla) return "MLA";
  if (a.num_kv_heads == 1 && a.num_heads > 1) return "MQA";
  if (a.num_kv_heads < a.num_heads) return "GQA";
  return "MHA";
}

double kv_bytes_per_token_layer(const AttentionSpec& a, Dtype kv_dtype, int64_t tp) {
  const double bytes = dtype_bits(kv_dtype) / 8.0;
  if (a.mla) return static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim) * bytes;
  const int64_t t = std::max<int64_t>(1, tp);
  const int64_t heads = std::max<int64_t>(1, a.num_kv_heads / t);
  return static_cast<double>(heads) * static_cast<double>(a.head_dim + a.v_head_dim) * bytes;
}

}  // namespace llmsizer
