// The JSON API: request parsing, resolution (defaults, layouts, precision), response shape, errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json run(const json& request) { return json::parse(handle_request(request.dump())); }

json llama8b() { return json::parse(test::fixture_text("llama-3.1-8b.json")); }

TEST(Api, OkResponseHasTheContractSections) {
  const json r = run({{"config", llama8b()}, {"gpu", "nvidia-h100-sxm"}, {"context", 8192}, {"batch", 4}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  for (const char* k : {"model", "memory", "serving", "precision", "layout", "workload", "warnings"}) {
    EXPECT_TRUE(r.contains(k)) << k;
  }
  EXPECT_EQ(r["model"]["parameters"].get<int64_t>(), 8030261248);
  EXPECT_EQ(r["model"]["active_parameters"].get<int64_t>(), 8030261248);
  EXPECT_EQ(r["model"]["attention"].get<std::string>(), "GQA");
  EXPECT_EQ(r["memory"]["kv_cache_bytes_per_token"].get<int64_t>(), 131072);
  EXPECT_EQ(r["memory"]["kv_cache_bytes"].get<int64_t>(), 131072LL * 8192 * 4);
  const json& m = r["memory"];
  EXPECT_EQ(m["total_bytes"].get<int64_t>(), m["weights_bytes"].get<int64_t>() + m["kv_cache_bytes"].get<int64_t>() +
                                                 m["activations_bytes"].get<int64_t>() +
                                                 m["overhead_bytes"].get<int64_t>());
  EXPECT_TRUE(r["serving"]["fits"].get<bool>());
  EXPECT_EQ(r["serving"]["gpus_needed"].get<int64_t>(), 1);
  EXPECT_GT(r["serving"]["max_concurrency"].get<int64_t>(), 4);
}

TEST(Api, ConfigAsTextOrObjectIsTheSame) {
  const json a = run({{"config", llama8b()}});
  const json b = run({{"config", llama8b().dump()}});
  EXPECT_EQ(a, b);
}

TEST(Api, PresetModel) {
  const json r = run({{"model", "meta-llama/Llama-2-7b-hf"}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["model"]["parameters"].get<int64_t>(), 6738415616);
  EXPECT_EQ(r["model"]["id"].get<std::string>(), "meta-llama/Llama-2-7b-hf");
}

TEST(Api, AutoDtypeFollowsTheConfig) {
  // torch_dtype float16 -> fp16 weights and KV.
  const json r = run({{"config", json::parse(test::fixture_text("llama-2-7b.json"))}});
  EXPECT_EQ(r["precision"]["weights"].get<std::string>(), "fp16");
  EXPECT_EQ(r["precision"]["kv_cache"].get<std::string>(), "fp16");
  // float32 checkpoints serve in bf16, and say so.
  const json g = run({{"config", json::parse(test::fixture_text("gemma-2-9b.json"))}});
  EXPECT_EQ(g["precision"]["weights"].get<std::string>(), "bf16");
  EXPECT_NE(g["assumptions"].dump().find("float32"), std::string::npos);
}

TEST(Api, DefaultContextIsMaxPositionCapped) {
  const json r = run({{"config", llama8b()}});
  EXPECT_EQ(r["workload"]["context"].get<int64_t>(), 8192);
  const json g = run({{"model", "openai-community/gpt2"}});
  EXPECT_EQ(g["workload"]["context"].get<int64_t>(), 1024);
}

TEST(Api, SafetensorsCountsDriveWeights) {
  const json r = run({{"config", llama8b()}, {"safetensors", {{"BF16", 8030261248LL}}}});
  EXPECT_EQ(r["model"]["parameters_source"].get<std::string>(), "safetensors");
  // 8,030,261,248 x 2 B + the rope cache 33,554,432 B.
  EXPECT_EQ(r["memory"]["weights_bytes"].get<int64_t>(), 16060522496LL + 33554432);
}

TEST(Api, LayoutFromGpusAndTp) {
  const json r = run({{"config", llama8b()}, {"gpus", 4}, {"tp", 2}});
  EXPECT_EQ(r["layout"]["tp"].get<int64_t>(), 2);
  EXPECT_EQ(r["layout"]["dp"].get<int64_t>(), 2);
  const json p = run({{"config", llama8b()}, {"gpus", 4}, {"pp", 2}});
  EXPECT_EQ(p["layout"]["tp"].get<int64_t>(), 2);
  EXPECT_EQ(p["memory"]["per_gpu"].size(), 2u);
}

TEST(Api, WarningsForContextAndTp) {
  const json r = run({{"model", "openai-community/gpt2"}, {"context", 4096}, {"tp", 5}});
  ASSERT_TRUE(r["ok"].get<bool>());
  const std::string w = r["warnings"].dump();
  EXPECT_NE(w.find("context_beyond_max_position"), std::string::npos);
  EXPECT_NE(w.find("tp_not_dividing_heads"), std::string::npos);
}

void expect_error(const json& request, const char* code, const char* path = nullptr) {
  const json r = run(request);
  ASSERT_FALSE(r["ok"].get<bool>()) << request.dump();
  EXPECT_EQ(r["error"]["code"].get<std::string>(), code) << r.dump();
  EXPECT_FALSE(r["error"]["message"].get<std::string>().empty());
  if (path) EXPECT_EQ(r["error"]["path"].get<std::string>(), path);
}

TEST(ApiErrors, Requests) {
  expect_error({{"config", llama8b()}, {"contxt", 10}}, "invalid_request", "/contxt");
  expect_error({{"config", llama8b()}, {"context", -1}}, "invalid_request", "/context");
  expect_error({{"config", llama8b()}, {"context", 1e12}}, "invalid_request", "/context");
  expect_error({{"config", llama8b()}, {"batch", "ten"}}, "invalid_request", "/batch");
  expect_error({{"config", llama8b()}, {"reserve", 1.5}}, "invalid_request", "/reserve");
  expect_error({{"config", llama8b()}, {"gpu", "nvidia-h1000"}}, "unknown_gpu", "/gpu");
  expect_error({{"config", llama8b()}, {"dtype", "int3"}}, "invalid_request", "/dtype");
  expect_error({{"config", llama8b()}, {"kv_dtype", "q9"}}, "invalid_request", "/kv_dtype");
  expect_error({{"config", llama8b()}, {"gpus", 3}, {"tp", 2}}, "conflicting_options");
  expect_error({{"config", llama8b()}, {"pp", 64}}, "conflicting_options");
  expect_error({{"model", "nobody/nothing"}}, "unknown_model", "/model");
  expect_error(json::object(), "invalid_request");
  expect_error({{"config", 42}}, "invalid_request", "/config");
  expect_error({{"config", "{not json"}}, "invalid_json");
  expect_error({{"config", llama8b()}, {"safetensors", {{"Q3", 5}}}}, "invalid_request");
}

TEST(ApiErrors, NotJsonNotObject) {
  EXPECT_EQ(json::parse(handle_request("nope"))["error"]["code"].get<std::string>(), "invalid_json");
  EXPECT_EQ(json::parse(handle_request("[]"))["error"]["code"].get<std::string>(), "not_an_object");
  EXPECT_EQ(json::parse(handle_request(""))["error"]["code"].get<std::string>(), "invalid_json");
}

TEST(Api, FieldTableDrivesTheCli) {
  bool found = false;
  for (const FieldInfo& f : request_fields()) {
    if (f.key == "gpu_memory_utilization") found = f.kind == FieldKind::kNumber;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace llmsizer
