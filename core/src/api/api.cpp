// Request JSON -> Request -> resolved Inputs -> Estimate -> response JSON.
//
// The request fields live in one table (kFields) that also drives the CLI's flags, so a key, its flag and
// its validation can never drift apart.
#include "llmsizer/api.h"

#include "api/resolve.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "engines/util.h"
#include "gguf/summary.h"
#include "json/util.h"
#include "json/writer.h"
#include "model/config.h"
#include "engines/engines.h"
#include "gguf/gguf.h"
#include "engines/llamacpp.h"
#include "recommend/recommend.h"
#include "speed/speed.h"
#include "training/training_json.h"

namespace llmsizer {

const char* version() { return "0.1.0"; }

namespace {

using json = Json;

// ----------------------------------------------------------------------------------------------
// Request fields
// ----------------------------------------------------------------------------------------------

/// Where a field's value goes: one member pointer per kind (plain data, no per-field code).
struct Target {
  int64_t Request::*i = nullptr;
  double Request::*d = nullptr;
  std::string Request::*s = nullptr;
  bool Request::*b = nullptr;
};
Target to_int(int64_t Request::*m) { return Target{m, nullptr, nullptr, nullptr}; }
Target to_num(double Request::*m) { return Target{nullptr, m, nullptr, nullptr}; }
Target to_str(std::string Request::*m) { return Target{nullptr, nullptr, m, nullptr}; }
Target to_bool(bool Request::*m) { return Target{nullptr, nullptr, nullptr, m}; }

struct Field {
  const char* key;
  FieldKind kind;
  double lo;
  double hi;
  const char* help;
  Target set;  ///< empty for keys read by hand (config, safetensors, gguf)
};

constexpr double kMaxTokens = 1e8;  // beyond any model's context (Llama 4 Scout: 1e7)
constexpr const char* kDefaultGpu = "nvidia-h100-sxm";  // the GPU when the request names none

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      // model
      {"config", FieldKind::kObject, 0, 0, "config.json (object or JSON text); the CLI's --config takes a path", Target{}},
      {"model", FieldKind::kString, 0, 256, "a model preset id (presets/models.json), e.g. Qwen/Qwen2.5-7B-Instruct",
       to_str(&Request::model)},
      {"model_id", FieldKind::kString, 0, 256, "Hub repo id, for labels and launch commands", to_str(&Request::model_id)},
      {"revision", FieldKind::kString, 0, 256, "Hub revision", to_str(&Request::revision)},
      {"safetensors", FieldKind::kObject, 0, 0, "exact parameter counts by dtype from the Hub ({\"BF16\": n})", Target{}},
      {"include_mtp", FieldKind::kBool, 0, 0, "count DeepSeek-V3's multi-token-prediction layer in the weights",
       to_bool(&Request::include_mtp)},
      // hardware
      {"gpu", FieldKind::kString, 0, 128, "GPU preset id (presets/gpus.json), e.g. nvidia-h100-sxm", to_str(&Request::gpu)},
      {"gpu_memory_gib", FieldKind::kNumber, 0, 100000, "one GPU's total memory in GiB (a custom GPU)",
       to_num(&Request::gpu_memory_gib)},
      {"gpus", FieldKind::kInt, 0, 4096, "GPUs in the deployment (default tp x pp)", to_int(&Request::gpus)},
      {"tp", FieldKind::kInt, 0, 512, "tensor-parallel size (default gpus / pp)", to_int(&Request::tp)},
      {"pp", FieldKind::kInt, 1, 1024, "pipeline-parallel stages", to_int(&Request::pp)},
      // precision
      {"dtype", FieldKind::kString, 0, 32, "weights: auto|fp32|fp16|bf16|fp8|int8|int4|nf4", to_str(&Request::dtype)},
      {"kv_dtype", FieldKind::kString, 0, 32, "KV cache: auto|fp16|bf16|fp8|int8|int4", to_str(&Request::kv_dtype)},
      // workload
      {"context", FieldKind::kInt, 0, kMaxTokens, "tokens per sequence (default min(max_position_embeddings, 8192))",
       to_int(&Request::context)},
      {"batch", FieldKind::kInt, 1, 1e6, "concurrent sequences", to_int(&Request::batch)},
      {"reserve", FieldKind::kNumber, 0, 0.9, "safety reserve: fraction of GPU memory kept free (default 0.2)",
       to_num(&Request::reserve)},
      {"overhead_gib", FieldKind::kNumber, -1, 1000, "runtime overhead per GPU in GiB (default: engine's)",
       to_num(&Request::overhead_gib)},
      {"max_batched_tokens", FieldKind::kInt, 0, kMaxTokens, "generic engine: tokens per prefill step (default 8192)",
       to_int(&Request::max_batched_tokens)},
      {"input_tokens", FieldKind::kInt, 0, kMaxTokens, "prompt tokens per request", to_int(&Request::input_tokens)},
      {"output_tokens", FieldKind::kInt, 0, kMaxTokens, "generated tokens per request", to_int(&Request::output_tokens)},
      // engine
      {"engine", FieldKind::kString, 0, 32, "generic|vllm|sglang|transformers|llama.cpp", to_str(&Request::engine)},
      {"gpu_memory_utilization", FieldKind::kNumber, 0.01, 1.0, "vLLM: fraction of GPU memory for the engine",
       to_num(&Request::gpu_memory_utilization)},
      {"max_model_len", FieldKind::kInt, 0, kMaxTokens, "vLLM: longest request (default: context)",
       to_int(&Request::max_model_len)},
      {"max_num_batched_tokens", FieldKind::kInt, 0, kMaxTokens, "vLLM: tokens per scheduler step",
       to_int(&Request::max_num_batched_tokens)},
      {"max_num_seqs", FieldKind::kInt, 0, 1e6, "vLLM: sequences per step", to_int(&Request::max_num_seqs)},
      {"block_size", FieldKind::kInt, 1, 1024, "vLLM: KV block size in tokens", to_int(&Request::block_size)},
      {"enforce_eager", FieldKind::kBool, 0, 0, "vLLM: no CUDA graphs", to_bool(&Request::enforce_eager)},
      {"mem_fraction_static", FieldKind::kNumber, 0, 1.0, "SGLang: fraction for weights + KV pool",
       to_num(&Request::mem_fraction_static)},
      // llama.cpp (llama-server) and GGUF files
      {"ctx_size", FieldKind::kInt, 0, kMaxTokens, "llama.cpp -c: context cells over all slots (default np x context)",
       to_int(&Request::ctx_size)},
      {"np", FieldKind::kInt, 0, 4096, "llama.cpp -np: parallel slots (default: batch)", to_int(&Request::np)},
      {"ngl", FieldKind::kInt, -1, 100000, "llama.cpp -ngl: layers on the GPUs, output layer included (-1 = all)",
       to_int(&Request::ngl)},
      {"ctk", FieldKind::kString, 0, 16, "llama.cpp -ctk: K cache type f16|bf16|f32|q8_0|q4_0|q4_1|iq4_nl|q5_0|q5_1",
       to_str(&Request::ctk)},
      {"ctv", FieldKind::kString, 0, 16, "llama.cpp -ctv: V cache type (as ctk; quantised V needs flash attention)",
       to_str(&Request::ctv)},
      {"ubatch", FieldKind::kInt, 0, 1e6, "llama.cpp -ub: physical micro-batch in tokens (default 512)",
       to_int(&Request::ubatch)},
      {"n_batch", FieldKind::kInt, 0, 1e7, "llama.cpp -b: logical batch in tokens (default 2048)",
       to_int(&Request::n_batch)},
      {"flash_attn", FieldKind::kBool, 0, 0, "llama.cpp -fa on/off (default on, as -fa auto picks on GPUs)",
       to_bool(&Request::flash_attn)},
      {"swa_full", FieldKind::kBool, 0, 0, "llama.cpp --swa-full: full-size cache for sliding-window layers",
       to_bool(&Request::swa_full)},
      {"kv_unified", FieldKind::kBool, 0, 0, "llama.cpp -kvu: one KV pool shared by all slots",
       to_bool(&Request::kv_unified)},
      {"gguf", FieldKind::kObject, 0, 0,
       "GGUF header(s): base64 of the file's first bytes, or a summary from a previous response; one per part "
       "(the CLI's --gguf takes a path)",
       Target{}},
      // serving engines: versions and engine-specific options
      {"vllm_version", FieldKind::kString, 0, 32, "vLLM whose memory rules apply (default 0.19)",
       to_str(&Request::vllm_version)},
      {"vllm_offline", FieldKind::kBool, 0, 0, "vLLM: the offline LLM class's batch defaults",
       to_bool(&Request::vllm_offline)},
      {"vllm_estimate_cudagraphs", FieldKind::kBool, 0, 0,
       "vLLM: subtract the CUDA-graph estimate (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)",
       to_bool(&Request::vllm_estimate_cudagraphs)},
      {"kv_cache_memory_bytes", FieldKind::kInt, 0, 1e15, "vLLM: KV cache bytes per GPU, no profiling",
       to_int(&Request::kv_cache_memory_bytes)},
      {"transformers_version", FieldKind::kString, 0, 32, "transformers whose generate() rules apply (default 4.46)",
       to_str(&Request::transformers_version)},
      // recommendations
      {"recommend", FieldKind::kBool, 0, 0, "rank every GPU preset for this workload", to_bool(&Request::recommend)},
      {"recommend_vendor", FieldKind::kString, 0, 64, "recommendations: only this vendor", to_str(&Request::recommend_vendor)},
      {"recommend_market", FieldKind::kString, 0, 64, "recommendations: only this market",
       to_str(&Request::recommend_market)},
      {"recommend_min_memory_gib", FieldKind::kNumber, 0, 100000, "recommendations: per-GPU memory at least",
       to_num(&Request::recommend_min_memory_gib)},
      {"recommend_max_gpus", FieldKind::kInt, 1, 4096, "search layouts up to this many GPUs (default 64)",
       to_int(&Request::recommend_max_gpus)},
      // fine-tuning
      {"mode", FieldKind::kString, 0, 32, "inference|full|lora|qlora", to_str(&Request::mode)},
      // speed
      {"bandwidth_efficiency", FieldKind::kNumber, 0, 1.0,
       "speed: fraction of memory bandwidth reached (default: calibrated per GPU family)",
       to_num(&Request::bandwidth_efficiency)},
      {"prefill_efficiency", FieldKind::kNumber, 0, 1.0,
       "speed: fraction of peak FLOPS reached by prefill (default: calibrated per GPU family)",
       to_num(&Request::prefill_efficiency)},
      {"optimizer", FieldKind::kString, 0, 32, "training: adamw|adamw-8bit|sgd|sgd-momentum|adafactor",
       to_str(&Request::optimizer)},
      {"training_precision", FieldKind::kString, 0, 32, "training: mixed|fp32|bf16 (default mixed; qlora bf16)",
       to_str(&Request::training_precision)},
      {"micro_batch", FieldKind::kInt, 1, 1e6, "training: sequences per GPU per step (default 1)",
       to_int(&Request::micro_batch)},
      {"seq_len", FieldKind::kInt, 0, kMaxTokens, "training: tokens per sequence (default min(2048, max position))",
       to_int(&Request::seq_len)},
      {"gradient_checkpointing", FieldKind::kString, 0, 32, "training: none|selective|full (default none; qlora full)",
       to_str(&Request::gradient_checkpointing)},
      {"training_attention", FieldKind::kString, 0, 32, "training: flash|eager attention (default flash)",
       to_str(&Request::training_attention)},
      {"lora_rank", FieldKind::kInt, 0, 65536, "LoRA rank r (default 8; qlora 64)", to_int(&Request::lora_rank)},
      {"lora_targets", FieldKind::kString, 0, 1024,
       "LoRA targets: q,k,v,o | all-linear | attention | mlp | experts | q_proj,v_proj,... (default q,v; qlora all-linear)",
       to_str(&Request::lora_targets)},
      {"lora_dropout", FieldKind::kNumber, 0, 0.99, "LoRA dropout (default 0)", to_num(&Request::lora_dropout)},
      {"zero", FieldKind::kInt, 0, 3, "training: DeepSpeed ZeRO stage 0|1|2|3 over the --gpus data-parallel GPUs",
       to_int(&Request::zero)},
      {"offload_optimizer", FieldKind::kBool, 0, 0, "training: optimizer states on the CPU (ZeRO-Offload; needs --zero >= 1)",
       to_bool(&Request::offload_optimizer)},
      {"dataset_tokens", FieldKind::kInt, 0, 1e15, "training: tokens per epoch, for the epoch time",
       to_int(&Request::dataset_tokens)},
      {"training_mfu", FieldKind::kNumber, 0.01, 1.0, "training: fraction of the GPU's dense peak achieved (default 0.4)",
       to_num(&Request::training_mfu)},
      {"training_reserve", FieldKind::kNumber, 0, 0.9, "training: fraction of GPU memory kept free (default 0.05)",
       to_num(&Request::training_reserve)},
  };
  return kFields;
}

