// Hugging Face config.json -> ModelSpec: aliases, defaults, per-family traits, validation.
//
// Family traits come from the modelling files of transformers (transformers/models/<type>/
// modeling_<type>.py and configuration_<type>.py, v4.46–4.56); the ones that change the count of
// parameters or the KV cache are listed in kFamilies below. Unknown model_types with the standard keys
// are estimated as a Llama-style decoder, with a warning.
#include "model/config.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>

#include "json/json.h"
#include "json/util.h"

namespace llmsizer {

namespace {

using json = JsonValue;

// ----------------------------------------------------------------------------------------------
// Family traits
// ----------------------------------------------------------------------------------------------

enum class SlidingRule {
  kNone,          ///< ignore sliding_window
  kAllLayers,     ///< sliding_window (when set) applies to every layer (Mistral, Starcoder2, Phi-3)
  kQwen,          ///< only when use_sliding_window, for layers >= max_window_layers (Qwen2/Qwen3)
  kAlternate,     ///< even layers local, odd layers global (Gemma 2: is_sliding = not layer_idx % 2)
  kPattern,       ///< every sliding_window_pattern-th layer global (Gemma 3: 5 local : 1 global)
};

enum class MlpRule {
  kDense,     ///< intermediate_size everywhere
  kMixtral,   ///< every layer MoE: num_local_experts x intermediate_size
  kQwenMoe,   ///< num_experts x moe_intermediate_size every decoder_sparse_step, mlp_only_layers dense
  kDeepseek,  ///< dense for the first first_k_dense_replace layers, then MoE every moe_layer_freq
  kGptOss,    ///< every layer MoE with biases and a biased router
};

struct Family {
  const char* name;
  NormKind norm;
  bool gated;
  bool qkv_bias;        ///< default for attention biases (overridden by attention_bias / bias keys)
  bool o_bias;
  bool mlp_bias;
  bool tie_default;     ///< tie_word_embeddings default of the config class
  int norms;            ///< hidden-size norms per layer
  bool qk_norm;
  SlidingRule sliding;
  MlpRule mlp;
};

// name, norm, gated, qkv_bias, o_bias, mlp_bias, tie, norms, qk_norm, sliding, mlp
constexpr Family kFamilies[] = {
    {"llama", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kNone, MlpRule::kDense},
    {"mistral", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kAllLayers, MlpRule::kDense},
    {"mixtral", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kAllLayers, MlpRule::kMixtral},
    // Qwen2: q/k/v biases always on (modeling_qwen2.py: bias=True), o_proj none.
    {"qwen2", NormKind::kRmsNorm, true, true, false, false, false, 2, false, SlidingRule::kQwen, MlpRule::kDense},
    {"qwen2_moe", NormKind::kRmsNorm, true, true, false, false, false, 2, false, SlidingRule::kQwen, MlpRule::kQwenMoe},
    {"qwen3", NormKind::kRmsNorm, true, false, false, false, false, 2, true, SlidingRule::kQwen, MlpRule::kDense},
    {"qwen3_moe", NormKind::kRmsNorm, true, false, false, false, false, 2, true, SlidingRule::kQwen, MlpRule::kQwenMoe},
    {"granite", NormKind::kRmsNorm, true, false, false, false, true, 2, false, SlidingRule::kNone, MlpRule::kDense},
    // Gemma: GeGLU, embeddings tied by default; Gemma 2/3 add pre/post feed-forward norms (4 per layer).
    {"gemma", NormKind::kRmsNorm, true, false, false, false, true, 2, false, SlidingRule::kNone, MlpRule::kDense},
    {"gemma2", NormKind::kRmsNorm, true, false, false, false, true, 4, false, SlidingRule::kAlternate, MlpRule::kDense},
    {"gemma3", NormKind::kRmsNorm, true, false, false, false, true, 4, true, SlidingRule::kPattern, MlpRule::kDense},
    {"phi3", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kAllLayers, MlpRule::kDense},
    {"deepseek_v2", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kNone, MlpRule::kDeepseek},
    {"deepseek_v3", NormKind::kRmsNorm, true, false, false, false, false, 2, false, SlidingRule::kNone, MlpRule::kDeepseek},
    // GPT-2: LayerNorm, fused c_attn with bias, GELU MLP with biases, learned positions, tied head.
    {"gpt2", NormKind::kLayerNorm, false, true, true, true, true, 2, false, SlidingRule::kNone, MlpRule::kDense},
    {"opt", NormKind::kLayerNorm, false, true, true, true, true, 2, false, SlidingRule::kNone, MlpRule::kDense},
    {"gpt_neox", NormKind::kLayerNorm, false, true, true, true, false, 2, false, SlidingRule::kNone, MlpRule::kDense},
    {"falcon", NormKind::kLayerNorm, false, false, false, false, true, 1, false, SlidingRule::kNone, MlpRule::kDense},
    {"gpt_oss", NormKind::kRmsNorm, true, true, true, true, false, 2, false, SlidingRule::kNone, MlpRule::kGptOss},
    // Phi-1/1.5/2: parallel attention + MLP behind one LayerNorm, biases everywhere, biased LM head.
    {"phi", NormKind::kLayerNorm, false, true, true, true, false, 1, false, SlidingRule::kNone, MlpRule::kDense},
    {"starcoder2", NormKind::kLayerNorm, false, true, true, true, true, 2, false, SlidingRule::kAllLayers, MlpRule::kDense},
};

// model_type aliases that share a family's traits.
struct Alias {
  const char* model_type;
  const char* family;
};
constexpr Alias kAliases[] = {
    {"gemma3_text", "gemma3"}, {"mistral3", "mistral"}, {"ministral", "mistral"}, {"codellama", "llama"},
    {"yi", "llama"}, {"qwen2_vl", "qwen2"}, {"qwen2_5_vl", "qwen2"}, {"qwen2_vl_text", "qwen2"},
    {"qwen2_5_vl_text", "qwen2"}, {"kimi_k2", "deepseek_v3"}, {"llava", "llama"},
    {"RefinedWeb", "falcon"}, {"RefinedWebModel", "falcon"}, {"deepseek_v32", "deepseek_v3"},
};

const Family* find_family(const std::string& model_type) {
  for (const Family& f : kFamilies) {
    if (model_type == f.name) return &f;
  }
  for (const Alias& a : kAliases) {
    if (model_type == a.model_type) return find_family(a.family);
  }
  return nullptr;
}

// Families whose language model sits under text_config, keyed by the wrapper's model_type.
const char* wrapped_text_type(const std::string& wrapper) {
  if (wrapper == "gemma3") return "gemma3_text";
  if (wrapper == "mistral3") return "mistral";
  if (wrapper == "llava" || wrapper == "llava_next") return "llama";
  return nullptr;
}

// ----------------------------------------------------------------------------------------------
// Reading keys with aliases, types and ranges
// ----------------------------------------------------------------------------------------------

constexpr int64_t kMaxGroup = 1 << 24;

// Nested language-model configs (text_config) are saved by transformers as a diff against their config
// class's defaults (PretrainedConfig.to_diff_dict / recursive_diff_dict), so keys equal to the default
// are absent: the Hub's gemma-3-27b-it text_config has no vocab_size. Those defaults, from
// transformers/models/<type>/configuration_<type>.py, apply to nested configs only; a top-level config
// missing an essential key is an error.
struct ClassDefault {
  const char* family;
  const char* key;
  int64_t value;
};
constexpr ClassDefault kNestedDefaults[] = {
    // Gemma3TextConfig
    {"gemma3", "vocab_size", 262208}, {"gemma3", "hidden_size", 2304}, {"gemma3", "intermediate_size", 9216},
    {"gemma3", "num_hidden_layers", 26}, {"gemma3", "num_attention_heads", 8}, {"gemma3", "num_key_value_heads", 4},
    {"gemma3", "head_dim", 256}, {"gemma3", "max_position_embeddings", 131072}, {"gemma3", "sliding_window", 4096},
    // LlamaConfig (LLaVA's default text_config)
    {"llama", "vocab_size", 32000}, {"llama", "hidden_size", 4096}, {"llama", "intermediate_size", 11008},
    {"llama", "num_hidden_layers", 32}, {"llama", "num_attention_heads", 32},
    {"llama", "max_position_embeddings", 2048},
    // MistralConfig (Mistral 3's text_config)
    {"mistral", "vocab_size", 32000}, {"mistral", "hidden_size", 4096}, {"mistral", "intermediate_size", 14336},
    {"mistral", "num_hidden_layers", 32}, {"mistral", "num_attention_heads", 32}, {"mistral", "num_key_value_heads", 8},
    {"mistral", "max_position_embeddings", 131072},
    // Qwen2Config
    {"qwen2", "vocab_size", 151936}, {"qwen2", "hidden_size", 4096}, {"qwen2", "intermediate_size", 22016},
    {"qwen2", "num_hidden_layers", 32}, {"qwen2", "num_attention_heads", 32}, {"qwen2", "num_key_value_heads", 32},
    {"qwen2", "max_position_embeddings", 32768},
};

class Reader {
 public:
  Reader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  /// Nested config of `family`: missing keys take that config class's defaults (see kNestedDefaults).
  void use_class_defaults(const std::string& family) { defaults_family_ = family; }
  /// "key = value" for every default used, for the warning that says so.
  std::vector<std::string> defaulted;

