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
#include "model/encoder.h"
#if !LLMSIZER_LITE
#include "model/vision.h"
#endif

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
    {"qwen2_5_vl_text", "qwen2"}, {"kimi_k2", "deepseek_v3"}, {"llava", "llama"}, {"mllama_text_model", "llama"},
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
  if (wrapper == "llava" || wrapper == "llava_next" || wrapper == "mllama") return "llama";
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

/// compressed-tensors (llm-compressor): config_groups.<name>.weights {num_bits, type, strategy, group_size}.
/// False when it failed (the error is in `top`).
bool read_compressed_tensors(Reader& r, const std::string& path, Reader& top, WeightFormat& f) {
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
    return false;
  }
  Reader wr(*w, path + "/config_groups/" + groups->begin().key() + "/weights");
  const int64_t bits = wr.opt_int({"num_bits"}, 8, 1, 16);
  const std::string type = wr.opt_str("type", "int");
  const std::string strategy = wr.opt_str("strategy", "tensor");
  const int64_t group = wr.opt_group({"group_size"}, 128);
  const bool sym = wr.opt_bool("symmetric", true);
  if (wr.error) {
    top.fail(wr.error->code, wr.error->message, wr.error->path);
    return false;
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
  return true;
}

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
    if (!read_compressed_tensors(r, path, top, f)) return;
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
// The parser, section by section
// ----------------------------------------------------------------------------------------------

/// Multimodal wrappers keep the language model under text_config (or llm_config / language_config): the
/// innermost one, followed a few levels at most. *path gets its JSON pointer ("" at the top level).
Result<const json*> find_language_model(const json& root, std::string* path) {
  const json* text = &root;
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
        return make_error(ErrorCode::kInvalidValue, std::string("'") + k + "' must be an object", *path + "/" + k);
      }
    }
    if (!inner) return text;
    if (depth >= 3) {
      return make_error(ErrorCode::kInconsistentConfig,
                        "text_config is nested more than 3 levels deep: not a real model config", *path);
    }
    text = inner;
    *path += std::string("/") + key;
  }
}

/// What the sections of build() share.
struct Config {
  Reader& top;               ///< the whole config.json
  Reader& r;                 ///< the language model's config (top, or the text_config nested in it)
  const std::string& path;   ///< r's JSON pointer ("" at the top level)
  const Family* fam = nullptr;
  std::string fname;         ///< the family's name ("generic" for unknown model types)
  ModelSpec& m;
};

/// model_type (the language model's own, else derived from the wrapper's), the architecture and the family.
Result<bool> read_family(Config& c, const std::string& wrapper_type) {
  ModelSpec& m = c.m;
  m.model_type = c.r.opt_str("model_type");
  if (c.r.error) return *c.r.error;
  if (m.model_type.empty() && !c.path.empty()) {
    const char* t = wrapped_text_type(wrapper_type);
    m.model_type = t ? t : wrapper_type;
  }
  if (m.model_type.empty()) m.model_type = wrapper_type;
  const json* a = c.top.find({"architectures"});
  const json* a0 = a && a->is_array() ? json_element(*a, 0) : nullptr;
  m.architecture = a0 && a0->is_string() ? a0->get<std::string>() : m.model_type.empty() ? "unknown" : m.model_type;

  static constexpr Family kGeneric = {"generic", NormKind::kRmsNorm, true, false, false, false, false, 2,
                                      false, SlidingRule::kAllLayers, MlpRule::kDense};
  c.fam = find_family(m.model_type);
  if (!c.fam) {
    c.fam = &kGeneric;
    m.generic = true;
    m.warnings.push_back(
        {"generic_architecture",
         "model_type '" + (m.model_type.empty() ? std::string("(none)") : m.model_type) +
             "' is not one llmsizer knows: estimated as a generic Llama-style decoder (RMSNorm, gated MLP, "
             "GQA). Parameter counts may be off by the architecture's extras."});
  }
  m.family = c.fam->name;
  c.fname = c.fam->name;
  if (!c.path.empty() && !m.generic) c.r.use_class_defaults(c.fname);
  return true;
}

