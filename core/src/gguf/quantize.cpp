// llama.cpp file types and llama-quantize's per-tensor rules (quantize.h).
//
// Sources (llama.cpp snapshot of 2026-09-28, as bundled in node-llama-cpp 3.22.1; see quantize.h):
//   include/llama.h                enum llama_ftype
//   src/llama-quant.cpp            llama_ftype_get_default_type, tensor_allows_quantization,
//                                  llama_tensor_get_type_impl, tensor_type_fallback
//   src/llama-model-loader.cpp     llama_ftype_name
#include "gguf/quantize.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace llmsizer {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// llama.cpp file types
// ------------------------------------------------------------------------------------------------

namespace ftype {
// include/llama.h enum llama_ftype
constexpr int kAllF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 7, kQ5_0 = 8, kQ5_1 = 9, kQ2_K = 10,
              kQ3_K_S = 11, kQ3_K_M = 12, kQ3_K_L = 13, kQ4_K_S = 14, kQ4_K_M = 15, kQ5_K_S = 16, kQ5_K_M = 17,
              kQ6_K = 18, kIQ2_XXS = 19, kIQ2_XS = 20, kQ2_K_S = 21, kIQ3_XS = 22, kIQ3_XXS = 23, kIQ1_S = 24,
              kIQ4_NL = 25, kIQ3_S = 26, kIQ3_M = 27, kIQ2_S = 28, kIQ2_M = 29, kIQ4_XS = 30, kIQ1_M = 31,
              kBF16 = 32, kTQ1_0 = 36, kTQ2_0 = 37, kMXFP4_MOE = 38, kNVFP4 = 39, kQ1_0 = 40, kQ2_0 = 41;
}  // namespace ftype

const std::vector<LlamaFtypeInfo>& llama_ftypes() {
  using G = GgmlType;
  // {id, llama-quantize name, llama_ftype_name, llama_ftype_get_default_type}
  static const std::vector<LlamaFtypeInfo> kFtypes = {
      {ftype::kAllF32, "F32", "all F32", G::kF32},
      {ftype::kF16, "F16", "F16", G::kF16},
      {ftype::kBF16, "BF16", "BF16", G::kBF16},
      {ftype::kQ8_0, "Q8_0", "Q8_0", G::kQ8_0},
      {ftype::kQ6_K, "Q6_K", "Q6_K", G::kQ6_K},
      {ftype::kQ5_K_M, "Q5_K_M", "Q5_K - Medium", G::kQ5_K},
      {ftype::kQ5_K_S, "Q5_K_S", "Q5_K - Small", G::kQ5_K},
      {ftype::kQ5_1, "Q5_1", "Q5_1", G::kQ5_1},
      {ftype::kQ5_0, "Q5_0", "Q5_0", G::kQ5_0},
      {ftype::kQ4_K_M, "Q4_K_M", "Q4_K - Medium", G::kQ4_K},
      {ftype::kQ4_K_S, "Q4_K_S", "Q4_K - Small", G::kQ4_K},
      {ftype::kQ4_1, "Q4_1", "Q4_1", G::kQ4_1},
      {ftype::kQ4_0, "Q4_0", "Q4_0", G::kQ4_0},
      {ftype::kIQ4_NL, "IQ4_NL", "IQ4_NL - 4.5 bpw", G::kIQ4_NL},
      {ftype::kIQ4_XS, "IQ4_XS", "IQ4_XS - 4.25 bpw", G::kIQ4_XS},
      {ftype::kMXFP4_MOE, "MXFP4_MOE", "MXFP4 MoE", G::kMXFP4},
      {ftype::kNVFP4, "NVFP4", "NVFP4", G::kNVFP4},
      {ftype::kQ3_K_L, "Q3_K_L", "Q3_K - Large", G::kQ3_K},
      {ftype::kQ3_K_M, "Q3_K_M", "Q3_K - Medium", G::kQ3_K},
      {ftype::kQ3_K_S, "Q3_K_S", "Q3_K - Small", G::kQ3_K},
      {ftype::kIQ3_M, "IQ3_M", "IQ3_S mix - 3.66 bpw", G::kIQ3_S},
      {ftype::kIQ3_S, "IQ3_S", "IQ3_S - 3.4375 bpw", G::kIQ3_S},
      {ftype::kIQ3_XS, "IQ3_XS", "IQ3_XS - 3.3 bpw", G::kIQ3_S},
      {ftype::kIQ3_XXS, "IQ3_XXS", "IQ3_XXS - 3.0625 bpw", G::kIQ3_XXS},
      {ftype::kQ2_K, "Q2_K", "Q2_K - Medium", G::kQ2_K},
      {ftype::kQ2_K_S, "Q2_K_S", "Q2_K - Small", G::kQ2_K},
      {ftype::kIQ2_M, "IQ2_M", "IQ2_M - 2.7 bpw", G::kIQ2_S},
      {ftype::kIQ2_S, "IQ2_S", "IQ2_S - 2.5 bpw", G::kIQ2_XS},
      {ftype::kIQ2_XS, "IQ2_XS", "IQ2_XS - 2.3125 bpw", G::kIQ2_XS},
      {ftype::kIQ2_XXS, "IQ2_XXS", "IQ2_XXS - 2.0625 bpw", G::kIQ2_XXS},
      {ftype::kQ2_0, "Q2_0", "Q2_0", G::kQ2_0},
      {ftype::kTQ2_0, "TQ2_0", "TQ2_0 - 2.06 bpw ternary", G::kTQ2_0},
      {ftype::kTQ1_0, "TQ1_0", "TQ1_0 - 1.69 bpw ternary", G::kTQ1_0},
      {ftype::kIQ1_M, "IQ1_M", "IQ1_M - 1.75 bpw", G::kIQ1_M},
      {ftype::kIQ1_S, "IQ1_S", "IQ1_S - 1.5625 bpw", G::kIQ1_S},
      {ftype::kQ1_0, "Q1_0", "Q1_0", G::kQ1_0},
  };
  return kFtypes;
}

