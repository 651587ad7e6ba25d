// Request JSON -> Request -> resolved Inputs -> Estimate -> response JSON.
//
// The request fields live in one table (kFields) that also drives the CLI's flags, so a key, its flag and
// its validation can never drift apart.
#include "llmsizer/api.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "engine_util.h"
#include "gguf_json.h"
#include "json_util.h"
#include "llmsizer/config.h"
#include "llmsizer/engines.h"
#include "llmsizer/gguf.h"
#include "llmsizer/llamacpp.h"
#include "llmsizer/recommend.h"
#include "llmsizer/speed.h"
#include "training_json.h"

namespace llmsizer {

const char* version() { return "0.1.0"; }

namespace {

using json = nlohmann::json;

// ----------------------------------------------------------------------------------------------
// Request fields
// ----------------------------------------------------------------------------------------------

struct Field {
  const char* key;
  FieldKind kind;
  double lo;
  double hi;
  const char* help;
  std::function<void(Request&, const json&)> set;
};

template <class T>
std::function<void(Request&, const json&)> to_int(T Request::*member) {
  return [member](Request& r, const json& v) { r.*member = static_cast<T>(v.get<double>()); };
}
std::function<void(Request&, const json&)> to_num(double Request::*member) {
  return [member](Request& r, const json& v) { r.*member = v.get<double>(); };
}
std::function<void(Request&, const json&)> to_str(std::string Request::*member) {
  return [member](Request& r, const json& v) { r.*member = v.get<std::string>(); };
}
std::function<void(Request&, const json&)> to_bool(bool Request::*member) {
  return [member](Request& r, const json& v) { r.*member = v.get<bool>(); };
}

constexpr double kMaxTokens = 1e8;  // beyond any model's context (Llama 4 Scout: 1e7)
constexpr const char* kDefaultGpu = "nvidia-h100-sxm";  // the GPU when the request names none

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      // model
      {"config", FieldKind::kObject, 0, 0, "config.json (object or JSON text); the CLI's --config takes a path", nullptr},
      {"model", FieldKind::kString, 0, 256, "a model preset id (presets/models.json), e.g. Qwen/Qwen2.5-7B-Instruct",
       to_str(&Request::model)},
      {"model_id", FieldKind::kString, 0, 256, "Hub repo id, for labels and launch commands", to_str(&Request::model_id)},
      {"revision", FieldKind::kString, 0, 256, "Hub revision", to_str(&Request::revision)},
      {"safetensors", FieldKind::kObject, 0, 0, "exact parameter counts by dtype from the Hub ({\"BF16\": n})", nullptr},
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
       nullptr},
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
      if (v.get_ref<const std::string&>().size() > static_cast<size_t>(f.hi)) return bad("is too long");
      break;
    case FieldKind::kBool:
      if (!v.is_boolean()) return bad("must be true or false, not " + describe(v));
      break;
    case FieldKind::kObject: break;
  }
  if (f.set) f.set(r, v);
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

json memory_json(const MemoryBreakdown& m) {
  return json{{"weights_bytes", m.weights_bytes},
              {"kv_cache_bytes", m.kv_cache_bytes},
              {"activations_bytes", m.activations_bytes},
              {"overhead_bytes", m.overhead_bytes},
              {"total_bytes", m.total_bytes()}};
}

json gpu_json(const GpuMemory& g) {
  json j = memory_json(g.memory);
  j["stage"] = g.stage;
  j["layers"] = json::array({g.first_layer, g.end_layer});
  j["weights_parameters"] = g.weights_parameters;
  j["kv_cache_bytes_per_token"] = g.kv_cache_bytes_per_token;
  j["kv_cache_bytes_per_sequence"] = g.kv_cache_bytes_per_sequence;
  j["gpu_memory_bytes"] = g.capacity_bytes;
  j["usable_bytes"] = g.usable_bytes;
  j["free_bytes"] = g.free_bytes;
  j["fits"] = g.free_bytes >= 0;
  j["max_concurrency"] = g.max_concurrency;
  return j;
}

