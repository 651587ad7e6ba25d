// Recommendations as deployments (issue 16): only hardware the engine runs on, node-shaped layouts, the
// concurrency at a latency target, the cost per million tokens and one launch command per node.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmsizer/api.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json run(const json& request) { return json::parse(handle_request(request.dump())); }

/// The catalogue's GPUs by id (their node shape).
std::map<std::string, json> gpus_by_id() {
  std::map<std::string, json> out;
  const json catalog = json::parse(catalog_json(builtin_catalog()));
  for (const json& g : catalog["gpus"]) out[g["id"].get<std::string>()] = g;
  return out;
}

json r1_vllm() {
  return run({{"model", "deepseek-ai/DeepSeek-R1"},
              {"engine", "vllm"},
              {"context", 16384},
              {"batch", 8},
              {"recommend", true}});
}

TEST(Deployments, R1OnVllmRecommendsNoAppleMachineAndSaysWhy) {
  // The case: "8 x M3 Max (TP 8)" and "6 x M2 Ultra" for DeepSeek-R1 on vLLM. vLLM does not run on Apple
  // GPUs (presets/engine_support.json's Apple row), so every Apple preset is excluded with that reason.
  const json r = r1_vllm();
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  ASSERT_FALSE(r["recommendations"].empty());
  for (const json& x : r["recommendations"]) EXPECT_NE(x["vendor"], "Apple") << x["gpu"];
  int apple = 0;
  for (const json& x : r["recommendations_excluded"]) {
    const std::string id = x["gpu"].get<std::string>();
    if (id.rfind("apple-", 0) != 0) continue;
    ++apple;
    EXPECT_NE(x["reason"].get<std::string>().find("Apple Silicon"), std::string::npos) << x["reason"];
  }
  EXPECT_EQ(apple, 3);  // M2 Ultra, M4 Max, M3 Max
  // vLLM needs compute capability 7.0: no Pascal-or-older preset exists, so the NVIDIA presets that stay out do
  // for size alone (R1's 671 B fp8 weights are ~640 GiB; 64 x 16 GiB cards cannot hold them with KV).
  for (const json& x : r["recommendations_excluded"]) {
    if (x["gpu"].get<std::string>().rfind("nvidia-", 0) != 0) continue;
    EXPECT_NE(x["reason"].get<std::string>().find("recommend_max_gpus"), std::string::npos) << x.dump();
  }
}

TEST(Deployments, TensorParallelNeverCrossesANode) {
  // TP stays inside a node, or inside a scale-up domain that spans hosts (GB200 NVL72, TPU slices); a multi-node
  // layout's replica fills whole nodes; nodes = GPUs / GPUs per node rounded up.
  const auto gpus = gpus_by_id();
  const std::vector<json> responses{r1_vllm(), run({{"model", "meta-llama/Llama-3.1-70B-Instruct"},
                                                    {"engine", "sglang"},
                                                    {"context", 32768},
                                                    {"batch", 64},
                                                    {"recommend", true}})};
  for (const json& r : responses) {
    ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
    for (const json& x : r["recommendations"]) {
      ASSERT_EQ(gpus.count(x["gpu"].get<std::string>()), 1u) << x["gpu"];
      const json& g = gpus.at(x["gpu"].get<std::string>());
      const int64_t per_node = g["gpus_per_node"].get<int64_t>();
      const int64_t domain = g["scale_up_domain"].get<int64_t>();
      const int64_t tp = x["tp"].get<int64_t>(), pp = x["pp"].get<int64_t>(), dp = x["dp"].get<int64_t>();
      EXPECT_EQ(x["gpus_per_node"].get<int64_t>(), per_node);
      EXPECT_EQ(tp * pp * dp, x["count"].get<int64_t>());
      if (tp > per_node) {
        EXPECT_LE(tp, domain) << x.dump();
      } else {
        EXPECT_EQ(per_node % tp, 0) << x.dump();  // TP groups tile the node
      }
      const int64_t nodes = x["nodes"].get<int64_t>();
      EXPECT_GE(nodes * per_node, x["count"].get<int64_t>()) << x.dump();
      if (nodes > 1 && tp * pp > per_node) EXPECT_EQ((tp * pp) % per_node, 0) << x.dump();
      EXPECT_EQ(x["launch_commands"].size(), static_cast<size_t>(nodes)) << x.dump();
    }
  }
}

