// Speed: the formula building blocks against the seed articles' worked examples and hand arithmetic,
// the step model's invariants (monotonicity), and reference tests against published measurements.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/resolve.h"
#include "json/read.h"
#include "speed/speed.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

// ---- GPUs built in the tests (datasheet numbers; presets may carry more) ------------------------

/// NVIDIA A10: 600 GB/s GDDR6, 125 dense fp16/bf16 TFLOPS, PCIe only (NVIDIA A10 datasheet).
GpuSpec a10() {
  GpuSpec g;
  g.id = "nvidia-a10";
  g.name = "A10";
  g.memory_gib = 22.0;
  g.memory_bandwidth_gbps = 600;
  g.tflops = {{"fp16", 125}, {"bf16", 125}, {"fp32", 31.2}};
  g.interconnect = "pcie";
  g.interconnect_gbps = 25;
  return g;
}

/// NVIDIA A100 80GB SXM: 2,039 GB/s, 312 dense bf16 TFLOPS, NVLink 3 300 GB/s one way (datasheet).
GpuSpec a100() {
  GpuSpec g;
  g.id = "nvidia-a100-sxm4-80gb";
  g.name = "A100 SXM4 80GB";
  g.memory_gib = 79.15;
  g.memory_bandwidth_gbps = 2039;
  g.tflops = {{"fp16", 312}, {"bf16", 312}, {"int8", 624}, {"fp32", 19.5}};
  g.interconnect = "nvlink";
  g.interconnect_gbps = 300;
  return g;
}

Inputs serving(const GpuSpec& gpu, Dtype dtype, int64_t tp, int64_t pp, int64_t batch, int64_t input,
               int64_t output) {
  Inputs in = test::inputs(dtype, dtype, gpu.memory_gib, input + output, batch);
  in.gpu = gpu;
  in.layout = Layout{tp, pp, 1};
  in.input_tokens = input;
  in.output_tokens = output;
  in.engine = EngineId::kVllm;
  in.generic.reserve = 0.1;
  return in;
}

SpeedEstimate speed_of(const ModelSpec& m, const Inputs& in) { return estimate_speed(m, in, plan_engine(m, in)); }

/// Constants with every efficiency 1 and no overheads: the pure bandwidth / peak bounds of the articles.
SpeedConstants ideal(const ModelSpec& m, const Inputs& in) {
  SpeedConstants k = speed_constants(m, in);
  k.bandwidth_efficiency = k.prefill_efficiency = k.attention_efficiency = k.decode_compute_efficiency = 1.0;
  k.quantized_read_efficiency = k.kv_read_factor = 1.0;
  k.step_overhead_s = k.layer_overhead_s = 0;
  return k;
}

/// A Llama-style "6B" model: hidden 4096, 28 layers, 32 heads (MHA), MLP 11008, vocab 32000, untied.
ModelSpec six_b() {
  const json c = {{"model_type", "llama"},       {"hidden_size", 4096},        {"num_hidden_layers", 28},
                  {"num_attention_heads", 32},   {"num_key_value_heads", 32}, {"intermediate_size", 11008},
                  {"vocab_size", 32000},         {"max_position_embeddings", 4096},
                  {"torch_dtype", "float16"},    {"tie_word_embeddings", false}};
  auto r = parse_config(c.dump());
  EXPECT_TRUE(r.ok());
  return r.value();
}

// ---- article 002: prefill FLOPs and time ---------------------------------------------------------

TEST(SpeedFormula, Article002PrefillExample) {
  // Article 002: a 32B model, a 1,000-token prompt: 2 x 32e9 x 1000 = 6.4e13 FLOPs. On 10 x A100 at
  // 312 TFLOPS and 46.2 % utilisation: 6.4e13 / (10 x 312e12 x 0.462) = 6.4e13 / 1.44144e15 = 0.04440 s.
  const double flops = linear_flops(32e9, 1000);
  EXPECT_DOUBLE_EQ(flops, 6.4e13);
  EXPECT_NEAR(compute_seconds(flops, 10 * 312e12, 0.462), 0.0444, 0.00005);
}

