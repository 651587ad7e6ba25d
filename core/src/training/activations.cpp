// Fine-tuning activations: what the forward pass keeps for the backward pass, and the work of both, op by op.
//
// The walk below goes through a decoder layer as transformers 5.x runs it (models/llama, qwen2, qwen3, gemma2
// modeling_*.py; integrations/sdpa_attention.py; loss/loss_utils.py) and asks, for every op, what autograd saves
// (torch/csrc/autograd derivatives.yaml: an op saves the tensors its derivative formula reads, and only for the
// inputs that require grad) and in which dtype:
//  - torch.autocast(bf16) (torch/amp/autocast_mode.py) casts an fp32 input of each matmul/linear/SDPA call to
//    bf16 anew for every call — only leaf weights are cached — so q, k and v each save their own bf16 copy of
//    the normed hidden state; layer norms and softmax run in fp32;
//  - with the model kept fp32 under autocast (Trainer(bf16=True)) the embeddings and so the residual stream
//    are fp32, RoPE's cos/sin are fp32 (cos.to(x.dtype)) and q·cos promotes the query to fp32;
//  - RMSNorm (LlamaRMSNorm and kin) computes in fp32: hidden.to(float32), pow, mean, rsqrt, multiply, cast back,
//    weight * x; Gemma's keeps (1 + weight) in fp32 and casts the product back;
//  - SDPA (the default attention) runs FlashAttention-2 on bf16 without a mask: it saves q, k, v, the output and
//    an fp32 log-sum-exp per head and token; GQA stays un-repeated (sdpa_attention.py use_gqa_in_sdpa);
//  - eager attention materialises the scores: softmax(dtype=float32) saves its fp32 output and the matmul with V
//    saves its bf16 cast (6 B per score), over a 4-D float causal mask in the embeddings' dtype;
//  - a frozen linear layer saves nothing for its own weight (its input gradient needs only the weight); peft's
//    LoRA casts the layer input to the adapters' dtype (fp32: autocast_adapter_dtype=True) for lora_A, and lora_B
//    saves A·x (peft tuners/lora/layer.py Linear.forward, tuners_utils.py _cast_input_dtype).
// Verified against torch 2.11 / transformers 5.17 / peft 0.21 on one H200
// (shared/reference/validation-gpu-public.jsonl, tests/training_reference_test.cpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "training/training.h"

namespace llmsizer {

namespace {

constexpr double kF32 = 4.0;
constexpr double kB16 = 2.0;

// Gemma's RMSNorm: output = norm(x.float()) * (1.0 + weight.float()), cast back with type_as(x)
// (modeling_gemma.py, modeling_gemma2.py, modeling_gemma3.py).
bool gemma_norm(const ModelSpec& m) { return m.family == "gemma" || m.family == "gemma2" || m.family == "gemma3"; }

// Gemma 2 soft-caps its logits (config final_logit_softcapping = 30.0; Gemma 3's default is None).
bool final_logit_softcap(const ModelSpec& m) { return m.family == "gemma2"; }

/// A tensor of the walk, per token: its width in elements, bytes per element, whether autograd tracks it,
/// and whether an op already saved it (a tensor several ops save is held once).
struct Tensor {
  double n = 0;
  double b = kB16;
  bool g = false;
  bool kept = false;
};

/// One forward through a block, op by op, per token; finish() scales to the micro-batch.
class Walk {
 public:
  Walk(const ModelSpec& m, const ActivationOptions& o, const LoraSetup* lora, double seq)
      : m_(m), o_(o), lora_(lora), seq_(seq), trains_(o.weights_train) {}

  LayerCost c;  ///< per token until finish()

