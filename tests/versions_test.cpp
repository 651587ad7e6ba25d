// Version-true engines (issue 13): vLLM's version table (V0 and V1, sampler warm-up, CUDA graphs), the KV pool when
// the max_model_len check fails, and transformers' attention implementations. Each rule against the published
// figure or measurement it came from: tests/reference/versions_cases.json (sources in tests/reference/SOURCES.md).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "engines/transformers.h"
#include "engines/vllm.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr double kGiBd = 1073741824.0;

const std::string kReferenceDir = std::string(LLMSIZER_SOURCE_DIR) + "/tests/reference";

json cases() { return json::parse(test::read_text(kReferenceDir + "/versions_cases.json")); }

GpuSpec h100() {
  GpuSpec g = test::gpu_gib(79.19);
  g.id = "nvidia-h100-sxm";
  g.name = "H100 SXM 80GB";
  return g;
}

/// vLLM on one H100 (79.19 GiB), bf16, as the public 0.19 sweep ran it.
Inputs vllm_in(int minor, int64_t len, double util = 0.95) {
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 79.19, len, 1);
  in.gpu = h100();
  in.layout = Layout{1, 1, 1};
  in.engine = EngineId::kVllm;
  in.vllm.gpu_memory_utilization = util;
  in.vllm.max_model_len = len;
  in.vllm.version_minor = minor;
  return in;
}

bool has_warning(const EnginePlan& p, const std::string& code) {
  for (const Warning& w : p.warnings) {
    if (w.code == code) return true;
  }
  return false;
}

// Llama-3.1-8B: hidden 4096, intermediate 14336, vocabulary 128,256, 32 layers x 8 KV heads x 128:
// 131,072 KV bytes per token in bf16.
constexpr double kLogits = 1024.0 * 128256.0;  // max_num_seqs (H100 default) x vocabulary

// ---------------------------------------------------------------------------------------------
// The version table
// ---------------------------------------------------------------------------------------------

TEST(VllmVersions, TableCoversEveryReleaseOnceAndMapsUnknownOnesToTheNearest) {
  const auto& t = vllm::version_table();
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front().from_minor, 4);
  EXPECT_EQ(t.back().to_minor, 19);
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_LE(t[i].from_minor, t[i].to_minor);
    EXPECT_GT(std::string(t[i].source).size(), 10u) << "row " << i << " names its source";
    if (i > 0) EXPECT_EQ(t[i].from_minor, t[i - 1].to_minor + 1) << "no gap, no overlap";
  }
  EXPECT_TRUE(vllm::find_version(0, 6).rule->v0_default);   // 0.4-0.7: V0
  EXPECT_TRUE(vllm::find_version(0, 7).rule->v0_default);
  EXPECT_FALSE(vllm::find_version(0, 8).rule->v0_default);  // 0.8: V1 by default, V0 selectable
  EXPECT_TRUE(vllm::find_version(0, 10).rule->v0_selectable);
  EXPECT_FALSE(vllm::find_version(0, 11).rule->v0_selectable);  // V0 removed in 0.11
  EXPECT_TRUE(vllm::find_version(0, 12).exact);
  const vllm::VersionMatch old = vllm::find_version(0, 3);
  EXPECT_FALSE(old.exact);
  EXPECT_EQ(old.minor, 4);
  const vllm::VersionMatch future = vllm::find_version(0, 25);
  EXPECT_FALSE(future.exact);
  EXPECT_EQ(future.minor, 19);
  EXPECT_EQ(vllm::find_version(1, 0).minor, 19);

  // An unknown version is estimated with the nearest rules and says so.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_in(25, 8192);
  const EnginePlan p = plan_engine(m, in);
  EXPECT_TRUE(has_warning(p, "vllm_version_unknown"));
  EXPECT_EQ(p.engine_rules, "vLLM 0.19 (V1 engine)");
  EXPECT_EQ(p.kv_cache_tokens, plan_engine(m, vllm_in(19, 8192)).kv_cache_tokens);
}

