// Fine-tuning memory and speed: full fine-tuning, LoRA and QLoRA, data parallel with ZeRO 0-3.
//
// Per GPU, a training step holds
//   weights     the parameters (frozen base + trainable ones) in their dtype (+ torch.autocast's bf16 copies),
//   gradients   of the trainable parameters (PyTorch: from the backward to the optimizer step),
//   optimizer   the optimizer states (+ DeepSpeed's fp32 master copy; + the update's temporary at the step),
//   activations what autograd saves in the forward for the backward, and the loss's logits,
//   other       CUDA context, NCCL buffers, communication buckets, dequantisation buffers,
// differently at the forward, the backward and the optimizer step: the peak is the largest phase.
// ZeRO divides the model states over the N data-parallel GPUs (Rajbhandari et al. 2020, arXiv:1910.02054
// Figure 1); activations are per GPU (each GPU runs its own micro-batch).
//
// Every term is a function of its own so tests can check it by hand; estimate_training() combines them.
// training.cpp: names, LoRA adapters and model-state formulas; activations.cpp: the op-by-op walk (memory and
// work); step_time.cpp: the step-time model; estimate.cpp: the phases and the fit; training_json.cpp: the JSON.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/gpu.h"
#include "model/inputs.h"
#include "model/model.h"
#include "model/precision.h"
#include "llmsizer/request.h"
#include "llmsizer/result.h"