/// The attention's shape.
struct Heads {
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  bool mla = false;  ///< DeepSeek's multi-head latent attention (kv_lora_rank)
};

/// Core sizes (aliases: GPT-2 n_embd/n_layer/n_head, T5-style d_model, Falcon n_head), KV heads and head_dim.
Result<Heads> read_sizes(Config& c) {
  ModelSpec& m = c.m;
  Reader& r = c.r;
  Heads s;
  m.hidden_size = r.req_int({"hidden_size", "n_embd", "d_model", "dim"}, 8, kMaxHidden,
                            "the width of the model is essential");
  s.layers = r.req_int({"num_hidden_layers", "n_layer", "num_layers", "n_layers"}, 1, kMaxLayers,
                       "the number of decoder layers is essential");
  s.heads = r.req_int({"num_attention_heads", "n_head", "num_heads", "n_heads"}, 1, kMaxHeads,
                      "the number of attention heads is essential");
  m.vocab_size = r.req_int({"vocab_size", "n_vocab", "padded_vocab_size"}, 1, kMaxVocab,
                           "the vocabulary size sets the embedding and LM-head sizes");
  if (r.error) return *r.error;

  // KV heads: num_key_value_heads (absent -> heads); Falcon: n_head_kv / num_kv_heads; multi_query -> 1.
  s.kv_heads = s.heads;
  if (c.fname == "falcon") {
    const bool new_arch = r.opt_bool("new_decoder_architecture", false);
    if (new_arch) {
      s.kv_heads = r.opt_int({"num_kv_heads", "n_head_kv", "num_key_value_heads"}, s.heads, 1, kMaxHeads);
    } else if (r.opt_bool("multi_query", true)) {
      s.kv_heads = 1;
    }
  } else {
    s.kv_heads = r.opt_int({"num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num"}, s.heads, 1,
                           kMaxHeads);
    if (r.opt_bool("multi_query", false)) s.kv_heads = 1;
  }
  if (r.error) return *r.error;

  // head_dim: explicit key wins (Gemma 7B: 256 with hidden 3072 / 16 heads), else hidden / heads.
  // A head_dim that is given must be a size: 0 is an error naming the key, not "derive it" (absent or null is).
  s.head_dim = r.opt_int({"head_dim", "attention_head_dim", "kv_channels"}, 0, 1, kMaxHeads);
  if (r.error) return *r.error;
  if (s.head_dim == 0) {
    if (m.hidden_size % s.heads != 0) {
      return make_error(ErrorCode::kInconsistentConfig,
                        "hidden_size " + std::to_string(m.hidden_size) + " is not divisible by num_attention_heads " +
                            std::to_string(s.heads) + ", and no head_dim is given: fix one of them or add head_dim",
                        r.key_path("num_attention_heads"));
    }
    s.head_dim = m.hidden_size / s.heads;
  }
  s.mla = r.has("kv_lora_rank");
  if (!s.mla && s.heads % s.kv_heads != 0) {
    return make_error(ErrorCode::kInconsistentConfig,
                      "num_attention_heads " + std::to_string(s.heads) + " is not a multiple of num_key_value_heads " +
                          std::to_string(s.kv_heads) + ": each KV head must serve a whole group of query heads",
                      r.key_path("num_key_value_heads"));
  }
  if (!s.mla && s.kv_heads > s.heads) {
    return make_error(ErrorCode::kInconsistentConfig, "num_key_value_heads exceeds num_attention_heads",
                      r.key_path("num_key_value_heads"));
  }
  return s;
}