  const std::string& path() const { return path_; }
  std::string key_path(const char* key) const { return path_ + "/" + key; }

  /// The first key present with a non-null value.
  const json* find(std::initializer_list<const char*> keys, const char** which = nullptr) const {
    for (const char* k : keys) {
      const json* v = json_member(obj_, k);
      if (v && !v->is_null()) {
        if (which) *which = k;
        return v;
      }
    }
    return nullptr;
  }
  bool has(const char* key) const { return find({key}) != nullptr; }

  int64_t req_int(std::initializer_list<const char*> keys, int64_t lo, int64_t hi, const char* why) {
    const char* which = nullptr;
    const json* v = find(keys, &which);
    if (!v) {
      if (const int64_t* d = class_default(*keys.begin())) return *d;
      std::string names;
      for (const char* k : keys) names += std::string(names.empty() ? "" : " / ") + k;
      fail(ErrorCode::kMissingKey,
           "config.json has no '" + std::string(*keys.begin()) + "' (looked for " + names + " in " +
               (path_.empty() ? "the top level" : path_) + "): " + why,
           key_path(*keys.begin()));
      return lo;
    }
    return to_int(*v, which, lo, hi);
  }

  int64_t opt_int(std::initializer_list<const char*> keys, int64_t def, int64_t lo, int64_t hi) {
    const char* which = nullptr;
    const json* v = find(keys, &which);
    if (!v) {
      if (const int64_t* d = class_default(*keys.begin())) return *d;
      return def;
    }
    return to_int(*v, which, lo, hi);
  }

  bool opt_bool(const char* key, bool def) {
    const json* v = find({key});
    if (!v) return def;
    if (!v->is_boolean()) {
      fail(ErrorCode::kInvalidValue, "'" + std::string(key) + "' must be true or false, not " + describe(*v),
           key_path(key));
      return def;
    }
    return v->get<bool>();
  }

  std::string opt_str(const char* key, const std::string& def = {}) {
    const json* v = find({key});
    if (!v) return def;
    if (!v->is_string()) {
      fail(ErrorCode::kInvalidValue, "'" + std::string(key) + "' must be a string, not " + describe(*v),
           key_path(key));
      return def;
    }
    return v->get<std::string>();
  }

  /// A group size: -1 (one group per row) or a positive count.
  int64_t opt_group(std::initializer_list<const char*> keys, int64_t def) {
    const int64_t g = opt_int(keys, def, -1, kMaxGroup);
    if (g == 0) {
      fail(ErrorCode::kInvalidValue, "'" + std::string(*keys.begin()) + "' must be -1 (per channel) or positive, not 0",
           key_path(*keys.begin()));
      return def;
    }
    return g;
  }

  void fail(ErrorCode code, std::string message, std::string path) {
    if (!error) error = make_error(code, std::move(message), std::move(path));
  }

  std::optional<Error> error;

 private:
  const int64_t* class_default(const char* key) {
    if (defaults_family_.empty()) return nullptr;
    for (const ClassDefault& d : kNestedDefaults) {
      if (defaults_family_ == d.family && std::string(key) == d.key) {
        defaulted.push_back(std::string(key) + " = " + std::to_string(d.value));
        return &d.value;
      }
    }
    return nullptr;
  }

