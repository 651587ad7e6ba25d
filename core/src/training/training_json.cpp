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

// ---- the field tables ----------------------------------------------------------------------------------
//
// Every scalar field of the section is a row: its key and how to read it from the estimate. The writer
// walks the tables in order, so the JSON's shape is this data, not code.

/// What the rows read: the estimate and the per-GPU figures rounded up to whole bytes once.
struct View {
  const TrainingEstimate& t;
  const GpuSpec& gpu;
  const TrainingOptions& o;
  bool lora;
  int64_t w, g, opt, act, other;
  std::string gdt;  ///< the gradients' dtype
};

struct Value {
  enum Kind { kInt, kNumber, kBool, kString, kStrings } kind = kInt;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;
  std::vector<std::string> list;
};
Value integer(int64_t v) { Value x; x.kind = Value::kInt; x.i = v; return x; }
Value number(double v) { Value x; x.kind = Value::kNumber; x.d = stable(v); return x; }
Value boolean(bool v) { Value x; x.kind = Value::kBool; x.b = v; return x; }
Value text(std::string v) { Value x; x.kind = Value::kString; x.s = std::move(v); return x; }
Value texts(std::vector<std::string> v) { Value x; x.kind = Value::kStrings; x.list = std::move(v); return x; }

struct Field {
  const char* key;
  Value (*get)(const View&);
  bool (*when)(const View&) = nullptr;  ///< written only when this says so (nullptr: always)
};

bool if_lora(const View& v) { return v.lora; }

/// The words the page and the CLI show for a phase.
const char* phase_label(Phase p) {
  switch (p) {
    case Phase::kForward: return "the forward pass";
    case Phase::kBackward: return "the backward pass";
    case Phase::kOptimizerStep: return "the optimizer step";
  }
  return "the backward pass";
}
bool if_speed(const View& v) { return v.t.speed.available; }
bool if_speed_epoch(const View& v) { return v.t.speed.available && v.o.dataset_tokens > 0; }

const Field kInputs[] = {
    {"optimizer", [](const View& v) { return text(optimizer_name(v.o.optimizer)); }},
    {"optimizer_impl", [](const View& v) { return text(optimizer_impl_name(v.o.optimizer_impl)); }},
    {"training_precision", [](const View& v) { return text(training_precision_name(v.o.precision)); }},
    {"compute_dtype", [](const View& v) { return text(dtype_name(v.o.compute_dtype)); }},
    {"micro_batch", [](const View& v) { return integer(v.o.micro_batch); }},
    {"seq_len", [](const View& v) { return integer(v.o.seq_len); }},
    {"tokens_per_micro_batch", [](const View& v) { return integer(v.o.micro_batch * v.o.seq_len); }},
    {"gradient_checkpointing", [](const View& v) { return text(checkpointing_name(v.o.checkpointing)); }},
    {"attention", [](const View& v) { return text(v.o.flash_attention ? "flash" : "eager"); }},
    {"zero", [](const View& v) { return integer(v.o.zero); }},
    {"offload_optimizer", [](const View& v) { return boolean(v.o.offload_optimizer); }},
    {"gpus", [](const View& v) { return integer(v.o.gpus); }},
    {"gpu", [](const View& v) { return text(v.gpu.id); }},
    {"gpu_name", [](const View& v) { return text(v.gpu.name); }},
    {"base_weights_format", [](const View& v) { return text(v.o.base_format.label); }},
    {"dataset_tokens", [](const View& v) { return integer(v.o.dataset_tokens); }},
    {"mfu", [](const View& v) { return number(v.o.mfu); }},
    {"reserve", [](const View& v) { return number(v.o.reserve); }},
    {"lora_rank", [](const View& v) { return integer(v.o.lora_rank); }, if_lora},
    {"lora_targets", [](const View& v) { return texts(lora_target_names(v.o.lora_targets)); }, if_lora},
    {"lora_dropout", [](const View& v) { return number(v.o.lora_dropout); }, if_lora},
};

