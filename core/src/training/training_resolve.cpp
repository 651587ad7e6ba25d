// Fine-tuning: the training fields of a request, read, defaulted and validated into TrainingOptions.
// Declared in training.h (resolve_training).
#include <algorithm>
#include <string>

#include "training/training.h"
#include "training/training_util.h"

namespace llmsizer {

namespace {

using training_util::lower;

Error bad(const std::string& path, const std::string& msg) { return make_error(ErrorCode::kInvalidRequest, msg, path); }

// ---- choices: the accepted spellings of each option (lower case), as data ----------------------------

template <class E>
struct Choice {
  const char* name;
  E value;
};

constexpr Choice<TrainingMode> kModes[] = {{"inference", TrainingMode::kInference}, {"", TrainingMode::kInference},
                                           {"full", TrainingMode::kFull},           {"lora", TrainingMode::kLora},
                                           {"qlora", TrainingMode::kQlora}};
constexpr Choice<Optimizer> kOptimizers[] = {
    {"adamw", Optimizer::kAdamW},          {"adam", Optimizer::kAdamW},          {"", Optimizer::kAdamW},
    {"adamw-8bit", Optimizer::kAdamW8bit}, {"adamw_8bit", Optimizer::kAdamW8bit}, {"adamw8bit", Optimizer::kAdamW8bit},
    {"adam-8bit", Optimizer::kAdamW8bit},  {"sgd", Optimizer::kSgd},              {"sgd-momentum", Optimizer::kSgdMomentum},
    {"sgd_momentum", Optimizer::kSgdMomentum}, {"adafactor", Optimizer::kAdafactor}};
constexpr Choice<TrainingPrecision> kPrecisions[] = {
    {"mixed", TrainingPrecision::kMixed}, {"amp", TrainingPrecision::kMixed},     {"fp32", TrainingPrecision::kFp32},
    {"float32", TrainingPrecision::kFp32}, {"bf16", TrainingPrecision::kBf16}, {"bfloat16", TrainingPrecision::kBf16}};
constexpr Choice<Checkpointing> kCheckpointing[] = {
    {"none", Checkpointing::kNone}, {"off", Checkpointing::kNone},         {"false", Checkpointing::kNone},
    {"selective", Checkpointing::kSelective}, {"full", Checkpointing::kFull}, {"on", Checkpointing::kFull},
    {"true", Checkpointing::kFull}};
constexpr Choice<OptimizerImpl> kOptimizerImpls[] = {
    {"foreach", OptimizerImpl::kForeach}, {"", OptimizerImpl::kForeach},      {"fused", OptimizerImpl::kFused},
    {"for-loop", OptimizerImpl::kForLoop}, {"for_loop", OptimizerImpl::kForLoop}, {"forloop", OptimizerImpl::kForLoop},
    {"single-tensor", OptimizerImpl::kForLoop}};
constexpr Choice<bool> kAttention[] = {{"flash", true}, {"sdpa", true}, {"", true}, {"eager", false}};

/// The value whose name is `text` (case-insensitive), or false.
template <class E, size_t N>
bool choose(const Choice<E> (&table)[N], const std::string& text, E* out) {
  const std::string t = lower(text);
  for (const Choice<E>& c : table) {
    if (t == c.name) {
      *out = c.value;
      return true;
    }
  }
  return false;
}

bool is_lora(const TrainingOptions& o) { return o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora; }

// ---- mode, optimizer, precision --------------------------------------------------------------------------

Result<bool> resolve_method(const Request& req, TrainingOptions& o) {
  if (!choose(kModes, req.mode, &o.mode)) {
    return bad("/mode", "unknown mode '" + req.mode + "': use inference, full, lora or qlora");
  }
  const bool qlora = o.mode == TrainingMode::kQlora;
  if (!choose(kOptimizers, req.optimizer, &o.optimizer)) {
    return bad("/optimizer",
               "unknown optimizer '" + req.optimizer + "': use adamw, adamw-8bit, sgd, sgd-momentum or adafactor");
  }
  if (!choose(kOptimizerImpls, req.optimizer_impl, &o.optimizer_impl)) {
    return bad("/optimizer_impl",
               "unknown optimizer implementation '" + req.optimizer_impl + "': use foreach, fused or for-loop");
  }
  const std::string prec = lower(req.training_precision);
  if (prec == "auto" || prec.empty()) {
    // QLoRA's recipe (qlora.py with --bf16) casts the adapters to bf16; full and LoRA fine-tuning default to
    // mixed precision (fp32 trainable weights / master copy, bf16 compute).
    o.precision = qlora ? TrainingPrecision::kBf16 : TrainingPrecision::kMixed;
  } else if (!choose(kPrecisions, prec, &o.precision)) {
    return bad("/training_precision",
               "unknown training precision '" + req.training_precision + "': use mixed, fp32 or bf16");
  }
  // Mixed precision and pure bf16 compute in bf16 (torch.autocast(dtype=torch.bfloat16), Trainer --bf16), also
  // for fp16 checkpoints; 2 bytes either way.
  o.compute_dtype = o.precision == TrainingPrecision::kFp32 ? Dtype::kFp32 : Dtype::kBf16;
  return true;
}

// ---- micro-batch, sequence, checkpointing, attention -----------------------------------------------------

Result<bool> resolve_workload(const Request& req, const ModelSpec& m, TrainingOptions& o,
                              std::vector<Warning>* warnings, std::vector<std::string>* notes) {
  o.micro_batch = req.micro_batch;
  if (o.micro_batch < 1) return bad("/micro_batch", "'micro_batch' must be at least 1");
  if (req.seq_len > 0) {
    o.seq_len = req.seq_len;
  } else {
    const int64_t maxpos = m.max_position_embeddings > 0 ? m.max_position_embeddings : 2048;
    o.seq_len = std::min<int64_t>(2048, maxpos);
    if (o.mode != TrainingMode::kInference) {
      notes->push_back("training: sequence length " + std::to_string(o.seq_len) +
                       " tokens (default: 2048 capped at max_position_embeddings; set --seq-len)");
    }
  }
  // Keeps every byte count far inside int64 (logits alone are tokens x vocab x 10 bytes).
  if (static_cast<double>(o.micro_batch) * static_cast<double>(o.seq_len) > 1e8) {
    return bad("/micro_batch", "micro_batch x seq_len = " + std::to_string(o.micro_batch) + " x " +
                                   std::to_string(o.seq_len) +
                                   " tokens per GPU step is beyond any training run (limit 100,000,000)");
  }
  if (o.mode != TrainingMode::kInference && m.max_position_embeddings > 0 && o.seq_len > m.max_position_embeddings) {
    warnings->push_back({"seq_len_beyond_max_position", "--seq-len " + std::to_string(o.seq_len) +
                                                            " exceeds the model's max_position_embeddings (" +
                                                            std::to_string(m.max_position_embeddings) + ")"});
  }
  const std::string ck = lower(req.gradient_checkpointing);
  if (ck.empty() || ck == "auto") {
    // The QLoRA scripts always enable gradient checkpointing; transformers' Trainer defaults to off.
    o.checkpointing = o.mode == TrainingMode::kQlora ? Checkpointing::kFull : Checkpointing::kNone;
  } else if (!choose(kCheckpointing, ck, &o.checkpointing)) {
    return bad("/gradient_checkpointing", "unknown gradient checkpointing '" + req.gradient_checkpointing +
                                              "': use none, selective or full");
  }
  if (!choose(kAttention, req.training_attention, &o.flash_attention)) {
    return bad("/training_attention", "unknown attention '" + req.training_attention + "': use flash or eager");
  }
  return true;
}

// ---- LoRA rank, targets, dropout ---------------------------------------------------------------------------

Result<bool> resolve_lora(const Request& req, TrainingOptions& o, std::vector<Warning>* warnings,
                          std::vector<std::string>* notes) {
  const bool qlora = o.mode == TrainingMode::kQlora;
  o.lora_rank = req.lora_rank > 0 ? req.lora_rank : (qlora ? 64 : 8);
  if (req.lora_targets.empty()) {
    // PEFT's default for Llama-style models is q_proj, v_proj (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING);
    // QLoRA adapts every linear layer (arXiv:2305.14314 §4: "LoRA on all linear transformer block layers").
    o.lora_targets = qlora ? kLoraAllLinear : (kLoraQ | kLoraV);
  } else {
    auto t = parse_lora_targets(req.lora_targets);
    if (!t.ok()) return t.error();
    o.lora_targets = t.value();
  }
  o.lora_dropout = req.lora_dropout;
  if (is_lora(o)) {
    if (req.lora_rank <= 0) {
      notes->push_back(std::string("LoRA rank ") + std::to_string(o.lora_rank) +
                       (qlora ? " (default: the QLoRA paper's r = 64)" : " (default: PEFT LoraConfig r = 8)"));
    }
    if (req.lora_targets.empty()) {
      notes->push_back(qlora ? "LoRA targets: all linear layers (default: the QLoRA paper's choice)"
                             : "LoRA targets: q_proj, v_proj (default: PEFT's for Llama-style models)");
    }
  } else if (o.mode == TrainingMode::kFull && (req.lora_rank > 0 || !req.lora_targets.empty())) {
    warnings->push_back({"lora_options_ignored", "--lora-rank / --lora-targets apply to --mode lora or qlora only"});
  }
  return true;
}

// ---- data parallelism, ZeRO, speed and memory knobs ----------------------------------------------------------

Result<bool> resolve_sharding(const Request& req, const Inputs& in, TrainingOptions& o,
                              std::vector<Warning>* warnings) {
  o.zero = static_cast<int>(req.zero);
  if (o.zero < 0 || o.zero > 3) return bad("/zero", "'zero' must be 0, 1, 2 or 3");
  o.offload_optimizer = req.offload_optimizer;
  if (o.offload_optimizer && o.zero == 0 && o.mode != TrainingMode::kInference) {
    return make_error(ErrorCode::kConflictingOptions,
                      "'offload_optimizer' is a ZeRO option (DeepSpeed offload_optimizer): set 'zero' to 1, 2 or 3",
                      "/offload_optimizer");
  }
  o.gpus = std::max<int64_t>(1, in.layout.gpus());
  if (o.mode != TrainingMode::kInference) {
    if (req.tp > 1 || req.pp > 1) {
      warnings->push_back({"training_model_parallel_ignored",
                           "the training estimate is data parallel over all " + std::to_string(o.gpus) +
                               " GPUs (with ZeRO); --tp / --pp apply to the inference sections only"});
    }
    if (o.zero > 0 && o.gpus == 1) {
      warnings->push_back({"zero_single_gpu", "ZeRO divides model states over data-parallel GPUs: with one GPU "
                                              "nothing is divided (add --gpus N)"});
    }
  }
  o.dataset_tokens = req.dataset_tokens;
  if (!(req.training_mfu >= 0 && req.training_mfu <= 1)) return bad("/training_mfu", "'training_mfu' must be in [0, 1]");
  // 0 (the request's default) = not given: the calibrated step-time model applies. Any other value is the
  // user's utilisation and replaces it.
  o.mfu = req.training_mfu;
  o.reserve = req.training_reserve;
  o.overhead_bytes = req.overhead_gib >= 0 ? static_cast<int64_t>(req.overhead_gib * kGiB) : -1;
  o.max_gpus = std::max<int64_t>(1, req.recommend_max_gpus);
  return true;
}

// ---- the frozen base's storage ---------------------------------------------------------------------------

void resolve_base_format(const Request& req, const ModelSpec& m, const Inputs& in, TrainingOptions& o,
                         std::vector<Warning>* warnings) {
  if (o.mode == TrainingMode::kQlora) {
    // QLoRA: NF4 with double quantisation for the linear layers; embeddings, LM head in 16-bit.
    o.base_format = weight_format_from_name("nf4", Dtype::kBf16).value();
    if (m.has_quantization_config || (!req.dtype.empty() && req.dtype != "auto" && lower(req.dtype) != "nf4")) {
      warnings->push_back({"qlora_replaces_quantization",
                           "QLoRA quantises the 16-bit base to NF4 on load: the base is counted as NF4 (" +
                               (m.has_quantization_config ? "the checkpoint's " + m.quant.label : "--dtype " + req.dtype) +
                               " is not used for training)"});
    }
  } else if (o.mode == TrainingMode::kLora) {
    // LoRA: the frozen base in its dtype; a quantised checkpoint (GPTQ/AWQ/fp8/--dtype) stays quantised.
    o.base_format = in.weights;
    if (o.base_format.method == QuantMethod::kNone && o.precision == TrainingPrecision::kFp32) {
      o.base_format = weight_format_from_name("fp32", Dtype::kFp32).value();
    }
  } else {
    o.base_format = weight_format_from_name(dtype_name(o.compute_dtype), o.compute_dtype).value();
    if (o.mode == TrainingMode::kFull && in.weights.method != QuantMethod::kNone) {
      warnings->push_back({"full_finetune_dequantized",
                           "full fine-tuning trains 16-bit (or fp32) weights: the " + in.weights.label +
                               " storage is not used; the estimate counts the model dequantised"});
    }
  }
}

}  // namespace

Result<TrainingOptions> resolve_training(const Request& req, const ModelSpec& m, const Inputs& in,
                                         std::vector<Warning>* warnings, std::vector<std::string>* notes) {
  TrainingOptions o;
  auto method = resolve_method(req, o);
  if (!method.ok()) return method.error();
  auto workload = resolve_workload(req, m, o, warnings, notes);
  if (!workload.ok()) return workload.error();
  auto lora = resolve_lora(req, o, warnings, notes);
  if (!lora.ok()) return lora.error();
  auto sharding = resolve_sharding(req, in, o, warnings);
  if (!sharding.ok()) return sharding.error();
  resolve_base_format(req, m, in, o, warnings);
  return o;
}

}  // namespace llmsizer
