// Fine-tuning: the estimate, section by section (model states, LoRA/QLoRA, activations, other, the fit on
// the GPUs, speed). Declared in training.h (estimate_training); the formulas of each term live in training.cpp
// (states, LoRA) and activations.cpp.
#include <algorithm>
#include <cmath>

#include "model/memory.h"
#include "training/training.h"
#include "training/training_util.h"
#include "units.h"

namespace llmsizer {

namespace {

using training_util::ceil_div;
using training_util::fmt_gib;

// What every section reads: the inputs and the facts derived from them once.
struct Setup {
  const ModelSpec& m;
  const GpuSpec& gpu;
  const TrainingOptions& opts;
  bool lora = false;
  bool qlora = false;
  bool mixed = false;
  bool fp32 = false;
  ParameterCounts pc;
  double e = 2;                     ///< activation / 16-bit weight bytes
  std::vector<TensorGroup> tensors;
  Setup(const ModelSpec& m_, const GpuSpec& gpu_, const TrainingOptions& o)
      : m(m_), gpu(gpu_), opts(o), lora(o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora),
        qlora(o.mode == TrainingMode::kQlora), mixed(o.precision == TrainingPrecision::kMixed),
        fp32(o.precision == TrainingPrecision::kFp32), pc(count_parameters(m_)),
        e(dtype_bits(o.compute_dtype) / 8.0), tensors(weight_tensors(m_, false)) {}
};

/// What the model-state sections tell the later ones. Mixed precision keeps its model states one way under
/// plain PyTorch (ZeRO 0: Trainer(bf16=True) = fp32 parameters under torch.autocast) and another under
/// DeepSpeed (ZeRO >= 1: 16-bit parameters, fp32 master copy in the optimizer), so each has its replica.
struct States {
  ModelStateBytes torch;         ///< one replica, ZeRO 0
  ModelStateBytes deepspeed;     ///< one replica, ZeRO >= 1
  double torch_grad_bytes = 0;   ///< gradient bytes per trainable value, ZeRO 0
  double deepspeed_grad_bytes = 0;
  double state_bytes = 4;        ///< bytes per optimizer state value (torch optimizers: the parameter dtype)
  double largest = 0;            ///< values in the largest trainable tensor (the for-loop update's temporaries)
  bool paged = false;            ///< bitsandbytes paged optimizer (QLoRA)
  /// torch.autocast's cache of 16-bit copies of fp32 weights (ZeRO 0): all of them at the end of the forward;
  /// during the backward (without checkpointing all, with it the LM head's and one rebuilt layer's).
  double cache_forward = 0;
  double cache_backward = 0;
  /// Gradients that exist while the first checkpointed layer is rebuilt (ZeRO 0): the LM head's and that
  /// layer's.
  double rebuild_grads = 0;
  double cast_values = 0;        ///< fp32 weight values torch.autocast casts per forward (ZeRO 0)
  double tensors = 0;            ///< trainable parameter tensors
  const ModelStateBytes& replica(int zero) const { return zero >= 1 ? deepspeed : torch; }
  double grad_bytes(int zero) const { return zero >= 1 ? deepspeed_grad_bytes : torch_grad_bytes; }
};

/// Weights that go through a matmul (nn.Linear and the LM head; the tied head's embedding counted as the
/// head), in values: what autocast casts. `largest_layer` receives the largest decoder layer's share.
double linear_weight_values(const ModelSpec& m, double* largest_layer, double* head) {
  std::vector<double> per_layer(m.layers.size(), 0.0);
  double n = 0;
  *head = 0;
  for (const TensorGroup& g : weight_tensors(m, false)) {
    if (g.cols <= 1) continue;  // norms, biases: elementwise, not cast
    if (g.role == TensorRole::kVision || g.role == TensorRole::kMtp || g.role == TensorRole::kPosition) continue;
    if (g.role == TensorRole::kEmbedding && std::string(g.name) == "embed_tokens") continue;  // a lookup
    const double x = static_cast<double>(g.elements());
    n += x;
    if (g.layer >= 0 && static_cast<size_t>(g.layer) < per_layer.size()) per_layer[static_cast<size_t>(g.layer)] += x;
    if (g.role == TensorRole::kLmHead) *head += x;
  }
  if (m.tie_word_embeddings) {
    const double tied = static_cast<double>(m.vocab_size) * static_cast<double>(m.embed_proj_dim > 0 ? m.embed_proj_dim : m.hidden_size);
    n += tied;
    *head += tied;
  }
  *largest_layer = per_layer.empty() ? 0 : *std::max_element(per_layer.begin(), per_layer.end());
  return n;
}

// ---- model states of one replica: full fine-tuning -------------------------------------------------------

/// Fills the replica's weights, gradients and optimizer.
States full_model_states(const Setup& s, TrainingEstimate& est) {
  const TrainingOptions& opts = s.opts;
  const double P = static_cast<double>(s.pc.total);
  const bool mixed = s.mixed;
  const bool fp32 = s.fp32;
  std::vector<std::string>& notes = est.assumptions;
  States out;
  est.trainable_parameters = s.pc.total;
  // torch optimizers keep their states in the parameter dtype (torch.zeros_like(param)): fp32 for mixed and fp32
  // training, bf16 for pure bf16. DeepSpeed's mixed precision keeps them fp32 next to its fp32 master copy.
  const double state = opts.precision == TrainingPrecision::kBf16 ? 2.0 : 4.0;
  double states = 0;
  for (const TensorGroup& g : s.tensors) {
    states += optimizer_state_bytes(opts.optimizer, state, g.rows, g.cols, g.count);
    out.largest = std::max(out.largest, static_cast<double>(g.rows) * static_cast<double>(g.cols));
  }
  out.state_bytes = state;
  // PyTorch (ZeRO 0): mixed precision as transformers' Trainer(bf16=True) runs it — the model stays fp32 and
  // torch.autocast computes in bf16 (trainer.py: autocast_smart_context_manager), so weights, gradients and both
  // Adam states are fp32: 4 + 4 + 8 = 16 B per parameter, no separate master copy. fp32: the same; pure bf16
  // (the model in bf16, no autocast): 2 + 2 + 4.
  const double w_torch = (mixed || fp32) ? 4.0 : 2.0;
  out.torch = ModelStateBytes{P * w_torch, P * w_torch, states};
  out.torch_grad_bytes = w_torch;
  // DeepSpeed (ZeRO >= 1), ZeRO §3.1: mixed precision keeps 16-bit weights (2Ψ) and gradients (2Ψ) and, in the
  // optimizer, an fp32 master copy (4Ψ) plus Adam's fp32 m and v (8Ψ): K = 12, 16 bytes per parameter.
  const double w_ds = fp32 ? 4.0 : 2.0;
  const double master_ds = mixed ? 4.0 * P : 0;
  out.deepspeed = ModelStateBytes{P * w_ds, P * w_ds, master_ds + states};
  out.deepspeed_grad_bytes = w_ds;
  // torch.autocast caches the bf16 cast of every fp32 weight a matmul uses until the autocast region ends
  // (torch/amp/autocast_mode.py: the cache is cleared on exiting the outermost region); the linear layers'
  // backward saves the cast, so each copy lives until its layer's backward. With gradient checkpointing the
  // layers save nothing, the cache goes at the end of the forward, and the LM head (outside the checkpointed
  // layers) keeps its copy; the layer being rebuilt casts its weights again.
  double largest_layer = 0;
  double head = 0;
  const double linear = linear_weight_values(s.m, &largest_layer, &head);
  for (const TensorGroup& g : s.tensors) out.tensors += static_cast<double>(g.count);
  if (mixed) {
    out.cast_values = linear;
    out.cache_forward = 2.0 * linear;
    out.cache_backward = opts.checkpointing == Checkpointing::kFull ? 2.0 * (head + largest_layer) : 2.0 * linear;
  }
  out.rebuild_grads = w_torch * (head + largest_layer);
  const bool ds = opts.zero >= 1;
  est.replica = out.replica(opts.zero);
  est.base_weights_bytes = est.replica.weights;
  est.master_weights_bytes = ds ? master_ds : 0;
  est.optimizer_states_bytes = states;
  notes.push_back(std::string("full fine-tuning, ") + training_precision_name(opts.precision) +
                  (mixed ? (ds ? " precision under DeepSpeed: 16-bit weights and gradients, fp32 master weights and "
                                 "optimizer states (counted in optimizer, as the ZeRO paper's K does)"
                               : " precision as transformers' Trainer(bf16=True) runs it: fp32 weights, gradients "
                                 "and optimizer states, bf16 compute under torch.autocast, whose cache keeps a bf16 "
                                 "copy of every linear weight until the backward has used it")
                         : fp32 ? " precision: fp32 weights, gradients and optimizer states"
                                : " precision: bf16 weights, gradients and optimizer states, no master copy"));
  return out;
}

// ---- model states of one replica: LoRA and QLoRA --------------------------------------------------------

/// Fills the adapters and the replica's weights, gradients and optimizer.
States lora_model_states(const Setup& s, TrainingEstimate& est) {
  const ModelSpec& m = s.m;
  const TrainingOptions& opts = s.opts;
  const ParameterCounts& pc = s.pc;
  const bool qlora = s.qlora;
  std::vector<std::string>& notes = est.assumptions;
  States out;
  double grad_bytes = 0;
  est.adapters = lora_adapters(m, opts.lora_targets);
  if (opts.lora_targets != kLoraAllLinear) {
    for (uint32_t bit = 1; bit < (1u << 13); bit <<= 1) {
      if ((opts.lora_targets & bit) && lora_adapters(m, bit).empty()) {
        est.warnings.push_back({"lora_target_missing", "LoRA target " + lora_target_names(bit).front() +
                                                           " matches no layer of this model"});
      }
    }
  }
  est.trainable_parameters = lora_parameters(est.adapters, opts.lora_rank);
  // Frozen base in its storage format, tensor by tensor (the same per-tensor rules as inference, tp = 1).
  const RankWeights rw = rank_weights(m, opts.base_format, 1, false, 1, false);
  double base = rw.first_bytes + rw.last_bytes;
  for (double x : rw.layer_bytes) base += x;
  if (qlora) {
    // qlora.py casts the norms to fp32 ("if 'norm' in name: module.to(torch.float32)"): +2 B per value.
    base += 2.0 * static_cast<double>(pc.norms);
  }
  est.base_weights_bytes = base;
  // Adapters: PEFT upcasts bf16/fp16 adapter weights to fp32 (peft 0.21 get_peft_model
  // autocast_adapter_dtype=True, tuners_utils.py cast_adapter_dtype), whatever the training precision; QLoRA's
  // recipe (qlora.py with --bf16) casts them back to bf16.
  const double a = qlora && opts.precision == TrainingPrecision::kBf16 ? 2.0 : 4.0;
  grad_bytes = a;
  const double tp = static_cast<double>(est.trainable_parameters);
  est.adapter_weights_bytes = tp * a;
  est.replica.weights = base + est.adapter_weights_bytes;
  est.replica.gradients = tp * a;
  // bitsandbytes' paged 32-bit AdamW (QLoRA's paged_adamw_32bit) keeps fp32 states whatever the adapter
  // dtype; torch optimizers keep them in the adapter dtype.
  const bool paged = qlora && (opts.optimizer == Optimizer::kAdamW || opts.optimizer == Optimizer::kAdamW8bit);
  const double state = paged ? 4.0 : a;
  for (const LoraAdapter& ad : est.adapters) {
    est.optimizer_states_bytes += optimizer_state_bytes(opts.optimizer, state, opts.lora_rank, ad.in, ad.copies);
    est.optimizer_states_bytes += optimizer_state_bytes(opts.optimizer, state, ad.out, opts.lora_rank, ad.copies);
    out.largest = std::max(out.largest, static_cast<double>(opts.lora_rank) * static_cast<double>(std::max(ad.in, ad.out)));
  }
  out.state_bytes = state;
  out.paged = paged;
  est.replica.optimizer = est.optimizer_states_bytes;
  out.torch = est.replica;
  out.deepspeed = est.replica;
  out.torch_grad_bytes = grad_bytes;
  out.deepspeed_grad_bytes = grad_bytes;
  // Under torch.autocast (mixed precision) the fp32 adapters are cast to bf16 and cached like any weight.
  for (const LoraAdapter& ad : est.adapters) out.tensors += 2.0 * static_cast<double>(ad.copies);
  if (s.mixed && a == 4.0) {
    out.cast_values = tp;
    out.cache_forward = 2.0 * tp;
    out.cache_backward = 2.0 * tp;
  }
  if (qlora) {
    notes.push_back("QLoRA: linear layers in NF4 with double quantisation (4 bits + an 8-bit absmax per 64 "
                    "weights + an fp32 constant per 256 absmax = 4.127 bits); embeddings and LM head 16-bit, "
                    "norms fp32 (qlora.py)");
    if (paged) {
      notes.push_back("paged optimizer: bitsandbytes allocates the states in CUDA unified memory, so they stay "
                      "on the GPU until it runs short, then move to CPU RAM; counted on the GPU (pageable_bytes), "
                      "with fits_with_paging telling whether moving them out would let it fit");
    }
  } else {
    notes.push_back("LoRA: frozen base in " + opts.base_format.label + "; adapters, their gradients and optimizer "
                    "states in " + (a == 4.0 ? "fp32 (PEFT's default upcast)" : "bf16"));
  }
  notes.push_back("LoRA trainable parameters: r x (in + out) per adapted matrix from the real shapes (Hu et al. "
                  "2021); the output layer, embeddings and vision tower are never adapted");
  return out;
}

/// Bytes per parameter of each state and the optimizer's note.
void optimizer_figures(const Setup& s, double grad_bytes, TrainingEstimate& est) {
  const TrainingOptions& opts = s.opts;
  std::vector<std::string>& notes = est.assumptions;
  est.weight_bytes_per_parameter =
      est.parameters > 0 ? est.replica.weights / static_cast<double>(est.parameters) : 0;
  est.gradient_bytes_per_trainable = grad_bytes;
  est.optimizer_bytes_per_trainable =
      est.trainable_parameters > 0 ? est.replica.optimizer / static_cast<double>(est.trainable_parameters) : 0;
  switch (opts.optimizer) {
    case Optimizer::kAdamW: break;
    case Optimizer::kAdamW8bit:
      notes.push_back("8-bit AdamW (Dettmers et al. 2022): 2 bytes of state per parameter + an fp32 absmax per "
                      "2048-value block; tensors under 4096 values keep fp32 states (bitsandbytes min_8bit_size)");
      break;
    case Optimizer::kSgd: notes.push_back("SGD without momentum keeps no optimizer state"); break;
    case Optimizer::kSgdMomentum: notes.push_back("SGD with momentum: one state value per parameter"); break;
    case Optimizer::kAdafactor:
      notes.push_back("Adafactor (Shazeer & Stern 2018): factored second moment, rows + cols per matrix, no first "
                      "moment (transformers' default beta1 = None)");
      break;
  }
}

// ---- activations -----------------------------------------------------------------------------------------

/// The activation regimes of plain PyTorch (ZeRO 0) and DeepSpeed (ZeRO >= 1).
struct Activations {
  ActivationBytes torch;
  ActivationBytes deepspeed;
  const ActivationBytes& at(int zero) const { return zero >= 1 ? deepspeed : torch; }
};

/// How the step's tensors are typed at a ZeRO stage. Full fine-tuning in mixed precision at ZeRO 0 is
/// Trainer(bf16=True): the fp32 model under torch.autocast, so the embeddings and the residual stream are fp32;
/// DeepSpeed's bf16 (ZeRO >= 1) and pure bf16 run a bf16 model without autocast. LoRA keeps the base as loaded
/// (bf16, or fp32 with --training-precision fp32) under autocast when mixed, with peft's fp32 adapters; QLoRA's
/// norms are fp32 (qlora.py), so their outputs promote to fp32.
ActivationOptions regime(const Setup& s, int zero, double adapter_bytes) {
  const TrainingOptions& opts = s.opts;
  ActivationOptions ao;
  ao.micro_batch = opts.micro_batch;
  ao.seq_len = opts.seq_len;
  ao.flash_attention = opts.flash_attention;
  ao.dropout = opts.dropout;
  ao.checkpointing = opts.checkpointing;
  ao.weights_train = !s.lora;
  ao.autocast = s.mixed && zero == 0;
  const bool fp32_model = s.fp32 || (!s.lora && ao.autocast);
  ao.hidden_bytes = fp32_model ? 4.0 : 2.0;
  ao.matmul_bytes = s.fp32 ? 4.0 : 2.0;
  ao.norm_bytes = s.qlora ? 4.0 : ao.hidden_bytes;
  ao.adapter_bytes = adapter_bytes;
  ao.inputs_require_grad = s.lora && !s.qlora && opts.checkpointing == Checkpointing::kFull &&
                           opts.base_format.method == QuantMethod::kNone;
  return ao;
}

Activations estimate_activations(const Setup& s, TrainingEstimate& est) {
  const ModelSpec& m = s.m;
  const TrainingOptions& opts = s.opts;
  const bool lora = s.lora;
  const ParameterCounts& pc = s.pc;
  std::vector<std::string>& notes = est.assumptions;
  LoraSetup ls;
  if (lora) {
    ls.adapters = est.adapters;
    ls.rank = opts.lora_rank;
    ls.dropout = opts.lora_dropout;
  }
  const double adapter_bytes = est.gradient_bytes_per_trainable;  // the adapters' dtype
  Activations out;
  out.torch = activation_bytes(m, regime(s, 0, adapter_bytes), lora ? &ls : nullptr);
  out.deepspeed = activation_bytes(m, regime(s, 1, adapter_bytes), lora ? &ls : nullptr);
  est.activations = out.at(opts.zero);
  const ActivationOptions r = regime(s, opts.zero, adapter_bytes);
  notes.push_back(std::string("activations: micro-batch ") + std::to_string(opts.micro_batch) + " x " +
                  std::to_string(opts.seq_len) + " tokens, " +
                  (r.autocast ? (r.hidden_bytes == 4.0 ? "fp32 residual stream, bf16 matmuls under torch.autocast (each "
                                                         "matmul saves its own bf16 cast of an fp32 input)"
                                                       : "bf16 model under torch.autocast")
                              : std::string(r.hidden_bytes == 4.0 ? "fp32" : "bf16") + " throughout") +
                  ", " +
                  (opts.flash_attention ? "SDPA flash attention (q, k, v, output and log-sum-exp kept)"
                                        : "eager attention (fp32 softmax + its bf16 cast per score, a float mask)") +
                  ", gradient checkpointing " + checkpointing_name(opts.checkpointing) +
                  (opts.checkpointing == Checkpointing::kFull ? " (each layer's input kept, one layer rebuilt at a time)"
                                                              : "") +
                  "; what autograd saves op by op as transformers 5 runs the layer, RMSNorm in fp32" +
                  (lora ? "; the frozen base keeps only what the gradient needs on its way to the adapters" : ""));
  if (m.vision.parameters > 0) {
    notes.push_back("vision tower: its weights are counted (trained in full fine-tuning, frozen in LoRA); its "
                    "activations are not (text-only batches)");
  }
  if (lora && (opts.lora_targets & kLoraExperts) && pc.experts > 0) {
    notes.push_back("routed experts adapted one by one, as transformers 4.x lays them out (an nn.Linear per "
                    "expert); implementations that fuse experts into one parameter (gpt-oss, transformers 5) expose "
                    "no per-expert linear layers to PEFT");
  }
  if (lora && opts.lora_dropout > 0) {
    notes.push_back("LoRA dropout: each adapted layer keeps its own dropped copy of its input and a 1-byte mask "
                    "(PEFT applies lora_dropout per adapted module)");
  }
  if (opts.checkpointing == Checkpointing::kSelective && opts.flash_attention) {
    notes.push_back("selective recomputation drops the attention scores (Korthikanti §4.2), which FlashAttention "
                    "already never stores: it saves nothing more here");
  }
  notes.push_back("loss in fp32 (transformers ForCausalLMLoss: logits.float(), cross_entropy): the forward holds "
                  "the logits, their fp32 copy and the fp32 log-softmax; the backward starts with the log-softmax, "
                  "its fp32 gradient and the input's fp32 gradient, 12 B per token and vocabulary entry");
  return out;
}

// ---- other and the fit: context, NCCL, buckets, dequantisation; totals per GPU; GPUs needed ------------

// DeepSpeed defaults (deepspeed/runtime/zero/config.py): reduce_bucket_size 5e8 values,
// stage3_prefetch_bucket_size 5e7 values; stage 0 all-reduces in flat buffers of 5e8 values
// (engine.py buffered_allreduce_fallback, elements_per_buffer=500000000).
constexpr double kReduceBucket = 5e8;
constexpr double kPrefetchBucket = 5e7;

/// The per-GPU memory of a layout (n data-parallel GPUs, a ZeRO stage, offload), from the replica.
struct Fit {
  const Setup& s;
  const TrainingEstimate& est;
  const States& states;
  const Activations& acts;
  double largest_module_bytes = 0;
  int64_t largest_module_params = 0;
  double largest_quantized_matrix = 0;  ///< values in one 4-bit matrix
  double trainable = 0;

