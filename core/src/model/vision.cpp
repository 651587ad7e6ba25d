// Vision towers: parameters per family from config.json, image tokens per image from the processors' rules.
// Sources (transformers v4.52–4.56 unless said): models/<type>/modeling_<type>.py for the modules,
// image_processing_<type>.py / processing_<type>.py for the image tokens.
#include "model/vision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace llmsizer {

namespace {

using json = JsonValue;

constexpr int64_t kMaxVisionDim = 1 << 16;    // hidden/intermediate sizes beyond any real tower
constexpr int64_t kMaxVisionLayers = 1024;

/// A non-negative integer member (an [h, w] array takes its first element: InternVL's HF image_size/patch_size),
/// or `def` when absent, not a number, or out of range.
int64_t geti(const json* o, const char* k, int64_t def, int64_t max = kMaxVisionDim * 64) {
  if (!o) return def;
  const json* f = json_member(*o, k);
  if (f && f->is_array() && !f->empty()) f = json_element(*f, 0);
  if (!f || !f->is_number()) return def;
  const double d = f->get<double>();
  if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max)) return def;
  return static_cast<int64_t>(d);
}

double getd(const json* o, const char* k, double def) {
  if (!o) return def;
  const json* f = json_member(*o, k);
  if (!f || !f->is_number()) return def;
  const double d = f->get<double>();
  return std::isfinite(d) && d > 0 ? d : def;
}

bool getb(const json* o, const char* k, bool def) {
  if (!o) return def;
  const json* f = json_member(*o, k);
  return f && f->is_boolean() ? f->get<bool>() : def;
}

std::string gets(const json* o, const char* k) {
  if (!o) return {};
  const json* f = json_member(*o, k);
  return f && f->is_string() ? f->get<std::string>() : std::string();
}

/// The vision_config object: at the top level, or (InternVL's original format) next to llm_config.
const json* vision_config(const json& root) {
  const json* v = json_member(root, "vision_config");
  return v && v->is_object() ? v : nullptr;
}

/// Which family's layout applies, from the wrapper's model_type and the tower's.
std::string detect_family(const json& root, const json* vc) {
  const std::string top = gets(&root, "model_type");
  const std::string vt = gets(vc, "model_type");
  if (top == "qwen2_vl" || vt == "qwen2_vl") return "qwen2_vl";
  if (top == "qwen2_5_vl" || vt == "qwen2_5_vl") return "qwen2_5_vl";
  if (top == "gemma3") return "gemma3";
  if (top == "mistral3") return "mistral3";
  if (top == "mllama" || vt == "mllama_vision_model") return "mllama";
  if (top == "internvl" || top == "internvl_chat" || vt == "internvl_vision" || vt == "intern_vit_6b") return "internvl";
  if (top == "llava" && vt == "pixtral") return "pixtral";
  if (top == "llava" && (vt == "clip_vision_model" || vt == "siglip_vision_model" || vt.empty())) return "llava";
  if (top == "llava_next" && (vt == "clip_vision_model" || vt.empty())) return "llava_next";
  return "vit";
}

/// One CLIP/SigLIP encoder layer (modeling_clip.py CLIPEncoderLayer, modeling_siglip.py SiglipEncoderLayer):
/// q, k, v, out_proj with biases, fc1/fc2 with biases, two LayerNorms (weight + bias).
int64_t clip_layer(int64_t h, int64_t inter) {
  return 4 * (h * h + h) + (h * inter + inter) + (inter * h + h) + 2 * 2 * h;
}

/// Number of vision_feature_layer entries (LLaVA concatenates several layers' features when it is a list).
int64_t feature_layers(const json& root) {
  const json* f = json_member(root, "vision_feature_layer");
  return f && f->is_array() && !f->empty() ? static_cast<int64_t>(f->size()) : 1;
}

/// LLaVA's projector (modeling_llava.py LlavaMultiModalProjector): linear_1 (vision x n_layers -> text),
/// GELU, linear_2 (text -> text), biases when multimodal_projector_bias (default true).
int64_t llava_projector(const json& root, int64_t hv, int64_t ht, bool bias_default) {
  const bool bias = getb(&root, "multimodal_projector_bias", bias_default);
  const int64_t in = hv * feature_layers(root);
  return in * ht + ht * ht + (bias ? 2 * ht : 0);
}