TEST(SpeedFormula, Article002AttentionGrowsWithThePromptSquared) {
  // Article 002's attention term: 4 x layers x heads x head_dim x T^2 / 2 (causal). Llama-3.1-8B
  // (32 layers, 32 heads of 128), T = 1000: exactly sum_{p=1..T} p = T(T+1)/2 = 500,500 keys per head, so
  // 4 x 32 x 32 x 128 x 500,500 = 524,288 x 500,500 = 262,406,144,000 FLOPs.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  double f = 0;
  for (const LayerSpec& l : m.layers) f += attention_flops_layer(l.attn, attended_keys(0, 1000, 0), false);
  EXPECT_DOUBLE_EQ(f, 262406144000.0);
  // ... and it is what a prefill step adds on top of 2 x parameters x tokens.
  const Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 1000, 1);
  const SpeedConstants k = ideal(m, in);
  const StepCost c = prefill_step(m, in, k, test::whole(m), 1000, 1, 0, 1);
  const ParameterCounts p = count_parameters(m);
  // Matrices a token multiplies: attention + MLP (norms are vectors); the LM head for the one sampled row.
  const double linear = 2.0 * 1000 * static_cast<double>(p.attention + p.mlp) + 2.0 * static_cast<double>(p.lm_head);
  EXPECT_NEAR(c.flops, linear + 262406144000.0, 1.0);
}

TEST(SpeedFormula, AttendedKeysCausalAndWindowed) {
  EXPECT_DOUBLE_EQ(attended_keys(0, 1000, 0), 500500.0);
  EXPECT_DOUBLE_EQ(attended_keys(5, 3, 0), 6.0 + 7 + 8);          // positions 5, 6, 7 see 6, 7, 8 keys
  EXPECT_DOUBLE_EQ(attended_keys(0, 10, 4), 1.0 + 2 + 3 + 4 * 7);  // the window caps at 4 keys: 34
  EXPECT_DOUBLE_EQ(attended_keys(2, 4, 4), 3.0 + 4 + 4 + 4);       // positions 2..5: 15
  EXPECT_DOUBLE_EQ(attended_keys(100, 2, 4), 8.0);                  // past the window: 4 each
  EXPECT_DOUBLE_EQ(attended_keys(4095, 1, 0), 4096.0);              // one decode step
}

TEST(SpeedFormula, MlaAttentionPrefillVersusAbsorbedDecode) {
  // DeepSeek-V2-Lite: 16 heads, qk_nope 128, qk_rope 64, v 128, kv_lora_rank 512.
  // Prefill (decompressed K/V): 2 x 16 x ((128 + 64) + 128) = 10,240 FLOPs per key.
  // Decode (absorbed into the latent, vLLM MLA): 2 x 16 x ((512 + 64) + 512) = 34,816 FLOPs per key.
  const ModelSpec m = test::fixture("deepseek-v2-lite.json");
  const AttentionSpec& a = m.layers.front().attn;
  ASSERT_TRUE(a.mla);
  EXPECT_DOUBLE_EQ(attention_flops_layer(a, 1.0, false), 10240.0);
  EXPECT_DOUBLE_EQ(attention_flops_layer(a, 1.0, true), 34816.0);
}

// ---- article 003: decode is bandwidth-bound ----------------------------------------------------------

TEST(SpeedFormula, Article003BandwidthBound) {
  // Article 003: a 6B fp16 model is 12 GB; an A10 reads 600 GB/s: >= 12e9 / 600e9 = 0.02 s per token,
  // and with TP = 2 each GPU reads half: 0.01 s.
  EXPECT_DOUBLE_EQ(memory_seconds(12e9, 600e9, 1.0), 0.02);
  EXPECT_DOUBLE_EQ(memory_seconds(12e9 / 2, 600e9, 1.0), 0.01);
}