  Fit(const Setup& setup, const TrainingEstimate& e, const States& st, const Activations& a)
      : s(setup), est(e), states(st), acts(a) {
    // Full fine-tuning: base_format is the trained dtype (resolve_training); LoRA: the frozen base's storage.
    const RankWeights rw = rank_weights(s.m, s.opts.base_format, 1, false, 1, false);
    largest_module_bytes = std::max(rw.first_bytes, rw.last_bytes);
    largest_module_params = std::max(rw.first_params, rw.last_params);
    for (size_t i = 0; i < rw.layer_bytes.size(); ++i) {
      if (rw.layer_bytes[i] > largest_module_bytes) {
        largest_module_bytes = rw.layer_bytes[i];
        largest_module_params = rw.layer_params[i];
      }
    }
    if (s.qlora) {
      for (const TensorGroup& g : s.tensors) {
        if (g.matrix) largest_quantized_matrix = std::max(largest_quantized_matrix, static_cast<double>(g.rows * g.cols));
      }
    }
    trainable = static_cast<double>(est.trainable_parameters);
  }

  TrainingOther other_for(int64_t n, int zero) const {
    TrainingOther x;
    // CUDA context + cuBLAS workspaces (memory.cpp default_overhead_bytes) and, across GPUs, NCCL's
    // communicator buffers (the same 512 MiB memory.cpp counts for tensor parallelism).
    x.cuda_context = s.opts.overhead_bytes >= 0 ? static_cast<double>(s.opts.overhead_bytes)
                                                : static_cast<double>(default_overhead_bytes(s.gpu, 1));
    x.nccl = n > 1 ? 512.0 * kMiB : 0;
    if (zero >= 1 || n > 1) x.comm_buckets = std::min(kReduceBucket, trainable) * states.grad_bytes(zero);
    if (zero >= 3) {
      // ZeRO-3 / FSDP gathers one module's full parameters at a time, plus the prefetched next bucket.
      const double per_param =
          largest_module_params > 0 ? largest_module_bytes / static_cast<double>(largest_module_params) : s.e;
      x.comm_buckets += largest_module_bytes +
                        std::min(kPrefetchBucket, static_cast<double>(largest_module_params)) * per_param;
    }
    // bitsandbytes MatMul4Bit dequantises the whole weight to the compute dtype for each matmul
    // (bitsandbytes/autograd/_functions.py: F.dequantize_4bit(B, quant_state).to(A.dtype)).
    x.dequant = largest_quantized_matrix * s.e;
    return x;
  }