const Field kTotals[] = {
    {"parameters", [](const View& v) { return integer(v.t.parameters); }},
    {"trainable_parameters", [](const View& v) { return integer(v.t.trainable_parameters); }},
    {"trainable_percent",
     [](const View& v) {
       return number(v.t.parameters > 0 ? 100.0 * static_cast<double>(v.t.trainable_parameters) /
                                              static_cast<double>(v.t.parameters)
                                        : 0.0);
     }},
    {"weights_bytes", [](const View& v) { return integer(v.w); }},
    {"gradients_bytes", [](const View& v) { return integer(v.g); }},
    {"optimizer_bytes", [](const View& v) { return integer(v.opt); }},
    {"activations_bytes", [](const View& v) { return integer(v.act); }},
    {"other_bytes", [](const View& v) { return integer(v.other); }},
    {"total_bytes", [](const View& v) { return integer(v.t.total_bytes); }},
    {"peak_phase", [](const View& v) { return text(phase_name(v.t.peak_phase)); }},
    {"peak_phase_label", [](const View& v) { return text(phase_label(v.t.peak_phase)); }},
    {"gpu_memory_bytes", [](const View& v) { return integer(v.t.capacity_bytes); }},
    {"usable_bytes", [](const View& v) { return integer(v.t.usable_bytes); }},
    {"reserve_bytes", [](const View& v) { return integer(v.t.capacity_bytes - v.t.usable_bytes); }},
    {"free_bytes", [](const View& v) { return integer(v.t.free_bytes); }},
    {"fits", [](const View& v) { return boolean(v.t.fits); }},
    {"gpus_needed", [](const View& v) { return integer(v.t.gpus_needed); }},
};

const Field kPaging[] = {
    {"pageable_bytes", [](const View& v) { return integer(whole(v.t.pageable_bytes)); }},
    {"fits_with_paging", [](const View& v) { return boolean(v.t.fits_with_paging); }},
    {"cpu_offload_bytes", [](const View& v) { return integer(whole(v.t.cpu_offload_bytes)); }},
    {"cpu_offload_bytes_total", [](const View& v) { return integer(whole(v.t.cpu_offload_bytes) * v.o.gpus); }},
};

const Field kWeights[] = {
    {"base_bytes", [](const View& v) { return integer(whole(v.t.base_weights_bytes)); }},
    {"adapters_bytes", [](const View& v) { return integer(whole(v.t.adapter_weights_bytes)); }},
    {"autocast_cache_bytes", [](const View& v) { return integer(whole(v.t.autocast_cache_bytes)); }},
    {"base_format", [](const View& v) { return text(v.o.base_format.label); }},
    {"bytes_per_parameter", [](const View& v) { return number(v.t.weight_bytes_per_parameter); }},
    {"sharded", [](const View& v) { return boolean(v.o.zero >= 3); }},
};

const Field kGradients[] = {
    {"dtype", [](const View& v) { return text(v.gdt); }},
    {"bytes_per_trainable_parameter", [](const View& v) { return number(v.t.gradient_bytes_per_trainable); }},
    {"sharded", [](const View& v) { return boolean(v.o.zero >= 2); }},
    {"on_cpu", [](const View& v) { return boolean(v.o.offload_optimizer); }},
};

const Field kOptimizer[] = {
    {"name", [](const View& v) { return text(optimizer_name(v.o.optimizer)); }},
    {"master_weights_bytes", [](const View& v) { return integer(whole(v.t.master_weights_bytes)); }},
    {"states_bytes", [](const View& v) { return integer(whole(v.t.optimizer_states_bytes)); }},
    {"step_temporary_bytes", [](const View& v) { return integer(whole(v.t.optimizer_temp_bytes)); }},
    {"bytes_per_trainable_parameter", [](const View& v) { return number(v.t.optimizer_bytes_per_trainable); }},
    {"sharded", [](const View& v) { return boolean(v.o.zero >= 1); }},
    {"on_cpu", [](const View& v) { return boolean(v.o.offload_optimizer); }},
    {"paged", [](const View& v) { return boolean(v.t.pageable_bytes > 0); }},
};

