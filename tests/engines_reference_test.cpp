// Reference tests for the engine profiles: measured, published numbers with a tolerance and a source per case.
//
// vLLM: start-up logs of vLLM 0.19.0 (V1) on H100 80GB (torch total 79.19 GiB), gpu_memory_utilization 0.95,
// default scheduler settings, from the llm-d-planner accuracy sweep (github.com/llm-d-incubation/llm-d-planner
// PR #205, commit d3121e05, accuracy/results/v0.19.0/results_raw.csv and logs/), as collected in the project's
// validation data (case ids GT06xx). Checked: "GPU KV cache size: N tokens" and "Maximum concurrency for L tokens
// per request: C x". Tolerance 1 % (the issue's target is a 3 % median and 8 % worst case), except
// DeepSeek-V2-Lite at 2 %: its logged activation peak (1.93 GiB) exceeds the sampler + fused-MoE terms we
// model (1.50 GiB), which leaves its KV 1.4 % high (see vllm.cpp).
//
// transformers: Qwen2.5's speed benchmark (github.com/QwenLM/Qwen3, docs/source/benchmark/speed_benchmark.rst
// before f4d356c; qwen.readthedocs.io/en/v2.5/benchmark/speed_benchmark.html): Qwen2.5-7B-Instruct, transformers
// 4.46, A100 80GB, batch 1, 2048 generated tokens, peak = torch.cuda.max_memory_allocated() in GiB ("GB" in the
// table). Tolerance 2 %: the GPTQ-Int8 rows use our generic int8 layout (per-channel scales; -0.7 to -0.9 %);
// the GPTQ-Int4 rows use the GPTQ-Int4 checkpoint's own quantization_config (ExLlamaV2 scratch included).
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace llmsizer {
namespace {

constexpr double kGiBd = 1024.0 * 1024 * 1024;

struct VllmCase {
  const char* id;
  const char* fixture;
  const char* dtype;
  Dtype kv;
  int64_t tp;
  int64_t pp;
  int64_t max_model_len;
  int64_t tokens;      ///< "GPU KV cache size"
  double concurrency;  ///< "Maximum concurrency"
  double tolerance;
};

const VllmCase kVllm[] = {
    {"GT0632_deepseek_v2_lite", "deepseek-v2-lite.json", "bf16", Dtype::kBf16, 1, 1, 8192, 1505552, 183.78, 0.02},
    {"GT0638_gemma2_9b", "gemma-2-9b.json", "bf16", Dtype::kBf16, 1, 1, 8192, 168880, 20.60, 0.01},
    {"GT0647_llama31_8b_kv_fp8", "llama-3.1-8b.json", "bf16", Dtype::kFp8, 1, 1, 8192, 952032, 116.21, 0.01},
    {"GT0648_llama31_8b", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 1, 1, 8192, 476000, 58.11, 0.01},
    {"GT0649_llama31_8b_fp8", "llama-3.1-8b.json", "fp8", Dtype::kBf16, 1, 1, 8192, 529248, 64.61, 0.01},
    {"GT0650_llama31_8b_fp16", "llama-3.1-8b.json", "fp16", Dtype::kFp16, 1, 1, 8192, 476016, 58.11, 0.01},
    {"GT0651_llama31_8b_fp32", "llama-3.1-8b.json", "fp32", Dtype::kFp32, 1, 1, 8192, 175296, 21.40, 0.01},
    {"GT0652_llama31_8b_2k", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 1, 1, 2048, 476016, 232.43, 0.01},
    {"GT0655_llama31_8b_pp2", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 1, 2, 8192, 1075312, 131.26, 0.01},
    {"GT0656_llama31_8b_pp4", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 1, 4, 8192, 2257264, 275.54, 0.01},
    {"GT0657_llama31_8b_tp2", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 2, 1, 8192, 1044688, 127.53, 0.01},
    {"GT0658_llama31_8b_tp4", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 4, 1, 8192, 2209792, 269.75, 0.01},
    {"GT0660_llama31_8b_32k", "llama-3.1-8b.json", "bf16", Dtype::kBf16, 1, 1, 32768, 476016, 14.53, 0.01},
    {"GT0665_mixtral_8x7b_tp2", "mixtral-8x7b.json", "bf16", Dtype::kBf16, 2, 1, 8192, 465936, 56.88, 0.01},
    {"GT0672_qwen25_7b_kv_fp8", "qwen2.5-7b.json", "bf16", Dtype::kFp8, 1, 1, 8192, 2192000, 267.58, 0.01},
    {"GT0674_qwen25_7b", "qwen2.5-7b.json", "bf16", Dtype::kBf16, 1, 1, 8192, 1096000, 133.79, 0.01},
    {"GT0677_qwen25_7b_2k", "qwen2.5-7b.json", "bf16", Dtype::kBf16, 1, 1, 2048, 1096000, 535.16, 0.01},
    {"GT0680_qwen25_7b_tp2", "qwen2.5-7b.json", "bf16", Dtype::kBf16, 2, 1, 8192, 2390592, 291.82, 0.01},
    {"GT0681_qwen25_7b_tp4", "qwen2.5-7b.json", "bf16", Dtype::kBf16, 4, 1, 8192, 5043280, 615.63, 0.01},
};

class VllmStartup : public ::testing::TestWithParam<VllmCase> {};

TEST_P(VllmStartup, KvTokensAndConcurrency) {
  const VllmCase& c = GetParam();
  const ModelSpec m = test::fixture(c.fixture);
  const Dtype base = std::string(c.dtype) == "fp32" ? Dtype::kFp32 : std::string(c.dtype) == "fp16" ? Dtype::kFp16 : Dtype::kBf16;
  Inputs in = test::inputs(base, c.kv, 79.19, c.max_model_len, 1);
  in.weights = weight_format_from_name(c.dtype, Dtype::kBf16).value();
  in.gpu.id = "nvidia-h100-sxm";
  in.gpu.name = "H100 SXM 80GB";
  in.layout = Layout{c.tp, c.pp, 1};
  in.engine = EngineId::kVllm;
  in.vllm.gpu_memory_utilization = 0.95;
  in.vllm.max_model_len = c.max_model_len;
  const EnginePlan p = plan_engine(m, in);
  ASSERT_TRUE(p.failure.empty()) << p.failure;
  EXPECT_NEAR(static_cast<double>(p.kv_cache_tokens) / static_cast<double>(c.tokens) - 1.0, 0.0, c.tolerance)
      << "ours " << p.kv_cache_tokens << " vs logged " << c.tokens;
  EXPECT_NEAR(p.max_concurrency / c.concurrency - 1.0, 0.0, c.tolerance)
      << "ours " << p.max_concurrency << " vs logged " << c.concurrency;
}

INSTANTIATE_TEST_SUITE_P(Reference, VllmStartup, ::testing::ValuesIn(kVllm),
                         [](const ::testing::TestParamInfo<VllmCase>& i) { return std::string(i.param.id); });

struct HfCase {
  const char* id;
  const char* fixture;
  const char* dtype;     ///< bf16 (BF16), int8 (GPTQ-Int8, approximated), int4 (AWQ), auto (the GPTQ-Int4 config)
  int64_t input_tokens;
  double peak_gib;
};

const HfCase kHf[] = {
    {"GT0256_bf16_1", "qwen2.5-7b.json", "bf16", 1, 14.38},
    {"GT0257_gptq8_1", "qwen2.5-7b.json", "int8", 1, 8.42},
    {"GT0258_gptq4_1", "qwen2.5-7b-gptq-int4.json", "auto", 1, 5.52},
    {"GT0259_awq_1", "qwen2.5-7b.json", "int4", 1, 5.39},
    {"GT0260_bf16_6144", "qwen2.5-7b.json", "bf16", 6144, 15.38},
    {"GT0261_gptq8_6144", "qwen2.5-7b.json", "int8", 6144, 9.43},
    {"GT0262_gptq4_6144", "qwen2.5-7b-gptq-int4.json", "auto", 6144, 6.52},
    {"GT0263_awq_6144", "qwen2.5-7b.json", "int4", 6144, 6.39},
    {"GT0264_bf16_14336", "qwen2.5-7b.json", "bf16", 14336, 16.91},
    {"GT0265_gptq8_14336", "qwen2.5-7b.json", "int8", 14336, 10.96},
    {"GT0266_gptq4_14336", "qwen2.5-7b-gptq-int4.json", "auto", 14336, 8.05},
    {"GT0267_awq_14336", "qwen2.5-7b.json", "int4", 14336, 7.92},
    {"GT0268_bf16_30720", "qwen2.5-7b.json", "bf16", 30720, 19.97},
    {"GT0269_gptq8_30720", "qwen2.5-7b.json", "int8", 30720, 14.01},
    {"GT0270_gptq4_30720", "qwen2.5-7b-gptq-int4.json", "auto", 30720, 11.11},
    {"GT0271_awq_30720", "qwen2.5-7b.json", "int4", 30720, 10.98},
};

class HfGenerate : public ::testing::TestWithParam<HfCase> {};

TEST_P(HfGenerate, MaxMemoryAllocated) {
  const HfCase& c = GetParam();
  const ModelSpec m = test::fixture(c.fixture);
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 79.15, c.input_tokens + 2048, 1);
  in.weights = std::string(c.dtype) == "auto" ? m.quant : weight_format_from_name(c.dtype, Dtype::kBf16).value();
  in.act_dtype = in.weights.dtype;
  in.kv_dtype = in.weights.dtype;
  in.input_tokens = c.input_tokens;
  in.output_tokens = 2048;
  in.engine = EngineId::kTransformers;
  const EnginePlan p = plan_engine(m, in);
  ASSERT_EQ(p.per_gpu.size(), 1u);
  const MemoryBreakdown& b = p.per_gpu[0].memory;
  const double ours = static_cast<double>(b.weights_bytes + b.kv_cache_bytes + b.activations_bytes) / kGiBd;
  EXPECT_NEAR(ours / c.peak_gib - 1.0, 0.0, 0.02) << "ours " << ours << " GiB vs measured " << c.peak_gib;
}

INSTANTIATE_TEST_SUITE_P(Reference, HfGenerate, ::testing::ValuesIn(kHf),
                         [](const ::testing::TestParamInfo<HfCase>& i) { return std::string(i.param.id); });

}  // namespace
}  // namespace llmsizer
