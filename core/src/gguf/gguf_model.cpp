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
#include "json/json.h"
#include "json/util.h"
#include "model/config.h"

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

int64_t split_no(const GgufFile& f) {
  const GgufValue* v = f.find("split.no");
  return v && v->is_number() ? as_int(v->number) : -1;
}

/// Sorts the parts of a split file by split.no and checks that each part is there once (gguf-split,
/// tools/gguf-split/gguf-split.cpp: split.no, split.count, split.tensors.count).
Result<bool> order_split_parts(std::vector<GgufFile>& parts) {
  std::stable_sort(parts.begin(), parts.end(),
                   [&](const GgufFile& a, const GgufFile& b) { return split_no(a) < split_no(b); });
  const GgufValue* count_v = parts.front().find("split.count");
  const int64_t split_count = count_v && count_v->is_number() ? as_int(count_v->number) : 0;
  if (split_count <= 0 && parts.size() == 1) return true;
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
  return true;
}

/// Every part's tensors, and what the table says about the architecture.
struct TensorTable {
  std::vector<const GgufTensorInfo*> all;
  const GgufTensorInfo* token_embd = nullptr;
  bool has_output = false;       ///< an output.weight: the embeddings are not tied
  bool has_exp_probs_b = false;  ///< DeepSeek-V3's sigmoid gating with a score-correction bias
};

Result<TensorTable> tensor_table(const std::vector<GgufFile>& parts) {
  TensorTable t;
  for (const GgufFile& p : parts) {
    for (const GgufTensorInfo& x : p.tensors) t.all.push_back(&x);
  }
  int64_t declared = 0;
  if (const GgufValue* tc = parts.front().find("split.tensors.count"); tc && tc->is_number()) declared = as_int(tc->number);
  if (declared > 0 && declared != static_cast<int64_t>(t.all.size())) {
    return make_error(ErrorCode::kInvalidGguf, "the split declares " + std::to_string(declared) + " tensors but its " +
                                                   std::to_string(parts.size()) + " part(s) list " +
                                                   std::to_string(t.all.size()));
  }
  for (const GgufTensorInfo* x : t.all) {
    if (x->name == "token_embd.weight") t.token_embd = x;
    if (x->name == "output.weight") t.has_output = true;
    if (x->name.find("exp_probs_b") != std::string::npos) t.has_exp_probs_b = true;
  }
  return t;
}

/// A metadata number as a config.json value: whole numbers as integers, other finite ones as doubles, anything
/// else null (which the config reader takes for absent).
JsonValue config_number(double d) {
  if (!std::isfinite(d)) return nullptr;
  if (d == std::floor(d) && std::abs(d) < 9e15) {
    return d >= 0 ? JsonValue(static_cast<uint64_t>(d)) : JsonValue(static_cast<int64_t>(d));
  }
  return d;
}

/// DeepSeek's MLA and MoE keys. Newer conversions (MLA cache, 2025) write key_length = kv_lora_rank + rope and
/// the per-head sizes as key_length_mla / value_length_mla (src/models/deepseek2.cpp reads both).
void deepseek_config(const Meta& meta, bool sigmoid, JsonValue& c, GgufModel& g) {
  const double rope = meta.num("rope.dimension_count").value_or(64);
  const auto k_mla = meta.num("attention.key_length_mla");
  const auto v_mla = meta.num("attention.value_length_mla");
  const auto n_head = meta.num("attention.head_count");
  c["kv_lora_rank"] = config_number(meta.num("attention.kv_lora_rank").value_or(512));
  const double q_lora = meta.num("attention.q_lora_rank").value_or(0);
  if (q_lora > 0) c["q_lora_rank"] = config_number(q_lora);
  c["qk_rope_head_dim"] = config_number(rope);
  c["qk_nope_head_dim"] = config_number((k_mla ? *k_mla : meta.num("attention.key_length").value_or(rope + 128)) - rope);
  c["v_head_dim"] = config_number(v_mla ? *v_mla : meta.num("attention.value_length").value_or(128));
  c["num_key_value_heads"] = config_number(*n_head);
  c["n_shared_experts"] = config_number(meta.num("expert_shared_count").value_or(0));
  c["first_k_dense_replace"] = config_number(meta.num("leading_dense_block_count").value_or(0));
  if (sigmoid) c["topk_method"] = "noaux_tc";
  if (!k_mla) {
    g.spec.warnings.push_back({"gguf_legacy_mla",
                               "this DeepSeek GGUF predates llama.cpp's MLA cache (no key_length_mla): current "
                               "llama.cpp caches full K/V heads for it, far more than the latent cache sized here; "
                               "re-convert the model"});
  }
}