TEST(SpeedFormula, Article003SixBModelOnA10) {
  // The same bound through the model, on a Llama-style 6B in fp16 (every efficiency 1, no overheads).
  // Touched per step (token embeddings are looked up, not read): per layer q/k/v/o 4 x 4096^2 =
  // 67,108,864 + MLP 3 x 4096 x 11008 = 135,266,304 + norms 8,192 = 202,383,360 x 28 = 5,666,734,080;
  // final norm 4,096; LM head 32000 x 4096 = 131,072,000 -> 5,797,810,176 params = 11,595,620,352 B:
  // 0.01933 s at 600 GB/s (the article's 12 GB counts the embeddings too).
  // TP = 2: per layer (67,108,864 + 135,266,304) / 2 + 8,192 = 101,195,776 x 28 = 2,833,481,728; final
  // norm 4,096; LM head 16000 x 4096 = 65,536,000 -> 2,899,021,824 params = 5,798,043,648 B: half.
  const ModelSpec m = six_b();
  for (int64_t tp : {1, 2}) {
    const Inputs in = serving(a10(), Dtype::kFp16, tp, 1, 1, 1, 1);
    const StepCost c = decode_step(m, in, ideal(m, in), test::whole(m), 1, 0);
    const double expect = tp == 1 ? 11595620352.0 : 5798043648.0;
    EXPECT_DOUBLE_EQ(c.weight_bytes, expect) << "tp " << tp;
    // One token of KV written: 28 layers x 2 x 4096 / tp x 2 B.
    EXPECT_DOUBLE_EQ(c.kv_bytes, 28.0 * 2 * 4096 / static_cast<double>(tp) * 2);
    EXPECT_NEAR(c.memory_s, (expect + c.kv_bytes) / 600e9, 1e-12);
    EXPECT_FALSE(c.compute_bound);
  }
}

// ---- mixture of experts -------------------------------------------------------------------------------

TEST(SpeedFormula, DistinctExperts) {
  // E x (1 - (1 - k/E)^B): one token hits exactly k experts; many tokens hit all of them.
  EXPECT_DOUBLE_EQ(expected_distinct_experts(8, 2, 1), 2.0);
  EXPECT_DOUBLE_EQ(expected_distinct_experts(128, 8, 1), 8.0);
  EXPECT_DOUBLE_EQ(expected_distinct_experts(8, 2, 2), 8.0 * (1 - 0.75 * 0.75));  // 3.5
  EXPECT_NEAR(expected_distinct_experts(256, 8, 4096), 256.0, 1e-9);
  double last = 0;
  for (double b : {1.0, 2.0, 4.0, 16.0, 64.0, 256.0, 1024.0}) {
    const double d = expected_distinct_experts(64, 6, b);
    EXPECT_GT(d, last);
    EXPECT_LE(d, 64.0);
    last = d;
  }
}

TEST(SpeedModel, MoeDecodeReadsOnlyTheExpertsHit) {
  // Mixtral-8x7B, one sequence: the step reads attention + router + norms + 2 of 8 experts per layer +
  // LM head. Expert = 3 x 4096 x 14336 = 176,160,768 params; 32 layers x 6 unread experts x 2 B less than
  // all weights (minus the 131,072,000-param embedding table): checked against the parameter counts.
  const ModelSpec m = test::fixture("mixtral-8x7b.json");
  const Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 1, 1);
  const SpeedConstants k = ideal(m, in);
  const ParameterCounts p = count_parameters(m);
  const StepCost one = decode_step(m, in, k, test::whole(m), 1, 0);
  const double expect = 2.0 * static_cast<double>(p.total - p.embeddings - 32LL * 6 * 176160768);
  EXPECT_DOUBLE_EQ(one.weight_bytes, expect);
  // 256 sequences hit every expert of every layer: 8 x (1 - (3/4)^256) = 8 to 1e-31.
  const StepCost many = decode_step(m, in, k, test::whole(m), 256, 0);
  EXPECT_NEAR(many.weight_bytes, 2.0 * static_cast<double>(p.total - p.embeddings), 1.0);
}