  /// An elementwise kernel reading and writing these bytes; its backward runs when a gradient flows (about
  /// twice the traffic: it reads the incoming gradient and what it saved, writes the input's gradient).
  void ew(double read, double write, bool grad) {
    c.forward_bytes += read + write;
    c.forward_kernels += 1;
    if (grad) {
      c.backward_bytes += 2.0 * (read + write);
      c.backward_kernels += 2;
    }
  }
  void keep(Tensor& x) {
    if (!x.kept) {
      c.saved += x.n * x.b;
      x.kept = true;
    }
  }
  void keep_bytes(double bytes) { c.saved += bytes; }
  Tensor cast(const Tensor& x, double b) {
    if (x.b == b) return x;
    ew(x.n * x.b, x.n * b, x.g);
    return Tensor{x.n, b, x.g, false};
  }
  void gemm(double in, double out, bool input_grad, bool weight_grad) {
    c.gemm_forward += 2.0 * in * out;
    c.gemm_backward += (input_grad ? 2.0 * in * out : 0) + (weight_grad ? 2.0 * in * out : 0);
    c.forward_kernels += 1;
    c.backward_kernels += (input_grad ? 1 : 0) + (weight_grad ? 1 : 0);
  }

  Tensor norm(Tensor& x, double rows);
  Tensor linear(Tensor& x, double out, const char* adapter, double slots = 1);
  Tensor rope(const Tensor& x);
  Tensor attend(Tensor& q, Tensor& k, Tensor& v, double heads, double kv_heads, double d_qk, double d_v,
                int64_t window);
  Tensor act(Tensor& x) {  // SiLU / GELU: the backward reads the input
    ew(x.n * x.b, x.n * x.b, x.g);
    if (x.g) keep(x);
    return Tensor{x.n, x.b, x.g, false};
  }
  Tensor mul(Tensor& a, Tensor& u) {  // both factors saved, for each other's gradient
    const double ob = std::max(a.b, u.b);
    const bool g = a.g || u.g;
    ew(a.n * a.b + u.n * u.b, a.n * ob, g);
    if (g) {
      keep(a);
      keep(u);
    }
    return Tensor{a.n, ob, g, false};
  }
  Tensor add(const Tensor& a, const Tensor& y) {  // saves nothing
    const double ob = std::max(a.b, y.b);
    ew(a.n * a.b + y.n * y.b, a.n * ob, a.g || y.g);
    return Tensor{a.n, ob, a.g || y.g, false};
  }
  Tensor attention_block(Tensor& x, const AttentionSpec& a);
  Tensor mla_block(Tensor& x, const AttentionSpec& a);
  Tensor mlp(Tensor& x, const MlpSpec& p);

  LayerCost finish(double tokens) const {
    LayerCost s = c;
    for (double* f : {&s.saved, &s.lora, &s.backward_peak, &s.forward_bytes, &s.backward_bytes, &s.gemm_forward,
                      &s.gemm_backward, &s.attention_forward, &s.attention_backward, &s.adapter_flops,
                      &s.adapter_bytes}) {
      *f *= tokens;
    }
    return s;
  }

  void set_layer(size_t index) { layer_ = static_cast<int32_t>(index); }

 private:
  const LoraAdapter* adapter(const char* name) const;
  void lora_path(Tensor& x, const Tensor& y, const LoraAdapter& ad);
  Tensor dense(Tensor& x, double width, const char* gate, const char* up, const char* down, const char* gate_up,
               bool gated);