  ModelStateBytes per_gpu_states(int64_t n, int zero, bool offload, double* cpu) const {
    ModelStateBytes st = shard_model_states(states.replica(zero), zero, n);
    *cpu = 0;
    if (offload) {
      // ZeRO-Offload (arXiv:2101.06840 §4.1): gradients, optimizer states (with the fp32 master copy) and the
      // update move to the CPU; the GPU keeps the 16-bit parameters, gradients pass through the reduce bucket.
      *cpu = st.optimizer + ceil_div(trainable * 4.0, n);
      st.optimizer = 0;
      st.gradients = 0;
    }
    return st;
  }

  /// The update's temporary on one GPU. DeepSpeed (ZeRO >= 1) steps with its FusedAdam (multi_tensor_apply,
  /// in place: deepspeed/ops/adam/fused_adam.py) and ZeRO-Offload on the CPU: nothing on the GPU then.
  double step_temporary(int zero, bool offload) const {
    if (zero >= 1 || offload || states.paged) return 0;
    return optimizer_step_temporary_bytes(s.opts.optimizer, s.opts.optimizer_impl, states.state_bytes, trainable,
                                          states.largest);
  }

  /// One GPU at each phase of a step (Phase order). PyTorch (ZeRO 0) frees the gradients after every step
  /// (optimizer.zero_grad(set_to_none=True), the default since torch 2.0): they exist from the backward to the
  /// step. DeepSpeed (ZeRO >= 1) keeps its gradient partitions and buckets allocated through the step.
  std::array<PhaseBytes, 3> phases_for(int64_t n, int zero, bool offload) const {
    double cpu = 0;
    const ModelStateBytes st = per_gpu_states(n, zero, offload, &cpu);
    const double other = other_for(n, zero).total();
    const double held = zero >= 1 ? st.gradients : 0;
    const ActivationBytes& a = acts.at(zero);
    // torch.autocast's weight cache exists only where the parameters stay fp32 (ZeRO 0).
    const double cache_f = zero >= 1 ? 0 : states.cache_forward;
    const double cache_b = zero >= 1 ? 0 : states.cache_backward;
    std::array<PhaseBytes, 3> p;
    p[static_cast<size_t>(Phase::kForward)] = PhaseBytes{st.weights + cache_f, held, st.optimizer, a.forward(), other};
    // The backward's peak: at its start (the loss's gradient over every saved tensor) or, checkpointed, while a
    // layer is rebuilt (the head's and that layer's gradients exist by then).
    const PhaseBytes start{st.weights + cache_b, held, st.optimizer, a.backward_start(), other};
    const PhaseBytes rebuild{st.weights + cache_b, zero >= 1 ? held : states.rebuild_grads, st.optimizer,
                             a.backward_rebuild(), other};
    p[static_cast<size_t>(Phase::kBackward)] = rebuild.total() > start.total() ? rebuild : start;
    p[static_cast<size_t>(Phase::kOptimizerStep)] =
        PhaseBytes{st.weights, st.gradients, st.optimizer + step_temporary(zero, offload), 0, other};
    return p;
  }

