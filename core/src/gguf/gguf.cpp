// ggml tensor types, llama.cpp file types and their per-tensor rules, and the GGUF header parser.
//
// Sources (llama.cpp snapshot of 2026-09-28, as bundled in node-llama-cpp 3.22.1; see gguf.h):
//   ggml/include/ggml.h            enum ggml_type (the GGUF ids)
//   ggml/src/ggml.c                type_traits[]: blck_size, type_size (sizeof of the block structs)
//   ggml/src/ggml-common.h         block structs (block_q4_K = 2 x fp16 + 12 scale bytes + 128 = 144 B, ...)
//   include/llama.h                enum llama_ftype
//   src/llama-quant.cpp            llama_ftype_get_default_type, tensor_allows_quantization,
//                                  llama_tensor_get_type_impl, tensor_type_fallback
//   src/llama-model-loader.cpp     llama_ftype_name
//   ggml/src/gguf.cpp              gguf_init_from_file_impl (header layout and checks)
#include "gguf/gguf.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace llmsizer {

// ------------------------------------------------------------------------------------------------
// ggml types
// ------------------------------------------------------------------------------------------------

const std::vector<GgmlTypeInfo>& ggml_types() {
  // {type, name, block size, bytes per block, quantized}; sizes are sizeof(block_*) in ggml-common.h
  // (checked by compiling ggml-common.h: e.g. block_iq1_m = 56 B, block_tq1_0 = 54 B, block_q2_0 = 18 B / 64).
  static const std::vector<GgmlTypeInfo> kTypes = {
      {GgmlType::kF32, "f32", 1, 4, false},
      {GgmlType::kF16, "f16", 1, 2, false},
      {GgmlType::kQ4_0, "q4_0", 32, 18, true},        // fp16 d + 16 B of nibbles
      {GgmlType::kQ4_1, "q4_1", 32, 20, true},        // fp16 d, m + 16 B
      {GgmlType::kQ5_0, "q5_0", 32, 22, true},        // fp16 d + 4 B high bits + 16 B
      {GgmlType::kQ5_1, "q5_1", 32, 24, true},
      {GgmlType::kQ8_0, "q8_0", 32, 34, true},        // fp16 d + 32 int8
      {GgmlType::kQ8_1, "q8_1", 32, 36, true},
      {GgmlType::kQ2_K, "q2_K", 256, 84, true},
      {GgmlType::kQ3_K, "q3_K", 256, 110, true},
      {GgmlType::kQ4_K, "q4_K", 256, 144, true},
      {GgmlType::kQ5_K, "q5_K", 256, 176, true},
      {GgmlType::kQ6_K, "q6_K", 256, 210, true},
      {GgmlType::kQ8_K, "q8_K", 256, 292, true},
      {GgmlType::kIQ2_XXS, "iq2_xxs", 256, 66, true},
      {GgmlType::kIQ2_XS, "iq2_xs", 256, 74, true},
      {GgmlType::kIQ3_XXS, "iq3_xxs", 256, 98, true},
      {GgmlType::kIQ1_S, "iq1_s", 256, 50, true},
      {GgmlType::kIQ4_NL, "iq4_nl", 32, 18, true},
      {GgmlType::kIQ3_S, "iq3_s", 256, 110, true},
      {GgmlType::kIQ2_S, "iq2_s", 256, 82, true},
      {GgmlType::kIQ4_XS, "iq4_xs", 256, 136, true},
      {GgmlType::kI8, "i8", 1, 1, false},
      {GgmlType::kI16, "i16", 1, 2, false},
      {GgmlType::kI32, "i32", 1, 4, false},
      {GgmlType::kI64, "i64", 1, 8, false},
      {GgmlType::kF64, "f64", 1, 8, false},
      {GgmlType::kIQ1_M, "iq1_m", 256, 56, true},
      {GgmlType::kBF16, "bf16", 1, 2, false},
      {GgmlType::kTQ1_0, "tq1_0", 256, 54, true},
      {GgmlType::kTQ2_0, "tq2_0", 256, 66, true},
      {GgmlType::kMXFP4, "mxfp4", 32, 17, true},      // e8m0 scale + 16 B of e2m1 pairs
      {GgmlType::kNVFP4, "nvfp4", 64, 36, true},
      {GgmlType::kQ1_0, "q1_0", 128, 18, true},
      {GgmlType::kQ2_0, "q2_0", 64, 18, true},
  };
  return kTypes;
}

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const GgmlTypeInfo& t : ggml_types()) {
    if (static_cast<uint32_t>(t.type) == id) return &t;
  }
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType t) {
  const GgmlTypeInfo* i = ggml_type_info(static_cast<uint32_t>(t));
  return i ? *i : ggml_types().front();
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

const GgmlTypeInfo* ggml_type_by_name(const std::string& name) {
  const std::string n = lower(name);
  for (const GgmlTypeInfo& t : ggml_types()) {
    if (lower(t.name) == n) return &t;
  }
  return nullptr;
}

double ggml_bits_per_weight(GgmlType t) {
  const GgmlTypeInfo& i = ggml_type_info(t);
  return static_cast<double>(i.type_size) * 8.0 / static_cast<double>(i.block_size);
}

int64_t ggml_row_size(GgmlType t, int64_t n) {
  const GgmlTypeInfo& i = ggml_type_info(t);
  return i.type_size * ((n + i.block_size - 1) / i.block_size);
}

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

// ------------------------------------------------------------------------------------------------
// GGUF header parsing
// ------------------------------------------------------------------------------------------------

bool GgufValue::is_number() const {
  switch (type) {
    case GgufValueType::kString:
    case GgufValueType::kArray: return false;
    default: return true;
  }
}

int64_t GgufTensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t GgufTensorInfo::bytes() const {
  if (dims.empty()) return 0;
  int64_t rest = 1;
  for (size_t i = 1; i < dims.size(); ++i) rest *= dims[i];
  return ggml_row_size(type, dims[0]) * rest;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  for (const auto& kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

namespace {

// Bounds-checked little-endian reader. Running out of bytes records how many the caller must supply.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  bool truncated() const { return truncated_; }
  uint64_t needed() const { return needed_; }

  /// Whether n more bytes are available; if not, remembers that pos + n are needed.
  bool have(uint64_t n) {
    if (n <= size_ - pos_) return true;
    truncated_ = true;
    needed_ = pos_ + n < pos_ ? UINT64_MAX : pos_ + n;  // overflow guard
    return false;
  }
  template <class T>
  bool read(T* out) {
    if (!have(sizeof(T))) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(data_[pos_ + i]) << (8 * i));
    pos_ += sizeof(T);
    *out = v;
    return true;
  }
  bool read_f32(double* out) {
    uint32_t bits = 0;
    if (!read(&bits)) return false;
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    *out = static_cast<double>(f);
    return true;
  }
  bool read_f64(double* out) {
    uint64_t bits = 0;
    if (!read(&bits)) return false;
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    *out = d;
    return true;
  }
  /// A GGUF string (uint64 length + bytes). Keeps the text only when keep_max allows it.
  bool read_string(std::string* out, uint64_t* length, uint64_t max_len, uint64_t keep_max) {
    uint64_t n = 0;
    if (!read(&n)) return false;
    if (n > max_len) {
      too_long_ = n;
      return false;
    }
    if (!have(n)) return false;
    if (length) *length = n;
    if (n <= keep_max) out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += n;
    return true;
  }
  uint64_t too_long() const { return too_long_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  bool truncated_ = false;
  uint64_t needed_ = 0;
  uint64_t too_long_ = 0;
};

uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    default: return 0;
  }
}

bool read_number(ByteReader& r, GgufValueType t, double* out) {
  switch (t) {
    case GgufValueType::kUint8: { uint8_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt8: { uint8_t v; if (!r.read(&v)) return false; *out = static_cast<int8_t>(v); return true; }
    case GgufValueType::kBool: { uint8_t v; if (!r.read(&v)) return false; *out = v != 0 ? 1 : 0; return true; }
    case GgufValueType::kUint16: { uint16_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt16: { uint16_t v; if (!r.read(&v)) return false; *out = static_cast<int16_t>(v); return true; }
    case GgufValueType::kUint32: { uint32_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt32: { uint32_t v; if (!r.read(&v)) return false; *out = static_cast<int32_t>(v); return true; }
    case GgufValueType::kUint64: { uint64_t v; if (!r.read(&v)) return false; *out = static_cast<double>(v); return true; }
    case GgufValueType::kInt64: { uint64_t v; if (!r.read(&v)) return false; *out = static_cast<double>(static_cast<int64_t>(v)); return true; }
    case GgufValueType::kFloat32: return r.read_f32(out);
    case GgufValueType::kFloat64: return r.read_f64(out);
    default: return false;
  }
}

Error gguf_error(const std::string& message) { return make_error(ErrorCode::kInvalidGguf, message); }

Error truncated_error(const ByteReader& r, size_t size, const char* where) {
  return gguf_error("the GGUF header continues past the " + std::to_string(size) + " bytes given (while reading " +
                    where + "): at least " + std::to_string(r.needed()) +
                    " bytes from the start of the file are needed; fetch more of the file and try again");
}

}  // namespace

Result<GgufFile> parse_gguf(const uint8_t* data, size_t size, uint64_t* bytes_needed) {
  if (bytes_needed) *bytes_needed = 0;
  ByteReader r(data, size);
  GgufFile g;
  auto truncated = [&](const char* where) -> Error {
    if (bytes_needed) *bytes_needed = r.needed();
    return truncated_error(r, size, where);
  };

  // Magic "GGUF" (0x46554747 little-endian), version, tensor count, metadata count (ggml/src/gguf.cpp).
  if (!r.have(4)) return truncated("the magic");
  if (std::memcmp(data, "GGUF", 4) != 0) {
    return gguf_error("not a GGUF file: it does not start with the magic bytes \"GGUF\"");
  }
  uint32_t magic = 0;
  r.read(&magic);
  uint32_t version = 0;
  if (!r.read(&version)) return truncated("the version");
  if (version == 1) {
    return gguf_error("GGUF version 1 (2023) is not supported: convert the model again with a current llama.cpp");
  }
  if (version != 2 && version != 3) {
    if ((version & 0xFFFF) == 0 && (version >> 16) != 0) {
      return gguf_error("this GGUF file is big-endian (version reads as " + std::to_string(version) +
                        "): only little-endian files are supported");
    }
    return gguf_error("unsupported GGUF version " + std::to_string(version) + " (expected 2 or 3)");
  }
  g.version = version;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  if (!r.read(&n_tensors)) return truncated("the tensor count");
  if (!r.read(&n_kv)) return truncated("the metadata count");
  if (n_tensors > kGgufMaxTensors) {
    return gguf_error("the header claims " + std::to_string(n_tensors) + " tensors (limit " +
                      std::to_string(kGgufMaxTensors) + "): not a model file llmsizer can read");
  }
  if (n_kv > kGgufMaxKv) {
    return gguf_error("the header claims " + std::to_string(n_kv) + " metadata entries (limit " +
                      std::to_string(kGgufMaxKv) + ")");
  }

  // Metadata.
  g.metadata.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, (size - std::min<uint64_t>(size, r.pos())) / 13 + 1)));
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    uint64_t key_len = 0;
    if (!r.read_string(&key, &key_len, kGgufMaxKeyBytes, kGgufMaxKeyBytes)) {
      if (r.too_long()) {
        return gguf_error("metadata key " + std::to_string(i) + " is " + std::to_string(r.too_long()) +
                          " bytes long (limit " + std::to_string(kGgufMaxKeyBytes) + ")");
      }
      return truncated("the metadata keys");
    }
    uint32_t type_raw = 0;
    if (!r.read(&type_raw)) return truncated(("the type of '" + key + "'").c_str());
    if (type_raw > static_cast<uint32_t>(GgufValueType::kFloat64)) {
      return gguf_error("metadata '" + key + "' has unknown value type " + std::to_string(type_raw));
    }
    GgufValue v;
    v.type = static_cast<GgufValueType>(type_raw);
    if (v.type == GgufValueType::kString) {
      if (!r.read_string(&v.text, &v.string_length, kGgufMaxStringBytes, kGgufMaxKeptString)) {
        if (r.too_long()) {
          return gguf_error("metadata '" + key + "' is a string of " + std::to_string(r.too_long()) + " bytes (limit " +
                            std::to_string(kGgufMaxStringBytes) + ")");
        }
        return truncated(("the value of '" + key + "'").c_str());
      }
    } else if (v.type == GgufValueType::kArray) {
      uint32_t at = 0;
      uint64_t n = 0;
      if (!r.read(&at) || !r.read(&n)) return truncated(("the array header of '" + key + "'").c_str());
      if (at == static_cast<uint32_t>(GgufValueType::kArray)) {
        return gguf_error("metadata '" + key + "' is an array of arrays, which GGUF readers do not support");
      }
      if (at > static_cast<uint32_t>(GgufValueType::kFloat64)) {
        return gguf_error("metadata '" + key + "' is an array of unknown type " + std::to_string(at));
      }
      if (n > kGgufMaxArrayLength) {
        return gguf_error("metadata '" + key + "' is an array of " + std::to_string(n) + " elements (limit " +
                          std::to_string(kGgufMaxArrayLength) + ")");
      }
      v.array_type = static_cast<GgufValueType>(at);
      v.array_length = n;
      v.array_kept = n <= kGgufMaxKeptArray;
      if (v.array_type == GgufValueType::kString) {
        // Each element is at least its 8-byte length: check the buffer can hold that many before looping.
        if (!r.have(n * 8)) return truncated(("the array '" + key + "'").c_str());
        if (v.array_kept) v.strings.reserve(static_cast<size_t>(n));
        for (uint64_t k = 0; k < n; ++k) {
          std::string s;
          uint64_t len = 0;
          if (!r.read_string(&s, &len, kGgufMaxStringBytes, v.array_kept ? kGgufMaxKeptString : 0)) {
            if (r.too_long()) {
              return gguf_error("element " + std::to_string(k) + " of '" + key + "' is a string of " +
                                std::to_string(r.too_long()) + " bytes");
            }
            return truncated(("the array '" + key + "'").c_str());
          }
          if (v.array_kept) v.strings.push_back(std::move(s));
        }
      } else {
        const uint64_t es = scalar_size(v.array_type);
        if (!r.have(n * es)) return truncated(("the array '" + key + "'").c_str());
        if (v.array_kept) {
          v.numbers.resize(static_cast<size_t>(n));
          for (uint64_t k = 0; k < n; ++k) read_number(r, v.array_type, &v.numbers[static_cast<size_t>(k)]);
        } else {
          // Skip without storing (have() above guaranteed the bytes).
          for (uint64_t k = 0; k < n; ++k) {
            double ignored = 0;
            read_number(r, v.array_type, &ignored);
          }
        }
      }
    } else {
      if (!read_number(r, v.type, &v.number)) return truncated(("the value of '" + key + "'").c_str());
    }
    g.metadata.emplace_back(std::move(key), std::move(v));
  }

  // general.alignment must be a uint32 power of two (gguf.cpp: "alignment %zu is not a power of 2").
  if (const GgufValue* a = g.find("general.alignment")) {
    if (a->type != GgufValueType::kUint32) return gguf_error("general.alignment must be a uint32");
    const uint64_t al = static_cast<uint64_t>(a->number);
    if (al == 0 || (al & (al - 1)) != 0) {
      return gguf_error("general.alignment " + std::to_string(al) + " is not a power of 2");
    }
    g.alignment = al;
  }

  // Tensor infos: name, n_dims, ne[n_dims], type, offset.
  g.tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, (size - std::min<uint64_t>(size, r.pos())) / 24 + 1)));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    uint64_t name_len = 0;
    if (!r.read_string(&t.name, &name_len, kGgufMaxTensorName, kGgufMaxTensorName)) {
      if (r.too_long()) {
        return gguf_error("tensor " + std::to_string(i) + " has a name of " + std::to_string(r.too_long()) +
                          " bytes (ggml allows " + std::to_string(kGgufMaxTensorName) + ")");
      }
      return truncated("the tensor table");
    }
    uint32_t n_dims = 0;
    if (!r.read(&n_dims)) return truncated("the tensor table");
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return gguf_error("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions (1 to " +
                        std::to_string(kGgufMaxDims) + " allowed)");
    }
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      if (!r.read(&ne)) return truncated("the tensor table");
      if (ne > static_cast<uint64_t>(kGgufMaxElements)) {
        return gguf_error("tensor '" + t.name + "' has a dimension of " + std::to_string(ne));
      }
      const int64_t n = static_cast<int64_t>(ne);
      if (n != 0 && elements > kGgufMaxElements / n) {
        return gguf_error("tensor '" + t.name + "' has more than 2^48 elements: not a real model tensor");
      }
      elements *= n;
      t.dims.push_back(n);
    }
    uint32_t type_raw = 0;
    if (!r.read(&type_raw)) return truncated("the tensor table");
    const GgmlTypeInfo* ti = ggml_type_info(type_raw);
    if (!ti) {
      return gguf_error("tensor '" + t.name + "' has unknown or removed ggml type " + std::to_string(type_raw));
    }
    t.type = ti->type;
    if (t.dims[0] % ti->block_size != 0) {
      return gguf_error("tensor '" + t.name + "': row length " + std::to_string(t.dims[0]) +
                        " is not a multiple of the " + ti->name + " block size " + std::to_string(ti->block_size));
    }
    if (!r.read(&t.offset)) return truncated("the tensor table");
    if (t.offset % g.alignment != 0) {
      return gguf_error("tensor '" + t.name + "' has offset " + std::to_string(t.offset) +
                        ", not a multiple of the alignment " + std::to_string(g.alignment));
    }
    g.tensors.push_back(std::move(t));
  }
  g.header_bytes = r.pos();
  g.data_offset = (g.header_bytes + g.alignment - 1) / g.alignment * g.alignment;
  return g;
}

Result<std::string> base64_decode(const std::string& text) {
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value(c);
    if (v < 0 || padding) {
      return make_error(ErrorCode::kInvalidValue, "not base64: unexpected character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace llmsizer