  int64_t to_int(const json& v, const char* key, int64_t lo, int64_t hi) {
    double d = 0;
    if (v.is_number_integer()) {
      // Unsigned values above int64 range are absurd anyway: clamp through double.
      d = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>()) : static_cast<double>(v.get<int64_t>());
    } else if (v.is_number_float()) {
      d = v.get<double>();
      if (!std::isfinite(d) || d != std::floor(d)) {
        fail(ErrorCode::kInvalidValue, "'" + std::string(key) + "' must be a whole number, not " + describe(v),
             key_path(key));
        return lo;
      }
    } else {
      fail(ErrorCode::kInvalidValue, "'" + std::string(key) + "' must be a number, not " + describe(v),
           key_path(key));
      return lo;
    }
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      fail(ErrorCode::kInvalidValue,
           "'" + std::string(key) + "' = " + json_number_text(d) + " is out of range (" + std::to_string(lo) +
               ".." + std::to_string(hi) + "): fix the value in config.json",
           key_path(key));
      return lo;
    }
    return static_cast<int64_t>(d);
  }

  const json& obj_;
  std::string path_;
  std::string defaults_family_;
};

// Limits: generous for any real model, tight enough that products stay far from int64 overflow.
constexpr int64_t kMaxHidden = 1 << 20;
constexpr int64_t kMaxLayers = 10000;
constexpr int64_t kMaxHeads = 1 << 16;
constexpr int64_t kMaxWidth = 1 << 24;
constexpr int64_t kMaxVocab = 1 << 24;
constexpr int64_t kMaxExperts = 1 << 16;
constexpr int64_t kMaxPositions = int64_t{1} << 32;
/// Beyond this many parameters a config is a typo, not a model (the largest published are ~2e12).
constexpr double kMaxParameters = 1e15;

// ----------------------------------------------------------------------------------------------
// Sliding-window layers
// ----------------------------------------------------------------------------------------------

std::vector<int64_t> sliding_windows(Reader& r, const Family& fam, const std::string& family_name, int64_t layers) {
  std::vector<int64_t> w(static_cast<size_t>(layers), 0);
  const int64_t window = r.opt_int({"sliding_window", "sliding_window_size"}, 0, 0, kMaxPositions);
  if (r.error) return w;

  // transformers >= 4.53 lists every layer's kind explicitly: it wins over every family rule.
  if (const json* lt = r.find({"layer_types"})) {
    if (!lt->is_array() || static_cast<int64_t>(lt->size()) != layers) {
      r.fail(ErrorCode::kInconsistentConfig,
             "'layer_types' must be a list with one entry per layer (" + std::to_string(layers) + ")",
             r.key_path("layer_types"));
      return w;
    }
    for (int64_t i = 0; i < layers; ++i) {
      const json& t = *json_element(*lt, static_cast<size_t>(i));  // the size was checked above
      if (!t.is_string()) {
        r.fail(ErrorCode::kInvalidValue, "'layer_types' entries must be strings",
               r.key_path("layer_types") + "/" + std::to_string(i));
        return w;
      }
      const std::string kind = t.get<std::string>();
      if (kind == "sliding_attention" || kind == "chunked_attention") {
        if (window <= 0) {
          r.fail(ErrorCode::kMissingKey, "layer_types has sliding layers but 'sliding_window' is not set",
                 r.key_path("sliding_window"));
          return w;
        }
        w[static_cast<size_t>(i)] = window;
      } else if (kind != "full_attention" && kind != "attention") {
        r.fail(ErrorCode::kUnsupportedArchitecture,
               "layer type '" + kind + "' (layer " + std::to_string(i) +
                   ") is not an attention layer llmsizer can size (linear attention / state-space layers are "
                   "not supported yet)",
               r.key_path("layer_types") + "/" + std::to_string(i));
        return w;
      }
    }
    return w;
  }
  if (window <= 0) return w;

  SlidingRule rule = fam.sliding;
  if (family_name == "generic") {
    // Unknown families: honour use_sliding_window when present, else apply the window to all layers.
    rule = r.opt_bool("use_sliding_window", true) ? SlidingRule::kAllLayers : SlidingRule::kNone;
  }
  switch (rule) {
    case SlidingRule::kNone: break;
    case SlidingRule::kAllLayers:
      if (r.opt_bool("use_sliding_window", true)) std::fill(w.begin(), w.end(), window);
      break;
    case SlidingRule::kQwen: {
      // modeling_qwen2.py: sliding only with use_sliding_window, on layers >= max_window_layers.
      if (!r.opt_bool("use_sliding_window", false)) break;
      const int64_t first = r.opt_int({"max_window_layers"}, 0, 0, kMaxLayers);
      for (int64_t i = first; i < layers; ++i) w[static_cast<size_t>(i)] = window;
      break;
    }
    case SlidingRule::kAlternate:
      // modeling_gemma2.py: self.is_sliding = not bool(layer_idx % 2)
      for (int64_t i = 0; i < layers; i += 2) w[static_cast<size_t>(i)] = window;
      break;
    case SlidingRule::kPattern: {
      // modeling_gemma3.py: is_sliding = bool((layer_idx + 1) % config.sliding_window_pattern); default 6.
      const int64_t pattern = r.opt_int({"sliding_window_pattern"}, 6, 1, kMaxLayers);
      for (int64_t i = 0; i < layers; ++i) {
        if ((i + 1) % pattern != 0) w[static_cast<size_t>(i)] = window;
      }
      break;
    }
  }
  return w;
}

// ----------------------------------------------------------------------------------------------
// Quantisation
// ----------------------------------------------------------------------------------------------