TEST(SpeedModel, MoePrefillComputesActiveParametersOnly) {
  // Prefill FLOPs of Mixtral: 2 x tokens x (attention + router + top-2 of 8 experts) + the LM head for the
  // sampled row + attention scores; the other 6 experts cost no FLOPs.
  const ModelSpec m = test::fixture("mixtral-8x7b.json");
  const Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 512, 1);
  const SpeedConstants k = ideal(m, in);
  const ParameterCounts p = count_parameters(m);
  const StepCost c = prefill_step(m, in, k, test::whole(m), 512, 1, 0, 1);
  double attn = 0;
  for (const LayerSpec& l : m.layers) attn += attention_flops_layer(l.attn, attended_keys(0, 512, l.attn.sliding_window), false);
  const double linear = 2.0 * 512 * (static_cast<double>(p.attention + p.router) + static_cast<double>(p.experts) * 2 / 8) +
                        2.0 * static_cast<double>(p.lm_head);
  EXPECT_NEAR(c.flops / (linear + attn), 1.0, 1e-12);
}

// ---- parallelism ---------------------------------------------------------------------------------------

TEST(SpeedFormula, RingAllReduce) {
  // 1 MB over 4 ranks at 100 GB/s + 10 us: 2 x 3/4 x 1e6 / 1e11 = 15 us, + 10 us = 25 us. One rank: none.
  EXPECT_NEAR(ring_allreduce_seconds(1e6, 4, 100e9, 10e-6), 25e-6, 1e-15);
  EXPECT_EQ(ring_allreduce_seconds(1e6, 1, 100e9, 10e-6), 0.0);
}

TEST(SpeedModel, TensorParallelAddsTwoAllReducesPerLayer) {
  // Llama-3.1-8B, TP = 2 on A100 NVLink (300 GB/s, 8 us), one sequence: 64 all-reduces of 4096 x 2 B =
  // 8,192 B: each 2 x 1/2 x 8192 / 300e9 + 8e-6; plus the logits gather (1/2 x 128,256 x 2 B / 300e9 + 8 us).
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const Inputs in = serving(a100(), Dtype::kBf16, 2, 1, 1, 1, 1);
  const StepCost c = decode_step(m, in, ideal(m, in), test::whole(m), 1, 0);
  const double expect = 64 * (8192.0 / 300e9 + 8e-6) + (0.5 * 128256 * 2 / 300e9 + 8e-6);
  EXPECT_NEAR(c.communication_s, expect, 1e-12);
  // The same over PCIe (25 GB/s, 25 us) costs more.
  GpuSpec pcie = a100();
  pcie.interconnect = "pcie";
  pcie.interconnect_gbps = 25;
  const Inputs in2 = serving(pcie, Dtype::kBf16, 2, 1, 1, 1, 1);
  const StepCost c2 = decode_step(m, in2, ideal(m, in2), test::whole(m), 1, 0);
  EXPECT_GT(c2.communication_s, 2 * c.communication_s);
}

TEST(SpeedModel, MoreTensorParallelNeverMoreBytesPerGpu) {
  for (const char* f : {"llama-3.1-8b.json", "mixtral-8x7b.json", "deepseek-v2-lite.json", "qwen3-30b-a3b.json"}) {
    const ModelSpec m = test::fixture(f);
    double last = 1e300;
    for (int64_t tp : {1, 2, 4, 8}) {
      const Inputs in = serving(a100(), Dtype::kBf16, tp, 1, 8, 1024, 128);
      const StepCost c = decode_step(m, in, ideal(m, in), test::whole(m), 8, 1024);
      EXPECT_LE(c.weight_bytes + c.kv_bytes, last) << f << " tp " << tp;
      last = c.weight_bytes + c.kv_bytes;
    }
  }
}

TEST(SpeedModel, PipelineBubbleForOneRequest) {
  // A single request's token passes both stages in turn: PP = 2 reads the same bytes per token as one
  // GPU (half on each stage, one after the other) plus a hop, so it is never faster per token.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const SpeedEstimate one = speed_of(m, serving(a100(), Dtype::kBf16, 1, 1, 1, 1024, 128));
  const SpeedEstimate two = speed_of(m, serving(a100(), Dtype::kBf16, 1, 2, 1, 1024, 128));
  EXPECT_GE(two.tpot_seconds, one.tpot_seconds);
  EXPECT_LT(two.tpot_seconds, one.tpot_seconds * 1.10);
}

// ---- monotonicity -------------------------------------------------------------------------------------

