// The catalogue (llmsizer::catalog_json): the request fields the page takes its defaults, limits and list of
// controls from. Their defaults must be Request{}'s (llmsizer/request.h), which these tests check two ways: value
// by value, and by behaviour (sending a field's default changes no byte of the answer).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmsizer/api.h"
#include "llmsizer/gpu.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json catalog() { return json::parse(catalog_json(builtin_catalog())); }

TEST(CatalogFields, EveryRequestFieldWithItsKindLimitsAndHelp) {
  const json c = catalog();
  ASSERT_TRUE(c["fields"].is_array());
  const std::vector<FieldInfo> fields = request_fields();
  ASSERT_EQ(c["fields"].size(), fields.size());
  const char* kinds[] = {"int", "number", "string", "bool", "object"};  // FieldKind order
  for (size_t i = 0; i < fields.size(); ++i) {
    const json& f = c["fields"][i];
    EXPECT_EQ(f["key"].get<std::string>(), fields[i].key);  // same keys, same (help) order as the CLI's
    EXPECT_EQ(f["kind"].get<std::string>(), kinds[static_cast<int>(fields[i].kind)]) << fields[i].key;
    EXPECT_EQ(f["help"].get<std::string>(), fields[i].help);
    const std::string kind = f["kind"].get<std::string>();
    if (kind == "int" || kind == "number") {
      ASSERT_TRUE(f["min"].is_number() && f["max"].is_number()) << f.dump();
      EXPECT_LE(f["min"].get<double>(), f["default"].get<double>()) << f.dump();  // the default is accepted
      EXPECT_GE(f["max"].get<double>(), f["default"].get<double>()) << f.dump();
      if (kind == "int") EXPECT_TRUE(f["default"].is_number_integer()) << f.dump();
    } else {
      EXPECT_FALSE(f.contains("min")) << f.dump();
    }
    if (kind == "string") EXPECT_LE(f["default"].get<std::string>().size(), f["max_length"].get<size_t>());
    if (kind == "bool") EXPECT_TRUE(f["default"].is_boolean()) << f.dump();
    if (kind == "object") EXPECT_TRUE(f["default"].is_null()) << f.dump();
  }
}

TEST(CatalogFields, LimitsAreTheOnesTheParserApplies) {
  // A few limits read by hand from core/src/api/request.cpp's table, and what the parser says beyond them.
  const json c = catalog();
  json by_key;
  for (const json& f : c["fields"]) by_key[f["key"].get<std::string>()] = f;
  EXPECT_EQ(by_key["batch"]["min"], 1);
  EXPECT_EQ(by_key["batch"]["max"], 1000000);
  EXPECT_EQ(by_key["context"]["max"], 100000000);  // kMaxTokens
  EXPECT_EQ(by_key["gpu_memory_utilization"]["min"], 0.01);
  EXPECT_EQ(by_key["reserve"]["max"], 0.9);
  EXPECT_EQ(by_key["zero"]["max"], 3);
  EXPECT_EQ(by_key["model"]["max_length"], 256);
  const json r = json::parse(handle_request(R"({"model": "openai-community/gpt2", "zero": 4})"));
  EXPECT_EQ(r["error"]["message"], "'zero' = 4 is out of range (0..3)");
}

