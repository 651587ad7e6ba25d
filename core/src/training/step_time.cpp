// Fine-tuning speed: seconds per optimizer step of one micro-batch on one GPU. Declared in training.h.
//
// The GPU executes, per step (the work counted op by op in activations.cpp):
//   matmuls            FLOPs of the real shapes (forward 2·in·out per token; backward the input gradient where a
//                      gradient flows, the weight gradient where the weight trains; checkpointing: one more
//                      forward) at a fraction of the dense peak;
//   attention          FlashAttention-2 (PyTorch SDPA's flash kernel): causal blocks skipped, backward 2.5 x the
//                      forward's matmuls (Dao 2023, arXiv:2307.08691 §3.1), at FlashAttention-2's fraction of the
//                      peak; eager attention's two batched matmuls (2 x in the backward) at the same;
//   LoRA's matmuls     skinny (r columns): the larger of their FLOPs (fp32 without autocast: PyTorch keeps TF32
//                      off, torch.backends.cuda.matmul.allow_tf32 = False) and their bytes;
//   memory traffic     everything else moves bytes: norms, RoPE, casts, SiLU, residuals, the loss over tokens x
//                      vocab, autocast's weight casts, and the optimizer's update (AdamW foreach: 8 passes over
//                      parameters, gradients and states, torch/optim/adamw.py _multi_tensor_adamw);
//   kernels            a fixed time each (launch latency, ramp-up and tail of small kernels).
// The host launches every kernel through Python, the dispatcher and autograd; when that takes longer than the
// GPU (small micro-batches, small models) it sets the step: step = max(GPU, host).
#include <algorithm>
#include <cmath>
#include <string>

#include "speed/speed.h"
#include "training/training.h"

