// Fine-tuning: model states per optimizer and precision, ZeRO sharding, LoRA counts from real shapes,
// activations (Korthikanti et al. 2022), QLoRA, speed, and the `training` JSON section.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "training/training.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;
using test::fixture;

constexpr double kPsiLlama2 = 6738415616.0;  // Llama-2-7B parameters (model_test.cpp; the Hub's count)

TrainingOptions full_opts(TrainingPrecision p = TrainingPrecision::kMixed, Optimizer o = Optimizer::kAdamW) {
  TrainingOptions t;
  t.mode = TrainingMode::kFull;
  t.precision = p;
  t.optimizer = o;
  t.compute_dtype = p == TrainingPrecision::kFp32 ? Dtype::kFp32 : Dtype::kBf16;
  t.base_format = test::plain(t.compute_dtype);
  return t;
}

TrainingOptions lora_opts(uint32_t targets, int64_t rank) {
  TrainingOptions t;
  t.mode = TrainingMode::kLora;
  t.lora_targets = targets;
  t.lora_rank = rank;
  t.base_format = test::plain(Dtype::kBf16);
  return t;
}

GpuSpec h100() {
  GpuSpec g = test::gpu_gib(79.19);
  g.tflops["bf16"] = 989.5;  // presets/gpus.json nvidia-h100-sxm: dense BF16
  return g;
}

json run(const json& request) { return json::parse(handle_request(request.dump())); }
json config(const char* name) { return json::parse(test::fixture_text(name)); }

// ---- model states ---------------------------------------------------------------------------------

TEST(TrainingStates, Llama2FullMixedAdamIs16BytesPerParameter) {
  // Mixed precision as transformers' Trainer(bf16=True) runs it on one GPU: the model stays fp32 under
  // torch.autocast, so 4Ψ weights + 4Ψ gradients + Adam's fp32 m and v 8Ψ, no separate master copy
  // = 16 × 6,738,415,616 = 107,814,649,856 B.
  const TrainingEstimate t = estimate_training(fixture("llama-2-7b.json"), h100(), full_opts());
  EXPECT_EQ(t.trainable_parameters, 6738415616);
  EXPECT_EQ(t.replica.weights, 4 * kPsiLlama2);
  EXPECT_EQ(t.replica.gradients, 4 * kPsiLlama2);
  EXPECT_EQ(t.master_weights_bytes, 0.0);
  EXPECT_EQ(t.optimizer_states_bytes, 8 * kPsiLlama2);
  EXPECT_EQ(t.replica.total(), 107814649856.0);
  // Under DeepSpeed (ZeRO >= 1), ZeRO §3.1: 2Ψ fp16 weights + 2Ψ fp16 gradients + 12Ψ (fp32 master 4Ψ + Adam m
  // 4Ψ + v 4Ψ): the same 16Ψ, split the ZeRO paper's way.
  TrainingOptions z1 = full_opts();
  z1.zero = 1;
  const TrainingEstimate d = estimate_training(fixture("llama-2-7b.json"), h100(), z1);
  EXPECT_EQ(d.replica.weights, 2 * kPsiLlama2);
  EXPECT_EQ(d.replica.gradients, 2 * kPsiLlama2);
  EXPECT_EQ(d.master_weights_bytes, 4 * kPsiLlama2);
  EXPECT_EQ(d.replica.total(), 107814649856.0);
}

TEST(TrainingStates, PrecisionsAndOptimizers) {
  const ModelSpec m = fixture("llama-2-7b.json");
  // fp32: 4 + 4 + 8 (no master copy) = 16 B; pure bf16 Adam: 2 + 2 + 4 = 8 B.
  const TrainingEstimate f32 = estimate_training(m, h100(), full_opts(TrainingPrecision::kFp32));
  EXPECT_EQ(f32.replica.weights, 4 * kPsiLlama2);
  EXPECT_EQ(f32.replica.gradients, 4 * kPsiLlama2);
  EXPECT_EQ(f32.replica.optimizer, 8 * kPsiLlama2);
  const TrainingEstimate bf = estimate_training(m, h100(), full_opts(TrainingPrecision::kBf16));
  EXPECT_EQ(bf.replica.total(), 8 * kPsiLlama2);
  EXPECT_EQ(bf.replica.optimizer, 4 * kPsiLlama2);
  // Mixed precision (fp32 parameters): SGD keeps no state; with momentum one fp32 buffer (4Ψ).
  EXPECT_EQ(estimate_training(m, h100(), full_opts(TrainingPrecision::kMixed, Optimizer::kSgd)).replica.optimizer, 0.0);
  EXPECT_EQ(
      estimate_training(m, h100(), full_opts(TrainingPrecision::kMixed, Optimizer::kSgdMomentum)).replica.optimizer,
      4 * kPsiLlama2);
  // 8-bit AdamW: every Llama-2-7B tensor has >= 4096 values and a multiple of 2048, so blocks = Ψ / 2048 =
  // 3,290,242 per state; states = 2 × (Ψ + 4 × 3,290,242) = 2Ψ + 26,321,936 (the fp32 weights are the master).
  const TrainingEstimate a8 = estimate_training(m, h100(), full_opts(TrainingPrecision::kMixed, Optimizer::kAdamW8bit));
  EXPECT_EQ(a8.optimizer_states_bytes, 2 * kPsiLlama2 + 26321936.0);
  EXPECT_EQ(a8.replica.optimizer, 2 * kPsiLlama2 + 26321936.0);
  // Adafactor (factored, no first moment): embeddings and head (32000 + 4096) each; per layer q,k,v,o
  // 4 × 8192, gate/up 2 × (11008 + 4096), down 15104, two norm vectors 2 × 4096 = 86,272 × 32 = 2,760,704;
  // final norm 4096 -> 2,836,992 fp32 values = 11,347,968 B.
  const TrainingEstimate af = estimate_training(m, h100(), full_opts(TrainingPrecision::kMixed, Optimizer::kAdafactor));
  EXPECT_EQ(af.optimizer_states_bytes, 11347968.0);
}

