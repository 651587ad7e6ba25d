// Vision towers of vision-language models: the tower and projector parameters per family, read from config.json
// as transformers builds the model, and the image tokens one image adds (the processor's rules).
//
// Families (transformers v4.5x modeling files): Qwen2-VL, Qwen2.5-VL, Gemma 3 (SigLIP), LLaVA-1.5 (CLIP),
// LLaVA-NeXT, Pixtral (LLaVA with a Pixtral tower), Mistral 3 (Mistral-Small-3.1), Mllama (Llama 3.2 Vision),
// InternVL (HF format and the original InternVLChatModel). Anything else with a vision_config is estimated as a
// generic ViT (VisionSpec::family "vit", exact false). The lite WebAssembly core leaves vision-language configs to
// the full module (config.cpp): this file is not in its source list.
#pragma once

#include <cstdint>
#include <string>

#include "json/json.h"
#include "model/model.h"

namespace llmsizer {

/// Whether config.json has a vision tower (a vision_config object, or InternVL's vision_config under llm_config's
/// parent).
bool is_vision_config(const JsonValue& root);

/// Reads the vision tower and projector into m.vision (m's language model already read: the projector's output is
/// m.hidden_size) and sets m.kind to kVisionLanguage. No-op without a vision_config.
void read_vision(const JsonValue& root, ModelSpec& m);

/// The image cost at width x height (0 x 0: the family's default size). Never fails: sizes are clamped to
/// 1..16384 per side by the request reader.
ImageCost image_cost(const VisionSpec& v, int64_t width, int64_t height);

/// The image that costs the most tokens (vLLM profiles with it: each model's
/// get_image_size_with_most_features): Qwen's max_pixels square, InternVL's full tile grid, else the default size.
ImageCost largest_image_cost(const VisionSpec& v);

/// Peak activation bytes of the tower's forward over `encoder_tokens` patches at `bytes` per element: the
/// residual stream, q/k/v and the MLP's hidden state of one layer (memory-efficient attention: no score matrix).
double vision_activation_bytes(const VisionSpec& v, int64_t encoder_tokens, double bytes);

/// Forward FLOPs of the tower over `encoder_tokens` patches: 2 x tower parameters x patches.
double vision_flops(const VisionSpec& v, int64_t encoder_tokens);

}  // namespace llmsizer