const char* kind_name(FieldKind k) {
  switch (k) {
    case FieldKind::kInt: return "a whole number";
    case FieldKind::kNumber: return "a number";
    case FieldKind::kString: return "a string";
    case FieldKind::kBool: return "true or false";
    case FieldKind::kObject: return "an object";
  }
  return "a value";
}

Result<bool> set_field(Request& r, const Field& f, const json& v) {
  const std::string path = std::string("/") + f.key;
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidRequest, std::string("'") + f.key + "' " + why, path);
  };
  switch (f.kind) {
    case FieldKind::kInt:
    case FieldKind::kNumber: {
      if (!v.is_number()) return bad("must be " + std::string(kind_name(f.kind)) + ", not " + describe(v));
      const double d = v.get<double>();
      if (!std::isfinite(d)) return bad("must be finite");
      if (f.kind == FieldKind::kInt && d != std::floor(d)) return bad("must be a whole number, not " + json_number_text(d));
      if (d < f.lo || d > f.hi) {
        return bad("= " + json_number_text(d) + " is out of range (" + json_number_text(f.lo) + ".." +
                   json_number_text(f.hi) + ")");
      }
      break;
    }
    case FieldKind::kString:
      if (!v.is_string()) return bad("must be a string, not " + describe(v));
      if (v.str().size() > static_cast<size_t>(f.hi)) return bad("is too long");
      break;
    case FieldKind::kBool:
      if (!v.is_boolean()) return bad("must be true or false, not " + describe(v));
      break;
    case FieldKind::kObject: break;
  }
  if (f.set.i) r.*f.set.i = static_cast<int64_t>(v.get<double>());
  if (f.set.d) r.*f.set.d = v.get<double>();
  if (f.set.s) r.*f.set.s = v.get<std::string>();
  if (f.set.b) r.*f.set.b = v.get<bool>();
  return true;
}