/// The shape every family reads alike: hidden, layers, intermediate, patch, image size.
void read_shape(const json* vc, VisionSpec& v, int64_t hidden, int64_t layers, int64_t inter, int64_t patch,
                int64_t image) {
  v.hidden = geti(vc, "hidden_size", hidden);
  v.layers = geti(vc, "num_hidden_layers", geti(vc, "depth", layers));
  v.intermediate = geti(vc, "intermediate_size", inter > 0 ? inter : 4 * v.hidden);
  v.patch = geti(vc, "patch_size", patch);
  v.image_size = geti(vc, "image_size", image);
}

// ---- Towers, one function per family --------------------------------------------------------------------

/// CLIP vision tower (modeling_clip.py CLIPVisionTransformer): class embedding, patch conv without bias,
/// (patches + 1) learned positions, pre_layrnorm, layers, post_layernorm. SigLIP (modeling_siglip.py
/// SiglipVisionTransformer): patch conv with bias, `patches` positions, layers, post_layernorm, and the
/// attention-pooling head when vision_use_head (SiglipMultiheadAttentionPoolingHead: probe, in/out projections,
/// LayerNorm, MLP).
void clip_or_siglip(const json* vc, VisionSpec& v, bool siglip, bool head_default) {
  const int64_t h = v.hidden, n = (v.image_size / std::max<int64_t>(1, v.patch)) * (v.image_size / std::max<int64_t>(1, v.patch));
  const int64_t channels = geti(vc, "num_channels", 3);
  int64_t t = v.layers * clip_layer(h, v.intermediate) + channels * v.patch * v.patch * h + 2 * h;
  if (siglip) {
    t += h + n * h;
    if (getb(vc, "vision_use_head", head_default)) {
      t += h + (3 * h * h + 3 * h) + (h * h + h) + 2 * h + (h * v.intermediate + v.intermediate) + (v.intermediate * h + h);
    }
  } else {
    t += h + (n + 1) * h + 2 * h;
    v.cls_token = true;
  }
  v.tower_parameters = t;
}

/// Pixtral tower (modeling_pixtral.py PixtralVisionModel): patch_conv without bias, ln_pre RMSNorm, layers of
/// attention_norm + q/k/v/o without bias + ffn_norm + SwiGLU MLP without bias; 2D RoPE, no position table.
void pixtral_tower(const json* vc, VisionSpec& v) {
  const int64_t h = v.hidden, i = v.intermediate;
  v.gated_mlp = true;
  v.tower_parameters = geti(vc, "num_channels", 3) * v.patch * v.patch * h + h + v.layers * (4 * h * h + 3 * h * i + 2 * h);
}