const Field kActivations[] = {
    {"layers_bytes", [](const View& v) { return integer(whole(v.t.activations.layers)); }},
    {"recompute_bytes", [](const View& v) { return integer(whole(v.t.activations.recompute)); }},
    {"head_bytes", [](const View& v) { return integer(whole(v.t.activations.head)); }},
    {"logits_bytes", [](const View& v) { return integer(whole(v.t.activations.loss_backward)); }},
    {"loss_forward_bytes", [](const View& v) { return integer(whole(v.t.activations.loss_forward)); }},
    {"loss_backward_bytes", [](const View& v) { return integer(whole(v.t.activations.loss_backward)); }},
    {"lora_bytes", [](const View& v) { return integer(whole(v.t.activations.lora)); }},
    {"largest_layer_bytes", [](const View& v) { return integer(whole(v.t.activations.largest_layer)); }},
};

const Field kOther[] = {
    {"cuda_context_bytes", [](const View& v) { return integer(whole(v.t.other.cuda_context)); }},
    {"nccl_bytes", [](const View& v) { return integer(whole(v.t.other.nccl)); }},
    {"comm_buckets_bytes", [](const View& v) { return integer(whole(v.t.other.comm_buckets)); }},
    {"dequant_bytes", [](const View& v) { return integer(whole(v.t.other.dequant)); }},
};

const Field kReplica[] = {
    {"weights_bytes", [](const View& v) { return integer(whole(v.t.replica.weights)); }},
    {"gradients_bytes", [](const View& v) { return integer(whole(v.t.replica.gradients)); }},
    {"optimizer_bytes", [](const View& v) { return integer(whole(v.t.replica.optimizer)); }},
    {"total_bytes",
     [](const View& v) {
       return integer(whole(v.t.replica.weights) + whole(v.t.replica.gradients) + whole(v.t.replica.optimizer));
     }},
};

const Field kAllGpus[] = {
    {"weights_bytes", [](const View& v) { return integer(v.w * v.o.gpus); }},
    {"gradients_bytes", [](const View& v) { return integer(v.g * v.o.gpus); }},
    {"optimizer_bytes", [](const View& v) { return integer(v.opt * v.o.gpus); }},
    {"activations_bytes", [](const View& v) { return integer(v.act * v.o.gpus); }},
    {"other_bytes", [](const View& v) { return integer(v.other * v.o.gpus); }},
    {"total_bytes", [](const View& v) { return integer(v.t.total_bytes * v.o.gpus); }},
    {"cpu_offload_bytes", [](const View& v) { return integer(whole(v.t.cpu_offload_bytes) * v.o.gpus); }},
};

const Field kSpeed[] = {
    {"available", [](const View& v) { return boolean(v.t.speed.available); }},
    {"peak_dtype", [](const View& v) { return text(v.t.speed.peak_dtype); }},
    {"model_flops_per_token", [](const View& v) { return number(v.t.speed.model_flops_per_token); }},
    {"executed_flops_per_token", [](const View& v) { return number(v.t.speed.executed_flops_per_token); }},
    {"dataset_tokens", [](const View& v) { return integer(v.o.dataset_tokens); }},
    {"peak_tflops", [](const View& v) { return number(v.t.speed.peak_tflops); }, if_speed},
    {"hfu", [](const View& v) { return number(v.t.speed.hfu); }, if_speed},
    {"mfu", [](const View& v) { return number(v.t.speed.mfu); }, if_speed},
    {"tokens_per_second_per_gpu", [](const View& v) { return number(v.t.speed.tokens_per_second_per_gpu); }, if_speed},
    {"tokens_per_second", [](const View& v) { return number(v.t.speed.tokens_per_second); }, if_speed},
    {"seconds_per_step", [](const View& v) { return number(v.t.speed.seconds_per_step); }, if_speed},
    {"seconds_per_epoch", [](const View& v) { return number(v.t.speed.seconds_per_epoch); }, if_speed_epoch},
    {"model", [](const View& v) { return text(v.t.speed.model); }, if_speed},
    {"bound", [](const View& v) { return text(v.t.speed.bound); }, if_speed},
    {"gpu_family", [](const View& v) { return text(v.t.speed.gpu_family); }, if_speed},
    {"calibrated", [](const View& v) { return boolean(v.t.speed.calibrated); }, if_speed},
    {"gemm_efficiency", [](const View& v) { return number(v.t.speed.gemm_efficiency); }, if_speed},
    {"attention_efficiency", [](const View& v) { return number(v.t.speed.attention_efficiency); }, if_speed},
    {"bandwidth_efficiency", [](const View& v) { return number(v.t.speed.bandwidth_efficiency); }, if_speed},
    {"gemm_flops", [](const View& v) { return number(v.t.speed.gemm_flops); }, if_speed},
    {"attention_flops", [](const View& v) { return number(v.t.speed.attention_flops); }, if_speed},
    {"memory_bytes", [](const View& v) { return number(v.t.speed.memory_bytes); }, if_speed},
    {"optimizer_bytes", [](const View& v) { return number(v.t.speed.optimizer_bytes); }, if_speed},
    {"kernels", [](const View& v) { return number(v.t.speed.kernels); }, if_speed},
    {"gemm_seconds", [](const View& v) { return number(v.t.speed.gemm_seconds); }, if_speed},
    {"attention_seconds", [](const View& v) { return number(v.t.speed.attention_seconds); }, if_speed},
    {"adapter_seconds", [](const View& v) { return number(v.t.speed.adapter_seconds); }, if_speed},
    {"memory_seconds", [](const View& v) { return number(v.t.speed.memory_seconds); }, if_speed},
    {"launch_seconds", [](const View& v) { return number(v.t.speed.launch_seconds); }, if_speed},
    {"gpu_seconds", [](const View& v) { return number(v.t.speed.gpu_seconds); }, if_speed},
    {"host_seconds", [](const View& v) { return number(v.t.speed.host_seconds); }, if_speed},
};