namespace llmsizer {

enum class TrainingMode { kInference, kFull, kLora, kQlora };
enum class Optimizer { kAdamW, kAdamW8bit, kSgd, kSgdMomentum, kAdafactor };
enum class TrainingPrecision { kMixed, kFp32, kBf16 };
enum class Checkpointing { kNone, kSelective, kFull };
/// How torch.optim runs the update (torch/optim/adamw.py: foreach=None picks _multi_tensor_adamw on CUDA).
enum class OptimizerImpl { kForeach, kFused, kForLoop };
/// The three moments of a training step whose memory is tracked; the largest is the step's peak.
enum class Phase { kForward, kBackward, kOptimizerStep };

const char* training_mode_name(TrainingMode m);         ///< "inference", "full", "lora", "qlora"
const char* optimizer_name(Optimizer o);                ///< "adamw", "adamw-8bit", "sgd", "sgd-momentum", "adafactor"
const char* training_precision_name(TrainingPrecision p);  ///< "mixed", "fp32", "bf16"
const char* checkpointing_name(Checkpointing c);        ///< "none", "selective", "full"
const char* optimizer_impl_name(OptimizerImpl i);       ///< "foreach", "fused", "for-loop"
const char* phase_name(Phase p);                        ///< "forward", "backward", "optimizer_step"

/// LoRA target classes. A target names every linear layer of that kind in every decoder layer.
enum LoraTarget : uint32_t {
  kLoraQ = 1u << 0,        ///< q_proj (MLA: q_proj, or q_a_proj + q_b_proj when q_lora_rank > 0)
  kLoraK = 1u << 1,        ///< k_proj (MLA: kv_a_proj_with_mqa + kv_b_proj)
  kLoraV = 1u << 2,        ///< v_proj (MLA: kv_a_proj_with_mqa + kv_b_proj)
  kLoraO = 1u << 3,        ///< o_proj
  kLoraGate = 1u << 4,     ///< gate_proj of dense MLPs and shared experts
  kLoraUp = 1u << 5,       ///< up_proj of dense MLPs and shared experts
  kLoraDown = 1u << 6,     ///< down_proj of dense MLPs and shared experts
  kLoraExperts = 1u << 7,  ///< every projection of every routed expert
  kLoraRouter = 1u << 8,   ///< the MoE router (and Qwen2-MoE's shared-expert gate)
  kLoraQA = 1u << 9,       ///< MLA q_a_proj only
  kLoraQB = 1u << 10,      ///< MLA q_b_proj only
  kLoraKVA = 1u << 11,     ///< MLA kv_a_proj_with_mqa only
  kLoraKVB = 1u << 12,     ///< MLA kv_b_proj only
};
/// PEFT's "all-linear": every nn.Linear of the decoder except the output layer.
constexpr uint32_t kLoraAllLinear = 0x1fffu;

/// Projections the family's checkpoints fuse into one nn.Linear: q/k/v (GPT-2 c_attn, GPT-NeoX and Falcon
/// query_key_value, Phi-3 qkv_proj) and gate/up (Phi-3 gate_up_proj).
struct FusedProjections {
  bool qkv = false;
  bool gate_up = false;
};
FusedProjections fused_projections(const ModelSpec& m);

/// Parses --lora-targets: "all-linear", "attention", "mlp", "experts", "router", the short names
/// q,k,v,o,gate,up,down, the module names q_proj, ..., down_proj, q_a_proj, q_b_proj, kv_a_proj_with_mqa,
/// kv_b_proj, and the fused names c_attn / qkv_proj / query_key_value (= q,k,v) and gate_up_proj
/// (= gate,up); separated by commas, '+' or spaces. Errors name the unknown entry.
Result<uint32_t> parse_lora_targets(const std::string& text);
/// Canonical names of a target set ("q_proj", "v_proj", ...), for display.
std::vector<std::string> lora_target_names(uint32_t targets);

/// Everything a training estimate takes, resolved (defaults applied, validated).
struct TrainingOptions {
  TrainingMode mode = TrainingMode::kFull;
  Optimizer optimizer = Optimizer::kAdamW;
  OptimizerImpl optimizer_impl = OptimizerImpl::kForeach;  ///< torch.optim's update path (ZeRO 0)
  TrainingPrecision precision = TrainingPrecision::kMixed;
  int64_t micro_batch = 1;        ///< sequences per GPU per forward/backward
  int64_t seq_len = 2048;         ///< tokens per sequence
  Checkpointing checkpointing = Checkpointing::kNone;
  bool flash_attention = true;    ///< FlashAttention / SDPA memory-efficient kernels (no tokens x tokens scores)
  bool dropout = false;           ///< dropout in attention, residuals and MLP (off in modern LLM fine-tuning)
  int64_t lora_rank = 8;
  uint32_t lora_targets = kLoraQ | kLoraV;
  double lora_dropout = 0;        ///< PEFT lora_dropout (> 0 keeps a dropped copy of each adapted input)
  int zero = 0;                   ///< DeepSpeed ZeRO stage 0..3 (3 = FSDP full sharding)
  bool offload_optimizer = false; ///< ZeRO-Offload: optimizer states, master weights and fp32 gradients on the CPU
  int64_t gpus = 1;               ///< data-parallel GPUs
  int64_t dataset_tokens = 0;     ///< tokens per epoch (0 = no epoch time)
  double mfu = 0;                 ///< > 0: the user's utilisation of the dense peak by the executed FLOPs (replaces
                                  ///< the calibrated step-time model); 0: the GPU family's model
  double reserve = 0.05;          ///< fraction of GPU memory kept free (allocator fragmentation)
  int64_t overhead_bytes = -1;    ///< CUDA context + workspaces per GPU (< 0 = default_overhead_bytes)
  int64_t max_gpus = 64;          ///< gpus_needed searches up to this many GPUs
  WeightFormat base_format;       ///< storage of the frozen base (LoRA: the checkpoint's; QLoRA: NF4)
  Dtype compute_dtype = Dtype::kBf16;  ///< activations and 16-bit weights (fp16 when the checkpoint is fp16)
};

/// Reads the training fields of a request (mode, optimizer, ..., dataset_tokens) and validates them.
/// Errors are kInvalidRequest / kConflictingOptions with the offending key's path ("/optimizer").
/// Notes on defaults go to `assumptions`, ignored or odd combinations to `warnings`.
Result<TrainingOptions> resolve_training(const Request& req, const ModelSpec& m, const Inputs& in,
                                         std::vector<Warning>* warnings, std::vector<std::string>* assumptions);

// ---- model states ---------------------------------------------------------------------------------

/// Bytes of the three model states of one replica (or of one GPU after sharding).
struct ModelStateBytes {
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;  ///< optimizer states + the fp32 master weights of mixed precision
  double total() const { return weights + gradients + optimizer; }
};

/// ZeRO's model states per GPU (arXiv:1910.02054 §5 and Figure 1): stage 0 keeps everything on every GPU;
/// stage 1 divides the optimizer states by N, stage 2 the gradients too, stage 3 the weights too:
/// (2+2+K)Ψ -> (2+2+K/N)Ψ -> (2+(2+K)/N)Ψ -> (2+2+K)Ψ/N. Divided parts are rounded up to whole bytes.
ModelStateBytes shard_model_states(const ModelStateBytes& replica, int zero, int64_t gpus);

/// Optimizer state bytes of `count` tensors of rows x cols trainable values, with state elements of
/// `state_bytes` (4 = fp32, 2 = bf16). AdamW: 2 states; 8-bit AdamW: 2 one-byte states + one fp32 absmax
/// per 2048-value block each (tensors under 4096 values keep fp32 states); SGD: none; SGD with momentum: 1;
/// Adafactor: factored second moment rows + cols for matrices, full for vectors, no first moment.
double optimizer_state_bytes(Optimizer o, double state_bytes, int64_t rows, int64_t cols, int64_t count);

/// Bytes the optimizer's update allocates on top of the states while it runs, for `values` trainable values
/// whose largest single tensor has `largest` values, states of `state_bytes`:
///  - AdamW foreach (torch/optim/adamw.py _multi_tensor_adamw): exp_avg_sq_sqrt = torch._foreach_sqrt(
///    device_exp_avg_sqs) is one new tensor per parameter, all alive together: values x state_bytes;
///  - AdamW for-loop (_single_tensor_adamw): denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
///    holds the sqrt and the quotient of one parameter at a time: 2 x largest x state_bytes;
///  - AdamW fused (_fused_adamw, torch._fused_adamw_): updates in place, nothing;
///  - 8-bit and paged bitsandbytes optimizers (one fused kernel per tensor) and SGD (in-place foreach ops with
///    the default weight_decay 0): nothing;
///  - Adafactor (transformers/optimization.py, a loop over parameters): update = grad**2 + eps and the
///    approximated second moment of one tensor, fp32: 2 x largest x 4.
double optimizer_step_temporary_bytes(Optimizer o, OptimizerImpl impl, double state_bytes, double values,
                                      double largest);

// ---- LoRA -----------------------------------------------------------------------------------------

/// Where an adapted matrix sits, which decides the activation it needs kept (its input).
enum class LoraSlot {
  kAttnIn,      ///< reads the attention input: q/k/v (fused or not), MLA q_proj / q_a_proj / kv_a_proj_with_mqa
  kQB,          ///< MLA q_b_proj: reads the normed q latent
  kKVB,         ///< MLA kv_b_proj: reads the normed kv latent
  kO,           ///< o_proj: reads the attention output
  kMlpIn,       ///< gate/up of dense MLPs and shared experts, the router: read the MLP input
  kDown,        ///< down_proj of dense MLPs and shared experts
  kExpertsIn,   ///< routed experts' gate/up: read each routed token's gathered input
  kExpertsDown, ///< routed experts' down projection
};

/// One adapted weight matrix (times `copies`: routed experts): A is r x in, B is out x r.
struct LoraAdapter {
  std::string name;        ///< the adapted module ("q_proj", "qkv (fused)", "experts.gate", ...)
  LoraSlot slot = LoraSlot::kAttnIn;
  int32_t layer = 0;
  int64_t in = 0;          ///< input features of the adapted matrix
  int64_t out = 0;         ///< output features
  int64_t copies = 1;      ///< routed experts: one adapter per expert
  double token_share = 1;  ///< tokens through each copy per token (routed experts: top-k / experts)
  int64_t parameters(int64_t r) const { return copies * r * (in + out); }
};

/// The adapters of a target set on this model, from the real projection shapes (GQA k/v are smaller,
/// experts multiply, MLA projections as they are). Families whose checkpoints fuse q/k/v (GPT-2 c_attn,
/// GPT-NeoX and Falcon query_key_value, Phi-3 qkv_proj) or gate/up (Phi-3 gate_up_proj) get one adapter
/// on the fused matrix, as PEFT sees them. Vision towers and the LM head are never adapted.
std::vector<LoraAdapter> lora_adapters(const ModelSpec& m, uint32_t targets);

/// Trainable LoRA parameters: sum over adapters of copies x r x (in + out) (Hu et al. 2021,
/// arXiv:2106.09685 §4.1: W + BA with B: d x r, A: r x k).
int64_t lora_parameters(const std::vector<LoraAdapter>& adapters, int64_t rank);

// ---- activations ----------------------------------------------------------------------------------
//
// What PyTorch keeps from the forward for the backward is what autograd saves: each op saves the inputs or
// outputs its derivative formula reads, and only when a gradient has to flow through it (torch's autograd
// codegen saves `other` for grad(self) and `self` for grad(other) only where that input requires grad). The
// walk in activations.cpp goes through a decoder layer op by op as transformers 5.x runs it and adds up those
// tensors, with their real dtypes: torch.autocast casts an fp32 input of every matmul to bf16 anew for each
// matmul (only weights are cached), RMSNorm computes in fp32, RoPE promotes to the cos/sin dtype.

/// How one micro-batch runs (the workload and the precision regime).
struct ActivationOptions {
  int64_t micro_batch = 1;
  int64_t seq_len = 2048;
  bool flash_attention = true;   ///< SDPA's flash/memory-efficient kernels; false: transformers' eager attention
  bool dropout = false;          ///< dropout in attention and residuals (off in modern LLM fine-tuning)
  Checkpointing checkpointing = Checkpointing::kNone;
  bool autocast = false;         ///< torch.autocast(bf16): matmuls and SDPA in bf16 over higher-precision tensors
  double hidden_bytes = 2;       ///< the residual stream's dtype = the embeddings' (4 when the model stays fp32)
  double norm_bytes = 2;         ///< the norms' weights (they take part in dtype promotion: weight * x)
  double matmul_bytes = 2;       ///< what the base's matmuls run in without autocast (4: fp32 weights)
  double adapter_bytes = 4;      ///< LoRA adapters (peft upcasts them to fp32: autocast_adapter_dtype=True)
  bool weights_train = true;     ///< full fine-tuning; false: LoRA / QLoRA (frozen base)
  /// The embeddings' output requires grad although nothing before the first adapter trains: peft calls
  /// enable_input_require_grads() on a model with gradient checkpointing on (peft_model.py
  /// _prepare_model_for_gradient_checkpointing; not for quantised bases).
  bool inputs_require_grad = false;
};

/// LoRA's part in the activations: the adapters, their rank and dropout.
struct LoraSetup {
  std::vector<LoraAdapter> adapters;
  int64_t rank = 8;
  double dropout = 0;
};

/// One decoder layer in one micro-batch: memory kept for the backward and the work of its forward/backward.
struct LayerCost {
  double saved = 0;          ///< bytes saved for the backward
  double lora = 0;           ///< of which the adapters' own tensors (A·x, cast or dropped inputs)
  double backward_peak = 0;  ///< extra bytes while its backward runs (its largest gradients)
  double forward_bytes = 0;  ///< memory traffic of its non-matmul kernels in the forward (read + written)
  double backward_bytes = 0; ///< the same in the backward (2 x the forward's where a gradient flows)
  double forward_kernels = 0;
  double backward_kernels = 0;
  double gemm_forward = 0;   ///< matmul FLOPs of the forward
  double gemm_backward = 0;  ///< matmul FLOPs of the backward: input gradients where needed, weight gradients
  double attention_forward = 0;   ///< attention score FLOPs (QK^T, PV)
  double attention_backward = 0;
  double adapter_flops = 0;  ///< the adapters' matmul FLOPs, forward + backward (skinny: r columns)
  double adapter_bytes = 0;  ///< what those matmuls read and write, forward + backward
};

/// The cost of decoder layer `index`. `input_grad`: whether the layer's input requires grad (full fine-tuning:
/// always; LoRA: after the first adapted layer). `lora` = nullptr: full fine-tuning.
LayerCost layer_cost(const ModelSpec& m, size_t index, const ActivationOptions& o, const LoraSetup* lora,
                     bool input_grad);

/// The work of one micro-batch's forward + backward on one GPU, for the step time.
struct StepWork {
  double gemm_flops = 0;         ///< matmul FLOPs executed (forward, backward, recomputation)
  double attention_flops = 0;    ///< attention score FLOPs executed
  double model_flops = 0;        ///< forward + backward FLOPs without recomputation (the MFU numerator)
  double elementwise_bytes = 0;  ///< memory traffic of the non-matmul kernels (norms, RoPE, casts, loss, ...)
  double kernels = 0;            ///< kernels launched by the forward, backward and recomputation
  double adapter_flops = 0;      ///< LoRA adapters' matmul FLOPs (not in gemm_flops)
  double adapter_bytes = 0;      ///< what they read and write
  bool adapter_fp32 = false;     ///< the adapters' matmuls run in fp32 (peft's fp32 adapters without autocast)
};

struct ActivationBytes {
  double layers = 0;        ///< kept by the decoder layers (all of them, or their checkpointed inputs)
  double recompute = 0;     ///< full checkpointing: the one layer rebuilt during its backward, with its gradients
  double largest_layer = 0; ///< one layer's saved tensors (the largest layer)
  double head = 0;          ///< final norm's saved tensors and, when the head trains, its input
  double loss_forward = 0;  ///< at the loss in the forward: logits (compute dtype) + their fp32 copy + log-softmax
  double loss_backward = 0; ///< at the start of the backward: log-softmax output + its fp32 gradient + the input's
  double mask = 0;          ///< eager attention: the 4-D float causal mask (through the backward when checkpointed)
  double lora = 0;          ///< adapters: r-dim intermediates and dropped inputs (included in layers/recompute)
  StepWork work;
  /// At the end of the forward: every layer's saved tensors, the head's, the mask and the loss being computed.
  double forward() const { return layers + head + mask + loss_forward; }
  /// At the start of the backward: the loss's gradient with every saved tensor still held.
  double backward_start() const {
    return layers + head + loss_backward + (checkpointed_mask ? mask : 0);
  }
  /// With checkpointing: while a layer is rebuilt (the loss and the head's tensors freed by then).
  double backward_rebuild() const { return recompute > 0 ? layers + recompute + (checkpointed_mask ? mask : 0) : 0; }
  bool checkpointed_mask = false;  ///< the mask is an input of the checkpointed layers: it lives into the backward
};

/// Activations and work of one micro-batch on one GPU. `lora` = nullptr: full fine-tuning (every weight
/// trains); with LoRA the frozen base keeps only what the gradient needs on its way to the adapters.
ActivationBytes activation_bytes(const ModelSpec& m, const ActivationOptions& o, const LoraSetup* lora);

// ---- the estimate ---------------------------------------------------------------------------------

struct TrainingSpeed {
  bool available = false;          ///< false when the GPU has no dense TFLOPS for the compute dtype
  std::string peak_dtype;          ///< the tflops key used ("bf16", "fp32", ...)
  double peak_tflops = 0;          ///< dense peak of one GPU
  double model_flops_per_token = 0;     ///< forward + backward, no recomputation (PaLM's MFU numerator)
  double executed_flops_per_token = 0;  ///< with recomputation
  double hfu = 0;                  ///< executed FLOPs / (step time x peak)
  double mfu = 0;                  ///< model FLOPs / (step time x peak)
  double tokens_per_second_per_gpu = 0;
  double tokens_per_second = 0;    ///< all GPUs
  double seconds_per_step = 0;     ///< one micro-batch on every GPU, optimizer step included
  double seconds_per_epoch = 0;    ///< 0 when dataset_tokens is 0
  // The step-time model (step_time): what the GPU executes and what the host launches.
  std::string model;               ///< "calibrated" (the GPU family's constants) or "training_mfu" (the user's)
  std::string gpu_family;          ///< "hopper", "ampere", ... ("" when unknown)
  bool calibrated = false;         ///< the family's constants were fitted on its own measurements
  double gemm_efficiency = 0;      ///< fraction of the dense peak the matmuls reach
  double attention_efficiency = 0; ///< fraction of the dense peak the attention kernels reach
  double bandwidth_efficiency = 0; ///< fraction of the datasheet bandwidth elementwise kernels reach
  double gemm_flops = 0;           ///< matmul FLOPs executed per step (forward, backward, recomputation)
  double attention_flops = 0;      ///< attention score FLOPs executed per step
  double memory_bytes = 0;         ///< bytes the non-matmul kernels move per step (optimizer and casts included)
  double optimizer_bytes = 0;      ///< of which the optimizer step
  double kernels = 0;              ///< kernels launched per step
  double gemm_seconds = 0;
  double attention_seconds = 0;
  double adapter_seconds = 0;      ///< LoRA's skinny matmuls (fp32 without autocast)
  double memory_seconds = 0;
  double launch_seconds = 0;       ///< per-kernel time on the GPU (launch, ramp-up, tail)
  double gpu_seconds = 0;          ///< the sum of the above
  double host_seconds = 0;         ///< the host launching the kernels (Python, dispatcher, autograd)
  std::string bound;               ///< "gpu" or "host": which sets the step time
};

/// What the step time needs besides the activations' work.
struct StepInputs {
  StepWork work;                   ///< one micro-batch's forward, backward and recomputation
  double trainable = 0;            ///< trainable values
  double trainable_tensors = 0;    ///< trainable parameter tensors (the for-loop optimizer's kernels)
  double param_bytes = 4;          ///< per trainable value: the parameter, its gradient, one optimizer state
  double grad_bytes = 4;
  double state_bytes = 4;
  double cast_values = 0;          ///< fp32 weight values torch.autocast casts to bf16 per forward (0: no autocast)
};

/// Seconds per optimizer step of one micro-batch on one GPU: matmul FLOPs at a fraction of the dense peak,
/// attention FLOPs at FlashAttention-2's, the non-matmul kernels' bytes (norms, RoPE, casts, the loss, the
/// optimizer's update) at a fraction of the bandwidth, a fixed time per kernel; or the host's time to launch the
/// kernels when that is longer (small steps). One set of constants per GPU family (step_time.cpp).
TrainingSpeed step_time(const GpuSpec& gpu, const TrainingOptions& opts, const StepInputs& in);

/// Memory of one GPU at one phase of the step, by part (the five parts of the breakdown).
struct PhaseBytes {
  double weights = 0;      ///< parameters (+ autocast's 16-bit weight copies while they live)
  double gradients = 0;    ///< gradients that exist at this phase
  double optimizer = 0;    ///< optimizer states (+ master weights, + the update's temporary at the step)
  double activations = 0;  ///< what the forward keeps for the backward + the transients at this phase
  double other = 0;        ///< CUDA context, communication buffers
  /// Whole bytes: each part rounded up, then added, so the parts always sum to the total.
  int64_t total() const;
};

struct TrainingOther {
  double cuda_context = 0;   ///< CUDA context + cuBLAS workspaces
  double nccl = 0;           ///< NCCL communicator buffers (N > 1)
  double comm_buckets = 0;   ///< DeepSpeed reduce / all-reduce buckets and ZeRO-3 gathered parameters
  double dequant = 0;        ///< QLoRA: one 16-bit copy of the largest 4-bit matrix during its matmul
  double total() const { return cuda_context + nccl + comm_buckets + dequant; }
};

struct TrainingEstimate {
  TrainingOptions options;
  int64_t parameters = 0;            ///< all parameters of the model
  int64_t trainable_parameters = 0;  ///< full: all; LoRA/QLoRA: the adapters
  std::vector<LoraAdapter> adapters;
  // One replica before sharding.
  ModelStateBytes replica;
  double base_weights_bytes = 0;     ///< frozen base (LoRA/QLoRA) or the trained weights (full)
  double adapter_weights_bytes = 0;
  double master_weights_bytes = 0;   ///< fp32 master copy (mixed precision, full fine-tuning), in optimizer
  double optimizer_states_bytes = 0; ///< moments / momentum / factored statistics, in optimizer
  double weight_bytes_per_parameter = 0;     ///< replica weights / parameters
  double gradient_bytes_per_trainable = 0;   ///< gradient dtype
  double optimizer_bytes_per_trainable = 0;  ///< replica optimizer / trainable parameters
  // One GPU.
  ModelStateBytes per_gpu;           ///< model states on one GPU after ZeRO and offload
  double cpu_offload_bytes = 0;      ///< host memory per GPU process (offload)
  ActivationBytes activations;
  TrainingOther other;
  double optimizer_temp_bytes = 0;   ///< the update's temporary (optimizer_step_temporary_bytes), one GPU
  double autocast_cache_bytes = 0;   ///< torch.autocast's bf16 weight copies at the peak phase (in its weights)
  std::array<PhaseBytes, 3> phases;  ///< one GPU at the forward, backward and optimizer step (Phase order)
  Phase peak_phase = Phase::kBackward;  ///< the phase that sets the peak
  int64_t total_bytes = 0;           ///< the peak: the peak phase's weights + gradients + optimizer + activations + other
  int64_t capacity_bytes = 0;
  int64_t usable_bytes = 0;          ///< capacity x (1 - reserve)
  int64_t free_bytes = 0;            ///< usable - total
  bool fits = false;
  double pageable_bytes = 0;         ///< QLoRA paged optimizer states (evicted to the CPU under pressure)
  bool fits_with_paging = false;     ///< fits once pageable bytes leave the GPU
  int64_t gpus_needed = 0;           ///< fewest data-parallel GPUs (same ZeRO stage) that fit; 0 = none <= max_gpus
  std::array<int64_t, 4> gpus_needed_by_zero{};  ///< the same for ZeRO stages 0, 1, 2, 3
  TrainingSpeed speed;
  std::vector<std::string> assumptions;
  std::vector<Warning> warnings;
};

/// The whole training estimate for one GPU type with opts.gpus data-parallel GPUs.
TrainingEstimate estimate_training(const ModelSpec& m, const GpuSpec& gpu, const TrainingOptions& opts);

}  // namespace llmsizer
