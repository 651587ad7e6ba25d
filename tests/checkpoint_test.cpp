// Commands load what was estimated (issue 17): a format the engine cannot make from a 16-bit checkpoint on load
// names a converted checkpoint and says so; formats it can make carry the engine's own on-load flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json run(const std::string& engine, const std::string& dtype, const std::string& model_id = "") {
  json req = {{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))},
              {"gpu", "nvidia-h100-sxm"},
              {"engine", engine},
              {"dtype", dtype},
              {"context", 4096}};
  if (!model_id.empty()) req["model_id"] = model_id;
  return json::parse(handle_request(req.dump()));
}

bool has_warning(const json& r, const std::string& code) {
  for (const json& w : r["warnings"]) {
    if (w["code"] == code) return true;
  }
  return false;
}

std::string command(const json& r) { return r["serving"]["launch_command"].get<std::string>(); }

TEST(Checkpoint, VllmInt4OnA16BitCheckpointNamesAnAwqConversion) {
  const json r = run("vllm", "int4", "meta-llama/Llama-3.1-8B-Instruct");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["precision"]["weights_method"], "awq");
  EXPECT_EQ(command(r).rfind("vllm serve meta-llama/Llama-3.1-8B-Instruct-AWQ ", 0), 0u) << command(r);
  EXPECT_TRUE(has_warning(r, "quantised_checkpoint_needed"));
}

TEST(Checkpoint, VllmFp8AndNf4QuantiseOnLoadWithTheirFlag) {
  const json fp8 = run("vllm", "fp8", "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_NE(command(fp8).find("vllm serve meta-llama/Llama-3.1-8B-Instruct --"), std::string::npos);
  EXPECT_NE(command(fp8).find("--quantization fp8"), std::string::npos);
  EXPECT_FALSE(has_warning(fp8, "quantised_checkpoint_needed"));
  const json nf4 = run("vllm", "nf4", "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_NE(command(nf4).find("--quantization bitsandbytes"), std::string::npos);
  EXPECT_FALSE(has_warning(nf4, "quantised_checkpoint_needed"));
}

TEST(Checkpoint, SglangInt8AndNf4NeedConvertedCheckpoints) {
  const json i8 = run("sglang", "int8", "org/m");
  EXPECT_NE(command(i8).find("--model-path org/m-quantized.w8a8 "), std::string::npos) << command(i8);
  EXPECT_TRUE(has_warning(i8, "quantised_checkpoint_needed"));
  const json nf4 = run("sglang", "nf4", "org/m");
  EXPECT_NE(command(nf4).find("--model-path org/m-bnb-4bit "), std::string::npos) << command(nf4);
}

TEST(Checkpoint, TransformersQuantisesWithBitsandbytesOnLoad) {
  const json nf4 = run("transformers", "nf4", "org/m");
  EXPECT_NE(command(nf4).find("from_pretrained('org/m'"), std::string::npos);
  EXPECT_NE(command(nf4).find("BitsAndBytesConfig(load_in_4bit=True"), std::string::npos);
  EXPECT_FALSE(has_warning(nf4, "quantised_checkpoint_needed"));
  const json i8 = run("transformers", "int8", "org/m");
  EXPECT_NE(command(i8).find("BitsAndBytesConfig(load_in_8bit=True)"), std::string::npos);
  const json awq = run("transformers", "int4", "org/m");
  EXPECT_NE(command(awq).find("from_pretrained('org/m-AWQ'"), std::string::npos) << command(awq);
}

TEST(Checkpoint, WithoutAModelIdTheCommandSaysWhatToPutThere) {
  const json r = run("vllm", "int4");
  EXPECT_EQ(command(r).rfind("vllm serve <AWQ int4 checkpoint of the model> ", 0), 0u) << command(r);
}

TEST(Checkpoint, A16BitServeOrAQuantisedCheckpointNeedsNothing) {
  EXPECT_FALSE(has_warning(run("vllm", "bf16", "org/m"), "quantised_checkpoint_needed"));
  // An AWQ checkpoint (quantization_config present) loads as it is.
  json cfg = json::parse(test::fixture_text("llama-3.1-8b.json"));
  cfg["quantization_config"] = {{"quant_method", "awq"}, {"bits", 4}, {"group_size", 128}, {"zero_point", true}};
  const json r = json::parse(handle_request(
      json{{"config", cfg}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"}, {"model_id", "org/m-AWQ"}}.dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(command(r).rfind("vllm serve org/m-AWQ ", 0), 0u);
  EXPECT_FALSE(has_warning(r, "quantised_checkpoint_needed"));
}

TEST(Checkpoint, TheRotaryBufferInWeightsIsSaid) {
  // Llama 3.1 8B: max_position_embeddings 131,072 x rotary_dim 128 x 2 bytes (bf16) = 33,554,432 B = 32.0 MiB.
  const json r = run("vllm", "auto", "org/m");
  bool said = false;
  for (const json& a : r["assumptions"]) {
    if (a.get<std::string>().find("131,072 x rotary_dim 128 x 2 bytes = 32.0 MiB") != std::string::npos) said = true;
  }
  EXPECT_TRUE(said) << r["assumptions"].dump();
}

TEST(Checkpoint, ConcurrencyInWholeSequences) {
  // vLLM logs KV tokens / max_model_len with two decimals ("Maximum concurrency for 4,096 tokens per request:
  // 123.45x"); the whole part is what runs at once: kv_cache_tokens / 4,096, rounded down.
  const json r = run("vllm", "auto", "org/m");
  const int64_t tokens = r["serving"]["kv_cache_tokens"].get<int64_t>();
  EXPECT_GT(tokens % 4096, 0);  // a fractional concurrency, so the floor matters
  EXPECT_EQ(r["serving"]["max_concurrent_sequences"].get<int64_t>(), tokens / 4096);
  EXPECT_NEAR(r["serving"]["max_concurrency"].get<double>(), tokens / 4096.0, 0.006);
}

}  // namespace
}  // namespace llmsizer