TEST(Deployments, R1OnH100IsTwoEightGpuNodesWithOneCommandEach) {
  // R1 (671 B, fp8 blocks: ~642 GiB of weights) on 80 GB H100s: 8 hold 8 x 79.19 x 0.9 = 570 GiB, too little;
  // the next node-shaped layout is two HGX nodes, TP 8 inside each, PP 2 across (vLLM's parallelism guide).
  const json r = r1_vllm();
  ASSERT_TRUE(r["ok"].get<bool>());
  json h100;
  for (const json& x : r["recommendations"]) {
    if (x["gpu"] == "nvidia-h100-sxm") h100 = x;
  }
  ASSERT_FALSE(h100.is_null());
  EXPECT_EQ(h100["count"].get<int64_t>(), 16);
  EXPECT_EQ(h100["nodes"].get<int64_t>(), 2);
  EXPECT_EQ(h100["tp"].get<int64_t>(), 8);
  EXPECT_EQ(h100["pp"].get<int64_t>(), 2);
  EXPECT_EQ(h100["tp_link"], "nvlink");
  EXPECT_EQ(h100["pp_link"], "infiniband");
  const json& c = h100["launch_commands"];
  ASSERT_EQ(c.size(), 2u);
  const std::string head = c[0]["command"].get<std::string>();
  const std::string worker = c[1]["command"].get<std::string>();
  EXPECT_EQ(head.rfind("vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 --pipeline-parallel-size 2 "
                       "--nnodes 2 --node-rank 0 --master-addr <HEAD_NODE_IP>",
                       0),
            0u)
      << head;
  EXPECT_NE(worker.find("--node-rank 1 --master-addr <HEAD_NODE_IP> --headless"), std::string::npos) << worker;
  EXPECT_NE(head.find("--max-model-len"), std::string::npos);  // the engine's own flags follow
}

TEST(Deployments, LatencyTargetIsMetAtTheReportedConcurrencyAndNotAboveIt) {
  // For each recommendation the core reports the largest concurrency whose TPOT is at most 30 ms. Check it against
  // the speed estimate of that very deployment at that concurrency and one more (batch = concurrency).
  const double target_ms = 30;
  const json r = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"},
                      {"engine", "vllm"},
                      {"context", 4096},
                      {"recommend", true},
                      {"recommend_vendor", "NVIDIA"},
                      {"recommend_market", "datacenter"},
                      {"target_tpot_ms", target_ms}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  int checked = 0;
  for (const json& x : r["recommendations"]) {
    if (checked == 3) break;
    ASSERT_TRUE(x.contains("concurrency_at_target")) << x.dump();
    const int64_t c = x["concurrency_at_target"].get<int64_t>();
    if (c < 1) continue;
    const double tpot = x["tpot_seconds_at_target"].get<double>();
    EXPECT_LE(tpot * 1e3, target_ms) << x["gpu"];
    auto at = [&](int64_t batch) {
      return run({{"model", "meta-llama/Llama-3.1-8B-Instruct"},
                  {"engine", "vllm"},
                  {"context", 4096},
                  {"gpu", x["gpu"]},
                  {"tp", x["tp"]},
                  {"pp", x["pp"]},
                  {"gpus", x["count"]},
                  {"batch", batch}});
    };
    const json here = at(c);
    ASSERT_TRUE(here["ok"].get<bool>()) << here.dump();
    EXPECT_NEAR(here["speed"]["tpot_seconds"].get<double>(), tpot, 1e-9 + tpot * 1e-6) << x["gpu"];
    if (c < static_cast<int64_t>(x["max_concurrency"].get<double>())) {
      const json above = at(c + 1);
      EXPECT_GT(above["speed"]["tpot_seconds"].get<double>() * 1e3, target_ms) << x["gpu"];
    }
    // Ranked by throughput at the target: what the per-GPU figure is.
    EXPECT_NEAR(x["throughput_tokens_per_second_per_gpu"].get<double>(),
                x["throughput_tokens_per_second_at_target"].get<double>() / x["count"].get<double>(), 1e-6);
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(Deployments, TheFirstThreeCarryTheirPerGpuVsPerUserCurve) {
  // Points at 1, 2, 4, ... users up to the KV-cache limit; per GPU = the deployment's throughput / its GPUs, and the
  // point at the request's batch is the recommendation's own throughput.
  const json r = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"engine", "vllm"}, {"batch", 4},
                      {"recommend", true}, {"recommend_vendor", "NVIDIA"}});
  ASSERT_TRUE(r["ok"].get<bool>());
  const json& recs = r["recommendations"];
  for (size_t i = 0; i < recs.size(); ++i) {
    const json& x = recs[i];
    if (i >= 3) {
      EXPECT_FALSE(x.contains("curve")) << i;
      continue;
    }
    const json& c = x["curve"];
    ASSERT_GE(c.size(), 3u) << x["gpu"];
    EXPECT_EQ(c[0]["concurrency"].get<int64_t>(), 1);
    EXPECT_EQ(c[2]["concurrency"].get<int64_t>(), 4);
    EXPECT_EQ(c.back()["concurrency"].get<int64_t>(), static_cast<int64_t>(x["max_concurrency"].get<double>()));
    EXPECT_NEAR(c[2]["tokens_per_second_per_gpu"].get<double>(), x["throughput_tokens_per_second_per_gpu"].get<double>(),
                1e-6);
    EXPECT_NEAR(c[2]["tokens_per_second_per_user"].get<double>(), x["tokens_per_second"].get<double>(), 1e-6);
    // More users: more tokens/s per GPU, fewer per user.
    EXPECT_GT(c.back()["tokens_per_second_per_gpu"].get<double>(), c[0]["tokens_per_second_per_gpu"].get<double>());
    EXPECT_LT(c.back()["tokens_per_second_per_user"].get<double>(), c[0]["tokens_per_second_per_user"].get<double>());
  }
}

