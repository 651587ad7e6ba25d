// The one normalised model description every formula uses.
//
// Architecture differences (which norms, biases, fused projections, MoE layout, MLA, sliding windows)
// are resolved here once, when a config.json is parsed (config.cpp). After that, formulas walk
// `layers` and `weight_tensors()` and never ask which model_type they are looking at.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/precision.h"

namespace llmsizer {

/// One warning shown next to a result (never an error: the estimate still stands).
struct Warning {
  std::string code;     ///< stable snake_case id ("generic_architecture", "context_beyond_max_position", ...)
  std::string message;  ///< plain words
};

enum class NormKind { kRmsNorm, kLayerNorm };

/// The attention block of one decoder layer.
struct AttentionSpec {
  int64_t num_heads = 0;        ///< query heads
  int64_t num_kv_heads = 0;     ///< key/value heads (== num_heads for MHA, 1 for MQA)
  int64_t head_dim = 0;         ///< q/k head size
  int64_t v_head_dim = 0;       ///< v head size (== head_dim except MLA)
  int64_t sliding_window = 0;   ///< 0 = full attention; else tokens this layer attends to (and caches)
  bool qkv_bias = false;        ///< biases on q, k, v projections
  bool o_bias = false;          ///< bias on the output projection
  bool qk_norm = false;         ///< per-head RMSNorm on q and k (Qwen3, Gemma 3, OLMo 2): 2 x head_dim
  bool sinks = false;           ///< learned per-head attention sinks (gpt-oss): num_heads parameters
  // Multi-head latent attention (DeepSeek-V2/V3, arXiv:2405.04434 §2.1).
  bool mla = false;
  int64_t q_lora_rank = 0;      ///< 0 = q projected directly from hidden (V2-Lite)
  int64_t kv_lora_rank = 0;     ///< compressed KV latent width: what MLA caches (+ rope part)
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
};

/// The feed-forward block of one decoder layer (dense, or a mixture of experts).
struct MlpSpec {
  int64_t intermediate_size = 0;  ///< dense MLP width (0 when the layer is MoE-only)
  bool gated = true;              ///< gate+up+down (SwiGLU/GeGLU) vs up+down (GELU MLP)
  bool bias = false;              ///< biases on the MLP projections (dense and experts)
  // Mixture of experts (all 0 for a dense layer).
  int64_t num_experts = 0;              ///< routed experts
  int64_t experts_per_token = 0;        ///< top-k
  int64_t expert_intermediate_size = 0; ///< width of one routed expert
  int64_t num_shared_experts = 0;       ///< always-on experts (DeepSeek n_shared_experts, Qwen2-MoE: 1)
  int64_t shared_intermediate_size = 0; ///< width of one shared expert
  bool shared_expert_gate = false;      ///< Qwen2-MoE's sigmoid gate (hidden -> 1) on the shared expert
  bool router_bias = false;             ///< bias on the router (gpt-oss)
  bool router_score_bias = false;       ///< DeepSeek-V3 e_score_correction_bias (num_experts)
  bool is_moe() const { return num_experts > 0; }
};

struct LayerSpec {
  AttentionSpec attn;
  MlpSpec mlp;
  int norms = 2;  ///< hidden-size norms in the layer (2: pre-attn + pre-MLP; Gemma 2/3: 4; parallel blocks: 1)
};

/// A vision tower and its projector into the language model (multimodal wrappers), read from vision_config per
/// family (model/vision.cpp): counted separately, and what one image costs in tokens and in the tower's forward.
struct VisionSpec {
  int64_t parameters = 0;            ///< tower + projector; 0 = no vision tower
  int64_t tower_parameters = 0;      ///< the vision encoder (ViT)
  int64_t projector_parameters = 0;  ///< into the language model (Qwen's patch merger counts here)
#if !LLMSIZER_LITE  // the lite module refuses configs with a vision tower: it keeps the struct small
  std::string family;                ///< "qwen2_vl", "qwen2_5_vl", "gemma3", "llava", "llava_next", "pixtral",
                                     ///< "mistral3", "mllama", "internvl", or "vit" (generic estimate)
#endif
  bool exact = false;                ///< the family's own layout (false: a generic ViT estimate)
  std::string note;
  // The tower's shape (for its forward: activations and FLOPs).
  int64_t hidden = 0;
  int64_t layers = 0;
  int64_t intermediate = 0;
  bool gated_mlp = false;            ///< SwiGLU (Pixtral, Qwen2.5-VL) vs fc1/fc2
  // Image-token rules (vision.cpp image_tokens).
  int64_t patch = 0;                 ///< patch side in pixels
  int64_t image_size = 0;            ///< the processor's square side (fixed-size and tiled models), or max edge
  int64_t merge = 1;                 ///< spatial merge per side (Qwen, Mistral 3), 1 = none
  int64_t fixed_tokens = 0;          ///< Gemma 3 mm_tokens_per_image
  int64_t max_tiles = 0;             ///< Mllama max_num_tiles, InternVL max_dynamic_patch
  int64_t tile_tokens = 0;           ///< InternVL tokens per 448 tile
  bool thumbnail = false;            ///< InternVL use_thumbnail
  bool cls_token = false;            ///< the tower adds a class token to its patches
#if !LLMSIZER_LITE
  std::vector<std::pair<int64_t, int64_t>> pinpoints;  ///< LLaVA-NeXT image_grid_pinpoints (height, width)
#endif
  int64_t min_pixels = 0, max_pixels = 0;               ///< Qwen2-VL smart_resize bounds
  int64_t default_width = 0, default_height = 0;        ///< the image size used when a request names none
  // Mllama: images reach the text model through cross-attention layers (their KV holds image tokens, not text).
#if !LLMSIZER_LITE
  std::vector<int64_t> cross_attention_layers;
#endif
  int64_t cross_tokens = 0;           ///< per sequence, set per request (resolve.cpp): what those layers cache
  int64_t text_extra_parameters = 0;  ///< Mllama text weights outside the usual layer (cross-attn q/k norms, gates)
  int64_t text_extra_embedding_rows = 0;  ///< Mllama embed_tokens has vocab_size + 8 rows
};
/// What the images of one request cost (model/vision.cpp image_cost; api/resolve.cpp fills it per request).
struct ImageCost {
  int64_t width = 0, height = 0;   ///< the size used (the request's, or the family's default)
  int64_t context_tokens = 0;      ///< tokens one image adds to the language model's prompt
  int64_t cross_tokens = 0;        ///< Mllama: tokens the cross-attention layers cache (not in the text context)
  int64_t encoder_tokens = 0;      ///< patches the tower runs over for one image (tiles included)
  std::string rule;                ///< how context_tokens was found, in words
};

/// What the model is: a decoder (causal LM with a KV cache) or an encoder (BERT-style, one bidirectional forward
/// per text, no KV cache: embedding, reranker and classifier models; model/encoder.cpp), or a decoder with a vision
/// tower (vision-language: sized as a decoder plus the tower, model/vision.cpp).
enum class ModelKind { kDecoder, kEncoder, kVisionLanguage };
const char* model_kind_name(ModelKind k);

/// A tensor outside the layer stack that only encoders have (token-type embeddings, the embedding LayerNorm,
/// DeBERTa's relative-position table, the pooler and the task head), as the encoder's config reader lists them.
struct ExtraTensor {
  int role;             ///< a TensorRole (model.h below), stored as int to keep the declaration order
  int32_t layer;        ///< -1 before the layers (embeddings), -2 after them (pooler, heads)
  int64_t rows;
  int64_t cols;
  bool matrix;
  const char* name;
};

/// Encoder-only extras (transformers models/bert, roberta, xlm_roberta, distilbert, modernbert, deberta_v2;
/// nomic-ai/nomic-bert-2048 modeling_hf_nomic_bert.py).
struct EncoderSpec {
  std::string head = "model";        ///< "model", "masked_lm", "sequence_classification", "token_classification",
                                     ///< "question_answering", "pretraining" (from the architecture's suffix)
  std::string positions = "absolute";  ///< "absolute" (learned), "rotary" or "relative" (DeBERTa)
  int64_t position_offset = 0;       ///< RoBERTa-style padding offset: rows used for padding (padding_idx + 1)
  int64_t max_sequence = 0;          ///< the longest text one forward takes (positions minus the offset)
  int64_t num_labels = 0;            ///< classifier outputs (sequence/token classification)
  bool has_pooler = false;           ///< a pooler / context pooler dense layer (for display)
  std::vector<ExtraTensor> extras;   ///< tensors outside the layer stack
};

/// The normalised model.
struct ModelSpec {
  ModelKind kind = ModelKind::kDecoder;
  EncoderSpec encoder;        ///< kind == kEncoder only
  std::string model_type;     ///< as in config.json (of the language model: text_config's when nested)
  std::string architecture;   ///< config "architectures"[0] or the model_type
  std::string family;         ///< the normalisation used ("llama", "gemma2", "deepseek_v3", ..., "generic")
  bool generic = false;       ///< unknown model_type estimated as a generic decoder
  std::string text_config_path;  ///< "" or "/text_config" where the language model was found