  const ModelSpec& m_;
  const ActivationOptions& o_;
  const LoraSetup* lora_;
  double seq_;
  bool trains_;
  int32_t layer_ = -1;
};

const LoraAdapter* Walk::adapter(const char* name) const {
  if (!lora_ || !name) return nullptr;
  for (const LoraAdapter& a : lora_->adapters) {
    if (a.layer == layer_ && a.name == name) return &a;
  }
  return nullptr;
}

// RMSNorm (transformers LlamaRMSNorm and kin): x.to(float32); variance = x.pow(2).mean(-1); x * rsqrt(variance +
// eps); weight * x.to(input_dtype). pow and the multiply save the fp32 input and 1/rms (4 B per row); the
// weight's multiply saves the normed input when the weight trains. LayerNorm (F.layer_norm, one kernel; fp32
// under autocast) saves its input, mean and rstd.
Tensor Walk::norm(Tensor& x, double rows) {
  const double n = x.n;
  const bool g = x.g;
  if (m_.norm == NormKind::kLayerNorm) {
    Tensor in = o_.autocast ? cast(x, kF32) : x;
    const double ob = o_.autocast ? kF32 : x.b;
    ew(n * in.b, n * ob, g || trains_);
    if (g || trains_) {
      if (in.b == x.b) keep(x); else keep_bytes(n * in.b);
      keep_bytes(8.0 * rows);
    }
    return Tensor{n, ob, g || trains_, false};
  }
  Tensor x32 = cast(x, kF32);
  ew(4 * n, 4 * n, g);              // pow
  ew(4 * n, 4 * rows, g);           // mean
  ew(4 * rows, 4 * rows, g);        // + eps, rsqrt
  ew(4 * n + 4 * rows, 4 * n, g);   // x * rsqrt
  if (g) {
    if (x32.b == x.b) keep(x); else keep_bytes(4 * n);
    keep_bytes(4 * rows);
  }
  if (gemma_norm(m_)) {
    ew(4 * n, 4 * n, g || trains_);  // * (1 + weight.float())
    if (trains_) keep_bytes(4 * n);
    const Tensor y{n, kF32, g || trains_, false};
    return cast(y, x.b);
  }
  const Tensor xn = cast(Tensor{n, kF32, g, false}, x.b);  // .to(input_dtype)
  const double ob = std::max(o_.norm_bytes, x.b);          // weight * x promotes to the weight's dtype
  ew(n * x.b, n * ob, g || trains_);
  if (trains_) keep_bytes(n * xn.b);
  return Tensor{n, ob, g || trains_, false};
}

// A linear layer. Its matmul runs in bf16 under autocast (the input cast anew for this call) or in the
// base's dtype; it saves its input when its weight trains. `slots`: routed experts see each token k times,
// widths are per token over all k.
Tensor Walk::linear(Tensor& x, double out, const char* name, double slots) {
  const double mm = o_.autocast ? kB16 : o_.matmul_bytes;
  Tensor in = cast(x, mm);
  if (trains_) {
    if (in.b == x.b) keep(x); else keep(in);
  }
  gemm(x.n, out / slots, x.g, trains_);  // per token: 2 x (in per slot) x (out per slot) x slots
  Tensor y{out, mm, x.g || trains_, false};
  if (const LoraAdapter* ad = adapter(name)) {
    lora_path(x, y, *ad);
    y.g = true;
  }
  return y;
}

// peft LoRA (tuners/lora/layer.py Linear.forward): result = base(x); x = x.to(lora_A.weight.dtype);
// result = result + lora_B(lora_A(dropout(x))) * scaling; result.to(result's dtype). lora_A saves its input
// (the cast, or under autocast autocast's bf16 cast of it; with dropout the dropped copy and its mask), lora_B
// saves A·x. Routed-expert adapters: one per expert, each token through k of them.
void Walk::lora_path(Tensor& x, const Tensor& y, const LoraAdapter& ad) {
  const double r = static_cast<double>(lora_->rank) * ad.token_share * static_cast<double>(ad.copies);
  const double before = c.saved;
  Tensor xa = cast(x, o_.adapter_bytes);
  if (lora_->dropout > 0) {
    ew(xa.n * xa.b, xa.n * (xa.b + 1.0), xa.g);
    keep_bytes(xa.n * 1.0);  // the bool mask
    xa = Tensor{xa.n, xa.b, xa.g, false};
  }
  Tensor xm = o_.autocast ? cast(xa, kB16) : xa;
  // lora_A reads x itself only when neither peft nor autocast had to cast it (and no dropout copied it).
  const bool same = x.b == o_.adapter_bytes && (!o_.autocast || o_.adapter_bytes == kB16) && lora_->dropout <= 0;
  if (same) keep(x); else keep(xm);
  const double ab = o_.autocast ? kB16 : o_.adapter_bytes;
  keep_bytes(r * ab);  // A·x, for lora_B's weight gradient
  c.lora += c.saved - before;
  // The two skinny matmuls: A (in -> r) and B (r -> out), forward + input and weight gradients.
  c.adapter_flops += 3.0 * (2.0 * x.n * r + 2.0 * r * y.n);
  c.adapter_bytes += 3.0 * (x.n * xm.b + r * ab + r * ab + y.n * ab);
  c.forward_kernels += 2;
  c.backward_kernels += 4;
  ew(y.n * ab, y.n * ab, true);                               // * scaling
  ew(y.n * y.b + y.n * ab, y.n * std::max(y.b, ab), true);   // result + lora
  if (ab != y.b) ew(y.n * std::max(y.b, ab), y.n * y.b, true);  // .to(result dtype)
}

// Rotary embeddings (apply_rotary_pos_emb): q * cos + rotate_half(q) * sin, cos/sin in the embeddings' dtype:
// the output promotes to it. Saves only cos and sin (shared, negligible).
Tensor Walk::rope(const Tensor& x) {
  const double ob = std::max(x.b, o_.hidden_bytes);
  ew(x.n * x.b, x.n * ob, x.g);            // q * cos
  ew(x.n * x.b, x.n * x.b, x.g);           // rotate_half: negate half, cat
  ew(x.n * x.b, x.n * ob, x.g);            // * sin
  ew(2 * x.n * ob, x.n * ob, x.g);         // +
  return Tensor{x.n, ob, x.g, false};
}

// Attention over q (heads), k and v (kv_heads). SDPA: FlashAttention-2 without a mask (q, k, v, output and an
// fp32 log-sum-exp saved; causal blocks skipped, the backward 2.5 x the forward's matmuls: arXiv:2307.08691
// §3.1); with a sliding window shorter than the sequence transformers passes a mask, SDPA repeats K/V for GQA
// and runs the memory-efficient kernel over all blocks. Eager: scores materialised (see the file's header).
Tensor Walk::attend(Tensor& q, Tensor& k, Tensor& v, double heads, double kv_heads, double d_qk, double d_v,
                    int64_t window) {
  const bool g = q.g || k.g || v.g;
  const double s = seq_;
  const bool masked = !o_.flash_attention || (window > 0 && static_cast<double>(window) < s);
  auto repeat = [&](Tensor& t, double d) {
    if (!masked || kv_heads >= heads) return t;
    ew(t.n * t.b, heads * d * t.b, t.g);  // repeat_kv: expand + reshape copies
    return Tensor{heads * d, t.b, t.g, false};
  };
  Tensor kr = repeat(k, d_qk);
  Tensor vr = repeat(v, d_v);
  const double mm = o_.autocast ? kB16 : q.b;
  Tensor qc = cast(q, mm);
  Tensor kc = cast(kr, mm);
  Tensor vc = cast(vr, mm);
  if (g) {
    keep(qc);
    keep(kc);
    keep(vc);
  }
  const double out_n = heads * d_v;
  if (o_.flash_attention) {
    // Causal: each query attends to (s + 1) / 2 keys on average, or its window.
    const double ctx = masked ? s : (window > 0 ? std::min(static_cast<double>(window), s / 2) : s / 2);
    const double f = 2.0 * heads * (d_qk + d_v) * ctx;
    c.attention_forward += f;
    if (g) c.attention_backward += 2.5 * f;
    c.forward_kernels += 1;
    if (g) c.backward_kernels += 3;
    if (g) keep_bytes(out_n * mm + kF32 * heads);  // the output and the fp32 log-sum-exp
    return Tensor{out_n, mm, g, g};
  }
  // Eager (eager_attention_forward): scores = q k^T * scaling + mask; softmax(dtype=float32).to(q.dtype);
  // dropout; scores @ v; transpose(1, 2).contiguous(). Per token: heads x s scores (all keys; the mask hides).
  const double e = heads * s;
  const double f = 2.0 * heads * (d_qk + d_v) * s;
  c.attention_forward += f;
  if (g) c.attention_backward += 2.0 * f;
  c.forward_kernels += 2;
  if (g) c.backward_kernels += 4;
  c.forward_bytes += e * mm;                                        // QK^T writes the scores
  ew(e * mm, e * mm, g);                                            // * scaling
  const double masked_b = std::max(mm, o_.hidden_bytes);
  ew(e * mm + e * o_.hidden_bytes, e * masked_b, g);                // + causal mask (embeddings' dtype)
  if (masked_b != kF32) ew(e * masked_b, e * kF32, g);              // softmax's dtype=float32 conversion
  ew(e * kF32, e * kF32, g);                                        // softmax
  const bool select = o_.checkpointing == Checkpointing::kSelective;  // scores recomputed in the backward
  if (g && !select) keep_bytes(e * kF32);
  double pb = kF32;
  if (q.b != kF32) {
    ew(e * kF32, e * q.b, g);  // .to(query.dtype)
    pb = q.b;
  }
  if (o_.dropout) {
    ew(e * pb, e * (pb + 1), g);
    if (g && !select) keep_bytes(e * (pb + 1));
  }
  const double pm = o_.autocast ? kB16 : pb;
  if (pm != pb) ew(e * pb, e * pm, g);  // autocast's cast for scores @ v
  if (g && !select && (pm != kF32 || o_.dropout)) keep_bytes(e * pm);
  if (g && select) {  // selective recomputation (Korthikanti §4.2): the scores are rebuilt in the backward
    c.attention_backward += f / 2;
  }
  c.backward_peak = std::max(c.backward_peak, e * (2 * mm + 2 * kF32));  // the scores' gradients in the backward
  ew(out_n * mm, out_n * mm, g);  // transpose(1, 2).contiguous(): a new tensor, saved by o_proj if it trains
  return Tensor{out_n, mm, g, false};
}

Tensor Walk::attention_block(Tensor& x, const AttentionSpec& a) {
  const double heads = static_cast<double>(a.num_heads);
  const double kvh = static_cast<double>(a.num_kv_heads);
  const double dq = static_cast<double>(a.head_dim);
  const double dv = static_cast<double>(a.v_head_dim);
  Tensor q, k, v;
  if (fused_projections(m_).qkv) {
    const Tensor qkv = linear(x, heads * dq + kvh * dq + kvh * dv, "qkv (fused)");
    q = Tensor{heads * dq, qkv.b, qkv.g, false};
    k = Tensor{kvh * dq, qkv.b, qkv.g, false};
    v = Tensor{kvh * dv, qkv.b, qkv.g, false};
  } else {
    q = linear(x, heads * dq, "q_proj");
    k = linear(x, kvh * dq, "k_proj");
    v = linear(x, kvh * dv, "v_proj");
  }
  if (a.qk_norm) {  // Qwen3 / Gemma 3 per-head RMSNorm on q and k
    q = norm(q, heads);
    k = norm(k, kvh);
  }
  if (m_.rotary_dim > 0) {
    q = rope(q);
    k = rope(k);
  }
  Tensor out = attend(q, k, v, heads, kvh, dq, dv, a.sliding_window);
  return linear(out, static_cast<double>(m_.hidden_size), "o_proj");
}

// DeepSeek-V2/V3 multi-head latent attention (modeling_deepseek_v3.py): q from q_a -> q_a_layernorm -> q_b (or
// q_proj), kv_a_proj_with_mqa -> kv_a_layernorm -> kv_b_proj; RoPE on the rope part; all heads attend.
Tensor Walk::mla_block(Tensor& x, const AttentionSpec& a) {
  const double heads = static_cast<double>(a.num_heads);
  const double nope = static_cast<double>(a.qk_nope_head_dim);
  const double rp = static_cast<double>(a.qk_rope_head_dim);
  const double dv = static_cast<double>(a.v_head_dim);
  Tensor q;
  if (a.q_lora_rank > 0) {
    Tensor qa = linear(x, static_cast<double>(a.q_lora_rank), "q_a_proj");
    Tensor qn = norm(qa, 1);
    q = linear(qn, heads * (nope + rp), "q_b_proj");
  } else {
    q = linear(x, heads * (nope + rp), "q_proj");
  }
  const Tensor kva = linear(x, static_cast<double>(a.kv_lora_rank) + rp, "kv_a_proj_with_mqa");
  Tensor latent{static_cast<double>(a.kv_lora_rank), kva.b, kva.g, false};
  Tensor kvn = norm(latent, 1);
  const Tensor kvb = linear(kvn, heads * (nope + dv), "kv_b_proj");
  const Tensor q_pe = rope(Tensor{heads * rp, q.b, q.g, false});
  const Tensor k_pe = rope(Tensor{rp, kva.b, kva.g, false});
  ew(heads * (nope + rp) * q.b, heads * (nope + rp) * q_pe.b, q.g);  // cat(q_nope, q_pe)
  ew(heads * nope * kvb.b + rp * k_pe.b, heads * (nope + rp) * kvb.b, kvb.g);  // cat(k_nope, k_pe expanded)
  Tensor qq{heads * (nope + rp), std::max(q.b, q_pe.b), q.g, false};
  Tensor kk{heads * (nope + rp), kvb.b, kvb.g || k_pe.g, false};
  Tensor vv{heads * dv, kvb.b, kvb.g, false};
  Tensor out = attend(qq, kk, vv, heads, heads, nope + rp, dv, a.sliding_window);
  return linear(out, static_cast<double>(m_.hidden_size), "o_proj");
}

// A dense MLP: gated down(act(gate(x)) * up(x)) (the activation saves gate's output, the product both factors,
// down its input when it trains) or up -> act -> down.
Tensor Walk::dense(Tensor& x, double width, const char* gate, const char* up, const char* down,
                   const char* gate_up, bool gated) {
  if (!gated) {
    Tensor u = linear(x, width, up);
    Tensor a = act(u);
    return linear(a, static_cast<double>(m_.hidden_size), down);
  }
  Tensor g, u;
  if (fused_projections(m_).gate_up) {
    const Tensor gu = linear(x, 2 * width, gate_up);
    g = Tensor{width, gu.b, gu.g, false};
    u = Tensor{width, gu.b, gu.g, false};
  } else {
    g = linear(x, width, gate);
    u = linear(x, width, up);
  }
  Tensor a = act(g);
  Tensor p = mul(a, u);
  return linear(p, static_cast<double>(m_.hidden_size), down);
}

// The feed-forward block: a dense MLP and/or a mixture of experts (transformers MixtralSparseMoeBlock and kin:
// router softmax in fp32, top-k, each routed copy of a token gathered, through its expert, weighted, added back).
Tensor Walk::mlp(Tensor& x, const MlpSpec& p) {
  const double h = static_cast<double>(m_.hidden_size);
  Tensor out;
  bool have = false;
  if (p.intermediate_size > 0) {
    out = dense(x, static_cast<double>(p.intermediate_size), "gate_proj", "up_proj", "down_proj", "gate_up (fused)",
                p.gated);
    have = true;
  }
  if (p.is_moe()) {
    const double experts = static_cast<double>(p.num_experts);
    const double k = static_cast<double>(std::min(p.experts_per_token, p.num_experts));
    const Tensor router = linear(x, experts, "router");
    ew(experts * router.b, experts * kF32, router.g);  // softmax(..., dtype=float)
    if (router.g) keep_bytes(experts * kF32);
    Tensor gathered{h * k, x.b, x.g, false};
    ew(h * x.b, h * k * x.b, x.g);  // index the routed copies
    const double ie = static_cast<double>(p.expert_intermediate_size);
    Tensor a, pr;
    if (p.gated) {
      Tensor g = linear(gathered, ie * k, "experts.gate", k);
      Tensor u = linear(gathered, ie * k, "experts.up", k);
      a = act(g);
      pr = mul(a, u);
    } else {
      Tensor u = linear(gathered, ie * k, "experts.up", k);
      pr = act(u);
    }
    Tensor d = linear(pr, h * k, "experts.down", k);
    const bool wg = d.g || router.g;
    ew(d.n * d.b, d.n * d.b, wg);  // * routing weight: saves the expert output for the weight's gradient
    if (router.g) keep(d);
    ew(d.n * d.b, h * d.b, wg);   // index_add back
    Tensor moe{h, d.b, wg, false};
    if (p.num_shared_experts > 0 && p.shared_intermediate_size > 0) {
      Tensor sh = dense(x, static_cast<double>(p.shared_intermediate_size * p.num_shared_experts), "shared.gate_proj",
                        "shared.up_proj", "shared.down_proj", "shared.gate_up (fused)", p.gated);
      if (p.shared_expert_gate) {  // Qwen2-MoE: sigmoid(gate(x)) * shared: the product saves the shared output
        Tensor gate = linear(x, 1, "shared_expert_gate");
        ew(gate.b, gate.b, gate.g);
        if (gate.g || sh.g) keep(sh);
        ew(h * sh.b, h * sh.b, sh.g || gate.g);
      }
      moe = add(moe, sh);
    }
    out = have ? add(out, moe) : moe;
  }
  return out;
}

/// The first decoder layer with an adapter (LoRA): no gradient flows into the layers before it.
size_t first_adapted_layer(const ModelSpec& m, const LoraSetup* lora) {
  if (!lora) return 0;
  size_t first = m.layers.size();
  for (const LoraAdapter& a : lora->adapters) first = std::min(first, static_cast<size_t>(std::max(a.layer, 0)));
  return first;
}

/// Adds the work of one micro-batch's forward (and, when `backward`, its backward) of a layer; a recomputed
/// forward is executed work but not model work (PaLM's MFU counts each FLOP of the model once).
void add_work(StepWork& w, const LayerCost& c, bool backward, bool recompute = false) {
  const double gemm = c.gemm_forward + (backward ? c.gemm_backward : 0);
  const double attn = c.attention_forward + (backward ? c.attention_backward : 0);
  const double adapter = backward ? c.adapter_flops : c.adapter_flops / 3;
  w.gemm_flops += gemm;
  w.attention_flops += attn;
  if (!recompute) w.model_flops += gemm + attn + adapter;
  w.elementwise_bytes += c.forward_bytes + (backward ? c.backward_bytes : 0);
  w.kernels += c.forward_kernels + (backward ? c.backward_kernels : 0);
  w.adapter_flops += adapter;
  w.adapter_bytes += backward ? c.adapter_bytes : c.adapter_bytes / 3;
}

}  // namespace

LayerCost layer_cost(const ModelSpec& m, size_t index, const ActivationOptions& o, const LoraSetup* lora,
                     bool input_grad) {
  const LayerSpec& layer = m.layers[index];
  Walk w(m, o, lora, static_cast<double>(o.seq_len));
  w.set_layer(index);
  Tensor x{static_cast<double>(m.hidden_size), o.hidden_bytes, input_grad, false};
  Tensor n1 = w.norm(x, 1);
  Tensor attn = layer.attn.mla ? w.mla_block(n1, layer.attn) : w.attention_block(n1, layer.attn);
  if (layer.norms == 4) attn = w.norm(attn, 1);  // Gemma 2/3 post-attention norm
  Tensor mid = w.add(x, attn);
  // Parallel blocks (one norm: Falcon, Phi-2) feed the MLP the same normed tensor.
  Tensor n2 = layer.norms == 1 ? n1 : w.norm(mid, 1);
  Tensor out = w.mlp(n2, layer.mlp);
  if (layer.norms == 4) out = w.norm(out, 1);  // Gemma 2/3 post-feed-forward norm
  w.add(mid, out);
  if (o.dropout) w.keep_bytes(2.0 * static_cast<double>(m.hidden_size));  // two residual dropout masks, 1 B each
  // The backward of the MLP holds the gradients of its two widest intermediates at once.
  const MlpSpec& p = layer.mlp;
  const double routed = p.is_moe() ? static_cast<double>(p.expert_intermediate_size) *
                                         static_cast<double>(std::min(p.experts_per_token, p.num_experts))
                                   : 0.0;
  const double wide = std::max(static_cast<double>(p.intermediate_size), routed);
  w.c.backward_peak = std::max(w.c.backward_peak, 2.0 * wide * (o.autocast ? kB16 : o.matmul_bytes));
  return w.finish(static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len));
}