// Hub safetensors dtype names -> bytes per element.
double safetensors_dtype_bytes(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "F8_E4M3" || d == "F8_E5M2" || d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E8M0") return 1;
  if (d == "F4" || d == "F4_E2M1" || d == "I4" || d == "U4") return 0.5;
  return -1;
}

// ----------------------------------------------------------------------------------------------
// Response
// ----------------------------------------------------------------------------------------------

void write_memory(JsonWriter& w, const MemoryBreakdown& m) {
  w.field("weights_bytes", m.weights_bytes)
      .field("kv_cache_bytes", m.kv_cache_bytes)
      .field("activations_bytes", m.activations_bytes)
      .field("overhead_bytes", m.overhead_bytes)
      .field("total_bytes", m.total_bytes());
}

void write_gpu(JsonWriter& w, const GpuMemory& g) {
  w.begin_object();
  write_memory(w, g.memory);
  w.field("stage", g.stage);
  w.key("layers").begin_array().value(g.first_layer).value(g.end_layer).end_array();
  w.field("weights_parameters", g.weights_parameters)
      .field("kv_cache_bytes_per_token", g.kv_cache_bytes_per_token)
      .field("kv_cache_bytes_per_sequence", g.kv_cache_bytes_per_sequence)
      .field("gpu_memory_bytes", g.capacity_bytes)
      .field("usable_bytes", g.usable_bytes)
      .field("free_bytes", g.free_bytes)
      .field("fits", g.free_bytes >= 0)
      .field("max_concurrency", g.max_concurrency);
  w.end_object();
}

void write_model(JsonWriter& w, const Estimate& e) {
  const ModelSpec& m = e.model;
  const ParameterCounts& p = e.parameters;
  w.begin_object();
  w.field("id", e.inputs.request.model_id.empty() ? e.inputs.request.model : e.inputs.request.model_id)
      .field("architecture", m.architecture)
      .field("model_type", m.model_type)
      .field("family", m.family)
      .field("generic", m.generic)
      .field("parameters", e.inputs.safetensors_parameters ? *e.inputs.safetensors_parameters : p.total)
      .field("parameters_from_config", p.total)
      .field("parameters_source", e.parameters_source)
      .field("active_parameters", p.active);
  w.key("parameters_by_component").begin_object();
  w.field("embeddings", p.embeddings)
      .field("attention", p.attention)
      .field("mlp", p.mlp)
      .field("experts", p.experts)
      .field("shared_experts", p.shared_experts)
      .field("router", p.router)
      .field("norms", p.norms)
      .field("lm_head", p.lm_head)
      .field("vision", p.vision);
  w.end_object();
  w.field("mtp_parameters", p.mtp)
      .field("num_hidden_layers", m.num_hidden_layers())
      .field("hidden_size", m.hidden_size)
      .field("vocab_size", m.vocab_size)
      .field("max_position_embeddings", m.max_position_embeddings)
      .field("tie_word_embeddings", m.tie_word_embeddings)
      .field("torch_dtype", dtype_name(m.torch_dtype))
      .field("attention", attention_kind(m));
  if (!m.layers.empty()) {
    const LayerSpec& l0 = m.layers.front();
    int64_t inter = 0;
    int64_t sliding = 0;
    int64_t window = 0;
    int64_t moe_layers = 0;
    const MlpSpec* moe = nullptr;
    for (const LayerSpec& l : m.layers) {
      inter = std::max(inter, l.mlp.intermediate_size);
      if (l.attn.sliding_window > 0) {
        ++sliding;
        window = std::max(window, l.attn.sliding_window);
      }
      if (l.mlp.is_moe()) {
        ++moe_layers;
        if (!moe) moe = &l.mlp;
      }
    }
    w.field("num_attention_heads", l0.attn.num_heads)
        .field("num_key_value_heads", l0.attn.mla ? 1 : l0.attn.num_kv_heads)
        .field("head_dim", l0.attn.head_dim)
        .field("intermediate_size", inter)
        .field("sliding_window_layers", sliding)
        .field("sliding_window", window);
    if (moe) {
      w.key("moe").begin_object();
      w.field("experts", moe->num_experts)
          .field("experts_per_token", moe->experts_per_token)
          .field("expert_intermediate_size", moe->expert_intermediate_size)
          .field("shared_experts", moe->num_shared_experts)
          .field("moe_layers", moe_layers);
      w.end_object();
    }
    if (l0.attn.mla) {
      w.key("mla").begin_object();
      w.field("q_lora_rank", l0.attn.q_lora_rank)
          .field("kv_lora_rank", l0.attn.kv_lora_rank)
          .field("qk_nope_head_dim", l0.attn.qk_nope_head_dim)
          .field("qk_rope_head_dim", l0.attn.qk_rope_head_dim)
          .field("v_head_dim", l0.attn.v_head_dim);
      w.end_object();
    }
  }
  if (m.has_quantization_config) w.field("quantization", m.quant.label);
  if (m.vision.parameters > 0) w.field("vision_note", m.vision.note);
  w.end_object();
}