TEST(VllmVersions, Release019MatchesItsPublishedLog) {
  // GT0654 (vLLM 0.19.0, Llama-3.1-8B bf16, H100, util 0.95, max_model_len 8192): activation 1.89 GiB =
  // 8192 x 4096 x 2 (hidden states) + 1024 x 128,256 x (2 + 13) (sampler), KV 476,016 tokens, 58.11x.
  const json row = cases()["vllm_0_19_h100"][2];
  ASSERT_EQ(row["case_id"], "GT0654");
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_in(19, 8192));
  const double act = 8192.0 * 4096 * 2 + kLogits * 15.0;
  EXPECT_EQ(p.per_gpu[0].memory.activations_bytes, static_cast<int64_t>(std::llround(act)));
  EXPECT_NEAR(act / kGiBd, row["activation_peak_GiB_per_gpu"].get<double>(), 0.01);
  EXPECT_NEAR(static_cast<double>(p.kv_cache_tokens) / row["kv_cache_tokens"].get<double>(), 1.0, 0.01);
  EXPECT_NEAR(p.max_concurrency / row["max_concurrency_at_max_model_len"].get<double>(), 1.0, 0.01);
  EXPECT_EQ(p.engine_rules, "vLLM 0.19 (V1 engine)");
}

TEST(VllmVersions, V1Before017PaysMoreForTheSamplerWarmUp) {
  // Published 0.11-0.16 logs: ~38 B per logit (versions_cases.json); from 0.17 ~15 B.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p15 = plan_engine(m, vllm_in(15, 8192));
  const EnginePlan p17 = plan_engine(m, vllm_in(17, 8192));
  const EnginePlan p19 = plan_engine(m, vllm_in(19, 8192));
  // 8192 x 4096 x 2 + 131,334,144 x 38 = 5,057,806,336 B = 4.71 GiB.
  EXPECT_EQ(p15.per_gpu[0].memory.activations_bytes, 5057806336);
  EXPECT_EQ(p17.available_kv_cache_bytes, p19.available_kv_cache_bytes);
  // 131,334,144 logits x 23 B less from 0.17 on.
  EXPECT_EQ(p17.available_kv_cache_bytes - p15.available_kv_cache_bytes, 3020685312);
  EXPECT_EQ(p15.engine_rules, "vLLM 0.15 (V1 engine)");
}

TEST(VllmVersions, NoVersionSubtractsCudaGraphsUnlessAsked) {
  // 0.19 logs a 0.84 GiB estimate, yet KV = 75.23 - 14.99 - 1.89 - 0.25 = 58.10 GiB (logged 58.11): no graph term.
  // The same holds for the V1 releases before it and for V0 (ENGINES.md).
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  for (int minor : {6, 10, 12, 18, 19}) {
    const EnginePlan p = plan_engine(m, vllm_in(minor, 8192));
    const GpuMemory& g = p.per_gpu[0];
    EXPECT_EQ(p.available_kv_cache_bytes,
              g.usable_bytes - g.memory.weights_bytes - g.memory.activations_bytes - g.memory.overhead_bytes)
        << minor;
    EXPECT_LT(g.memory.overhead_bytes, 400 * kMiB) << minor << ": non-torch only";
  }
  Inputs in = vllm_in(19, 8192);
  const int64_t plain = plan_engine(m, in).available_kv_cache_bytes;
  in.vllm.estimate_cudagraphs = true;  // VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1
  const EnginePlan est = plan_engine(m, in);
  EXPECT_EQ(plain - est.available_kv_cache_bytes, 768 * kMiB);
  EXPECT_EQ(est.launch_command.rfind("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 vllm serve", 0), 0u);
  in.vllm.enforce_eager = true;  // no graphs to estimate
  EXPECT_EQ(plan_engine(m, in).available_kv_cache_bytes, plain);
  // V0 has no such variable: nothing subtracted, and a warning.
  in = vllm_in(6, 8192);
  const int64_t v0 = plan_engine(m, in).available_kv_cache_bytes;
  in.vllm.estimate_cudagraphs = true;
  const EnginePlan v0est = plan_engine(m, in);
  EXPECT_EQ(v0est.available_kv_cache_bytes, v0);
  EXPECT_TRUE(has_warning(v0est, "vllm_estimate_cudagraphs_v0"));
}

