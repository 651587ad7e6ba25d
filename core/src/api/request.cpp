// Request JSON text -> Request. The request fields live in one constant table (kFields) that also drives the
// CLI's flags and the catalogue's "fields" (the page's defaults and limits), so a key, its flag, its default
// and its validation can never drift apart.
#include "api/request_fields.h"

#include <cmath>

#include "api/resolve.h"
#include "json/json.h"
#include "json/util.h"
#include "json/writer.h"
#include "model/config.h"

namespace llmsizer {

namespace {

using json = JsonValue;

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
constexpr Target to_int(int64_t Request::*m) { return Target{m, nullptr, nullptr, nullptr}; }
constexpr Target to_num(double Request::*m) { return Target{nullptr, m, nullptr, nullptr}; }
constexpr Target to_str(std::string Request::*m) { return Target{nullptr, nullptr, m, nullptr}; }
constexpr Target to_bool(bool Request::*m) { return Target{nullptr, nullptr, nullptr, m}; }

struct Field {
  const char* key;
  FieldKind kind;
  double lo;         ///< numbers: the smallest value accepted
  double hi;         ///< numbers: the largest value accepted; strings: the longest (bytes)
  const char* help;
  Target set;        ///< empty for keys read by hand (config, safetensors, gguf)
};

// The request's fields, in help order; the default of each is Request{}'s (llmsizer/request.h).
constexpr Field kFields[] = {
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
    {"images", FieldKind::kInt, 0, 64, "images per request", to_int(&Request::images)},
    {"image_size", FieldKind::kString, 0, 16, "image WxH pixels", to_str(&Request::image_size)},
    // engine
    {"engine", FieldKind::kString, 0, 32, "generic|vllm|sglang|transformers|llama.cpp", to_str(&Request::engine)},
    {"gpu_memory_utilization", FieldKind::kNumber, 0.01, 1.0, "vLLM: fraction of GPU memory for the engine",
     to_num(&Request::gpu_memory_utilization)},
    {"max_model_len", FieldKind::kInt, 0, kMaxTokens, "vLLM: longest request (default: context)",
     to_int(&Request::max_model_len)},
    {"max_num_batched_tokens", FieldKind::kInt, 0, kMaxTokens, "vLLM: tokens per scheduler step",
     to_int(&Request::max_num_batched_tokens)},
    {"max_num_seqs", FieldKind::kInt, 0, 1e6, "vLLM: sequences per step", to_int(&Request::max_num_seqs)},
    {"limit_mm_per_prompt", FieldKind::kInt, -1, 999, "vLLM: images per prompt",
     to_int(&Request::limit_mm_per_prompt)},
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
    {"n_cpu_moe", FieldKind::kInt, 0, 100000,
     "llama.cpp --n-cpu-moe: routed experts of the first N layers stay in host memory (>= layers = --cpu-moe)",
     to_int(&Request::n_cpu_moe)},
    {"override_tensor", FieldKind::kString, 0, 4096,
     "llama.cpp -ot: PATTERN=BUFFER,... e.g. exps=CPU",
     to_str(&Request::override_tensor)},
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
    {"gguf_mmproj", FieldKind::kObject, 0, 0,
     "llama.cpp --mmproj: the projector's GGUF header(s), as gguf",
     Target{}},
    // serving engines: versions and engine-specific options
    {"vllm_version", FieldKind::kString, 0, 32, "vLLM whose memory rules apply (default 0.19; 0.4-0.19 known)",
     to_str(&Request::vllm_version)},
    {"vllm_offline", FieldKind::kBool, 0, 0, "vLLM: the offline LLM class's batch defaults",
     to_bool(&Request::vllm_offline)},
    {"vllm_estimate_cudagraphs", FieldKind::kBool, 0, 0,
     "vLLM: subtract the CUDA-graph estimate (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)",
     to_bool(&Request::vllm_estimate_cudagraphs)},
    {"vllm_v0", FieldKind::kBool, 0, 0, "vLLM 0.8-0.10: the V0 engine (VLLM_USE_V1=0); 0.4-0.7 always run V0",
     to_bool(&Request::vllm_v0)},
    {"kv_cache_memory_bytes", FieldKind::kInt, 0, 1e15, "vLLM: KV cache bytes per GPU, no profiling",
     to_int(&Request::kv_cache_memory_bytes)},
    {"cpu_offload_gb", FieldKind::kNumber, 0, 100000,
     "vLLM --cpu-offload-gb: GiB of weights per GPU in host memory",
     to_num(&Request::cpu_offload_gb)},
    {"transformers_version", FieldKind::kString, 0, 32, "transformers whose generate() rules apply (default 4.46)",
     to_str(&Request::transformers_version)},
    {"attention_implementation", FieldKind::kString, 0, 32,
     "transformers attn_implementation: sdpa|eager|flash_attention_2 (default: the version's for the family)",
     to_str(&Request::attention_implementation)},
    // recommendations
    {"recommend", FieldKind::kBool, 0, 0, "rank every GPU preset for this workload", to_bool(&Request::recommend)},
    {"recommend_vendor", FieldKind::kString, 0, 64, "recommendations: only this vendor", to_str(&Request::recommend_vendor)},
    {"recommend_market", FieldKind::kString, 0, 64, "recommendations: only this market",
     to_str(&Request::recommend_market)},
    {"recommend_min_memory_gib", FieldKind::kNumber, 0, 100000, "recommendations: per-GPU memory at least",
     to_num(&Request::recommend_min_memory_gib)},
    {"recommend_max_gpus", FieldKind::kInt, 1, 4096, "search layouts up to this many GPUs (default 64)",
     to_int(&Request::recommend_max_gpus)},
    {"target_tpot_ms", FieldKind::kNumber, 0, 1e6,
     "recommendations: the largest concurrency whose time per output token is at most this many ms (0 = none)",
     to_num(&Request::target_tpot_ms)},
    {"target_ttft_ms", FieldKind::kNumber, 0, 1e7,
     "recommendations: the largest concurrency whose time to first token is at most this many ms (0 = none)",
     to_num(&Request::target_ttft_ms)},
    {"gpu_hour_usd", FieldKind::kNumber, 0, 1e6,
     "recommendations: price of one GPU-hour in US dollars, for the cost per million output tokens (0 = none)",
     to_num(&Request::gpu_hour_usd)},
    // fine-tuning
    {"mode", FieldKind::kString, 0, 32, "inference|full|lora|qlora", to_str(&Request::mode)},
    // speed
    {"bandwidth_efficiency", FieldKind::kNumber, 0, 1.0,
     "speed: fraction of memory bandwidth reached (default: calibrated per GPU family)",
     to_num(&Request::bandwidth_efficiency)},
    {"prefill_efficiency", FieldKind::kNumber, 0, 1.0,
     "speed: fraction of peak FLOPS reached by prefill (default: calibrated per GPU family)",
     to_num(&Request::prefill_efficiency)},
    {"host_memory_bandwidth_gbps", FieldKind::kNumber, 0, 100000,
     "speed: host (CPU) memory bandwidth in GB/s for weights run from host memory (default: by platform)",
     to_num(&Request::host_memory_bandwidth_gbps)},
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
    {"training_mfu", FieldKind::kNumber, 0, 1.0, "training: fraction of the GPU's dense peak achieved (default: the calibrated step-time model)",
     to_num(&Request::training_mfu)},
    {"training_reserve", FieldKind::kNumber, 0, 0.9, "training: fraction of GPU memory kept free (default 0.05)",
     to_num(&Request::training_reserve)},
    {"optimizer_impl", FieldKind::kString, 0, 32,
     "training: torch.optim update path foreach|fused|for-loop (default foreach, torch's own default)",
     to_str(&Request::optimizer_impl)},
};

/// Every field's target is of its kind (set_field reads the value as that kind only after checking it).
constexpr bool targets_match_kinds() {
  for (const Field& f : kFields) {
    const int targets = (f.set.i != nullptr) + (f.set.d != nullptr) + (f.set.s != nullptr) + (f.set.b != nullptr);
    const bool ok = f.kind == FieldKind::kInt      ? f.set.i != nullptr && targets == 1
                    : f.kind == FieldKind::kNumber ? f.set.d != nullptr && targets == 1
                    : f.kind == FieldKind::kString ? f.set.s != nullptr && targets == 1
                    : f.kind == FieldKind::kBool   ? f.set.b != nullptr && targets == 1
                                                   : targets == 0;
    if (!ok) return false;
  }
  return true;
}
static_assert(targets_match_kinds(), "a request field's member pointer must be of the field's kind");

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
  if (f.set.i) r.*f.set.i = static_cast<int64_t>(v.get<double>());
  if (f.set.d) r.*f.set.d = v.get<double>();
  if (f.set.s) r.*f.set.s = v.get<std::string>();
  if (f.set.b) r.*f.set.b = v.get<bool>();
  return true;
}

}  // namespace

