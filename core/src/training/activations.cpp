// Fine-tuning activations: what the forward pass keeps for the backward pass, per decoder layer and for the
// head and the loss (Korthikanti et al. 2022, arXiv:2205.05198 §4.1 Table 2, §4.2; adapted term by term to
// the real shapes). Declared in training.h.
#include <algorithm>
#include <cmath>

#include "training/training.h"

namespace llmsizer {

// ---------------------------------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------------------------------

namespace {

// Gemma 2 soft-caps its logits (config final_logit_softcapping = 30.0; Gemma 3's default is None).
bool final_logit_softcap(const ModelSpec& m) { return m.family == "gemma2"; }

// Bytes of the fp32 statistics a norm keeps per token: RMSNorm 1/rms; LayerNorm mean and 1/std
// (apex/Megatron fused norms, torch native_layer_norm's saved mean/rstd).
double norm_stat_bytes(const ModelSpec& m) { return m.norm == NormKind::kLayerNorm ? 8.0 : 4.0; }

TrainableLinears lora_trainable(const LoraSetup& lora, int32_t layer) {
  TrainableLinears t = TrainableLinears::none();
  // With lora_dropout > 0 the A matrix reads dropout(x), a new tensor counted with the adapter; the base
  // layer is frozen, so x itself is no longer needed (PEFT Linear.forward: lora_A(dropout(x))).
  if (lora.dropout > 0) return t;
  for (const LoraAdapter& a : lora.adapters) {
    if (a.layer != layer) continue;
    switch (a.slot) {
      case LoraSlot::kAttnIn: t.qkv = true; break;
      case LoraSlot::kQB: t.q_b = true; break;
      case LoraSlot::kKVB: t.kv_b = true; break;
      case LoraSlot::kO: t.o = true; break;
      case LoraSlot::kMlpIn: t.mlp_in = true; break;
      case LoraSlot::kDown: t.down = true; break;
      case LoraSlot::kExpertsIn: t.experts_in = true; break;
      case LoraSlot::kExpertsDown: t.experts_down = true; break;
    }
  }
  return t;
}

// What the adapters of one layer keep: A·x (r values per token, in the compute dtype under autocast) for
// B's weight gradient, and with lora_dropout the dropped input (compute dtype) + its bool mask (1 byte).
double lora_layer_bytes(const LoraSetup& lora, int32_t layer, double tokens, double e) {
  double bytes = 0;
  for (const LoraAdapter& a : lora.adapters) {
    if (a.layer != layer) continue;
    const double t = tokens * a.token_share * static_cast<double>(a.copies);
    bytes += t * e * static_cast<double>(lora.rank);
    if (lora.dropout > 0) bytes += t * (e + 1.0) * static_cast<double>(a.in);
  }
  return bytes;
}

}  // namespace

double layer_activation_bytes(const ModelSpec& m, const LayerSpec& layer, const ActivationOptions& o,
                              const TrainableLinears& tr) {
  // Notation of Korthikanti et al. §4.1: s sequence, b micro-batch, h hidden, a heads; e bytes per element.
  // Their Table 2 GPT block, 16-bit with dropout, keeps per layer:
  //   attention 11sbh + 5as²b: QKV input 2sbh, Q and K 4sbh, softmax output 2as²b, its dropout mask as²b,
  //             the dropped probabilities 2as²b, V 2sbh, output-projection input 2sbh, dropout mask sbh;
  //   MLP 19sbh: first linear input 2sbh, GeLU input 8sbh, second linear input 8sbh, dropout mask sbh;
  //   2 LayerNorms 4sbh  ->  sbh(34 + 5as/h).
  // Below each term is written from the layer's real shapes, so GQA (smaller K/V), MLA, gated MLPs (gate,
  // up, activation and their product), MoE (top-k routed copies), RMSNorm, FlashAttention (no s² terms)
  // and frozen linear layers (no saved input) follow without special cases.
  const double b = static_cast<double>(o.micro_batch);
  const double s = static_cast<double>(o.seq_len);
  const double t = b * s;  // tokens
  const double e = o.bytes;
  const double h = static_cast<double>(m.hidden_size);
  const AttentionSpec& a = layer.attn;
  const double heads = static_cast<double>(a.num_heads);
  const double kv_heads = static_cast<double>(a.num_kv_heads);
  const double stat = norm_stat_bytes(m);
  double bytes = 0;

  // ---- norms: each keeps its input (and fp32 statistics, which Korthikanti neglects) ----
  bytes += static_cast<double>(layer.norms) * (e * t * h + stat * t);

  // ---- attention ----
  if (tr.qkv) bytes += e * t * h;  // the attention input, read by the q/k/v weight gradients
  double o_width = heads * static_cast<double>(a.v_head_dim);  // attention output = o_proj input
  if (a.mla) {
    // MLA (arXiv:2405.04434 §2.1; modeling_deepseek.py): latent norms keep their inputs; q_b / kv_b keep their
    // normed inputs when they train; attention keeps Q, K (nope + rope per head) and V.
    const double qk_head = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
    if (a.q_lora_rank > 0) {
      bytes += e * t * static_cast<double>(a.q_lora_rank) + 4.0 * t;  // q_a_layernorm input + 1/rms
      if (tr.q_b) bytes += e * t * static_cast<double>(a.q_lora_rank);
    }
    bytes += e * t * static_cast<double>(a.kv_lora_rank) + 4.0 * t;  // kv_a_layernorm input + 1/rms
    if (tr.kv_b) bytes += e * t * static_cast<double>(a.kv_lora_rank);
    bytes += e * t * heads * (2.0 * qk_head + static_cast<double>(a.v_head_dim));  // Q, K, V
  } else {
    // Q (a heads) and K, V (kv heads: GQA/MQA keep less), after RoPE: what attention's backward reads.
    bytes += e * t * (heads * static_cast<double>(a.head_dim) + kv_heads * static_cast<double>(a.head_dim) +
                      kv_heads * static_cast<double>(a.v_head_dim));
    if (a.qk_norm) {
      // Qwen3 / Gemma 3 per-head q_norm, k_norm: their inputs + 1/rms per head.
      bytes += e * t * (heads + kv_heads) * static_cast<double>(a.head_dim) + 4.0 * t * (heads + kv_heads);
    }
  }
  if (o.flash_attention) {
    // FlashAttention keeps the output O and the fp32 log-sum-exp per head and token, and recomputes the
    // s x s scores in its backward (Dao et al. 2022, arXiv:2205.14135 §3.1; flash_attn softmax_lse fp32).
    bytes += e * t * o_width + 4.0 * t * heads;
  } else {
    const double s_kv = a.sliding_window > 0 ? std::min<double>(s, static_cast<double>(a.sliding_window)) : s;
    if (o.checkpointing != Checkpointing::kSelective) {
      // Softmax output 2as²b (+ dropout mask as²b and dropped probabilities 2as²b). Selective
      // recomputation (Korthikanti §4.2) drops exactly these and recomputes them in the backward.
      bytes += e * b * heads * s * s_kv;
      if (o.dropout) bytes += (1.0 + e) * b * heads * s * s_kv;
    }
    if (tr.o) bytes += e * t * o_width;
  }
  if (o.dropout) bytes += t * h;  // residual dropout mask after attention (1 byte per value)

  // ---- feed-forward ----
  const MlpSpec& p = layer.mlp;
  auto mlp = [&](double width, double tokens, bool keep_in, bool keep_down) {
    double x = keep_in ? e * tokens * h : 0;
    // Gated (SwiGLU/GeGLU, down(act(gate(x)) * up(x))): gate output (activation backward), activation output
    // and up output (the product's backward): 3 tensors of `width`. Non-gated: the activation input.
    x += (p.gated ? 3.0 : 1.0) * e * tokens * width;
    if (keep_down) x += e * tokens * width;  // the down projection's input (its weight gradient)
    return x;
  };
  // Parallel blocks (one norm per layer: Falcon, Phi-2) feed attention and MLP the same normed tensor: kept once.
  const bool same_input = layer.norms == 1 && tr.qkv;
  if (p.intermediate_size > 0) {
    bytes += mlp(static_cast<double>(p.intermediate_size), t, tr.mlp_in && !same_input, tr.down);
  }
  if (p.is_moe()) {
    const double experts = static_cast<double>(p.num_experts);
    const double slots = t * static_cast<double>(std::min(p.experts_per_token, p.num_experts));  // token x top-k
    if (tr.mlp_in && p.intermediate_size <= 0 && !same_input) bytes += e * t * h;  // for the router's gradient
    bytes += 4.0 * t * experts;  // router softmax output, fp32 (modeling_mixtral.py: softmax(..., dtype=float))
    // Routed experts (transformers MixtralSparseMoeBlock): each routed copy of a token passes through one
    // expert; its gathered input is kept when the expert trains, its output always (for the routing weight).
    bytes += mlp(static_cast<double>(p.expert_intermediate_size), slots, tr.experts_in, tr.experts_down);
    bytes += e * slots * h;
    if (p.num_shared_experts > 0 && p.shared_intermediate_size > 0) {
      const double w = static_cast<double>(p.shared_intermediate_size * p.num_shared_experts);
      bytes += mlp(w, t, false, tr.down);
      if (p.shared_expert_gate) bytes += e * t * h;  // the shared output, for its sigmoid gate's product
    }
  }
  if (o.dropout) bytes += t * h;  // residual dropout mask after the MLP
  return bytes;
}

ActivationBytes activation_bytes(const ModelSpec& m, const ActivationOptions& o, const LoraSetup* lora) {
  ActivationBytes out;
  const double t = static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len);
  const double e = o.bytes;
  const double h = static_cast<double>(m.hidden_size);
  ActivationOptions per_layer = o;
  if (o.checkpointing == Checkpointing::kFull) per_layer.checkpointing = Checkpointing::kNone;  // recomputed as-is
  double sum = 0;
  double largest = 0;
  double lora_sum = 0;
  double lora_of_largest = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const int32_t l = static_cast<int32_t>(i);
    const TrainableLinears tr = lora ? lora_trainable(*lora, l) : TrainableLinears{};
    const double extra = lora ? lora_layer_bytes(*lora, l, t, e) : 0;
    const double x = layer_activation_bytes(m, m.layers[i], per_layer, tr) + extra;
    sum += x;
    lora_sum += extra;
    if (x > largest) {
      largest = x;
      lora_of_largest = extra;
    }
  }
  out.largest_layer = largest;
  if (o.checkpointing == Checkpointing::kFull) {
    // Full recomputation (Chen et al. 2016, arXiv:1604.06174; transformers gradient_checkpointing): each
    // layer keeps only its input, e·sbh; in the backward one layer at a time is rebuilt in full.
    out.layers = static_cast<double>(m.layers.size()) * e * t * h;
    out.recompute = largest;
    out.lora = lora_of_largest;
  } else {
    out.layers = sum;
    out.lora = lora_sum;
  }
  // After the layers: the final norm keeps its input (+ stats); the LM head keeps its input when it trains
  // (full fine-tuning; LoRA never adapts the output layer).
  if (m.final_norm) out.head += e * t * h + norm_stat_bytes(m) * t;
  // (Vision towers: their weights are counted; their activations are not — text-only batches.)
  if (!lora) out.head += e * t * static_cast<double>(m.embed_proj_dim > 0 ? m.embed_proj_dim : m.hidden_size);
  // The loss (transformers 5.x loss/loss_utils.py ForCausalLMLoss): logits = logits.float(), then
  // nn.functional.cross_entropy = log_softmax + nll_loss. At the loss in the forward the LM head's output (compute
  // dtype), its fp32 copy and log_softmax's fp32 output exist together; only the log-softmax is saved (its
  // backward reads its output; the cast and the view save nothing). The backward starts with nll_loss's
  // gradient, a dense fp32 tokens x vocab tensor, and log_softmax_backward writes the input's fp32 gradient
  // while both are alive: 3 x 4 B per logit. (fp32 logits: .float() is the same tensor.) Gemma 2's final logit
  // soft-capping (logits / cap, tanh, * cap; modeling_gemma2.py) keeps tanh's output for its backward.
  const double tv = t * static_cast<double>(m.vocab_size);
  const double softcap = final_logit_softcap(m) ? e * tv : 0;
  out.loss_forward = tv * (e + (e == 4.0 ? 0.0 : 4.0) + 4.0) + 2.0 * softcap;
  out.loss_backward = tv * 12.0 + softcap;
  return out;
}


}  // namespace llmsizer