/// Sliding-window layers, as llama.cpp runs them (layer_types + sliding_window).
void sliding_window_config(const Meta& meta, int64_t layers, JsonValue& c) {
  const int64_t swa_default = default_swa_pattern(meta.arch);
  const auto window = meta.num("attention.sliding_window");
  if (swa_default <= 0 || !window || *window <= 0) return;
  std::vector<bool> is_swa(static_cast<size_t>(layers), false);
  const GgufValue* pat = meta.arch_key("attention.sliding_window_pattern");
  if (pat && pat->is_array() && pat->array_kept && static_cast<int64_t>(pat->numbers.size()) >= layers) {
    for (int64_t i = 0; i < layers; ++i) is_swa[static_cast<size_t>(i)] = pat->numbers[static_cast<size_t>(i)] != 0;
  } else {
    const int64_t n = pat && pat->is_number() ? std::max<int64_t>(0, as_int(pat->number)) : swa_default;
    for (int64_t i = 0; i < layers; ++i) is_swa[static_cast<size_t>(i)] = n == 0 || (i % n < n - 1);
  }
  JsonValue types = JsonValue::array();
  for (bool s : is_swa) types.push_back(s ? "sliding_attention" : "full_attention");
  c["layer_types"] = std::move(types);
  c["sliding_window"] = config_number(*window);
}

/// The hyperparameters as a Hugging Face config.json value, for the one config reader (config.cpp). A key set
/// twice keeps its later value.
JsonValue config_from_metadata(const Meta& meta, const TensorTable& t, int64_t layers, GgufModel& g) {
  const auto n_embd = meta.num("embedding_length");
  const auto n_head = meta.num("attention.head_count");
  const int64_t experts = as_int(meta.num("expert_count").value_or(0));
  const bool sigmoid = meta.num("expert_gating_func").value_or(0) == 2 || t.has_exp_probs_b;
  JsonValue c = JsonValue::object();
  c["model_type"] = model_type_for(meta.arch, experts > 0, sigmoid);
  c["architectures"] = JsonValue::array({"gguf:" + meta.arch});
  c["num_hidden_layers"] = layers;
  c["hidden_size"] = config_number(*n_embd);
  c["num_attention_heads"] = config_number(*n_head);
  if (auto kv = meta.num("attention.head_count_kv")) c["num_key_value_heads"] = config_number(*kv);
  if (auto ff = meta.num("feed_forward_length")) {
    c["intermediate_size"] = config_number(*ff);
  } else if (auto fe = meta.num("expert_feed_forward_length")) {
    c["intermediate_size"] = config_number(*fe);
  }
  if (auto ctx = meta.num("context_length")) {
    c["max_position_embeddings"] = config_number(*ctx);
    g.context_length = as_int(*ctx);
  }
  // Vocabulary: token_embd's rows are the truth; else <arch>.vocab_size; else the tokenizer's list.
  int64_t vocab = 0;
  if (t.token_embd && t.token_embd->dims.size() >= 2) vocab = t.token_embd->dims[1];
  if (vocab <= 0) vocab = as_int(meta.num("vocab_size").value_or(0));
  if (vocab <= 0) {
    if (const GgufValue* tok = meta.get("tokenizer.ggml.tokens"); tok && tok->is_array()) {
      vocab = static_cast<int64_t>(std::min<uint64_t>(tok->array_length, uint64_t{1} << 24));
    }
  }
  if (vocab > 0) c["vocab_size"] = vocab;
  c["tie_word_embeddings"] = !t.all.empty() && !t.has_output;
  c["torch_dtype"] = "bfloat16";
  const auto key_length = meta.num("attention.key_length");
  if (key_length && meta.arch != "deepseek2") c["head_dim"] = config_number(*key_length);
  if (auto rope = meta.num("rope.dimension_count"); rope && key_length && *key_length > 0 && meta.arch != "deepseek2") {
    const double f = std::min(1.0, *rope / *key_length);
    c["partial_rotary_factor"] = std::isfinite(f) ? JsonValue(f) : JsonValue(nullptr);
  }
  if (experts > 0) {
    c["num_local_experts"] = experts;
    c["num_experts"] = experts;
    c["n_routed_experts"] = experts;
    c["num_experts_per_tok"] = config_number(meta.num("expert_used_count").value_or(1));
    if (auto fe = meta.num("expert_feed_forward_length")) c["moe_intermediate_size"] = config_number(*fe);
    if (auto sh = meta.num("expert_shared_feed_forward_length")) c["shared_expert_intermediate_size"] = config_number(*sh);
  }
  if (meta.arch == "qwen2" || meta.arch == "qwen3") c["use_sliding_window"] = false;
  if (meta.arch == "deepseek2") deepseek_config(meta, sigmoid, c, g);
  sliding_window_config(meta, layers, c);
  return c;
}

/// Per-layer arrays: attention heads / KV heads / MLP width differ by layer in some models.
void apply_per_layer_arrays(const Meta& meta, int64_t layers_all, ModelSpec& spec) {
  const auto value_length = meta.num("attention.value_length");
  const auto kv_layers = meta.per_layer("attention.head_count_kv", layers_all);
  const auto head_layers = meta.per_layer("attention.head_count", layers_all);
  const auto ff_layers = meta.per_layer("feed_forward_length", layers_all);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    LayerSpec& l = spec.layers[i];
    if (!l.attn.mla) {
      if (!kv_layers.empty()) l.attn.num_kv_heads = std::max<int64_t>(0, as_int(kv_layers[i]));
      if (!head_layers.empty()) l.attn.num_heads = std::max<int64_t>(0, as_int(head_layers[i]));
      if (value_length) l.attn.v_head_dim = as_int(*value_length);
    }
    if (!ff_layers.empty() && !l.mlp.is_moe()) l.mlp.intermediate_size = std::max<int64_t>(0, as_int(ff_layers[i]));
  }
}

