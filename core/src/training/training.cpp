// Fine-tuning: model states (weights, gradients, optimizer), activations, ZeRO sharding, LoRA/QLoRA, speed.
//
// Sources, cited where used:
//  - ZeRO: Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
//    arXiv:1910.02054 (§3.1 mixed-precision Adam = 16 bytes/parameter; §5 and Figure 1 the stages).
//  - ZeRO-Offload: Ren et al. 2021, arXiv:2101.06840 §4.
//  - Activations: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models",
//    arXiv:2205.05198 §4.1 (Table 2), §4.2 (selective recomputation).
//  - 8-bit optimizers: Dettmers et al. 2022, arXiv:2110.02861 §2; bitsandbytes optim/optimizer.py.
//  - Adafactor: Shazeer & Stern 2018, arXiv:1804.04235 §3; transformers/optimization.py Adafactor.
//  - LoRA: Hu et al. 2021, arXiv:2106.09685 §4.1; PEFT tuners/lora/layer.py and model.py.
//  - QLoRA: Dettmers et al. 2023, arXiv:2305.14314 §3 and its qlora.py / scripts/finetune_guanaco_65b.sh.
//  - FLOPs and MFU: Kaplan et al. 2020 (6N per token); PaLM, Chowdhery et al. 2022, arXiv:2204.02311
//    Appendix B (MFU, 6N + 12·L·H·Q·T); Llama 3, arXiv:2407.21783 Table 4 (38-43 % BF16 MFU).
//  - DeepSpeed defaults: deepspeed/runtime/zero/config.py (reduce_bucket_size 5e8, stage3_prefetch_bucket_size
//    5e7, stage3_max_live_parameters 1e9), deepspeed/runtime/engine.py (all-reduce buffers of 5e8 elements).
#include "training/training.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "model/memory.h"
#include "units.h"

namespace llmsizer {

const char* training_mode_name(TrainingMode m) {
  switch (m) {
    case TrainingMode::kInference: return "inference";
    case TrainingMode::kFull: return "full";
    case TrainingMode::kLora: return "lora";
    case TrainingMode::kQlora: return "qlora";
  }
  return "inference";
}

const char* optimizer_name(Optimizer o) {
  switch (o) {
    case Optimizer::kAdamW: return "adamw";
    case Optimizer::kAdamW8bit: return "adamw-8bit";
    case Optimizer::kSgd: return "sgd";
    case Optimizer::kSgdMomentum: return "sgd-momentum";
    case Optimizer::kAdafactor: return "adafactor";
  }
  return "adamw";
}

const char* training_precision_name(TrainingPrecision p) {
  switch (p) {
    case TrainingPrecision::kMixed: return "mixed";
    case TrainingPrecision::kFp32: return "fp32";
    case TrainingPrecision::kBf16: return "bf16";
  }
  return "mixed";
}

const char* checkpointing_name(Checkpointing c) {
  switch (c) {
    case Checkpointing::kNone: return "none";
    case Checkpointing::kSelective: return "selective";
    case Checkpointing::kFull: return "full";
  }
  return "none";
}

namespace {


std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

double ceil_div(double bytes, int64_t n) { return n <= 1 ? bytes : std::ceil(bytes / static_cast<double>(n)); }

std::string fmt_gib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / kGiB);
  return buf;
}

// Families whose checkpoints fuse projections into one nn.Linear (the module PEFT adapts):
// GPT-2 attn.c_attn (modeling_gpt2.py, a Conv1D of 3h), GPT-NeoX attention.query_key_value
// (modeling_gpt_neox.py), Falcon self_attention.query_key_value (modeling_falcon.py), Phi-3 self_attn.qkv_proj
// and mlp.gate_up_proj (modeling_phi3.py). Every other supported family has separate projections.
struct Fusion {
  const char* family;
  bool qkv;
  bool gate_up;
};
constexpr Fusion kFusions[] = {
    {"gpt2", true, false}, {"gpt_neox", true, false}, {"falcon", true, false}, {"phi3", true, true}};