ActivationBytes activation_bytes(const ModelSpec& m, const ActivationOptions& o, const LoraSetup* lora) {
  ActivationBytes out;
  const double t = static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len);
  const double h = static_cast<double>(m.hidden_size);
  const bool ckpt = o.checkpointing == Checkpointing::kFull;
  const size_t first = first_adapted_layer(m, lora);
  // Embeddings: a lookup writing the residual stream (Gemma scales it by sqrt(hidden)).
  out.work.elementwise_bytes += t * h * o.hidden_bytes * (gemma_norm(m) ? 4.0 : 1.0);
  out.work.kernels += gemma_norm(m) ? 2 : 1;
  if (o.weights_train) {  // embedding_dense_backward: a vocab x hidden gradient
    out.work.elementwise_bytes += static_cast<double>(m.vocab_size) * h * o.hidden_bytes + t * h * o.hidden_bytes;
    out.work.kernels += 2;
  }
  double lora_sum = 0;
  double lora_of_largest = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const bool grad_in = o.weights_train || o.inputs_require_grad || (lora && i > first);
    // A gradient reaches into this layer (with inputs_require_grad through every layer to the embeddings).
    const bool reached = o.weights_train || o.inputs_require_grad || (lora && i >= first);
    const LayerCost c = layer_cost(m, i, o, lora, grad_in);
    add_work(out.work, c, reached);
    if (!reached) continue;
    out.largest_layer = std::max(out.largest_layer, c.saved);
    if (c.saved + c.backward_peak > out.recompute) {
      out.recompute = c.saved + c.backward_peak;
      lora_of_largest = c.lora;
    }
    lora_sum += c.lora;
    if (ckpt) {
      // transformers' gradient checkpointing (GradientCheckpointingLayer, torch.utils.checkpoint non-reentrant):
      // each layer keeps only its input; in the backward one layer at a time is rebuilt (one more forward).
      out.layers += t * h * o.hidden_bytes;
      add_work(out.work, c, false, true);
    } else {
      out.layers += c.saved;
    }
  }
  out.lora = ckpt ? lora_of_largest : lora_sum;
  if (!ckpt) out.recompute = 0;
  const bool any_grad = o.weights_train || (lora && first < m.layers.size());
  // The head: final norm and LM head (it trains in full fine-tuning; LoRA never adapts it).
  Walk head(m, o, nullptr, static_cast<double>(o.seq_len));
  Tensor x{h, o.hidden_bytes, any_grad, false};
  Tensor n = m.final_norm ? head.norm(x, 1) : x;
  const double vocab = static_cast<double>(m.vocab_size);
  const Tensor logits = head.linear(n, vocab, nullptr);
  const LayerCost hc = head.finish(t);
  out.head = hc.saved;
  add_work(out.work, hc, any_grad);
  // Eager attention's float mask, b x 1 x s x s in the embeddings' dtype, alive through the forward (and the
  // backward when it is an input of the checkpointed layers).
  // SDPA with a sliding window shorter than the sequence gets a boolean mask of the same shape (1 B each).
  bool windowed = false;
  for (const LayerSpec& l : m.layers) {
    windowed = windowed || (l.attn.sliding_window > 0 && l.attn.sliding_window < o.seq_len);
  }
  if (!o.flash_attention || windowed) {
    out.mask = static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len) * static_cast<double>(o.seq_len) *
               (o.flash_attention ? 1.0 : o.hidden_bytes);
    out.checkpointed_mask = ckpt;
  }
  // The loss (transformers 5.x loss/loss_utils.py ForCausalLMLoss): logits = logits.float(), then
  // nn.functional.cross_entropy = log_softmax + nll_loss. At the loss in the forward the LM head's output, its
  // fp32 copy and log_softmax's fp32 output exist together; only the log-softmax is saved (its backward reads
  // its output; the cast and the view save nothing). The backward starts with nll_loss's gradient, a dense fp32
  // tokens x vocab tensor, and log_softmax_backward writes the input's fp32 gradient while both are alive:
  // 3 x 4 B per logit. (fp32 logits: .float() is the same tensor.) Gemma 2's final logit soft-capping
  // (logits / cap, tanh, * cap; modeling_gemma2.py) keeps tanh's output for its backward.
  const double e = logits.b;
  const double tv = t * vocab;
  const double softcap = final_logit_softcap(m) ? e * tv : 0;
  out.loss_forward = tv * (e + (e == kF32 ? 0.0 : kF32) + kF32) + softcap;
  out.loss_backward = tv * 12.0 + softcap;
  if (any_grad) {
    // Loss traffic: cast, log_softmax (two passes), nll; backward: nll's gradient, log_softmax_backward, cast.
    out.work.elementwise_bytes += tv * ((e + kF32) + 3 * kF32 + kF32 + 4 * kF32 + (kF32 + e)) + 6.0 * softcap;
    out.work.kernels += 8;
  }
  out.work.adapter_fp32 = lora && !o.autocast && o.adapter_bytes == kF32;
  return out;
}

}  // namespace llmsizer
