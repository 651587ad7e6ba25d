// The pipeline: request JSON -> Request (api/request.cpp) -> Resolved (api/resolve.cpp) -> Estimate
// (api/estimate.cpp) -> response JSON (api/response.cpp); and the catalogue the page's pickers read.
#include "llmsizer/api.h"

#include "api/how_sure.h"
#include "api/request_fields.h"
#include "api/resolve.h"
#include "api/response.h"
#include "json/util.h"
#include "json/writer.h"
#include "engines/engines.h"
#include "engines/util.h"
#include "gguf/gguf.h"
#include "gguf/summary.h"
#include "recommend/recommend.h"
#include "speed/speed.h"
#include "training/training_json.h"

namespace llmsizer {

const char* version() { return "0.1.0"; }

// Declared in training_json.h; defined here because the lite core (without training_json.cpp) prints it too.
std::string inference_training_section_json() {
  return JsonWriter()
      .begin_object()
      .field("mode", "inference")
      .field("note", "set --mode full, lora or qlora for a fine-tuning estimate")
      .end_object()
      .take();
}

#if !LLMSIZER_LITE  // the lite module reads no GGUF (resolve.cpp lite_unsupported)
/// A model read from a GGUF counts the file's tensor elements (model.parameters, source "gguf"); when they
/// differ from the count the architecture's metadata gives, an assumption says by how much and which tensors
/// account for it (Llama 3's rope_freqs: the RoPE frequency factors stored as a 64-element tensor,
/// llama.cpp src/llama-model.cpp LLM_TENSOR_ROPE_FREQS).
void note_gguf_parameters(const GgufModel& g, Estimate& e) {
  using engine_util::with_commas;
  e.parameters_source = "gguf";
  e.gguf_parameters = g.weights.parameters;
  const int64_t diff = g.weights.parameters - e.parameters.total;
  if (diff == 0) return;
  std::string extra;
  for (const GgufFile& part : g.parts) {
    for (const GgufTensorInfo& t : part.tensors) {
      if (t.name.rfind("blk.", 0) == 0 || t.name.rfind("token_embd", 0) == 0 || t.name.rfind("output", 0) == 0) {
        continue;
      }
      extra += (extra.empty() ? "" : ", ") + t.name + " (" + with_commas(t.elements()) + ")";
    }
  }
  e.assumptions.push_back("parameters: " + with_commas(g.weights.parameters) + " elements in the GGUF file's " +
                          with_commas(g.weights.tensors) + " tensors, " + with_commas(diff > 0 ? diff : -diff) +
                          (diff > 0 ? " more" : " fewer") + " than the " + with_commas(e.parameters.total) +
                          " counted from its architecture metadata" +
                          (extra.empty() ? "" : "; tensors outside the layers, embeddings and output: " + extra));
}

#endif

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
#if !LLMSIZER_LITE
    if (r.gguf) note_gguf_parameters(*r.gguf, e);
#endif
    e.warnings.insert(e.warnings.end(), r.warnings.begin(), r.warnings.end());
    e.warnings.insert(e.warnings.end(), training.value().warnings.begin(), training.value().warnings.end());
    if (r.model.kind == ModelKind::kEncoder && r.inputs.request.recommend) {
      e.warnings.push_back({"recommendations_not_for_encoders",
                            "GPU recommendations rank KV-cache capacity and are not made for encoders: one GPU of "
                            "almost any size holds an encoder, and texts per forward scale with its memory"});
    }
    if (r.model.kind == ModelKind::kEncoder && r.inputs.request.mode != "inference") {
      e.warnings.push_back({"encoder_training_as_decoder",
                            "fine-tuning an encoder is estimated with the decoder rules (a loss over the vocabulary "
                            "for every token): treat the training figures as an upper bound"});
    }
    e.assumptions.insert(e.assumptions.begin(), r.assumptions.begin(), r.assumptions.end());
    const SpeedEstimate speed = estimate_speed(e.model, e.inputs, e.plan);
    const HowSure sure = how_sure(e, speed, training.value());
    JsonWriter w;
    write_estimate(w, e, speed, sure);
    Recommendations recs;
    // Encoders have no KV cache for the ranking to size: no recommendations (a warning says so).
    if (r.inputs.request.recommend && r.model.kind != ModelKind::kEncoder) {
      recs = recommend_gpus(r.model, r.inputs, catalog.gpus);
    }
    w.key("recommendations");
    write_recommendations(w, recs.items);
    w.key("recommendations_excluded");
    write_excluded(w, recs.excluded);
    w.key("training").raw(training.value().section);
    if (r.gguf) w.key("gguf").raw(gguf_section_json(*r.gguf));
#if !LLMSIZER_LITE
    if (r.mmproj) w.key("mmproj").raw(mmproj_section_json(*r.mmproj));
#endif
    w.key("bands");
    write_bands(w, sure);
    w.key("how_sure");
    write_how_sure(w, sure);
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
    // Node shape and links (presets/gpus.json; deploy/ uses them for layouts and communication).
    w.field("memory_basis", g.memory_basis)
        .field("compute_capability", g.compute_capability)
        .field("gpus_per_node", g.gpus_per_node)
        .field("scale_up_domain", g.scale_up_domain)
        .field("intra_node_link", g.intra_node_link)
        .field("intra_node_gbps", g.intra_node_gbps)
        .field("inter_node_link", g.inter_node_link)
        .field("inter_node_gbps", g.inter_node_gbps);
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
  // Every request field with its kind, limits, default and help: the page takes its defaults and limits from
  // here instead of mirroring request.h.
  w.key("fields");
  write_request_fields(w);
  w.end_object();
  return w.take();
}

}  // namespace llmsizer