/// Qwen2-VL (modeling_qwen2_vl.py): PatchEmbed Conv3d (temporal x patch x patch, no bias); blocks of LayerNorm x2,
/// qkv + proj with biases, fc1/fc2 with biases (mlp_ratio); PatchMerger: LayerNorm(embed_dim), Linear(4e, 4e),
/// GELU, Linear(4e, hidden_size). Qwen2.5-VL (modeling_qwen2_5_vl.py): RMSNorms, a SwiGLU MLP with biases
/// (intermediate_size), merger ln_q RMSNorm and output out_hidden_size.
void qwen_tower(const json* vc, VisionSpec& v, bool v25, int64_t text_hidden) {
  const int64_t channels = geti(vc, "in_channels", geti(vc, "in_chans", 3));
  const int64_t temporal = geti(vc, "temporal_patch_size", 2);
  v.patch = geti(vc, "patch_size", 14);
  v.merge = std::max<int64_t>(1, geti(vc, "spatial_merge_size", 2));
  v.layers = geti(vc, "depth", 32);
  int64_t out = 0;
  if (v25) {
    v.hidden = geti(vc, "hidden_size", 1280);
    v.intermediate = geti(vc, "intermediate_size", 3420);
    out = geti(vc, "out_hidden_size", text_hidden);
    v.gated_mlp = true;
  } else {
    v.hidden = geti(vc, "embed_dim", 1280);
    v.intermediate = static_cast<int64_t>(std::llround(static_cast<double>(v.hidden) * getd(vc, "mlp_ratio", 4.0)));
    out = geti(vc, "hidden_size", text_hidden);
  }
  const int64_t e = v.hidden, i = v.intermediate;
  const int64_t norms = v25 ? 2 * e : 4 * e;
  const int64_t mlp = v25 ? 2 * (e * i + i) + (i * e + e) : (e * i + i) + (i * e + e);
  const int64_t block = norms + (e * 3 * e + 3 * e) + (e * e + e) + mlp;
  v.tower_parameters = channels * temporal * v.patch * v.patch * e + v.layers * block;
  const int64_t cat = e * v.merge * v.merge;
  v.projector_parameters = (v25 ? e : 2 * e) + (cat * cat + cat) + (cat * out + out);
  v.min_pixels = 56 * 56;         // Qwen2VLImageProcessor defaults (image_processing_qwen2_vl.py)
  v.max_pixels = 28 * 28 * 16384; // = 12,845,056
  v.default_width = v.default_height = 1024;
}

/// Mllama (modeling_mllama.py MllamaVisionModel): patch conv without bias, class embedding, gated positional
/// embedding (gate + (patches + 1) x h + tile embedding (max_aspect_ratio_id + 1) x (tiles x (patches + 1) x h)),
/// pre/post tile embeddings ((ids + 1) x tiles x h + a gate each), layernorm_pre/post, num_hidden_layers local
/// layers (q/k/v/o without bias, fc1/fc2 with biases, two LayerNorms) and num_global_layers gated ones (+2 gates).
/// Projector: Linear(vision_output_dim, text hidden) with bias.
void mllama_tower(const json* vc, VisionSpec& v, int64_t text_hidden) {
  read_shape(vc, v, 1280, 32, 5120, 14, 560);
  const int64_t h = v.hidden, i = v.intermediate;
  const int64_t n = (v.image_size / std::max<int64_t>(1, v.patch)) * (v.image_size / std::max<int64_t>(1, v.patch)) + 1;
  v.max_tiles = geti(vc, "max_num_tiles", 4);
  const json* ratios = vc ? json_member(*vc, "supported_aspect_ratios") : nullptr;
  int64_t ids = 0;  // max_aspect_ratio_id = len(supported_aspect_ratios); 8 for 4 tiles
  if (ratios && ratios->is_array()) {
    ids = static_cast<int64_t>(ratios->size());
  } else {
    for (int64_t a = 1; a <= v.max_tiles; ++a) ids += v.max_tiles / a;
  }
  const int64_t global = geti(vc, "num_global_layers", 8);
  const int64_t layer = 4 * h * h + (h * i + i) + (i * h + h) + 4 * h;
  const int64_t pos = 1 + n * h + (ids + 1) * v.max_tiles * n * h;
  const int64_t tiles_emb = 2 * ((ids + 1) * v.max_tiles * h + 1);
  v.tower_parameters = geti(vc, "num_channels", 3) * v.patch * v.patch * h + h + pos + tiles_emb + 4 * h +
                       v.layers * layer + global * (layer + 2);
  v.layers += global;
  const int64_t out = geti(vc, "vision_output_dim", 7680);
  v.projector_parameters = out * text_hidden + text_hidden;
  v.cls_token = true;
  v.default_width = v.default_height = 2 * v.image_size;  // 2 x 2 tiles: the largest image kept at full size
}