/// The context length and the checkpoint dtype (transformers 5 renamed torch_dtype -> dtype; wrappers may
/// keep it at the top only).
Result<bool> read_context_and_dtype(Config& c) {
  ModelSpec& m = c.m;
  Reader& r = c.r;
  m.max_position_embeddings =
      r.opt_int({"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length",
                 "n_ctx"},
                0, 0, kMaxPositions);
  if (c.fname == "falcon" && m.max_position_embeddings == 0) m.max_position_embeddings = 2048;
  std::string dt = r.opt_str("torch_dtype");
  if (dt.empty()) dt = r.opt_str("dtype");
  if (dt.empty() && !c.path.empty()) {
    dt = c.top.opt_str("torch_dtype");
    if (dt.empty()) dt = c.top.opt_str("dtype");
  }
  if (r.error) return *r.error;
  if (c.top.error) return *c.top.error;
  if (!dt.empty()) {
    auto d = parse_dtype(dt);
    if (!d.ok() || (d.value() != Dtype::kFp32 && d.value() != Dtype::kFp16 && d.value() != Dtype::kBf16)) {
      m.warnings.push_back({"unknown_torch_dtype", "torch_dtype '" + dt + "' is not fp32/fp16/bf16: assuming bf16"});
    } else {
      m.torch_dtype = d.value();
      m.has_torch_dtype = true;
    }
  }
  return true;
}

/// Biases and norms: the family's defaults, overridden by each family's own keys.
struct Biases {
  bool qkv = false;
  bool o = false;
  bool mlp = false;
  int norms = 2;  ///< hidden-size norms per layer
};

Result<Biases> read_biases_and_norms(Config& c) {
  ModelSpec& m = c.m;
  Reader& r = c.r;
  const Family& fam = *c.fam;
  const std::string& fname = c.fname;
  m.tie_word_embeddings = r.opt_bool("tie_word_embeddings", fam.tie_default);
  if (!c.path.empty() && !r.has("tie_word_embeddings") && c.top.has("tie_word_embeddings")) {
    m.tie_word_embeddings = c.top.opt_bool("tie_word_embeddings", fam.tie_default);
  }
  m.norm = fam.norm;
  if (fname == "starcoder2" && r.opt_str("norm_type", "layer_norm") != "layer_norm") m.norm = NormKind::kRmsNorm;

  Biases b{fam.qkv_bias, fam.o_bias, fam.mlp_bias, fam.norms};
  if (fname == "llama" || fname == "granite" || fname == "mistral" || fname == "generic" || fname == "gemma" ||
      fname == "gemma2" || fname == "gemma3" || fname == "qwen3" || fname == "qwen3_moe" || fname == "phi3" ||
      fname == "deepseek_v2" || fname == "deepseek_v3") {
    b.qkv = b.o = r.opt_bool("attention_bias", false);
    b.mlp = r.opt_bool("mlp_bias", false);
  } else if (fname == "gpt_neox") {
    b.qkv = b.o = r.opt_bool("attention_bias", true);
  } else if (fname == "falcon") {
    b.qkv = b.o = b.mlp = r.opt_bool("bias", false);
  } else if (fname == "opt") {
    b.qkv = b.o = b.mlp = r.opt_bool("enable_bias", true);
  } else if (fname == "starcoder2") {
    b.qkv = b.o = b.mlp = r.opt_bool("use_bias", true);
  } else if (fname == "gpt_oss") {
    b.qkv = b.o = r.opt_bool("attention_bias", true);
  }
  if (fname == "falcon") {
    const bool new_arch = r.opt_bool("new_decoder_architecture", false);
    const bool parallel = r.opt_bool("parallel_attn", true);
    // modeling_falcon.py: new architecture has ln_attn + ln_mlp when num_ln_in_parallel_attn == 2.
    b.norms = new_arch ? static_cast<int>(r.opt_int({"num_ln_in_parallel_attn"}, 2, 1, 2)) : (parallel ? 1 : 2);
  }
  if (r.error) return *r.error;
  return b;
}