void write_step(JsonWriter& w, const StepCost& c) {
  w.begin_object();
  w.field("weights_read_bytes", static_cast<int64_t>(std::llround(c.weight_bytes)))
      .field("kv_cache_read_bytes", static_cast<int64_t>(std::llround(c.kv_bytes)))
      .field("flops", stable(c.flops))
      .field("memory_seconds", stable(c.memory_s))
      .field("compute_seconds", stable(c.compute_s))
      .field("communication_seconds", stable(c.communication_s))
      .field("layer_overhead_seconds", stable(c.overhead_s))
      .field("seconds", stable(c.seconds))
      .field("bound", c.compute_bound ? "compute" : "memory");
  w.end_object();
}

void write_warnings(JsonWriter& w, const std::vector<Warning>& list) {
  w.begin_array();
  for (const Warning& x : list) {
    w.begin_object().field("code", x.code).field("message", x.message).end_object();
  }
  w.end_array();
}

// speed.*: TTFT, TPOT, latency, tokens/s, the bound, the constants used and the concurrency curve (speed.h).
void write_speed(JsonWriter& w, const Estimate& e) {
  const SpeedEstimate s = estimate_speed(e.model, e.inputs, e.plan);
  const SpeedConstants& k = s.constants;
  w.begin_object();
  w.field("available", s.available);
  if (!s.available) {
    w.field("unavailable_reason", s.unavailable_reason).end_object();
    return;
  }
  w.field("batch", s.batch)
      .field("input_tokens", s.input_tokens)
      .field("output_tokens", s.output_tokens)
      .field("prefill_seconds", stable(s.prefill_seconds))
      .field("ttft_seconds", stable(s.ttft_seconds))
      .field("tpot_seconds", stable(s.tpot_seconds))
      .field("e2e_latency_seconds", stable(s.e2e_latency_seconds))
      .field("decode_tokens_per_second", stable(s.decode_tokens_per_second))
      .field("throughput_tokens_per_second", stable(s.throughput_tokens_per_second))
      .field("bound", s.bound)
      .field("prefill_bound", s.prefill_bound)
      .field("prefill_chunks", s.prefill_chunks);
  w.key("decode_step");
  write_step(w, s.decode);
  w.key("prefill_step");
  write_step(w, s.prefill);
  w.key("curve").begin_array();
  for (const SpeedPoint& p : s.curve) {
    w.begin_object();
    w.field("concurrency", p.concurrency)
        .field("ttft_seconds", stable(p.ttft_seconds))
        .field("tpot_seconds", stable(p.tpot_seconds))
        .field("per_user_tokens_per_second", stable(p.per_user_tokens_per_second))
        .field("throughput_tokens_per_second", stable(p.throughput_tokens_per_second))
        .field("decode_throughput_tokens_per_second", stable(p.decode_throughput_tokens_per_second))
        .field("bound", p.compute_bound ? "compute" : "memory");
    w.end_object();
  }
  w.end_array();
  w.field("max_concurrency", stable(s.max_concurrency));
  w.key("assumptions").begin_object();
  w.field("gpu", e.inputs.gpu.id)
      .field("gpu_family", k.gpu_family)
      .field("gpu_family_calibrated", k.gpu_family_calibrated)
      .field("engine", k.engine)
      .field("engine_calibrated", k.engine_calibrated)
      .field("compute_dtype", k.compute_dtype)
      .field("peak_tflops", stable(k.peak_flops_per_s / 1e12))
      .field("memory_bandwidth_gbps", stable(k.bandwidth_bytes_per_s / 1e9))
      .field("bandwidth_efficiency", stable(k.bandwidth_efficiency))
      .field("quantized_read_efficiency", stable(k.quantized_read_efficiency))
      .field("kv_read_factor", stable(k.kv_read_factor))
      .field("prefill_efficiency", stable(k.prefill_efficiency))
      .field("attention_efficiency", stable(k.attention_efficiency))
      .field("decode_compute_efficiency", stable(k.decode_compute_efficiency))
      .field("step_overhead_seconds", stable(k.step_overhead_s))
      .field("layer_overhead_seconds", stable(k.layer_overhead_s))
      .field("prefill_chunk_tokens", stable(k.prefill_chunk_tokens))
      .field("interconnect", k.interconnect)
      .field("interconnect_gbps", stable(k.link_bytes_per_s / 1e9))
      .field("collective_latency_seconds", stable(k.link_latency_s))
      .field_strings("notes", k.notes);
  w.end_object();
  w.key("warnings");
  write_warnings(w, s.warnings);
  w.end_object();
}

void write_solves(JsonWriter& w, const EngineSolves& s) {
  w.begin_object();
  w.field("batch", s.batch).field("context", s.context);
  w.key("max_context").begin_object().field("tokens", s.max_context).field("limit", s.max_context_limit);
  if (!s.max_context_note.empty()) w.field("note", s.max_context_note);
  w.end_object();
  if (!s.knob.empty()) {
    w.key("knob").begin_object().field("name", s.knob);
    if (s.knob_value >= 0) {
      w.field("value", stable(s.knob_value));
    } else {
      w.field_null("value");
    }
    if (!s.knob_note.empty()) w.field("note", s.knob_note);
    w.end_object();
  }
  w.key("fewest_gpus").begin_object().field("gpus", s.fewest_gpus);
  if (s.fewest_gpus > 0) {
    w.field("tp", s.fewest_layout.tp).field("pp", s.fewest_layout.pp).field("dp", s.fewest_layout.dp);
  }
  if (!s.fewest_note.empty()) w.field("note", s.fewest_note);
  w.end_object();
  w.end_object();
}

void write_recommendations(JsonWriter& w, const std::vector<Recommendation>& recs) {
  w.begin_array();
  for (const Recommendation& r : recs) {
    w.begin_object();
    w.field("gpu", r.gpu)
        .field("name", r.name)
        .field("vendor", r.vendor)
        .field("market", r.market)
        .field("memory_gib", stable(r.memory_gib))
        .field("count", r.count)
        .field("tp", r.layout.tp)
        .field("pp", r.layout.pp)
        .field("dp", r.layout.dp)
        .field_number("max_concurrency", r.max_concurrency)
        .field("headroom_bytes", r.headroom_bytes);
    if (r.tokens_per_second) {
      w.field("tokens_per_second", stable(*r.tokens_per_second));
    } else {
      w.field_null("tokens_per_second");
    }
    if (r.throughput_tokens_per_second) {
      w.field("throughput_tokens_per_second", stable(*r.throughput_tokens_per_second));
    } else {
      w.field_null("throughput_tokens_per_second");
    }
    w.end_object();
  }
  w.end_array();
}