/// InternVL. HF format (modeling_internvl.py InternVLVisionModel): cls_token, patch conv with bias, (patches + 1)
/// positions, layers of q/k/v (attention_bias) + projection_layer (bias) + optional q/k RMSNorms + lambda_1/2
/// layer scales + two norms (LayerNorm or RMSNorm) + fc1/fc2; a final LayerNorm unless use_mean_pooling. The
/// original InternViT (modeling_intern_vit.py) has the same tensors (qkv fused, ls1/ls2, no final norm).
/// Projector (InternVLMultiModalProjector / mlp1): LayerNorm(h x r^2), Linear(h x r^2, text) + bias, GELU,
/// Linear(text, text) + bias, r = 1 / downsample_ratio.
void internvl_tower(const json& root, const json* vc, VisionSpec& v, int64_t text_hidden) {
  read_shape(vc, v, 1024, 24, 4096, 14, 448);
  const int64_t h = v.hidden, i = v.intermediate;
  const std::string norm = gets(vc, "norm_type");
  const int64_t nw = norm == "rms_norm" ? h : 2 * h;
  const bool qkv_bias = getb(vc, "qkv_bias", getb(vc, "attention_bias", true));
  const bool qk_norm = getb(vc, "qk_normalization", getb(vc, "use_qk_norm", false));
  const int64_t layer = (3 * h * h + (qkv_bias ? 3 * h : 0)) + (h * h + h) + (qk_norm ? 2 * h : 0) + 2 * h + 2 * nw +
                        (h * i + i) + (i * h + h);
  const int64_t n = (v.image_size / std::max<int64_t>(1, v.patch)) * (v.image_size / std::max<int64_t>(1, v.patch));
  int64_t t = h + (3 * v.patch * v.patch * h + h) + (n + 1) * h + v.layers * layer;
  const bool hf = gets(&root, "model_type") == "internvl";
  if (hf && getb(vc, "use_mask_token", false)) t += h;
  if (hf && !getb(vc, "use_mean_pooling", true)) t += 2 * h;
  v.tower_parameters = t;
  const double ratio = getd(&root, "downsample_ratio", 0.5);
  const int64_t r = std::max<int64_t>(1, static_cast<int64_t>(std::llround(1.0 / ratio)));
  const int64_t cat = h * r * r;
  v.projector_parameters = 2 * cat + (cat * text_hidden + text_hidden) + (text_hidden * text_hidden + text_hidden);
  v.cls_token = true;
  v.tile_tokens = n / (r * r);
  v.max_tiles = geti(&root, "max_dynamic_patch", 12);
  v.thumbnail = getb(&root, "use_thumbnail", true);
  v.default_width = v.default_height = v.image_size;
}

/// The generic ViT (unknown wrappers): CLIP/SigLIP-like layers and one projector matrix vision x text (+ norm).
void generic_tower(const json* vc, VisionSpec& v, int64_t text_hidden) {
  clip_or_siglip(vc, v, true, false);
  v.projector_parameters = v.hidden * text_hidden + v.hidden;
}

/// Text-side tensors Mllama adds (modeling_mllama.py MllamaTextModel / MllamaCrossAttentionDecoderLayer):
/// embed_tokens of vocab_size + 8 rows; each cross-attention layer has q_norm, k_norm (head_dim each) and the
/// cross_attn_attn_gate / cross_attn_mlp_gate scalars on top of the self-attention layer's tensors.
void mllama_text(const json& root, ModelSpec& m) {
  const json* tc = json_member(root, "text_config");
  const json* layers = tc ? json_member(*tc, "cross_attention_layers") : nullptr;
  if (layers && layers->is_array()) {
    for (const json& l : *layers) {
      if (l.is_number_integer() && l.get<int64_t>() >= 0 && l.get<int64_t>() < m.num_hidden_layers()) {
        m.vision.cross_attention_layers.push_back(l.get<int64_t>());
      }
    }
  }
  const int64_t head_dim = m.layers.empty() ? 0 : m.layers[0].attn.head_dim;
  m.vision.text_extra_parameters = static_cast<int64_t>(m.vision.cross_attention_layers.size()) * (2 * head_dim + 2);
  m.vision.text_extra_embedding_rows = 8;
}

}  // namespace

bool is_vision_config(const JsonValue& root) { return root.is_object() && vision_config(root) != nullptr; }