Fusion fusion_of(const ModelSpec& m) {
  for (const Fusion& f : kFusions) {
    if (m.family == f.family) return f;
  }
  return Fusion{"", false, false};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// LoRA targets
// ---------------------------------------------------------------------------------------------------

Result<uint32_t> parse_lora_targets(const std::string& text) {
  uint32_t set = 0;
  std::string token;
  auto flush = [&]() -> Result<bool> {
    if (token.empty()) return true;
    const std::string t = lower(token);
    token.clear();
    struct Name {
      const char* name;
      uint32_t bits;
    };
    static const Name kNames[] = {
        {"all-linear", kLoraAllLinear}, {"all_linear", kLoraAllLinear}, {"all", kLoraAllLinear},
        {"attention", kLoraQ | kLoraK | kLoraV | kLoraO}, {"attn", kLoraQ | kLoraK | kLoraV | kLoraO},
        {"mlp", kLoraGate | kLoraUp | kLoraDown}, {"experts", kLoraExperts}, {"router", kLoraRouter},
        {"q", kLoraQ}, {"k", kLoraK}, {"v", kLoraV}, {"o", kLoraO},
        {"q_proj", kLoraQ}, {"k_proj", kLoraK}, {"v_proj", kLoraV}, {"o_proj", kLoraO},
        {"gate", kLoraGate}, {"up", kLoraUp}, {"down", kLoraDown},
        {"gate_proj", kLoraGate}, {"up_proj", kLoraUp}, {"down_proj", kLoraDown},
        {"q_a_proj", kLoraQA}, {"q_b_proj", kLoraQB}, {"kv_a_proj_with_mqa", kLoraKVA}, {"kv_b_proj", kLoraKVB},
        {"c_attn", kLoraQ | kLoraK | kLoraV}, {"qkv_proj", kLoraQ | kLoraK | kLoraV},
        {"query_key_value", kLoraQ | kLoraK | kLoraV}, {"qkv", kLoraQ | kLoraK | kLoraV},
        {"gate_up_proj", kLoraGate | kLoraUp},
    };
    for (const Name& n : kNames) {
      if (t == n.name) {
        set |= n.bits;
        return true;
      }
    }
    return make_error(ErrorCode::kInvalidRequest,
                      "unknown LoRA target '" + t +
                          "': use all-linear, attention, mlp, experts, router, or a list of q,k,v,o,gate,up,down "
                          "(or q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, q_a_proj, q_b_proj, "
                          "kv_a_proj_with_mqa, kv_b_proj)",
                      "/lora_targets");
  };
  for (char c : text) {
    if (c == ',' || c == '+' || c == ' ' || c == ';' || c == '\t') {
      auto r = flush();
      if (!r.ok()) return r.error();
    } else {
      token += c;
    }
  }
  auto r = flush();
  if (!r.ok()) return r.error();
  if (set == 0) {
    return make_error(ErrorCode::kInvalidRequest, "--lora-targets is empty: name at least one layer (e.g. q,v)",
                      "/lora_targets");
  }
  return set;
}

std::vector<std::string> lora_target_names(uint32_t targets) {
  static const std::pair<uint32_t, const char*> kOrder[] = {
      {kLoraQ, "q_proj"},       {kLoraK, "k_proj"},       {kLoraV, "v_proj"},
      {kLoraO, "o_proj"},       {kLoraGate, "gate_proj"}, {kLoraUp, "up_proj"},
      {kLoraDown, "down_proj"}, {kLoraExperts, "experts"}, {kLoraRouter, "router"},
      {kLoraQA, "q_a_proj"},    {kLoraQB, "q_b_proj"},    {kLoraKVA, "kv_a_proj_with_mqa"},
      {kLoraKVB, "kv_b_proj"}};
  std::vector<std::string> out;
  if (targets == kLoraAllLinear) return {"all-linear"};
  for (const auto& [bit, name] : kOrder) {
    if (targets & bit) out.emplace_back(name);
  }
  return out;
}

std::vector<LoraAdapter> lora_adapters(const ModelSpec& m, uint32_t targets) {
  std::vector<LoraAdapter> out;
  const Fusion fused = fusion_of(m);
  const int64_t h = m.hidden_size;
  for (size_t li = 0; li < m.layers.size(); ++li) {
    const int32_t l = static_cast<int32_t>(li);
    const LayerSpec& layer = m.layers[li];
    const AttentionSpec& a = layer.attn;
    auto add = [&](const char* name, LoraSlot slot, int64_t in, int64_t outf, int64_t copies, double share) {
      if (in <= 0 || outf <= 0 || copies <= 0) return;
      LoraAdapter x;
      x.name = name;
      x.slot = slot;
      x.layer = l;
      x.in = in;
      x.out = outf;
      x.copies = copies;
      x.token_share = share;
      out.push_back(x);
    };
    // ---- attention: shapes as in model.cpp add_attention (the checkpoint's projections) ----
    if (a.mla) {
      // DeepSeek-V2/V3 MLA (modeling_deepseek.py): q = q_b(norm(q_a(x))) or q_proj(x); kv from kv_a / kv_b.
      const int64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
      if (a.q_lora_rank > 0) {
        if (targets & (kLoraQ | kLoraQA)) add("q_a_proj", LoraSlot::kAttnIn, h, a.q_lora_rank, 1, 1);
        if (targets & (kLoraQ | kLoraQB)) add("q_b_proj", LoraSlot::kQB, a.q_lora_rank, a.num_heads * qk_head, 1, 1);
      } else if (targets & kLoraQ) {
        add("q_proj", LoraSlot::kAttnIn, h, a.num_heads * qk_head, 1, 1);
      }
      if (targets & (kLoraK | kLoraV | kLoraKVA)) {
        add("kv_a_proj_with_mqa", LoraSlot::kAttnIn, h, a.kv_lora_rank + a.qk_rope_head_dim, 1, 1);
      }
      if (targets & (kLoraK | kLoraV | kLoraKVB)) {
        add("kv_b_proj", LoraSlot::kKVB, a.kv_lora_rank, a.num_heads * (a.qk_nope_head_dim + a.v_head_dim), 1, 1);
      }
    } else {
      const int64_t q_out = a.num_heads * a.head_dim;
      const int64_t k_out = a.num_kv_heads * a.head_dim;   // GQA: kv heads, not query heads
      const int64_t v_out = a.num_kv_heads * a.v_head_dim;
      if (fused.qkv) {
        if (targets & (kLoraQ | kLoraK | kLoraV)) add("qkv (fused)", LoraSlot::kAttnIn, h, q_out + k_out + v_out, 1, 1);
      } else {
        if (targets & kLoraQ) add("q_proj", LoraSlot::kAttnIn, h, q_out, 1, 1);
        if (targets & kLoraK) add("k_proj", LoraSlot::kAttnIn, h, k_out, 1, 1);
        if (targets & kLoraV) add("v_proj", LoraSlot::kAttnIn, h, v_out, 1, 1);
      }
    }
    if (targets & kLoraO) add("o_proj", LoraSlot::kO, a.num_heads * a.v_head_dim, h, 1, 1);
    // ---- feed-forward ----
    const MlpSpec& p = layer.mlp;
    auto dense = [&](int64_t width, const char* gate, const char* up, const char* down, const char* gate_up) {
      if (width <= 0) return;
      if (p.gated && fused.gate_up) {
        if (targets & (kLoraGate | kLoraUp)) add(gate_up, LoraSlot::kMlpIn, h, 2 * width, 1, 1);
      } else {
        if (p.gated && (targets & kLoraGate)) add(gate, LoraSlot::kMlpIn, h, width, 1, 1);
        // Non-gated MLPs (GPT-2 c_fc, fc1, dense_h_to_4h): the first projection answers to "up".
        if (targets & kLoraUp) add(up, LoraSlot::kMlpIn, h, width, 1, 1);
      }
      if (targets & kLoraDown) add(down, LoraSlot::kDown, width, h, 1, 1);
    };
    dense(p.intermediate_size, "gate_proj", "up_proj", "down_proj", "gate_up (fused)");
    if (p.is_moe()) {
      if (targets & kLoraRouter) {
        add("router", LoraSlot::kMlpIn, h, p.num_experts, 1, 1);
        if (p.shared_expert_gate) add("shared_expert_gate", LoraSlot::kMlpIn, h, 1, 1, 1);
      }
      if (p.num_shared_experts > 0 && p.shared_intermediate_size > 0) {
        dense(p.shared_intermediate_size * p.num_shared_experts, "shared.gate_proj", "shared.up_proj",
              "shared.down_proj", "shared.gate_up (fused)");
      }
      if (targets & kLoraExperts) {
        // One adapter per expert and projection (transformers 4.x: each expert's gate/up/down is its own
        // nn.Linear); a token passes through top-k of them, so each copy sees k/E of the tokens.
        const int64_t e = p.num_experts;
        const double share = static_cast<double>(std::min(p.experts_per_token, e)) / static_cast<double>(e);
        const int64_t ie = p.expert_intermediate_size;
        if (p.gated) add("experts.gate", LoraSlot::kExpertsIn, h, ie, e, share);
        add("experts.up", LoraSlot::kExpertsIn, h, ie, e, share);
        add("experts.down", LoraSlot::kExpertsDown, ie, h, e, share);
      }
    }
  }
  return out;
}

int64_t lora_parameters(const std::vector<LoraAdapter>& adapters, int64_t rank) {
  int64_t n = 0;
  for (const LoraAdapter& a : adapters) n += a.parameters(rank);
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Model states
// ---------------------------------------------------------------------------------------------------

ModelStateBytes shard_model_states(const ModelStateBytes& r, int zero, int64_t gpus) {
  // ZeRO §5.1-5.3: P_os divides the optimizer states, P_os+g the gradients too, P_os+g+p the parameters too.
  ModelStateBytes s = r;
  if (zero >= 1) s.optimizer = ceil_div(r.optimizer, gpus);
  if (zero >= 2) s.gradients = ceil_div(r.gradients, gpus);
  if (zero >= 3) s.weights = ceil_div(r.weights, gpus);
  return s;
}

double optimizer_state_bytes(Optimizer o, double state_bytes, int64_t rows, int64_t cols, int64_t count) {
  const double n = static_cast<double>(rows) * static_cast<double>(cols);  // values per tensor
  const double c = static_cast<double>(count);
  switch (o) {
    case Optimizer::kAdamW:
      // Adam's first and second moments m and v, one value each per parameter (arXiv:1910.02054 §3.1).
      return c * 2.0 * n * state_bytes;
    case Optimizer::kAdamW8bit: {
      // Block-wise 8-bit Adam (arXiv:2110.02861 §2): both states in 1 byte + one fp32 absmax per block of
      // 2048 values each. bitsandbytes keeps 32-bit states for tensors under min_8bit_size = 4096 values
      // (bitsandbytes/optim/optimizer.py Optimizer8bit / Optimizer2State.init_state).
      if (n < 4096) return c * 2.0 * n * 4.0;
      return c * 2.0 * (n + 4.0 * std::ceil(n / 2048.0));
    }
    case Optimizer::kSgd:
      return 0;  // plain SGD keeps no state
    case Optimizer::kSgdMomentum:
      return c * n * state_bytes;  // one momentum buffer per parameter (torch.optim.SGD momentum_buffer)
    case Optimizer::kAdafactor:
      // Factored second moment (arXiv:1804.04235 §3): a matrix keeps row sums (rows) and column sums (cols);
      // a vector keeps its full second moment. transformers' Adafactor defaults to beta1 = None: no first
      // moment (exp_avg_sq_row / exp_avg_sq_col, transformers/optimization.py).
      if (rows > 1 && cols > 1) return c * static_cast<double>(rows + cols) * state_bytes;
      return c * n * state_bytes;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------------------------------

namespace {

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
  // Logits: the model returns them in the compute dtype (kept by the training loop, CausalLMOutput.logits);
  // the loss upcasts to fp32 and log_softmax keeps its fp32 output; the backward makes an fp32 gradient of
  // the same size (transformers loss_utils.py ForCausalLMLoss: logits.float(); torch cross_entropy).
  // Counted: e + 4 + 4 bytes per logit.
  out.logits = t * static_cast<double>(m.vocab_size) * (e + 8.0);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Resolution of the request
// ---------------------------------------------------------------------------------------------------

Result<TrainingOptions> resolve_training(const Request& req, const ModelSpec& m, const Inputs& in,
                                         std::vector<Warning>* warnings, std::vector<std::string>* notes) {
  TrainingOptions o;
  auto bad = [](const std::string& path, const std::string& msg) {
    return make_error(ErrorCode::kInvalidRequest, msg, path);
  };
  // ---- mode ----
  const std::string mode = lower(req.mode);
  if (mode == "inference" || mode.empty()) {
    o.mode = TrainingMode::kInference;
  } else if (mode == "full") {
    o.mode = TrainingMode::kFull;
  } else if (mode == "lora") {
    o.mode = TrainingMode::kLora;
  } else if (mode == "qlora") {
    o.mode = TrainingMode::kQlora;
  } else {
    return bad("/mode", "unknown mode '" + req.mode + "': use inference, full, lora or qlora");
  }
  const bool lora = o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora;
  const bool qlora = o.mode == TrainingMode::kQlora;

  // ---- optimizer ----
  const std::string opt = lower(req.optimizer);
  if (opt == "adamw" || opt == "adam" || opt.empty()) {
    o.optimizer = Optimizer::kAdamW;
  } else if (opt == "adamw-8bit" || opt == "adamw_8bit" || opt == "adamw8bit" || opt == "adam-8bit") {
    o.optimizer = Optimizer::kAdamW8bit;
  } else if (opt == "sgd") {
    o.optimizer = Optimizer::kSgd;
  } else if (opt == "sgd-momentum" || opt == "sgd_momentum") {
    o.optimizer = Optimizer::kSgdMomentum;
  } else if (opt == "adafactor") {
    o.optimizer = Optimizer::kAdafactor;
  } else {
    return bad("/optimizer",
               "unknown optimizer '" + req.optimizer + "': use adamw, adamw-8bit, sgd, sgd-momentum or adafactor");
  }

  // ---- precision ----
  const std::string prec = lower(req.training_precision);
  if (prec == "auto" || prec.empty()) {
    // QLoRA's recipe (qlora.py with --bf16) casts the adapters to bf16; full and LoRA fine-tuning default to
    // mixed precision (fp32 trainable weights / master copy, bf16 compute).
    o.precision = qlora ? TrainingPrecision::kBf16 : TrainingPrecision::kMixed;
  } else if (prec == "mixed" || prec == "amp") {
    o.precision = TrainingPrecision::kMixed;
  } else if (prec == "fp32" || prec == "float32") {
    o.precision = TrainingPrecision::kFp32;
  } else if (prec == "bf16" || prec == "bfloat16") {
    o.precision = TrainingPrecision::kBf16;
  } else {
    return bad("/training_precision",
               "unknown training precision '" + req.training_precision + "': use mixed, fp32 or bf16");
  }
  // Mixed precision and pure bf16 compute in bf16 (torch.autocast(dtype=torch.bfloat16), Trainer --bf16), also
  // for fp16 checkpoints; 2 bytes either way.
  o.compute_dtype = o.precision == TrainingPrecision::kFp32 ? Dtype::kFp32 : Dtype::kBf16;

  // ---- workload ----
  o.micro_batch = req.micro_batch;
  if (o.micro_batch < 1) return bad("/micro_batch", "'micro_batch' must be at least 1");
  if (req.seq_len > 0) {
    o.seq_len = req.seq_len;
  } else {
    const int64_t maxpos = m.max_position_embeddings > 0 ? m.max_position_embeddings : 2048;
    o.seq_len = std::min<int64_t>(2048, maxpos);
    if (o.mode != TrainingMode::kInference) {
      notes->push_back("training: sequence length " + std::to_string(o.seq_len) +
                       " tokens (default: 2048 capped at max_position_embeddings; set --seq-len)");
    }
  }
  // Keeps every byte count far inside int64 (logits alone are tokens x vocab x 10 bytes).
  if (static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len) > 1e8) {
    return bad("/micro_batch", "micro_batch x seq_len = " + std::to_string(o.micro_batch) + " x " +
                                   std::to_string(o.seq_len) +
                                   " tokens per GPU step is beyond any training run (limit 100,000,000)");
  }
  if (o.mode != TrainingMode::kInference && m.max_position_embeddings > 0 && o.seq_len > m.max_position_embeddings) {
    warnings->push_back({"seq_len_beyond_max_position", "--seq-len " + std::to_string(o.seq_len) +
                                                            " exceeds the model's max_position_embeddings (" +
                                                            std::to_string(m.max_position_embeddings) + ")"});
  }
  const std::string ck = lower(req.gradient_checkpointing);
  if (ck.empty() || ck == "auto") {
    // The QLoRA scripts always enable gradient checkpointing; transformers' Trainer defaults to off.
    o.checkpointing = qlora ? Checkpointing::kFull : Checkpointing::kNone;
  } else if (ck == "none" || ck == "off" || ck == "false") {
    o.checkpointing = Checkpointing::kNone;
  } else if (ck == "selective") {
    o.checkpointing = Checkpointing::kSelective;
  } else if (ck == "full" || ck == "on" || ck == "true") {
    o.checkpointing = Checkpointing::kFull;
  } else {
    return bad("/gradient_checkpointing", "unknown gradient checkpointing '" + req.gradient_checkpointing +
                                              "': use none, selective or full");
  }
  const std::string attn = lower(req.training_attention);
  if (attn == "flash" || attn == "sdpa" || attn.empty()) {
    o.flash_attention = true;
  } else if (attn == "eager") {
    o.flash_attention = false;
  } else {
    return bad("/training_attention", "unknown attention '" + req.training_attention + "': use flash or eager");
  }

  // ---- LoRA ----
  o.lora_rank = req.lora_rank > 0 ? req.lora_rank : (qlora ? 64 : 8);
  if (req.lora_targets.empty()) {
    // PEFT's default for Llama-style models is q_proj, v_proj (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING);
    // QLoRA adapts every linear layer (arXiv:2305.14314 §4: "LoRA on all linear transformer block layers").
    o.lora_targets = qlora ? kLoraAllLinear : (kLoraQ | kLoraV);
  } else {
    auto t = parse_lora_targets(req.lora_targets);
    if (!t.ok()) return t.error();
    o.lora_targets = t.value();
  }
  o.lora_dropout = req.lora_dropout;
  if (lora) {
    if (req.lora_rank <= 0) {
      notes->push_back(std::string("LoRA rank ") + std::to_string(o.lora_rank) +
                       (qlora ? " (default: the QLoRA paper's r = 64)" : " (default: PEFT LoraConfig r = 8)"));
    }
    if (req.lora_targets.empty()) {
      notes->push_back(qlora ? "LoRA targets: all linear layers (default: the QLoRA paper's choice)"
                             : "LoRA targets: q_proj, v_proj (default: PEFT's for Llama-style models)");
    }
  } else if (o.mode == TrainingMode::kFull && (req.lora_rank > 0 || !req.lora_targets.empty())) {
    warnings->push_back({"lora_options_ignored", "--lora-rank / --lora-targets apply to --mode lora or qlora only"});
  }

  // ---- sharding ----
  o.zero = static_cast<int>(req.zero);
  if (o.zero < 0 || o.zero > 3) return bad("/zero", "'zero' must be 0, 1, 2 or 3");
  o.offload_optimizer = req.offload_optimizer;
  if (o.offload_optimizer && o.zero == 0 && o.mode != TrainingMode::kInference) {
    return make_error(ErrorCode::kConflictingOptions,
                      "--offload-optimizer is a ZeRO option (DeepSpeed offload_optimizer): add --zero 1, 2 or 3",
                      "/offload_optimizer");
  }
  o.gpus = std::max<int64_t>(1, in.layout.gpus());
  if (o.mode != TrainingMode::kInference) {
    if (req.tp > 1 || req.pp > 1) {
      warnings->push_back({"training_model_parallel_ignored",
                           "the training estimate is data parallel over all " + std::to_string(o.gpus) +
                               " GPUs (with ZeRO); --tp / --pp apply to the inference sections only"});
    }
    if (o.zero > 0 && o.gpus == 1) {
      warnings->push_back({"zero_single_gpu", "ZeRO divides model states over data-parallel GPUs: with one GPU "
                                              "nothing is divided (add --gpus N)"});
    }
  }
  o.dataset_tokens = req.dataset_tokens;
  o.mfu = req.training_mfu;
  if (!(o.mfu > 0 && o.mfu <= 1)) return bad("/training_mfu", "'training_mfu' must be in (0, 1]");
  o.reserve = req.training_reserve;
  o.overhead_bytes = req.overhead_gib >= 0 ? static_cast<int64_t>(req.overhead_gib * kGiB) : -1;
  o.max_gpus = std::max<int64_t>(1, req.recommend_max_gpus);

  // ---- the frozen base's storage ----
  if (qlora) {
    // QLoRA: NF4 with double quantisation for the linear layers; embeddings, LM head in 16-bit.
    o.base_format = weight_format_from_name("nf4", Dtype::kBf16).value();
    if (m.has_quantization_config || (!req.dtype.empty() && req.dtype != "auto" && lower(req.dtype) != "nf4")) {
      warnings->push_back({"qlora_replaces_quantization",
                           "QLoRA quantises the 16-bit base to NF4 on load: the base is counted as NF4 (" +
                               (m.has_quantization_config ? "the checkpoint's " + m.quant.label : "--dtype " + req.dtype) +
                               " is not used for training)"});
    }
  } else if (o.mode == TrainingMode::kLora) {
    // LoRA: the frozen base in its dtype; a quantised checkpoint (GPTQ/AWQ/fp8/--dtype) stays quantised.
    o.base_format = in.weights;
    if (o.base_format.method == QuantMethod::kNone && o.precision == TrainingPrecision::kFp32) {
      o.base_format = weight_format_from_name("fp32", Dtype::kFp32).value();
    }
  } else {
    o.base_format = weight_format_from_name(dtype_name(o.compute_dtype), o.compute_dtype).value();
    if (o.mode == TrainingMode::kFull && in.weights.method != QuantMethod::kNone) {
      warnings->push_back({"full_finetune_dequantized",
                           "full fine-tuning trains 16-bit (or fp32) weights: the " + in.weights.label +
                               " storage is not used; the estimate counts the model dequantised"});
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------
// The estimate
// ---------------------------------------------------------------------------------------------------

namespace {

// Parameters that a token multiplies (2 FLOPs each in the forward): every matrix except lookup tables,
// routed experts scaled by top-k / experts, the tied LM head counted once more as a matmul. Vision towers
// and MTP are left out (text tokens only).
double matmul_parameters_per_token(const ModelSpec& m) {
  double n = 0;
  for (const TensorGroup& g : weight_tensors(m, false)) {
    if (g.cols <= 1) continue;  // vectors: norms, biases (negligible FLOPs)
    if (g.role == TensorRole::kVision || g.role == TensorRole::kMtp || g.role == TensorRole::kPosition) continue;
    if (g.role == TensorRole::kEmbedding && std::string(g.name) == "embed_tokens") continue;  // a lookup
    double x = static_cast<double>(g.elements());
    if (g.role == TensorRole::kExperts) {
      const MlpSpec& p = m.layers[static_cast<size_t>(g.layer)].mlp;  // g comes from weight_tensors(m): in range
      x *= static_cast<double>(std::min(p.experts_per_token, p.num_experts)) / static_cast<double>(p.num_experts);
    }
    n += x;
  }
  if (m.tie_word_embeddings) {
    n += static_cast<double>(m.vocab_size) * static_cast<double>(m.embed_proj_dim > 0 ? m.embed_proj_dim : m.hidden_size);
  }
  return n;
}

// Attention score FLOPs of one token's forward: QK^T and AV, 2 FLOPs per multiply-add over the tokens it
// attends to: 2·heads·(d_qk + d_v)·s per layer (PaLM Appendix B counts 12·L·H·Q·T for forward + backward
// with d_qk = d_v = Q and no causal halving; sliding-window layers attend to at most their window).
double attention_flops_per_token(const ModelSpec& m, int64_t seq) {
  double f = 0;
  for (const LayerSpec& l : m.layers) {
    const AttentionSpec& a = l.attn;
    const double d_qk = static_cast<double>(a.mla ? a.qk_nope_head_dim + a.qk_rope_head_dim : a.head_dim);
    const double ctx = static_cast<double>(a.sliding_window > 0 ? std::min(seq, a.sliding_window) : seq);
    f += 2.0 * static_cast<double>(a.num_heads) * (d_qk + static_cast<double>(a.v_head_dim)) * ctx;
  }
  return f;
}

}  // namespace

TrainingEstimate estimate_training(const ModelSpec& m, const GpuSpec& gpu, const TrainingOptions& opts) {
  TrainingEstimate est;
  est.options = opts;
  std::vector<std::string>& notes = est.assumptions;
  const bool lora = opts.mode == TrainingMode::kLora || opts.mode == TrainingMode::kQlora;
  const bool qlora = opts.mode == TrainingMode::kQlora;
  const bool mixed = opts.precision == TrainingPrecision::kMixed;
  const bool fp32 = opts.precision == TrainingPrecision::kFp32;
  const ParameterCounts pc = count_parameters(m);
  est.parameters = pc.total;
  const double e = dtype_bits(opts.compute_dtype) / 8.0;  // activation / 16-bit weight bytes
  const std::vector<TensorGroup> tensors = weight_tensors(m, false);

  // ---- model states of one replica ----
  double grad_bytes = 0;  // per trainable value, on the GPU
  if (!lora) {
    // Full fine-tuning, ZeRO §3.1: mixed precision keeps 16-bit weights (2Ψ) and gradients (2Ψ) and, in the
    // optimizer, an fp32 master copy (4Ψ) plus Adam's fp32 m and v (8Ψ): K = 12, 16 bytes per parameter.
    // fp32: 4 + 4 + 8. Pure bf16 (no master copy; torch optimizers keep states in the parameter dtype):
    // 2 + 2 + 4 with Adam.
    est.trainable_parameters = pc.total;
    const double w = fp32 ? 4.0 : e;
    grad_bytes = w;
    est.base_weights_bytes = static_cast<double>(pc.total) * w;
    est.replica.weights = est.base_weights_bytes;
    est.replica.gradients = static_cast<double>(pc.total) * grad_bytes;
    est.master_weights_bytes = mixed ? 4.0 * static_cast<double>(pc.total) : 0;
    const double state = opts.precision == TrainingPrecision::kBf16 ? 2.0 : 4.0;
    for (const TensorGroup& g : tensors) {
      est.optimizer_states_bytes += optimizer_state_bytes(opts.optimizer, state, g.rows, g.cols, g.count);
    }
    est.replica.optimizer = est.master_weights_bytes + est.optimizer_states_bytes;
    notes.push_back(std::string("full fine-tuning, ") + training_precision_name(opts.precision) +
                    (mixed ? " precision: 16-bit weights and gradients, fp32 master weights and optimizer states "
                             "(counted in optimizer, as the ZeRO paper's K does)"
                           : fp32 ? " precision: fp32 weights, gradients and optimizer states"
                                  : " precision: bf16 weights, gradients and optimizer states, no master copy"));
  } else {
    est.adapters = lora_adapters(m, opts.lora_targets);
    if (opts.lora_targets != kLoraAllLinear) {
      for (uint32_t bit = 1; bit < (1u << 13); bit <<= 1) {
        if ((opts.lora_targets & bit) && lora_adapters(m, bit).empty()) {
          est.warnings.push_back({"lora_target_missing", "LoRA target " + lora_target_names(bit).front() +
                                                             " matches no layer of this model"});
        }
      }
    }
    est.trainable_parameters = lora_parameters(est.adapters, opts.lora_rank);
    // Frozen base in its storage format, tensor by tensor (the same per-tensor rules as inference, tp = 1).
    const RankWeights rw = rank_weights(m, opts.base_format, 1, false, 1, false);
    double base = rw.first_bytes + rw.last_bytes;
    for (double x : rw.layer_bytes) base += x;
    if (qlora) {
      // qlora.py casts the norms to fp32 ("if 'norm' in name: module.to(torch.float32)"): +2 B per value.
      base += 2.0 * static_cast<double>(pc.norms);
    }
    est.base_weights_bytes = base;
    // Adapters: PEFT upcasts bf16/fp16 adapter weights to fp32 (get_peft_model autocast_adapter_dtype=True)
    // and autocast computes in 16-bit; with --training-precision bf16 (the QLoRA recipe) they stay bf16.
    const double a = opts.precision == TrainingPrecision::kBf16 ? 2.0 : 4.0;
    grad_bytes = a;
    const double tp = static_cast<double>(est.trainable_parameters);
    est.adapter_weights_bytes = tp * a;
    est.replica.weights = base + est.adapter_weights_bytes;
    est.replica.gradients = tp * a;
    // bitsandbytes' paged 32-bit AdamW (QLoRA's paged_adamw_32bit) keeps fp32 states whatever the adapter
    // dtype; torch optimizers keep them in the adapter dtype.
    const bool paged = qlora && (opts.optimizer == Optimizer::kAdamW || opts.optimizer == Optimizer::kAdamW8bit);
    const double state = paged ? 4.0 : a;
    for (const LoraAdapter& ad : est.adapters) {
      est.optimizer_states_bytes += optimizer_state_bytes(opts.optimizer, state, opts.lora_rank, ad.in, ad.copies);
      est.optimizer_states_bytes += optimizer_state_bytes(opts.optimizer, state, ad.out, opts.lora_rank, ad.copies);
    }
    est.replica.optimizer = est.optimizer_states_bytes;
    if (qlora) {
      notes.push_back("QLoRA: linear layers in NF4 with double quantisation (4 bits + an 8-bit absmax per 64 "
                      "weights + an fp32 constant per 256 absmax = 4.127 bits); embeddings and LM head 16-bit, "
                      "norms fp32 (qlora.py)");
      if (paged) {
        notes.push_back("paged optimizer: bitsandbytes allocates the states in CUDA unified memory, so they stay "
                        "on the GPU until it runs short, then move to CPU RAM; counted on the GPU (pageable_bytes), "
                        "with fits_with_paging telling whether moving them out would let it fit");
      }
    } else {
      notes.push_back("LoRA: frozen base in " + opts.base_format.label + "; adapters, their gradients and optimizer "
                      "states in " + (a == 4.0 ? "fp32 (PEFT's default upcast)" : "bf16"));
    }
    notes.push_back("LoRA trainable parameters: r x (in + out) per adapted matrix from the real shapes (Hu et al. "
                    "2021); the output layer, embeddings and vision tower are never adapted");
  }
  est.weight_bytes_per_parameter =
      est.parameters > 0 ? est.replica.weights / static_cast<double>(est.parameters) : 0;
  est.gradient_bytes_per_trainable = grad_bytes;
  est.optimizer_bytes_per_trainable =
      est.trainable_parameters > 0 ? est.replica.optimizer / static_cast<double>(est.trainable_parameters) : 0;
  switch (opts.optimizer) {
    case Optimizer::kAdamW: break;
    case Optimizer::kAdamW8bit:
      notes.push_back("8-bit AdamW (Dettmers et al. 2022): 2 bytes of state per parameter + an fp32 absmax per "
                      "2048-value block; tensors under 4096 values keep fp32 states (bitsandbytes min_8bit_size)");
      break;
    case Optimizer::kSgd: notes.push_back("SGD without momentum keeps no optimizer state"); break;
    case Optimizer::kSgdMomentum: notes.push_back("SGD with momentum: one state value per parameter"); break;
    case Optimizer::kAdafactor:
      notes.push_back("Adafactor (Shazeer & Stern 2018): factored second moment, rows + cols per matrix, no first "
                      "moment (transformers' default beta1 = None)");
      break;
  }

  // ---- activations ----
  ActivationOptions ao;
  ao.micro_batch = opts.micro_batch;
  ao.seq_len = opts.seq_len;
  ao.bytes = e;
  ao.flash_attention = opts.flash_attention;
  ao.dropout = opts.dropout;
  ao.checkpointing = opts.checkpointing;
  LoraSetup ls;
  if (lora) {
    ls.adapters = est.adapters;
    ls.rank = opts.lora_rank;
    ls.dropout = opts.lora_dropout;
  }
  est.activations = activation_bytes(m, ao, lora ? &ls : nullptr);
  notes.push_back(std::string("activations: micro-batch ") + std::to_string(opts.micro_batch) + " x " +
                  std::to_string(opts.seq_len) + " tokens in " + dtype_name(opts.compute_dtype) + ", " +
                  (opts.flash_attention ? "FlashAttention (no tokens x tokens scores)" : "eager attention") +
                  ", no dropout in the model, gradient checkpointing " + checkpointing_name(opts.checkpointing) +
                  " (Korthikanti et al. 2022 terms from the real shapes; frozen linear layers keep no inputs)");
  if (m.vision.parameters > 0) {
    notes.push_back("vision tower: its weights are counted (trained in full fine-tuning, frozen in LoRA); its "
                    "activations are not (text-only batches)");
  }
  if (lora && (opts.lora_targets & kLoraExperts) && pc.experts > 0) {
    notes.push_back("routed experts adapted one by one, as transformers 4.x lays them out (an nn.Linear per "
                    "expert); implementations that fuse experts into one parameter (gpt-oss, transformers 5) expose "
                    "no per-expert linear layers to PEFT");
  }
  if (lora && opts.lora_dropout > 0) {
    notes.push_back("LoRA dropout: each adapted layer keeps its own dropped copy of its input and a 1-byte mask "
                    "(PEFT applies lora_dropout per adapted module)");
  }
  if (opts.checkpointing == Checkpointing::kSelective && opts.flash_attention) {
    notes.push_back("selective recomputation drops the attention scores (Korthikanti §4.2), which FlashAttention "
                    "already never stores: it saves nothing more here");
  }
  notes.push_back("logits: micro-batch x seq x vocab in the compute dtype + fp32 log-softmax + fp32 gradient");

  // ---- other: context, NCCL, buckets, dequantisation ----
  // Full fine-tuning: base_format is the trained dtype (resolve_training); LoRA: the frozen base's storage.
  const RankWeights rw = rank_weights(m, opts.base_format, 1, false, 1, false);
  double largest_module_bytes = std::max(rw.first_bytes, rw.last_bytes);
  int64_t largest_module_params = std::max(rw.first_params, rw.last_params);
  for (size_t i = 0; i < rw.layer_bytes.size(); ++i) {
    if (rw.layer_bytes[i] > largest_module_bytes) {
      largest_module_bytes = rw.layer_bytes[i];
      largest_module_params = rw.layer_params[i];
    }
  }
  double largest_quantized_matrix = 0;  // values in one 4-bit matrix
  if (qlora) {
    for (const TensorGroup& g : tensors) {
      if (g.matrix) largest_quantized_matrix = std::max(largest_quantized_matrix, static_cast<double>(g.rows * g.cols));
    }
  }
  const double trainable = static_cast<double>(est.trainable_parameters);
  // DeepSpeed defaults (deepspeed/runtime/zero/config.py): reduce_bucket_size 5e8 values,
  // stage3_prefetch_bucket_size 5e7 values; stage 0 all-reduces in flat buffers of 5e8 values
  // (engine.py buffered_allreduce_fallback, elements_per_buffer=500000000).
  constexpr double kReduceBucket = 5e8;
  constexpr double kPrefetchBucket = 5e7;
  auto other_for = [&](int64_t n, int zero) {
    TrainingOther x;
    // CUDA context + cuBLAS workspaces (memory.cpp default_overhead_bytes) and, across GPUs, NCCL's
    // communicator buffers (the same 512 MiB memory.cpp counts for tensor parallelism).
    x.cuda_context = opts.overhead_bytes >= 0 ? static_cast<double>(opts.overhead_bytes)
                                              : static_cast<double>(default_overhead_bytes(gpu, 1));
    x.nccl = n > 1 ? 512.0 * kMiB : 0;
    if (zero >= 1 || n > 1) x.comm_buckets = std::min(kReduceBucket, trainable) * grad_bytes;
    if (zero >= 3) {
      // ZeRO-3 / FSDP gathers one module's full parameters at a time, plus the prefetched next bucket.
      const double per_param =
          largest_module_params > 0 ? largest_module_bytes / static_cast<double>(largest_module_params) : e;
      x.comm_buckets += largest_module_bytes +
                        std::min(kPrefetchBucket, static_cast<double>(largest_module_params)) * per_param;
    }
    // bitsandbytes MatMul4Bit dequantises the whole weight to the compute dtype for each matmul
    // (bitsandbytes/autograd/_functions.py: F.dequantize_4bit(B, quant_state).to(A.dtype)).
    x.dequant = largest_quantized_matrix * e;
    return x;
  };
  auto per_gpu_states = [&](int64_t n, int zero, bool offload, double* cpu) {
    ModelStateBytes s = shard_model_states(est.replica, zero, n);
    *cpu = 0;
    if (offload) {
      // ZeRO-Offload (arXiv:2101.06840 §4.1): gradients, optimizer states (with the fp32 master copy) and the
      // update move to the CPU; the GPU keeps the 16-bit parameters, gradients pass through the reduce bucket.
      *cpu = s.optimizer + ceil_div(trainable * 4.0, n);
      s.optimizer = 0;
      s.gradients = 0;
    }
    return s;
  };
  // Whole bytes per part (rounded up), and the total as their sum, so the parts always add up.
  auto whole = [](double x) { return static_cast<int64_t>(std::ceil(x)); };
  const int64_t activations_i = whole(est.activations.total());
  auto total_for = [&](int64_t n, int zero, bool offload) {
    double cpu = 0;
    const ModelStateBytes s = per_gpu_states(n, zero, offload, &cpu);
    return whole(s.weights) + whole(s.gradients) + whole(s.optimizer) + activations_i +
           whole(other_for(n, zero).total());
  };
  est.per_gpu = per_gpu_states(opts.gpus, opts.zero, opts.offload_optimizer, &est.cpu_offload_bytes);
  est.other = other_for(opts.gpus, opts.zero);
  est.total_bytes = total_for(opts.gpus, opts.zero, opts.offload_optimizer);
  est.capacity_bytes = gpu.memory_bytes();
  est.usable_bytes = static_cast<int64_t>(static_cast<double>(est.capacity_bytes) * (1.0 - opts.reserve));
  est.free_bytes = est.usable_bytes - est.total_bytes;
  est.fits = est.free_bytes >= 0;
  const bool paged = qlora && !opts.offload_optimizer &&
                     (opts.optimizer == Optimizer::kAdamW || opts.optimizer == Optimizer::kAdamW8bit);
  est.pageable_bytes = paged ? est.per_gpu.optimizer : 0;
  est.fits_with_paging = static_cast<double>(est.total_bytes) - est.pageable_bytes <= static_cast<double>(est.usable_bytes);
  // The fewest data-parallel GPUs that fit, for each ZeRO stage (offload kept for stages >= 1 when asked).
  for (int zero = 0; zero <= 3; ++zero) {
    const bool offload = opts.offload_optimizer && zero >= 1;
    int64_t needed = 0;
    for (int64_t n = 1; n <= opts.max_gpus; ++n) {
      if (total_for(n, zero, offload) <= est.usable_bytes) {
        needed = n;
        break;
      }
      if (zero == 0 && n > 1) break;  // without ZeRO more GPUs divide nothing
    }
    est.gpus_needed_by_zero[static_cast<size_t>(zero)] = needed;
  }
  est.gpus_needed = est.gpus_needed_by_zero[static_cast<size_t>(opts.zero)];
  notes.push_back("data parallel over " + std::to_string(opts.gpus) + " GPU(s), ZeRO stage " +
                  std::to_string(opts.zero) +
                  (opts.zero == 0   ? " (every GPU holds all model states)"
                   : opts.zero == 1 ? " (optimizer states divided over the GPUs)"
                   : opts.zero == 2 ? " (optimizer states and gradients divided)"
                                    : " (optimizer states, gradients and weights divided; FSDP full sharding)") +
                  (opts.offload_optimizer ? ", optimizer offloaded to the CPU (ZeRO-Offload)" : ""));
  if (opts.zero == 0 && opts.gpus > 1) {
    notes.push_back("ZeRO 0 is counted as DeepSpeed's data parallelism (gradients all-reduced through 5e8-value "
                    "buffers); PyTorch DDP without gradient_as_bucket_view=True keeps a second copy of every "
                    "gradient in its buckets (torch.nn.parallel.DistributedDataParallel docs)");
  }
  notes.push_back("other: CUDA context and workspaces" + std::string(opts.gpus > 1 ? ", NCCL buffers" : "") +
                  (est.other.comm_buckets > 0 ? ", DeepSpeed buckets (reduce 5e8 values" +
                                                    std::string(opts.zero >= 3 ? ", the largest module gathered + "
                                                                                 "a 5e7-value prefetch bucket)"
                                                                               : ")")
                                              : "") +
                  (est.other.dequant > 0 ? ", one dequantised 16-bit matrix (bitsandbytes)" : ""));
  notes.push_back("usable: GPU memory minus a " + std::to_string(static_cast<int>(std::lround(opts.reserve * 100))) +
                  " % reserve for allocator fragmentation (--training-reserve; a judgement, not a measured constant)");

  // ---- speed ----
  TrainingSpeed& sp = est.speed;
  sp.peak_dtype = fp32 ? "fp32" : (opts.compute_dtype == Dtype::kFp16 ? "fp16" : "bf16");
  auto it = gpu.tflops.find(sp.peak_dtype);
  if (it == gpu.tflops.end() && sp.peak_dtype == "fp16") it = gpu.tflops.find("bf16");
  if (it == gpu.tflops.end() && sp.peak_dtype == "bf16") it = gpu.tflops.find("fp16");
  const double p_mm = matmul_parameters_per_token(m);
  const double attn = attention_flops_per_token(m, opts.seq_len);
  double adapter = 0;  // forward FLOPs of the adapters per token: 2·r·(in + out) per copy a token passes
  for (const LoraAdapter& ad : est.adapters) {
    adapter += 2.0 * static_cast<double>(opts.lora_rank) * static_cast<double>(ad.in + ad.out) *
               static_cast<double>(ad.copies) * ad.token_share;
  }
  const double forward = 2.0 * p_mm + adapter + attn;
  // Backward = 2 x forward for trained weights (input and weight gradients, Kaplan et al. 2020 §2.1: 6N);
  // a frozen matrix only needs the input gradient, 1 x its forward (so LoRA costs ~4 x base + 6 x adapters).
  const double backward = lora ? 2.0 * p_mm + 2.0 * adapter + 2.0 * attn : 2.0 * forward;
  sp.model_flops_per_token = forward + backward;
  double recompute = 0;
  if (opts.checkpointing == Checkpointing::kFull) recompute = forward;  // one more forward: 6N -> 8N
  if (opts.checkpointing == Checkpointing::kSelective && !opts.flash_attention) recompute = attn;
  sp.executed_flops_per_token = sp.model_flops_per_token + recompute;
  if (it != gpu.tflops.end() && it->second > 0) {
    sp.available = true;
    sp.peak_tflops = it->second;
    sp.hfu = opts.mfu;
    sp.tokens_per_second_per_gpu = opts.mfu * sp.peak_tflops * 1e12 / sp.executed_flops_per_token;
    sp.mfu = sp.tokens_per_second_per_gpu * sp.model_flops_per_token / (sp.peak_tflops * 1e12);
    sp.tokens_per_second = sp.tokens_per_second_per_gpu * static_cast<double>(opts.gpus);
    sp.seconds_per_step =
        static_cast<double>(opts.micro_batch * opts.seq_len) / sp.tokens_per_second_per_gpu;
    if (opts.dataset_tokens > 0) sp.seconds_per_epoch = static_cast<double>(opts.dataset_tokens) / sp.tokens_per_second;
    notes.push_back("speed: " + std::to_string(static_cast<int>(std::lround(opts.mfu * 100))) +
                    " % of the GPU's dense " + sp.peak_dtype +
                    " peak spent on the executed FLOPs (Llama 3 reports 38-43 % BF16 MFU, arXiv:2407.21783 "
                    "Table 4); model FLOPs per token = 6 x matmul parameters + attention (PaLM Appendix B)" +
                    (lora ? ", LoRA: 4 x frozen + 6 x adapter parameters" : "") +
                    (recompute > 0 ? "; recomputation adds one more forward" : "") +
                    "; communication and CPU-offload time not modelled");
  } else {
    notes.push_back("speed: no dense " + sp.peak_dtype + " TFLOPS for this GPU in the catalogue, so no tokens/s");
  }
  if (fp32 && sp.available) {
    notes.push_back("fp32 training runs at the fp32 (non-tensor-core) peak: PyTorch leaves TF32 matmuls off by "
                    "default (torch.backends.cuda.matmul.allow_tf32 = False since 1.12)");
  }
  if (qlora) notes.push_back("QLoRA's per-matmul dequantisation slows it further; not modelled");
  if (!est.fits && est.fits_with_paging) {
    est.warnings.push_back({"fits_only_with_paging", "the paged optimizer states would have to move to CPU RAM (" +
                                                         fmt_gib(est.pageable_bytes) + "): it runs, but slower"});
  }
  return est;
}

}  // namespace llmsizer
