// Encoder-only models (embedding, reranker and classifier models) from config.json: BERT, RoBERTa, XLM-RoBERTa,
// CamemBERT, DistilBERT, ModernBERT, NomicBERT and DeBERTa-v2/v3, with the pooler and task head their
// architecture name implies. The result is a ModelSpec of kind kEncoder: the layer stack in the usual LayerSpec
// form (so weights, tensor shapes and FLOPs use the same code as decoders) plus the encoder's own tensors
// (ModelSpec::encoder.extras). Encoders have no KV cache: engines/encoder.cpp sizes one forward pass.
#pragma once

#include "json/read.h"
#include "llmsizer/result.h"
#include "model/model.h"

namespace llmsizer {

/// Whether config.json describes an encoder this reader knows (by model_type).
bool is_encoder_config(const JsonValue& root);

/// config.json (an object, is_encoder_config true) -> the encoder's ModelSpec. Errors name the key.
Result<ModelSpec> parse_encoder_config(const JsonValue& root);

}  // namespace llmsizer