void parse_quantization(const json& q, const std::string& path, ModelSpec& m, Reader& top) {
  if (!q.is_object()) {
    top.fail(ErrorCode::kInvalidValue, "'quantization_config' must be an object", path);
    return;
  }
  Reader r(q, path);
  std::string method = r.opt_str("quant_method");
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
  WeightFormat f;
  f.dtype = m.torch_dtype == Dtype::kFp32 ? Dtype::kBf16 : m.torch_dtype;
  if (method == "gptq") {
    f.method = QuantMethod::kGptq;
    f.dtype = Dtype::kFp16;
    f.bits = static_cast<double>(r.opt_int({"bits"}, 4, 2, 8));
    f.group_size = r.opt_group({"group_size"}, 128);
    f.zero_points = !r.opt_bool("sym", true);
    f.g_idx = r.opt_bool("desc_act", false);
    f.label = "GPTQ int" + std::to_string(static_cast<int>(f.bits)) + " g" + std::to_string(f.group_size);
  } else if (method == "awq") {
    f.method = QuantMethod::kAwq;
    f.dtype = Dtype::kFp16;
    f.bits = static_cast<double>(r.opt_int({"bits", "w_bit"}, 4, 2, 8));
    f.group_size = r.opt_group({"group_size", "q_group_size"}, 128);
    f.zero_points = r.opt_bool("zero_point", true);
    f.label = "AWQ int" + std::to_string(static_cast<int>(f.bits)) + " g" + std::to_string(f.group_size);
  } else if (method == "fp8" || method == "fbgemm_fp8") {
    f.method = QuantMethod::kFp8;
    f.bits = 8;
    f.scales = method == "fbgemm_fp8" ? ScaleGranularity::kChannel : ScaleGranularity::kTensor;
    if (const json* b = r.find({"weight_block_size"})) {
      if (b->is_array() && b->size() == 2 && (*b)[0].is_number_integer() && (*b)[1].is_number_integer() &&
          (*b)[0].get<int64_t>() > 0 && (*b)[1].get<int64_t>() > 0) {
        f.scales = ScaleGranularity::kBlock;
        f.block_rows = (*b)[0].get<int64_t>();
        f.block_cols = (*b)[1].get<int64_t>();
      } else {
        r.fail(ErrorCode::kInvalidValue, "'weight_block_size' must be two positive integers",
               r.key_path("weight_block_size"));
      }
    }
    f.label = f.scales == ScaleGranularity::kBlock
                  ? "fp8 (block " + std::to_string(f.block_rows) + "x" + std::to_string(f.block_cols) + " scales)"
                  : std::string("fp8");
  } else if (method == "bitsandbytes") {
    if (r.opt_bool("load_in_4bit", false)) {
      f.method = QuantMethod::kBnb4;
      f.bits = 4;
      f.double_quant = r.opt_bool("bnb_4bit_use_double_quant", false);
      f.label = std::string("bitsandbytes ") + (r.opt_str("bnb_4bit_quant_type", "fp4") == "nf4" ? "NF4" : "FP4") +
                (f.double_quant ? " (double quant)" : "");
    } else {
      // LLM.int8() (arXiv:2208.07339): int8 weights + an fp32 scale per output row (SCB).
      f.method = QuantMethod::kInt8;
      f.bits = 8;
      f.scales = ScaleGranularity::kChannel;
      f.label = "bitsandbytes LLM.int8()";
    }
  } else if (method == "mxfp4") {
    f.method = QuantMethod::kMxfp4;
    f.bits = 4.25;
    f.experts_only = true;
    f.label = "MXFP4 (experts)";
  } else if (method == "compressed-tensors") {
    // compressed-tensors (llm-compressor): config_groups.<name>.weights {num_bits, type, strategy, group_size}
    const json* groups = r.find({"config_groups"});
    const json* w = nullptr;
    if (groups && groups->is_object() && !groups->empty()) {
      const json& g = groups->begin().value();
      if (const json* gw = json_member(g, "weights"); gw && gw->is_object()) w = gw;
    }
    if (!w) {
      top.fail(ErrorCode::kInvalidValue,
               "compressed-tensors quantization_config has no config_groups.*.weights: cannot tell the weight format",
               r.key_path("config_groups"));
      return;
    }
    Reader wr(*w, path + "/config_groups/" + groups->begin().key() + "/weights");
    const int64_t bits = wr.opt_int({"num_bits"}, 8, 1, 16);
    const std::string type = wr.opt_str("type", "int");
    const std::string strategy = wr.opt_str("strategy", "tensor");
    const int64_t group = wr.opt_group({"group_size"}, 128);
    const bool sym = wr.opt_bool("symmetric", true);
    if (wr.error) {
      top.fail(wr.error->code, wr.error->message, wr.error->path);
      return;
    }
    f.bits = static_cast<double>(bits);
    if (bits == 8) {
      f.method = type == "float" ? QuantMethod::kFp8 : QuantMethod::kInt8;
      f.scales = strategy == "channel" ? ScaleGranularity::kChannel
                 : strategy == "block" ? ScaleGranularity::kBlock
                 : strategy == "group" ? ScaleGranularity::kGroup
                                       : ScaleGranularity::kTensor;
      f.group_size = group;
      f.label = std::string(type == "float" ? "fp8" : "int8") + " (compressed-tensors, " + strategy + ")";
    } else {
      f.method = QuantMethod::kIntGroup;
      f.group_size = strategy == "channel" ? -1 : group;
      f.zero_points = !sym;
      f.label = (type == "float" ? "fp" : "int") + std::to_string(bits) + " (compressed-tensors, " + strategy +
                (strategy == "group" ? " " + std::to_string(group) : "") + ")";
    }
  } else {
    m.warnings.push_back({"unknown_quantization",
                          "quantization method '" + method +
                              "' is not modelled: weights are estimated at the checkpoint dtype; choose a precision "
                              "explicitly for a better estimate"});
    return;
  }
  if (r.error) {
    top.fail(r.error->code, r.error->message, r.error->path);
    return;
  }
  m.quant = f;
  m.has_quantization_config = true;
}

// ----------------------------------------------------------------------------------------------
// Vision towers (multimodal wrappers): a ViT estimated from vision_config.
// ----------------------------------------------------------------------------------------------

