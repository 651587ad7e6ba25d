// The `training` section of the response: every number the page and the CLI show for fine-tuning.
//
// Shape (all byte values are whole numbers, per GPU unless the key says otherwise):
//   mode, method, inputs{...}, parameters, trainable_parameters, trainable_percent,
//   weights_bytes, gradients_bytes, optimizer_bytes, activations_bytes, other_bytes, total_bytes
//   (total = the sum of the five), gpu_memory_bytes, usable_bytes, reserve_bytes, free_bytes, fits, gpus_needed,
//   pageable_bytes, fits_with_paging, cpu_offload_bytes(_total), breakdown[{key, label, bytes, detail}],
//   weights{}, gradients{}, optimizer{}, activations{}, other{} (the parts of each term), replica{} (model
//   states of one replica before ZeRO), all_gpus{}, lora{} (LoRA modes), speed{}, tokens_per_second_per_gpu,
//   seconds_per_epoch, assumptions[].
#include "training/training_json.h"

#include <cmath>
#include <map>
#include <string>

#include "json/util.h"
#include "json/writer.h"

namespace llmsizer {

namespace {

int64_t whole(double x) { return static_cast<int64_t>(std::ceil(x)); }

std::string method_label(const TrainingOptions& o) {
  std::string s;
  switch (o.mode) {
    case TrainingMode::kInference: return "inference";
    case TrainingMode::kFull: s = "full fine-tuning"; break;
    case TrainingMode::kLora: s = "LoRA r=" + std::to_string(o.lora_rank); break;
    case TrainingMode::kQlora: s = "QLoRA (NF4) r=" + std::to_string(o.lora_rank); break;
  }
  s += std::string(", ") + training_precision_name(o.precision) + " precision, " + optimizer_name(o.optimizer);
  if (o.zero > 0) s += ", ZeRO-" + std::to_string(o.zero);
  if (o.offload_optimizer) s += " + CPU offload";
  if (o.gpus > 1) s += ", " + std::to_string(o.gpus) + " GPUs";
  return s;
}

}  // namespace

std::string training_estimate_json(const TrainingEstimate& t, const GpuSpec& gpu) {
  const TrainingOptions& o = t.options;
  const bool lora = o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora;
  const int64_t w = whole(t.per_gpu.weights);
  const int64_t g = whole(t.per_gpu.gradients);
  const int64_t opt = whole(t.per_gpu.optimizer);
  const int64_t act = whole(t.activations.total());
  const int64_t other = whole(t.other.total());
  JsonWriter j;
  j.begin_object();
  j.field("mode", training_mode_name(o.mode)).field("method", method_label(o));
  j.key("inputs").begin_object();
  j.field("optimizer", optimizer_name(o.optimizer))
      .field("training_precision", training_precision_name(o.precision))
      .field("compute_dtype", dtype_name(o.compute_dtype))
      .field("micro_batch", o.micro_batch)
      .field("seq_len", o.seq_len)
      .field("tokens_per_micro_batch", o.micro_batch * o.seq_len)
      .field("gradient_checkpointing", checkpointing_name(o.checkpointing))
      .field("attention", o.flash_attention ? "flash" : "eager")
      .field("zero", o.zero)
      .field("offload_optimizer", o.offload_optimizer)
      .field("gpus", o.gpus)
      .field("gpu", gpu.id)
      .field("gpu_name", gpu.name)
      .field("base_weights_format", o.base_format.label)
      .field("dataset_tokens", o.dataset_tokens)
      .field("mfu", stable(o.mfu))
      .field("reserve", stable(o.reserve));
  if (lora) {
    j.field("lora_rank", o.lora_rank)
        .field("lora_targets", lora_target_names(o.lora_targets))
        .field("lora_dropout", stable(o.lora_dropout));
  }
  j.end_object();
  j.field("parameters", t.parameters)
      .field("trainable_parameters", t.trainable_parameters)
      .field("trainable_percent", t.parameters > 0 ? stable(100.0 * static_cast<double>(t.trainable_parameters) /
                                                            static_cast<double>(t.parameters))
                                                   : 0.0)
      .field("weights_bytes", w)
      .field("gradients_bytes", g)
      .field("optimizer_bytes", opt)
      .field("activations_bytes", act)
      .field("other_bytes", other)
      .field("total_bytes", t.total_bytes)
      .field("gpu_memory_bytes", t.capacity_bytes)
      .field("usable_bytes", t.usable_bytes)
      .field("reserve_bytes", t.capacity_bytes - t.usable_bytes)
      .field("free_bytes", t.free_bytes)
      .field("fits", t.fits)
      .field("gpus_needed", t.gpus_needed);
  j.key("gpus_needed_by_zero").begin_array();
  for (int64_t n : t.gpus_needed_by_zero) j.value(n);
  j.end_array();
  j.field("pageable_bytes", whole(t.pageable_bytes))
      .field("fits_with_paging", t.fits_with_paging)
      .field("cpu_offload_bytes", whole(t.cpu_offload_bytes))
      .field("cpu_offload_bytes_total", whole(t.cpu_offload_bytes) * o.gpus);

  const std::string gdt = t.gradient_bytes_per_trainable == 4.0 ? "fp32" : dtype_name(o.compute_dtype);
  auto part = [&](const char* key, const char* label, int64_t bytes, const std::string& detail) {
    j.begin_object().field("key", key).field("label", label).field("bytes", bytes).field("detail", detail).end_object();
  };
  j.key("breakdown").begin_array();
  part("weights", "Weights", w,
       lora ? "frozen base (" + o.base_format.label + ") + adapters"
            : std::string(dtype_name(o.compute_dtype == Dtype::kFp32 ? Dtype::kFp32 : o.compute_dtype)) + " weights");
  part("gradients", "Gradients", g,
       o.offload_optimizer ? std::string("streamed to the CPU") : gdt + " gradients of the trainable parameters");
  part("optimizer", "Optimizer", opt,
       o.offload_optimizer ? std::string("offloaded to the CPU")
                           : std::string(optimizer_name(o.optimizer)) + " states" +
                                 (t.master_weights_bytes > 0 ? " + fp32 master weights" : ""));
  part("activations", "Activations", act,
       std::string("micro-batch ") + std::to_string(o.micro_batch) + " x " + std::to_string(o.seq_len) +
           " tokens, checkpointing " + checkpointing_name(o.checkpointing) + ", logits");
  part("other", "Other", other, "CUDA context, communication buffers");
  j.end_array();

  j.key("weights").begin_object();
  j.field("base_bytes", whole(t.base_weights_bytes))
      .field("adapters_bytes", whole(t.adapter_weights_bytes))
      .field("base_format", o.base_format.label)
      .field("bytes_per_parameter", stable(t.weight_bytes_per_parameter))
      .field("sharded", o.zero >= 3);
  j.end_object();
  j.key("gradients").begin_object();
  j.field("dtype", gdt)
      .field("bytes_per_trainable_parameter", stable(t.gradient_bytes_per_trainable))
      .field("sharded", o.zero >= 2)
      .field("on_cpu", o.offload_optimizer);
  j.end_object();
  j.key("optimizer").begin_object();
  j.field("name", optimizer_name(o.optimizer))
      .field("master_weights_bytes", whole(t.master_weights_bytes))
      .field("states_bytes", whole(t.optimizer_states_bytes))
      .field("bytes_per_trainable_parameter", stable(t.optimizer_bytes_per_trainable))
      .field("sharded", o.zero >= 1)
      .field("on_cpu", o.offload_optimizer)
      .field("paged", t.pageable_bytes > 0);
  j.end_object();
  j.key("activations").begin_object();
  j.field("layers_bytes", whole(t.activations.layers))
      .field("recompute_bytes", whole(t.activations.recompute))
      .field("head_bytes", whole(t.activations.head))
      .field("logits_bytes", whole(t.activations.logits))
      .field("lora_bytes", whole(t.activations.lora))
      .field("largest_layer_bytes", whole(t.activations.largest_layer));
  j.end_object();
  j.key("other").begin_object();
  j.field("cuda_context_bytes", whole(t.other.cuda_context))
      .field("nccl_bytes", whole(t.other.nccl))
      .field("comm_buckets_bytes", whole(t.other.comm_buckets))
      .field("dequant_bytes", whole(t.other.dequant));
  j.end_object();
  j.key("replica").begin_object();
  j.field("weights_bytes", whole(t.replica.weights))
      .field("gradients_bytes", whole(t.replica.gradients))
      .field("optimizer_bytes", whole(t.replica.optimizer))
      .field("total_bytes", whole(t.replica.weights) + whole(t.replica.gradients) + whole(t.replica.optimizer));
  j.end_object();
  j.key("all_gpus").begin_object();
  j.field("weights_bytes", w * o.gpus)
      .field("gradients_bytes", g * o.gpus)
      .field("optimizer_bytes", opt * o.gpus)
      .field("activations_bytes", act * o.gpus)
      .field("other_bytes", other * o.gpus)
      .field("total_bytes", t.total_bytes * o.gpus)
      .field("cpu_offload_bytes", whole(t.cpu_offload_bytes) * o.gpus);
  j.end_object();
  if (lora) {
    // Adapters grouped by module name, in model order.
    struct Module {
      std::string name;
      int64_t in = 0, out = 0, matrices = 0, parameters = 0;
    };
    std::vector<Module> modules;
    std::map<std::string, size_t> index;
    int64_t matrices = 0;
    for (const LoraAdapter& a : t.adapters) {
      matrices += a.copies;
      auto it = index.find(a.name);
      if (it == index.end()) {
        index[a.name] = modules.size();
        modules.push_back(Module{a.name, a.in, a.out, a.copies, a.parameters(o.lora_rank)});
      } else {
        modules[it->second].matrices += a.copies;
        modules[it->second].parameters += a.parameters(o.lora_rank);
      }
    }
    j.key("lora").begin_object();
    j.field("rank", o.lora_rank).field("targets", lora_target_names(o.lora_targets)).field("adapted_matrices", matrices);
    j.key("modules").begin_array();
    for (const Module& x : modules) {
      j.begin_object()
          .field("name", x.name)
          .field("in", x.in)
          .field("out", x.out)
          .field("matrices", x.matrices)
          .field("parameters", x.parameters)
          .end_object();
    }
    j.end_array();
    j.end_object();
  }
  const TrainingSpeed& s = t.speed;
  j.key("speed").begin_object();
  j.field("available", s.available)
      .field("peak_dtype", s.peak_dtype)
      .field("model_flops_per_token", stable(s.model_flops_per_token))
      .field("executed_flops_per_token", stable(s.executed_flops_per_token))
      .field("dataset_tokens", o.dataset_tokens);
  if (s.available) {
    j.field("peak_tflops", stable(s.peak_tflops))
        .field("hfu", stable(s.hfu))
        .field("mfu", stable(s.mfu))
        .field("tokens_per_second_per_gpu", stable(s.tokens_per_second_per_gpu))
        .field("tokens_per_second", stable(s.tokens_per_second))
        .field("seconds_per_step", stable(s.seconds_per_step));
    if (o.dataset_tokens > 0) j.field("seconds_per_epoch", stable(s.seconds_per_epoch));
  }
  j.end_object();
  if (s.available) {
    j.field("tokens_per_second_per_gpu", stable(s.tokens_per_second_per_gpu));
    if (o.dataset_tokens > 0) j.field("seconds_per_epoch", stable(s.seconds_per_epoch));
  }
  j.field_strings("assumptions", t.assumptions);
  j.end_object();
  return j.take();
}

Result<TrainingSection> training_section(const ModelSpec& m, const Inputs& in) {
  TrainingSection out;
  std::vector<std::string> notes;
  auto opts = resolve_training(in.request, m, in, &out.warnings, &notes);
  if (!opts.ok()) return opts.error();
  if (opts.value().mode == TrainingMode::kInference) {
    out.warnings.clear();
    out.section = inference_training_section_json();
    return out;
  }
  TrainingEstimate t = estimate_training(m, in.gpu, opts.value());
  if (t.trainable_parameters <= 0) {
    return make_error(ErrorCode::kInvalidRequest,
                      "none of the LoRA targets (" + in.request.lora_targets +
                          ") exists in this model: pick layers it has (e.g. all-linear)",
                      "/lora_targets");
  }
  t.assumptions.insert(t.assumptions.begin(), notes.begin(), notes.end());
  out.warnings.insert(out.warnings.end(), t.warnings.begin(), t.warnings.end());
  out.section = training_estimate_json(t, in.gpu);
  return out;
}

}  // namespace llmsizer
