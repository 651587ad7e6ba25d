// A parsed GGUF (one file or all parts of a split) -> ModelSpec + exact weight bytes.
//
// The architecture keys are translated into the Hugging Face config.json keys config.cpp already
// normalises (so Gemma's norms, Qwen2's q/k/v biases, DeepSeek's MLA and MoE layout come from one place),
// then per-layer arrays (head_count_kv, feed_forward_length) are applied layer by layer. Key names:
// llama.cpp src/llama-arch.cpp LLM_KV_NAMES; which layers use a sliding window: src/models/<arch>.cpp
// (gemma2: load_swa_pattern(ml, 2); gemma3: 6; openai-moe (gpt-oss): 2; phi3: SWA disabled) with
// llama_hparams::set_swa_pattern (src/llama-hparams.cpp): layer il is SWA when il % n < n - 1.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "gguf/gguf.h"
#include "json/read.h"
#include "json/util.h"
#include "model/config.h"
#include "json/writer.h"

namespace llmsizer {

namespace {

// ---- reading metadata ----

struct Meta {
  const GgufFile& f;
  std::string arch;

  const GgufValue* get(const std::string& key) const { return f.find(key); }
  const GgufValue* arch_key(const std::string& suffix) const { return f.find(arch + "." + suffix); }

  /// A scalar number, or the maximum of a numeric array (per-layer values).
  std::optional<double> num(const std::string& suffix) const {
    const GgufValue* v = arch_key(suffix);
    if (!v) return std::nullopt;
    if (v->is_number()) return v->number;
    if (v->is_array() && v->array_kept && !v->numbers.empty()) {
      return *std::max_element(v->numbers.begin(), v->numbers.end());
    }
    return std::nullopt;
  }
  /// A per-layer array (only when it has one entry per layer).
  std::vector<double> per_layer(const std::string& suffix, int64_t layers) const {
    const GgufValue* v = arch_key(suffix);
    if (!v || !v->is_array() || !v->array_kept || static_cast<int64_t>(v->numbers.size()) != layers) return {};
    return v->numbers;
  }
};

int64_t as_int(double d) { return std::isfinite(d) && d >= 0 && d < 9e15 ? static_cast<int64_t>(d) : -1; }

// llama.cpp architecture name -> the config.json model_type config.cpp knows.
std::string model_type_for(const std::string& arch, bool moe, bool sigmoid_gating) {
  if (arch == "llama") return moe ? "mixtral" : "llama";
  if (arch == "qwen2") return "qwen2";
  if (arch == "qwen2moe") return "qwen2_moe";
  if (arch == "qwen3") return "qwen3";
  if (arch == "qwen3moe") return "qwen3_moe";
  if (arch == "gemma") return "gemma";
  if (arch == "gemma2") return "gemma2";
  if (arch == "gemma3") return "gemma3_text";
  if (arch == "phi3") return "phi3";
  if (arch == "phi2") return "phi";
  if (arch == "deepseek2") return sigmoid_gating ? "deepseek_v3" : "deepseek_v2";
  if (arch == "gpt-oss") return "gpt_oss";
  if (arch == "mistral3") return "mistral";
  if (arch == "granite") return "granite";
  if (arch == "starcoder2") return "starcoder2";
  if (arch == "falcon") return "falcon";
  if (arch == "gpt2") return "gpt2";
  if (arch == "gptneox") return "gpt_neox";
  return arch;  // unknown: config.cpp estimates it as a generic decoder (with a warning)
}

// Default sliding-window pattern of the architectures llama.cpp runs with an iSWA cache (0 = none).
int64_t default_swa_pattern(const std::string& arch) {
  if (arch == "gemma2") return 2;
  if (arch == "gemma3") return 6;
  if (arch == "gpt-oss") return 2;
  return 0;
}

bool parse_layer_index(const std::string& name, int64_t* layer) {
  if (name.compare(0, 4, "blk.") != 0) return false;
  size_t i = 4;
  int64_t v = 0;
  bool digits = false;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && v < (int64_t{1} << 40)) {
    v = v * 10 + (name[i] - '0');
    digits = true;
    ++i;
  }
  if (!digits || i >= name.size() || name[i] != '.') return false;
  *layer = v;
  return true;
}

bool is_input_tensor(const std::string& name) {
  for (const char* p : {"token_embd.", "position_embd.", "token_types.", "per_layer_token_embd."}) {
    if (name.compare(0, std::strlen(p), p) == 0) return true;
  }
  return false;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// GGUF -> model
// ------------------------------------------------------------------------------------------------

Result<GgufModel> gguf_model(std::vector<GgufFile> parts) {
  if (parts.empty()) return make_error(ErrorCode::kInvalidGguf, "no GGUF header given");
  // Split files (gguf-split, tools/gguf-split/gguf-split.cpp): split.no, split.count, split.tensors.count.
  auto split_no = [](const GgufFile& f) -> int64_t {
    const GgufValue* v = f.find("split.no");
    return v && v->is_number() ? as_int(v->number) : -1;
  };
  std::stable_sort(parts.begin(), parts.end(),
                   [&](const GgufFile& a, const GgufFile& b) { return split_no(a) < split_no(b); });
  const GgufFile& first = parts.front();
  const GgufValue* count_v = first.find("split.count");
  const int64_t split_count = count_v && count_v->is_number() ? as_int(count_v->number) : 0;
  if (split_count > 0 || parts.size() > 1) {
    if (split_count <= 0) {
      return make_error(ErrorCode::kInvalidGguf, std::to_string(parts.size()) +
                                                     " GGUF headers were given, but they are not parts of one split "
                                                     "file (no split.count): give one model's parts only");
    }
    std::vector<int64_t> seen;
    for (const GgufFile& p : parts) seen.push_back(split_no(p));
    std::string missing;
    for (int64_t k = 0; k < split_count && k < 4096; ++k) {
      if (std::find(seen.begin(), seen.end(), k) == seen.end()) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(k + 1);
      }
    }
    if (!missing.empty() || static_cast<int64_t>(parts.size()) != split_count) {
      return make_error(ErrorCode::kInvalidGguf,
                        "this GGUF is split into " + std::to_string(split_count) + " files (-0000K-of-" +
                            std::to_string(split_count) + ".gguf); " + std::to_string(parts.size()) + " given" +
                            (missing.empty() ? " (duplicates?)" : ", missing part(s) " + missing) +
                            ": give the header of every part");
    }
  }

  GgufModel g;
  Meta meta{first, ""};
  const GgufValue* arch_v = first.find("general.architecture");
  if (!arch_v || arch_v->type != GgufValueType::kString || arch_v->text.empty()) {
    return make_error(ErrorCode::kInvalidGguf, "the GGUF has no general.architecture: not a llama.cpp model file");
  }
  meta.arch = arch_v->text;
  g.architecture = meta.arch;
  if (const GgufValue* n = first.find("general.name"); n && n->type == GgufValueType::kString) g.name = n->text;
  if (const GgufValue* ft = first.find("general.file_type"); ft && ft->is_number()) {
    g.file_type = static_cast<int>(as_int(ft->number));
  }

  // ---- tensors of every part ----
  std::vector<const GgufTensorInfo*> tensors;
  int64_t declared = 0;
  for (const GgufFile& p : parts) {
    for (const GgufTensorInfo& t : p.tensors) tensors.push_back(&t);
  }
  if (const GgufValue* tc = first.find("split.tensors.count"); tc && tc->is_number()) declared = as_int(tc->number);
  if (declared > 0 && declared != static_cast<int64_t>(tensors.size())) {
    return make_error(ErrorCode::kInvalidGguf, "the split declares " + std::to_string(declared) + " tensors but its " +
                                                   std::to_string(parts.size()) + " part(s) list " +
                                                   std::to_string(tensors.size()));
  }
  const GgufTensorInfo* token_embd = nullptr;
  bool has_output = false;
  bool has_exp_probs_b = false;
  for (const GgufTensorInfo* t : tensors) {
    if (t->name == "token_embd.weight") token_embd = t;
    if (t->name == "output.weight") has_output = true;
    if (t->name.find("exp_probs_b") != std::string::npos) has_exp_probs_b = true;
  }

  // ---- hyperparameters -> config.json ----
  const auto block_count = meta.num("block_count");
  const auto n_embd = meta.num("embedding_length");
  const auto n_head = meta.num("attention.head_count");
  if (!block_count || !n_embd || !n_head) {
    return make_error(ErrorCode::kInvalidGguf, "the GGUF lacks " + meta.arch + ".block_count, " + meta.arch +
                                                   ".embedding_length or " + meta.arch +
                                                   ".attention.head_count: cannot size the model");
  }
  const int64_t nextn = as_int(meta.num("nextn_predict_layers").value_or(0));
  const int64_t layers_all = as_int(*block_count);
  const int64_t layers = layers_all - std::max<int64_t>(0, nextn);
  if (layers <= 0 || layers > 10000) {
    return make_error(ErrorCode::kInvalidGguf, meta.arch + ".block_count = " + json_number_text(*block_count) +
                                                   " is not a usable layer count");
  }
  const int64_t experts = as_int(meta.num("expert_count").value_or(0));
  const bool sigmoid = meta.num("expert_gating_func").value_or(0) == 2 || has_exp_probs_b;
  // The metadata as a config.json (written as text, then read by the one config parser): a later key
  // overrides an earlier one, as the parser keeps the last value of a repeated key.
  JsonWriter c;
  c.begin_object();
  c.field("model_type", model_type_for(meta.arch, experts > 0, sigmoid));
  c.key("architectures").begin_array().value("gguf:" + meta.arch).end_array();
  c.field("num_hidden_layers", layers);
  c.field_number("hidden_size", *n_embd);
  c.field_number("num_attention_heads", *n_head);
  if (auto kv = meta.num("attention.head_count_kv")) c.field_number("num_key_value_heads", *kv);
  if (auto ff = meta.num("feed_forward_length")) {
    c.field_number("intermediate_size", *ff);
  } else if (auto fe = meta.num("expert_feed_forward_length")) {
    c.field_number("intermediate_size", *fe);
  }
  if (auto ctx = meta.num("context_length")) {
    c.field_number("max_position_embeddings", *ctx);
    g.context_length = as_int(*ctx);
  }
  // Vocabulary: token_embd's rows are the truth; else <arch>.vocab_size; else the tokenizer's list.
  int64_t vocab = 0;
  if (token_embd && token_embd->dims.size() >= 2) vocab = token_embd->dims[1];
  if (vocab <= 0) vocab = as_int(meta.num("vocab_size").value_or(0));
  if (vocab <= 0) {
    if (const GgufValue* tok = first.find("tokenizer.ggml.tokens"); tok && tok->is_array()) {
      vocab = static_cast<int64_t>(std::min<uint64_t>(tok->array_length, uint64_t{1} << 24));
    }
  }
  if (vocab > 0) c.field("vocab_size", vocab);
  c.field("tie_word_embeddings", !tensors.empty() && !has_output);
  c.field("torch_dtype", "bfloat16");
  const auto key_length = meta.num("attention.key_length");
  const auto value_length = meta.num("attention.value_length");
  if (key_length && meta.arch != "deepseek2") c.field_number("head_dim", *key_length);
  if (auto rope = meta.num("rope.dimension_count"); rope && key_length && *key_length > 0 && meta.arch != "deepseek2") {
    c.field("partial_rotary_factor", std::min(1.0, *rope / *key_length));
  }
  if (experts > 0) {
    c.field("num_local_experts", experts);
    c.field("num_experts", experts);
    c.field("n_routed_experts", experts);
    c.field_number("num_experts_per_tok", meta.num("expert_used_count").value_or(1));
    if (auto fe = meta.num("expert_feed_forward_length")) c.field_number("moe_intermediate_size", *fe);
    if (auto sh = meta.num("expert_shared_feed_forward_length")) c.field_number("shared_expert_intermediate_size", *sh);
  }
  if (meta.arch == "qwen2" || meta.arch == "qwen3") c.field("use_sliding_window", false);
  if (meta.arch == "deepseek2") {
    // Newer conversions (MLA cache, 2025) write key_length = kv_lora_rank + rope and the per-head sizes
    // as key_length_mla / value_length_mla (src/models/deepseek2.cpp reads both).
    const double rope = meta.num("rope.dimension_count").value_or(64);
    const auto k_mla = meta.num("attention.key_length_mla");
    const auto v_mla = meta.num("attention.value_length_mla");
    c.field_number("kv_lora_rank", meta.num("attention.kv_lora_rank").value_or(512));
    const double q_lora = meta.num("attention.q_lora_rank").value_or(0);
    if (q_lora > 0) c.field_number("q_lora_rank", q_lora);
    c.field_number("qk_rope_head_dim", rope);
    c.field_number("qk_nope_head_dim", (k_mla ? *k_mla : key_length.value_or(rope + 128)) - rope);
    c.field_number("v_head_dim", v_mla ? *v_mla : value_length.value_or(128));
    c.field_number("num_key_value_heads", *n_head);
    c.field_number("n_shared_experts", meta.num("expert_shared_count").value_or(0));
    c.field_number("first_k_dense_replace", meta.num("leading_dense_block_count").value_or(0));
    if (sigmoid) c.field("topk_method", "noaux_tc");
    if (!k_mla) {
      g.spec.warnings.push_back({"gguf_legacy_mla",
                                 "this DeepSeek GGUF predates llama.cpp's MLA cache (no key_length_mla): current "
                                 "llama.cpp caches full K/V heads for it, far more than the latent cache sized here; "
                                 "re-convert the model"});
    }
  }
  // Sliding-window layers, as llama.cpp runs them.
  const int64_t swa_default = default_swa_pattern(meta.arch);
  const auto window = meta.num("attention.sliding_window");
  if (swa_default > 0 && window && *window > 0) {
    std::vector<bool> is_swa(static_cast<size_t>(layers), false);
    const GgufValue* pat = meta.arch_key("attention.sliding_window_pattern");
    if (pat && pat->is_array() && pat->array_kept && static_cast<int64_t>(pat->numbers.size()) >= layers) {
      for (int64_t i = 0; i < layers; ++i) is_swa[static_cast<size_t>(i)] = pat->numbers[static_cast<size_t>(i)] != 0;
    } else {
      const int64_t n = pat && pat->is_number() ? std::max<int64_t>(0, as_int(pat->number)) : swa_default;
      for (int64_t i = 0; i < layers; ++i) is_swa[static_cast<size_t>(i)] = n == 0 || (i % n < n - 1);
    }
    c.key("layer_types").begin_array();
    for (bool s : is_swa) c.value(s ? "sliding_attention" : "full_attention");
    c.end_array();
    c.field_number("sliding_window", *window);
  }

  c.end_object();
  auto config = parse_json(c.text(), "the GGUF metadata as config.json");
  auto spec = config.ok() ? parse_config_value(*config.value()) : Result<ModelSpec>(config.error());
  if (!spec.ok()) {
    return make_error(ErrorCode::kInvalidGguf, "the GGUF's " + meta.arch + ".* metadata does not describe a usable model: " +
                                                   spec.error().message);
  }
  std::vector<Warning> extra = std::move(g.spec.warnings);
  g.spec = std::move(spec).value();
  g.spec.warnings.insert(g.spec.warnings.end(), extra.begin(), extra.end());
  g.spec.architecture = "gguf:" + meta.arch;
  // Per-layer arrays: attention heads / KV heads / MLP width differ by layer in some models.
  const auto kv_layers = meta.per_layer("attention.head_count_kv", layers_all);
  const auto head_layers = meta.per_layer("attention.head_count", layers_all);
  const auto ff_layers = meta.per_layer("feed_forward_length", layers_all);
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec& l = g.spec.layers[static_cast<size_t>(i)];
    if (!l.attn.mla) {
      if (!kv_layers.empty()) l.attn.num_kv_heads = std::max<int64_t>(0, as_int(kv_layers[static_cast<size_t>(i)]));
      if (!head_layers.empty()) l.attn.num_heads = std::max<int64_t>(0, as_int(head_layers[static_cast<size_t>(i)]));
      if (value_length) l.attn.v_head_dim = as_int(*value_length);
    }
    if (!ff_layers.empty() && !l.mlp.is_moe()) l.mlp.intermediate_size = std::max<int64_t>(0, as_int(ff_layers[static_cast<size_t>(i)]));
  }