void estimate_vision(const json& root, ModelSpec& m) {
  const json* vc = json_member(root, "vision_config");
  if (!vc || !vc->is_object()) return;
  const json& v = *vc;
  auto geti = [&](const char* k, int64_t def) -> int64_t {
    const json* f = json_member(v, k);
    if (!f || !f->is_number()) return def;
    double d = f->get<double>();
    if (!std::isfinite(d) || d < 0 || d > 1e7) return def;
    return static_cast<int64_t>(d);
  };
  const int64_t h = geti("hidden_size", 0);
  const int64_t layers = geti("num_hidden_layers", geti("depth", 0));
  if (h <= 0 || layers <= 0 || h > kMaxHidden || layers > kMaxLayers) return;
  const int64_t inter = geti("intermediate_size", 4 * h);
  const int64_t patch = geti("patch_size", 14);
  const int64_t image = geti("image_size", 224);
  const int64_t channels = geti("num_channels", 3);
  // ViT encoder layer (SigLIP / CLIP): q,k,v,o with biases, fc1/fc2 with biases, two LayerNorms.
  const int64_t per_layer = 4 * (h * h + h) + (h * inter + inter) + (inter * h + h) + 2 * 2 * h;
  const int64_t patches = patch > 0 ? (image / patch) * (image / patch) : 0;
  int64_t total = layers * per_layer + channels * patch * patch * h + h + patches * h + 2 * h;
  // Projector into the language model: one matrix vision_hidden x text_hidden (+ norm), as Gemma 3's
  // multi_modal_projector and LLaVA's first linear layer.
  total += h * m.hidden_size + h;
  m.vision.parameters = total;
  m.vision.note = "vision tower estimated from vision_config as a ViT (" + std::to_string(layers) + " layers, hidden " +
                  std::to_string(h) + "); use the Hub's safetensors counts for exact figures";
}

// ----------------------------------------------------------------------------------------------
// The parser
// ----------------------------------------------------------------------------------------------