json model_json(const Estimate& e) {
  const ModelSpec& m = e.model;
  const ParameterCounts& p = e.parameters;
  json j;
  j["id"] = e.inputs.request.model_id.empty() ? e.inputs.request.model : e.inputs.request.model_id;
  j["architecture"] = m.architecture;
  j["model_type"] = m.model_type;
  j["family"] = m.family;
  j["generic"] = m.generic;
  j["parameters"] = e.inputs.safetensors_parameters ? *e.inputs.safetensors_parameters : p.total;
  j["parameters_from_config"] = p.total;
  j["parameters_source"] = e.parameters_source;
  j["active_parameters"] = p.active;
  j["parameters_by_component"] = json{{"embeddings", p.embeddings}, {"attention", p.attention},
                                      {"mlp", p.mlp},               {"experts", p.experts},
                                      {"shared_experts", p.shared_experts}, {"router", p.router},
                                      {"norms", p.norms},           {"lm_head", p.lm_head},
                                      {"vision", p.vision}};
  j["mtp_parameters"] = p.mtp;
  j["num_hidden_layers"] = m.num_hidden_layers();
  j["hidden_size"] = m.hidden_size;
  j["vocab_size"] = m.vocab_size;
  j["max_position_embeddings"] = m.max_position_embeddings;
  j["tie_word_embeddings"] = m.tie_word_embeddings;
  j["torch_dtype"] = dtype_name(m.torch_dtype);
  j["attention"] = attention_kind(m);
  if (!m.layers.empty()) {
    const LayerSpec& l0 = m.layers.front();
    j["num_attention_heads"] = l0.attn.num_heads;
    j["num_key_value_heads"] = l0.attn.mla ? 1 : l0.attn.num_kv_heads;
    j["head_dim"] = l0.attn.head_dim;
    int64_t inter = 0;
    for (const LayerSpec& l : m.layers) inter = std::max(inter, l.mlp.intermediate_size);
    j["intermediate_size"] = inter;
    int64_t sliding = 0;
    int64_t window = 0;
    int64_t moe_layers = 0;
    const MlpSpec* moe = nullptr;
    for (const LayerSpec& l : m.layers) {
      if (l.attn.sliding_window > 0) {
        ++sliding;
        window = std::max(window, l.attn.sliding_window);
      }
      if (l.mlp.is_moe()) {
        ++moe_layers;
        if (!moe) moe = &l.mlp;
      }
    }
    j["sliding_window_layers"] = sliding;
    j["sliding_window"] = window;
    if (moe) {
      j["moe"] = json{{"experts", moe->num_experts},
                      {"experts_per_token", moe->experts_per_token},
                      {"expert_intermediate_size", moe->expert_intermediate_size},
                      {"shared_experts", moe->num_shared_experts},
                      {"moe_layers", moe_layers}};
    }
    if (l0.attn.mla) {
      j["mla"] = json{{"q_lora_rank", l0.attn.q_lora_rank},
                      {"kv_lora_rank", l0.attn.kv_lora_rank},
                      {"qk_nope_head_dim", l0.attn.qk_nope_head_dim},
                      {"qk_rope_head_dim", l0.attn.qk_rope_head_dim},
                      {"v_head_dim", l0.attn.v_head_dim}};
    }
  }
  if (m.has_quantization_config) j["quantization"] = m.quant.label;
  if (m.vision.parameters > 0) j["vision_note"] = m.vision.note;
  return j;
}

json step_json(const StepCost& c) {
  return json{{"weights_read_bytes", static_cast<int64_t>(std::llround(c.weight_bytes))},
              {"kv_cache_read_bytes", static_cast<int64_t>(std::llround(c.kv_bytes))},
              {"flops", stable(c.flops)},
              {"memory_seconds", stable(c.memory_s)},
              {"compute_seconds", stable(c.compute_s)},
              {"communication_seconds", stable(c.communication_s)},
              {"layer_overhead_seconds", stable(c.overhead_s)},
              {"seconds", stable(c.seconds)},
              {"bound", c.compute_bound ? "compute" : "memory"}};
}