const LlamaFtypeInfo* llama_ftype_info(int id) {
  for (const LlamaFtypeInfo& f : llama_ftypes()) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const LlamaFtypeInfo* llama_ftype_by_name(const std::string& raw) {
  std::string n = upper(raw);
  // tools/quantize/quantize.cpp QUANT_OPTIONS: "Q3_K" / "Q4_K" / "Q5_K" are aliases of the _M mixes.
  if (n == "Q3_K") n = "Q3_K_M";
  if (n == "Q4_K") n = "Q4_K_M";
  if (n == "Q5_K") n = "Q5_K_M";
  for (const LlamaFtypeInfo& f : llama_ftypes()) {
    if (n == f.name) return &f;
  }
  return nullptr;
}

Result<WeightFormat> gguf_weight_format(const std::string& name) {
  const LlamaFtypeInfo* f = llama_ftype_by_name(name);
  if (!f) {
    std::string list;
    for (const LlamaFtypeInfo& x : llama_ftypes()) list += std::string(list.empty() ? "" : ", ") + x.name;
    return make_error(ErrorCode::kInvalidValue, "unknown GGUF file type '" + name + "': use one of " + list);
  }
  WeightFormat w;
  w.method = QuantMethod::kGguf;
  w.dtype = Dtype::kFp16;  // ggml computes in f32; 16-bit is what llama.cpp's F16 files and KV default to
  w.bits = ggml_bits_per_weight(f->default_type);
  w.gguf_ftype = f->id;
  w.label = std::string("GGUF ") + f->name;
  return w;
}

// ------------------------------------------------------------------------------------------------
// The GGUF tensors of a ModelSpec and their types
// ------------------------------------------------------------------------------------------------

namespace {

// src/llama-quant.cpp tensor_get_category
enum class Category { kOutput, kTokenEmbd, kAttnQkv, kAttnKvB, kAttnV, kAttnK, kAttnQ, kAttnOutput, kFfnUp,
                      kFfnGate, kFfnDown, kOther };

Category category_of(const std::string& name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return Category::kTokenEmbd;
  if (name.find("attn_qkv.weight") != std::string::npos) return Category::kAttnQkv;
  if (name.find("attn_kv_b.weight") != std::string::npos) return Category::kAttnKvB;
  if (name.find("attn_v.weight") != std::string::npos) return Category::kAttnV;
  if (name.find("attn_k.weight") != std::string::npos) return Category::kAttnK;
  if (name.find("attn_q.weight") != std::string::npos) return Category::kAttnQ;
  if (name.find("attn_output.weight") != std::string::npos) return Category::kAttnOutput;
  if (name.find("ffn_up") != std::string::npos) return Category::kFfnUp;
  if (name.find("ffn_gate") != std::string::npos) return Category::kFfnGate;
  if (name.find("ffn_down") != std::string::npos) return Category::kFfnDown;
  return Category::kOther;
}

/// The category of a built tensor: computed once in Builder::add.
Category category_of(const GgufTensor& t) {
  return t.category >= 0 ? static_cast<Category>(t.category) : category_of(t.name);
}

bool is_attn_v_like(Category c) {
  return c == Category::kAttnV || c == Category::kAttnQkv || c == Category::kAttnKvB;
}

// Architectures as llama.cpp names them, for the few rules that depend on it.
bool family_is_falcon(const ModelSpec& m) { return m.family == "falcon"; }

// Families whose GGUF conversion fuses q/k/v into one attn_qkv (convert_hf_to_gguf.py / conversion/*.py:
// Phi-3 keeps qkv_proj fused; GPT-2 c_attn, GPT-NeoX query_key_value and Falcon likewise).
bool fused_qkv(const ModelSpec& m) {
  return m.family == "phi3" || m.family == "gpt2" || m.family == "gpt_neox" || m.family == "falcon";
}
// Phi-3's gate_up_proj is one tensor in GGUF (ffn_up with 2 x intermediate rows).
bool fused_gate_up(const ModelSpec& m) { return m.family == "phi3"; }

struct Builder {
  const ModelSpec& m;
  std::vector<GgufTensor>& out;
  void add(const char* name, int32_t layer, int64_t cols, int64_t rows, int64_t count, TensorRole role, Shard shard,
           int64_t heads = 0, bool expert3d = false) {
    if (cols <= 0 || rows <= 0 || count <= 0) return;
    GgufTensor t;
    t.name = name;
    t.layer = layer;
    t.cols = cols;
    t.rows = rows;
    t.count = count;
    t.role = role;
    t.shard = shard;
    t.heads = heads;
    t.expert3d = expert3d;
    t.category = static_cast<int>(category_of(t.name));
    out.push_back(std::move(t));
  }
};

// GGUF names per tensor group of model.cpp's weight_tensors() (llama.cpp src/llama-arch.cpp LLM_TENSOR_NAMES).
void add_group(Builder& b, const TensorGroup& g) {
  const ModelSpec& m = b.m;
  const std::string n = g.name;
  const int32_t l = g.layer;
  const TensorRole r = g.role;
  // model.cpp stores rows = output features, cols = input features: GGUF ne[0] = cols, ne[1] = rows.
  if (n == "embed_tokens") return b.add("token_embd.weight", -1, g.cols, g.rows, 1, r, g.shard);
  if (n == "embed_positions") return b.add("position_embd.weight", -1, g.cols, g.rows, 1, r, g.shard);
  if (n == "lm_head") return b.add("output.weight", -2, g.cols, g.rows, 1, r, g.shard);
  if (n == "lm_head_bias") return b.add("output.bias", -2, 1, g.rows, 1, r, g.shard);
  if (n == "final_norm") return b.add("output_norm.weight", -2, g.rows, 1, g.count, r, g.shard);
  if (n == "project_in" || n == "project_out") return b.add((n + ".weight").c_str(), l, g.cols, g.rows, 1, r, g.shard);
  if (n == "layer_norms") return b.add("attn_norm.weight", l, g.rows, 1, g.count, r, g.shard);
  if (n == "q_proj") {
    if (fused_qkv(m)) return;  // emitted with v_proj below
    return b.add("attn_q.weight", l, g.cols, g.rows, 1, r, g.shard);
  }
  if (n == "k_proj") {
    if (fused_qkv(m)) return;
    return b.add("attn_k.weight", l, g.cols, g.rows, 1, r, g.shard, g.heads);
  }
  if (n == "v_proj") {
    if (fused_qkv(m)) {
      const AttentionSpec& a = m.layers[static_cast<size_t>(l)].attn;
      const int64_t rows = a.num_heads * a.head_dim + a.num_kv_heads * (a.head_dim + a.v_head_dim);
      return b.add("attn_qkv.weight", l, g.cols, rows, 1, r, Shard::kColumn);
    }
    return b.add("attn_v.weight", l, g.cols, g.rows, 1, r, g.shard, g.heads);
  }
  if (n == "o_proj") return b.add("attn_output.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "q_bias" || n == "k_bias" || n == "v_bias" || n == "o_bias") {
    return b.add(("attn_" + n.substr(0, 1) + ".bias").c_str(), l, g.rows, 1, 1, r, g.shard, g.heads);
  }
  if (n == "qk_norm") return b.add("attn_qk_norm.weight", l, g.rows, 1, g.count, r, g.shard);
  if (n == "sinks") return b.add("attn_sinks.weight", l, g.rows, 1, 1, r, g.shard);
  // MLA (DeepSeek-V2/V3): conversion/deepseek.py splits kv_b_proj into attn_k_b (3-D, ne[0] =
  // qk_nope_head_dim) and attn_v_b (ne[0] = kv_lora_rank) for the absorbed-MLA kernels.
  if (n == "q_a_proj") return b.add("attn_q_a.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "q_a_layernorm") return b.add("attn_q_a_norm.weight", l, g.rows, 1, 1, r, g.shard);
  if (n == "q_b_proj") return b.add("attn_q_b.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "kv_a_proj_with_mqa") return b.add("attn_kv_a_mqa.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "kv_a_layernorm") return b.add("attn_kv_a_norm.weight", l, g.rows, 1, 1, r, g.shard);
  if (n == "kv_b_proj") {
    const AttentionSpec& a = m.layers[static_cast<size_t>(l)].attn;
    b.add("attn_k_b.weight", l, a.qk_nope_head_dim, a.kv_lora_rank, a.num_heads, r, Shard::kColumn, 0, true);
    b.add("attn_v_b.weight", l, a.kv_lora_rank, a.v_head_dim, a.num_heads, r, Shard::kColumn, 0, true);
    return;
  }
  // Dense MLP.
  if (n == "gate_proj") {
    if (fused_gate_up(m)) return;
    return b.add("ffn_gate.weight", l, g.cols, g.rows, 1, r, g.shard);
  }
  if (n == "up_proj") {
    const bool gated = m.layers[static_cast<size_t>(l)].mlp.gated;
    return b.add("ffn_up.weight", l, g.cols, g.rows * (fused_gate_up(m) && gated ? 2 : 1), 1, r, g.shard);
  }
  if (n == "down_proj") return b.add("ffn_down.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "mlp_bias_in") return b.add("ffn_up.bias", l, g.rows, 1, 1, r, g.shard);
  if (n == "mlp_bias_out") return b.add("ffn_down.bias", l, g.rows, 1, 1, r, g.shard);
  // Mixture of experts: 3-D tensors [cols, rows, experts] (ffn_*_exps), router ffn_gate_inp.
  if (n == "router") return b.add("ffn_gate_inp.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "router_bias") return b.add("ffn_gate_inp.bias", l, g.rows, 1, 1, r, g.shard);
  if (n == "e_score_correction_bias") return b.add("exp_probs_b.bias", l, g.rows, 1, 1, r, g.shard);
  if (n == "experts.w13") {
    const MlpSpec& p = m.layers[static_cast<size_t>(l)].mlp;
    if (p.gated) {
      b.add("ffn_gate_exps.weight", l, g.cols, g.rows / 2, g.count, r, g.shard, 0, true);
      b.add("ffn_up_exps.weight", l, g.cols, g.rows / 2, g.count, r, g.shard, 0, true);
    } else {
      b.add("ffn_up_exps.weight", l, g.cols, g.rows, g.count, r, g.shard, 0, true);
    }
    return;
  }
  if (n == "experts.w2") return b.add("ffn_down_exps.weight", l, g.cols, g.rows, g.count, r, g.shard, 0, true);
  if (n == "experts.w13_bias") return b.add("ffn_up_exps.bias", l, g.rows, 1, g.count, r, g.shard);
  if (n == "experts.w2_bias") return b.add("ffn_down_exps.bias", l, g.rows, 1, g.count, r, g.shard);
  if (n == "shared.gate_proj") return b.add("ffn_gate_shexp.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "shared.up_proj") return b.add("ffn_up_shexp.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "shared.down_proj") return b.add("ffn_down_shexp.weight", l, g.cols, g.rows, 1, r, g.shard);
  if (n == "shared_expert_gate") return b.add("ffn_gate_inp_shexp.weight", l, g.cols, g.rows, 1, r, g.shard);
  // Anything else keeps its shape under its own name (counted in the layer; quantised by default rules).
  b.add((n + ".weight").c_str(), l, g.cols, g.rows, g.count, r, g.shard, g.heads);
}

// tensor_allows_quantization (src/llama-quant.cpp): 2-D/3-D ".weight" tensors except norms, routers and
// position / token-type embeddings.
bool allows_quantization(const GgufTensor& t) {
  const bool two_d = t.rows > 1 || t.count > 1;
  if (!two_d) return false;
  const std::string& n = t.name;
  if (n.size() < 6 || n.compare(n.size() - 6, 6, "weight") != 0) return false;
  if (n.find("_norm.weight") != std::string::npos) return false;
  if (n.find("ffn_gate_inp.weight") != std::string::npos) return false;
  if (n == "position_embd.weight" || n == "token_types.weight") return false;
  return true;
}

// The type convert_hf_to_gguf.py writes for a tensor of an --outtype f16/bf16/f32 conversion
// (conversion/base.py prepare_tensors): 1-D tensors, norms, routers (incl. the shared-expert gate) and
// position embeddings in F32, everything else in the file's float type.
GgmlType source_type(const GgufTensor& t, GgmlType file_float) {
  const std::string& n = t.name;
  const bool one_d = t.rows <= 1 && t.count <= 1;
  if (one_d || n.find("_norm.weight") != std::string::npos || n.find("ffn_gate_inp") != std::string::npos ||
      n == "position_embd.weight" || n.size() < 6 || n.compare(n.size() - 6, 6, "weight") != 0) {
    return GgmlType::kF32;
  }
  return file_float;
}

struct QuantState {
  int n_attention_wv = 0;
  int i_attention_wv = 0;
  int n_layer = 0;
  bool has_tied_embeddings = true;
  int64_t n_expert = 0;
  int64_t n_gqa = 1;
  bool is_70b = false;
  bool falcon = false;
};

bool any_of(int f, std::initializer_list<int> list) { return std::find(list.begin(), list.end(), f) != list.end(); }

// src/llama-quant.cpp llama_tensor_get_type_impl, for a tensor with layer index i_layer (the ffn counters
// equal the layer index: one ffn_down/gate/up per layer in file order, or parsed from "blk.N." for MoE).
GgmlType get_type_impl(QuantState& qs, GgmlType new_type, const GgufTensor& t, int f) {
  using G = GgmlType;
  namespace F = ftype;
  const Category cat = category_of(t);
  auto use_more_bits = [](int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; };
  const int i_layer = std::max(0, t.layer);
  const int n_layer = qs.n_layer;
  if (cat == Category::kOutput || (qs.has_tied_embeddings && cat == Category::kTokenEmbd)) {
    const int64_t nx = t.cols;
    const int64_t qk_k = ggml_type_info(new_type).block_size;
    if (f == F::kMXFP4_MOE) {
      new_type = G::kQ8_0;
    } else if (qs.falcon || nx % qk_k != 0) {
      new_type = G::kQ8_0;
    } else if (any_of(f, {F::kIQ2_XXS, F::kIQ2_XS, F::kIQ3_XXS, F::kIQ1_S, F::kIQ2_S, F::kIQ2_M, F::kIQ1_M})) {
      new_type = G::kQ5_K;
    } else if (new_type != G::kQ8_0) {
      new_type = G::kQ6_K;
    }
  } else if (f == F::kMXFP4_MOE) {
    // MoE tensors -> MXFP4, other tensors -> Q8_0 (ne[2] > 1: the 3-D expert tensors)
    new_type = t.expert3d && t.count > 1 ? G::kMXFP4 : G::kQ8_0;
  } else if (cat == Category::kTokenEmbd) {
    if (any_of(f, {F::kIQ2_XXS, F::kIQ2_XS, F::kIQ1_S, F::kIQ1_M})) {
      new_type = G::kQ2_K;
    } else if (any_of(f, {F::kIQ2_S, F::kIQ2_M, F::kIQ3_XXS})) {
      new_type = G::kIQ3_S;
    } else if (any_of(f, {F::kTQ1_0, F::kTQ2_0, F::kQ2_0})) {
      new_type = G::kQ4_K;
    }
  } else if (any_of(f, {F::kIQ2_XXS, F::kIQ2_XS, F::kIQ1_S, F::kIQ2_S, F::kIQ2_M, F::kIQ1_M})) {
    if (is_attn_v_like(cat)) {
      if (qs.n_gqa >= 4 || qs.n_expert >= 4) {
        new_type = G::kQ4_K;
      } else {
        new_type = any_of(f, {F::kIQ2_S, F::kIQ2_M}) ? G::kIQ3_S : G::kQ2_K;
      }
      ++qs.i_attention_wv;
    } else if (qs.n_expert == 8 && cat == Category::kAttnK) {
      new_type = G::kQ4_K;
    } else if (cat == Category::kFfnDown) {
      if (i_layer < n_layer / 8) new_type = any_of(f, {F::kIQ2_S, F::kIQ2_M}) ? G::kIQ3_S : G::kQ2_K;
    } else if (cat == Category::kAttnOutput) {
      if (qs.n_expert == 8) {
        new_type = G::kQ5_K;
      } else if (any_of(f, {F::kIQ1_S, F::kIQ1_M})) {
        new_type = G::kIQ2_XXS;
      } else if (any_of(f, {F::kIQ2_S, F::kIQ2_M})) {
        new_type = G::kIQ3_S;
      }
    }
  } else if (is_attn_v_like(cat)) {
    if (f == F::kQ2_K) {
      new_type = qs.n_gqa >= 4 ? G::kQ4_K : G::kQ3_K;
    } else if (f == F::kQ2_K_S && qs.n_gqa >= 4) {
      new_type = G::kQ4_K;
    } else if (f == F::kIQ3_XXS) {
      // no importance matrix assumed (has_imatrix = false)
      new_type = qs.n_gqa >= 4 ? G::kQ4_K : G::kIQ3_S;
    } else if ((f == F::kIQ3_XS || f == F::kIQ3_S) && qs.n_gqa >= 4) {
      new_type = G::kQ4_K;
    } else if (f == F::kIQ3_M) {
      new_type = G::kQ4_K;
    } else if (f == F::kQ3_K_M) {
      new_type = qs.i_attention_wv < 2 ? G::kQ5_K : G::kQ4_K;
    } else if (f == F::kQ3_K_L) {
      new_type = G::kQ5_K;
    } else if ((f == F::kIQ4_NL || f == F::kIQ4_XS) && qs.n_gqa >= 4) {
      new_type = G::kQ5_K;
    } else if ((f == F::kQ4_K_M || f == F::kQ5_K_M) && use_more_bits(qs.i_attention_wv, qs.n_attention_wv)) {
      new_type = G::kQ6_K;
    } else if (f == F::kQ4_K_S && qs.i_attention_wv < 4) {
      new_type = G::kQ5_K;
    }
    if (qs.is_70b && (new_type == G::kQ3_K || new_type == G::kQ4_K)) new_type = G::kQ5_K;
    if (qs.n_expert == 8) new_type = G::kQ8_0;
    ++qs.i_attention_wv;
  } else if (cat == Category::kAttnK) {
    if (qs.n_expert == 8) {
      new_type = G::kQ8_0;
    } else if (f == F::kIQ3_XS) {
      new_type = G::kIQ3_XXS;
    } else if (f == F::kIQ3_XXS) {
      new_type = G::kIQ2_S;
    }
  } else if (cat == Category::kAttnQ) {
    if (f == F::kIQ3_XS) {
      new_type = G::kIQ3_XXS;
    } else if (f == F::kIQ3_XXS) {
      new_type = G::kIQ2_S;
    }
  } else if (cat == Category::kFfnDown) {
    if (f == F::kQ2_K) {
      new_type = G::kQ3_K;
    } else if (f == F::kQ2_K_S) {
      if (i_layer < n_layer / 8) new_type = G::kQ4_K;
    } else if (f == F::kIQ3_XXS) {
      new_type = i_layer < n_layer / 8 ? G::kQ4_K : G::kQ3_K;
    } else if (f == F::kQ3_K_M) {
      new_type = i_layer < n_layer / 16                              ? G::kQ5_K
                 : !qs.falcon || use_more_bits(i_layer, n_layer) ? G::kQ4_K
                                                                     : G::kQ3_K;
    } else if (f == F::kIQ3_M && (i_layer < n_layer / 8 || (qs.n_expert == 8 && use_more_bits(i_layer, n_layer)))) {
      new_type = G::kQ4_K;
    } else if (f == F::kQ3_K_L) {
      new_type = qs.falcon ? G::kQ4_K : G::kQ5_K;
    } else if (f == F::kQ4_K_M) {
      if (qs.falcon) {
        new_type = i_layer < n_layer / 16 ? G::kQ6_K : use_more_bits(i_layer, n_layer) ? G::kQ5_K : G::kQ4_K;
      } else if (use_more_bits(i_layer, n_layer)) {
        new_type = G::kQ6_K;
      }
    } else if (i_layer < n_layer / 8 && (f == F::kIQ4_NL || f == F::kIQ4_XS)) {
      new_type = G::kQ5_K;  // without an importance matrix
    } else if (f == F::kQ5_K_M && use_more_bits(i_layer, n_layer)) {
      new_type = G::kQ6_K;
    } else if (f == F::kQ4_K_S && !qs.falcon && i_layer < n_layer / 8) {
      new_type = G::kQ5_K;
    }
  } else if (cat == Category::kAttnOutput) {
    if (!qs.falcon) {
      if (qs.n_expert == 8) {
        if (any_of(f, {F::kQ2_K, F::kIQ3_XS, F::kIQ3_XXS, F::kQ3_K_S, F::kQ3_K_M, F::kIQ4_NL, F::kQ4_K_S, F::kQ4_K_M,
                       F::kIQ3_S, F::kIQ3_M, F::kIQ4_XS})) {
          new_type = G::kQ5_K;
        }
      } else {
        if (f == F::kQ2_K) new_type = G::kQ3_K;
        else if (f == F::kIQ3_XXS) new_type = G::kIQ3_S;
        else if (f == F::kQ3_K_M) new_type = G::kQ4_K;
        else if (f == F::kQ3_K_L) new_type = G::kQ5_K;
        else if (f == F::kIQ3_M) new_type = G::kQ4_K;
      }
    } else if (f == F::kQ3_K_L) {
      new_type = G::kQ4_K;
    }
  } else if (cat == Category::kAttnQkv) {
    if (any_of(f, {F::kQ3_K_M, F::kQ3_K_L, F::kIQ3_M})) {
      new_type = G::kQ4_K;
    } else if (f == F::kQ4_K_M) {
      new_type = G::kQ5_K;
    } else if (f == F::kQ5_K_M) {
      new_type = G::kQ6_K;
    }
  } else if (cat == Category::kFfnGate || cat == Category::kFfnUp) {
    if (f == F::kIQ3_XS && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8) new_type = G::kIQ3_XXS;
  }
  return new_type;
}

// src/llama-quant.cpp tensor_type_fallback: a row length the type's block does not divide.
GgmlType type_fallback(const GgufTensor& t, GgmlType target) {
  using G = GgmlType;
  const int64_t ncols = t.cols;
  if (ncols % ggml_type_info(target).block_size == 0) return target;
  G r = target;
  switch (target) {
    case G::kIQ1_S: case G::kIQ1_M: case G::kIQ2_XXS: case G::kIQ2_XS: case G::kIQ2_S: case G::kIQ3_XXS:
    case G::kIQ3_S: case G::kIQ4_XS: r = G::kIQ4_NL; break;
    case G::kQ2_0: case G::kQ2_K: case G::kQ3_K: case G::kTQ1_0: case G::kTQ2_0: r = G::kQ4_0; break;
    case G::kQ4_K: r = G::kQ5_0; break;
    case G::kQ5_K: r = G::kQ5_1; break;
    case G::kQ6_K: r = G::kQ8_0; break;
    default: r = target; break;
  }
  if (ncols % ggml_type_info(r).block_size != 0) r = G::kF16;
  return r;
}

}  // namespace

std::vector<GgufTensor> gguf_tensors(const ModelSpec& m, int f) {
  std::vector<GgufTensor> out;
  const std::vector<TensorGroup> groups = weight_tensors(m, /*include_mtp=*/false);
  out.reserve(groups.size() + 8);
  Builder b{m, out};
  for (const TensorGroup& g : groups) {
    if (g.role == TensorRole::kVision) continue;  // the mmproj file, not the model file
    add_group(b, g);
  }
  // File order: token_embd first, blocks in order, output last (convert_hf_to_gguf writes in checkpoint
  // order; llama-quantize counts attn_v tensors in that order).
  std::stable_sort(out.begin(), out.end(), [](const GgufTensor& a, const GgufTensor& c) {
    auto key = [](const GgufTensor& t) { return t.layer == -1 ? -1 : t.layer == -2 ? (1 << 30) : t.layer; };
    return key(a) < key(c);
  });

  const LlamaFtypeInfo* info = llama_ftype_info(f);
  const GgmlType dflt = info ? info->default_type : GgmlType::kF16;
  const GgmlTypeInfo& dinfo = ggml_type_info(dflt);
  // A quantised file is made from an F16/BF16 conversion; its unquantised tensors keep that conversion's types.
  const GgmlType file_float = dinfo.quantized ? GgmlType::kF16 : dflt;

  QuantState qs;
  qs.n_layer = static_cast<int>(m.num_hidden_layers());
  for (const GgufTensor& t : out) {
    if (is_attn_v_like(category_of(t))) ++qs.n_attention_wv;
    if (category_of(t) == Category::kOutput) qs.has_tied_embeddings = false;
  }
  if (!m.layers.empty()) {
    const AttentionSpec& a = m.layers.front().attn;
    qs.n_gqa = a.num_kv_heads > 0 && !a.mla ? std::max<int64_t>(1, a.num_heads / a.num_kv_heads) : 1;
    for (const LayerSpec& l : m.layers) qs.n_expert = std::max(qs.n_expert, l.mlp.num_experts);
    // LLM_TYPE_70B: 80 layers in src/models/llama.cpp (with GQA; 65B without) and src/models/qwen2.cpp.
    const bool llama_arch = m.family == "llama" || m.family == "mistral" || m.family == "mixtral";
    qs.is_70b = qs.n_layer == 80 && ((llama_arch && a.num_heads != a.num_kv_heads) || m.family == "qwen2");
  }
  qs.falcon = family_is_falcon(m);

  for (GgufTensor& t : out) {
    if (!allows_quantization(t)) {
      t.type = source_type(t, file_float);
      continue;
    }
    GgmlType type = dflt;
    if (dinfo.quantized) {
      type = get_type_impl(qs, type, t, f);
      type = type_fallback(t, type);
    }
    t.type = type;
  }
  return out;
}

RankWeights gguf_rank_weights(const ModelSpec& m, const WeightFormat& f, int64_t tp, int64_t vocab_padding,
                              bool rope_cache) {
  tp = std::max<int64_t>(1, tp);
  RankWeights w;
  const int64_t layers = m.num_hidden_layers();
  w.layer_bytes.assign(static_cast<size_t>(layers), 0.0);
  w.layer_params.assign(static_cast<size_t>(layers), 0);
  const std::vector<GgufTensor> tensors = gguf_tensors(m, f.gguf_ftype);
  double embed_bytes = 0;
  auto cost = [&](const GgufTensor& t, int64_t ranks, double* bytes, int64_t* params) {
    // GGUF's ne[1] (rows) is the output dimension and ne[0] (cols) the input, as in model.cpp's groups.
    const ShardShape sh = shard_shape(t.shard, t.rows, t.cols, t.heads, ranks, vocab_padding);
    const int64_t rows = sh.rows;
    const int64_t cols = sh.cols;
    *params += rows * cols * t.count;
    *bytes += static_cast<double>(ggml_row_size(t.type, cols)) * static_cast<double>(rows) *
              static_cast<double>(t.count);
  };
  auto fill = [&](int64_t ranks, RankWeights* into, double* embed) {
    for (const GgufTensor& t : tensors) {
      if (t.layer == -1) {
        cost(t, ranks, &into->first_bytes, &into->first_params);
        if (t.name == "token_embd.weight") {
          int64_t ignored = 0;
          double b = 0;
          cost(t, ranks, &b, &ignored);
          *embed += b;
        }
      } else if (t.layer == -2 || t.layer >= layers) {
        cost(t, ranks, &into->last_bytes, &into->last_params);
      } else {
        cost(t, ranks, &into->layer_bytes[static_cast<size_t>(t.layer)],
             &into->layer_params[static_cast<size_t>(t.layer)]);
      }
    }
  };
  fill(tp, &w, &embed_bytes);
  if (m.tie_word_embeddings) {
    // llama.cpp loads a tied token_embd a second time as the output layer (TENSOR_DUPLICATED in
    // src/models/llama.cpp); TP engines build the head from the same rows.
    w.tied_head_bytes = embed_bytes;
    w.tied_head_params = m.vocab_size * m.hidden_size / tp;
  }
  const bool exact = !f.gguf_layer_bytes.empty() && static_cast<int64_t>(f.gguf_layer_bytes.size()) == layers;
  if (exact) {
    // The file's own bytes. With tp > 1, each component keeps its typed split ratio.
    RankWeights one;
    one.layer_bytes.assign(static_cast<size_t>(layers), 0.0);
    one.layer_params.assign(static_cast<size_t>(layers), 0);
    double embed_one = 0;
    if (tp > 1) fill(1, &one, &embed_one);
    auto scaled = [&](double typed_tp, double typed_one, int64_t exact_bytes) {
      if (tp == 1 || typed_one <= 0) return static_cast<double>(exact_bytes) / static_cast<double>(tp);
      return static_cast<double>(exact_bytes) * typed_tp / typed_one;
    };
    for (int64_t i = 0; i < layers; ++i) {
      const size_t k = static_cast<size_t>(i);
      w.layer_bytes[k] = scaled(w.layer_bytes[k], tp > 1 ? one.layer_bytes[k] : 0, f.gguf_layer_bytes[k]);
    }
    const double input_typed = w.first_bytes;
    w.first_bytes = scaled(w.first_bytes, tp > 1 ? one.first_bytes : 0, f.gguf_input_bytes);
    w.last_bytes = scaled(w.last_bytes, tp > 1 ? one.last_bytes : 0, f.gguf_output_bytes);
    if (m.tie_word_embeddings && input_typed > 0) w.tied_head_bytes *= w.first_bytes / input_typed;
  }
  if (rope_cache && m.rotary_dim > 0 && m.max_position_embeddings > 0) {
    // Same buffer as memory.cpp rank_weights (vLLM's rotary cos/sin cache, 16-bit).
    w.buffers = static_cast<double>(m.max_position_embeddings) * static_cast<double>(m.rotary_dim) * 2.0;
  }
  return w;
}

std::string gguf_format_label(const ModelSpec& m, const WeightFormat& f) {
  const LlamaFtypeInfo* info = llama_ftype_info(f.gguf_ftype);
  const std::string name = info ? info->name : "file type " + std::to_string(f.gguf_ftype);
  double bytes = 0;
  double params = 0;
  const bool exact = !f.gguf_layer_bytes.empty();
  if (exact) {
    for (int64_t b : f.gguf_layer_bytes) bytes += static_cast<double>(b);
    bytes += static_cast<double>(f.gguf_input_bytes + f.gguf_output_bytes);
    params = static_cast<double>(f.gguf_parameters);
  } else {
    for (const GgufTensor& t : gguf_tensors(m, f.gguf_ftype)) {
      bytes += static_cast<double>(t.bytes());
      params += static_cast<double>(t.elements());
    }
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, " (%s%.2f bits/weight)", exact ? "file: " : "\xE2\x89\x88",
                params > 0 ? bytes * 8.0 / params : 0.0);
  return "GGUF " + name + buf;
}

}  // namespace llmsizer
