// serving.context_curve (the page's charts of concurrency and memory vs context) and the speed figures
// attached to GPU recommendations.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engines/engines.h"
#include "recommend/recommend.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

TEST(ContextCurve, PointsDoubleUpToTheModelMaximumAndIncludeTheRequest) {
  // Llama-3.1-8B: max_position_embeddings 131072 -> 1024, 2048, ..., 131072 (8 points), plus 3000.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 80, 3000, 2);
  const auto curve = context_curve(m, in);
  ASSERT_EQ(curve.size(), 9u);
  EXPECT_EQ(curve.front().context, 1024);
  EXPECT_EQ(curve[2].context, 3000);
  EXPECT_EQ(curve.back().context, 131072);
}

TEST(ContextCurve, GenericPointByHand) {
  // At 1,024 tokens one sequence's KV is 131,072 B x 1,024 = 134,217,728 B; with batch 2 the GPU holds
  // twice that, on top of the same weights (16,094,076,928 B incl. the rope cache).
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 80, 8192, 2);
  const auto curve = context_curve(m, in);
  ASSERT_FALSE(curve.empty());
  EXPECT_EQ(curve[0].kv_cache_bytes_per_sequence, 134217728);
  EXPECT_EQ(curve[0].memory.kv_cache_bytes, 2 * 134217728LL);
  EXPECT_EQ(curve[0].memory.weights_bytes, 16094076928LL);
}

TEST(ContextCurve, LongerContextsServeFewerAndUseMore) {
  for (const char* engine : {"generic", "vllm", "sglang", "llama.cpp"}) {
    const ModelSpec m = test::fixture("qwen2.5-7b.json");
    Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 79.19, 8192, 4);
    in.engine = *engine_from_name(engine);
    const auto curve = context_curve(m, in);
    ASSERT_GE(curve.size(), 5u) << engine;
    for (size_t i = 1; i < curve.size(); ++i) {
      EXPECT_LE(curve[i].max_concurrency, curve[i - 1].max_concurrency) << engine << " at " << curve[i].context;
      EXPECT_GE(curve[i].kv_cache_bytes_per_sequence, curve[i - 1].kv_cache_bytes_per_sequence) << engine;
    }
  }
}

TEST(ContextCurve, InTheResponse) {
  const json r = json::parse(handle_request(R"({"model":"Qwen/Qwen2.5-7B-Instruct","engine":"vllm"})"));
  ASSERT_TRUE(r["ok"].get<bool>());
  const json& c = r["serving"]["context_curve"];
  ASSERT_TRUE(c.is_array());
  // Qwen2.5-7B-Instruct: 32768 max -> 1024..32768 = 6 points; the request's 8192 is one of them.
  EXPECT_EQ(c.size(), 6u);
  EXPECT_EQ(c[3]["context"].get<int64_t>(), 8192);
  // The 8192 point is the request itself: the same concurrency vLLM logs in serving.max_concurrency.
  EXPECT_EQ(c[3]["max_concurrency"].get<double>(), r["serving"]["max_concurrency"].get<double>());
}

TEST(Recommendations, CarryTokensPerSecondFromTheSpeedModel) {
  // Same model, one GPU each: the H100 SXM (3,350 GB/s) decodes faster than the A100 80GB (2,039 GB/s),
  // and a GPU preset without bandwidth data would have none.
  const json r = json::parse(handle_request(
      R"({"model":"meta-llama/Llama-3.1-8B-Instruct","engine":"vllm","recommend":true,"recommend_vendor":"NVIDIA"})"));
  ASSERT_TRUE(r["ok"].get<bool>());
  double h100 = 0, a100 = 0;
  for (const json& x : r["recommendations"]) {
    if (x["gpu"] == "nvidia-h100-sxm") h100 = x["tokens_per_second"].get<double>();
    if (x["gpu"] == "nvidia-a100-sxm4-80gb") a100 = x["tokens_per_second"].get<double>();
    EXPECT_TRUE(x["tokens_per_second"].is_number()) << x["gpu"];
    EXPECT_EQ(x["vendor"], "NVIDIA");
  }
  ASSERT_GT(h100, 0);
  ASSERT_GT(a100, 0);
  EXPECT_GT(h100, a100);
  // The ratio follows the bandwidth ratio (1.64x) within the per-step overheads: 1.2x..1.7x.
  EXPECT_GT(h100 / a100, 1.2);
  EXPECT_LT(h100 / a100, 1.7);
}

}  // namespace
}  // namespace llmsizer