/// Learned absolute positions and rotary dims (engines size rope caches from them).
Result<bool> read_positions(Config& c, int64_t head_dim) {
  ModelSpec& m = c.m;
  Reader& r = c.r;
  const std::string& fname = c.fname;
  // GPT-2 n_positions; OPT max_position_embeddings + 2 (OPTLearnedPositionalEmbedding offset).
  if (fname == "gpt2") {
    m.learned_position_rows = r.opt_int({"n_positions", "max_position_embeddings"}, 1024, 1, kMaxPositions);
  } else if (fname == "opt") {
    m.learned_position_rows = m.max_position_embeddings + 2;
    const int64_t proj = r.opt_int({"word_embed_proj_dim"}, m.hidden_size, 1, kMaxHidden);
    if (proj != m.hidden_size) m.embed_proj_dim = proj;
    m.final_norm = r.opt_bool("do_layer_norm_before", true) && !r.opt_bool("_remove_final_layer_norm", false);
  }
  if (fname == "phi") m.lm_head_bias = true;

  // Rotary dims: partial_rotary_factor / rotary_pct / rotary_dim.
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
  return true;
}

/// The attention of every layer: MLA (DeepSeek) or standard.
Result<AttentionSpec> read_attention(Config& c, const Heads& s, const Biases& b) {
  Reader& r = c.r;
  AttentionSpec attn;
  attn.num_heads = s.heads;
  attn.num_kv_heads = s.kv_heads;
  attn.head_dim = s.head_dim;
  attn.v_head_dim = s.head_dim;
  attn.qkv_bias = b.qkv;
  attn.o_bias = b.o;
  attn.qk_norm = c.fam->qk_norm;
  attn.sinks = c.fname == "gpt_oss";
  if (s.mla) {
    attn.mla = true;
    attn.q_lora_rank = r.opt_int({"q_lora_rank"}, 0, 0, kMaxHidden);
    attn.kv_lora_rank = r.req_int({"kv_lora_rank"}, 1, kMaxHidden, "MLA needs the latent width");
    attn.qk_nope_head_dim = r.req_int({"qk_nope_head_dim"}, 0, kMaxHeads, "MLA needs the non-rotary head size");
    attn.qk_rope_head_dim = r.req_int({"qk_rope_head_dim"}, 0, kMaxHeads, "MLA needs the rotary head size");
    attn.v_head_dim = r.req_int({"v_head_dim"}, 1, kMaxHeads, "MLA needs the value head size");
    attn.head_dim = attn.qk_nope_head_dim + attn.qk_rope_head_dim;
    attn.num_kv_heads = s.heads;  // MLA: every query head gets its own decompressed K/V
    attn.qkv_bias = attn.o_bias = false;
    c.m.rotary_dim = attn.qk_rope_head_dim;
    if (r.error) return *r.error;
  }
  if (r.error) return *r.error;
  return attn;
}

/// The dense MLP (every layer's, or the dense layers' of a mixture of experts).
Result<MlpSpec> read_dense_mlp(Config& c, bool bias) {
  Reader& r = c.r;
  const std::string& fname = c.fname;
  const int64_t hidden = c.m.hidden_size;
  MlpSpec dense;
  dense.gated = c.fam->gated;
  dense.bias = bias;
  if (fname == "gpt2") {
    dense.intermediate_size = r.opt_int({"n_inner"}, 4 * hidden, 1, kMaxWidth);
  } else if (fname == "opt") {
    dense.intermediate_size = r.req_int({"ffn_dim", "intermediate_size"}, 1, kMaxWidth, "OPT's MLP width");
  } else if (fname == "falcon") {
    dense.intermediate_size = r.opt_int({"ffn_hidden_size", "intermediate_size"}, 4 * hidden, 1, kMaxWidth);
  } else if (fname == "phi") {
    dense.intermediate_size = r.opt_int({"intermediate_size", "n_inner"}, 4 * hidden, 1, kMaxWidth);
  } else {
    dense.intermediate_size = r.req_int({"intermediate_size", "ffn_dim", "n_inner", "ffn_hidden_size"}, 1, kMaxWidth,
                                        "the MLP width sets most of the parameters");
  }
  if (r.error) return *r.error;
  return dense;
}