/// One phase's parts (the phases object holds one per phase).
struct PhaseRow {
  const char* key;
  double PhaseBytes::*part;
};
constexpr PhaseRow kPhaseRows[] = {{"weights_bytes", &PhaseBytes::weights},
                                   {"gradients_bytes", &PhaseBytes::gradients},
                                   {"optimizer_bytes", &PhaseBytes::optimizer},
                                   {"activations_bytes", &PhaseBytes::activations},
                                   {"other_bytes", &PhaseBytes::other}};

/// The speed figures repeated at the top level of the section.
const Field kSpeedSummary[] = {
    {"tokens_per_second_per_gpu", [](const View& v) { return number(v.t.speed.tokens_per_second_per_gpu); }, if_speed},
    {"seconds_per_epoch", [](const View& v) { return number(v.t.speed.seconds_per_epoch); }, if_speed_epoch},
};

template <size_t N>
void write_fields(JsonWriter& j, const Field (&table)[N], const View& v) {
  for (const Field& f : table) {
    if (f.when && !f.when(v)) continue;
    const Value x = f.get(v);
    j.key(f.key);
    switch (x.kind) {
      case Value::kInt: j.value(x.i); break;
      case Value::kNumber: j.value(x.d); break;
      case Value::kBool: j.value(x.b); break;
      case Value::kString: j.value(x.s); break;
      case Value::kStrings: j.strings(x.list); break;
    }
  }
}

template <size_t N>
void write_object(JsonWriter& j, const char* key, const Field (&table)[N], const View& v) {
  j.key(key).begin_object();
  write_fields(j, table, v);
  j.end_object();
}

void write_phases(JsonWriter& j, const View& v) {
  j.key("phases").begin_object();
  for (Phase p : {Phase::kForward, Phase::kBackward, Phase::kOptimizerStep}) {
    const PhaseBytes& b = v.t.phases[static_cast<size_t>(p)];
    j.key(phase_name(p)).begin_object();
    for (const PhaseRow& r : kPhaseRows) j.field(r.key, whole(b.*r.part));
    j.field("total_bytes", b.total());
    j.end_object();
  }
  j.end_object();
}

// ---- the parts that are lists, not rows ----------------------------------------------------------------