TEST(TrainingStates, EightBitKeepsSmallTensorsIn32Bit) {
  // bitsandbytes min_8bit_size = 4096: a 4095-value vector keeps two fp32 states (8 B each value);
  // a 2048 x 4 matrix (8192 values, 4 blocks of 2048) takes 2 × (8192 + 4 × 4) B.
  EXPECT_EQ(optimizer_state_bytes(Optimizer::kAdamW8bit, 4, 4095, 1, 1), 4095.0 * 8);
  EXPECT_EQ(optimizer_state_bytes(Optimizer::kAdamW8bit, 4, 2048, 4, 3), 3 * 2.0 * (8192 + 16));
  EXPECT_EQ(optimizer_state_bytes(Optimizer::kAdafactor, 4, 100, 1, 1), 400.0);  // vectors are not factored
  EXPECT_EQ(optimizer_state_bytes(Optimizer::kSgd, 4, 100, 100, 1), 0.0);
}

TEST(TrainingStates, ZeroPaperFigure1) {
  // ZeRO Figure 1: Ψ = 7.5B, N_d = 64, K = 12: baseline (2+2+K)Ψ = 120 GB; P_os (2+2+K/N)Ψ = 31.4 GB;
  // P_os+g (2+(2+K)/N)Ψ = 16.6 GB; P_os+g+p (2+2+K)Ψ/N = 1.9 GB (decimal GB).
  const double psi = 7.5e9;
  const ModelStateBytes r{2 * psi, 2 * psi, 12 * psi};
  EXPECT_EQ(shard_model_states(r, 0, 64).total(), 120e9);
  EXPECT_EQ(shard_model_states(r, 1, 64).total(), 31.40625e9);
  EXPECT_EQ(shard_model_states(r, 2, 64).total(), 16.640625e9);
  EXPECT_EQ(shard_model_states(r, 3, 64).total(), 1.875e9);
  EXPECT_NEAR(shard_model_states(r, 1, 64).total() / 1e9, 31.4, 0.05);
  EXPECT_NEAR(shard_model_states(r, 2, 64).total() / 1e9, 16.6, 0.05);
  EXPECT_NEAR(shard_model_states(r, 3, 64).total() / 1e9, 1.9, 0.05);
}

TEST(TrainingStates, ShardingAndOffloadPerGpu) {
  const ModelSpec m = fixture("llama-2-7b.json");
  TrainingOptions o = full_opts();
  o.gpus = 8;
  o.zero = 2;
  // ZeRO-2 on 8 GPUs: weights 2Ψ whole; gradients 2Ψ/8 = 1,684,603,904; optimizer 12Ψ/8 = 10,107,623,424.
  TrainingEstimate t = estimate_training(m, h100(), o);
  EXPECT_EQ(t.per_gpu.weights, 2 * kPsiLlama2);
  EXPECT_EQ(t.per_gpu.gradients, 1684603904.0);
  EXPECT_EQ(t.per_gpu.optimizer, 10107623424.0);
  // ZeRO-3: everything / 8 = 2Ψ = 13,476,831,232 B of model states per GPU.
  o.zero = 3;
  t = estimate_training(m, h100(), o);
  EXPECT_EQ(t.per_gpu.total(), 2 * kPsiLlama2);
  // ZeRO-2 + offload: the GPU keeps the 16-bit weights; the CPU holds the optimizer partition (12Ψ/8) and
  // the fp32 gradient partition (4Ψ/8 = 3,369,207,808).
  o.zero = 2;
  o.offload_optimizer = true;
  t = estimate_training(m, h100(), o);
  EXPECT_EQ(t.per_gpu.optimizer, 0.0);
  EXPECT_EQ(t.per_gpu.gradients, 0.0);
  EXPECT_EQ(t.cpu_offload_bytes, 10107623424.0 + 3369207808.0);
}

// ---- the optimizer step -------------------------------------------------------------------------

TEST(TrainingStep, UpdateTemporaryByImplementation) {
  // torch/optim/adamw.py: _multi_tensor_adamw's exp_avg_sq_sqrt = torch._foreach_sqrt(exp_avg_sqs) is one
  // state-sized tensor per parameter, all alive together; _single_tensor_adamw holds sqrt(v) and sqrt(v) / bc
  // of one tensor; _fused_adamw updates in place. Llama-3.2-3B: 3,212,749,824 values, the largest tensor the
  // (tied) embedding 128,256 × 3,072 = 394,002,432 values, fp32 states.
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdamW, OptimizerImpl::kForeach, 4, 3212749824.0, 394002432.0),
            12850999296.0);
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdamW, OptimizerImpl::kForLoop, 4, 3212749824.0, 394002432.0),
            3152019456.0);
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdamW, OptimizerImpl::kFused, 4, 3212749824.0, 394002432.0), 0.0);
  // bf16 states: half; bitsandbytes and SGD: nothing; Adafactor: two fp32 temporaries of the largest tensor.
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdamW, OptimizerImpl::kForeach, 2, 1000.0, 10.0), 2000.0);
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdamW8bit, OptimizerImpl::kForeach, 4, 1000.0, 10.0), 0.0);
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kSgdMomentum, OptimizerImpl::kForeach, 4, 1000.0, 10.0), 0.0);
  EXPECT_EQ(optimizer_step_temporary_bytes(Optimizer::kAdafactor, OptimizerImpl::kForeach, 4, 1000.0, 10.0), 80.0);
}

TEST(TrainingStep, MixedPrecisionStepIsTwentyBytesPerParameter) {
  // Llama-3.2-3B, mixed precision, AdamW foreach, micro-batch 1 × 256 (activations small): the optimizer step
  // holds weights + gradients + fp32 m and v (16 B per parameter in all) + the foreach sqrt(v) temporary (4 B):
  // 20 × 3,212,749,824 = 64,254,996,480 B. Measured: 64,259,207,680 B at micro-batch 1 × 2048
  // (shared/reference/validation-gpu-public.jsonl:19, torch 2.11 on one H200; 4.2 MB above).
  const ModelSpec m = fixture("llama-3.2-3b.json");
  ASSERT_EQ(count_parameters(m).total, 3212749824);
  TrainingOptions o = full_opts();
  o.seq_len = 256;
  const TrainingEstimate t = estimate_training(m, h100(), o);
  EXPECT_EQ(t.peak_phase, Phase::kOptimizerStep);
  const PhaseBytes& step = t.phases[static_cast<size_t>(Phase::kOptimizerStep)];
  EXPECT_EQ(step.weights + step.gradients + step.optimizer, 64254996480.0);
  EXPECT_EQ(step.activations, 0.0);
  EXPECT_EQ(t.optimizer_temp_bytes, 12850999296.0);
  // fused=True: no temporary, the step is 16 B per parameter; the backward (weights, states, activations) may
  // then set the peak instead.
  o.optimizer_impl = OptimizerImpl::kFused;
  const TrainingEstimate f = estimate_training(m, h100(), o);
  const PhaseBytes& fstep = f.phases[static_cast<size_t>(Phase::kOptimizerStep)];
  EXPECT_EQ(fstep.weights + fstep.gradients + fstep.optimizer, 16 * 3212749824.0);
}