void read_vision(const JsonValue& root, ModelSpec& m) {
  const json* vc = vision_config(root);
  if (!vc) return;
  VisionSpec v;
  v.family = detect_family(root, vc);
  const int64_t ht = m.hidden_size;
  if (v.family == "qwen2_vl" || v.family == "qwen2_5_vl") {
    qwen_tower(vc, v, v.family == "qwen2_5_vl", ht);
  } else if (v.family == "gemma3") {
    // Gemma3MultiModalProjector: mm_input_projection_weight (vision x text) + mm_soft_emb_norm (Gemma3RMSNorm).
    read_shape(vc, v, 1152, 27, 4304, 14, 896);
    clip_or_siglip(vc, v, true, false);  // the Hub configs set vision_use_head false
    v.projector_parameters = v.hidden * ht + v.hidden;
    v.fixed_tokens = geti(&root, "mm_tokens_per_image", 256);
    v.default_width = v.default_height = v.image_size;
  } else if (v.family == "llava" || v.family == "llava_next") {
    read_shape(vc, v, 1024, 24, 4096, 14, 336);
    const bool siglip = gets(vc, "model_type") == "siglip_vision_model";
    clip_or_siglip(vc, v, siglip, true);
    v.projector_parameters = llava_projector(root, v.hidden, ht, true);
    v.default_width = v.default_height = v.image_size;
    if (v.family == "llava_next") {
      v.projector_parameters += ht;  // image_newline (modeling_llava_next.py)
      const json* g = json_member(root, "image_grid_pinpoints");
      if (g && g->is_array()) {
        for (const json& p : *g) {
          const json* a = p.is_array() && p.size() == 2 ? json_element(p, 0) : nullptr;
          const json* b = a ? json_element(p, 1) : nullptr;
          if (!a || !b || !a->is_number_integer() || !b->is_number_integer()) continue;
          const int64_t ph = a->get<int64_t>(), pw = b->get<int64_t>();
          if (ph > 0 && pw > 0 && ph <= 16384 && pw <= 16384) v.pinpoints.emplace_back(ph, pw);
        }
      }
      if (v.pinpoints.empty()) v.pinpoints = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
      v.default_width = v.default_height = 2 * v.image_size;
    }
  } else if (v.family == "pixtral" || v.family == "mistral3") {
    read_shape(vc, v, 1024, 24, 4096, 16, 1024);
    pixtral_tower(vc, v);
    if (v.family == "pixtral") {
      v.projector_parameters = llava_projector(root, v.hidden, ht, true);
    } else {
      // Mistral3MultiModalProjector: norm (RMSNorm), patch_merger.merging_layer (h m^2 -> h, no bias),
      // linear_1 / linear_2 with biases when multimodal_projector_bias (default false).
      v.merge = std::max<int64_t>(1, geti(&root, "spatial_merge_size", 2));
      v.projector_parameters = v.hidden + v.hidden * v.merge * v.merge * v.hidden + llava_projector(root, v.hidden, ht, false);
    }
    v.default_width = v.default_height = v.image_size;
  } else if (v.family == "mllama") {
    mllama_tower(vc, v, ht);
    mllama_text(root, m);
  } else if (v.family == "internvl") {
    internvl_tower(root, vc, v, ht);
  } else {
    read_shape(vc, v, 0, 0, 0, 14, 224);
    generic_tower(vc, v, ht);
    v.default_width = v.default_height = v.image_size;
  }
  if (v.hidden <= 0 || v.layers <= 0 || v.hidden > kMaxVisionDim || v.layers > kMaxVisionLayers ||
      v.tower_parameters <= 0) {
    m.vision.text_extra_parameters = m.vision.text_extra_embedding_rows = 0;
    m.vision.cross_attention_layers.clear();
    return;
  }
  v.cross_attention_layers = m.vision.cross_attention_layers;
  v.text_extra_parameters = m.vision.text_extra_parameters;
  v.text_extra_embedding_rows = m.vision.text_extra_embedding_rows;
  v.exact = v.family != "vit";
  v.parameters = v.tower_parameters + v.projector_parameters;
  v.note = v.exact ? "vision tower and projector counted with the " + v.family + " layout (transformers)"
                   : "vision tower estimated from vision_config as a generic ViT (" + std::to_string(v.layers) +
                         " layers, hidden " + std::to_string(v.hidden) +
                         "): this wrapper's layout is not modelled; use the Hub's safetensors counts for exact figures";
  m.vision = std::move(v);
  m.kind = ModelKind::kVisionLanguage;
}