// speed.*: TTFT, TPOT, latency, tokens/s, the bound, the constants used and the concurrency curve (speed.h).
json speed_json(const Estimate& e) {
  const SpeedEstimate s = estimate_speed(e.model, e.inputs, e.plan);
  const SpeedConstants& k = s.constants;
  json j;
  j["available"] = s.available;
  if (!s.available) {
    j["unavailable_reason"] = s.unavailable_reason;
    return j;
  }
  j["batch"] = s.batch;
  j["input_tokens"] = s.input_tokens;
  j["output_tokens"] = s.output_tokens;
  j["prefill_seconds"] = stable(s.prefill_seconds);
  j["ttft_seconds"] = stable(s.ttft_seconds);
  j["tpot_seconds"] = stable(s.tpot_seconds);
  j["e2e_latency_seconds"] = stable(s.e2e_latency_seconds);
  j["decode_tokens_per_second"] = stable(s.decode_tokens_per_second);
  j["throughput_tokens_per_second"] = stable(s.throughput_tokens_per_second);
  j["bound"] = s.bound;
  j["prefill_bound"] = s.prefill_bound;
  j["prefill_chunks"] = s.prefill_chunks;
  j["decode_step"] = step_json(s.decode);
  j["prefill_step"] = step_json(s.prefill);
  json curve = json::array();
  for (const SpeedPoint& p : s.curve) {
    curve.push_back(json{{"concurrency", p.concurrency},
                         {"ttft_seconds", stable(p.ttft_seconds)},
                         {"tpot_seconds", stable(p.tpot_seconds)},
                         {"per_user_tokens_per_second", stable(p.per_user_tokens_per_second)},
                         {"throughput_tokens_per_second", stable(p.throughput_tokens_per_second)},
                         {"decode_throughput_tokens_per_second", stable(p.decode_throughput_tokens_per_second)},
                         {"bound", p.compute_bound ? "compute" : "memory"}});
  }
  j["curve"] = curve;
  j["max_concurrency"] = stable(s.max_concurrency);
  j["assumptions"] = json{{"gpu", e.inputs.gpu.id},
                          {"gpu_family", k.gpu_family},
                          {"gpu_family_calibrated", k.gpu_family_calibrated},
                          {"engine", k.engine},
                          {"engine_calibrated", k.engine_calibrated},
                          {"compute_dtype", k.compute_dtype},
                          {"peak_tflops", stable(k.peak_flops_per_s / 1e12)},
                          {"memory_bandwidth_gbps", stable(k.bandwidth_bytes_per_s / 1e9)},
                          {"bandwidth_efficiency", stable(k.bandwidth_efficiency)},
                          {"quantized_read_efficiency", stable(k.quantized_read_efficiency)},
                          {"kv_read_factor", stable(k.kv_read_factor)},
                          {"prefill_efficiency", stable(k.prefill_efficiency)},
                          {"attention_efficiency", stable(k.attention_efficiency)},
                          {"decode_compute_efficiency", stable(k.decode_compute_efficiency)},
                          {"step_overhead_seconds", stable(k.step_overhead_s)},
                          {"layer_overhead_seconds", stable(k.layer_overhead_s)},
                          {"prefill_chunk_tokens", stable(k.prefill_chunk_tokens)},
                          {"interconnect", k.interconnect},
                          {"interconnect_gbps", stable(k.link_bytes_per_s / 1e9)},
                          {"collective_latency_seconds", stable(k.link_latency_s)},
                          {"notes", k.notes}};
  json warnings = json::array();
  for (const Warning& w : s.warnings) warnings.push_back(json{{"code", w.code}, {"message", w.message}});
  j["warnings"] = warnings;
  return j;
}

/// Whole numbers as JSON integers, others as doubles.
json number_json(double v) {
  if (v == std::floor(v) && std::abs(v) < 9e15) return static_cast<int64_t>(v);
  return stable(v);
}

json solves_json(const EngineSolves& s) {
  json j;
  j["batch"] = s.batch;
  j["context"] = s.context;
  json mc{{"tokens", s.max_context}, {"limit", s.max_context_limit}};
  if (!s.max_context_note.empty()) mc["note"] = s.max_context_note;
  j["max_context"] = mc;
  if (!s.knob.empty()) {
    json k{{"name", s.knob}};
    k["value"] = s.knob_value >= 0 ? json(stable(s.knob_value)) : json(nullptr);
    if (!s.knob_note.empty()) k["note"] = s.knob_note;
    j["knob"] = k;
  }
  json f{{"gpus", s.fewest_gpus}};
  if (s.fewest_gpus > 0) {
    f["tp"] = s.fewest_layout.tp;
    f["pp"] = s.fewest_layout.pp;
    f["dp"] = s.fewest_layout.dp;
  }
  if (!s.fewest_note.empty()) f["note"] = s.fewest_note;
  j["fewest_gpus"] = f;
  return j;
}