/// The response's sections up to (not including) the closing brace, so callers can append more.
void write_estimate(JsonWriter& w, const Estimate& e) {
  const Inputs& in = e.inputs;
  w.begin_object();
  w.field("ok", true).field("version", version());
  w.key("model");
  write_model(w, e);
  w.key("precision").begin_object();
  w.field("weights", in.weights.label)
      .field("weights_method", quant_method_name(in.weights.method))
      .field("compute", dtype_name(in.act_dtype))
      .field("kv_cache", dtype_name(in.kv_dtype));
  w.end_object();
  w.key("layout").begin_object();
  w.field("gpu", in.gpu.id)
      .field("gpu_name", in.gpu.name)
      .field("gpu_memory_bytes", in.gpu.memory_bytes())
      .field("gpus", in.layout.gpus())
      .field("tp", in.layout.tp)
      .field("pp", in.layout.pp)
      .field("dp", in.layout.dp);
  w.end_object();
  w.key("workload").begin_object();
  w.field("context", in.context)
      .field("batch", in.batch)
      .field("input_tokens", in.input_tokens)
      .field("output_tokens", in.output_tokens)
      .field("prefill_tokens", in.prefill_tokens)
      .field("reserve", stable(in.reserve));
  w.end_object();
  // memory.*: the binding GPU (least free memory) — the one that decides whether the deployment fits.
  const EnginePlan& plan = e.plan;
  static const GpuMemory kNone;  // a plan with no GPU (all layers on the CPU) reports zeros
  const GpuMemory& g = e.binding_gpu < plan.per_gpu.size() ? plan.per_gpu[e.binding_gpu] : kNone;
  w.key("memory").begin_object();
  write_memory(w, g.memory);
  w.field("kv_cache_bytes_per_token", g.kv_cache_bytes_per_token)
      .field("kv_cache_bytes_per_sequence", g.kv_cache_bytes_per_sequence)
      .field("gpu_memory_bytes", g.capacity_bytes)
      .field("usable_bytes", g.usable_bytes)
      .field("reserve_bytes", g.capacity_bytes - g.usable_bytes)
      .field("free_bytes", g.free_bytes)
      .field("binding_stage", g.stage);
  w.key("per_gpu").begin_array();
  for (const GpuMemory& x : plan.per_gpu) write_gpu(w, x);
  w.end_array();
  w.key("all_gpus").begin_object();
  write_memory(w, e.all_gpus);
  w.end_object();
  w.end_object();
  w.key("serving").begin_object();
  w.field("engine", plan.engine)
      .field("fits", plan.fits)
      .field("margin_bytes", plan.margin_bytes)
      // Integral for engines that count whole sequences; vLLM logs fractions ("58.11x").
      .field_number("max_concurrency", plan.max_concurrency == std::floor(plan.max_concurrency)
                                           ? plan.max_concurrency
                                           : stable(plan.max_concurrency))
      .field("gpus_needed", e.gpus_needed);
  if (e.gpus_needed_layout) {
    w.key("gpus_needed_layout").begin_object();
    w.field("tp", e.gpus_needed_layout->tp).field("pp", e.gpus_needed_layout->pp).field("dp", e.gpus_needed_layout->dp);
    w.end_object();
  }
  if (!e.gpus_needed_note.empty()) w.field("gpus_needed_note", e.gpus_needed_note);
  if (plan.kv_cache_tokens >= 0) w.field("kv_cache_tokens", plan.kv_cache_tokens);
  if (plan.kv_cache_blocks >= 0) w.field("kv_cache_blocks", plan.kv_cache_blocks);
  if (plan.available_kv_cache_bytes >= 0) w.field("available_kv_cache_bytes", plan.available_kv_cache_bytes);
  if (plan.max_model_len_that_fits >= 0) w.field("max_model_len_that_fits", plan.max_model_len_that_fits);
  if (plan.system_ram_bytes > 0) w.field("system_ram_bytes", plan.system_ram_bytes);
  if (!plan.startup_log.empty()) w.field_strings("startup_log", plan.startup_log);
  if (!plan.failure.empty()) w.field("failure", plan.failure);
  if (!plan.launch_command.empty()) w.field("launch_command", plan.launch_command);
  if (!plan.settings.empty()) {
    w.key("settings").begin_object();
    for (const auto& [k, v] : plan.settings) w.field_number(k, v);
    w.end_object();
  }
  w.key("solves");
  write_solves(w, e.solves);
  w.key("context_curve").begin_array();
  for (const ContextPoint& p : e.context_curve) {
    w.begin_object();
    w.field("context", p.context)
        .field_number("max_concurrency", std::floor(p.max_concurrency * 100.0 + 1e-9) / 100.0)
        .field("kv_cache_bytes_per_sequence", p.kv_cache_bytes_per_sequence);
    w.key("memory").begin_object();
    write_memory(w, p.memory);
    w.end_object();
    w.field("fits", p.fits);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.key("speed");
  write_speed(w, e);
  w.key("warnings");
  write_warnings(w, e.warnings);
  w.field_strings("assumptions", e.assumptions);
}

std::string error_json(const Error& err) {
  JsonWriter w;
  w.begin_object().field("ok", false).field("version", version());
  w.key("error").begin_object().field("code", error_code_name(err.code)).field("message", err.message);
  if (!err.path.empty()) w.field("path", err.path);
  w.end_object().end_object();
  return w.take();
}

}  // namespace

// Declared in training_json.h; defined here because the lite core (without training_json.cpp) prints it too.
std::string inference_training_section_json() {
  return JsonWriter()
      .begin_object()
      .field("mode", "inference")
      .field("note", "set --mode full, lora or qlora for a fine-tuning estimate")
      .end_object()
      .take();
}

std::vector<FieldInfo> request_fields() {
  std::vector<FieldInfo> out;
  for (const Field& f : fields()) out.push_back({f.key, f.kind, f.help});
  return out;
}