// Hub safetensors dtype names -> bytes per element.
double safetensors_dtype_bytes(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "F8_E4M3" || d == "F8_E5M2" || d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E8M0") return 1;
  if (d == "F4" || d == "F4_E2M1" || d == "I4" || d == "U4") return 0.5;
  return -1;
}

std::vector<FieldInfo> request_fields() {
  std::vector<FieldInfo> out;
  for (const Field& f : kFields) out.push_back({f.key, f.kind, f.help});
  return out;
}

namespace {

/// "config": config.json as an object, or its text; the value itself travels on (a pointer into the request's
/// document). An empty text means no config.
Result<bool> set_config(Request& r, const JsonRef& doc, const json& v) {
  if (v.is_string()) {
    if (!v.get_ref<const std::string&>().empty()) r.config = JsonRef(doc, &v);
  } else if (v.is_object()) {
    r.config = JsonRef(doc, &v);
  } else {
    return make_error(ErrorCode::kInvalidRequest, "'config' must be a config.json object or its text", "/config");
  }
  return true;
}

/// "gguf": one entry per part of the file (a list, or one entry alone): base64 header bytes, or a summary object.
Result<bool> set_gguf(std::vector<JsonRef>& out, const JsonRef& doc, const json& v, const std::string& key) {
  std::vector<const json*> parts;
  if (v.is_array()) {
    for (const json& x : v) parts.push_back(&x);
  } else {
    parts.push_back(&v);
  }
  if (parts.size() > 256) return make_error(ErrorCode::kInvalidRequest, "'" + key + "' lists more than 256 parts", "/" + key);
  for (size_t i = 0; i < parts.size(); ++i) {
    const json& x = *parts[i];
    if (!x.is_string() && !x.is_object()) {
      return make_error(ErrorCode::kInvalidRequest, "'" + key + "' entries must be base64 text or summary objects, not " + describe(x),
                        "/" + key + "/" + std::to_string(i));
    }
    out.push_back(JsonRef(doc, &x));
  }
  return true;
}

/// "safetensors": the Hub's exact parameter counts by dtype.
Result<bool> set_safetensors(Request& r, const json& v) {
  if (!v.is_object()) {
    return make_error(ErrorCode::kInvalidRequest, "'safetensors' must be an object of {dtype: count}", "/safetensors");
  }
  for (auto s = v.begin(); s != v.end(); ++s) {  // an object: checked above
    const json& n = s.value();
    if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<double>() > 1e15) {
      return make_error(ErrorCode::kInvalidRequest,
                        "safetensors count for '" + s.key() + "' must be a whole number in 0..1e15",
                        "/safetensors/" + s.key());
    }
    if (safetensors_dtype_bytes(s.key()) < 0) {
      return make_error(ErrorCode::kInvalidRequest,
                        "unknown safetensors dtype '" + s.key() + "' (expected BF16, F16, F32, F8_E4M3, I8, U8, I32, ...)",
                        "/safetensors/" + s.key());
    }
    r.safetensors[s.key()] = n.get<int64_t>();
  }
  return true;
}

