// Request -> Resolved: the model (config.json, preset or GGUF header), the engine, the GPU, the layout, the
// precisions and the workload, with every default applied and every conflict reported.
#include "api/resolve.h"

#include "engines/checkpoint.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "api/request_fields.h"
#include "engines/checkpoint.h"
#include "engines/encoder.h"
#include "engines/engines.h"
#include "engines/llamacpp.h"
#include "engines/table.h"
#include "engines/tensor_override.h"
#include "engines/util.h"
#include "gguf/gguf.h"
#include "gguf/summary.h"
#include "json/util.h"
#if !LLMSIZER_LITE
#include "model/vision.h"
#endif
#include "model/config.h"

namespace llmsizer {

#if LLMSIZER_LITE
namespace {

/// The small module the page loads first (core/CMakeLists.txt, LLMSIZER_LITE) answers inference with the
/// generic and vLLM engines; anything that needs the parts it leaves out is sent to the full module. The
/// check looks only at the request, so the lite module answers exactly what the full one would or not at all.
std::string lite_unsupported(const Request& r) {
  const Request d;
  // Engines this module does not link (and names no module knows: the full one answers those).
  if (const auto id = engine_from_name(r.engine); !id || !find_engine(*id)) return "the " + r.engine + " engine";
  if (!r.gguf.empty() || !r.gguf_mmproj.empty()) return "GGUF files";
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
  if (r.ctx_size != d.ctx_size || r.np != d.np || r.ngl != d.ngl || r.n_cpu_moe != d.n_cpu_moe ||
      r.override_tensor != d.override_tensor || r.ctk != d.ctk || r.ctv != d.ctv ||
      r.ubatch != d.ubatch || r.n_batch != d.n_batch || r.flash_attn != d.flash_attn || r.swa_full != d.swa_full ||
      r.kv_unified != d.kv_unified) {
    return "llama.cpp options";
  }
  if (r.recommend) return "GPU recommendations";
  if (r.images != d.images || r.image_size != d.image_size) return "images";
  return {};
}

}  // namespace
#endif

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// A version the request gives ("0.19", "v0.10.1.1", "4.46.0") as major and minor.
Result<bool> read_version(const char* key, const std::string& text, int* major, int* minor) {
  if (!engine_util::parse_version(text, major, minor)) {
    return make_error(ErrorCode::kInvalidRequest,
                      std::string("'") + key + "' = '" + text + "' is not a version (write it as 0.19 or 4.46)",
                      std::string("/") + key);
  }
  return true;
}

/// A llama.cpp cache type from -ctk / -ctv, or nullptr when llama-server refuses the name.
const LlamaCppCacheType* llamacpp_cache_type(const std::string& name) {
  for (const LlamaCppCacheType& t : kLlamaCppCacheTypes) {
    if (lower(name) == t.name) return &t;
  }
  return nullptr;
}

/// The request's generic kv_dtype names mapped to llama.cpp cache types (8-bit -> q8_0, 4-bit -> q4_0).
GgmlType llamacpp_cache_type_of_dtype(const std::string& kv_dtype) {
  const std::string s = lower(kv_dtype);
  if (s == "fp32" || s == "float32") return GgmlType::kF32;
  if (s == "bf16" || s == "bfloat16") return GgmlType::kBF16;
  if (s == "fp8" || s == "int8" || s == "fp8_e4m3" || s == "fp8_e5m2") return GgmlType::kQ8_0;
  if (s == "int4") return GgmlType::kQ4_0;
  return GgmlType::kF16;
}

}  // namespace