Result<Request> parse_request(const std::string& text) {
  auto limits = check_json_limits(text, kMaxRequestBytes, "the request");
  if (!limits.ok()) return limits.error();
  auto parsed = parse_json_text(text, "the request");
  if (!parsed.ok()) return parsed.error();
  const json& j = parsed.value();
  if (!j.is_object()) {
    return make_error(ErrorCode::kNotAnObject, "the request must be a JSON object, not " + describe(j));
  }
  Request r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const Field* f = nullptr;
    for (const Field& x : fields()) {
      if (key == x.key) f = &x;
    }
    if (!f) {
      return make_error(ErrorCode::kInvalidRequest,
                        "unknown request key '" + key + "' (see `llmsizer --help` for the accepted keys)", "/" + key);
    }
    if (v.is_null()) continue;  // null = default
    if (key == "config") {
      if (v.is_string()) {
        r.config_text = v.get<std::string>();
      } else if (v.is_object()) {
        r.config_text = v.dump();
      } else {
        return make_error(ErrorCode::kInvalidRequest, "'config' must be a config.json object or its text", "/config");
      }
      continue;
    }
    if (key == "gguf") {
      // One entry per part of the file: base64 header bytes, or a summary object (kept as JSON text).
      const std::vector<const json*> parts = [&] {
        std::vector<const json*> p;
        if (v.is_array()) {
          for (const json& x : v.elements()) p.push_back(&x);
        } else {
          p.push_back(&v);
        }
        return p;
      }();
      if (parts.size() > 256) return make_error(ErrorCode::kInvalidRequest, "'gguf' lists more than 256 parts", "/gguf");
      for (size_t i = 0; i < parts.size(); ++i) {
        const json& x = *parts[i];
        if (x.is_string()) {
          r.gguf.push_back(x.get<std::string>());
        } else if (x.is_object()) {
          r.gguf.push_back(x.dump());
        } else {
          return make_error(ErrorCode::kInvalidRequest,
                            "'gguf' entries must be base64 text or summary objects, not " + describe(x),
                            "/gguf/" + std::to_string(i));
        }
      }
      continue;
    }
    if (key == "safetensors") {
      if (!v.is_object()) {
        return make_error(ErrorCode::kInvalidRequest, "'safetensors' must be an object of {dtype: count}",
                          "/safetensors");
      }
      for (auto s = v.begin(); s != v.end(); ++s) {
        const json& n = s.value();
        if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<double>() > 1e15) {
          return make_error(ErrorCode::kInvalidRequest,
                            "safetensors count for '" + s.key() + "' must be a whole number in 0..1e15",
                            "/safetensors/" + s.key());
        }
        if (safetensors_dtype_bytes(s.key()) < 0) {
          return make_error(ErrorCode::kInvalidRequest,
                            "unknown safetensors dtype '" + s.key() +
                                "' (expected BF16, F16, F32, F8_E4M3, I8, U8, I32, ...)",
                            "/safetensors/" + s.key());
        }
        r.safetensors[s.key()] = n.get<int64_t>();
      }
      continue;
    }
    auto ok = set_field(r, *f, v);
    if (!ok.ok()) return ok.error();
  }
  return r;
}

#if LLMSIZER_LITE
namespace {

/// The small module the page loads first (core/CMakeLists.txt, LLMSIZER_LITE) answers inference with the
/// generic and vLLM engines; anything that needs the parts it leaves out is sent to the full module. The
/// check looks only at the request, so the lite module answers exactly what the full one would or not at all.
std::string lite_unsupported(const Request& r) {
  const Request d;
  if (r.engine != "generic" && r.engine != "vllm") return "the " + r.engine + " engine";
  if (!r.gguf.empty()) return "GGUF files";
  {
    // Weight precisions the lite core knows; llama.cpp file types (Q4_K_M, ...) and anything unknown go to the
    // full module, which answers the same error a typo deserves.
    static const char* const kPlain[] = {"", "auto", "fp32", "fp16", "bf16", "float32", "float16", "bfloat16",
                                         "fp8", "int8", "int4", "nf4"};
    bool known = false;
    for (const char* p : kPlain) known = known || r.dtype == p;
    if (!known) return "the weight precision '" + r.dtype + "'";
  }
  if (r.mode != d.mode) return "fine-tuning estimates";
  if (r.optimizer != d.optimizer || r.training_precision != d.training_precision || r.micro_batch != d.micro_batch ||
      r.seq_len != d.seq_len || r.gradient_checkpointing != d.gradient_checkpointing ||
      r.training_attention != d.training_attention || r.lora_rank != d.lora_rank || r.lora_targets != d.lora_targets ||
      r.lora_dropout != d.lora_dropout || r.zero != d.zero || r.offload_optimizer != d.offload_optimizer ||
      r.dataset_tokens != d.dataset_tokens || r.training_mfu != d.training_mfu ||
      r.training_reserve != d.training_reserve) {
    return "fine-tuning options";
  }
  if (r.ctx_size != d.ctx_size || r.np != d.np || r.ngl != d.ngl || r.ctk != d.ctk || r.ctv != d.ctv ||
      r.ubatch != d.ubatch || r.n_batch != d.n_batch || r.flash_attn != d.flash_attn || r.swa_full != d.swa_full ||
      r.kv_unified != d.kv_unified) {
    return "llama.cpp options";
  }
  if (r.recommend) return "GPU recommendations";
  return {};
}

}  // namespace
#endif