TEST(SpeedModel, MoreBandwidthIsNeverSlower) {
  for (const char* f : {"llama-3.1-8b.json", "mixtral-8x7b.json", "gemma-2-9b.json", "deepseek-v2-lite.json"}) {
    const ModelSpec m = test::fixture(f);
    double tpot = 1e300, ttft = 1e300;
    for (double bw : {300.0, 600.0, 1000.0, 2039.0, 3350.0, 8000.0}) {
      GpuSpec g = a100();
      g.memory_bandwidth_gbps = bw;
      const SpeedEstimate s = speed_of(m, serving(g, Dtype::kBf16, 1, 1, 4, 2048, 256));
      ASSERT_TRUE(s.available);
      EXPECT_LE(s.tpot_seconds, tpot) << f << " at " << bw;
      EXPECT_LE(s.ttft_seconds, ttft) << f << " at " << bw;
      tpot = s.tpot_seconds;
      ttft = s.ttft_seconds;
    }
  }
}

TEST(SpeedModel, MoreConcurrencyNeverMorePerUserSpeed) {
  for (const char* f : {"llama-3.1-8b.json", "mixtral-8x7b.json", "qwen3-30b-a3b.json", "gemma-2-2b.json"}) {
    const ModelSpec m = test::fixture(f);
    Inputs in = serving(a100(), Dtype::kBf16, 2, 1, 1, 1024, 256);
    const SpeedEstimate s = speed_of(m, in);
    ASSERT_GE(s.curve.size(), 3u) << f;
    for (size_t i = 1; i < s.curve.size(); ++i) {
      const SpeedPoint& a = s.curve[i - 1];
      const SpeedPoint& b = s.curve[i];
      EXPECT_GT(b.concurrency, a.concurrency);
      EXPECT_LE(b.per_user_tokens_per_second, a.per_user_tokens_per_second) << f << " at " << b.concurrency;
      EXPECT_GE(b.decode_throughput_tokens_per_second, a.decode_throughput_tokens_per_second) << f;
    }
    // The curve ends at the KV-cache limit the engine plan reports.
    EXPECT_EQ(static_cast<double>(s.curve.back().concurrency), std::floor(plan_engine(m, in).max_concurrency));
  }
}

TEST(SpeedModel, LongerPromptsAreSlower) {
  const ModelSpec m = test::fixture("qwen2.5-7b.json");
  double ttft = 0, tpot = 0;
  for (int64_t prompt : {1, 1024, 8192, 32768}) {
    const SpeedEstimate s = speed_of(m, serving(a100(), Dtype::kBf16, 1, 1, 1, prompt, 256));
    EXPECT_GT(s.ttft_seconds, ttft);
    EXPECT_GT(s.tpot_seconds, tpot);
    ttft = s.ttft_seconds;
    tpot = s.tpot_seconds;
  }
}

TEST(SpeedModel, SlidingWindowCapsTheKvRead) {
  // Mistral-7B v0.1 (4,096-token window on every layer): a decode step at 16k context reads the same KV
  // as at 8k (both capped at 4,096 + the new token).
  const ModelSpec m = test::fixture("mistral-7b-v0.1.json");
  const Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 1, 1);
  const SpeedConstants k = ideal(m, in);
  EXPECT_DOUBLE_EQ(decode_step(m, in, k, test::whole(m), 1, 8192).kv_bytes,
                   decode_step(m, in, k, test::whole(m), 1, 16384).kv_bytes);
}

TEST(SpeedModel, LargeBatchDecodeBecomesComputeBound) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 1, 1);
  const SpeedConstants k = speed_constants(m, in);
  EXPECT_FALSE(decode_step(m, in, k, test::whole(m), 1, 128).compute_bound);
  EXPECT_TRUE(decode_step(m, in, k, test::whole(m), 1024, 128).compute_bound);
}

TEST(SpeedModel, GpuFamilies) {
  GpuSpec g;
  for (const auto& [id, family] : std::vector<std::pair<std::string, std::string>>{
           {"nvidia-a100-sxm4-80gb", "ampere"}, {"nvidia-h100-sxm", "hopper"}, {"nvidia-h20", "hopper"},
           {"nvidia-l40s", "ada"}, {"nvidia-rtx-4090", "ada"}, {"nvidia-b200", "blackwell"},
           {"nvidia-a10g", "ampere"}, {"amd-mi300x", "cdna3"}, {"apple-m2-ultra", "apple"}, {"mystery", ""}}) {
    g.id = id;
    EXPECT_EQ(gpu_family(g), family) << id;
  }
}