Result<LlamaCppOptions> llamacpp_options(const Request& r) {
  LlamaCppOptions o;
  GgmlType* types[] = {&o.type_k, &o.type_v};
  const std::string* names[] = {&r.ctk, &r.ctv};
  for (int i = 0; i < 2; ++i) {
    if (names[i]->empty()) {
      if (!r.kv_dtype.empty() && r.kv_dtype != "auto") *types[i] = llamacpp_cache_type_of_dtype(r.kv_dtype);
      continue;
    }
    const LlamaCppCacheType* t = llamacpp_cache_type(*names[i]);
    if (!t) {
      return make_error(ErrorCode::kInvalidRequest,
                        "llama.cpp cache type '" + *names[i] +
                            "' is not one llama.cpp accepts: use f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0 or q5_1",
                        i == 0 ? "/ctk" : "/ctv");
    }
    *types[i] = t->type;
  }
  if (r.ngl < -1) return make_error(ErrorCode::kInvalidRequest, "'ngl' must be -1 (all) or 0 and up", "/ngl");
  o.ctx_size = r.ctx_size;
  o.np = r.np;
  o.ngl = r.ngl;
  o.n_cpu_moe = r.n_cpu_moe;
#if !LLMSIZER_LITE
  // Checked here; the llama.cpp engine reads in.request.override_tensor (engines/tensor_override.h). The lite
  // module sends llama.cpp requests to the full one (lite_unsupported): the matcher is not linked there.
  if (!r.override_tensor.empty()) {
    auto ot = parse_tensor_overrides(r.override_tensor);
    if (!ot.ok()) return ot.error();
  }
#endif
  o.n_batch_given = r.n_batch > 0;
  if (o.n_batch_given) o.n_batch = r.n_batch;
  o.n_ubatch_given = r.ubatch > 0;
  if (o.n_ubatch_given) o.n_ubatch = r.ubatch;
  o.flash_attn = r.flash_attn;
  o.swa_full = r.swa_full;
  o.kv_unified = r.kv_unified;
  if (r.overhead_gib >= 0) o.gpu_overhead_bytes = static_cast<int64_t>(r.overhead_gib * kGiB);
  return o;
}

Result<VllmSettings> vllm_settings(const Request& r) {
  VllmSettings s;
  auto v = read_version("vllm_version", r.vllm_version, &s.version_major, &s.version_minor);
  if (!v.ok()) return v.error();
  s.gpu_memory_utilization = r.gpu_memory_utilization;
  s.max_model_len = r.max_model_len;
  s.max_num_batched_tokens = r.max_num_batched_tokens;
  s.max_num_seqs = r.max_num_seqs;
  s.limit_mm_images = r.limit_mm_per_prompt;
  if (r.block_size > 0) s.block_size = r.block_size;
  s.enforce_eager = r.enforce_eager;
  s.kv_cache_memory_bytes = r.kv_cache_memory_bytes;
  s.cpu_offload_gb = r.cpu_offload_gb;
  s.offline = r.vllm_offline;
  s.estimate_cudagraphs = r.vllm_estimate_cudagraphs;
  s.use_v0 = r.vllm_v0;
  return s;
}

Result<TransformersOptions> transformers_options(const Request& r) {
  TransformersOptions o;
  auto v = read_version("transformers_version", r.transformers_version, &o.version_major, &o.version_minor);
  if (!v.ok()) return v.error();
  o.version = r.transformers_version;
  const std::string a = lower(r.attention_implementation);
  if (a.empty() || a == "auto" || a == "default") {
    o.attention = AttentionImpl::kDefault;
  } else if (a == "sdpa") {
    o.attention = AttentionImpl::kSdpa;
  } else if (a == "eager") {
    o.attention = AttentionImpl::kEager;
  } else if (a == "flash_attention_2" || a == "flash-attention-2" || a == "fa2") {
    o.attention = AttentionImpl::kFlashAttention2;
  } else {
    return make_error(ErrorCode::kInvalidRequest,
                      "'attention_implementation' = '" + r.attention_implementation +
                          "' is not one transformers runs here: use sdpa, eager or flash_attention_2",
                      "/attention_implementation");
  }
  return o;
}