TEST(VllmVersions, V0ProfilesTheWholeMaxModelLen) {
  // V0 without chunked prefill profiles max(max_model_len, 2048) tokens: (3 x 14336 + 3 x 4096) x 2 = 110,592 B
  // per token (ENGINES.md: ~110 KB per profiled token in published V0 logs of an 8B Llama-shaped model).
  const json fig = cases()["vllm_published_figures"][0];
  ASSERT_NE(fig["value"].get<std::string>().find("110 KB"), std::string::npos);
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_in(6, 8192, 0.9));
  EXPECT_EQ(p.per_gpu[0].memory.activations_bytes, 8192 * 110592);
  EXPECT_EQ(p.per_gpu[0].memory.overhead_bytes, 358 * kMiB);  // 0.35 GiB: "0.3-0.4 GiB" in V0 logs
  EXPECT_EQ(p.engine_rules, "vLLM 0.6 (V0 engine)");
  for (const auto& [k, v] : p.settings) {
    if (k == "max_num_batched_tokens") EXPECT_EQ(v, 8192);
    if (k == "max_num_seqs") EXPECT_EQ(v, 256);
  }
  // Monotone in max_model_len up to 32768 (V1 stays flat); above, chunked prefill (512 tokens in 0.6) caps it
  // and the sampler over 256 x 128,256 logits (14 B each) sets the peak.
  int64_t last = 0;
  for (int64_t len : {4096, 8192, 16384, 32768}) {  // 2048 and 4096: the sampler (459.7 MB) binds
    const int64_t act = plan_engine(m, vllm_in(6, len, 0.9)).per_gpu[0].memory.activations_bytes;
    EXPECT_GT(act, last) << len;
    last = act;
    EXPECT_EQ(plan_engine(m, vllm_in(19, len, 0.9)).per_gpu[0].memory.activations_bytes,
              plan_engine(m, vllm_in(19, 2048, 0.9)).per_gpu[0].memory.activations_bytes);
  }
  EXPECT_EQ(plan_engine(m, vllm_in(6, 65536, 0.9)).per_gpu[0].memory.activations_bytes,
            static_cast<int64_t>(256.0 * 128256.0 * 14.0));
  // V0's concurrency: num_gpu_blocks x block_size / max_model_len; its log lines.
  const double want = static_cast<double>(p.kv_cache_blocks * 16) / 8192.0;
  EXPECT_NEAR(p.max_concurrency, want, 0.006);
  bool profiling_line = false;
  bool blocks_line = false;
  for (const std::string& l : p.startup_log) {
    profiling_line |= l.rfind("Memory profiling results: total_gpu_memory=79.19GiB", 0) == 0;
    blocks_line |= l.rfind("# GPU blocks: " + std::to_string(p.kv_cache_blocks), 0) == 0;
  }
  EXPECT_TRUE(profiling_line);
  EXPECT_TRUE(blocks_line);
  EXPECT_EQ(p.startup_log[0].rfind("Initializing an LLM engine (v0.6) with config: ", 0), 0u);  // V0's wording
  // 0.7-0.10 log the profile in one sentence; 0.11+ "Available KV cache memory".
  const EnginePlan p9 = plan_engine(m, vllm_in(9, 8192, 0.9));
  EXPECT_EQ(p9.startup_log[0].rfind("Initializing a V1 LLM engine (v0.9)", 0), 0u);
  EXPECT_EQ(p9.startup_log[2].rfind("the current vLLM instance can use total_gpu_memory (79.19GiB) x "
                                    "gpu_memory_utilization (0.90) = 71.27GiB; model weights take ",
                                    0),
            0u)
      << p9.startup_log[2];
  EXPECT_EQ(plan_engine(m, vllm_in(12, 8192, 0.9)).startup_log[2].rfind("Available KV cache memory: ", 0), 0u);
}

