// config.json parsing: aliases, defaults, families, quantization_config, and errors with their paths.
#include <gtest/gtest.h>

#include "test_util.h"

namespace llmsizer {
namespace {

Error parse_error(const std::string& text) {
  auto r = parse_config(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? Error{} : r.error();
}

const char* kLlamaSmall = R"({"model_type":"llama","hidden_size":64,"num_hidden_layers":2,
  "num_attention_heads":4,"intermediate_size":128,"vocab_size":100})";

TEST(Config, AliasesGpt2Keys) {
  const ModelSpec m = test::fixture("gpt2.json");
  EXPECT_EQ(m.hidden_size, 768);
  EXPECT_EQ(m.num_hidden_layers(), 12);
  EXPECT_EQ(m.layers[0].attn.num_heads, 12);
  EXPECT_EQ(m.layers[0].attn.num_kv_heads, 12);  // absent -> heads
  EXPECT_EQ(m.max_position_embeddings, 1024);
  EXPECT_EQ(m.layers[0].mlp.intermediate_size, 3072);  // n_inner null -> 4h
  EXPECT_TRUE(m.tie_word_embeddings);
  EXPECT_EQ(m.norm, NormKind::kLayerNorm);
}

TEST(Config, KvHeadsDefaultToHeads) {
  auto m = parse_config(kLlamaSmall);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->layers[0].attn.num_kv_heads, 4);
  EXPECT_EQ(m->layers[0].attn.head_dim, 16);
  EXPECT_EQ(attention_kind(*m), "MHA");
  EXPECT_FALSE(m->generic);
}

TEST(Config, ExplicitHeadDimWins) {
  // Gemma 7B: hidden 3072, 16 heads, head_dim 256 (not 192).
  auto m = parse_config(R"({"model_type":"gemma","hidden_size":3072,"num_hidden_layers":28,
    "num_attention_heads":16,"num_key_value_heads":16,"head_dim":256,"intermediate_size":24576,
    "vocab_size":256000})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->layers[0].attn.head_dim, 256);
  EXPECT_TRUE(m->tie_word_embeddings);  // Gemma's default
  // google/gemma-7b: 8,537,680,896 parameters (Hub safetensors).
  EXPECT_EQ(count_parameters(*m).total, 8537680896);
}

TEST(Config, MultiQueryFlag) {
  auto m = parse_config(R"({"model_type":"gpt_bigcode_like","hidden_size":64,"num_hidden_layers":1,
    "num_attention_heads":4,"intermediate_size":256,"vocab_size":10,"multi_query":true})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->layers[0].attn.num_kv_heads, 1);
  EXPECT_TRUE(m->generic);
  ASSERT_FALSE(m->warnings.empty());
  EXPECT_EQ(m->warnings[0].code, "generic_architecture");
}

TEST(Config, TextConfigWrapper) {
  const ModelSpec m = test::fixture("gemma-3-27b-it.json");
  EXPECT_EQ(m.text_config_path, "/text_config");
  EXPECT_EQ(m.model_type, "gemma3_text");
  EXPECT_EQ(m.family, "gemma3");
  EXPECT_EQ(m.hidden_size, 5376);
  EXPECT_TRUE(m.has_torch_dtype);  // from the wrapper's top level
  EXPECT_EQ(m.torch_dtype, Dtype::kBf16);
  EXPECT_GT(m.vision.parameters, 400000000);  // SigLIP-So400m
  EXPECT_TRUE(m.layers[0].attn.qk_norm);
}

TEST(Config, NestedConfigTakesClassDefaults) {
  // The Hub's gemma-3-27b-it text_config has no vocab_size / max_position_embeddings: transformers
  // saves nested configs as a diff against Gemma3TextConfig's defaults (262208, 131072).
  const ModelSpec m = test::fixture("gemma-3-27b-it.json");
  EXPECT_EQ(m.vocab_size, 262208);
  EXPECT_EQ(m.max_position_embeddings, 131072);
  ASSERT_FALSE(m.warnings.empty());
  EXPECT_EQ(m.warnings.back().code, "text_config_defaults");
  // A top-level config missing the same key is still an error (see ConfigErrors.MissingKey...).
}

TEST(Config, TextConfigWithoutModelTypeTakesTheWrapper) {
  auto m = parse_config(R"({"model_type":"llava","text_config":{"hidden_size":64,"num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->family, "llama");
  EXPECT_FALSE(m->generic);
}