  // ---- exact weight bytes ----
  GgufWeights& w = g.weights;
  w.layer_bytes.assign(static_cast<size_t>(layers), 0);
  for (const GgufTensorInfo* t : tensors) {
    const int64_t bytes = t->bytes();
    const int64_t n = t->elements();
    int64_t layer = -1;
    if (parse_layer_index(t->name, &layer) && layer < layers) {
      w.layer_bytes[static_cast<size_t>(layer)] += bytes;
    } else if (is_input_tensor(t->name)) {
      w.input_bytes += bytes;
    } else {
      w.output_bytes += bytes;  // output, output_norm, rope_freqs, MTP / nextn layers beyond block_count
    }
    w.total_bytes += bytes;
    w.parameters += n;
    ++w.tensors;
    const std::string type = ggml_type_info(t->type).name;
    w.bytes_by_type[type] += bytes;
    w.parameters_by_type[type] += n;
  }
  if (tensors.empty()) {
    g.spec.warnings.push_back({"gguf_no_tensors",
                               "the GGUF header lists no tensors: weights are estimated from the metadata"});
  }
  g.parts = std::move(parts);
  return g;
}

WeightFormat gguf_file_format(const GgufModel& g) {
  WeightFormat f;
  f.method = QuantMethod::kGguf;
  f.dtype = Dtype::kFp16;
  f.gguf_ftype = g.file_type;
  if (g.weights.tensors > 0) {
    f.gguf_layer_bytes = g.weights.layer_bytes;
    f.gguf_input_bytes = g.weights.input_bytes;
    f.gguf_output_bytes = g.weights.output_bytes;
    f.gguf_parameters = g.weights.parameters;
    f.bits = g.weights.parameters > 0 ? static_cast<double>(g.weights.total_bytes) * 8.0 /
                                            static_cast<double>(g.weights.parameters)
                                      : 16;
  } else {
    const LlamaFtypeInfo* info = llama_ftype_info(g.file_type);
    f.bits = info ? ggml_bits_per_weight(info->default_type) : 16;
  }
  f.label = gguf_format_label(g.spec, f);
  return f;
}

}  // namespace llmsizer