TEST(VllmVersions, V0IsSelectableFrom08To010Only) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_in(9, 8192, 0.9);
  EXPECT_EQ(plan_engine(m, in).engine_rules, "vLLM 0.9 (V1 engine)");
  in.vllm.use_v0 = true;
  const EnginePlan v0 = plan_engine(m, in);
  EXPECT_EQ(v0.engine_rules, "vLLM 0.9 (V0 engine)");
  EXPECT_EQ(v0.per_gpu[0].memory.activations_bytes, 8192 * 110592);
  EXPECT_NE(v0.launch_command.find("VLLM_USE_V1=0 "), std::string::npos);
  in.vllm.version_minor = 12;
  const EnginePlan v1 = plan_engine(m, in);
  EXPECT_EQ(v1.engine_rules, "vLLM 0.12 (V1 engine)");
  EXPECT_TRUE(has_warning(v1, "vllm_v0_unavailable"));
}

TEST(VllmVersions, A100BatchDefaultsFrom09) {
  // 0.8 (arg_utils.py _set_default_args_v1): every GPU of >= 70 GiB gets 8192 tokens / 1024 sequences; from 0.9
  // A100s keep 2048 / 256 (vLLM PR #17885). V0 (0.6): 256 sequences, max(max_model_len, 2048) tokens.
  GpuSpec a100 = test::gpu_gib(79.15);
  a100.id = "nvidia-a100-sxm4-80gb";
  a100.name = "A100 SXM4 80GB";
  auto settings = [&](int minor) {
    Inputs in = vllm_in(minor, 4096, 0.9);
    in.gpu = a100;
    const vllm::Startup s = vllm::startup(in);
    return std::make_pair(s.max_num_batched_tokens, s.max_num_seqs);
  };
  EXPECT_EQ(settings(8), std::make_pair(int64_t{8192}, int64_t{1024}));
  EXPECT_EQ(settings(9), std::make_pair(int64_t{2048}, int64_t{256}));
  EXPECT_EQ(settings(19), std::make_pair(int64_t{2048}, int64_t{256}));
  EXPECT_EQ(settings(6), std::make_pair(int64_t{4096}, int64_t{256}));
}

// ---------------------------------------------------------------------------------------------
// The KV pool when the max_model_len check fails
// ---------------------------------------------------------------------------------------------

TEST(VllmVersions, PoolIsReportedWhenMaxModelLenDoesNotFit) {
  // util 0.4 of 79.19 GiB = 31.68 GiB; minus weights (~15.0), activation (1.90) and non-torch (0.25) leaves
  // ~14.5 GiB, less than the 16 GiB one 131,072-token request needs (131,072 B per token).
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_in(19, 131072, 0.4));
  EXPECT_FALSE(p.fits);
  ASSERT_FALSE(p.max_model_len_failure.empty());
  EXPECT_EQ(p.failure, p.max_model_len_failure);
  EXPECT_EQ(p.kv_cache_tokens, p.kv_cache_blocks * 16);
  EXPECT_GT(p.kv_cache_tokens, 100000);
  EXPECT_GT(p.max_concurrency, 0.5);
  EXPECT_LT(p.max_concurrency, 1.0);
  // vLLM's binary search: the largest length whose whole blocks fit: floor(available / (16 x 131,072)) x 16.
  EXPECT_EQ(p.max_model_len_that_fits, p.available_kv_cache_bytes / (16 * 131072) * 16);
  EXPECT_TRUE(has_warning(p, "vllm_max_model_len_too_long"));
  ASSERT_GE(p.startup_log.size(), 3u);
  EXPECT_EQ(p.startup_log.back(), p.failure);
  EXPECT_EQ(p.startup_log[p.startup_log.size() - 3].rfind("GPU KV cache size: ", 0), 0u);
  // V0 words it its own way and has no search: the pool's tokens are the longest length.
  const EnginePlan v0 = plan_engine(m, vllm_in(6, 131072, 0.4));
  EXPECT_EQ(v0.failure.rfind("ValueError: The model's max seq len (131072) is larger than", 0), 0u);
  EXPECT_EQ(v0.max_model_len_that_fits, v0.kv_cache_tokens);
  EXPECT_GT(v0.kv_cache_tokens, 0);
}