// ---- Image tokens ----------------------------------------------------------------------------------------

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }

/// Qwen2-VL smart_resize (image_processing_qwen2_vl.py): both sides rounded to multiples of `factor`
/// (patch x merge = 28), the area kept within [min_pixels, max_pixels] at the same aspect ratio.
std::pair<int64_t, int64_t> smart_resize(int64_t h, int64_t w, int64_t factor, int64_t min_px, int64_t max_px) {
  const double fh = static_cast<double>(h), fw = static_cast<double>(w), f = static_cast<double>(factor);
  auto hb = static_cast<int64_t>(std::max(f, std::nearbyint(fh / f) * f));
  auto wb = static_cast<int64_t>(std::max(f, std::nearbyint(fw / f) * f));
  if (hb * wb > max_px) {
    const double beta = std::sqrt(fh * fw / static_cast<double>(max_px));
    hb = std::max(factor, static_cast<int64_t>(std::floor(fh / beta / f)) * factor);
    wb = std::max(factor, static_cast<int64_t>(std::floor(fw / beta / f)) * factor);
  } else if (hb * wb < min_px) {
    const double beta = std::sqrt(static_cast<double>(min_px) / (fh * fw));
    hb = static_cast<int64_t>(std::ceil(fh * beta / f)) * factor;
    wb = static_cast<int64_t>(std::ceil(fw * beta / f)) * factor;
  }
  return {hb, wb};
}

/// LLaVA-NeXT (processing_llava_next.py _get_number_of_features, select_best_resolution): the grid pinpoint that
/// keeps the most of the image, its tiles' patches with the padding rows/columns removed, a newline token per row,
/// and the base image's patches.
int64_t llava_next_tokens(const VisionSpec& v, int64_t oh, int64_t ow, int64_t* tiles) {
  std::pair<int64_t, int64_t> best = v.pinpoints.front();
  int64_t best_eff = -1, best_waste = std::numeric_limits<int64_t>::max();
  for (const auto& [ph, pw] : v.pinpoints) {
    const double scale = std::min(static_cast<double>(pw) / ow, static_cast<double>(ph) / oh);
    const auto dw = static_cast<int64_t>(ow * scale), dh = static_cast<int64_t>(oh * scale);
    const int64_t eff = std::min(dw * dh, ow * oh), waste = pw * ph - eff;
    if (eff > best_eff || (eff == best_eff && waste < best_waste)) {
      best = {ph, pw};
      best_eff = eff;
      best_waste = waste;
    }
  }
  const int64_t side = v.image_size / std::max<int64_t>(1, v.patch);
  const int64_t sh = best.first / v.image_size, sw = best.second / v.image_size;
  *tiles = sh * sw;
  int64_t ch = side * sh, cw = side * sw;
  if (static_cast<double>(ow) / oh > static_cast<double>(cw) / ch) {
    const auto nh = static_cast<int64_t>(std::nearbyint(static_cast<double>(oh) * cw / ow * 1e7) / 1e7);
    ch -= 2 * ((ch - nh) / 2);
  } else {
    const auto nw = static_cast<int64_t>(std::nearbyint(static_cast<double>(ow) * ch / oh * 1e7) / 1e7);
    cw -= 2 * ((cw - nw) / 2);
  }
  return ch * cw + ch + side * side;
}

