// Fine-tuning: names, LoRA targets and adapters, model states (weights, gradients, optimizer) and ZeRO sharding.
// The activations are in activations.cpp, the request's resolution in training_resolve.cpp, the estimate that
// combines them (and the speed) in estimate.cpp.
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
#include <cmath>

#include "training/training_util.h"

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

const char* optimizer_impl_name(OptimizerImpl i) {
  switch (i) {
    case OptimizerImpl::kForeach: return "foreach";
    case OptimizerImpl::kFused: return "fused";
    case OptimizerImpl::kForLoop: return "for-loop";
  }
  return "foreach";
}

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kForward: return "forward";
    case Phase::kBackward: return "backward";
    case Phase::kOptimizerStep: return "optimizer_step";
  }
  return "backward";
}

namespace {

using training_util::ceil_div;
using training_util::lower;

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

}  // namespace

FusedProjections fused_projections(const ModelSpec& m) {
  for (const Fusion& f : kFusions) {
    if (m.family == f.family) return FusedProjections{f.qkv, f.gate_up};
  }
  return FusedProjections{};
}

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
  const FusedProjections fused = fused_projections(m);
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


double optimizer_step_temporary_bytes(Optimizer o, OptimizerImpl impl, double state_bytes, double values,
                                      double largest) {
  switch (o) {
    case Optimizer::kAdamW:
      if (impl == OptimizerImpl::kFused) return 0;
      if (impl == OptimizerImpl::kForLoop) return 2.0 * largest * state_bytes;
      return values * state_bytes;
    case Optimizer::kAdafactor: return 2.0 * largest * 4.0;
    case Optimizer::kAdamW8bit:
    case Optimizer::kSgd:
    case Optimizer::kSgdMomentum: return 0;
  }
  return 0;
}

int64_t PhaseBytes::total() const {
  auto whole = [](double x) { return static_cast<int64_t>(std::ceil(x)); };
  return whole(weights) + whole(gradients) + whole(optimizer) + whole(activations) + whole(other);
}

}  // namespace llmsizer