TEST(Deployments, UnreachableTargetSaysWhy) {
  // 0.01 ms per output token: no GPU decodes an 8 B model that fast (it reads ~16 GB of weights per step).
  const json r = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"},
                      {"engine", "vllm"},
                      {"recommend", true},
                      {"recommend_vendor", "NVIDIA"},
                      {"target_tpot_ms", 0.01}});
  ASSERT_TRUE(r["ok"].get<bool>());
  const json& x = r["recommendations"][0];
  EXPECT_EQ(x["concurrency_at_target"].get<int64_t>(), 0);
  EXPECT_TRUE(x["tpot_seconds_at_target"].is_null());
  EXPECT_NE(x["target_note"].get<std::string>().find("above the 0.01 ms target"), std::string::npos) << x.dump();
}

TEST(Deployments, CostPerMillionOutputTokens) {
  // $2.50 per GPU-hour. The price of the deployment's hour over the tokens it makes in that hour:
  // cost per million = 2.50 x GPUs / (throughput x 3600) x 10^6; per month x 730 h.
  // By hand for one GPU at 1,000 tok/s: 2.50 / 3.6e6 x 1e6 = $0.6944 per million tokens, $1,825 a month.
  const json r = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"},
                      {"engine", "vllm"},
                      {"batch", 32},
                      {"recommend", true},
                      {"recommend_vendor", "NVIDIA"},
                      {"gpu_hour_usd", 2.5}});
  ASSERT_TRUE(r["ok"].get<bool>());
  int checked = 0;
  for (const json& x : r["recommendations"]) {
    if (!x["throughput_tokens_per_second"].is_number()) continue;
    const double gpus = x["count"].get<double>();
    const double tps = x["throughput_tokens_per_second"].get<double>();
    EXPECT_NEAR(x["cost_per_million_output_tokens_usd"].get<double>(), 2.5 * gpus / (tps * 3600) * 1e6,
                1e-6 * x["cost_per_million_output_tokens_usd"].get<double>());
    EXPECT_NEAR(x["cost_per_hour_usd"].get<double>(), 2.5 * gpus, 1e-9);
    EXPECT_NEAR(x["cost_per_month_usd"].get<double>(), 2.5 * gpus * 730, 1e-6);
    ++checked;
  }
  EXPECT_GT(checked, 5);
  // No price, no cost fields (no bundled prices).
  const json none = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"engine", "vllm"}, {"recommend", true}});
  EXPECT_FALSE(none["recommendations"][0].contains("cost_per_million_output_tokens_usd"));
}

TEST(Deployments, TransformersStaysOnOneMachine) {
  // transformers' generate() runs in one process (engine_support.json "engines": multi_node false): a 70 B model
  // in bf16 (~131 GiB) fits one node of 80 GB GPUs but no GPU whose node holds less is recommended.
  const json r = run({{"model", "meta-llama/Llama-3.1-70B-Instruct"},
                      {"engine", "transformers"},
                      {"context", 4096},
                      {"recommend", true}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  ASSERT_FALSE(r["recommendations"].empty());
  for (const json& x : r["recommendations"]) {
    EXPECT_EQ(x["nodes"].get<int64_t>(), 1) << x.dump();
    EXPECT_EQ(x["tp"].get<int64_t>(), 1) << x.dump();  // layers split over the GPUs (device_map="auto")
  }
}

TEST(Deployments, SpeedPricesTensorParallelOverTheRealLink) {
  // H100 NVL (presets/gpus.json): NVLink bridges join pairs (scale_up_domain 2, 300 GB/s one way); between pairs
  // the node's PCIe 5.0 (intra_node_gbps 64). TP 2 all-reduces over NVLink, TP 4 over PCIe.
  auto link = [](int64_t tp) {
    const json r = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"gpu", "nvidia-h100-nvl"}, {"tp", tp}});
    return r["speed"]["assumptions"];
  };
  EXPECT_EQ(link(2)["interconnect"], "nvlink");
  EXPECT_DOUBLE_EQ(link(2)["interconnect_gbps"].get<double>(), 300);
  EXPECT_EQ(link(4)["interconnect"], "pcie");
  EXPECT_DOUBLE_EQ(link(4)["interconnect_gbps"].get<double>(), 64);
  // PP 2 of TP 8 on H100 SXM spans two HGX nodes: the hand-off crosses InfiniBand, and the notes say so.
  const json r = run({{"model", "meta-llama/Llama-3.1-70B-Instruct"}, {"gpu", "nvidia-h100-sxm"}, {"tp", 8}, {"pp", 2}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  bool said = false;
  for (const json& n : r["speed"]["assumptions"]["notes"]) {
    said = said || n.get<std::string>().find("infiniband scale-out network") != std::string::npos;
  }
  EXPECT_TRUE(said) << r["speed"]["assumptions"].dump();
}

}  // namespace
}  // namespace llmsizer