/// A mixture-of-experts MLP without shared experts.
MlpSpec moe_mlp(const Family& fam, int64_t experts, int64_t topk, int64_t width) {
  MlpSpec p;
  p.gated = fam.gated;
  p.bias = false;
  p.intermediate_size = 0;
  p.num_experts = experts;
  p.experts_per_token = topk;
  p.expert_intermediate_size = width;
  return p;
}

/// Qwen2-MoE / Qwen3-MoE: num_experts x moe_intermediate_size every decoder_sparse_step, mlp_only_layers dense.
Result<bool> qwen_moe_layers(Config& c, std::vector<MlpSpec>& mlps) {
  Reader& r = c.r;
  const int64_t e = r.req_int({"num_experts"}, 1, kMaxExperts, "MoE needs its expert count");
  const int64_t k = r.req_int({"num_experts_per_tok"}, 1, kMaxExperts, "MoE needs its top-k");
  const int64_t w = r.req_int({"moe_intermediate_size"}, 1, kMaxWidth, "MoE needs the expert width");
  const int64_t step = r.opt_int({"decoder_sparse_step"}, 1, 1, kMaxLayers);
  const int64_t shared = c.fname == "qwen2_moe" ? r.opt_int({"shared_expert_intermediate_size"}, 0, 0, kMaxWidth) : 0;
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
  for (size_t i = 0; i < mlps.size(); ++i) {
    // modeling_qwen2_moe.py: sparse when (layer_idx not in mlp_only_layers) and
    // num_experts > 0 and (layer_idx + 1) % decoder_sparse_step == 0.
    const int64_t layer = static_cast<int64_t>(i);
    const bool only = std::find(mlp_only.begin(), mlp_only.end(), layer) != mlp_only.end();
    if (only || (layer + 1) % step != 0) continue;
    MlpSpec p = moe_mlp(*c.fam, e, k, w);
    if (shared > 0) {
      p.num_shared_experts = 1;
      p.shared_intermediate_size = shared;
      p.shared_expert_gate = true;
    }
    mlps[i] = p;
  }
  return true;
}

/// DeepSeek-V2/V3: dense for the first first_k_dense_replace layers, then MoE every moe_layer_freq.
Result<bool> deepseek_moe_layers(Config& c, std::vector<MlpSpec>& mlps) {
  Reader& r = c.r;
  const int64_t e = r.opt_int({"n_routed_experts"}, 0, 0, kMaxExperts);
  if (e == 0) return true;  // a dense DeepSeek-V2-style config
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
  for (size_t i = 0; i < mlps.size(); ++i) {
    // modeling_deepseek.py: MoE when layer_idx >= first_k_dense_replace and layer_idx % moe_layer_freq == 0.
    const int64_t layer = static_cast<int64_t>(i);
    if (layer < first_dense || layer % freq != 0) continue;
    MlpSpec p = moe_mlp(*c.fam, e, k, w);
    p.num_shared_experts = shared;
    p.shared_intermediate_size = w;
    p.router_score_bias = noaux;
    mlps[i] = p;
  }
  if (c.fname == "deepseek_v3") c.m.mtp_layers = r.opt_int({"num_nextn_predict_layers"}, 0, 0, 16);
  return true;
}