/// Mllama get_optimal_tiled_canvas (image_processing_mllama.py): among rows x cols <= max_num_tiles canvases of
/// image_size tiles, the smallest upscale (or, if all shrink, the largest downscale), then the smallest area.
int64_t mllama_tiles(const VisionSpec& v, int64_t h, int64_t w) {
  std::vector<std::pair<double, int64_t>> canvases;  // (scale, tiles)
  double up = std::numeric_limits<double>::infinity(), down = 0;
  for (int64_t r = 1; r <= v.max_tiles; ++r) {
    for (int64_t c = 1; r * c <= v.max_tiles; ++c) {
      const double s = std::min(static_cast<double>(r * v.image_size) / h, static_cast<double>(c * v.image_size) / w);
      canvases.emplace_back(s, r * c);
      if (s >= 1) up = std::min(up, s);
      if (s < 1) down = std::max(down, s);
    }
  }
  const double chosen = std::isfinite(up) ? up : down;
  int64_t tiles = std::numeric_limits<int64_t>::max();
  for (const auto& [s, t] : canvases) {
    if (s == chosen) tiles = std::min(tiles, t);
  }
  return tiles == std::numeric_limits<int64_t>::max() ? 1 : tiles;
}

/// InternVL dynamic_preprocess (InternVL's load_image / find_closest_aspect_ratio): the tile grid i x j
/// (1 <= i*j <= max_dynamic_patch) whose aspect ratio is closest to the image's; ties go to the larger grid when
/// the image covers more than half of it.
int64_t internvl_tiles(const VisionSpec& v, int64_t h, int64_t w) {
  std::vector<std::pair<int64_t, int64_t>> ratios;
  for (int64_t i = 1; i <= v.max_tiles; ++i) {
    for (int64_t j = 1; i * j <= v.max_tiles; ++j) ratios.emplace_back(i, j);
  }
  std::stable_sort(ratios.begin(), ratios.end(),
                   [](const auto& a, const auto& b) { return a.first * a.second < b.first * b.second; });
  const double aspect = static_cast<double>(w) / h, area = static_cast<double>(w) * h;
  double best_diff = std::numeric_limits<double>::infinity();
  int64_t best = 1;
  for (const auto& [i, j] : ratios) {
    const double diff = std::fabs(aspect - static_cast<double>(i) / j);
    if (diff < best_diff) {
      best_diff = diff;
      best = i * j;
    } else if (diff == best_diff && area > 0.5 * v.image_size * v.image_size * i * j) {
      best = i * j;
    }
  }
  return best;
}

}  // namespace