TEST(Config, QwenSlidingWindowOnlyWhenEnabled) {
  // Qwen2.5-7B has sliding_window 131072 but use_sliding_window false: no sliding layers.
  const ModelSpec m = test::fixture("qwen2.5-7b.json");
  for (const LayerSpec& l : m.layers) EXPECT_EQ(l.attn.sliding_window, 0);
  // Enabled: layers >= max_window_layers slide.
  auto w = parse_config(R"({"model_type":"qwen2","hidden_size":64,"num_hidden_layers":4,"num_attention_heads":4,
    "intermediate_size":128,"vocab_size":100,"use_sliding_window":true,"sliding_window":32,"max_window_layers":2})");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->layers[1].attn.sliding_window, 0);
  EXPECT_EQ(w->layers[2].attn.sliding_window, 32);
}

TEST(Config, LayerTypesWin) {
  const ModelSpec m = test::fixture("gpt-oss-20b.json");
  EXPECT_EQ(m.layers[0].attn.sliding_window, 128);
  EXPECT_EQ(m.layers[1].attn.sliding_window, 0);
  EXPECT_TRUE(m.layers[0].attn.sinks);
}

TEST(Config, MistralSlidingAllLayers) {
  const ModelSpec m = test::fixture("mistral-7b-v0.1.json");
  for (const LayerSpec& l : m.layers) EXPECT_EQ(l.attn.sliding_window, 4096);
}

TEST(Config, DeepSeekMlaAndMoeLayout) {
  const ModelSpec m = test::fixture("deepseek-r1.json");
  EXPECT_EQ(attention_kind(m), "MLA");
  EXPECT_FALSE(m.layers[2].mlp.is_moe());
  EXPECT_TRUE(m.layers[3].mlp.is_moe());
  EXPECT_EQ(m.layers[3].mlp.num_experts, 256);
  EXPECT_EQ(m.layers[3].mlp.num_shared_experts, 1);
  EXPECT_EQ(m.mtp_layers, 1);
  EXPECT_EQ(m.quant.block_rows, 128);
}

TEST(Config, TorchDtypeAndTransformers5DtypeKey) {
  auto m = parse_config(R"({"model_type":"llama","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,
    "intermediate_size":128,"vocab_size":100,"dtype":"float16"})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->torch_dtype, Dtype::kFp16);
}

TEST(Config, QuantizationConfigs) {
  auto awq = parse_config(std::string(kLlamaSmall).substr(0, std::string(kLlamaSmall).size() - 1) +
                          R"(,"quantization_config":{"quant_method":"awq","bits":4,"group_size":64,"zero_point":true}})");
  ASSERT_TRUE(awq.ok()) << awq.error().message;
  EXPECT_EQ(awq->quant.method, QuantMethod::kAwq);
  EXPECT_EQ(awq->quant.group_size, 64);
  auto bnb = parse_config(std::string(kLlamaSmall).substr(0, std::string(kLlamaSmall).size() - 1) +
                          R"(,"quantization_config":{"quant_method":"bitsandbytes","load_in_4bit":true,
                          "bnb_4bit_quant_type":"nf4","bnb_4bit_use_double_quant":true}})");
  ASSERT_TRUE(bnb.ok());
  EXPECT_EQ(bnb->quant.method, QuantMethod::kBnb4);
  EXPECT_TRUE(bnb->quant.double_quant);
  auto ct = parse_config(std::string(kLlamaSmall).substr(0, std::string(kLlamaSmall).size() - 1) +
                         R"(,"quantization_config":{"quant_method":"compressed-tensors","config_groups":{"group_0":
                         {"weights":{"num_bits":8,"type":"float","strategy":"channel"}}}}})");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->quant.method, QuantMethod::kFp8);
  EXPECT_EQ(ct->quant.scales, ScaleGranularity::kChannel);
  auto unknown = parse_config(std::string(kLlamaSmall).substr(0, std::string(kLlamaSmall).size() - 1) +
                              R"(,"quantization_config":{"quant_method":"hqq"}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_quantization_config);
  EXPECT_EQ(unknown->warnings.back().code, "unknown_quantization");
}

// ---- errors: each clear, with a code and the key's path, never a crash ----------------------------

TEST(ConfigErrors, NotJson) {
  const Error e = parse_error("{\"hidden_size\": 4096,");
  EXPECT_EQ(e.code, ErrorCode::kInvalidJson);
  EXPECT_NE(e.message.find("not valid JSON"), std::string::npos);
}

TEST(ConfigErrors, NotAnObject) {
  EXPECT_EQ(parse_error("[1,2,3]").code, ErrorCode::kNotAnObject);
  EXPECT_EQ(parse_error("42").code, ErrorCode::kNotAnObject);
}