  int64_t hidden_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;  ///< 0 when the config does not say
  bool tie_word_embeddings = false;
  NormKind norm = NormKind::kRmsNorm;  ///< LayerNorm has weight + bias, RMSNorm weight only
  bool norm_bias = true;               ///< LayerNorm carries a bias (ModernBERT: norm_bias = false)
  int64_t learned_position_rows = 0;   ///< learned absolute position embeddings (GPT-2, OPT: +2 offset)
  int64_t embed_proj_dim = 0;          ///< OPT word_embed_proj_dim != hidden: project_in/out matrices
  bool final_norm = true;
  bool lm_head_bias = false;           ///< Phi-1/2
  int64_t rotary_dim = 0;              ///< rotary dims per head (0 = no rotary); for engines' rope caches

  std::vector<LayerSpec> layers;       ///< one per decoder layer, in order
  int64_t mtp_layers = 0;              ///< DeepSeek-V3 multi-token-prediction layers (not loaded by default)
  VisionSpec vision;

  Dtype torch_dtype = Dtype::kBf16;    ///< config torch_dtype (checkpoint dtype)
  bool has_torch_dtype = false;
  WeightFormat quant;                  ///< from quantization_config (method kNone when absent)
  bool has_quantization_config = false;

  std::vector<Warning> warnings;       ///< raised while normalising

