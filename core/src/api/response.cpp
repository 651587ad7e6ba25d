// Estimate -> response JSON: the sections of the CLI's --json contract (README "JSON contract"), written with
// the streaming JsonWriter so numbers print identically natively and in WebAssembly.
#include "api/response.h"

#include "llmsizer/api.h"

#include <cmath>

#include "engines/encoder.h"
#include "engines/engines.h"
#include "json/util.h"
#include "speed/speed.h"

namespace llmsizer {

namespace {

// ----------------------------------------------------------------------------------------------
// Response
// ----------------------------------------------------------------------------------------------

void write_memory(JsonWriter& w, const MemoryBreakdown& m) {
  w.field("weights_bytes", m.weights_bytes)
      .field("kv_cache_bytes", m.kv_cache_bytes)
      .field("activations_bytes", m.activations_bytes)
      .field("overhead_bytes", m.overhead_bytes);
#if !LLMSIZER_LITE  // llama.cpp is not in the lite module
  if (m.mmproj_bytes > 0) w.field("mmproj_bytes", m.mmproj_bytes);  // llama.cpp --mmproj, its own row
#endif
  w.field("total_bytes", m.total_bytes());
}

/// memory.breakdown: the binding GPU's total by what it holds, text vs vision weights and activations (the vision
/// rows are 0 without a tower, and on GPUs of later pipeline stages). The rows add up to total_bytes.
void write_breakdown(JsonWriter& w, const MemoryBreakdown& m) {
  // The same total by what it holds: text vs vision weights and activations (the vision rows are 0 without a tower).
  w.key("breakdown").begin_object();
  w.field("text_weights_bytes", m.weights_bytes - m.vision_weights_bytes)
      .field("vision_weights_bytes", m.vision_weights_bytes)
      .field("kv_cache_bytes", m.kv_cache_bytes)
      .field("activations_bytes", m.activations_bytes - m.vision_activations_bytes)
      .field("vision_activations_bytes", m.vision_activations_bytes)
      .field("overhead_bytes", m.overhead_bytes)
      .field("mmproj_bytes", m.mmproj_bytes);  // llama.cpp --mmproj: the projector file, a row of its own
  w.end_object();
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
  w.field("id", e.inputs.model_id)
      .field("architecture", m.architecture)
      .field("model_type", m.model_type)
      .field("family", m.family)
      .field("kind", model_kind_name(m.kind))
      .field("generic", m.generic)
      .field("parameters", e.gguf_parameters            ? *e.gguf_parameters
                           : e.inputs.safetensors_parameters ? *e.inputs.safetensors_parameters
                                                             : p.total)
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
  if (m.kind == ModelKind::kEncoder) w.field("head", p.head);
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
  if (m.kind == ModelKind::kEncoder) {
    const EncoderSpec& x = m.encoder;
    w.key("encoder").begin_object();
    w.field("head", x.head)
        .field("positions", x.positions)
        .field("max_sequence", x.max_sequence)
        .field("position_offset", x.position_offset)
        .field("pooler", x.has_pooler)
        .field("num_labels", x.num_labels);
    w.end_object();
  }
#if !LLMSIZER_LITE  // no vision towers in the lite module
  if (m.vision.parameters > 0) {
    // The vision tower (model/vision.cpp): its layout, parameters, and one image at the default size.
    const VisionSpec& v = m.vision;
    w.key("vision").begin_object();
    w.field("family", v.family)
        .field("exact", v.exact)
        .field("tower_parameters", v.tower_parameters)
        .field("projector_parameters", v.projector_parameters)
        .field("hidden_size", v.hidden)
        .field("layers", v.layers)
        .field("patch_size", v.patch)
        .field("default_image_size", std::to_string(v.default_width) + "x" + std::to_string(v.default_height));
    if (!v.cross_attention_layers.empty()) {
      w.field("cross_attention_layers", static_cast<int64_t>(v.cross_attention_layers.size()));
    }
    w.end_object();
  }
#endif
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
void write_speed(JsonWriter& w, const Estimate& e, const SpeedEstimate& s) {
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
      .field("prefill_chunks", s.prefill_chunks)
      .field("host_bound", s.host_bound)
      .field("tpot_fast_host_seconds", stable(s.tpot_fast_host_seconds))
      .field("tpot_slow_host_seconds", stable(s.tpot_slow_host_seconds));
  if (s.host_offload) {
    // Weights run from host memory (speed/offload.h): bytes, the bandwidth used and the seconds they add.
    w.key("host_offload").begin_object();
    w.field("layer_weight_bytes", e.plan.host.layer_weight_bytes)
        .field("expert_weight_bytes", e.plan.host.expert_weight_bytes)
        .field("kv_bytes", e.plan.host.kv_bytes)
        .field("host_memory_bandwidth_gbps", stable(s.host_bandwidth_bytes_per_s / 1e9))
        .field("host_memory_bandwidth_basis", s.host_bandwidth_basis)
        .field("decode_seconds", stable(s.host_decode_seconds))
        .field("prefill_seconds", stable(s.host_prefill_seconds));
#if !LLMSIZER_LITE  // vLLM is not in the lite module
    if (e.plan.host.pcie_weight_bytes > 0) {
      // vLLM --cpu-offload-gb: bytes per GPU (summed over pipeline stages) read over PCIe every forward.
      w.field("pcie_weight_bytes", e.plan.host.pcie_weight_bytes)
          .field("host_to_gpu_gbps", stable(s.host_upload_bytes_per_s / 1e9));
    }
#endif
    w.end_object();
  }
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
      .field("layer_overhead_fast_host_seconds", stable(k.layer_overhead_fast_s))
      .field("layer_overhead_slow_host_seconds", stable(k.layer_overhead_slow_s))
      .field("step_overhead_fast_host_seconds", stable(k.step_overhead_fast_s))
      .field("step_overhead_slow_host_seconds", stable(k.step_overhead_slow_s))
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

/// speed.* of an encoder: one forward per batch of texts, in sequences/s (engines/encoder.h EncoderSpeed).
void write_encoder_speed(JsonWriter& w, const Estimate& e) {
  const EncoderSpeed s = encoder_speed(e.model, e.inputs);
  w.begin_object();
  w.field("available", s.available).field("kind", "encoder");
  if (!s.available) {
    w.field("unavailable_reason", s.unavailable_reason).end_object();
    return;
  }
  w.field("batch", s.batch)
      .field("tokens_per_text", s.tokens_per_text)
      .field("forwards", s.forwards)
      .field("seconds", stable(s.seconds))
      .field("sequences_per_second", stable(s.sequences_per_second))
      .field("tokens_per_second", stable(s.tokens_per_second))
      .field("flops", stable(s.flops))
      .field("compute_seconds", stable(s.compute_seconds))
      .field("memory_seconds", stable(s.memory_seconds))
      .field("overhead_seconds", stable(s.overhead_seconds))
      .field("bound", s.compute_bound ? "compute" : "memory");
  w.key("assumptions").begin_object();
  w.field("gpu", e.inputs.gpu.id)
      .field("engine", e.plan.engine)
      .field("peak_tflops", stable(s.peak_tflops))
      .field("memory_bandwidth_gbps", stable(s.memory_bandwidth_gbps))
      .field("prefill_efficiency", stable(s.prefill_efficiency))
      .field("attention_efficiency", stable(s.attention_efficiency))
      .field_strings("notes", s.notes);
  w.end_object();
  w.end_object();
}

/// serving.* of an encoder: fits, texts per forward, the launch command of each engine that serves it.
void write_encoder_serving(JsonWriter& w, const Estimate& e) {
  const EnginePlan& plan = e.plan;
  w.begin_object();
  w.field("engine", plan.engine)
      .field("fits", plan.fits)
      .field("margin_bytes", plan.margin_bytes)
      .field_number("max_concurrency", plan.max_concurrency)
      .field("max_concurrent_sequences", static_cast<int64_t>(std::floor(plan.max_concurrency + 1e-9)))
      .field("gpus_needed", e.gpus_needed);
  if (e.gpus_needed_layout) {
    w.key("gpus_needed_layout").begin_object();
    w.field("tp", e.gpus_needed_layout->tp).field("pp", e.gpus_needed_layout->pp).field("dp", e.gpus_needed_layout->dp);
    w.end_object();
  }
  if (!e.gpus_needed_note.empty()) w.field("gpus_needed_note", e.gpus_needed_note);
  if (!plan.failure.empty()) w.field("failure", plan.failure);
  if (!plan.launch_command.empty()) w.field("launch_command", plan.launch_command);
  w.key("commands").begin_object();
  for (const auto& [engine, cmd] : encoder_commands(e.model, e.inputs)) w.field(engine, cmd);
  w.end_object();
  if (!plan.settings.empty()) {
    w.key("settings").begin_object();
    for (const auto& [k, v] : plan.settings) w.field_number(k, v);
    w.end_object();
  }
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

/// serving.*: the engine's plan (fits, concurrency, KV pool, start-up log, launch command, settings), the reverse
/// solves and the context curve.
void write_serving(JsonWriter& w, const Estimate& e, const HowSure& h) {
  const EnginePlan& plan = e.plan;
  w.begin_object();
  w.field("engine", plan.engine);
  if (!plan.engine_rules.empty()) w.field("engine_rules", plan.engine_rules);
  w.field("fits", plan.fits)
      // On the band (api/how_sure.h): "fits" / "may not fit" / "does not fit".
      .field("verdict", fit_verdict_name(h.verdict))
      .field("margin_bytes", plan.margin_bytes)
      // Integral for engines that count whole sequences; vLLM logs fractions ("58.11x").
      .field_number("max_concurrency", plan.max_concurrency == std::floor(plan.max_concurrency)
                                           ? plan.max_concurrency
                                           : stable(plan.max_concurrency))
      // Whole sequences that run at once: the number to plan with (a 0.15 of a sequence does not run).
      .field("max_concurrent_sequences", static_cast<int64_t>(std::floor(plan.max_concurrency + 1e-9)))
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
  if (!plan.max_model_len_failure.empty()) w.field("max_model_len_failure", plan.max_model_len_failure);
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
}

}  // namespace

namespace {

void write_optional(JsonWriter& w, const char* key, const std::optional<double>& v) {
  if (v) {
    w.field(key, stable(*v));
  } else {
    w.field_null(key);
  }
}

/// The latency target, the cost and the launch commands of one recommendation (recommend.h).
void write_deployment(JsonWriter& w, const Recommendation& r) {
  if (r.target) {
    const deploy::TargetResult& t = r.at_target;
    w.field("concurrency_at_target", t.concurrency);
    if (t.met) {
      w.field("tpot_seconds_at_target", stable(t.at.tpot_seconds))
          .field("ttft_seconds_at_target", stable(t.at.ttft_seconds))
          .field("throughput_tokens_per_second_at_target", stable(t.at.throughput_tokens_per_s));
    } else {
      w.field_null("tpot_seconds_at_target")
          .field_null("ttft_seconds_at_target")
          .field_null("throughput_tokens_per_second_at_target")
          .field("target_note", t.reason);
    }
  }
  if (r.cost) {
    w.field("cost_per_hour_usd", stable(r.cost->usd_per_hour))
        .field("cost_per_month_usd", stable(r.cost->usd_per_month))
        .field("cost_per_million_output_tokens_usd", stable(r.cost->usd_per_million_output_tokens));
  }
  if (!r.curve.empty()) {
    // Tokens/s each user sees and tokens/s per GPU of the deployment (output, prefill included), by users at once.
    w.key("curve").begin_array();
    for (const SpeedPoint& p : r.curve) {
      w.begin_object()
          .field("concurrency", p.concurrency)
          .field("tokens_per_second_per_user", stable(p.per_user_tokens_per_second))
          .field("tokens_per_second_per_gpu", stable(p.throughput_tokens_per_second / static_cast<double>(r.count)))
          .end_object();
    }
    w.end_array();
  }
  w.key("launch_commands").begin_array();
  for (const deploy::NodeCommand& c : r.launch_commands) {
    w.begin_object().field("node", c.node).field("role", c.role).field("command", c.command).end_object();
  }
  w.end_array();
}

}  // namespace

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
        .field("nodes", r.nodes)
        .field("gpus_per_node", r.gpus_per_node)
        .field("tp", r.layout.tp)
        .field("pp", r.layout.pp)
        .field("dp", r.layout.dp)
        .field("conventional", r.conventional)
        .field("tp_link", r.tp_link)
        .field("pp_link", r.pp_link)
        .field("support_via", r.support_via);
    if (!r.support_note.empty()) w.field("support_note", r.support_note);
    w.field_number("max_concurrency", r.max_concurrency).field("headroom_bytes", r.headroom_bytes);
    write_optional(w, "tokens_per_second", r.tokens_per_second);
    write_optional(w, "throughput_tokens_per_second", r.throughput_tokens_per_second);
    write_optional(w, "throughput_tokens_per_second_per_gpu", r.throughput_per_gpu);
    write_deployment(w, r);
    w.end_object();
  }
  w.end_array();
}

void write_excluded(JsonWriter& w, const std::vector<ExcludedGpu>& excluded) {
  w.begin_array();
  for (const ExcludedGpu& x : excluded) {
    w.begin_object().field("gpu", x.gpu).field("name", x.name).field("reason", x.reason).end_object();
  }
  w.end_array();
}

/// The response's sections up to (not including) the closing brace, so callers can append more.
void write_estimate(JsonWriter& w, const Estimate& e, const SpeedEstimate& s, const HowSure& h) {
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
      .field("reserve", stable(in.generic.reserve));
#if !LLMSIZER_LITE
  if (e.model.vision.parameters > 0) {
    // Images per request: input_tokens and context above include image_tokens (resolve.cpp resolve_images).
    const ImageCost& c = in.image;
    w.key("images").begin_object();
    w.field("count", in.images)
        .field("image_size", std::to_string(c.width) + "x" + std::to_string(c.height))
        .field("tokens_per_image", c.context_tokens)
        .field("image_tokens", in.images * c.context_tokens)
        .field("cross_attention_tokens_per_image", c.cross_tokens)
        .field("encoder_patches_per_image", c.encoder_tokens)
        .field("rule", c.rule);
    w.end_object();
  }
#endif
  w.end_object();
  // memory.*: the binding GPU (least free memory) — the one that decides whether the deployment fits.
  const EnginePlan& plan = e.plan;
  static const GpuMemory kNone;  // a plan with no GPU (all layers on the CPU) reports zeros
  const GpuMemory& g = e.binding_gpu < plan.per_gpu.size() ? plan.per_gpu[e.binding_gpu] : kNone;
  w.key("memory").begin_object();
  write_memory(w, g.memory);
  write_breakdown(w, g.memory);
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
  const bool encoder = e.model.kind == ModelKind::kEncoder;
  w.key("serving");
  if (encoder) {
    write_encoder_serving(w, e);
  } else {
    write_serving(w, e, h);
  }
  w.key("speed");
  if (encoder) {
    write_encoder_speed(w, e);
  } else {
    write_speed(w, e, s);
  }
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

}  // namespace llmsizer