  /// The phase with the most memory; on a tie the later one in the step wins over the forward, the backward
  /// over the step (the activations are what a user can change).
  static Phase peak_of(const std::array<PhaseBytes, 3>& p) {
    Phase best = Phase::kBackward;
    for (Phase x : {Phase::kForward, Phase::kOptimizerStep}) {
      if (p[static_cast<size_t>(x)].total() > p[static_cast<size_t>(best)].total()) best = x;
    }
    return best;
  }

  int64_t total_for(int64_t n, int zero, bool offload) const {
    const std::array<PhaseBytes, 3> p = phases_for(n, zero, offload);
    return p[static_cast<size_t>(peak_of(p))].total();
  }
};

/// What the optimizer step adds, and which phase sets the peak.
std::string step_note(const Setup& s, const TrainingEstimate& est) {
  const TrainingOptions& o = s.opts;
  std::string impl;
  if (o.zero >= 1 || o.offload_optimizer) {
    impl = o.offload_optimizer ? "the update runs on the CPU (DeepSpeedCPUAdam)"
                               : "DeepSpeed's FusedAdam updates in place (no temporary)";
  } else if (est.pageable_bytes > 0 || o.optimizer == Optimizer::kAdamW8bit) {
    impl = "bitsandbytes updates each tensor in one fused kernel (no temporary)";
  } else if (o.optimizer == Optimizer::kAdamW) {
    impl = o.optimizer_impl == OptimizerImpl::kForeach
               ? "AdamW foreach (torch's default) allocates sqrt(exp_avg_sq) for every parameter at once: " +
                     fmt_gib(est.optimizer_temp_bytes) + " (torch/optim/adamw.py _multi_tensor_adamw)"
           : o.optimizer_impl == OptimizerImpl::kFused
               ? std::string("AdamW fused=True updates in place (torch._fused_adamw_): no temporary")
               : "AdamW for-loop (foreach=False) holds sqrt(exp_avg_sq) and its quotient for one tensor at a time: " +
                     fmt_gib(est.optimizer_temp_bytes);
  } else if (o.optimizer == Optimizer::kAdafactor) {
    impl = "Adafactor's update of the largest tensor (2 fp32 temporaries): " + fmt_gib(est.optimizer_temp_bytes);
  } else {
    impl = "SGD updates in place (no temporary)";
  }
  return std::string("phases: peak at the ") + phase_name(est.peak_phase) +
         " (forward / backward: weights, optimizer states, activations" + (o.zero >= 1 ? ", gradient buffers" : "") +
         "; optimizer step: weights, gradients, states and the update's temporary); " + impl;
}

/// Per-GPU memory, what fits, the GPUs needed per ZeRO stage, and their notes.
void estimate_fit(const Setup& s, const States& states, const Activations& acts, TrainingEstimate& est) {
  const TrainingOptions& opts = s.opts;
  const GpuSpec& gpu = s.gpu;
  std::vector<std::string>& notes = est.assumptions;
  const Fit fit(s, est, states, acts);
  est.per_gpu = fit.per_gpu_states(opts.gpus, opts.zero, opts.offload_optimizer, &est.cpu_offload_bytes);
  est.other = fit.other_for(opts.gpus, opts.zero);
  est.optimizer_temp_bytes = fit.step_temporary(opts.zero, opts.offload_optimizer);
  est.phases = fit.phases_for(opts.gpus, opts.zero, opts.offload_optimizer);
  est.peak_phase = Fit::peak_of(est.phases);
  est.autocast_cache_bytes = opts.zero >= 1 || est.peak_phase == Phase::kOptimizerStep ? 0
                             : est.peak_phase == Phase::kForward                      ? states.cache_forward
                                                                                      : states.cache_backward;
  est.total_bytes = est.phases[static_cast<size_t>(est.peak_phase)].total();
  est.capacity_bytes = gpu.memory_bytes();
  est.usable_bytes = static_cast<int64_t>(static_cast<double>(est.capacity_bytes) * (1.0 - opts.reserve));
  est.free_bytes = est.usable_bytes - est.total_bytes;
  est.fits = est.free_bytes >= 0;
  const bool paged = s.qlora && !opts.offload_optimizer &&
                     (opts.optimizer == Optimizer::kAdamW || opts.optimizer == Optimizer::kAdamW8bit);
  est.pageable_bytes = paged ? est.per_gpu.optimizer : 0;
  est.fits_with_paging = static_cast<double>(est.total_bytes) - est.pageable_bytes <= static_cast<double>(est.usable_bytes);
  // The fewest data-parallel GPUs that fit, for each ZeRO stage (offload kept for stages >= 1 when asked).
  for (int zero = 0; zero <= 3; ++zero) {
    const bool offload = opts.offload_optimizer && zero >= 1;
    int64_t needed = 0;
    for (int64_t n = 1; n <= opts.max_gpus; ++n) {
      if (fit.total_for(n, zero, offload) <= est.usable_bytes) {
        needed = n;
        break;
      }
      if (zero == 0 && n > 1) break;  // without ZeRO more GPUs divide nothing
    }
    est.gpus_needed_by_zero[static_cast<size_t>(zero)] = needed;
  }
  est.gpus_needed = est.gpus_needed_by_zero[static_cast<size_t>(opts.zero)];
  notes.push_back("data parallel over " + std::to_string(opts.gpus) + " GPU(s), ZeRO stage " +
                  std::to_string(opts.zero) +
                  (opts.zero == 0   ? " (every GPU holds all model states)"
                   : opts.zero == 1 ? " (optimizer states divided over the GPUs)"
                   : opts.zero == 2 ? " (optimizer states and gradients divided)"
                                    : " (optimizer states, gradients and weights divided; FSDP full sharding)") +
                  (opts.offload_optimizer ? ", optimizer offloaded to the CPU (ZeRO-Offload)" : ""));
  if (opts.zero == 0 && opts.gpus > 1) {
    notes.push_back("ZeRO 0 over several GPUs is PyTorch DDP (transformers' Trainer): gradients all-reduced through "
                    "buckets, counted as 5e8 values; DDP without gradient_as_bucket_view=True keeps a second copy of "
                    "every gradient in its buckets (torch.nn.parallel.DistributedDataParallel docs)");
  }
  notes.push_back(step_note(s, est));
  notes.push_back("other: CUDA context and workspaces" + std::string(opts.gpus > 1 ? ", NCCL buffers" : "") +
                  (est.other.comm_buckets > 0 ? ", DeepSpeed buckets (reduce 5e8 values" +
                                                    std::string(opts.zero >= 3 ? ", the largest module gathered + "
                                                                                 "a 5e7-value prefetch bucket)"
                                                                               : ")")
                                              : "") +
                  (est.other.dequant > 0 ? ", one dequantised 16-bit matrix (bitsandbytes)" : ""));
  notes.push_back("usable: GPU memory minus a " + std::to_string(static_cast<int>(std::lround(opts.reserve * 100))) +
                  " % reserve for allocator fragmentation (--training-reserve; a judgement, not a measured constant)");
  if (!est.fits && est.fits_with_paging) {
    est.warnings.push_back({"fits_only_with_paging", "the paged optimizer states would have to move to CPU RAM (" +
                                                         fmt_gib(est.pageable_bytes) + "): it runs, but slower"});
  }
}

// ---- speed ---------------------------------------------------------------------------------------------

void estimate_speed(const Setup& s, const States& states, TrainingEstimate& est) {
  const TrainingOptions& opts = s.opts;
  std::vector<std::string>& notes = est.assumptions;
  StepInputs in;
  in.work = est.activations.work;
  in.trainable = static_cast<double>(est.trainable_parameters);
  in.trainable_tensors = states.tensors;
  in.param_bytes = est.trainable_parameters > 0 && !s.lora
                       ? states.replica(opts.zero).weights / static_cast<double>(est.trainable_parameters)
                       : est.gradient_bytes_per_trainable;
  in.grad_bytes = states.grad_bytes(opts.zero);
  in.state_bytes = states.state_bytes;
  in.cast_values = opts.zero >= 1 ? 0 : states.cast_values;
  est.speed = step_time(s.gpu, opts, in);
  const TrainingSpeed& sp = est.speed;
  if (!sp.available) {
    notes.push_back("speed: no dense " + sp.peak_dtype + " TFLOPS for this GPU in the catalogue, so no tokens/s");
    return;
  }
  char buf[320];
  if (sp.model == "training_mfu") {
    std::snprintf(buf, sizeof buf,
                  "speed: the executed FLOPs (%.3g per token, recomputation included) at the given %.0f %% of the "
                  "dense %s peak (--training-mfu; without it the calibrated step-time model applies)",
                  sp.executed_flops_per_token, 100 * opts.mfu, sp.peak_dtype.c_str());
  } else {
    std::snprintf(buf, sizeof buf,
                  "speed: matmuls at %.0f %% of the dense %s peak (%.3g s), attention at %.0f %% (%.3g s), %.3g GB "
                  "of elementwise and optimizer traffic at %.0f %% of the bandwidth (%.3g s), %.0f kernels (%.3g s "
                  "on the GPU, %.3g s for the host to launch): %s-bound; %s GPU constants%s",
                  100 * sp.gemm_efficiency, sp.peak_dtype.c_str(), sp.gemm_seconds, 100 * sp.attention_efficiency,
                  sp.attention_seconds, sp.memory_bytes / 1e9, 100 * sp.bandwidth_efficiency, sp.memory_seconds,
                  sp.kernels, sp.launch_seconds, sp.host_seconds, sp.bound.c_str(),
                  sp.gpu_family.empty() ? "unknown" : sp.gpu_family.c_str(),
                  sp.calibrated ? " (fitted on public H200 steps)" : ", not measured: Hopper's fractions used");
  }
  notes.push_back(buf);
  notes.push_back("speed: one micro-batch per optimizer step (no gradient accumulation); communication, CPU offload "
                  "and dataloading time not modelled");
  if (s.fp32) {
    notes.push_back("fp32 training runs at the fp32 (non-tensor-core) peak: PyTorch leaves TF32 matmuls off by "
                    "default (torch.backends.cuda.matmul.allow_tf32 = False since 1.12)");
  }
  if (s.qlora) notes.push_back("QLoRA's per-matmul dequantisation slows it further; not modelled");
}

}  // namespace

TrainingEstimate estimate_training(const ModelSpec& m, const GpuSpec& gpu, const TrainingOptions& opts) {
  TrainingEstimate est;
  est.options = opts;
  const Setup s(m, gpu, opts);
  est.parameters = s.pc.total;
  const States states = s.lora ? lora_model_states(s, est) : full_model_states(s, est);
  optimizer_figures(s, states.grad_bytes(opts.zero), est);
  const Activations acts = estimate_activations(s, est);
  estimate_fit(s, states, acts, est);
  estimate_speed(s, states, est);
  return est;
}

}  // namespace llmsizer