/// Every layer's MLP, by the family's rule.
Result<std::vector<MlpSpec>> read_mlp_layers(Config& c, const MlpSpec& dense, int64_t layers) {
  Reader& r = c.r;
  std::vector<MlpSpec> mlps(static_cast<size_t>(layers), dense);
  Result<bool> done = true;
  switch (c.fam->mlp) {
    case MlpRule::kDense: {
      // Generic MoE keys on an unknown family: num_local_experts / num_experts.
      if (c.fname == "generic") {
        const int64_t e = r.opt_int({"num_local_experts", "num_experts", "n_routed_experts"}, 0, 0, kMaxExperts);
        if (e > 0) {
          const int64_t k = r.req_int({"num_experts_per_tok", "experts_per_token"}, 1, e, "MoE needs its top-k");
          const int64_t w = r.opt_int({"moe_intermediate_size"}, dense.intermediate_size, 1, kMaxWidth);
          std::fill(mlps.begin(), mlps.end(), moe_mlp(*c.fam, e, k, w));
        }
      }
      break;
    }
    case MlpRule::kMixtral:
    case MlpRule::kGptOss: {
      // Every layer MoE (gpt-oss: with biases and a biased router).
      const int64_t e = r.req_int({"num_local_experts", "num_experts"}, 1, kMaxExperts, "MoE needs its expert count");
      const int64_t k = r.req_int({"num_experts_per_tok", "experts_per_token"}, 1, kMaxExperts, "MoE needs its top-k");
      if (r.error) return *r.error;
      if (k > e) {
        return make_error(ErrorCode::kInconsistentConfig, "num_experts_per_tok exceeds the number of experts",
                          r.key_path("num_experts_per_tok"));
      }
      MlpSpec p = moe_mlp(*c.fam, e, k, dense.intermediate_size);
      if (c.fam->mlp == MlpRule::kGptOss) {
        p.bias = true;
        p.router_bias = true;
      }
      std::fill(mlps.begin(), mlps.end(), p);
      break;
    }
    case MlpRule::kQwenMoe: done = qwen_moe_layers(c, mlps); break;
    case MlpRule::kDeepseek: done = deepseek_moe_layers(c, mlps); break;
  }
  if (!done.ok()) return done.error();
  if (r.error) return *r.error;
  return mlps;
}

/// Refuses sizes whose products describe more than kMaxParameters, before any tensor is built.
Result<bool> check_model_size(const ModelSpec& m, const Heads& s, const MlpSpec& dense,
                              const std::vector<MlpSpec>& mlps, const std::string& path) {
  const double h = static_cast<double>(m.hidden_size);
  double per_layer = 4.0 * h * static_cast<double>(s.heads * s.head_dim) + 3.0 * h * static_cast<double>(dense.intermediate_size);
  const MlpSpec& p0 = mlps.back();
  if (p0.is_moe()) per_layer += 3.0 * h * static_cast<double>(p0.expert_intermediate_size) * static_cast<double>(p0.num_experts);
  const double total = per_layer * static_cast<double>(s.layers) + 2.0 * h * static_cast<double>(m.vocab_size);
  if (!(total < kMaxParameters)) {
    return make_error(ErrorCode::kInvalidValue,
                      "these sizes describe a model of about " + json_number_text(total) +
                          " parameters (over 1e15): check hidden_size, num_hidden_layers, intermediate_size and the "
                          "expert counts",
                      path);
  }
  return true;
}

/// The layers: attention (with its sliding window), MLP and norms each.
void build_layers(ModelSpec& m, const AttentionSpec& attn, const std::vector<MlpSpec>& mlps,
                  const std::vector<int64_t>& windows, int norms) {
  // A window that covers the whole context changes nothing (Phi-3-mini-128k: 262144 > 131072): those
  // layers attend to (and cache) everything, so they are sized as full attention.
  bool window_covers_context = false;
  for (int64_t w : windows) {
    if (w > 0 && m.max_position_embeddings > 0 && w >= m.max_position_embeddings) window_covers_context = true;
  }
  m.layers.resize(mlps.size());
  for (size_t i = 0; i < mlps.size(); ++i) {
    LayerSpec& l = m.layers[i];
    l.attn = attn;
    const int64_t w = windows[i];
    l.attn.sliding_window = (w > 0 && m.max_position_embeddings > 0 && w >= m.max_position_embeddings) ? 0 : w;
    l.mlp = mlps[i];
    l.norms = norms;
  }
  if (window_covers_context) {
    m.warnings.push_back({"sliding_window_covers_context",
                          "sliding_window is at least max_position_embeddings (" +
                              std::to_string(m.max_position_embeddings) +
                              "): those layers see the whole context and are sized as full attention"});
  }
}

