// Encoder-only config.json -> ModelSpec (kind kEncoder).
//
// Shapes follow the modelling files, tensor by tensor (what model.named_parameters() yields):
//  - transformers models/bert/modeling_bert.py (BertEmbeddings: word, position, token_type, LayerNorm; BertLayer:
//    query/key/value/attention.output.dense with biases + LayerNorm, intermediate.dense, output.dense + LayerNorm;
//    BertPooler dense h x h + bias), models/roberta and models/xlm_roberta (the same layers; positions offset by
//    padding_idx + 1 = 2, so 514 rows serve 512 tokens; RobertaClassificationHead dense + out_proj, no pooler);
//  - models/mpnet/modeling_mpnet.py (RoBERTa-style positions, no token types, BERT-shaped layers, one shared
//    relative_attention_bias of relative_attention_num_buckets x heads);
//  - models/distilbert/modeling_distilbert.py (no token types; q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn
//    lin1/lin2, output_layer_norm; pre_classifier + classifier);
//  - models/modernbert/modeling_modernbert.py (tok_embeddings + norm; Wqkv, Wo, GLU Wi h -> 2i, Wo; attn_norm is
//    Identity on layer 0; final_norm; LayerNorm bias = norm_bias; head dense (classifier_bias) + norm);
//  - nomic-ai/nomic-bert-2048 modeling_hf_nomic_bert.py (word + token_type embeddings, emb_ln; Wqkv, out_proj with
//    qkv_proj_bias; SwiGLU fc11/fc12/fc2 with mlp_fc1_bias/mlp_fc2_bias; norm1/norm2 post-norm; rotary);
//  - models/deberta_v2/modeling_deberta_v2.py (word embeddings (+ positions when position_biased_input, + token
//    types, + embed_proj when embedding_size != hidden) + LayerNorm; rel_embeddings (2 x position_buckets, or
//    2 x max_relative_positions rows) + LayerNorm; optional ConvLayer; query_proj/key_proj/value_proj with biases
//    (+ pos_key_proj / pos_query_proj when not share_att_key); ContextPooler + classifier).
// Published totals checked in tests/encoder_test.cpp: bert-base-uncased (BertModel) 109,482,240;
// xlm-roberta-base (XLMRobertaModel) 278,043,648; distilbert-base-uncased 66,362,880; all-MiniLM-L6-v2 22,713,216;
// ModernBERT-base (ModernBertForMaskedLM) 149,655,232; all-mpnet-base-v2 109,486,464.
#include "model/encoder.h"

#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>

#include "json/json.h"
#include "json/util.h"

namespace llmsizer {

namespace {

using json = JsonValue;

constexpr int64_t kMaxHidden = 1 << 20;
constexpr int64_t kMaxLayers = 10000;
constexpr int64_t kMaxHeads = 1 << 16;
constexpr int64_t kMaxWidth = 1 << 24;
constexpr int64_t kMaxVocab = 1 << 24;
constexpr int64_t kMaxPositions = int64_t{1} << 32;
constexpr int64_t kMaxLabels = 1 << 20;
constexpr double kMaxParameters = 1e15;  ///< as config.cpp: beyond this a config is a typo, not a model

enum class Fam { kBert, kRoberta, kDistil, kModern, kNomic, kDeberta, kMpnet };

struct KnownType {
  const char* model_type;
  Fam fam;
};
constexpr KnownType kTypes[] = {
    {"bert", Fam::kBert},          {"roberta", Fam::kRoberta},     {"xlm-roberta", Fam::kRoberta},
    {"camembert", Fam::kRoberta},  {"distilbert", Fam::kDistil},   {"modernbert", Fam::kModern},
    {"nomic_bert", Fam::kNomic},   {"deberta-v2", Fam::kDeberta},  {"mpnet", Fam::kMpnet},
};

std::optional<Fam> family_of(const std::string& model_type) {
  for (const KnownType& t : kTypes) {
    if (model_type == t.model_type) return t.fam;
  }
  return std::nullopt;
}

/// Typed reads with ranges; the first failure is kept, with the key's JSON pointer.
struct Keys {
  const json& o;
  std::optional<Error> error;