json recommendations_json(const std::vector<Recommendation>& recs) {
  json out = json::array();
  for (const Recommendation& r : recs) {
    out.push_back(json{{"gpu", r.gpu},
                       {"name", r.name},
                       {"vendor", r.vendor},
                       {"market", r.market},
                       {"memory_gib", stable(r.memory_gib)},
                       {"count", r.count},
                       {"tp", r.layout.tp},
                       {"pp", r.layout.pp},
                       {"dp", r.layout.dp},
                       {"max_concurrency", number_json(r.max_concurrency)},
                       {"headroom_bytes", r.headroom_bytes},
                       {"tokens_per_second", r.tokens_per_second ? json(stable(*r.tokens_per_second)) : json(nullptr)},
                       {"throughput_tokens_per_second",
                        r.throughput_tokens_per_second ? json(stable(*r.throughput_tokens_per_second)) : json(nullptr)}});
  }
  return out;
}

json estimate_json(const Estimate& e) {
  const Inputs& in = e.inputs;
  json out;
  out["ok"] = true;
  out["version"] = version();
  out["model"] = model_json(e);
  out["precision"] = json{{"weights", in.weights.label},
                          {"weights_method", quant_method_name(in.weights.method)},
                          {"compute", dtype_name(in.act_dtype)},
                          {"kv_cache", dtype_name(in.kv_dtype)}};
  out["layout"] = json{{"gpu", in.gpu.id},
                       {"gpu_name", in.gpu.name},
                       {"gpu_memory_bytes", in.gpu.memory_bytes()},
                       {"gpus", in.layout.gpus()},
                       {"tp", in.layout.tp},
                       {"pp", in.layout.pp},
                       {"dp", in.layout.dp}};
  out["workload"] = json{{"context", in.context},
                         {"batch", in.batch},
                         {"input_tokens", in.input_tokens},
                         {"output_tokens", in.output_tokens},
                         {"prefill_tokens", in.prefill_tokens},
                         {"reserve", stable(in.reserve)}};
  // memory.*: the binding GPU (least free memory) — the one that decides whether the deployment fits.
  const EnginePlan& plan = e.plan;
  static const GpuMemory kNone;  // a plan with no GPU (all layers on the CPU) reports zeros
  const GpuMemory& g = e.binding_gpu < plan.per_gpu.size() ? plan.per_gpu[e.binding_gpu] : kNone;
  json mem = memory_json(g.memory);
  mem["kv_cache_bytes_per_token"] = g.kv_cache_bytes_per_token;
  mem["kv_cache_bytes_per_sequence"] = g.kv_cache_bytes_per_sequence;
  mem["gpu_memory_bytes"] = g.capacity_bytes;
  mem["usable_bytes"] = g.usable_bytes;
  mem["reserve_bytes"] = g.capacity_bytes - g.usable_bytes;
  mem["free_bytes"] = g.free_bytes;
  mem["binding_stage"] = g.stage;
  json per = json::array();
  for (const GpuMemory& x : plan.per_gpu) per.push_back(gpu_json(x));
  mem["per_gpu"] = per;
  mem["all_gpus"] = memory_json(e.all_gpus);
  out["memory"] = mem;
  json serving;
  serving["engine"] = plan.engine;
  serving["fits"] = plan.fits;
  serving["margin_bytes"] = plan.margin_bytes;
  // Integral for engines that count whole sequences; vLLM logs fractions ("58.11x").
  if (plan.max_concurrency == std::floor(plan.max_concurrency) && std::abs(plan.max_concurrency) < 9e15) {
    serving["max_concurrency"] = static_cast<int64_t>(plan.max_concurrency);
  } else {
    serving["max_concurrency"] = stable(plan.max_concurrency);
  }
  serving["gpus_needed"] = e.gpus_needed;
  if (e.gpus_needed_layout) {
    serving["gpus_needed_layout"] = json{{"tp", e.gpus_needed_layout->tp},
                                         {"pp", e.gpus_needed_layout->pp},
                                         {"dp", e.gpus_needed_layout->dp}};
  }
  if (!e.gpus_needed_note.empty()) serving["gpus_needed_note"] = e.gpus_needed_note;
  if (plan.kv_cache_tokens >= 0) serving["kv_cache_tokens"] = plan.kv_cache_tokens;
  if (plan.kv_cache_blocks >= 0) serving["kv_cache_blocks"] = plan.kv_cache_blocks;
  if (plan.available_kv_cache_bytes >= 0) serving["available_kv_cache_bytes"] = plan.available_kv_cache_bytes;
  if (plan.max_model_len_that_fits >= 0) serving["max_model_len_that_fits"] = plan.max_model_len_that_fits;
  if (plan.system_ram_bytes > 0) serving["system_ram_bytes"] = plan.system_ram_bytes;
  if (!plan.startup_log.empty()) serving["startup_log"] = plan.startup_log;
  if (!plan.failure.empty()) serving["failure"] = plan.failure;
  if (!plan.launch_command.empty()) serving["launch_command"] = plan.launch_command;
  if (!plan.settings.empty()) {
    json st = json::object();
    for (const auto& [k, v] : plan.settings) st[k] = number_json(v);
    serving["settings"] = st;
  }
  serving["solves"] = solves_json(e.solves);
  json curve = json::array();
  for (const ContextPoint& p : e.context_curve) {
    json pt = {{"context", p.context},
               {"max_concurrency", number_json(std::floor(p.max_concurrency * 100.0 + 1e-9) / 100.0)},
               {"kv_cache_bytes_per_sequence", p.kv_cache_bytes_per_sequence},
               {"memory", memory_json(p.memory)},
               {"fits", p.fits}};
    curve.push_back(pt);
  }
  serving["context_curve"] = curve;
  out["serving"] = serving;
  out["speed"] = speed_json(e);
  out["recommendations"] = json::array();
  json warnings = json::array();
  for (const Warning& w : e.warnings) warnings.push_back(json{{"code", w.code}, {"message", w.message}});
  out["warnings"] = warnings;
  out["assumptions"] = e.assumptions;
  return out;
}