/// The quantisation config (the wrapper's top level may carry it).
Result<bool> read_quantization(Config& c) {
  const json* q = c.r.find({"quantization_config", "compression_config"});
  std::string qpath = c.r.key_path("quantization_config");
  if (!q && !c.path.empty()) {
    q = c.top.find({"quantization_config", "compression_config"});
    qpath = "/quantization_config";
  }
  if (q) {
    parse_quantization(*q, qpath, c.m, c.top);
    if (c.top.error) return *c.top.error;
  }
  return true;
}

/// The warning that names the nested config's keys left to the config class's defaults.
void warn_class_defaults(const Reader& r, const std::string& path, ModelSpec& m) {
  if (r.defaulted.empty()) return;
  std::string list;
  for (const std::string& d : r.defaulted) {
    if (list.find(d) == std::string::npos) list += (list.empty() ? "" : ", ") + d;
  }
  m.warnings.push_back({"text_config_defaults", path.substr(1) + " leaves keys to the transformers config-class defaults, as " +
                                                    "transformers saves nested configs: " + list});
}

Result<ModelSpec> build(const json& root) {
  if (!root.is_object()) {
    return make_error(ErrorCode::kNotAnObject,
                      std::string("config.json must be a JSON object ({...}), not ") + describe(root));
  }
  // Encoder-only models (BERT, XLM-RoBERTa, ModernBERT, ...) have their own reader (model/encoder.cpp); the page's
  // lite module leaves encoders to the full one (core/CMakeLists.txt: the first load's size).
#if LLMSIZER_LITE
  // Vision-language wrappers likewise (model/vision.cpp is not in the lite source list).
  const JsonValue* vc = json_member(root, "vision_config");
  if (is_encoder_config(root) || (vc && vc->is_object())) {
    return make_error(ErrorCode::kNeedsFullModule,
                      "encoder and vision-language models need the full module (the page loads it on demand)");
  }
#else
  if (is_encoder_config(root)) return parse_encoder_config(root);
#endif
  ModelSpec m;
  Reader top(root, "");
  const std::string wrapper_type = top.opt_str("model_type");
  std::string path;
  auto text = find_language_model(root, &path);
  if (!text.ok()) return text.error();
  m.text_config_path = path;
  Reader r(*text.value(), path);
  Config c{top, r, path, nullptr, {}, m};

  if (auto f = read_family(c, wrapper_type); !f.ok()) return f.error();
  auto heads = read_sizes(c);
  if (!heads.ok()) return heads.error();
  if (auto d = read_context_and_dtype(c); !d.ok()) return d.error();
  auto biases = read_biases_and_norms(c);
  if (!biases.ok()) return biases.error();
  if (auto p = read_positions(c, heads.value().head_dim); !p.ok()) return p.error();
  auto attn = read_attention(c, heads.value(), biases.value());
  if (!attn.ok()) return attn.error();
  auto dense = read_dense_mlp(c, biases.value().mlp);
  if (!dense.ok()) return dense.error();
  auto mlps = read_mlp_layers(c, dense.value(), heads.value().layers);
  if (!mlps.ok()) return mlps.error();
  const std::vector<int64_t> windows = sliding_windows(r, *c.fam, c.fname, heads.value().layers);
  if (r.error) return *r.error;
  if (auto s = check_model_size(m, heads.value(), dense.value(), mlps.value(), path); !s.ok()) return s.error();
  build_layers(m, attn.value(), mlps.value(), windows, biases.value().norms);
  if (auto q = read_quantization(c); !q.ok()) return q.error();
  warn_class_defaults(r, path, m);
#if !LLMSIZER_LITE
  read_vision(root, m);
#endif
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