  const json* find(std::initializer_list<const char*> keys, const char** which) const {
    for (const char* k : keys) {
      const json* v = json_member(o, k);
      if (v && !v->is_null()) {
        *which = k;
        return v;
      }
    }
    return nullptr;
  }
  void fail(ErrorCode code, const std::string& msg, const std::string& key) {
    if (!error) error = make_error(code, msg, "/" + key);
  }
  /// def < 0: required.
  int64_t num(std::initializer_list<const char*> keys, int64_t def, int64_t lo, int64_t hi) {
    const char* which = *keys.begin();
    const json* v = find(keys, &which);
    if (!v) {
      if (def < 0) {
        fail(ErrorCode::kMissingKey,
             std::string("config.json has no '") + which + "': an encoder's size needs it", which);
        return lo;
      }
      return def;
    }
    const double d = v->is_number() ? v->get<double>() : NAN;
    if (!std::isfinite(d) || d != std::floor(d)) {
      fail(ErrorCode::kInvalidValue, std::string("'") + which + "' must be a whole number, not " + describe(*v), which);
      return lo;
    }
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      fail(ErrorCode::kInvalidValue,
           std::string("'") + which + "' = " + json_number_text(d) + " is out of range (" + std::to_string(lo) + ".." +
               std::to_string(hi) + "): fix the value in config.json",
           which);
      return lo;
    }
    return static_cast<int64_t>(d);
  }
  bool flag(const char* key, bool def) {
    const json* v = json_member(o, key);
    if (!v || v->is_null()) return def;
    if (!v->is_boolean()) {
      fail(ErrorCode::kInvalidValue, std::string("'") + key + "' must be true or false, not " + describe(*v), key);
      return def;
    }
    return v->get<bool>();
  }
  std::string str(const char* key, const std::string& def) {
    const json* v = json_member(o, key);
    if (!v || v->is_null()) return def;
    if (!v->is_string()) {
      fail(ErrorCode::kInvalidValue, std::string("'") + key + "' must be a string, not " + describe(*v), key);
      return def;
    }
    return v->get<std::string>();
  }
};

/// The task head the architecture name implies ("XLMRobertaForSequenceClassification" -> sequence_classification).
std::string head_of(const std::string& arch) {
  struct Suffix {
    const char* suffix;
    const char* head;
  };
  static constexpr Suffix kSuffixes[] = {
      {"ForMaskedLM", "masked_lm"},
      {"ForSequenceClassification", "sequence_classification"},
      {"ForTokenClassification", "token_classification"},
      {"ForQuestionAnswering", "question_answering"},
      {"ForPreTraining", "pretraining"},
      {"ForMultipleChoice", "multiple_choice"},
  };
  for (const Suffix& s : kSuffixes) {
    const std::string suf = s.suffix;
    if (arch.size() > suf.size() && arch.compare(arch.size() - suf.size(), suf.size(), suf) == 0) return s.head;
  }
  return "model";
}

/// The sizes every family has, whatever its key names.
struct Sizes {
  int64_t hidden = 0, layers = 0, heads = 0, inter = 0, vocab = 0, positions = 0;
};

Sizes read_sizes(Keys& k, Fam fam) {
  Sizes s;
  const bool distil = fam == Fam::kDistil;
  const bool nomic = fam == Fam::kNomic;
  s.hidden = k.num(distil ? std::initializer_list<const char*>{"dim", "hidden_size"}
                          : std::initializer_list<const char*>{"hidden_size", "n_embd"},
                   -1, 8, kMaxHidden);
  s.layers = k.num({"num_hidden_layers", "n_layers", "n_layer"}, -1, 1, kMaxLayers);
  s.heads = k.num({"num_attention_heads", "n_heads", "n_head"}, -1, 1, kMaxHeads);
  s.inter = k.num(distil ? std::initializer_list<const char*>{"hidden_dim", "intermediate_size"}
                         : std::initializer_list<const char*>{"intermediate_size", "n_inner"},
                  nomic ? 4 * s.hidden : -1, 1, kMaxWidth);
  s.vocab = k.num({"vocab_size"}, -1, 1, kMaxVocab);
  const int64_t def_pos = fam == Fam::kModern ? 8192 : nomic ? 2048 : 512;
  s.positions = k.num({"max_position_embeddings", "n_positions"}, def_pos, 1, kMaxPositions);
  return s;
}

/// num_labels: the size of id2label when given (transformers PretrainedConfig), else num_labels, else 2.
int64_t read_labels(Keys& k) {
  if (const json* m = json_member(k.o, "id2label"); m && m->is_object() && !m->empty()) {
    return static_cast<int64_t>(m->size());
  }
  return k.num({"num_labels"}, 2, 1, kMaxLabels);
}

struct Extras {
  EncoderSpec& e;
  void add(TensorRole role, int32_t layer, int64_t rows, int64_t cols, bool matrix, const char* name) {
    if (rows > 0 && cols > 0) e.extras.push_back({static_cast<int>(role), layer, rows, cols, matrix, name});
  }
  void linear(int64_t out, int64_t in, bool bias, const char* name, const char* bias_name) {
    add(TensorRole::kHead, -2, out, in, true, name);
    if (bias) add(TensorRole::kHead, -2, out, 1, false, bias_name);
  }
  void norm(TensorRole role, int32_t layer, int64_t width, bool bias, const char* name) {
    add(role, layer, width, bias ? 2 : 1, false, name);
  }
};

/// The pooler and task head of each family, as the architecture's modelling class builds them.
void add_head(Extras& x, Fam fam, const std::string& head, int64_t h, int64_t vocab, int64_t labels, Keys& k,
              const ModelSpec& m) {
  const bool norm_bias = m.norm_bias;
  // BertModel / RobertaModel build their pooler by default (add_pooling_layer=True); the task classes other than
  // BERT's sequence classification / pre-training / multiple choice build the encoder without it.
  const bool pooler = (fam == Fam::kBert &&
                       (head == "model" || head == "sequence_classification" || head == "pretraining" ||
                        head == "multiple_choice")) ||
                      ((fam == Fam::kRoberta || fam == Fam::kMpnet) && head == "model");
  if (pooler) {
    x.linear(h, h, true, "pooler.dense", "pooler.dense.bias");
    x.e.has_pooler = true;
  }
  if (head == "masked_lm" || head == "pretraining") {
    // The MLM transform (dense + LayerNorm) and the decoder's bias; the decoder matrix is tied to the word
    // embeddings (ModernBERT: dense bias = classifier_bias, decoder bias = decoder_bias).
    const bool modern = fam == Fam::kModern;
    x.linear(h, h, modern ? k.flag("classifier_bias", false) : true, "mlm.dense", "mlm.dense.bias");
    x.norm(TensorRole::kHead, -2, h, modern ? norm_bias : true, "mlm.norm");
    if (!modern || k.flag("decoder_bias", true)) x.add(TensorRole::kHead, -2, vocab, 1, false, "mlm.decoder.bias");
    if (head == "pretraining") x.linear(2, h, true, "nsp", "nsp.bias");
  } else if (head == "sequence_classification" || head == "token_classification" ||
             head == "multiple_choice") {
    const bool seq = head == "sequence_classification";
    const int64_t out = head == "multiple_choice" ? 1 : labels;
    if (seq && (fam == Fam::kRoberta || fam == Fam::kMpnet)) {
      x.linear(h, h, true, "classifier.dense", "classifier.dense.bias");  // RobertaClassificationHead
    } else if (seq && fam == Fam::kDistil) {
      x.linear(h, h, true, "pre_classifier", "pre_classifier.bias");
    } else if (seq && fam == Fam::kDeberta) {
      const int64_t ph = k.num({"pooler_hidden_size"}, h, 1, kMaxHidden);  // ContextPooler
      x.linear(ph, h, true, "pooler.dense", "pooler.dense.bias");
      x.e.has_pooler = true;
      x.linear(out, ph, true, "classifier", "classifier.bias");
      return;
    } else if (fam == Fam::kModern) {
      x.linear(h, h, k.flag("classifier_bias", false), "head.dense", "head.dense.bias");
      x.norm(TensorRole::kHead, -2, h, norm_bias, "head.norm");
    }
    x.linear(out, h, true, "classifier", "classifier.bias");
  } else if (head == "question_answering") {
    x.linear(2, h, true, "qa_outputs", "qa_outputs.bias");
  }
}

/// DeBERTa-v2/v3: embeddings and the relative-position table (see the file comment).
void deberta_extras(Extras& x, Keys& k, const Sizes& s, ModelSpec& m) {
  const int64_t h = s.hidden;
  const int64_t emb = k.num({"embedding_size"}, h, 1, kMaxHidden);
  x.add(TensorRole::kEmbedding, -1, s.vocab, emb, false, "embed_tokens");
  if (k.flag("position_biased_input", true)) x.add(TensorRole::kPosition, -1, s.positions, emb, false, "position_embeddings");
  const int64_t types = k.num({"type_vocab_size"}, 0, 0, kMaxVocab);
  x.add(TensorRole::kEmbedding, -1, types, emb, false, "token_type_embeddings");
  if (emb != h) x.add(TensorRole::kEmbedding, -1, h, emb, true, "embed_proj");
  x.norm(TensorRole::kNorm, -1, h, true, "embeddings.LayerNorm");
  if (k.flag("relative_attention", false)) {
    m.encoder.positions = "relative";
    const int64_t buckets = k.num({"position_buckets"}, 0, -1, kMaxPositions);  // -1 (the default): none
    int64_t rel = k.num({"max_relative_positions"}, 0, -1, kMaxPositions);     // -1: max_position_embeddings
    if (rel < 1) rel = s.positions;
    const int64_t rows = buckets > 0 ? 2 * buckets : 2 * rel;
    x.add(TensorRole::kPosition, -1, rows, h, false, "rel_embeddings");
    if (k.str("norm_rel_ebd", "none").find("layer_norm") != std::string::npos) {
      x.norm(TensorRole::kNorm, -1, h, true, "rel_embeddings.LayerNorm");
    }
  }
  const int64_t conv = k.num({"conv_kernel_size"}, 0, 0, 64);
  if (conv > 0) {
    const int64_t groups = k.num({"conv_groups"}, 1, 1, kMaxHidden);
    x.add(TensorRole::kAttention, -1, h, h / groups * conv, true, "conv");
    x.add(TensorRole::kAttention, -1, h, 1, false, "conv.bias");
    x.norm(TensorRole::kNorm, -1, h, true, "conv.LayerNorm");
  }
}

/// Per-family layer traits.
struct LayerShape {
  bool qkv_bias = true, o_bias = true, mlp_bias = true, gated = false;
  int norms = 2;
};

LayerShape layer_shape(Fam fam, Keys& k) {
  LayerShape l;
  if (fam == Fam::kModern) {
    l.qkv_bias = l.o_bias = k.flag("attention_bias", false);
    l.mlp_bias = k.flag("mlp_bias", false);
    l.gated = true;  // Wi: hidden -> 2 x intermediate, GLU (ModernBertMLP)
  } else if (fam == Fam::kNomic) {
    l.qkv_bias = l.o_bias = k.flag("qkv_proj_bias", true);
    l.mlp_bias = k.flag("mlp_fc1_bias", true);
    const std::string act = k.str("activation_function", "gelu");
    l.gated = act == "swiglu" || act == "geglu" || act == "glu";
  }
  return l;
}

/// torch_dtype (transformers 5: dtype); absent: fp32, as transformers loads such a checkpoint.
void read_dtype(Keys& k, ModelSpec& m) {
  const std::string dt = k.str("torch_dtype", k.str("dtype", ""));
  m.torch_dtype = Dtype::kFp32;
  m.has_torch_dtype = true;
  if (dt.empty()) return;
  auto d = parse_dtype(dt);
  if (d.ok() && (d.value() == Dtype::kFp32 || d.value() == Dtype::kFp16 || d.value() == Dtype::kBf16)) {
    m.torch_dtype = d.value();
  }
}

Result<ModelSpec> build_encoder(const json& root, Fam fam) {
  Keys k{root, std::nullopt};
  ModelSpec m;
  m.kind = ModelKind::kEncoder;
  m.model_type = k.str("model_type", "");
  const json* a = json_member(root, "architectures");
  const json* a0 = a && a->is_array() ? json_element(*a, 0) : nullptr;
  m.architecture = a0 && a0->is_string() ? a0->get<std::string>() : m.model_type;
  m.family = m.model_type;
  m.norm = NormKind::kLayerNorm;
  m.final_norm = fam == Fam::kModern;  // post-norm encoders end on the last layer's LayerNorm
  m.tie_word_embeddings = true;        // no LM head: MLM decoders are tied to the word embeddings
  m.encoder.head = head_of(m.architecture);
  const Sizes s = read_sizes(k, fam);
  if (k.error) return *k.error;
  if (s.hidden % s.heads != 0) {
    return make_error(ErrorCode::kInconsistentConfig,
                      "hidden_size " + std::to_string(s.hidden) + " is not divisible by num_attention_heads " +
                          std::to_string(s.heads),
                      "/num_attention_heads");
  }
  m.hidden_size = s.hidden;
  m.vocab_size = s.vocab;
  if (fam == Fam::kNomic) {
    // NomicBertEmbeddings pads the vocabulary to pad_vocab_size_multiple rows.
    const int64_t pad = k.num({"pad_vocab_size_multiple"}, 1, 1, 1 << 16);
    m.vocab_size = (s.vocab + pad - 1) / pad * pad;
  }
  m.max_position_embeddings = s.positions;
  if (fam == Fam::kModern) m.norm_bias = k.flag("norm_bias", false);
  read_dtype(k, m);
  if (k.error) return *k.error;

  Extras x{m.encoder};
  const int64_t h = s.hidden;
  const int64_t head_dim = h / s.heads;
  if (fam == Fam::kDeberta) {
    deberta_extras(x, k, s, m);
    m.encoder.max_sequence = s.positions;
  } else {
    x.add(TensorRole::kEmbedding, -1, m.vocab_size, h, false, "embed_tokens");
    if (fam == Fam::kModern || fam == Fam::kNomic) {
      m.encoder.positions = "rotary";
      m.rotary_dim = head_dim;  // for engines' rotary caches (NomicBERT's rotary_emb_fraction is 1.0 in practice)
      m.encoder.max_sequence = s.positions;
    } else {
      // RoBERTa-style: position ids start at padding_idx + 1 (create_position_ids_from_input_ids).
      const bool offset = fam == Fam::kRoberta || fam == Fam::kMpnet;
      m.encoder.position_offset = offset ? k.num({"pad_token_id"}, 1, 0, 1 << 20) + 1 : 0;
      if (m.encoder.position_offset >= s.positions) m.encoder.position_offset = 0;
      m.encoder.max_sequence = s.positions - m.encoder.position_offset;
      x.add(TensorRole::kPosition, -1, s.positions, h, false, "position_embeddings");
    }
    const int64_t types = fam == Fam::kDistil || fam == Fam::kModern || fam == Fam::kMpnet ? 0
                          : k.num({"type_vocab_size"}, fam == Fam::kRoberta ? 1 : 2, 0, kMaxVocab);
    x.add(TensorRole::kEmbedding, -1, types, h, false, "token_type_embeddings");
    x.norm(TensorRole::kNorm, -1, h, m.norm_bias, "embeddings.norm");
  }
  if (fam == Fam::kMpnet) {
    // MPNetEncoder.relative_attention_bias: one Embedding(relative_attention_num_buckets, heads) shared by all layers.
    x.add(TensorRole::kAttention, -1, k.num({"relative_attention_num_buckets"}, 32, 1, kMaxPositions), s.heads, false,
          "relative_attention_bias");
  }
  if (k.error) return *k.error;

  const LayerShape ls = layer_shape(fam, k);
  LayerSpec layer;
  layer.attn.num_heads = layer.attn.num_kv_heads = s.heads;
  layer.attn.head_dim = layer.attn.v_head_dim = head_dim;
  layer.attn.qkv_bias = ls.qkv_bias;
  layer.attn.o_bias = ls.o_bias;
  layer.mlp.intermediate_size = s.inter;
  layer.mlp.gated = ls.gated;
  layer.mlp.bias = ls.mlp_bias;
  layer.norms = ls.norms;
  m.layers.assign(static_cast<size_t>(s.layers), layer);
  if (fam == Fam::kModern) {
    m.layers.front().norms = 1;  // layer 0's attn_norm is nn.Identity
    // Every global_attn_every_n_layers-th layer (from 0) attends globally; the others to a local_attention window
    // (ModernBertAttention: local_attention = (-1, -1) when layer_id % global_attn_every_n_layers == 0).
    const int64_t every = k.num({"global_attn_every_n_layers"}, 3, 1, kMaxLayers);
    const int64_t window = k.num({"local_attention"}, 128, 0, kMaxPositions);
    for (int64_t i = 0; i < s.layers; ++i) {
      if (i % every != 0 && window > 0 && window < s.positions) m.layers[static_cast<size_t>(i)].attn.sliding_window = window;
    }
  }
  if (fam == Fam::kNomic && ls.mlp_bias != k.flag("mlp_fc2_bias", true)) {
    m.warnings.push_back({"encoder_bias_approximation",
                          "mlp_fc1_bias and mlp_fc2_bias differ: both MLP biases are counted as mlp_fc1_bias says"});
  }
  if (fam == Fam::kDeberta && !k.flag("share_att_key", false) && k.flag("relative_attention", false)) {
    // Separate position projections per layer (DisentangledSelfAttention pos_key_proj / pos_query_proj).
    const json* types = json_member(root, "pos_att_type");
    int64_t n = 0;
    if (types && types->is_array()) {
      for (const json& t : *types) n += t.is_string() && (t.get<std::string>() == "c2p" || t.get<std::string>() == "p2c");
    }
    for (int64_t i = 0; i < n * s.layers; ++i) {
      x.add(TensorRole::kAttention, -1, h, h, true, "pos_proj");
      x.add(TensorRole::kAttention, -1, h, 1, false, "pos_proj.bias");
    }
  }
  m.encoder.num_labels = m.encoder.head == "sequence_classification" || m.encoder.head == "token_classification"
                             ? read_labels(k)
                             : 0;
  add_head(x, fam, m.encoder.head, h, m.vocab_size, m.encoder.num_labels, k, m);
  if (k.error) return *k.error;
  if (!(static_cast<double>(count_parameters(m).total) < kMaxParameters)) {
    return make_error(ErrorCode::kInvalidValue,
                      "these sizes describe an encoder of over 1e15 parameters: check hidden_size, num_hidden_layers, "
                      "intermediate_size, vocab_size and max_position_embeddings",
                      "/hidden_size");
  }
  if (fam == Fam::kNomic) {
    m.warnings.push_back({"encoder_pooler_not_counted",
                          "NomicBERT: no pooler is counted (the embedding checkpoints pool the token states with "
                          "sentence-transformers' mean pooling)"});
  }
  return m;
}

}  // namespace

bool is_encoder_config(const JsonValue& root) {
  const json* t = json_member(root, "model_type");
  return t && t->is_string() && family_of(t->get<std::string>()).has_value();
}

Result<ModelSpec> parse_encoder_config(const JsonValue& root) {
  const json* t = json_member(root, "model_type");
  const auto fam = t && t->is_string() ? family_of(t->get<std::string>()) : std::nullopt;
  if (!fam) {
    return make_error(ErrorCode::kUnsupportedArchitecture, "not an encoder model_type llmsizer knows", "/model_type");
  }
  return build_encoder(root, *fam);
}

}  // namespace llmsizer