namespace llmsizer {

namespace {

// ---- GPU families ------------------------------------------------------------------------------------------
//
// Hopper, calibrated on the ten public H200 training steps (shared/reference/validation-gpu-public.jsonl lines
// 6, 7 and 17-24: Qwen2.5-0.5B/3B/7B, Llama-3.2-3B, Llama-3.1-8B; full fine-tuning in mixed precision and bf16,
// LoRA with and without checkpointing; torch 2.11, transformers 5.17, peft 0.21; step = median of the steps
// after the first). The model (not a per-model constant) was fixed first; then:
//   attention 0.33  FlashAttention-2's forward + backward on H100 SXM, 300-335 TFLOPS at head dim 128 and long
//                   sequences (arXiv:2307.08691 §4.1, Figure 7): about a third of 989 TFLOPS; not fitted;
//   bandwidth 0.80  elementwise PyTorch kernels on HBM3/HBM3e reach 80-90 % of the datasheet bandwidth on large
//                   tensors, less on small ones; not fitted (0.75-0.85 move the fitted rows by < 3 %);
//   gemm 0.75       fitted with the kernel time on the GPU-bound steps (jsonl:17-24; 0.70-0.80 are within 1 %
//                   median of each other): 740 TFLOPS, what cuBLAS reaches on large bf16 GEMMs on H100/H200;
//   kernel 8 us     fitted with gemm: the fixed time per kernel that the small model's steps (jsonl:17, 18:
//                   Qwen2.5-0.5B, ~2,800-3,700 kernels, 30-40 % of the step in kernels of a few MB) need beyond
//                   their FLOPs and bytes — launch latency, ramp-up and tail of kernels too small to fill 132 SMs;
//   host 26 us      per kernel launched, fitted on the host-bound step jsonl:6 (Qwen2.5-0.5B, 512 tokens: 73 ms
//                   for ~2,800 kernels while the GPU needs ~40 ms); it is the host CPU's (Python, the dispatcher,
//                   autograd), not the GPU's. jsonl:7 (LoRA with checkpointing, one step measured) runs 33 % longer
//                   than this predicts: checkpointing's and peft's Python hooks are not counted per kernel.
struct TrainingFamily {
  const char* family;
  double gemm;
  double attention;
  double bandwidth;
  double kernel_s;
  double host_kernel_s;
};
constexpr TrainingFamily kTrainingFamilies[] = {
    {"hopper", 0.75, 0.33, 0.80, 8e-6, 26e-6},
};
// Families without their own measurements use Hopper's fractions with their own peak and bandwidth.
constexpr const TrainingFamily& kFallback = kTrainingFamilies[0];

/// Bytes the optimizer's update moves per trainable value (read + written), p / g / s the bytes of a parameter,
/// its gradient and one state value.
///  AdamW foreach (_multi_tensor_adamw): params *= 1 - lr·wd (2p); exp_avg.lerp_(grad) (2s + g);
///    exp_avg_sq *= beta2 (2s); addcmul_(grad, grad) (2s + 2g: both operands read); sqrt (2s); /= bias
///    correction (2s); += eps (2s); params.addcdiv_(exp_avg, denom) (2p + 4s)  ->  4p + 14s + 3g;
///  AdamW for-loop (_single_tensor_adamw): the same passes tensor by tensor; fused: one pass, 2p + g + 4s;
///  8-bit AdamW: 2p + g + 4 (two 1-byte states read and written); SGD: 2p + g, momentum + 5s; Adafactor:
///    2p + 6g (squares, row/column means, the update and its RMS over the gradient).
double optimizer_bytes_per_value(const TrainingOptions& o, double p, double g, double s) {
  switch (o.optimizer) {
    case Optimizer::kAdamW:
      if (o.optimizer_impl == OptimizerImpl::kFused || o.zero >= 1) return 2 * p + g + 4 * s;
      return 4 * p + 14 * s + 3 * g;
    case Optimizer::kAdamW8bit: return 2 * p + g + 4;
    case Optimizer::kSgd: return 2 * p + g;
    case Optimizer::kSgdMomentum: return 2 * p + g + 5 * s;
    case Optimizer::kAdafactor: return 2 * p + 6 * g;
  }
  return 0;
}

/// Kernels the update launches: foreach and fused ops take the tensors in chunks (multi_tensor_apply handles
/// about 48 tensors of a 4-list op per launch: torch/csrc/.../MultiTensorApply.cuh depth_to_max_tensors), 9 ops;
/// the for-loop and per-tensor optimizers launch each op for every tensor.
double optimizer_kernels(const TrainingOptions& o, double tensors) {
  const double chunks = std::ceil(tensors / 48.0);
  switch (o.optimizer) {
    case Optimizer::kAdamW:
      if (o.optimizer_impl == OptimizerImpl::kFused || o.zero >= 1) return chunks;
      if (o.optimizer_impl == OptimizerImpl::kForLoop) return 10 * tensors;
      return 9 * chunks;
    case Optimizer::kSgd:
    case Optimizer::kSgdMomentum: return 3 * chunks;
    case Optimizer::kAdamW8bit: return tensors;
    case Optimizer::kAdafactor: return 12 * tensors;
  }
  return 0;
}

}  // namespace

TrainingSpeed step_time(const GpuSpec& gpu, const TrainingOptions& opts, const StepInputs& in) {
  TrainingSpeed sp;
  const bool fp32 = opts.precision == TrainingPrecision::kFp32;
  sp.peak_dtype = fp32 ? "fp32" : "bf16";
  auto peak_of = [&](const char* key) {
    auto it = gpu.tflops.find(key);
    if (it == gpu.tflops.end() && std::string(key) == "bf16") it = gpu.tflops.find("fp16");
    return it == gpu.tflops.end() ? 0.0 : it->second * 1e12;
  };
  const double peak = peak_of(sp.peak_dtype.c_str());
  const double tokens = static_cast<double>(opts.micro_batch) * static_cast<double>(opts.seq_len);
  const StepWork& w = in.work;
  sp.model_flops_per_token = tokens > 0 ? w.model_flops / tokens : 0;
  sp.executed_flops_per_token =
      tokens > 0 ? (w.gemm_flops + w.attention_flops + w.adapter_flops) / tokens : 0;
  if (peak <= 0) return sp;
  sp.available = true;
  sp.peak_tflops = peak / 1e12;
  sp.gpu_family = gpu_family(gpu);
  const TrainingFamily* fam = &kFallback;
  sp.calibrated = false;
  for (const TrainingFamily& f : kTrainingFamilies) {
    if (sp.gpu_family == f.family) {
      fam = &f;
      sp.calibrated = true;
    }
  }
  sp.gemm_efficiency = fam->gemm;
  sp.attention_efficiency = fam->attention;
  sp.bandwidth_efficiency = fam->bandwidth;
  const double bandwidth = gpu.memory_bandwidth_gbps * 1e9 * fam->bandwidth;
  // The optimizer's update and torch.autocast's weight casts (forward r4 w2, the bf16 weight gradient's cast to
  // fp32 r2 w4, once more for a checkpointed rebuild).
  sp.optimizer_bytes = opts.offload_optimizer ? 0 : in.trainable * optimizer_bytes_per_value(opts, in.param_bytes,
                                                                                               in.grad_bytes,
                                                                                               in.state_bytes);
  const double rebuilds = opts.checkpointing == Checkpointing::kFull ? 1.0 : 0.0;
  const double casts = in.cast_values * 6.0 * (2.0 + rebuilds);
  sp.memory_bytes = w.elementwise_bytes + sp.optimizer_bytes + casts;
  sp.kernels = w.kernels + optimizer_kernels(opts, in.trainable_tensors);
  sp.gemm_flops = w.gemm_flops;
  sp.attention_flops = w.attention_flops;
  sp.gemm_seconds = w.gemm_flops / (fam->gemm * peak);
  sp.attention_seconds = w.attention_flops / (fam->attention * peak);
  const double adapter_peak = w.adapter_fp32 ? peak_of("fp32") : peak;
  sp.adapter_seconds = std::max(adapter_peak > 0 ? w.adapter_flops / (fam->gemm * adapter_peak) : 0.0,
                                bandwidth > 0 ? w.adapter_bytes / bandwidth : 0.0);
  sp.memory_seconds = bandwidth > 0 ? sp.memory_bytes / bandwidth : 0;
  sp.launch_seconds = sp.kernels * fam->kernel_s;
  sp.gpu_seconds = sp.gemm_seconds + sp.attention_seconds + sp.adapter_seconds + sp.memory_seconds + sp.launch_seconds;
  sp.host_seconds = sp.kernels * fam->host_kernel_s;
  sp.model = "calibrated";
  if (opts.mfu > 0) {
    // The user's utilisation: executed FLOPs at that fraction of the peak (the step-time model is not used).
    sp.model = "training_mfu";
    sp.seconds_per_step = (w.gemm_flops + w.attention_flops + w.adapter_flops) / (opts.mfu * peak);
    sp.bound = "gpu";
  } else {
    sp.bound = sp.host_seconds > sp.gpu_seconds ? "host" : "gpu";
    sp.seconds_per_step = std::max(sp.gpu_seconds, sp.host_seconds);
  }
  if (sp.seconds_per_step <= 0) return sp;
  sp.tokens_per_second_per_gpu = tokens / sp.seconds_per_step;
  sp.tokens_per_second = sp.tokens_per_second_per_gpu * static_cast<double>(opts.gpus);
  sp.hfu = (w.gemm_flops + w.attention_flops + w.adapter_flops) / (sp.seconds_per_step * peak);
  sp.mfu = w.model_flops / (sp.seconds_per_step * peak);
  if (opts.dataset_tokens > 0) sp.seconds_per_epoch = static_cast<double>(opts.dataset_tokens) / sp.tokens_per_second;
  return sp;
}

}  // namespace llmsizer