TEST(ConfigErrors, MissingHiddenSizeNamesKeyAndPath) {
  const Error e = parse_error(R"({"model_type":"llama","num_hidden_layers":2,"num_attention_heads":4,
    "intermediate_size":128,"vocab_size":100})");
  EXPECT_EQ(e.code, ErrorCode::kMissingKey);
  EXPECT_EQ(e.path, "/hidden_size");
  EXPECT_NE(e.message.find("hidden_size"), std::string::npos);
}

TEST(ConfigErrors, MissingKeyUnderTextConfig) {
  // An unknown wrapper has no class defaults to fall back on: the missing key is named with its path.
  const Error e = parse_error(R"({"model_type":"somevlm","text_config":{"model_type":"somelm","hidden_size":64,
    "num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128}})");
  EXPECT_EQ(e.code, ErrorCode::kMissingKey);
  EXPECT_EQ(e.path, "/text_config/vocab_size");
}

TEST(ConfigErrors, AbsurdLayerCount) {
  const Error e = parse_error(R"({"model_type":"llama","hidden_size":64,"num_hidden_layers":1e12,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidValue);
  EXPECT_EQ(e.path, "/num_hidden_layers");
  EXPECT_NE(e.message.find("out of range"), std::string::npos);
}

TEST(ConfigErrors, NegativeAndWrongTypes) {
  EXPECT_EQ(parse_error(R"({"model_type":"llama","hidden_size":-64,"num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100})").path, "/hidden_size");
  const Error s = parse_error(R"({"model_type":"llama","hidden_size":"4096","num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100})");
  EXPECT_EQ(s.code, ErrorCode::kInvalidValue);
  EXPECT_NE(s.message.find("must be a number"), std::string::npos);
  EXPECT_EQ(parse_error(R"({"model_type":"llama","hidden_size":64.5,"num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100})").code, ErrorCode::kInvalidValue);
}

TEST(ConfigErrors, TinyHiddenSize) {
  EXPECT_EQ(parse_error(R"({"model_type":"llama","hidden_size":3,"num_hidden_layers":2,
    "num_attention_heads":1,"intermediate_size":128,"vocab_size":100})").path, "/hidden_size");
}

TEST(ConfigErrors, HeadsNotDividingHidden) {
  const Error e = parse_error(R"({"model_type":"llama","hidden_size":100,"num_hidden_layers":2,
    "num_attention_heads":3,"intermediate_size":128,"vocab_size":100})");
  EXPECT_EQ(e.code, ErrorCode::kInconsistentConfig);
  EXPECT_NE(e.message.find("not divisible"), std::string::npos);
}

TEST(ConfigErrors, KvHeadsNotDividingHeads) {
  const Error e = parse_error(R"({"model_type":"llama","hidden_size":64,"num_hidden_layers":2,
    "num_attention_heads":4,"num_key_value_heads":3,"intermediate_size":128,"vocab_size":100})");
  EXPECT_EQ(e.code, ErrorCode::kInconsistentConfig);
  EXPECT_EQ(e.path, "/num_key_value_heads");
}

TEST(ConfigErrors, MoeWithZeroExperts) {
  const Error e = parse_error(R"({"model_type":"mixtral","hidden_size":64,"num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100,"num_local_experts":0,"num_experts_per_tok":2})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidValue);
  EXPECT_EQ(e.path, "/num_local_experts");
}

TEST(ConfigErrors, TextConfigNestedTooDeep) {
  EXPECT_EQ(parse_error(R"({"text_config":{"text_config":{"text_config":{"text_config":{"text_config":{}}}}}})").code,
            ErrorCode::kInconsistentConfig);
}

TEST(ConfigErrors, DeepNestingAndHugeInput) {
  EXPECT_EQ(parse_error(std::string(100000, '[') + std::string(100000, ']')).code, ErrorCode::kTooLarge);
  EXPECT_EQ(parse_error("{\"x\":\"" + std::string(kMaxConfigBytes, 'a') + "\"}").code, ErrorCode::kTooLarge);
}

TEST(ConfigErrors, AbsurdProductIsRejected) {
  const Error e = parse_error(R"({"model_type":"mixtral","hidden_size":1000000,"num_hidden_layers":10000,
    "num_attention_heads":1000,"intermediate_size":16000000,"vocab_size":16000000,"num_local_experts":65536,
    "num_experts_per_tok":2})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidValue);
  EXPECT_NE(e.message.find("parameters"), std::string::npos);
}

TEST(ConfigErrors, UnsupportedLayerType) {
  const Error e = parse_error(R"({"model_type":"qwen3_next","hidden_size":64,"num_hidden_layers":2,
    "num_attention_heads":4,"intermediate_size":128,"vocab_size":100,
    "layer_types":["linear_attention","full_attention"]})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupportedArchitecture);
  EXPECT_EQ(e.path, "/layer_types/0");
}

}  // namespace
}  // namespace llmsizer