std::string error_json(const Error& err) {
  json e{{"code", error_code_name(err.code)}, {"message", err.message}};
  if (!err.path.empty()) e["path"] = err.path;
  return dump_json(json{{"ok", false}, {"version", version()}, {"error", e}});
}

}  // namespace

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
        r.config_text = dump_json(v);
      } else {
        return make_error(ErrorCode::kInvalidRequest, "'config' must be a config.json object or its text", "/config");
      }
      continue;
    }
    if (key == "gguf") {
      // One entry per part of the file: base64 header bytes, or a summary object (kept as JSON text).
      const json parts = v.is_array() ? v : json::array({v});
      if (parts.size() > 256) return make_error(ErrorCode::kInvalidRequest, "'gguf' lists more than 256 parts", "/gguf");
      for (size_t i = 0; i < parts.size(); ++i) {
        const json& x = parts[i];
        if (x.is_string()) {
          r.gguf.push_back(x.get<std::string>());
        } else if (x.is_object()) {
          r.gguf.push_back(dump_json(x));
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

Result<Resolved> resolve(const Request& req, const Catalog& catalog) {
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
    json out = estimate_json(e);
    out["training"] = std::move(training.value().section);
    if (r.gguf) out["gguf"] = gguf_section_json(*r.gguf);
    if (r.inputs.request.recommend) {
      out["recommendations"] = recommendations_json(recommend_gpus(r.model, r.inputs, catalog.gpus));
    }
    return dump_json(out);
  }, [](const char* what) {
    return error_json(make_error(ErrorCode::kInternal, std::string("internal error: ") + what));
  });
}

std::string handle_request(const std::string& request_text) {
  return handle_request(request_text, builtin_catalog());
}

std::string catalog_json(const Catalog& catalog) {
  return guarded([&]() -> std::string {
    json gpus = json::array();
    for (const GpuSpec& g : catalog.gpus) {
      json t = json::object();
      for (const auto& [k, v] : g.tflops) t[k] = v;
      gpus.push_back(json{{"id", g.id},
                          {"vendor", g.vendor},
                          {"name", g.name},
                          {"memory_gib", g.memory_gib},
                          {"memory_bytes", g.memory_bytes()},
                          {"memory_bandwidth_gbps", g.memory_bandwidth_gbps},
                          {"tflops", t},
                          {"interconnect", g.interconnect},
                          {"interconnect_gbps", g.interconnect_gbps},
                          {"architecture", g.architecture},
                          {"market", g.market}});
    }
    json models = json::array();
    for (const ModelPreset& p : catalog.models) {
      models.push_back(json{{"id", p.id}, {"name", p.name}, {"gated", p.gated}});
    }
    json out{{"ok", true}, {"version", version()}, {"gpus", gpus}, {"models", models}};
    // The serving engines the request's "engine" accepts: the page shows its engine selector from this.
    out["engines"] = engine_names();
    // The fine-tuning modes the request's "mode" accepts: the page shows its mode switch from this.
    out["modes"] = json::array({"inference", "full", "lora", "qlora"});
    return dump_json(out);
  }, [](const char* what) { return error_json(make_error(ErrorCode::kInternal, what)); });
}

}  // namespace llmsizer