// ---- mixed precision as Trainer(bf16=True) runs it ------------------------------------------------

TEST(TrainingPrecisionTest, AutocastCachesBf16CopiesOfTheLinearWeights) {
  // torch.autocast casts each fp32 weight a matmul uses to bf16 once and caches it until the autocast region
  // ends; the linear's backward saves the cast, so every copy lives into the backward. Qwen2.5-0.5B
  // (h 896, 24 layers, q/o 896 × 896, k/v 128 × 896, gate/up/down 4864 × 896, tied head 151,936 × 896):
  // per layer 2 × 802,816 + 2 × 114,688 + 3 × 4,358,144 = 14,909,440 values; × 24 = 357,826,560; + head
  // 136,134,656 = 493,961,216 values -> a 987,922,432 B cache on top of the 4 × 494,032,768 fp32 weights.
  const ModelSpec m = fixture("qwen2.5-0.5b.json");
  ASSERT_EQ(count_parameters(m).total, 494032768);
  TrainingOptions o = full_opts();
  o.seq_len = 512;
  const TrainingEstimate t = estimate_training(m, h100(), o);
  const double w = 4.0 * 494032768;
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::kForward)].weights, w + 987922432.0);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::kBackward)].weights, w + 987922432.0);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::kOptimizerStep)].weights, w);  // freed by then
  // Gradient checkpointing: the layers save nothing, so after the forward only the LM head's copy (outside
  // the checkpointed layers) and the one layer being rebuilt: 2 × (136,134,656 + 14,909,440) = 302,088,192 B.
  o.checkpointing = Checkpointing::kFull;
  const TrainingEstimate c = estimate_training(m, h100(), o);
  EXPECT_EQ(c.phases[static_cast<size_t>(Phase::kForward)].weights, w + 987922432.0);
  EXPECT_EQ(c.phases[static_cast<size_t>(Phase::kBackward)].weights, w + 302088192.0);
  // Pure bf16 and DeepSpeed's bf16 parameters have nothing to cast.
  EXPECT_EQ(estimate_training(m, h100(), full_opts(TrainingPrecision::kBf16)).phases[0].weights, 2.0 * 494032768);
}

// ---- LoRA -----------------------------------------------------------------------------------------

TEST(TrainingLora, Llama2QvRank8) {
  // r × (in + out) per matrix: q 8 × (4096 + 4096) = 65,536, v the same; × 2 × 32 layers = 4,194,304
  // (PEFT prints "trainable params: 4,194,304" for LoraConfig(r=8) on Llama-2-7B).
  const auto a = lora_adapters(fixture("llama-2-7b.json"), kLoraQ | kLoraV);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(lora_parameters(a, 8), 4194304);
}