/// The exact weight bytes of the tensor table, by layer and by ggml type.
GgufWeights exact_weights(const std::vector<const GgufTensorInfo*>& tensors, int64_t layers) {
  GgufWeights w;
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
  return w;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// GGUF -> model
// ------------------------------------------------------------------------------------------------

Result<GgufModel> gguf_model(std::vector<GgufFile> parts) {
  if (parts.empty()) return make_error(ErrorCode::kInvalidGguf, "no GGUF header given");
  if (auto ordered = order_split_parts(parts); !ordered.ok()) return ordered.error();
  const GgufFile& first = parts.front();

  GgufModel g;
  Meta meta{first, ""};
  const GgufValue* arch_v = first.find("general.architecture");
  if (!arch_v || arch_v->type != GgufValueType::kString || arch_v->text.empty()) {
    return make_error(ErrorCode::kInvalidGguf, "the GGUF has no general.architecture: not a llama.cpp model file");
  }
  meta.arch = arch_v->text;
  if (meta.arch == "clip") {
    return make_error(ErrorCode::kInvalidGguf,
                      "this is a multimodal projector (mmproj); give the model's GGUF and pass this one as gguf_mmproj");
  }
  g.architecture = meta.arch;
  if (const GgufValue* n = first.find("general.name"); n && n->type == GgufValueType::kString) g.name = n->text;
  if (const GgufValue* ft = first.find("general.file_type"); ft && ft->is_number()) {
    g.file_type = static_cast<int>(as_int(ft->number));
  }
  auto table = tensor_table(parts);
  if (!table.ok()) return table.error();

  // ---- hyperparameters -> config.json -> ModelSpec ----
  const auto block_count = meta.num("block_count");
  if (!block_count || !meta.num("embedding_length") || !meta.num("attention.head_count")) {
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
  auto spec = parse_config_value(config_from_metadata(meta, table.value(), layers, g));
  if (!spec.ok()) {
    return make_error(ErrorCode::kInvalidGguf, "the GGUF's " + meta.arch + ".* metadata does not describe a usable model: " +
                                                   spec.error().message);
  }
  std::vector<Warning> extra = std::move(g.spec.warnings);
  g.spec = std::move(spec).value();
  g.spec.warnings.insert(g.spec.warnings.end(), extra.begin(), extra.end());
  g.spec.architecture = "gguf:" + meta.arch;
  apply_per_layer_arrays(meta, layers_all, g.spec);

  // ---- exact weight bytes ----
  g.weights = exact_weights(table.value().all, layers);
  if (table.value().all.empty()) {
    g.spec.warnings.push_back({"gguf_no_tensors",
                               "the GGUF header lists no tensors: weights are estimated from the metadata"});
  }
  g.parts = std::move(parts);
  return g;
}

Result<GgufMmproj> gguf_mmproj(std::vector<GgufFile> parts) {
  if (parts.empty()) return make_error(ErrorCode::kInvalidGguf, "no GGUF header given");
  if (auto ordered = order_split_parts(parts); !ordered.ok()) return ordered.error();
  const GgufFile& first = parts.front();
  const GgufValue* arch = first.find("general.architecture");
  if (!arch || arch->type != GgufValueType::kString || arch->text != "clip") {
    return make_error(ErrorCode::kInvalidGguf,
                      "not a multimodal projector: an mmproj GGUF has general.architecture \"clip\"" +
                          std::string(arch && arch->type == GgufValueType::kString
                                          ? ", this one \"" + arch->text + "\" (give it as gguf)"
                                          : ""));
  }
  GgufMmproj p;
  auto text = [&](const char* key) {
    const GgufValue* v = first.find(key);
    return v && v->type == GgufValueType::kString ? v->text : std::string();
  };
  auto number = [&](const char* key) -> int64_t {
    const GgufValue* v = first.find(key);
    return v && v->is_number() ? as_int(v->number) : 0;
  };
  auto flag = [&](const char* key) {
    const GgufValue* v = first.find(key);
    return v && v->type == GgufValueType::kBool && v->number != 0;
  };
  p.name = text("general.name");
  p.projector_type = text("clip.projector_type");
  if (p.projector_type.empty()) p.projector_type = text("clip.vision.projector_type");
  p.has_vision = flag("clip.has_vision_encoder");
  p.has_audio = flag("clip.has_audio_encoder");
  p.image_size = number("clip.vision.image_size");
  p.patch_size = number("clip.vision.patch_size");
  for (const GgufFile& f : parts) {
    for (const GgufTensorInfo& t : f.tensors) {
      ++p.tensors;
      p.bytes += t.bytes();
      p.parameters += t.elements();
    }
  }
  p.parts = std::move(parts);
  return p;
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