Result<Resolved> resolve(const Request& req, const Catalog& catalog) {
#if LLMSIZER_LITE
  if (const std::string what = lite_unsupported(req); !what.empty()) {
    return make_error(ErrorCode::kNeedsFullModule, what + " need the full module (the page loads it on demand)");
  }
#endif
  Resolved out;
  std::vector<std::string>& notes = out.assumptions;

  // ---- the model ----
  std::string config_text = req.config_text;
  if (!req.gguf.empty()) {
    // A GGUF file: the model and its exact weight bytes come from its header (no config.json needed).
    if (!config_text.empty() || !req.model.empty()) {
      return make_error(ErrorCode::kConflictingOptions, "give either a GGUF header or a config / model preset, not both",
                        "/gguf");
    }
    auto g = gguf_model_from_request(req.gguf);
    if (!g.ok()) return g.error();
    auto gm = std::make_shared<GgufModel>(std::move(g).value());
    gm->spec.quant = gguf_file_format(*gm);
    gm->spec.has_quantization_config = true;
    out.model = gm->spec;
    out.gguf = gm;
  } else if (config_text.empty()) {
    if (req.model.empty()) {
      return make_error(ErrorCode::kInvalidRequest,
                        "no model: give a config.json (--config PATH / \"config\") or a preset (--model ID)");
    }
    const ModelPreset* p = catalog.find_model(req.model);
    if (!p) {
      return make_error(ErrorCode::kUnknownModel,
                        "no model preset '" + req.model + "' (list them with `llmsizer --list-models`)", "/model");
    }
    config_text = p->config_text;
  } else if (!req.model.empty()) {
    return make_error(ErrorCode::kConflictingOptions, "give either a config or a model preset, not both");
  }
  if (!out.gguf) {
    auto spec = parse_config(config_text);
    if (!spec.ok()) return spec.error();
    out.model = std::move(spec).value();
  }
  const ModelSpec& m = out.model;
  Inputs& in = out.inputs;
  in.request = req;
  if (in.request.model_id.empty()) in.request.model_id = req.model;

  // ---- the engine ----
  {
    const auto& names = engine_names();
    if (std::find(names.begin(), names.end(), req.engine) == names.end()) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      return make_error(ErrorCode::kInvalidRequest, "unknown engine '" + req.engine + "': use " + list, "/engine");
    }
    auto lc = llamacpp_check_request(req);
    if (!lc.ok()) return lc.error();
  }

  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"vllm_version", &req.vllm_version},
                                    {"transformers_version", &req.transformers_version}}) {
    int major = 0;
    int minor = 0;
    if (!engine_util::parse_version(*value, &major, &minor)) {
      return make_error(ErrorCode::kInvalidRequest,
                        std::string("'") + key + "' = '" + *value + "' is not a version (write it as 0.19 or 4.46)",
                        std::string("/") + key);
    }
  }

  // ---- the GPU ----
  // A memory size without a preset names the preset whose total (as torch reports it) is exactly that
  // (79.19 GiB is an H100 80GB, 79.15 an A100 80GB): engines branch on the GPU's kind (vLLM's batch defaults
  // exclude A100s; NVLink SHARP needs NVSwitch), so a bare memory size must not inherit the default GPU's.
  const GpuSpec* same_memory = nullptr;
  if (req.gpu_memory_gib > 0 && req.gpu.empty()) {
    for (const GpuSpec& x : catalog.gpus) {
      // Only totals measured as torch reports them identify a GPU; a round datasheet size (24, 48) does not.
      if (x.memory_basis == "torch-reported" && std::abs(x.memory_gib - req.gpu_memory_gib) < 0.005) {
        same_memory = &x;
        break;
      }
    }
  }
  if (same_memory) {
    in.gpu = *same_memory;
    notes.push_back("GPU: " + in.gpu.name + " (the preset whose total memory is " +
                    json_number_text(req.gpu_memory_gib) + " GiB)");
  } else if (req.gpu_memory_gib > 0) {
    const GpuSpec* base = req.gpu.empty() ? nullptr : catalog.find_gpu(req.gpu);
    in.gpu = base ? *base : GpuSpec{};
    if (!base) {
      in.gpu.id = "custom";
      in.gpu.name = "custom GPU";
    }
    in.gpu.memory_gib = req.gpu_memory_gib;
    in.gpu.custom = true;
  } else {
    const std::string id = req.gpu.empty() ? std::string(kDefaultGpu) : req.gpu;
    const GpuSpec* g = catalog.find_gpu(id);
    if (!g) {
      std::string near;
      for (const GpuSpec& x : catalog.gpus) {
        if (!req.gpu.empty() && x.id.find(req.gpu) != std::string::npos) near += (near.empty() ? "" : ", ") + x.id;
      }
      return make_error(ErrorCode::kUnknownGpu,
                        "no GPU preset '" + id + "'" + (near.empty() ? "" : " (did you mean " + near + "?)") +
                            "; list them with `llmsizer --list-gpus`, or give --gpu-memory-gib",
                        "/gpu");
    }
    in.gpu = *g;
  }

  // ---- layout ----
  const int64_t pp = std::max<int64_t>(1, req.pp);
  int64_t tp = req.tp;
  if (tp <= 0) tp = req.gpus > 0 ? std::max<int64_t>(1, req.gpus / pp) : 1;
  const int64_t gpus = req.gpus > 0 ? req.gpus : tp * pp;
  if (gpus % (tp * pp) != 0) {
    return make_error(ErrorCode::kConflictingOptions,
                      "--gpus " + std::to_string(gpus) + " is not a multiple of tp x pp = " + std::to_string(tp) +
                          " x " + std::to_string(pp) + ": choose tp and pp whose product divides the GPU count");
  }
  if (pp > m.num_hidden_layers()) {
    return make_error(ErrorCode::kConflictingOptions,
                      "--pp " + std::to_string(pp) + " exceeds the model's " +
                          std::to_string(m.num_hidden_layers()) + " layers");
  }
  in.layout = Layout{tp, pp, gpus / (tp * pp)};
  // llama.cpp splits layers over every GPU (--split-mode layer): pipeline-style, one stage per GPU.
  if (req.engine == "llama.cpp") in.layout = Layout{1, std::min(gpus, std::max<int64_t>(1, m.num_hidden_layers())), 1};
  if (const std::string why = tp_problem(m, tp); !why.empty()) {
    out.warnings.push_back({"tp_not_dividing_heads", why + ": engines such as vLLM refuse this layout; the "
                                                           "estimate rounds the shards up"});
  }

  // ---- precision ----
  const Dtype ckpt = m.has_torch_dtype ? m.torch_dtype : Dtype::kBf16;
  if (req.dtype == "auto" || req.dtype.empty()) {
    if (m.has_quantization_config) {
      in.weights = m.quant;
      notes.push_back("weights: " + m.quant.label + " from the config's quantization_config");
    } else {
      // vLLM's dtype "auto" serves fp32 checkpoints in 16-bit (vllm/config/model.py _resolve_auto_dtype).
      const Dtype d = ckpt == Dtype::kFp32 ? Dtype::kBf16 : ckpt;
      in.weights = weight_format_from_name(dtype_name(d), d).value();
      notes.push_back(std::string("weights: ") + dtype_name(d) +
                      (ckpt == Dtype::kFp32 ? " (config torch_dtype is float32; served in bf16 as vLLM's auto does)"
                                            : " (config torch_dtype)"));
    }
  } else {
    auto f = weight_format_from_name(req.dtype, ckpt);
    if (!f.ok()) return make_error(f.error().code == ErrorCode::kInvalidValue ? ErrorCode::kInvalidRequest : f.error().code,
                                   f.error().message, "/dtype");
    in.weights = f.value();
  }
  in.act_dtype = in.weights.method == QuantMethod::kNone ? in.weights.dtype : in.weights.dtype;
  if (in.weights.method == QuantMethod::kGguf) {
    if (out.gguf && (req.dtype == "auto" || req.dtype.empty())) {
      notes.back() = "weights: " + in.weights.label + ": exact tensor bytes from the GGUF header";
    } else {
      in.weights.label = gguf_format_label(m, in.weights);
    }
  }
  if (req.kv_dtype == "auto" || req.kv_dtype.empty()) {
    in.kv_dtype = in.act_dtype;
  } else {
    auto k = parse_kv_dtype(req.kv_dtype);
    if (!k.ok()) return make_error(ErrorCode::kInvalidRequest, k.error().message, "/kv_dtype");
    in.kv_dtype = k.value();
  }

  // ---- workload ----
  in.batch = req.batch;
  in.output_tokens = req.output_tokens;
  in.input_tokens = req.input_tokens;
  int64_t context = req.context;
  if (context <= 0 && req.max_model_len > 0 && (req.engine == "vllm" || req.engine == "sglang")) {
    // The engine's max_model_len is the length its numbers are logged for; with no context given it is the context.
    context = req.max_model_len;
  }
  if (context <= 0) {
    if (in.input_tokens > 0 || in.output_tokens > 0) {
      context = in.input_tokens + in.output_tokens;
    } else {
      const int64_t maxpos = m.max_position_embeddings > 0 ? m.max_position_embeddings : 4096;
      context = std::min<int64_t>(maxpos, 8192);
      notes.push_back("context: " + std::to_string(context) +
                      " tokens per sequence (default: max_position_embeddings capped at 8192)");
    }
  }
  if (in.input_tokens + in.output_tokens > context) {
    out.warnings.push_back({"context_raised", "input + output tokens (" +
                                                  std::to_string(in.input_tokens + in.output_tokens) +
                                                  ") exceed the context: the context is raised to match"});
    context = in.input_tokens + in.output_tokens;
  }
  if (context > static_cast<int64_t>(kMaxTokens)) {
    return make_error(ErrorCode::kInvalidRequest, "a context of " + std::to_string(context) +
                                                      " tokens is beyond any model (limit 100,000,000)",
                      "/context");
  }
  in.context = context;
  if (in.output_tokens <= 0) in.output_tokens = std::max<int64_t>(1, std::min<int64_t>(256, context / 2));
  if (in.input_tokens <= 0) in.input_tokens = std::max<int64_t>(1, context - in.output_tokens);
  if (m.max_position_embeddings > 0 && context > m.max_position_embeddings) {
    out.warnings.push_back({"context_beyond_max_position",
                            "context " + std::to_string(context) + " exceeds the model's max_position_embeddings (" +
                                std::to_string(m.max_position_embeddings) +
                                "): quality degrades and engines refuse it without rope scaling"});
  }
  in.prefill_tokens = req.max_batched_tokens > 0 ? req.max_batched_tokens : 8192;
  in.reserve = req.reserve;
  in.overhead_bytes = req.overhead_gib >= 0 ? static_cast<int64_t>(req.overhead_gib * kGiB)
                                            : default_overhead_bytes(in.gpu, in.layout.tp);
  in.include_mtp = req.include_mtp;
  if (m.mtp_layers > 0) {
    notes.push_back(std::string("DeepSeek-V3 multi-token-prediction layer ") +
                    (req.include_mtp ? "included" : "not loaded (engines skip it unless speculative decoding uses it)") +
                    "; the Hub's parameter count includes it");
  }

  // ---- exact counts from the Hub ----
  if (!req.safetensors.empty()) {
    int64_t n = 0;
    double bytes = 0;
    for (const auto& [dtype, count] : req.safetensors) {
      n += count;
      bytes += static_cast<double>(count) * safetensors_dtype_bytes(dtype);
    }
    in.safetensors_parameters = n;
    if ((req.dtype == "auto" || req.dtype.empty()) && n > 0) {
      in.safetensors_bytes = bytes;
      notes.push_back("weights: exact checkpoint bytes from the Hub's safetensors metadata");
    }
  }
  return out;
}