Result<ModelSpec> build(const json& root) {
  if (!root.is_object()) {
    return make_error(ErrorCode::kNotAnObject,
                      std::string("config.json must be a JSON object ({...}), not ") + describe(root));
  }
  ModelSpec m;
  Reader top(root, "");

  // Find the language model: multimodal wrappers keep it under text_config (or llm_config /
  // language_config). Nesting is followed a few levels at most.
  const json* text = &root;
  std::string path;
  std::string wrapper_type = top.opt_str("model_type");
  for (int depth = 0;; ++depth) {
    const json* inner = nullptr;
    const char* key = nullptr;
    for (const char* k : {"text_config", "llm_config", "language_config"}) {
      const json* it = json_member(*text, k);
      if (it && it->is_object()) {
        inner = it;
        key = k;
        break;
      }
      if (it && !it->is_null() && !it->is_object()) {
        return make_error(ErrorCode::kInvalidValue, std::string("'") + k + "' must be an object", path + "/" + k);
      }
    }
    if (!inner) break;
    if (depth >= 3) {
      return make_error(ErrorCode::kInconsistentConfig,
                        "text_config is nested more than 3 levels deep: not a real model config", path);
    }
    text = inner;
    path += std::string("/") + key;
  }
  m.text_config_path = path;
  Reader r(*text, path);

  // model_type: the language model's own, else derived from the wrapper's.
  m.model_type = r.opt_str("model_type");
  if (r.error) return *r.error;
  if (m.model_type.empty() && !path.empty()) {
    const char* t = wrapped_text_type(wrapper_type);
    m.model_type = t ? t : wrapper_type;
  }
  if (m.model_type.empty()) m.model_type = wrapper_type;
  if (const json* a = top.find({"architectures"}); a && a->is_array() && !a->empty() && (*a)[0].is_string()) {
    m.architecture = (*a)[0].get<std::string>();
  } else {
    m.architecture = m.model_type.empty() ? "unknown" : m.model_type;
  }

  const Family* fam = find_family(m.model_type);
  static constexpr Family kGeneric = {"generic", NormKind::kRmsNorm, true, false, false, false, false, 2,
                                      false, SlidingRule::kAllLayers, MlpRule::kDense};
  if (!fam) {
    fam = &kGeneric;
    m.generic = true;
    m.warnings.push_back(
        {"generic_architecture",
         "model_type '" + (m.model_type.empty() ? std::string("(none)") : m.model_type) +
             "' is not one llmsizer knows: estimated as a generic Llama-style decoder (RMSNorm, gated MLP, "
             "GQA). Parameter counts may be off by the architecture's extras."});
  }
  m.family = fam->name;
  const std::string fname = fam->name;
  if (!path.empty() && !m.generic) r.use_class_defaults(fname);

  // ---- core sizes (aliases: GPT-2 n_embd/n_layer/n_head, T5-style d_model, Falcon n_head) ----
  m.hidden_size = r.req_int({"hidden_size", "n_embd", "d_model", "dim"}, 8, kMaxHidden,
                            "the width of the model is essential");
  const int64_t layers = r.req_int({"num_hidden_layers", "n_layer", "num_layers", "n_layers"}, 1, kMaxLayers,
                                   "the number of decoder layers is essential");
  const int64_t heads = r.req_int({"num_attention_heads", "n_head", "num_heads", "n_heads"}, 1, kMaxHeads,
                                  "the number of attention heads is essential");
  m.vocab_size = r.req_int({"vocab_size", "n_vocab", "padded_vocab_size"}, 1, kMaxVocab,
                           "the vocabulary size sets the embedding and LM-head sizes");
  if (r.error) return *r.error;

  // KV heads: num_key_value_heads (absent -> heads); Falcon: n_head_kv / num_kv_heads; multi_query -> 1.
  int64_t kv_heads = heads;
  if (fname == "falcon") {
    const bool new_arch = r.opt_bool("new_decoder_architecture", false);
    if (new_arch) {
      kv_heads = r.opt_int({"num_kv_heads", "n_head_kv", "num_key_value_heads"}, heads, 1, kMaxHeads);
    } else if (r.opt_bool("multi_query", true)) {
      kv_heads = 1;
    }
  } else {
    kv_heads = r.opt_int({"num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num"}, heads, 1,
                         kMaxHeads);
    if (r.opt_bool("multi_query", false)) kv_heads = 1;
  }
  if (r.error) return *r.error;

  // head_dim: explicit key wins (Gemma 7B: 256 with hidden 3072 / 16 heads), else hidden / heads.
  int64_t head_dim = r.opt_int({"head_dim", "attention_head_dim", "kv_channels"}, 0, 0, kMaxHeads);
  if (r.error) return *r.error;
  if (head_dim == 0) {
    if (m.hidden_size % heads != 0) {
      return make_error(ErrorCode::kInconsistentConfig,
                        "hidden_size " + std::to_string(m.hidden_size) + " is not divisible by num_attention_heads " +
                            std::to_string(heads) + ", and no head_dim is given: fix one of them or add head_dim",
                        r.key_path("num_attention_heads"));
    }
    head_dim = m.hidden_size / heads;
  }
  const bool mla = r.has("kv_lora_rank");
  if (!mla && heads % kv_heads != 0) {
    return make_error(ErrorCode::kInconsistentConfig,
                      "num_attention_heads " + std::to_string(heads) + " is not a multiple of num_key_value_heads " +
                          std::to_string(kv_heads) + ": each KV head must serve a whole group of query heads",
                      r.key_path("num_key_value_heads"));
  }
  if (!mla && kv_heads > heads) {
    return make_error(ErrorCode::kInconsistentConfig, "num_key_value_heads exceeds num_attention_heads",
                      r.key_path("num_key_value_heads"));
  }

  // ---- context, dtype ----
  m.max_position_embeddings =
      r.opt_int({"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length",
                 "n_ctx"},
                0, 0, kMaxPositions);
  if (fname == "falcon" && m.max_position_embeddings == 0) m.max_position_embeddings = 2048;
  {
    // transformers 5 renamed torch_dtype -> dtype; wrappers may keep it at the top only.
    std::string dt = r.opt_str("torch_dtype");
    if (dt.empty()) dt = r.opt_str("dtype");
    if (dt.empty() && !path.empty()) {
      dt = top.opt_str("torch_dtype");
      if (dt.empty()) dt = top.opt_str("dtype");
    }
    if (r.error) return *r.error;
    if (top.error) return *top.error;
    if (!dt.empty()) {
      auto d = parse_dtype(dt);
      if (!d.ok() || (d.value() != Dtype::kFp32 && d.value() != Dtype::kFp16 && d.value() != Dtype::kBf16)) {
        m.warnings.push_back({"unknown_torch_dtype", "torch_dtype '" + dt + "' is not fp32/fp16/bf16: assuming bf16"});
      } else {
        m.torch_dtype = d.value();
        m.has_torch_dtype = true;
      }
    }
  }

  // ---- embeddings, biases, norms ----
  m.tie_word_embeddings = r.opt_bool("tie_word_embeddings", fam->tie_default);
  if (!path.empty() && !r.has("tie_word_embeddings") && top.has("tie_word_embeddings")) {
    m.tie_word_embeddings = top.opt_bool("tie_word_embeddings", fam->tie_default);
  }
  m.norm = fam->norm;
  if (fname == "starcoder2" && r.opt_str("norm_type", "layer_norm") != "layer_norm") m.norm = NormKind::kRmsNorm;

  bool qkv_bias = fam->qkv_bias;
  bool o_bias = fam->o_bias;
  bool mlp_bias = fam->mlp_bias;
  if (fname == "llama" || fname == "granite" || fname == "mistral" || fname == "generic" || fname == "gemma" ||
      fname == "gemma2" || fname == "gemma3" || fname == "qwen3" || fname == "qwen3_moe" || fname == "phi3" ||
      fname == "deepseek_v2" || fname == "deepseek_v3") {
    qkv_bias = o_bias = r.opt_bool("attention_bias", false);
    mlp_bias = r.opt_bool("mlp_bias", false);
  } else if (fname == "gpt_neox") {
    qkv_bias = o_bias = r.opt_bool("attention_bias", true);
  } else if (fname == "falcon") {
    qkv_bias = o_bias = mlp_bias = r.opt_bool("bias", false);
  } else if (fname == "opt") {
    qkv_bias = o_bias = mlp_bias = r.opt_bool("enable_bias", true);
  } else if (fname == "starcoder2") {
    qkv_bias = o_bias = mlp_bias = r.opt_bool("use_bias", true);
  } else if (fname == "gpt_oss") {
    qkv_bias = o_bias = r.opt_bool("attention_bias", true);
  }
  int norms = fam->norms;
  if (fname == "falcon") {
    const bool new_arch = r.opt_bool("new_decoder_architecture", false);
    const bool parallel = r.opt_bool("parallel_attn", true);
    // modeling_falcon.py: new architecture has ln_attn + ln_mlp when num_ln_in_parallel_attn == 2.
    norms = new_arch ? static_cast<int>(r.opt_int({"num_ln_in_parallel_attn"}, 2, 1, 2)) : (parallel ? 1 : 2);
  }
  if (r.error) return *r.error;

  // Learned absolute positions: GPT-2 n_positions; OPT max_position_embeddings + 2 (OPTLearnedPositionalEmbedding offset).
  if (fname == "gpt2") {
    m.learned_position_rows = r.opt_int({"n_positions", "max_position_embeddings"}, 1024, 1, kMaxPositions);
  } else if (fname == "opt") {
    m.learned_position_rows = m.max_position_embeddings + 2;
    const int64_t proj = r.opt_int({"word_embed_proj_dim"}, m.hidden_size, 1, kMaxHidden);
    if (proj != m.hidden_size) m.embed_proj_dim = proj;
    m.final_norm = r.opt_bool("do_layer_norm_before", true) && !r.opt_bool("_remove_final_layer_norm", false);
  }
  if (fname == "phi") m.lm_head_bias = true;

  // Rotary dims (engines size rope caches from them): partial_rotary_factor / rotary_pct / rotary_dim.
  if (fname != "gpt2" && fname != "opt" && fname != "falcon") {
    double frac = 1.0;
    if (const json* f = r.find({"partial_rotary_factor", "rotary_pct"}); f && f->is_number()) frac = f->get<double>();
    if (!(frac > 0 && frac <= 1)) frac = 1.0;
    const int64_t rd = r.opt_int({"rotary_dim"}, 0, 0, kMaxHeads);
    m.rotary_dim = rd > 0 ? rd : static_cast<int64_t>(static_cast<double>(head_dim) * frac);
  } else if (fname == "falcon" && !r.opt_bool("alibi", false)) {
    m.rotary_dim = head_dim;
  }
  if (r.error) return *r.error;

  // ---- attention spec (MLA or standard) ----
  AttentionSpec attn;
  attn.num_heads = heads;
  attn.num_kv_heads = kv_heads;
  attn.head_dim = head_dim;
  attn.v_head_dim = head_dim;
  attn.qkv_bias = qkv_bias;
  attn.o_bias = o_bias;
  attn.qk_norm = fam->qk_norm;
  attn.sinks = fname == "gpt_oss";
  if (mla) {
    attn.mla = true;
    attn.q_lora_rank = r.opt_int({"q_lora_rank"}, 0, 0, kMaxHidden);
    attn.kv_lora_rank = r.req_int({"kv_lora_rank"}, 1, kMaxHidden, "MLA needs the latent width");
    attn.qk_nope_head_dim = r.req_int({"qk_nope_head_dim"}, 0, kMaxHeads, "MLA needs the non-rotary head size");
    attn.qk_rope_head_dim = r.req_int({"qk_rope_head_dim"}, 0, kMaxHeads, "MLA needs the rotary head size");
    attn.v_head_dim = r.req_int({"v_head_dim"}, 1, kMaxHeads, "MLA needs the value head size");
    attn.head_dim = attn.qk_nope_head_dim + attn.qk_rope_head_dim;
    attn.num_kv_heads = heads;  // MLA: every query head gets its own decompressed K/V
    attn.qkv_bias = attn.o_bias = false;
    m.rotary_dim = attn.qk_rope_head_dim;
    if (r.error) return *r.error;
  }

  // ---- MLP / MoE ----
  MlpSpec dense;
  dense.gated = fam->gated;
  dense.bias = mlp_bias;
  if (fname == "gpt2") {
    dense.intermediate_size = r.opt_int({"n_inner"}, 4 * m.hidden_size, 1, kMaxWidth);
  } else if (fname == "opt") {
    dense.intermediate_size = r.req_int({"ffn_dim", "intermediate_size"}, 1, kMaxWidth, "OPT's MLP width");
  } else if (fname == "falcon") {
    dense.intermediate_size = r.opt_int({"ffn_hidden_size", "intermediate_size"}, 4 * m.hidden_size, 1, kMaxWidth);
  } else if (fname == "phi") {
    dense.intermediate_size = r.opt_int({"intermediate_size", "n_inner"}, 4 * m.hidden_size, 1, kMaxWidth);
  } else {
    dense.intermediate_size = r.req_int({"intermediate_size", "ffn_dim", "n_inner", "ffn_hidden_size"}, 1, kMaxWidth,
                                        "the MLP width sets most of the parameters");
  }
  if (r.error) return *r.error;

  std::vector<MlpSpec> mlps(static_cast<size_t>(layers), dense);
  auto moe_base = [&](int64_t experts, int64_t topk, int64_t width) {
    MlpSpec p;
    p.gated = fam->gated;
    p.bias = false;
    p.intermediate_size = 0;
    p.num_experts = experts;
    p.experts_per_token = topk;
    p.expert_intermediate_size = width;
    return p;
  };
  switch (fam->mlp) {
    case MlpRule::kDense: {
      // Generic MoE keys on an unknown family: num_local_experts / num_experts.
      if (fname == "generic") {
        const int64_t e = r.opt_int({"num_local_experts", "num_experts", "n_routed_experts"}, 0, 0, kMaxExperts);
        if (e > 0) {
          const int64_t k = r.req_int({"num_experts_per_tok", "experts_per_token"}, 1, e, "MoE needs its top-k");
          const int64_t w = r.opt_int({"moe_intermediate_size"}, dense.intermediate_size, 1, kMaxWidth);
          std::fill(mlps.begin(), mlps.end(), moe_base(e, k, w));
        }
      }
      break;
    }
    case MlpRule::kMixtral:
    case MlpRule::kGptOss: {
      const int64_t e = r.req_int({"num_local_experts", "num_experts"}, 1, kMaxExperts, "MoE needs its expert count");
      const int64_t k = r.req_int({"num_experts_per_tok", "experts_per_token"}, 1, kMaxExperts, "MoE needs its top-k");
      if (r.error) return *r.error;
      if (k > e) {
        return make_error(ErrorCode::kInconsistentConfig, "num_experts_per_tok exceeds the number of experts",
                          r.key_path("num_experts_per_tok"));
      }
      MlpSpec p = moe_base(e, k, dense.intermediate_size);
      if (fam->mlp == MlpRule::kGptOss) {
        p.bias = true;
        p.router_bias = true;
      }
      std::fill(mlps.begin(), mlps.end(), p);
      break;
    }
    case MlpRule::kQwenMoe: {
      const int64_t e = r.req_int({"num_experts"}, 1, kMaxExperts, "MoE needs its expert count");
      const int64_t k = r.req_int({"num_experts_per_tok"}, 1, kMaxExperts, "MoE needs its top-k");
      const int64_t w = r.req_int({"moe_intermediate_size"}, 1, kMaxWidth, "MoE needs the expert width");
      const int64_t step = r.opt_int({"decoder_sparse_step"}, 1, 1, kMaxLayers);
      const int64_t shared = fname == "qwen2_moe" ? r.opt_int({"shared_expert_intermediate_size"}, 0, 0, kMaxWidth) : 0;
      if (r.error) return *r.error;
      if (k > e) {
        return make_error(ErrorCode::kInconsistentConfig, "num_experts_per_tok exceeds num_experts",
                          r.key_path("num_experts_per_tok"));
      }
      std::vector<int64_t> mlp_only;
      if (const json* mo = r.find({"mlp_only_layers"}); mo && mo->is_array()) {
        for (const json& x : *mo) {
          if (x.is_number_integer()) mlp_only.push_back(x.get<int64_t>());
        }
      }
      for (int64_t i = 0; i < layers; ++i) {
        // modeling_qwen2_moe.py: sparse when (layer_idx not in mlp_only_layers) and
        // num_experts > 0 and (layer_idx + 1) % decoder_sparse_step == 0.
        const bool only = std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end();
        if (only || (i + 1) % step != 0) continue;
        MlpSpec p = moe_base(e, k, w);
        if (shared > 0) {
          p.num_shared_experts = 1;
          p.shared_intermediate_size = shared;
          p.shared_expert_gate = true;
        }
        mlps[static_cast<size_t>(i)] = p;
      }
      break;
    }
    case MlpRule::kDeepseek: {
      const int64_t e = r.opt_int({"n_routed_experts"}, 0, 0, kMaxExperts);
      if (e == 0) break;  // a dense DeepSeek-V2-style config
      const int64_t k = r.req_int({"num_experts_per_tok"}, 1, kMaxExperts, "MoE needs its top-k");
      const int64_t w = r.req_int({"moe_intermediate_size"}, 1, kMaxWidth, "MoE needs the expert width");
      const int64_t shared = r.opt_int({"n_shared_experts"}, 0, 0, kMaxExperts);
      const int64_t first_dense = r.opt_int({"first_k_dense_replace"}, 0, 0, kMaxLayers);
      const int64_t freq = r.opt_int({"moe_layer_freq"}, 1, 1, kMaxLayers);
      const bool noaux = r.opt_str("topk_method") == "noaux_tc";
      if (r.error) return *r.error;
      if (k > e) {
        return make_error(ErrorCode::kInconsistentConfig, "num_experts_per_tok exceeds n_routed_experts",
                          r.key_path("num_experts_per_tok"));
      }
      for (int64_t i = 0; i < layers; ++i) {
        // modeling_deepseek.py: MoE when layer_idx >= first_k_dense_replace and layer_idx % moe_layer_freq == 0.
        if (i < first_dense || i % freq != 0) continue;
        MlpSpec p = moe_base(e, k, w);
        p.num_shared_experts = shared;
        p.shared_intermediate_size = w;
        p.router_score_bias = noaux;
        mlps[static_cast<size_t>(i)] = p;
      }
      if (fname == "deepseek_v3") m.mtp_layers = r.opt_int({"num_nextn_predict_layers"}, 0, 0, 16);
      break;
    }
  }
  if (r.error) return *r.error;

  // ---- sliding windows ----
  const std::vector<int64_t> windows = sliding_windows(r, *fam, fname, layers);
  if (r.error) return *r.error;

  // ---- guard against absurd products before building tensors ----
  {
    const double h = static_cast<double>(m.hidden_size);
    double per_layer = 4.0 * h * static_cast<double>(heads * head_dim) + 3.0 * h * static_cast<double>(dense.intermediate_size);
    const MlpSpec& p0 = mlps.back();
    if (p0.is_moe()) per_layer += 3.0 * h * static_cast<double>(p0.expert_intermediate_size) * static_cast<double>(p0.num_experts);
    const double total = per_layer * static_cast<double>(layers) + 2.0 * h * static_cast<double>(m.vocab_size);
    if (!(total < kMaxParameters)) {
      return make_error(ErrorCode::kInvalidValue,
                        "these sizes describe a model of about " + json_number_text(total) +
                            " parameters (over 1e15): check hidden_size, num_hidden_layers, intermediate_size and the "
                            "expert counts",
                        path);
    }
  }

  // A window that covers the whole context changes nothing (Phi-3-mini-128k: 262144 > 131072): those
  // layers attend to (and cache) everything, so they are sized as full attention.
  bool window_covers_context = false;
  for (int64_t w : windows) {
    if (w > 0 && m.max_position_embeddings > 0 && w >= m.max_position_embeddings) window_covers_context = true;
  }
  m.layers.resize(static_cast<size_t>(layers));
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec& l = m.layers[static_cast<size_t>(i)];
    l.attn = attn;
    const int64_t w = windows[static_cast<size_t>(i)];
    l.attn.sliding_window = (w > 0 && m.max_position_embeddings > 0 && w >= m.max_position_embeddings) ? 0 : w;
    l.mlp = mlps[static_cast<size_t>(i)];
    l.norms = norms;
  }

  if (window_covers_context) {
    m.warnings.push_back({"sliding_window_covers_context",
                          "sliding_window is at least max_position_embeddings (" +
                              std::to_string(m.max_position_embeddings) +
                              "): those layers see the whole context and are sized as full attention"});
  }

  // ---- quantisation (the wrapper's top level may carry it) ----
  const json* q = r.find({"quantization_config", "compression_config"});
  std::string qpath = r.key_path("quantization_config");
  if (!q && !path.empty()) {
    q = top.find({"quantization_config", "compression_config"});
    qpath = "/quantization_config";
  }
  if (q) {
    parse_quantization(*q, qpath, m, top);
    if (top.error) return *top.error;
  }

  if (!r.defaulted.empty()) {
    std::string list;
    for (const std::string& d : r.defaulted) {
      if (list.find(d) == std::string::npos) list += (list.empty() ? "" : ", ") + d;
    }
    m.warnings.push_back({"text_config_defaults",
                          path.substr(1) + " leaves keys to the transformers config-class defaults, as " +
                              "transformers saves nested configs: " + list});
  }
  estimate_vision(root, m);
  return m;
}

}  // namespace

