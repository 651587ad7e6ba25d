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
#include "training_json.h"

#include <cmath>
#include <map>
#include <string>

#include "json_util.h"

namespace llmsizer {

namespace {

using json = nlohmann::json;

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

json training_estimate_json(const TrainingEstimate& t, const GpuSpec& gpu) {
  const TrainingOptions& o = t.options;
  const bool lora = o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora;
  const int64_t w = whole(t.per_gpu.weights);
  const int64_t g = whole(t.per_gpu.gradients);
  const int64_t opt = whole(t.per_gpu.optimizer);
  const int64_t act = whole(t.activations.total());
  const int64_t other = whole(t.other.total());
  json j;
  j["mode"] = training_mode_name(o.mode);
  j["method"] = method_label(o);
  j["inputs"] = json{{"optimizer", optimizer_name(o.optimizer)},
                     {"training_precision", training_precision_name(o.precision)},
                     {"compute_dtype", dtype_name(o.compute_dtype)},
                     {"micro_batch", o.micro_batch},
                     {"seq_len", o.seq_len},
                     {"tokens_per_micro_batch", o.micro_batch * o.seq_len},
                     {"gradient_checkpointing", checkpointing_name(o.checkpointing)},
                     {"attention", o.flash_attention ? "flash" : "eager"},
                     {"zero", o.zero},
                     {"offload_optimizer", o.offload_optimizer},
                     {"gpus", o.gpus},
                     {"gpu", gpu.id},
                     {"gpu_name", gpu.name},
                     {"base_weights_format", o.base_format.label},
                     {"dataset_tokens", o.dataset_tokens},
                     {"mfu", stable(o.mfu)},
                     {"reserve", stable(o.reserve)}};
  if (lora) {
    j["inputs"]["lora_rank"] = o.lora_rank;
    j["inputs"]["lora_targets"] = lora_target_names(o.lora_targets);
    j["inputs"]["lora_dropout"] = stable(o.lora_dropout);
  }
  j["parameters"] = t.parameters;
  j["trainable_parameters"] = t.trainable_parameters;
  j["trainable_percent"] =
      t.parameters > 0 ? stable(100.0 * static_cast<double>(t.trainable_parameters) / static_cast<double>(t.parameters))
                       : 0.0;
  j["weights_bytes"] = w;
  j["gradients_bytes"] = g;
  j["optimizer_bytes"] = opt;
  j["activations_bytes"] = act;
  j["other_bytes"] = other;
  j["total_bytes"] = t.total_bytes;
  j["gpu_memory_bytes"] = t.capacity_bytes;
  j["usable_bytes"] = t.usable_bytes;
  j["reserve_bytes"] = t.capacity_bytes - t.usable_bytes;
  j["free_bytes"] = t.free_bytes;
  j["fits"] = t.fits;
  j["gpus_needed"] = t.gpus_needed;
  j["gpus_needed_by_zero"] = t.gpus_needed_by_zero;
  j["pageable_bytes"] = whole(t.pageable_bytes);
  j["fits_with_paging"] = t.fits_with_paging;
  j["cpu_offload_bytes"] = whole(t.cpu_offload_bytes);
  j["cpu_offload_bytes_total"] = whole(t.cpu_offload_bytes) * o.gpus;

  const std::string gdt = t.gradient_bytes_per_trainable == 4.0 ? "fp32" : dtype_name(o.compute_dtype);
  json breakdown = json::array();
  breakdown.push_back(json{{"key", "weights"},
                           {"label", "Weights"},
                           {"bytes", w},
                           {"detail", lora ? "frozen base (" + o.base_format.label + ") + adapters"
                                           : std::string(dtype_name(o.compute_dtype == Dtype::kFp32 ? Dtype::kFp32
                                                                                                     : o.compute_dtype)) +
                                                 " weights"}});
  breakdown.push_back(json{{"key", "gradients"},
                           {"label", "Gradients"},
                           {"bytes", g},
                           {"detail", o.offload_optimizer ? "streamed to the CPU" : gdt + " gradients of the trainable parameters"}});
  breakdown.push_back(json{{"key", "optimizer"},
                           {"label", "Optimizer"},
                           {"bytes", opt},
                           {"detail", o.offload_optimizer ? std::string("offloaded to the CPU")
                                                          : std::string(optimizer_name(o.optimizer)) + " states" +
                                                                (t.master_weights_bytes > 0 ? " + fp32 master weights" : "")}});
  breakdown.push_back(json{{"key", "activations"},
                           {"label", "Activations"},
                           {"bytes", act},
                           {"detail", std::string("micro-batch ") + std::to_string(o.micro_batch) + " x " +
                                          std::to_string(o.seq_len) + " tokens, checkpointing " +
                                          checkpointing_name(o.checkpointing) + ", logits"}});
  breakdown.push_back(json{{"key", "other"},
                           {"label", "Other"},
                           {"bytes", other},
                           {"detail", "CUDA context, communication buffers"}});
  j["breakdown"] = breakdown;

  j["weights"] = json{{"base_bytes", whole(t.base_weights_bytes)},
                      {"adapters_bytes", whole(t.adapter_weights_bytes)},
                      {"base_format", o.base_format.label},
                      {"bytes_per_parameter", stable(t.weight_bytes_per_parameter)},
                      {"sharded", o.zero >= 3}};
  j["gradients"] = json{{"dtype", gdt},
                        {"bytes_per_trainable_parameter", stable(t.gradient_bytes_per_trainable)},
                        {"sharded", o.zero >= 2},
                        {"on_cpu", o.offload_optimizer}};
  j["optimizer"] = json{{"name", optimizer_name(o.optimizer)},
                        {"master_weights_bytes", whole(t.master_weights_bytes)},
                        {"states_bytes", whole(t.optimizer_states_bytes)},
                        {"bytes_per_trainable_parameter", stable(t.optimizer_bytes_per_trainable)},
                        {"sharded", o.zero >= 1},
                        {"on_cpu", o.offload_optimizer},
                        {"paged", t.pageable_bytes > 0}};
  j["activations"] = json{{"layers_bytes", whole(t.activations.layers)},
                          {"recompute_bytes", whole(t.activations.recompute)},
                          {"head_bytes", whole(t.activations.head)},
                          {"logits_bytes", whole(t.activations.logits)},
                          {"lora_bytes", whole(t.activations.lora)},
                          {"largest_layer_bytes", whole(t.activations.largest_layer)}};
  j["other"] = json{{"cuda_context_bytes", whole(t.other.cuda_context)},
                    {"nccl_bytes", whole(t.other.nccl)},
                    {"comm_buckets_bytes", whole(t.other.comm_buckets)},
                    {"dequant_bytes", whole(t.other.dequant)}};
  j["replica"] = json{{"weights_bytes", whole(t.replica.weights)},
                      {"gradients_bytes", whole(t.replica.gradients)},
                      {"optimizer_bytes", whole(t.replica.optimizer)},
                      {"total_bytes", whole(t.replica.weights) + whole(t.replica.gradients) + whole(t.replica.optimizer)}};
  j["all_gpus"] = json{{"weights_bytes", w * o.gpus},
                       {"gradients_bytes", g * o.gpus},
                       {"optimizer_bytes", opt * o.gpus},
                       {"activations_bytes", act * o.gpus},
                       {"other_bytes", other * o.gpus},
                       {"total_bytes", t.total_bytes * o.gpus},
                       {"cpu_offload_bytes", whole(t.cpu_offload_bytes) * o.gpus}};
  if (lora) {
    // Adapters grouped by module name, in model order.
    json modules = json::array();
    std::map<std::string, size_t> index;
    int64_t matrices = 0;
    for (const LoraAdapter& a : t.adapters) {
      matrices += a.copies;
      auto it = index.find(a.name);
      if (it == index.end()) {
        index[a.name] = modules.size();
        modules.push_back(json{{"name", a.name}, {"in", a.in}, {"out", a.out}, {"matrices", a.copies},
                               {"parameters", a.parameters(o.lora_rank)}});
      } else {
        json& m = modules[it->second];
        m["matrices"] = m["matrices"].get<int64_t>() + a.copies;
        m["parameters"] = m["parameters"].get<int64_t>() + a.parameters(o.lora_rank);
      }
    }
    j["lora"] = json{{"rank", o.lora_rank},
                     {"targets", lora_target_names(o.lora_targets)},
                     {"adapted_matrices", matrices},
                     {"modules", modules}};
  }
  const TrainingSpeed& s = t.speed;
  json sp{{"available", s.available},
          {"peak_dtype", s.peak_dtype},
          {"model_flops_per_token", stable(s.model_flops_per_token)},
          {"executed_flops_per_token", stable(s.executed_flops_per_token)},
          {"dataset_tokens", o.dataset_tokens}};
  if (s.available) {
    sp["peak_tflops"] = stable(s.peak_tflops);
    sp["hfu"] = stable(s.hfu);
    sp["mfu"] = stable(s.mfu);
    sp["tokens_per_second_per_gpu"] = stable(s.tokens_per_second_per_gpu);
    sp["tokens_per_second"] = stable(s.tokens_per_second);
    sp["seconds_per_step"] = stable(s.seconds_per_step);
    j["tokens_per_second_per_gpu"] = stable(s.tokens_per_second_per_gpu);
    if (o.dataset_tokens > 0) {
      sp["seconds_per_epoch"] = stable(s.seconds_per_epoch);
      j["seconds_per_epoch"] = stable(s.seconds_per_epoch);
    }
  }
  j["speed"] = sp;
  j["assumptions"] = t.assumptions;
  return j;
}

Result<TrainingSection> training_section(const ModelSpec& m, const Inputs& in) {
  TrainingSection out;
  std::vector<std::string> notes;
  auto opts = resolve_training(in.request, m, in, &out.warnings, &notes);
  if (!opts.ok()) return opts.error();
  if (opts.value().mode == TrainingMode::kInference) {
    out.warnings.clear();
    out.section = json{{"mode", "inference"}, {"note", "set --mode full, lora or qlora for a fine-tuning estimate"}};
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