TEST(SpeedModel, NoBandwidthNoSpeed) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = serving(a100(), Dtype::kBf16, 1, 1, 1, 128, 128);
  in.gpu = test::gpu_gib(80);
  const SpeedEstimate s = speed_of(m, in);
  EXPECT_FALSE(s.available);
  EXPECT_NE(s.unavailable_reason.find("bandwidth"), std::string::npos);
}

// ---- reference: published measurements ----------------------------------------------------------------

struct SpeedCase {
  const char* id;      ///< case id in ../shared/reference/validation-public.jsonl
  const char* engine;
  const char* dtype;   ///< as the fidelity harness maps the checkpoint (GPTQ-Int8 -> int8; GPTQ-Int4, AWQ -> int4)
  int64_t input;
  double tokens_per_second;  ///< generated tokens (2,048) / wall time incl. prefill, batch 1
  double tolerance;
};

// Source: Qwen2.5 speed benchmark (github QwenLM/Qwen3 docs/source/benchmark/speed_benchmark.rst before
// f4d356c; qwen.readthedocs.io/en/v2.5/benchmark/speed_benchmark.html): Qwen2.5-7B-Instruct on one A100
// 80GB, batch 1, 2,048 generated tokens. These rows also calibrated the constants (speed.cpp), so they are
// regression tests of the calibration: vLLM 0.6.3 rows within 10 % (all are within 5 %); vLLM 0.6.2's
// 129k-token rows within 10 % (BF16) and 30 % (quantised: the model is 17-22 % too fast there, unexplained —
// 0.6.3's 63k rows show no such gap); transformers 4.46 within 30 % (its GPTQ-Int4 rows use exllama kernels
// that the `int4` precision cannot tell from AWQ's: GT0258/GT0262 sit at -27 %; GT0268 at +21 %).
const SpeedCase kSpeedCases[] = {
    {"GT0272", "vllm", "bf16", 1, 84.28, 0.10},         {"GT0273", "vllm", "int8", 1, 122.01, 0.10},
    {"GT0274", "vllm", "int4", 1, 154.05, 0.10},        {"GT0275", "vllm", "int4", 1, 148.10, 0.10},
    {"GT0276", "vllm", "bf16", 6144, 80.70, 0.10},      {"GT0277", "vllm", "int8", 6144, 112.38, 0.10},
    {"GT0278", "vllm", "int4", 6144, 141.98, 0.10},     {"GT0279", "vllm", "int4", 6144, 137.64, 0.10},
    {"GT0280", "vllm", "bf16", 14336, 77.69, 0.10},     {"GT0281", "vllm", "int8", 14336, 105.25, 0.10},
    {"GT0282", "vllm", "int4", 14336, 129.35, 0.10},    {"GT0283", "vllm", "int4", 14336, 124.91, 0.10},
    {"GT0284", "vllm", "bf16", 30720, 70.33, 0.10},     {"GT0285", "vllm", "int8", 30720, 90.71, 0.10},
    {"GT0286", "vllm", "int4", 30720, 108.30, 0.10},    {"GT0287", "vllm", "int4", 30720, 104.66, 0.10},
    {"GT0288", "vllm", "bf16", 63488, 50.86, 0.10},     {"GT0289", "vllm", "int8", 63488, 60.52, 0.10},
    {"GT0290", "vllm", "int4", 63488, 67.97, 0.10},     {"GT0291", "vllm", "int4", 63488, 66.42, 0.10},
    {"GT0292", "vllm", "bf16", 129024, 28.94, 0.10},    {"GT0293", "vllm", "int8", 129024, 25.97, 0.30},
    {"GT0294", "vllm", "int4", 129024, 26.37, 0.30},    {"GT0295", "vllm", "int4", 129024, 26.57, 0.30},
    {"GT0256", "transformers", "bf16", 1, 40.38, 0.30}, {"GT0257", "transformers", "int8", 1, 31.55, 0.30},
    {"GT0258", "transformers", "int4", 1, 43.10, 0.30}, {"GT0259", "transformers", "int4", 1, 32.03, 0.30},
    {"GT0260", "transformers", "bf16", 6144, 38.76, 0.30},   {"GT0261", "transformers", "int8", 6144, 31.26, 0.30},
    {"GT0262", "transformers", "int4", 6144, 38.27, 0.30},   {"GT0263", "transformers", "int4", 6144, 32.37, 0.30},
    {"GT0264", "transformers", "bf16", 14336, 29.78, 0.30},  {"GT0265", "transformers", "int8", 14336, 26.86, 0.30},
    {"GT0266", "transformers", "int4", 14336, 28.70, 0.30},  {"GT0267", "transformers", "int4", 14336, 30.23, 0.30},
    {"GT0268", "transformers", "bf16", 30720, 18.83, 0.30},  {"GT0269", "transformers", "int8", 30720, 17.59, 0.30},
    {"GT0270", "transformers", "int4", 30720, 18.45, 0.30},  {"GT0271", "transformers", "int4", 30720, 19.11, 0.30},
};