const Field* find_field(const std::string& key) {
  for (const Field& f : kFields) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

const char* kind_key(FieldKind k) {
  switch (k) {
    case FieldKind::kInt: return "int";
    case FieldKind::kNumber: return "number";
    case FieldKind::kString: return "string";
    case FieldKind::kBool: return "bool";
    case FieldKind::kObject: return "object";
  }
  return "object";
}

}  // namespace

Result<Request> parse_request(const std::string& text) {
  auto limits = check_json_limits(text, kMaxRequestBytes, "the request");
  if (!limits.ok()) return limits.error();
  auto parsed = parse_json(text, "the request");
  if (!parsed.ok()) return parsed.error();
  const JsonRef doc = std::move(parsed).value();
  const json& j = *doc;
  if (!j.is_object()) {
    return make_error(ErrorCode::kNotAnObject, "the request must be a JSON object, not " + describe(j));
  }
  Request r;
  for (auto it = j.begin(); it != j.end(); ++it) {  // an object: checked above; members in document order
    const std::string& key = it.key();
    const json& v = it.value();
    const Field* f = find_field(key);
    if (!f) {
      return make_error(ErrorCode::kInvalidRequest,
                        "unknown request key '" + key + "' (see `llmsizer --help` for the accepted keys)", "/" + key);
    }
    if (v.is_null()) continue;  // null = default
    const Result<bool> ok = key == "config"        ? set_config(r, doc, v)
                            : key == "gguf"        ? set_gguf(r.gguf, doc, v, key)
                            : key == "gguf_mmproj" ? set_gguf(r.gguf_mmproj, doc, v, key)
                            : key == "safetensors" ? set_safetensors(r, v)
                                                   : set_field(r, *f, v);
    if (!ok.ok()) return ok.error();
  }
  return r;
}

void write_request_fields(JsonWriter& w) {
  const Request defaults;
  w.begin_array();
  for (const Field& f : kFields) {
    w.begin_object().field("key", f.key).field("kind", kind_key(f.kind));
    if (f.kind == FieldKind::kInt || f.kind == FieldKind::kNumber) w.field_number("min", f.lo).field_number("max", f.hi);
    if (f.kind == FieldKind::kString) w.field_number("max_length", f.hi);
    w.key("default");
    if (f.set.i) {
      w.value(defaults.*f.set.i);
    } else if (f.set.d) {
      w.value(defaults.*f.set.d);
    } else if (f.set.s) {
      w.value(defaults.*f.set.s);
    } else if (f.set.b) {
      w.value(defaults.*f.set.b);
    } else {
      w.null();  // config, safetensors, gguf: none
    }
    w.field("help", f.help).end_object();
  }
  w.end_array();
}

}  // namespace llmsizer