// ---------------------------------------------------------------------------------------------
// transformers: attention implementation and version
// ---------------------------------------------------------------------------------------------

/// The generate() peak as the JSON reports it (weights + KV + activations), through the public API.
double hf_peak(const json& config, int64_t input, const char* attention, int64_t output = 16) {
  json req = {{"config", config},        {"engine", "transformers"}, {"gpu", "nvidia-h200-sxm"},
              {"dtype", "bf16"},         {"batch", 1},               {"input_tokens", input},
              {"output_tokens", output}, {"transformers_version", "5.17"}};
  if (attention) req["attention_implementation"] = attention;
  const json r = json::parse(handle_request(req.dump()));
  EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
  const json& mem = r["memory"];
  return mem["weights_bytes"].get<double>() + mem["kv_cache_bytes"].get<double>() +
         mem["activations_bytes"].get<double>();
}

TEST(TransformersAttention, EagerPeakMatchesTheH200Measurements) {
  // validation-gpu-public.jsonl:76-77 (Qwen2-7B bf16, transformers 5.17, eager): truth = exact weights
  // (7,615,616,512 x 2 B) + the measured peak above the loaded weights, as ../shared/tools/fidelity_gpu.py scores.
  const json c = cases()["transformers_eager_h200"];
  const double params = c[0]["params"].get<double>();
  const json config = json::parse(test::fixture_text("qwen2-7b.json"));
  for (int i = 1; i <= 2; ++i) {
    const json& r = c[i];
    ASSERT_EQ(r["attn"], "eager");
    const double truth = params * 2 + r["peak_allocated_bytes"].get<double>() - r["weights_allocated_bytes"].get<double>();
    const int64_t n = r["input_tokens"].get<int64_t>();
    const double ours = hf_peak(config, n, "eager", r["new_tokens"].get<int64_t>());
    EXPECT_NEAR(ours / truth, 1.0, 0.03) << n << " tokens: " << ours / kGiBd << " vs " << truth / kGiBd << " GiB";
  }
}

TEST(TransformersAttention, EagerIsNeverBelowSdpaAndGrowsWithTheSquare) {
  const json config = json::parse(test::fixture_text("qwen2-7b.json"));
  double last_gap = 0;
  for (int64_t n : {512, 2048, 8192}) {
    const double eager = hf_peak(config, n, "eager");
    const double sdpa = hf_peak(config, n, "sdpa");
    EXPECT_GE(eager, sdpa) << n;
    EXPECT_EQ(hf_peak(config, n, "flash_attention_2"), sdpa) << n;
    EXPECT_EQ(hf_peak(config, n, nullptr), sdpa) << n << ": sdpa is 5.17's default";
    if (last_gap > 0 && n == 8192) {
      // 4x the prompt: the n^2 scores (28 heads x n^2 x 10 B) dominate the gap, which grows ~16x.
      EXPECT_GT((eager - sdpa) / last_gap, 12.0);
    }
    last_gap = eager - sdpa;
  }
  // Large score matrices are said: 17.6 GiB at 8192 tokens.
  const json r = json::parse(handle_request(
      json({{"config", config}, {"engine", "transformers"}, {"gpu", "nvidia-h200-sxm"}, {"input_tokens", 8192},
            {"output_tokens", 16}, {"attention_implementation", "eager"}})
          .dump()));
  ASSERT_TRUE(r["ok"].get<bool>());
  bool warned = false;
  for (const json& w : r["warnings"]) warned |= w["code"] == "transformers_eager_scores";
  EXPECT_TRUE(warned);
  // The scores term itself: 28 heads x 8192^2 x (2 + 4 + 4) B + the 8192^2 x 2 B mask = 17.625 GiB.
  const ModelSpec m = test::fixture("qwen2-7b.json");
  const Stage all{0, 0, 28, true, true};
  EXPECT_DOUBLE_EQ(hf::eager_scores_bytes(m, Dtype::kBf16, all, 1, 8192), 8192.0 * 8192.0 * (28 * 10 + 2));
}