  // Summary values for display (the first layer's attention; MoE shape of the first MoE layer).
  int64_t num_hidden_layers() const { return static_cast<int64_t>(layers.size()); }
};

/// What a tensor is, for reporting and for deciding what quantisation applies to.
enum class TensorRole {
  kEmbedding,       ///< token embeddings
  kPosition,        ///< learned position embeddings
  kAttention,       ///< attention projections, their biases and q/k norms, sinks
  kMlp,             ///< dense MLP
  kExperts,         ///< routed experts
  kSharedExperts,   ///< shared experts (and their gate)
  kRouter,          ///< MoE router
  kNorm,            ///< layer and final norms
  kLmHead,          ///< output projection (absent when tied)
  kVision,          ///< vision tower + projector
  kMtp,             ///< multi-token-prediction module (DeepSeek-V3)
  kHead,            ///< encoder pooler and task head (classifier, masked-LM transform)
};
const char* tensor_role_name(TensorRole r);

/// How tensor parallelism splits a tensor across ranks (Megatron-LM arXiv:1909.08053 §3; vLLM
/// vllm/model_executor/layers/linear.py: Column/Row/QKVParallelLinear, vocab_parallel_embedding.py).
enum class Shard {
  kReplicated,   ///< every rank holds all of it (norms, routers, MLA down-projections, row-parallel biases)
  kColumn,       ///< rows (output features) split over ranks
  kRow,          ///< cols (input features) split over ranks
  kVocab,        ///< vocabulary rows split (padded to 64 per rank)
  kKvHeads,      ///< k/v projections: max(1, kv_heads / tp) heads per rank (replicated when tp > kv_heads)
};

/// A group of identical tensors.
struct TensorGroup {
  TensorRole role = TensorRole::kAttention;
  int32_t layer = -1;       ///< decoder layer index, -1 outside the layer stack, -2 = after it (final norm, head)
  int64_t rows = 0;         ///< output features (vocab rows for embeddings)
  int64_t cols = 1;         ///< input features (1 for a vector)
  int64_t count = 1;        ///< identical copies (routed experts)
  bool matrix = false;      ///< a linear-layer weight that weight quantisation applies to
  Shard shard = Shard::kReplicated;
  int64_t heads = 0;        ///< for kKvHeads: kv heads the rows hold
  const char* name = "";    ///< short name ("q_proj", "experts.gate_up", ...)

  int64_t elements() const { return rows * cols * count; }
};

/// Every weight tensor of the model (excluding MTP unless include_mtp), as groups.
std::vector<TensorGroup> weight_tensors(const ModelSpec& m, bool include_mtp = false);

/// Parameter counts by component.
struct ParameterCounts {
  int64_t embeddings = 0;      ///< token + position embeddings
  int64_t attention = 0;
  int64_t mlp = 0;             ///< dense MLP layers
  int64_t experts = 0;         ///< routed experts (all of them)
  int64_t shared_experts = 0;
  int64_t router = 0;
  int64_t norms = 0;
  int64_t lm_head = 0;         ///< 0 when tied to the embeddings
  int64_t vision = 0;          ///< vision tower (multimodal configs)
  int64_t mtp = 0;             ///< DeepSeek-V3 MTP module (reported, not in total)
  int64_t head = 0;            ///< encoders: pooler and task head
  int64_t total = 0;           ///< everything above except mtp
  int64_t active = 0;          ///< per token: total minus the routed experts a token does not use
};

ParameterCounts count_parameters(const ModelSpec& m);

/// The layer's attention kind for display: "MHA", "GQA", "MQA" or "MLA".
std::string attention_kind(const ModelSpec& m);

/// KV-cache bytes one token adds in one layer on one tensor-parallel rank.
/// Standard attention: 2 (K and V) x kv_heads_per_rank x head_dim x bytes; kv_heads_per_rank =
/// max(1, kv_heads / tp) (vLLM replicates KV heads when tp > kv_heads). MLA caches the compressed
/// latent (kv_lora_rank + qk_rope_head_dim) once, with no x2 and no split over ranks
/// (arXiv:2405.04434 §2.1.2; vLLM MLACommonImpl: one "head" of kv_lora_rank + rope dim).
double kv_bytes_per_token_layer(const AttentionSpec& a, Dtype kv_dtype, int64_t tp);

}  // namespace llmsizer