TEST(CatalogFields, DefaultsAreRequestsDefaults) {
  const Request d;
  const std::vector<std::pair<std::string, json>> expected = {
      {"config", json(nullptr)},
      {"model", json(d.model)},
      {"model_id", json(d.model_id)},
      {"revision", json(d.revision)},
      {"safetensors", json(nullptr)},
      {"include_mtp", json(d.include_mtp)},
      {"gpu", json(d.gpu)},
      {"gpu_memory_gib", json(d.gpu_memory_gib)},
      {"gpus", json(d.gpus)},
      {"tp", json(d.tp)},
      {"pp", json(d.pp)},
      {"dtype", json(d.dtype)},
      {"kv_dtype", json(d.kv_dtype)},
      {"context", json(d.context)},
      {"batch", json(d.batch)},
      {"reserve", json(d.reserve)},
      {"overhead_gib", json(d.overhead_gib)},
      {"max_batched_tokens", json(d.max_batched_tokens)},
      {"input_tokens", json(d.input_tokens)},
      {"output_tokens", json(d.output_tokens)},
      {"images", json(d.images)},
      {"image_size", json(d.image_size)},
      {"engine", json(d.engine)},
      {"gpu_memory_utilization", json(d.gpu_memory_utilization)},
      {"limit_mm_per_prompt", json(d.limit_mm_per_prompt)},
      {"max_model_len", json(d.max_model_len)},
      {"max_num_batched_tokens", json(d.max_num_batched_tokens)},
      {"max_num_seqs", json(d.max_num_seqs)},
      {"block_size", json(d.block_size)},
      {"enforce_eager", json(d.enforce_eager)},
      {"mem_fraction_static", json(d.mem_fraction_static)},
      {"ctx_size", json(d.ctx_size)},
      {"np", json(d.np)},
      {"ngl", json(d.ngl)},
      {"n_cpu_moe", json(d.n_cpu_moe)},
      {"override_tensor", json(d.override_tensor)},
      {"ctk", json(d.ctk)},
      {"ctv", json(d.ctv)},
      {"ubatch", json(d.ubatch)},
      {"n_batch", json(d.n_batch)},
      {"flash_attn", json(d.flash_attn)},
      {"swa_full", json(d.swa_full)},
      {"kv_unified", json(d.kv_unified)},
      {"gguf", json(nullptr)},
      {"gguf_mmproj", json(nullptr)},
      {"vllm_version", json(d.vllm_version)},
      {"vllm_offline", json(d.vllm_offline)},
      {"vllm_estimate_cudagraphs", json(d.vllm_estimate_cudagraphs)},
      {"vllm_v0", json(d.vllm_v0)},
      {"kv_cache_memory_bytes", json(d.kv_cache_memory_bytes)},
      {"cpu_offload_gb", json(d.cpu_offload_gb)},
      {"transformers_version", json(d.transformers_version)},
      {"attention_implementation", json(d.attention_implementation)},
      {"recommend", json(d.recommend)},
      {"recommend_vendor", json(d.recommend_vendor)},
      {"recommend_market", json(d.recommend_market)},
      {"recommend_min_memory_gib", json(d.recommend_min_memory_gib)},
      {"recommend_max_gpus", json(d.recommend_max_gpus)},
      {"target_tpot_ms", json(d.target_tpot_ms)},
      {"target_ttft_ms", json(d.target_ttft_ms)},
      {"gpu_hour_usd", json(d.gpu_hour_usd)},
      {"mode", json(d.mode)},
      {"bandwidth_efficiency", json(d.bandwidth_efficiency)},
      {"prefill_efficiency", json(d.prefill_efficiency)},
      {"host_memory_bandwidth_gbps", json(d.host_memory_bandwidth_gbps)},
      {"optimizer", json(d.optimizer)},
      {"training_precision", json(d.training_precision)},
      {"micro_batch", json(d.micro_batch)},
      {"seq_len", json(d.seq_len)},
      {"gradient_checkpointing", json(d.gradient_checkpointing)},
      {"training_attention", json(d.training_attention)},
      {"lora_rank", json(d.lora_rank)},
      {"lora_targets", json(d.lora_targets)},
      {"lora_dropout", json(d.lora_dropout)},
      {"zero", json(d.zero)},
      {"offload_optimizer", json(d.offload_optimizer)},
      {"dataset_tokens", json(d.dataset_tokens)},
      {"training_mfu", json(d.training_mfu)},
      {"training_reserve", json(d.training_reserve)},
      {"optimizer_impl", json(d.optimizer_impl)},
  };
  const json c = catalog();
  json by_key;
  for (const json& f : c["fields"]) by_key[f["key"].get<std::string>()] = f["default"];
  ASSERT_EQ(by_key.size(), expected.size());
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(by_key.contains(key)) << key;
    if (value.is_number()) {
      EXPECT_EQ(by_key[key].get<double>(), value.get<double>()) << key;
    } else {
      EXPECT_EQ(by_key[key], value) << key;
    }
  }
  // Hand-checked against request.h: the defaults the page shows.
  EXPECT_EQ(by_key["batch"], 1);
  EXPECT_EQ(by_key["reserve"], 0.2);
  EXPECT_EQ(by_key["engine"], "generic");
  EXPECT_EQ(by_key["gpu_memory_utilization"], 0.9);
  EXPECT_EQ(by_key["block_size"], 16);
  EXPECT_EQ(by_key["ngl"], -1);
  EXPECT_EQ(by_key["flash_attn"], true);
  EXPECT_EQ(by_key["vllm_version"], "0.19");
  EXPECT_EQ(by_key["recommend_max_gpus"], 64);
  EXPECT_EQ(by_key["training_mfu"], 0);  // 0 = the calibrated step-time model
}

TEST(CatalogFields, SendingADefaultChangesNothing) {
  // Behaviour, not just values: each default sent explicitly gives the very answer its absence gives.
  const std::string base = R"({"model": "meta-llama/Llama-3.1-8B-Instruct")";
  const std::string plain = handle_request(base + "}");
  ASSERT_NE(plain.find("\"ok\":true"), std::string::npos) << plain.substr(0, 200);
  size_t checked = 0;
  const json c = catalog();
  for (const json& f : c["fields"]) {
    const std::string key = f["key"].get<std::string>();
    if (f["default"].is_null() || key == "model") continue;
    EXPECT_EQ(handle_request(base + ", \"" + key + "\": " + f["default"].dump() + "}"), plain) << key;
    ++checked;
  }
  EXPECT_GT(checked, 55u);
}

}  // namespace
}  // namespace llmsizer