TEST(TransformersAttention, DefaultsByVersionAndFamily) {
  const ModelSpec qwen = test::fixture("qwen2-7b.json");
  const ModelSpec gemma = test::fixture("gemma-2-9b.json");
  TransformersOptions o;
  o.version_minor = 35;
  EXPECT_EQ(hf::attention_of(qwen, o), AttentionImpl::kEager);  // SDPA by default from 4.36
  o.version_minor = 36;
  EXPECT_EQ(hf::attention_of(qwen, o), AttentionImpl::kSdpa);
  o.version_minor = 44;
  EXPECT_EQ(hf::attention_of(gemma, o), AttentionImpl::kEager);  // Gemma 2 fell back to eager 4.42-4.47
  o.version_minor = 48;
  EXPECT_EQ(hf::attention_of(gemma, o), AttentionImpl::kSdpa);
  o.attention = AttentionImpl::kEager;
  EXPECT_EQ(hf::attention_of(qwen, o), AttentionImpl::kEager);
  // A bad name names its key.
  const json r = json::parse(handle_request(
      json({{"config", json::parse(test::fixture_text("qwen2-7b.json"))}, {"engine", "transformers"},
            {"attention_implementation", "flash3"}})
          .dump()));
  EXPECT_EQ(r["error"]["path"], "/attention_implementation");
}

TEST(TransformersAttention, Before445ThePeakIsTheLargerOfLogitsAndLayer) {
  // Qwen2-7B bf16, 8192-token prompt: full-prompt logits 8192 x 152,064 x (2 + 4) B = 6.96 GiB dwarf the layer
  // transient (8192 x (3 x 18944 + 4 x 3584) x 2 B = 1.09 GiB): 4.44's prefill is the logits alone, not their sum.
  const ModelSpec m = test::fixture("qwen2-7b.json");
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 140, 8192 + 16, 1);
  in.engine = EngineId::kTransformers;
  in.input_tokens = 8192;
  in.output_tokens = 16;
  in.transformers.version_minor = 44;
  const Stage all{0, 0, 28, true, true};
  const hf::Peak p = hf::peak(m, in, all, 1, 8192, 16);
  EXPECT_DOUBLE_EQ(p.prefill, 8192.0 * 152064.0 * 6.0);
  // Up to 4.38 each layer keeps its rotary cache: 28 x 131,072 positions x 128 x 2 x 2 B = 1.75 GiB resident.
  in.transformers.version_minor = 38;
  const hf::Peak old = hf::peak(m, in, all, 1, 8192, 16);
  EXPECT_DOUBLE_EQ(old.workspace - p.workspace, 28.0 * 131072 * 128 * 2 * 2);
}