Result<bool> check_json_limits(const std::string& text, size_t max_bytes, const char* what) {
  if (text.size() > max_bytes) {
    return make_error(ErrorCode::kTooLarge, std::string(what) + " is " + std::to_string(text.size()) +
                                                " bytes; the limit is " + std::to_string(max_bytes) +
                                                " bytes. Paste the config.json itself, not a larger file.");
  }
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return make_error(ErrorCode::kTooLarge, std::string(what) + " nests deeper than " +
                                                    std::to_string(kMaxJsonDepth) +
                                                    " levels: not a real config.json");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Result<ModelSpec> parse_config(const std::string& text) {
  auto limits = check_json_limits(text, kMaxConfigBytes, "config.json");
  if (!limits.ok()) return limits.error();
  auto parsed = parse_json(text, "config.json");
  if (!parsed.ok()) return parsed.error();
  return parse_config_value(*parsed.value());
}

Result<ModelSpec> parse_config_value(const JsonValue& j) {
  // The request's "config" may hold config.json as text: read as text (with the text's limits).
  if (j.is_string()) return parse_config(j.get_ref<const std::string&>());
  // Reader checks types before every get<>(), so an exception here is a bug: report it rather than crash.
  return guarded([&]() -> Result<ModelSpec> { return build(j); },
                 [](const char* what) -> Result<ModelSpec> {
                   return make_error(ErrorCode::kInternal,
                                     std::string("unexpected error while reading config.json: ") + what);
                 });
}

}  // namespace llmsizer
