#include "engines/checkpoint.h"

#include "engines/table.h"

namespace llmsizer {

namespace {

// On-load quantisation each engine offers for a 16-bit checkpoint (anything else needs a converted checkpoint):
//  - vLLM: `--quantization fp8` (dynamic per-tensor FP8 on load; docs.vllm.ai "FP8 W8A8", "Quick Start: Online
//    Dynamic Quantization") and `--quantization bitsandbytes` (in-flight NF4; docs.vllm.ai "BitsAndBytes").
//    AWQ, GPTQ and INT8 W8A8 are produced offline (AutoAWQ, GPTQModel, llm-compressor) and read from the
//    checkpoint's quantization_config.
//  - SGLang: `--quantization fp8` (online FP8; docs.sglang.ai "Quantization": "online quantization ... fp8");
//    other formats from pre-quantised checkpoints.
//  - transformers: bitsandbytes 4-bit and 8-bit through BitsAndBytesConfig (load_in_4bit / load_in_8bit);
//    AWQ and GPTQ need converted checkpoints (transformers docs "Quantization overview").
bool quantises_on_load(EngineId engine, QuantMethod method) {
  switch (engine) {
    case EngineId::kVllm: return method == QuantMethod::kFp8 || method == QuantMethod::kBnb4;
    case EngineId::kSglang: return method == QuantMethod::kFp8;
    case EngineId::kTransformers: return method == QuantMethod::kBnb4 || method == QuantMethod::kInt8;
    default: return true;  // generic (no command), llama.cpp (serves GGUF files)
  }
}

const char* display_name(EngineId engine) {
  switch (engine) {
    case EngineId::kVllm: return "vLLM";
    case EngineId::kSglang: return "SGLang";
    case EngineId::kTransformers: return "transformers";
    default: return engine_name(engine);
  }
}

std::string bits_text(double bits) { return std::to_string(static_cast<int>(bits + 0.5)); }

/// The format's name and the suffix its conversions usually carry on the Hub (Qwen's "-AWQ" and
/// "-GPTQ-Int4", RedHatAI's "-quantized.w8a8", Unsloth's "-bnb-4bit", "-FP8").
struct Pattern {
  std::string format;
  std::string suffix;
};
Pattern pattern(const WeightFormat& w) {
  switch (w.method) {
    case QuantMethod::kAwq: return {"AWQ int" + bits_text(w.bits), "-AWQ"};
    case QuantMethod::kGptq: return {"GPTQ int" + bits_text(w.bits), "-GPTQ-Int" + bits_text(w.bits)};
    case QuantMethod::kInt8: return {"int8 W8A8", "-quantized.w8a8"};
    case QuantMethod::kBnb4: return {"bitsandbytes NF4", "-bnb-4bit"};
    case QuantMethod::kFp8: return {"FP8", "-FP8"};
    case QuantMethod::kMxfp4: return {"MXFP4", "-MXFP4"};
    default: return {std::string(quant_method_name(w.method)) + " " + bits_text(w.bits) + "-bit",
                     "-" + std::string(quant_method_name(w.method))};
  }
}

}  // namespace

ServedCheckpoint served_checkpoint(const ModelSpec& m, const Inputs& in, EngineId engine) {
  ServedCheckpoint s;
  const QuantMethod method = in.weights.method;
  if (m.has_quantization_config || method == QuantMethod::kNone || method == QuantMethod::kGguf) return s;
  if (quantises_on_load(engine, method)) return s;
  const Pattern p = pattern(in.weights);
  s.needs_quantised_checkpoint = true;
  s.format = p.format;
  s.repo = in.model_id.empty() ? "<" + p.format + " checkpoint of the model>" : in.model_id + p.suffix;
  const std::string what = in.model_id.empty() ? "this 16-bit checkpoint" : "the 16-bit checkpoint " + in.model_id;
  s.warning = {"quantised_checkpoint_needed",
               std::string(display_name(engine)) + " cannot quantise " + what + " to " + p.format +
                   " while loading it: serve a " + p.format + " checkpoint of the model. The command names " +
                   s.repo + (in.model_id.empty() ? "" : ", the usual name of such a conversion — check that it "
                                                        "exists on the Hub or put another one in its place") +
                   ". Loading the 16-bit checkpoint instead would take the 16-bit weights' memory, not this "
                   "estimate's."};
  return s;
}

}  // namespace llmsizer