TEST(TransformersAttention, GptqScratchFollowsTheCheckpointNotTheDtype) {
  // Qwen2.5-7B-GPTQ-Int4 (quantization_config: gptq, 4 bits): transformers runs the ExLlamaV2 kernel whatever
  // --dtype says, with one fp16 scratch of the largest matrix, 3584 x 18944 x 2 B = 135,790,592 B.
  const ModelSpec m = test::fixture("qwen2.5-7b-gptq-int4.json");
  ASSERT_TRUE(m.has_quantization_config);
  Inputs in = test::inputs(Dtype::kFp16, Dtype::kFp16, 80, 2048, 1);
  in.engine = EngineId::kTransformers;
  const Stage all{0, 0, 28, true, true};
  in.weights = weight_format_from_name("int4", Dtype::kFp16).value();  // --dtype int4: an AWQ-style format
  const double with_dtype = hf::peak(m, in, all, 1, 1024, 16).workspace;
  in.weights = m.quant;  // --dtype auto
  EXPECT_DOUBLE_EQ(hf::peak(m, in, all, 1, 1024, 16).workspace, with_dtype);
  EXPECT_DOUBLE_EQ(with_dtype, 88.0 * kMiB + 3584.0 * 18944 * 2);
}


// ---------------------------------------------------------------------------------------------
// transformers >= 5: the host cost of a decode step (speed/speed.cpp, docs/host-bound.md)
// ---------------------------------------------------------------------------------------------

/// TPOT of a batch-1 generate() on an H200 with transformers 5.17 (512-token prompt, 128 new tokens).
json hf_decode(const char* fixture, const char* version = "5.17") {
  const json req = {{"config", json::parse(test::fixture_text(fixture))},
                    {"engine", "transformers"},
                    {"gpu", "nvidia-h200-sxm"},
                    {"dtype", "bf16"},
                    {"batch", 1},
                    {"input_tokens", 512},
                    {"output_tokens", 128},
                    {"transformers_version", version}};
  const json r = json::parse(handle_request(req.dump()));
  EXPECT_TRUE(r["ok"].get<bool>()) << r.dump().substr(0, 300);
  return r;
}

TEST(TransformersHost, Version5PaysPerStepPerLayerAndPerRoutedExpert) {
  // Every row is host-bound (GPU work <= 17 ms against >= 37 ms measured), so TPOT = the host cost + the KV
  // traffic (under 1 ms at 512-640 tokens of context):
  //   GPT-2 (12 layers):          24 + 12 x 1.05                = 36.6 ms  (measured 37.5 ms: 26.66 tok/s)
  //   Qwen2.5-7B (28):            24 + 28 x 1.05                = 53.4 ms  (measured 54.8 ms: 18.26 tok/s)
  //   Mixtral-8x7B (32, top-2):   24 + 32 x (1.05 + 2 x 0.12)   = 65.28 ms (measured 33.8 ms: the fast outlier)
  //   Qwen3-30B-A3B (48, top-8):  24 + 48 x (1.05 + 8 x 0.12)   = 120.48 ms (measured 99.8 ms)
  // Measured: ../shared/reference/validation-gpu-public.jsonl decode rows (tests/reference/accuracy_cases.json).
  const struct {
    const char* fixture;
    double host_ms;
  } rows[] = {{"gpt2.json", 36.6}, {"qwen2.5-7b.json", 53.4}, {"mixtral-8x7b.json", 65.28},
              {"qwen3-30b-a3b.json", 120.48}};
  for (const auto& row : rows) {
    const json r = hf_decode(row.fixture);
    const double tpot_ms = r["speed"]["tpot_seconds"].get<double>() * 1e3;
    EXPECT_GE(tpot_ms, row.host_ms - 1e-6) << row.fixture;
    EXPECT_LE(tpot_ms, row.host_ms + 1.0) << row.fixture;
    EXPECT_TRUE(r["speed"]["host_bound"].get<bool>()) << row.fixture;
    EXPECT_DOUBLE_EQ(r["speed"]["assumptions"]["step_overhead_seconds"].get<double>(), 0.024) << row.fixture;
  }
  // transformers 4.x keeps its A100 fit: 1 ms per step, 0.83 ms per layer, no per-expert term.
  const json old = hf_decode("mixtral-8x7b.json", "4.46");
  EXPECT_DOUBLE_EQ(old["speed"]["assumptions"]["step_overhead_seconds"].get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(old["speed"]["assumptions"]["layer_overhead_seconds"].get<double>(), 0.83e-3);
}

}  // namespace
}  // namespace llmsizer