namespace {

/// The model: a GGUF header, a config.json or a preset.
Result<bool> resolve_model(const Request& req, const Catalog& catalog, Resolved& out) {
  // ---- the model ----
  const JsonValue* config = req.config.get();  // config.json as given: an object, or its text
  if (!req.gguf.empty()) {
    // A GGUF file: the model and its exact weight bytes come from its header (no config.json needed).
    if (config || !req.model.empty()) {
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
  } else if (!config) {
    if (req.model.empty()) {
      return make_error(ErrorCode::kInvalidRequest,
                        "no model: give a config.json (--config PATH / \"config\") or a preset (--model ID)");
    }
    const ModelPreset* p = catalog.find_model(req.model);
    if (!p) {
      return make_error(ErrorCode::kUnknownModel,
                        "no model preset '" + req.model + "' (list them with `llmsizer --list-models`)", "/model");
    }
    config = p->config.get();
  } else if (!req.model.empty()) {
    return make_error(ErrorCode::kConflictingOptions, "give either a config or a model preset, not both", "/model");
  }
  if (!out.gguf) {
    auto spec = parse_config_value(*config);
    if (!spec.ok()) return spec.error();
    out.model = std::move(spec).value();
  }
  return true;
}

/// The engine and every engine's typed options.
Result<bool> resolve_engine(const Request& req, Resolved& out) {
  Inputs& in = out.inputs;
  const std::optional<EngineId> id = engine_from_name(req.engine);
  if (!id) {
    std::string list;
    for (const std::string& n : engine_names()) list += (list.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::kInvalidRequest, "unknown engine '" + req.engine + "': use " + list, "/engine");
  }
  in.engine = *id;
  // Every engine's options are checked whichever engine runs: a typo deserves an error.
  auto llama = llamacpp_options(req);
  if (!llama.ok()) return llama.error();
  in.llamacpp = llama.value();
#if !LLMSIZER_LITE
  // llama.cpp --mmproj (the lite module sends GGUF requests to the full one).
  if (!req.gguf_mmproj.empty()) {
    auto p = gguf_mmproj_from_request(req.gguf_mmproj);
    if (!p.ok()) return p.error();
    out.mmproj = std::make_shared<const GgufMmproj>(std::move(p).value());
    if (in.engine == EngineId::kLlamaCpp) {
      in.llamacpp.mmproj_bytes = out.mmproj->bytes;
      in.llamacpp.mmproj_parameters = out.mmproj->parameters;
    } else {
      out.warnings.push_back({"gguf_mmproj_ignored", "gguf_mmproj is llama.cpp's --mmproj: the " + req.engine +
                                                         " engine does not load it, so it adds nothing here"});
    }
  }
#endif
  auto vllm = vllm_settings(req);
  if (!vllm.ok()) return vllm.error();
  in.vllm = vllm.value();
  auto hf = transformers_options(req);
  if (!hf.ok()) return hf.error();
  in.transformers = hf.value();
  in.sglang.mem_fraction_static = req.mem_fraction_static;
  in.model_id = req.model_id.empty() ? req.model : req.model_id;
  in.gguf_file = out.gguf != nullptr;
  in.max_gpus = req.recommend_max_gpus;
  return true;
}

/// The GPU: a preset, a preset named by its exact memory, or a custom memory size.
Result<bool> resolve_gpu(const Request& req, const Catalog& catalog, Resolved& out) {
  Inputs& in = out.inputs;
  std::vector<std::string>& notes = out.assumptions;
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
  return true;
}

/// The layout: tensor x pipeline x data-parallel replicas, as the engine runs it.
Result<bool> resolve_layout(const Request& req, Resolved& out) {
  const ModelSpec& m = out.model;
  Inputs& in = out.inputs;
  const int64_t pp = std::max<int64_t>(1, req.pp);
  int64_t tp = req.tp;
  if (tp <= 0) tp = req.gpus > 0 ? std::max<int64_t>(1, req.gpus / pp) : 1;
  const int64_t gpus = req.gpus > 0 ? req.gpus : tp * pp;
  if (gpus % (tp * pp) != 0) {
    return make_error(ErrorCode::kConflictingOptions,
                      "'gpus' = " + std::to_string(gpus) + " is not a multiple of tp x pp = " + std::to_string(tp) +
                          " x " + std::to_string(pp) + ": choose tp and pp whose product divides the GPU count",
                      "/gpus");
  }
  if (pp > m.num_hidden_layers()) {
    return make_error(ErrorCode::kConflictingOptions,
                      "'pp' = " + std::to_string(pp) + " exceeds the model's " +
                          std::to_string(m.num_hidden_layers()) + " layers: use at most one pipeline stage per layer",
                      "/pp");
  }
  in.layout = Layout{tp, pp, gpus / (tp * pp)};
  // The layout the engine runs (llama.cpp: one pipeline stage per GPU).
  if (const auto run_layout = engine_of(in).run_layout) in.layout = run_layout(in.layout, m.num_hidden_layers());
  if (const std::string why = tp_problem(m, tp); !why.empty()) {
    out.warnings.push_back({"tp_not_dividing_heads", why + ": engines such as vLLM refuse this layout; the "
                                                           "estimate rounds the shards up"});
  }
  return true;
}

/// The precisions of the weights, the activations and the KV cache.
Result<bool> resolve_precision(const Request& req, Resolved& out) {
  const ModelSpec& m = out.model;
  Inputs& in = out.inputs;
  std::vector<std::string>& notes = out.assumptions;
  const Dtype ckpt = m.has_torch_dtype ? m.torch_dtype : Dtype::kBf16;
  if (req.dtype == "auto" || req.dtype.empty()) {
    if (m.has_quantization_config) {
      in.weights = m.quant;
      notes.push_back("weights: " + m.quant.label + " from the config's quantization_config");
    } else {
      // vLLM's dtype "auto" serves fp32 checkpoints in 16-bit (vllm/config/model.py _resolve_auto_dtype).
      // Encoders: fp16, text-embeddings-inference's CUDA default (--dtype float16), which every GPU runs.
      const bool encoder = m.kind == ModelKind::kEncoder;
      const Dtype d = ckpt == Dtype::kFp32 ? (encoder ? Dtype::kFp16 : Dtype::kBf16) : ckpt;
      in.weights = weight_format_from_name(dtype_name(d), d).value();
      notes.push_back(std::string("weights: ") + dtype_name(d) +
                      (ckpt == Dtype::kFp32 && encoder
                           ? " (config torch_dtype is float32; encoders are served in fp16, as text-embeddings-"
                             "inference does on GPUs)"
                       : ckpt == Dtype::kFp32 ? " (config torch_dtype is float32; served in bf16 as vLLM's auto does)"
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
  // A format the engine cannot make from this checkpoint on load: its command names a converted checkpoint.
  const ServedCheckpoint served = served_checkpoint(m, in, in.engine);
  if (served.needs_quantised_checkpoint) {
    in.command_model_id = served.repo;
    out.warnings.push_back(served.warning);
  }
  return true;
}

/// An encoder's workload: `batch` texts of `context` tokens each (default: the model's longest text, at most 512),
/// one forward, nothing generated; engines that cannot serve it are refused here (engines/encoder.cpp).
Result<bool> resolve_encoder_workload(const Request& req, Resolved& out) {
  const ModelSpec& m = out.model;
  Inputs& in = out.inputs;
  in.batch = req.batch;
  int64_t context = req.context > 0 ? req.context : req.input_tokens;
  if (context <= 0) {
    context = std::min<int64_t>(m.encoder.max_sequence > 0 ? m.encoder.max_sequence : 512, 512);
    out.assumptions.push_back("context: " + std::to_string(context) +
                              " tokens per text (default: the model's longest text, at most 512)");
  }
  in.context = context;
  in.input_tokens = context;
  in.output_tokens = 0;
  in.prefill_tokens = req.max_batched_tokens > 0 ? req.max_batched_tokens : 8192;
  if (auto problem = encoder_engine_problem(m, in)) return *problem;
  return true;
}

#if !LLMSIZER_LITE
/// "WxH" -> width and height in pixels (each 1..16384); false when it is not that.
bool parse_image_size(const std::string& text, int64_t* w, int64_t* h) {
  const size_t x = text.find_first_of("xX");
  if (x == std::string::npos || x == 0 || x + 1 >= text.size() || x > 5 || text.size() - x - 1 > 5) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != x && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  *w = std::stoll(text.substr(0, x));
  *h = std::stoll(text.substr(x + 1));
  return *w >= 1 && *h >= 1 && *w <= 16384 && *h <= 16384;
}

/// Images per request (vision-language models): each adds the family's image tokens to the prompt, so to
/// input_tokens and the context (KV cache, concurrency, prefill); Mllama's go to its cross-attention layers'
/// cache instead (model/memory.cpp). The lite module sends image requests to the full one (lite_unsupported).
Result<bool> resolve_images(const Request& req, Resolved& out) {
  Inputs& in = out.inputs;
  ModelSpec& m = out.model;
  int64_t w = 0, h = 0;
  if (!req.image_size.empty() && !parse_image_size(req.image_size, &w, &h)) {
    return make_error(ErrorCode::kInvalidRequest,
                      "image_size '" + req.image_size + "' must be WxH in pixels, e.g. 1024x768 (each side 1..16384)",
                      "/image_size");
  }
  if (m.vision.parameters <= 0) {
    // A warning, not an error: the page keeps the field when the model changes to a text-only one.
    if (req.images > 0) {
      out.warnings.push_back({"images_without_vision_tower",
                              "images ignored: this model has no vision tower (its config.json has no vision_config)"});
    }
    return true;
  }
  in.image = image_cost(m.vision, w, h);
  in.images = req.images;
  if (in.images <= 0) return true;
  const int64_t tokens = in.images * in.image.context_tokens;
  in.input_tokens += tokens;
  in.context += tokens;
  m.vision.cross_tokens = in.images * in.image.cross_tokens;
  out.assumptions.push_back(
      "images: " + std::to_string(in.images) + " of " + std::to_string(in.image.width) + "x" +
      std::to_string(in.image.height) + " px per request, " + std::to_string(in.image.context_tokens) +
      " tokens each (" + in.image.rule + "), added to input_tokens and the context" +
      (m.vision.cross_tokens > 0 ? "; the cross-attention layers cache " + std::to_string(m.vision.cross_tokens) +
                                       " image tokens per sequence"
                                 : std::string()));
  return true;
}

#endif

/// The workload: context, batch, prompt and output tokens, prefill step, multi-token prediction.
Result<bool> resolve_workload(const Request& req, Resolved& out) {
  const ModelSpec& m = out.model;
  Inputs& in = out.inputs;
  std::vector<std::string>& notes = out.assumptions;
  in.batch = req.batch;
  in.output_tokens = req.output_tokens;
  in.input_tokens = req.input_tokens;
  int64_t context = req.context;
  if (m.kind == ModelKind::kEncoder) return resolve_encoder_workload(req, out);
  if (context <= 0 && req.max_model_len > 0 && engine_of(in).max_model_len_is_context) {
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
#if !LLMSIZER_LITE  // the lite module refuses vision configs and image requests (lite_unsupported, config.cpp)
  if (auto im = resolve_images(req, out); !im.ok()) return im.error();
  context = in.context;
#endif
  if (m.max_position_embeddings > 0 && context > m.max_position_embeddings) {
    out.warnings.push_back({"context_beyond_max_position",
                            "context " + std::to_string(context) + " exceeds the model's max_position_embeddings (" +
                                std::to_string(m.max_position_embeddings) +
                                "): quality degrades and engines refuse it without rope scaling"});
  }
  in.prefill_tokens = req.max_batched_tokens > 0 ? req.max_batched_tokens : 8192;
  in.include_mtp = req.include_mtp;
  if (m.mtp_layers > 0) {
    notes.push_back(std::string("DeepSeek-V3 multi-token-prediction layer ") +
                    (req.include_mtp ? "included" : "not loaded (engines skip it unless speculative decoding uses it)") +
                    "; the Hub's parameter count includes it");
  }
  return true;
}

/// The generic engine's budget: reserve and overhead (its default depends on the GPU and the layout).
void resolve_generic(const Request& req, Inputs& in) {
  in.generic.reserve = req.reserve;
  in.generic.overhead_bytes = req.overhead_gib >= 0 ? static_cast<int64_t>(req.overhead_gib * kGiB)
                                                    : default_overhead_bytes(in.gpu, in.layout.tp);
}

/// Exact counts from the Hub's safetensors metadata.
void resolve_counts(const Request& req, Resolved& out) {
  Inputs& in = out.inputs;
  std::vector<std::string>& notes = out.assumptions;
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
}

}  // namespace

Result<Resolved> resolve(const Request& req, const Catalog& catalog) {
#if LLMSIZER_LITE
  if (const std::string what = lite_unsupported(req); !what.empty()) {
    return make_error(ErrorCode::kNeedsFullModule, what + " need the full module (the page loads it on demand)");
  }
#endif
  Resolved out;
  if (auto r = resolve_model(req, catalog, out); !r.ok()) return r.error();
  out.inputs.request = req;
  if (auto r = resolve_engine(req, out); !r.ok()) return r.error();
  if (auto r = resolve_gpu(req, catalog, out); !r.ok()) return r.error();
  if (auto r = resolve_layout(req, out); !r.ok()) return r.error();
  if (auto r = resolve_precision(req, out); !r.ok()) return r.error();
  if (auto r = resolve_workload(req, out); !r.ok()) return r.error();
  resolve_generic(req, out.inputs);
  resolve_counts(req, out);
  return out;
}

}  // namespace llmsizer