void write_breakdown(JsonWriter& j, const View& v) {
  const TrainingOptions& o = v.o;
  auto part = [&](const char* key, const char* label, int64_t bytes, const std::string& detail) {
    j.begin_object().field("key", key).field("label", label).field("bytes", bytes).field("detail", detail).end_object();
  };
  j.key("breakdown").begin_array();
  const std::string cache = v.t.autocast_cache_bytes > 0 ? " + bf16 copies cached by torch.autocast" : "";
  part("weights", "Weights", v.w,
       v.lora ? "frozen base (" + o.base_format.label + ") + adapters" + cache
              : std::string(v.t.weight_bytes_per_parameter == 4.0 ? "fp32" : "bf16") + " weights" + cache);
  const bool step = v.t.peak_phase == Phase::kOptimizerStep;
  part("gradients", "Gradients", v.g,
       o.offload_optimizer ? std::string("streamed to the CPU")
       : v.g == 0          ? std::string("none yet: freed after every step (zero_grad(set_to_none=True)), they "
                                         "appear during the backward")
                           : v.gdt + " gradients of the trainable parameters");
  part("optimizer", "Optimizer", v.opt,
       o.offload_optimizer ? std::string("offloaded to the CPU")
                           : std::string(optimizer_name(o.optimizer)) + " states" +
                                 (v.t.master_weights_bytes > 0 ? " + fp32 master weights" : "") +
                                 (step && v.t.optimizer_temp_bytes > 0 ? " + the update's temporary" : ""));
  part("activations", "Activations", v.act,
       step ? std::string("freed before the optimizer step")
            : std::string("micro-batch ") + std::to_string(o.micro_batch) + " x " + std::to_string(o.seq_len) +
                  " tokens, checkpointing " + checkpointing_name(o.checkpointing) + ", logits");
  part("other", "Other", v.other, "CUDA context, communication buffers");
  j.end_array();
}

/// Adapters grouped by module name, in model order.
void write_lora(JsonWriter& j, const View& v) {
  struct Module {
    std::string name;
    int64_t in = 0, out = 0, matrices = 0, parameters = 0;
  };
  std::vector<Module> modules;
  std::map<std::string, size_t> index;
  int64_t matrices = 0;
  for (const LoraAdapter& a : v.t.adapters) {
    matrices += a.copies;
    auto it = index.find(a.name);
    if (it == index.end()) {
      index[a.name] = modules.size();
      modules.push_back(Module{a.name, a.in, a.out, a.copies, a.parameters(v.o.lora_rank)});
    } else {
      modules[it->second].matrices += a.copies;
      modules[it->second].parameters += a.parameters(v.o.lora_rank);
    }
  }
  j.key("lora").begin_object();
  j.field("rank", v.o.lora_rank).field("targets", lora_target_names(v.o.lora_targets)).field("adapted_matrices", matrices);
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

}  // namespace

std::string training_estimate_json(const TrainingEstimate& t, const GpuSpec& gpu) {
  const TrainingOptions& o = t.options;
  const PhaseBytes& peak = t.phases[static_cast<size_t>(t.peak_phase)];
  const View v{t,
               gpu,
               o,
               o.mode == TrainingMode::kLora || o.mode == TrainingMode::kQlora,
               whole(peak.weights),
               whole(peak.gradients),
               whole(peak.optimizer),
               whole(peak.activations),
               whole(peak.other),
               t.gradient_bytes_per_trainable == 4.0 ? "fp32" : dtype_name(o.compute_dtype)};
  JsonWriter j;
  j.begin_object();
  j.field("mode", training_mode_name(o.mode)).field("method", method_label(o));
  write_object(j, "inputs", kInputs, v);
  write_fields(j, kTotals, v);
  j.key("gpus_needed_by_zero").begin_array();
  for (int64_t n : t.gpus_needed_by_zero) j.value(n);
  j.end_array();
  write_fields(j, kPaging, v);
  write_breakdown(j, v);
  write_phases(j, v);
  write_object(j, "weights", kWeights, v);
  write_object(j, "gradients", kGradients, v);
  write_object(j, "optimizer", kOptimizer, v);
  write_object(j, "activations", kActivations, v);
  write_object(j, "other", kOther, v);
  write_object(j, "replica", kReplica, v);
  write_object(j, "all_gpus", kAllGpus, v);
  if (v.lora) write_lora(j, v);
  write_object(j, "speed", kSpeed, v);
  write_fields(j, kSpeedSummary, v);
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
  out.estimated = true;
  out.total_bytes = t.total_bytes;
  out.other_bytes = whole(t.phases[static_cast<size_t>(t.peak_phase)].other);  // as the section writes it
  out.usable_bytes = t.usable_bytes;
  out.fits = t.fits;
  out.seconds_per_step = t.speed.available ? t.speed.seconds_per_step : 0.0;
  return out;
}

}  // namespace llmsizer