class QwenSpeed : public ::testing::TestWithParam<SpeedCase> {};

TEST_P(QwenSpeed, WithinTolerance) {
  const SpeedCase& c = GetParam();
  Request req;
  req.config = parse_json(test::fixture_text("qwen2.5-7b.json"), "config.json").value();
  req.gpu = "nvidia-a100-sxm4-80gb";
  req.dtype = c.dtype;
  req.batch = 1;
  req.input_tokens = c.input;
  req.output_tokens = 2048;
  auto r = resolve(req, builtin_catalog());
  ASSERT_TRUE(r.ok()) << r.error().message;
  Inputs in = r.value().inputs;
  in.engine = *engine_from_name(c.engine);
  const ModelSpec& m = r.value().model;
  const SpeedEstimate s = estimate_speed(m, in, plan_engine(m, in));
  ASSERT_TRUE(s.available) << s.unavailable_reason;
  const double ours = 2048.0 / (s.ttft_seconds + 2048.0 * s.tpot_seconds);
  EXPECT_NEAR(ours / c.tokens_per_second - 1.0, 0.0, c.tolerance)
      << c.id << ": ours " << ours << " tok/s vs measured " << c.tokens_per_second;
}

INSTANTIATE_TEST_SUITE_P(Reference, QwenSpeed, ::testing::ValuesIn(kSpeedCases),
                         [](const ::testing::TestParamInfo<SpeedCase>& i) { return std::string(i.param.id); });

// ---- the JSON contract ---------------------------------------------------------------------------------

TEST(SpeedApi, ResponseHasTheSpeedSection) {
  const json r = json::parse(handle_request(json{{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))},
                                                 {"gpu", "nvidia-h100-sxm"},
                                                 {"batch", 4},
                                                 {"input_tokens", 1000},
                                                 {"output_tokens", 200}}
                                                .dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  const json& s = r["speed"];
  ASSERT_TRUE(s["available"].get<bool>());
  for (const char* k : {"prefill_seconds", "ttft_seconds", "tpot_seconds", "e2e_latency_seconds",
                        "decode_tokens_per_second", "throughput_tokens_per_second"}) {
    EXPECT_GT(s[k].get<double>(), 0) << k;
  }
  const double ttft = s["ttft_seconds"].get<double>(), tpot = s["tpot_seconds"].get<double>();
  EXPECT_NEAR(s["e2e_latency_seconds"].get<double>(), ttft + 200 * tpot, 1e-6);
  EXPECT_NEAR(s["decode_tokens_per_second"].get<double>(), 1.0 / tpot, 1e-6);
  EXPECT_NEAR(s["throughput_tokens_per_second"].get<double>(), 4 * 200 / (ttft + 200 * tpot), 1e-4);
  EXPECT_EQ(s["bound"].get<std::string>(), "memory");
  EXPECT_EQ(s["assumptions"]["gpu_family"].get<std::string>(), "hopper");
  EXPECT_EQ(s["assumptions"]["peak_tflops"].get<double>(), 989.5);
  EXPECT_TRUE(s["curve"].is_array());
  ASSERT_FALSE(s["curve"].empty());
  EXPECT_EQ(s["curve"][0]["concurrency"].get<int64_t>(), 1);
  EXPECT_EQ(s["curve"].back()["concurrency"].get<int64_t>(), r["serving"]["max_concurrency"].get<int64_t>());
  EXPECT_GT(s["decode_step"]["weights_read_bytes"].get<int64_t>(), 0);
}