std::string handle_request(const std::string& request_text, const Catalog& catalog) {
  return guarded([&]() -> std::string {
    auto req = parse_request(request_text);
    if (!req.ok()) return error_json(req.error());
    auto res = resolve(req.value(), catalog);
    if (!res.ok()) return error_json(res.error());
    Resolved& r = res.value();
    auto training = training_section(r.model, r.inputs);  // fine-tuning (training_json.cpp)
    if (!training.ok()) return error_json(training.error());
    Estimate e = estimate(r.model, r.inputs);
    e.parameters_source = r.inputs.safetensors_parameters ? "safetensors" : "config";
    e.warnings.insert(e.warnings.end(), r.warnings.begin(), r.warnings.end());
    e.warnings.insert(e.warnings.end(), training.value().warnings.begin(), training.value().warnings.end());
    e.assumptions.insert(e.assumptions.begin(), r.assumptions.begin(), r.assumptions.end());
    JsonWriter w;
    write_estimate(w, e);
    w.key("recommendations");
    if (r.inputs.request.recommend) {
      write_recommendations(w, recommend_gpus(r.model, r.inputs, catalog.gpus));
    } else {
      w.begin_array().end_array();
    }
    w.key("training").raw(training.value().section);
    if (r.gguf) w.key("gguf").raw(gguf_section_json(*r.gguf));
    w.end_object();
    return w.take();
  }, [](const char* what) {
    return error_json(make_error(ErrorCode::kInternal, std::string("internal error: ") + what));
  });
}

std::string handle_request(const std::string& request_text) {
  return handle_request(request_text, builtin_catalog());
}

std::string catalog_json(const Catalog& catalog) {
  JsonWriter w;
  w.begin_object().field("ok", true).field("version", version());
  w.key("gpus").begin_array();
  for (const GpuSpec& g : catalog.gpus) {
    w.begin_object();
    w.field("id", g.id).field("vendor", g.vendor).field("name", g.name).field("memory_gib", g.memory_gib);
    w.field("memory_bytes", g.memory_bytes()).field("memory_bandwidth_gbps", g.memory_bandwidth_gbps);
    w.key("tflops").begin_object();
    for (const auto& [k, v] : g.tflops) w.field(k, v);
    w.end_object();
    w.field("interconnect", g.interconnect)
        .field("interconnect_gbps", g.interconnect_gbps)
        .field("architecture", g.architecture)
        .field("market", g.market);
    w.end_object();
  }
  w.end_array();
  w.key("models").begin_array();
  for (const ModelPreset& p : catalog.models) {
    w.begin_object().field("id", p.id).field("name", p.name).field("gated", p.gated).end_object();
  }
  w.end_array();
  // The serving engines the request's "engine" accepts and the fine-tuning modes "mode" accepts: the page
  // shows its engine selector and mode switch from these.
  w.field_strings("engines", engine_names());
  w.field_strings("modes", {"inference", "full", "lora", "qlora"});
  w.end_object();
  return w.take();
}

}  // namespace llmsizer