TEST(TrainingLora, Llama31AllLinearRank16) {
  // Llama-3.1-8B, r = 16, per layer:
  //   q    16 × (4096 + 4096)  = 131,072
  //   k    16 × (4096 + 1024)  =  81,920   (8 KV heads × 128 = 1024 outputs)
  //   v    16 × (4096 + 1024)  =  81,920
  //   o    16 × (4096 + 4096)  = 131,072
  //   gate 16 × (4096 + 14336) = 294,912
  //   up   16 × (4096 + 14336) = 294,912
  //   down 16 × (14336 + 4096) = 294,912
  //   sum                       1,310,720 × 32 layers = 41,943,040
  const ModelSpec m = fixture("llama-3.1-8b.json");
  const auto a = lora_adapters(m, kLoraAllLinear);
  EXPECT_EQ(lora_parameters(a, 16), 41943040);
  // The same through the targets parser and the API.
  EXPECT_EQ(parse_lora_targets("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj").value(),
            parse_lora_targets("all-linear").value() & ~(kLoraExperts | kLoraRouter | kLoraQA | kLoraQB | kLoraKVA | kLoraKVB));
  const json r = run({{"config", config("llama-3.1-8b.json")}, {"mode", "lora"}, {"lora_rank", 16},
                      {"lora_targets", "q,k,v,o,gate,up,down"}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["training"]["trainable_parameters"].get<int64_t>(), 41943040);
  EXPECT_EQ(r["training"]["lora"]["adapted_matrices"].get<int64_t>(), 7 * 32);
}

TEST(TrainingLora, MixtralExpertsMultiply) {
  // Mixtral-8x7B experts, r = 8: per expert gate/up 8 × (4096 + 14336) = 147,456 each, down the same;
  // 3 × 147,456 × 8 experts = 3,538,944 per layer × 32 = 113,246,208.
  const ModelSpec m = fixture("mixtral-8x7b.json");
  EXPECT_EQ(lora_parameters(lora_adapters(m, kLoraExperts), 8), 113246208);
  // Router (4096 -> 8): 8 × 4104 = 32,832 per layer × 32 = 1,050,624.
  EXPECT_EQ(lora_parameters(lora_adapters(m, kLoraRouter), 8), 1050624);
  // "mlp" on Mixtral names dense / shared MLPs only: none exist.
  EXPECT_TRUE(lora_adapters(m, kLoraGate | kLoraUp | kLoraDown).empty());
}

TEST(TrainingLora, MlaProjections) {
  // DeepSeek-V2-Lite (q_lora_rank null): q_proj 2048 -> 16 × (128 + 64) = 3072; kv_a_proj_with_mqa
  // 2048 -> 512 + 64 = 576; kv_b_proj 512 -> 16 × (128 + 128) = 4096; o_proj 2048 -> 2048. r = 8:
  // 8 × (5120 + 2624 + 4608 + 4096) = 131,584 per layer × 27 = 3,552,768.
  const ModelSpec m = fixture("deepseek-v2-lite.json");
  EXPECT_EQ(lora_parameters(lora_adapters(m, kLoraQ | kLoraK | kLoraV | kLoraO), 8), 3552768);
}

TEST(TrainingLora, FusedQkvAsPeftSeesIt) {
  // GPT-2 fuses q, k, v in attn.c_attn (768 -> 2304): one adapter of 8 × (768 + 2304) = 24,576 per layer ×
  // 12 = 294,912 (PEFT: "trainable params: 294,912" for r=8 on c_attn).
  const ModelSpec m = fixture("gpt2.json");
  EXPECT_EQ(lora_parameters(lora_adapters(m, kLoraQ | kLoraV), 8), 294912);
  EXPECT_EQ(lora_parameters(lora_adapters(m, parse_lora_targets("c_attn").value()), 8), 294912);
}

TEST(TrainingLora, TargetsParser) {
  EXPECT_EQ(parse_lora_targets("q,v").value(), kLoraQ | kLoraV);
  EXPECT_EQ(parse_lora_targets(" Q_PROJ + v_proj ").value(), kLoraQ | kLoraV);
  EXPECT_EQ(parse_lora_targets("all-linear").value(), kLoraAllLinear);
  const auto bad = parse_lora_targets("q,wq");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(bad.error().path, "/lora_targets");
  EXPECT_NE(bad.error().message.find("'wq'"), std::string::npos);
  EXPECT_FALSE(parse_lora_targets(" , ").ok());
}

TEST(TrainingLora, StatesOfAdapters) {
  // Llama-2-7B LoRA r=8 on q,v, mixed precision: base fp16/bf16 2Ψ; adapters fp32 (PEFT upcast):
  // weights 4 × 4,194,304, gradients the same, AdamW 8 × 4,194,304 = 33,554,432.
  const TrainingEstimate t = estimate_training(fixture("llama-2-7b.json"), h100(), lora_opts(kLoraQ | kLoraV, 8));
  EXPECT_EQ(t.trainable_parameters, 4194304);
  EXPECT_EQ(t.base_weights_bytes, 2 * kPsiLlama2);
  EXPECT_EQ(t.replica.weights, 2 * kPsiLlama2 + 4 * 4194304.0);
  EXPECT_EQ(t.replica.gradients, 4 * 4194304.0);
  EXPECT_EQ(t.replica.optimizer, 8 * 4194304.0);
}

// ---- activations ----------------------------------------------------------------------------------

/// The regimes of the walk: pure bf16 (a bf16 model, no autocast), Trainer(bf16=True) (the fp32 model under
/// torch.autocast) and LoRA on a bf16 base with peft's fp32 adapters.
ActivationOptions pure_bf16(int64_t batch, int64_t seq) {
  ActivationOptions o;
  o.micro_batch = batch;
  o.seq_len = seq;
  return o;
}
ActivationOptions trainer_amp(int64_t batch, int64_t seq) {
  ActivationOptions o = pure_bf16(batch, seq);
  o.autocast = true;
  o.hidden_bytes = 4;
  o.norm_bytes = 4;
  return o;
}
ActivationOptions lora_bf16(int64_t batch, int64_t seq) {
  ActivationOptions o = pure_bf16(batch, seq);
  o.weights_train = false;
  return o;
}

TEST(TrainingActivations, GptBlockWithFlashAttentionIs32sbh) {
  // Korthikanti et al. 2022 Table 2 counts 34sbh + 5as²b for a 16-bit GPT block with dropout; without the
  // two sbh dropout masks and with FlashAttention (no s² terms) that is 32sbh: LayerNorm inputs 2 × 2h, the
  // attention input 2h, Q, K, V 3 × 2h, the attention output 2h, the MLP input 2h, GELU input and output 2 × 8h.
  // Add what the paper neglects: LayerNorm mean + rstd (2 × 8 B) and FlashAttention's fp32 log-sum-exp (4 × 12).
  // GPT-2 (h 768, 12 heads), pure bf16, b = 4, s = 1024: (32 × 768 + 64) × 4096 = 100,925,440 B.
  const ModelSpec m = fixture("gpt2.json");
  EXPECT_EQ(layer_cost(m, 0, pure_bf16(4, 1024), nullptr, true).saved, (32.0 * 768 + 64) * 4096);
}

TEST(TrainingActivations, PureBf16LlamaLayerByHand) {
  // Llama-2-7B in pure bf16, b = 1, s = 2048, SDPA, all training. Per token (h 4096, 32 heads x 128, I 11008):
  //   2 RMSNorms, each: the fp32 copy of its input 4h (pow and the multiply save it) + 1/rms 4 + the bf16 normed
  //   input 2h (saved by the weight's multiply) + its output 2h (saved once for q/k/v or gate/up): 2 x (8h + 4)
  //   = 65,544; Q, K, V 3 x 2 x 4096 = 24,576; output 8,192 + log-sum-exp 4 x 32 = 128; gate's output (SiLU),
  //   SiLU's output and up's output (the product), the product (down) 4 x 2 x 11,008 = 88,064
  //   ->  186,504 B per token x 2048 = 381,960,192 B per layer.
  const ModelSpec m = fixture("llama-2-7b.json");
  const ActivationOptions o = pure_bf16(1, 2048);
  EXPECT_EQ(layer_cost(m, 0, o, nullptr, true).saved, 381960192.0);
  const ActivationBytes a = activation_bytes(m, o, nullptr);
  EXPECT_EQ(a.layers, 32 * 381960192.0);
  // Head: final norm 8h + 4 (its output saved by the training LM head) = 32,772 x 2048 = 67,117,056.
  // Loss (transformers ForCausalLMLoss: logits.float(), cross_entropy), 2048 x 32000 = 65,536,000 logits: the
  // forward holds bf16 logits + fp32 copy + fp32 log-softmax = 10 B each = 655,360,000; the backward starts with
  // the log-softmax, nll_loss's fp32 gradient and log_softmax_backward's fp32 result = 12 B = 786,432,000.
  EXPECT_EQ(a.head, 67117056.0);
  EXPECT_EQ(a.loss_forward, 655360000.0);
  EXPECT_EQ(a.loss_backward, 786432000.0);
  // Gradient checkpointing: 32 layer inputs x 2048 x 4096 x 2 = 536,870,912; one layer rebuilt with its
  // backward's two 2 x 11,008 gradients (2048 x 44,032 = 90,177,536).
  ActivationOptions c = o;
  c.checkpointing = Checkpointing::kFull;
  const ActivationBytes f = activation_bytes(m, c, nullptr);
  EXPECT_EQ(f.layers, 536870912.0);
  EXPECT_EQ(f.recompute, 381960192.0 + 90177536.0);
}

TEST(TrainingActivations, AutocastSavesAnFp32ResidualAndOneBf16CastPerMatmul) {
  // Trainer(bf16=True) keeps the model fp32 under torch.autocast: the residual stream and the norms are fp32, and
  // every matmul casts its fp32 input to bf16 anew (only weights are cached). Qwen2.5-0.5B (h 896, 14 heads x 64,
  // 2 KV heads, I 4864), per token:
  //   input norm: the fp32 layer input 4h + 1/rms 4 + the fp32 normed input 4h; q, k, v: three bf16 casts 3 x 2h;
  //   RoPE with fp32 cos/sin promotes q and k to fp32, SDPA casts them back: q 2 x 896, k 2 x 128, v 2 x 128,
  //   output 2 x 896 + log-sum-exp 4 x 14; post-attention norm 4h + 4 + 4h; gate and up casts 2 x 2h;
  //   MLP 4 x 2 x 4864
  //   = 7,172 + 5,376 + 1,792 + 256 + 256 + 1,792 + 56 + 7,172 + 3,584 + 38,912 = 66,368 B.
  // (validation-gpu-public.jsonl:17 measured this through the whole step: see training_reference_test.cpp.)
  const ModelSpec m = fixture("qwen2.5-0.5b.json");
  EXPECT_EQ(layer_cost(m, 3, trainer_amp(4, 2048), nullptr, true).saved, 66368.0 * 8192);
}

TEST(TrainingActivations, EagerAttentionKeepsSixBytesPerScore) {
  // Eager attention under autocast, Qwen2.5-0.5B, b = 2, s = 2048: K and V repeated to 14 heads (repeat_kv),
  // q and the repeated k cast to bf16 for QK^T (2 x 896 each), v 2 x 896; softmax(dtype=float32) saves its fp32
  // output and the scores @ V matmul its bf16 cast: 6 B x 14 heads x 2048 keys = 172,032 per token; the output's
  // contiguous copy 2 x 896 for o_proj. With the rest of the layer as above (7,172 + 5,376 + 7,172 + 3,584 +
  // 38,912): 241,416 B per token x 4096 = 988,839,936 B per layer. The float causal mask, 2 x 2048 x 2048 x 4 B
  // (fp32 embeddings) = 33,554,432 B, lives through the forward.
  const ModelSpec m = fixture("qwen2.5-0.5b.json");
  ActivationOptions o = trainer_amp(2, 2048);
  o.flash_attention = false;
  EXPECT_EQ(layer_cost(m, 3, o, nullptr, true).saved, 241416.0 * 4096);
  EXPECT_EQ(activation_bytes(m, o, nullptr).mask, 33554432.0);
}

TEST(TrainingActivations, LoraKeepsWhatReachesTheAdapters) {
  // LoRA r = 16 on q, k, v, o of Qwen2.5-7B (h 3584, 28 heads x 128, 4 KV heads, I 18944), pure bf16 base,
  // peft's fp32 adapters. Frozen linears save nothing for their weights; every adapter saves its own fp32 cast of
  // its input (peft _cast_input_dtype) and A·x (16 x 4 B). Per token, a layer after the first:
  //   input norm 4h + 4 (fp32 copy + 1/rms; the frozen weight keeps nothing); q, k, v adapters 3 x (4h + 64);
  //   Q, K, V, output, LSE 2 x 3584 + 2 x 512 + 2 x 512 + 2 x 3584 + 4 x 28 = 16,496; o adapter 4 x 3584 + 64;
  //   post-attention norm 4h + 4; SiLU input, its output and up 3 x 2 x 18944 (down is frozen: its input is not
  //   kept)  =  14,340 + 43,200 + 16,496 + 14,400 + 14,340 + 113,664 = 216,440 B.
  // The first layer's input needs no gradient, so its input norm keeps nothing: 202,100 B.
  const ModelSpec m = fixture("qwen2.5-7b.json");
  LoraSetup ls;
  ls.adapters = lora_adapters(m, kLoraQ | kLoraK | kLoraV | kLoraO);
  ls.rank = 16;
  const ActivationOptions o = lora_bf16(1, 2048);
  EXPECT_EQ(layer_cost(m, 1, o, &ls, true).saved, 216440.0 * 2048);
  EXPECT_EQ(layer_cost(m, 1, o, &ls, true).lora, 57600.0 * 2048);
  EXPECT_EQ(layer_cost(m, 0, o, &ls, false).saved, 202100.0 * 2048);
  const ActivationBytes a = activation_bytes(m, o, &ls);
  EXPECT_EQ(a.layers, (202100.0 + 27 * 216440.0) * 2048);
  EXPECT_EQ(a.head, (4.0 * 3584 + 4) * 2048);  // the frozen head keeps no input
  // Under autocast (mixed LoRA) lora_A's input is autocast's bf16 cast of the fp32 copy and A·x is bf16:
  // Llama-2-7B q, v r = 8: 4h + 4 + 2 x (2h + 16) + 3 x 8,192 + 8,192 + 128 + 4h + 4 + 6 x 11,008 = 148,136 B.
  ActivationOptions amp = lora_bf16(1, 2048);
  amp.autocast = true;
  const ModelSpec l2 = fixture("llama-2-7b.json");
  LoraSetup qv;
  qv.adapters = lora_adapters(l2, kLoraQ | kLoraV);
  qv.rank = 8;
  EXPECT_EQ(layer_cost(l2, 1, amp, &qv, true).saved, 148136.0 * 2048);
}

TEST(TrainingActivations, GemmaSoftCappedLogitsKeepTanh) {
  // Gemma 2 soft-caps its logits (modeling_gemma2.py: logits / 30, tanh, * 30): tanh's bf16 output is saved for
  // the backward. Gemma-2-9B, 1 x 4096 tokens, vocabulary 256,000: 1,048,576,000 logits. Forward at the loss: tanh's
  // output + the capped logits (bf16) + the fp32 copy + the fp32 log-softmax = 12 B each; the backward's start: the
  // log-softmax, its fp32 gradient and the input's fp32 gradient + tanh's output = 14 B each.
  const ModelSpec m = fixture("gemma-2-9b.json");
  const ActivationBytes a = activation_bytes(m, lora_bf16(1, 4096), nullptr);
  EXPECT_EQ(a.loss_forward, 12.0 * 1048576000);
  EXPECT_EQ(a.loss_backward, 14.0 * 1048576000);
}

TEST(TrainingActivations, MixtralMoeLayerByHand) {
  // Mixtral-8x7B in pure bf16, b = 1, s = 1024, all training. Per token (h 4096, 8 KV heads, expert I 14336,
  // top-2): norms 2 x (6h + 4) + their outputs 2 x 2h (attention input; MoE input, saved by the router);
  // Q 8,192 + K, V 2 x 2,048 + output 8,192 + LSE 128; router softmax fp32 4 x 8 = 32; the gathered routed copies
  // 2 x 2h; per copy gate output, SiLU output, up output and product 4 x 2 x 14336; expert outputs (saved for
  // the routing weight's gradient) 2 x 2h  ->  49,160 + 16,384 + 20,608 + 32 + 16,384 + 229,376 + 16,384 =
  // 348,328 B per token x 1024.
  const ModelSpec m = fixture("mixtral-8x7b.json");
  EXPECT_EQ(layer_cost(m, 0, pure_bf16(1, 1024), nullptr, true).saved, 348328.0 * 1024);
}

TEST(TrainingActivations, ParallelBlockKeepsTheSharedInputOnce) {
  // Falcon-7B (parallel attention + MLP behind one LayerNorm; MQA; GELU MLP 4h = 18,176), pure bf16, 1 x 1024,
  // all training. Per token: LayerNorm input 2 x 4544 + mean/rstd 8; the shared normed input 9,088 (once);
  // Q 71 x 64 x 2 = 9,088, K and V 64 x 2 each = 256; output 9,088 + LSE 4 x 71 = 284; GELU input and output
  // 2 x 2 x 18,176 = 72,704  ->  109,604 x 1024 = 112,234,496.
  const ModelSpec m = fixture("falcon-7b.json");
  EXPECT_EQ(layer_cost(m, 0, pure_bf16(1, 1024), nullptr, true).saved, 112234496.0);
}

// ---- QLoRA ----------------------------------------------------------------------------------------

TEST(TrainingQlora, Llama65BOnOne48GBGpu) {
  // QLoRA (arXiv:2305.14314 abstract): "finetune a 65B parameter model on a single 48GB GPU". Its recipe
  // (scripts/finetune_guanaco_65b.sh): NF4 + double quant, bf16, LoRA r = 64 on all linear layers, dropout
  // 0.05, batch 1, target length 512, gradient checkpointing, paged_adamw_32bit.
  //
  // By hand (LLaMA-65B: h 8192, 80 layers, 64 heads, I 22016, vocab 32000):
  //   NF4 matrices per layer: 4 × (8192² / 2 + 8192²/64 + 4 × 4096) = 4 × 34,619,392 and
  //     3 × (8192 × 22016 / 2 + 2,818,048 + 4 × 11,008) = 3 × 93,039,616  ->  417,596,416 × 80 = 33,407,713,280
  //   norms fp32 (80 × 2 + 1) × 8192 × 4 = 5,275,648; embeddings + head bf16 2 × 262,144,000 × 2 = 1,048,576,000
  //   base = 34,461,564,928
  //   adapters r = 64: q,k,v,o 64 × 16,384 each, gate/up/down 64 × 30,208 each -> 9,994,240 × 80 = 799,539,200;
  //     bf16 weights 1,599,078,400 + bf16 gradients 1,599,078,400 + fp32 Adam states 6,396,313,600
  //   activations: 80 layer inputs 80 × 512 × 8192 × 2 = 671,088,640; one layer rebuilt, per token (qlora.py
  //     keeps the norms fp32, so their outputs promote to fp32 and each adapter casts its input to bf16):
  //     2 RMSNorms 2 × (4 × 8192 + 4); 7 adapters: dropped bf16 input + 1-byte mask + A·x (64 × 2) =
  //     6 × (3 × 8192 + 128) + (3 × 22016 + 128); Q, K, V, output 4 × 2 × 8192 + LSE 4 × 64; SiLU input, its
  //     output and up 3 × 2 × 22016  ->  34h + 9I + 1,160 = 477,832 × 512 = 244,649,984; its backward holds two
  //     2 × 22016 gradients (45,088,768)  ->  289,738,752; at the backward's start instead: final norm
  //     512 × (4 × 8192 + 4) = 16,779,264 + loss 512 × 32000 × 12 = 196,608,000  ->  backward peak while the
  //     first layer is rebuilt: 671,088,640 + 289,738,752 = 960,827,392
  //   other: CUDA context 805,306,368 + one dequantised down_proj 8192 × 22016 × 2 = 360,710,144
  // Phases (PyTorch frees the gradients after each step; paged_adamw_32bit updates in place):
  //   backward  base + adapters 36,060,643,328 + states 6,396,313,600 + activations 960,827,392 + other
  //             1,166,016,512 = 44,583,800,832
  //   step      36,060,643,328 + gradients 1,599,078,400 + states 6,396,313,600 + other 1,166,016,512
  //             = 45,222,051,840 B = 42.12 GiB  <- the peak
  const ModelSpec m = fixture("llama-65b.json");
  EXPECT_EQ(count_parameters(m).total, 65285660672);
  const json r = run({{"config", config("llama-65b.json")}, {"mode", "qlora"}, {"lora_dropout", 0.05},
                      {"seq_len", 512}, {"micro_batch", 1}, {"gpu_memory_gib", 48e9 / kGiB},
                      {"training_reserve", 0}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  const json& t = r["training"];
  EXPECT_EQ(t["trainable_parameters"].get<int64_t>(), 799539200);
  EXPECT_EQ(t["weights"]["base_bytes"].get<int64_t>(), 34461564928);
  EXPECT_EQ(t["peak_phase"].get<std::string>(), "optimizer_step");
  EXPECT_EQ(t["weights_bytes"].get<int64_t>(), 34461564928 + 1599078400);
  EXPECT_EQ(t["gradients_bytes"].get<int64_t>(), 1599078400);
  EXPECT_EQ(t["optimizer_bytes"].get<int64_t>(), 6396313600);
  EXPECT_EQ(t["activations_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(t["phases"]["backward"]["activations_bytes"].get<int64_t>(), 960827392);
  EXPECT_EQ(t["phases"]["backward"]["total_bytes"].get<int64_t>(), 44583800832);
  EXPECT_EQ(t["other_bytes"].get<int64_t>(), 805306368 + 360710144);
  EXPECT_EQ(t["total_bytes"].get<int64_t>(), 45222051840);
  EXPECT_EQ(t["inputs"]["gradient_checkpointing"].get<std::string>(), "full");
  EXPECT_TRUE(t["fits"].get<bool>());  // 45.22 GB < 48 GB (decimal: the paper's unit)
  EXPECT_EQ(t["pageable_bytes"].get<int64_t>(), 6396313600);
  // A 48 GB L40S shows 44.99 GiB (nvidia-smi memory.total 46068 MiB with ECC; shared/reference/gpus.json):
  // 42.12 GiB fits, also with the default 5 % reserve (usable 0.95 × 44.99 GiB = 45,892,262,428 B).
  const json l40s = run({{"config", config("llama-65b.json")}, {"mode", "qlora"}, {"lora_dropout", 0.05},
                         {"seq_len", 512}, {"gpu_memory_gib", 44.99}});
  EXPECT_TRUE(l40s["training"]["fits"].get<bool>()) << l40s["training"].dump();
  // 16-bit LoRA of the same model needs 130 GB for the base alone: it does not fit.
  const json lora16 = run({{"config", config("llama-65b.json")}, {"mode", "lora"}, {"seq_len", 512},
                           {"gpu_memory_gib", 44.99}});
  EXPECT_FALSE(lora16["training"]["fits"].get<bool>());
}

TEST(TrainingQlora, PagingCanRescueAFit) {
  // QLoRA 65B on 41 GiB = 44,023,414,784 B: the 45,222,051,840 B step does not fit; without the 6,396,313,600 B
  // of paged Adam states (38,825,738,240 B) it does.
  const json r = run({{"config", config("llama-65b.json")}, {"mode", "qlora"}, {"lora_dropout", 0.05},
                      {"seq_len", 512}, {"gpu_memory_gib", 41}, {"training_reserve", 0}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_FALSE(r["training"]["fits"].get<bool>());
  EXPECT_TRUE(r["training"]["fits_with_paging"].get<bool>());
  EXPECT_NE(r["warnings"].dump().find("fits_only_with_paging"), std::string::npos);
}

// ---- speed ----------------------------------------------------------------------------------------

TEST(TrainingSpeed, MatmulAndAttentionFlopsOfALayer) {
  // Llama-2-7B, pure bf16, 1 x 2048, all training. A layer's linear weights: q, k, v, o 4 x 4096² + gate, up,
  // down 3 x 4096 x 11008 = 202,375,168 values: forward 2 x that per token, backward the input and the weight
  // gradients (2 x the forward). Flash attention, causal: each query meets (on average) 1024 of the 2048 keys,
  // 2 x 32 heads x (128 + 128) x 1024 = 16,777,216 FLOPs per token forward; FlashAttention-2's backward does
  // 2.5 x the forward's matmuls (arXiv:2307.08691 §3.1).
  const ModelSpec m = fixture("llama-2-7b.json");
  const LayerCost c = layer_cost(m, 0, pure_bf16(1, 2048), nullptr, true);
  EXPECT_EQ(c.gemm_forward, 2.0 * 202375168 * 2048);
  EXPECT_EQ(c.gemm_backward, 4.0 * 202375168 * 2048);
  EXPECT_EQ(c.attention_forward, 16777216.0 * 2048);
  EXPECT_EQ(c.attention_backward, 2.5 * 16777216.0 * 2048);
  // LoRA on q, v: the frozen weights need no weight gradients, and in the first adapted layer no input gradient
  // flows out of q, k, v (their input needs none): backward = o, gate, up, down input gradients only,
  // 2 x (4096² + 3 x 4096 x 11008) = 2 x 152,043,520 per token.
  LoraSetup qv;
  qv.adapters = lora_adapters(m, kLoraQ | kLoraV);
  qv.rank = 8;
  const LayerCost l = layer_cost(m, 0, lora_bf16(1, 2048), &qv, false);
  EXPECT_EQ(l.gemm_backward, 2.0 * 152043520 * 2048);
}

TEST(TrainingSpeed, StepTimeAddsTheGpuWorkOrWaitsForTheHost) {
  // One H200 (989.5 dense bf16 TFLOPS, 4,800 GB/s), Hopper's constants: matmuls at 0.75 of the peak
  // (742.125 TFLOPS), attention at 0.33 (326.535), bandwidth at 0.80 (3,840 GB/s), 8 us per kernel on the GPU,
  // 26 us per kernel on the host. Work chosen so each term is one second: 7.42125e14 matmul FLOPs,
  // 3.26535e14 attention FLOPs, 3.84e12 bytes; 10,000 kernels: GPU 3 s + 0.08 s, host 0.26 s -> 3.08 s.
  GpuSpec h200 = test::gpu_gib(140.4);
  h200.tflops["bf16"] = 989.5;
  h200.memory_bandwidth_gbps = 4800;
  h200.architecture = "hopper";
  TrainingOptions o = full_opts(TrainingPrecision::kBf16);
  o.micro_batch = 1;
  o.seq_len = 4096;
  StepInputs in;
  in.work.gemm_flops = 7.42125e14;
  in.work.attention_flops = 3.26535e14;
  in.work.elementwise_bytes = 3.84e12;
  in.work.kernels = 10000;
  in.work.model_flops = in.work.gemm_flops + in.work.attention_flops;
  TrainingSpeed sp = step_time(h200, o, in);
  EXPECT_EQ(sp.bound, "gpu");
  EXPECT_NEAR(sp.seconds_per_step, 3.08, 1e-9);
  EXPECT_NEAR(sp.tokens_per_second_per_gpu, 4096 / 3.08, 1e-6);
  EXPECT_NEAR(sp.mfu, (7.42125e14 + 3.26535e14) / (3.08 * 989.5e12), 1e-12);
  // 200,000 kernels: the GPU needs 3 + 1.6 s, the host 5.2 s to launch them: host-bound.
  in.work.kernels = 200000;
  sp = step_time(h200, o, in);
  EXPECT_EQ(sp.bound, "host");
  EXPECT_NEAR(sp.seconds_per_step, 5.2, 1e-9);
  // The optimizer's update: AdamW foreach over 1e9 bf16 values moves 4p + 14s + 3g = 42 B each (42 GB,
  // 10.9 ms at 3,840 GB/s); fused=True one pass of 2p + g + 4s = 14 B.
  in.work = StepWork{};
  in.trainable = 1e9;
  in.param_bytes = in.grad_bytes = in.state_bytes = 2;
  EXPECT_EQ(step_time(h200, o, in).optimizer_bytes, 42e9);
  o.optimizer_impl = OptimizerImpl::kFused;
  EXPECT_EQ(step_time(h200, o, in).optimizer_bytes, 14e9);
  // --training-mfu replaces the model: executed FLOPs at that fraction of the peak.
  o.mfu = 0.5;
  in.work.gemm_flops = 989.5e12;
  EXPECT_NEAR(step_time(h200, o, in).seconds_per_step, 2.0, 1e-12);
}

// ---- the JSON section -----------------------------------------------------------------------------

TEST(TrainingApi, SectionShapeAndSums) {
  const json r = run({{"config", config("llama-2-7b.json")}, {"mode", "full"}, {"gpus", 8}, {"zero", 3},
                      {"gradient_checkpointing", "full"}, {"micro_batch", 4}, {"dataset_tokens", 1000000}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  for (const char* k : {"model", "memory", "serving", "training"}) EXPECT_TRUE(r.contains(k)) << k;
  const json& t = r["training"];
  EXPECT_EQ(t["mode"].get<std::string>(), "full");
  int64_t sum = 0;
  for (const json& part : t["breakdown"]) sum += part["bytes"].get<int64_t>();
  EXPECT_EQ(sum, t["total_bytes"].get<int64_t>());
  EXPECT_EQ(t["weights_bytes"].get<int64_t>() + t["gradients_bytes"].get<int64_t>() +
                t["optimizer_bytes"].get<int64_t>() + t["activations_bytes"].get<int64_t>() +
                t["other_bytes"].get<int64_t>(),
            t["total_bytes"].get<int64_t>());
  // ZeRO-3 over 8: 16Ψ / 8 = 13,476,831,232 B of model states per GPU.
  EXPECT_EQ(t["weights_bytes"].get<int64_t>() + t["gradients_bytes"].get<int64_t>() +
                t["optimizer_bytes"].get<int64_t>(),
            13476831232);
  EXPECT_EQ(t["replica"]["total_bytes"].get<int64_t>(), 107814649856);
  EXPECT_EQ(t["free_bytes"].get<int64_t>(), t["usable_bytes"].get<int64_t>() - t["total_bytes"].get<int64_t>());
  EXPECT_EQ(t["all_gpus"]["total_bytes"].get<int64_t>(), 8 * t["total_bytes"].get<int64_t>());
  EXPECT_TRUE(t["fits"].get<bool>());
  EXPECT_GT(t["gpus_needed"].get<int64_t>(), 1);  // 16Ψ = 100 GiB needs at least 2 H100s
  EXPECT_EQ(t["gpus_needed_by_zero"][0].get<int64_t>(), 0);
  EXPECT_TRUE(t.contains("seconds_per_epoch"));
  EXPECT_TRUE(t["tokens_per_second_per_gpu"].get<double>() > 0);
  // Inference mode keeps the section, marked as such.
  const json inf = run({{"config", config("llama-2-7b.json")}});
  EXPECT_EQ(inf["training"]["mode"].get<std::string>(), "inference");
}

TEST(TrainingApi, RuleOfThumbFourToSixTimes) {
  // Article 002: training needs "(4-6) × the model size" (the model in fp32, 4Ψ bytes): mixed-precision Adam
  // holds 16Ψ = 4×, activations add the rest. Llama-2-7B, batch 1 × 2048, no checkpointing: 4.43×;
  // batch 8 × 2048 with full checkpointing: still in the range.
  for (const auto& [mb, ck] : {std::pair<int, const char*>{1, "none"}, {8, "full"}, {2, "none"}}) {
    const json r = run({{"config", config("llama-2-7b.json")}, {"mode", "full"}, {"micro_batch", mb},
                        {"seq_len", 2048}, {"gradient_checkpointing", ck}});
    const double ratio = r["training"]["total_bytes"].get<double>() / (4 * kPsiLlama2);
    EXPECT_GE(ratio, 4.0) << mb << " " << ck;
    EXPECT_LE(ratio, 6.0) << mb << " " << ck;
  }
}

TEST(TrainingApi, ErrorsNameTheField) {
  const json base = {{"config", config("llama-2-7b.json")}, {"mode", "lora"}};
  auto err = [&](const json& extra) {
    json q = base;
    for (auto it = extra.begin(); it != extra.end(); ++it) q[it.key()] = it.value();
    return run(q);
  };
  struct Case {
    json extra;
    const char* code;
    const char* path;
  };
  const Case cases[] = {
      {{{"optimizer", "lion"}}, "invalid_request", "/optimizer"},
      {{{"training_precision", "fp8"}}, "invalid_request", "/training_precision"},
      {{{"gradient_checkpointing", "some"}}, "invalid_request", "/gradient_checkpointing"},
      {{{"lora_targets", "q,wq"}}, "invalid_request", "/lora_targets"},
      {{{"zero", 4}}, "invalid_request", "/zero"},
      {{{"micro_batch", 0}}, "invalid_request", "/micro_batch"},
      {{{"mode", "pretrain"}}, "invalid_request", "/mode"},
      {{{"offload_optimizer", true}}, "conflicting_options", "/offload_optimizer"},
      {{{"training_mfu", 1.5}}, "invalid_request", "/training_mfu"},
      {{{"micro_batch", 100000}, {"seq_len", 100000}}, "invalid_request", "/micro_batch"},
  };
  for (const Case& c : cases) {
    const json r = err(c.extra);
    ASSERT_FALSE(r["ok"].get<bool>()) << c.extra.dump();
    EXPECT_EQ(r["error"]["code"].get<std::string>(), c.code) << c.extra.dump();
    EXPECT_EQ(r["error"]["path"].get<std::string>(), c.path) << c.extra.dump();
  }
  // Targets the model lacks: GPT-2's MLP has no gate.
  const json g = run({{"config", config("gpt2.json")}, {"mode", "lora"}, {"lora_targets", "gate"}});
  ASSERT_FALSE(g["ok"].get<bool>());
  EXPECT_EQ(g["error"]["path"].get<std::string>(), "/lora_targets");
}

}  // namespace
}  // namespace llmsizer