// vLLM's kernel-boundary cost per decoder layer: 20 us, and 20 + 35 = 55 us with quantised (GPTQ/AWQ/fp8)
// kernels (kVllm in core/src/speed/speed.cpp). Llama-3.1-8B has 32 layers: 32 x 20 us = 0.64 ms per decode step
// in bf16, 32 x 55 us = 1.76 ms with int4 weights. transformers has no such term (its quantised layers
// scale the CPU cost instead).
TEST(SpeedApi, QuantisedKernelsAddAFixedCostPerLayer) {
  const json base = {{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))},
                     {"gpu", "nvidia-a100-sxm4-80gb"},
                     {"engine", "vllm"},
                     {"input_tokens", 1},
                     {"output_tokens", 16}};
  json q = base;
  q["dtype"] = "int4";
  const json a = json::parse(handle_request(base.dump()));
  const json b = json::parse(handle_request(q.dump()));
  ASSERT_TRUE(a["ok"].get<bool>()) << a.dump();
  ASSERT_TRUE(b["ok"].get<bool>()) << b.dump();
  EXPECT_NEAR(a["speed"]["assumptions"]["layer_overhead_seconds"].get<double>(), 20e-6, 1e-12);
  EXPECT_NEAR(b["speed"]["assumptions"]["layer_overhead_seconds"].get<double>(), 55e-6, 1e-12);
  EXPECT_NEAR(a["speed"]["decode_step"]["layer_overhead_seconds"].get<double>(), 0.64e-3, 1e-9);
  EXPECT_NEAR(b["speed"]["decode_step"]["layer_overhead_seconds"].get<double>(), 1.76e-3, 1e-9);
  json hf = q;
  hf["engine"] = "transformers";
  const json c = json::parse(handle_request(hf.dump()));
  ASSERT_TRUE(c["ok"].get<bool>()) << c.dump();
  // transformers: 0.83 ms per layer x 1.29 for AutoAWQ-style int4 kernels, no fixed addition.
  EXPECT_NEAR(c["speed"]["assumptions"]["layer_overhead_seconds"].get<double>(), 0.83e-3 * 1.29, 1e-9);
}

TEST(SpeedApi, EfficiencyOverrides) {
  const json base = {{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))}, {"gpu", "nvidia-h100-sxm"}};
  json slow = base;
  slow["bandwidth_efficiency"] = 0.4;
  const json a = json::parse(handle_request(base.dump()));
  const json b = json::parse(handle_request(slow.dump()));
  ASSERT_TRUE(b["ok"].get<bool>()) << b.dump();
  EXPECT_EQ(b["speed"]["assumptions"]["bandwidth_efficiency"].get<double>(), 0.4);
  EXPECT_GT(b["speed"]["tpot_seconds"].get<double>(), a["speed"]["tpot_seconds"].get<double>());
  json bad = base;
  bad["prefill_efficiency"] = 1.5;
  const json e = json::parse(handle_request(bad.dump()));
  EXPECT_FALSE(e["ok"].get<bool>());
  EXPECT_EQ(e["error"]["path"].get<std::string>(), "/prefill_efficiency");
}

TEST(SpeedApi, CustomGpuWithoutFiguresSaysWhy) {
  const json r = json::parse(handle_request(
      json{{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))}, {"gpu", ""}, {"gpu_memory_gib", 24}}
          .dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_FALSE(r["speed"]["available"].get<bool>());
  EXPECT_NE(r["speed"]["unavailable_reason"].get<std::string>().find("--gpu"), std::string::npos);
}

}  // namespace
}  // namespace llmsizer