ImageCost image_cost(const VisionSpec& v, int64_t width, int64_t height) {
  ImageCost c;
  if (v.parameters <= 0) return c;
  c.width = width > 0 ? width : (v.default_width > 0 ? v.default_width : v.image_size);
  c.height = height > 0 ? height : (v.default_height > 0 ? v.default_height : v.image_size);
  const int64_t p = std::max<int64_t>(1, v.patch);
  const int64_t side = v.image_size / p, square = side * side;
  const int64_t w = std::max<int64_t>(1, c.width), h = std::max<int64_t>(1, c.height);
  if (v.family == "gemma3") {
    c.context_tokens = v.fixed_tokens;
    c.encoder_tokens = square;
    c.rule = "mm_tokens_per_image per image at any size (SigLIP at " + std::to_string(v.image_size) + " px, pooled)";
  } else if (v.family == "llava") {
    c.context_tokens = square;
    c.encoder_tokens = square + 1;
    c.rule = "(image_size / patch_size)^2 per image, resized to " + std::to_string(v.image_size) + " px";
  } else if (v.family == "llava_next") {
    int64_t tiles = 1;
    c.context_tokens = llava_next_tokens(v, h, w, &tiles);
    c.encoder_tokens = (tiles + 1) * (square + 1);
    c.rule = "anyres: the best image_grid_pinpoints resolution's patches without padding, a newline per row, plus "
             "the base image's " + std::to_string(square);
  } else if (v.family == "qwen2_vl" || v.family == "qwen2_5_vl") {
    const int64_t f = p * v.merge;
    const auto [rh, rw] = smart_resize(h, w, f, v.min_pixels, v.max_pixels);
    c.context_tokens = (rh / f) * (rw / f);
    c.encoder_tokens = (rh / p) * (rw / p);
    c.rule = "smart_resize to " + std::to_string(rw) + "x" + std::to_string(rh) + " (multiples of " +
             std::to_string(f) + ", 3136..12845056 pixels), one token per " + std::to_string(f) + "x" +
             std::to_string(f) + " px";
  } else if (v.family == "pixtral" || v.family == "mistral3") {
    // PixtralImageProcessor: shrink to fit image_size on the longer side, then ceil to whole patches; one
    // [IMG_BREAK] per row ([IMG_END] after the last). Mistral 3 merges merge x merge patches into one token.
    const double ratio = std::max(static_cast<double>(h) / v.image_size, static_cast<double>(w) / v.image_size);
    const int64_t sh = ratio > 1 ? static_cast<int64_t>(h / ratio) : h, sw = ratio > 1 ? static_cast<int64_t>(w / ratio) : w;
    const int64_t rows = ceil_div(std::max<int64_t>(1, sh), p), cols = ceil_div(std::max<int64_t>(1, sw), p);
    const int64_t tr = std::max<int64_t>(1, rows / v.merge), tc = std::max<int64_t>(1, cols / v.merge);
    c.context_tokens = tr * (tc + 1);
    c.encoder_tokens = rows * cols;
    c.rule = std::to_string(tr) + " rows x " + std::to_string(tc) + " image tokens + one break token per row";
  } else if (v.family == "mllama") {
    const int64_t tiles = mllama_tiles(v, h, w);
    c.cross_tokens = tiles * (square + 1);
    c.encoder_tokens = c.cross_tokens;
    c.rule = std::to_string(tiles) + " tile(s) of " + std::to_string(square + 1) +
             " tokens, attended by the cross-attention layers (one <|image|> token in the prompt)";
    c.context_tokens = 1;
  } else if (v.family == "internvl") {
    const int64_t tiles = internvl_tiles(v, h, w);
    const int64_t n = tiles + (v.thumbnail && tiles > 1 ? 1 : 0);
    c.context_tokens = n * v.tile_tokens;
    c.encoder_tokens = n * (square + 1);
    c.rule = std::to_string(n) + " tile(s) of " + std::to_string(v.image_size) + " px (dynamic tiling" +
             (v.thumbnail && tiles > 1 ? " + thumbnail" : "") + "), " + std::to_string(v.tile_tokens) + " tokens each";
  } else {
    c.context_tokens = square;
    c.encoder_tokens = square;
    c.rule = "(image_size / patch_size)^2 per image (generic ViT)";
  }
  return c;
}

ImageCost largest_image_cost(const VisionSpec& v) {
  if (v.family == "qwen2_vl" || v.family == "qwen2_5_vl") {
    // The square image at max_pixels: 3584 x 3584 -> 16,384 tokens with the default 12,845,056.
    const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(v.max_pixels)));
    return image_cost(v, side, side);
  }
  if (v.family == "internvl" && v.max_tiles > 1) {
    // A grid of exactly max_dynamic_patch tiles (12 -> 3 x 4), plus the thumbnail.
    int64_t r = 1;
    for (int64_t d = 1; d * d <= v.max_tiles; ++d) {
      if (v.max_tiles % d == 0) r = d;
    }
    return image_cost(v, v.image_size * (v.max_tiles / r), v.image_size * r);
  }
  return image_cost(v, 0, 0);  // the default size is the largest for the other families
}

double vision_activation_bytes(const VisionSpec& v, int64_t encoder_tokens, double bytes) {
  // The residual stream plus the larger of the attention block's normed input, q, k, v and output (5 x hidden)
  // and the MLP's hidden states (2 x intermediate; 3 for SwiGLU). Attention is memory-efficient: vLLM runs its
  // ViTs with FlashAttention / SDPA (vllm/model_executor/models/qwen2_vl.py, vision.py), no tokens^2 scores.
  const double h = static_cast<double>(v.hidden), i = static_cast<double>(v.intermediate);
  const double per_token = h + std::max(5.0 * h, (v.gated_mlp ? 3.0 : 2.0) * i);
  return static_cast<double>(encoder_tokens) * per_token * bytes;
}

double vision_flops(const VisionSpec& v, int64_t encoder_tokens) {
  return 2.0 * static_cast<double>(v.tower_parameters) * static_cast<double>(encoder_tokens);
}

}  // namespace llmsizer
