// The preset catalogue: presets/gpus.json and presets/models.json, parsed and validated.
#include <algorithm>
#include <cmath>
#include <set>

#include "json/json.h"
#include "model/config.h"
#include "llmsizer/gpu.h"

namespace llmsizer {

// Generated at build time from presets/*.json (cmake/embed_presets.cmake).
extern const char* const kEmbeddedGpusJson;
extern const char* const kEmbeddedModelsJson;

namespace {

using json = JsonValue;

Error preset_error(const std::string& file, size_t index, const std::string& what) {
  return make_error(ErrorCode::kInvalidValue, file + " entry " + std::to_string(index) + ": " + what,
                    "/" + std::to_string(index));
}

}  // namespace

const GpuSpec* Catalog::find_gpu(const std::string& id) const {
  for (const GpuSpec& g : gpus) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

const ModelPreset* Catalog::find_model(const std::string& id) const {
  for (const ModelPreset& m : models) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

Result<std::vector<GpuSpec>> parse_gpu_catalog(const std::string& text) {
  auto parsed = parse_json(text, "gpus.json");
  if (!parsed.ok()) return parsed.error();
  const json& j = *parsed.value();
  if (!j.is_array()) return make_error(ErrorCode::kNotAnObject, "gpus.json must be an array of GPU objects");
  std::vector<GpuSpec> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = *json_element(j, i);
    if (!e.is_object()) return preset_error("gpus.json", i, "not an object");
    GpuSpec g;
    auto str = [&](const char* k) -> std::string {
      const json* v = json_member(e, k);
      return v && v->is_string() ? v->get<std::string>() : std::string();
    };
    auto num = [&](const char* k) -> double {
      const json* v = json_member(e, k);
      return v && v->is_number() ? v->get<double>() : 0.0;
    };
    g.id = str("id");
    g.vendor = str("vendor");
    g.name = str("name");
    g.memory_gib = num("memory_gib");
    g.memory_bandwidth_gbps = num("memory_bandwidth_gbps");
    g.interconnect = str("interconnect");
    g.interconnect_gbps = num("interconnect_gbps");
    g.market = str("market");
    g.architecture = str("architecture");
    g.memory_basis = str("memory_basis");
    if (const json* ns = json_member(e, "nvswitch"); ns && ns->is_boolean()) g.nvswitch = ns->get<bool>();
    g.pcie_gen = static_cast<int64_t>(num("pcie_gen"));
    g.source = str("source");
    // Node shape and links (deploy/): absent keys keep GpuSpec's defaults (an unknown node).
    g.compute_capability = num("compute_capability");
    g.gpus_per_node = static_cast<int64_t>(num("gpus_per_node"));
    g.scale_up_domain = std::max<int64_t>(1, static_cast<int64_t>(num("scale_up_domain")));
    g.intra_node_link = str("intra_node_link");
    g.intra_node_gbps = num("intra_node_gbps");
    g.inter_node_link = str("inter_node_link");
    g.inter_node_gbps = num("inter_node_gbps");
    if (g.id.empty()) return preset_error("gpus.json", i, "missing id");
    if (!ids.insert(g.id).second) return preset_error("gpus.json", i, "duplicate id '" + g.id + "'");
    if (!(g.memory_gib > 0 && g.memory_gib < 10000)) {
      return preset_error("gpus.json", i, "'" + g.id + "' memory_gib must be in (0, 10000)");
    }
    if (!(g.memory_bandwidth_gbps >= 0 && g.memory_bandwidth_gbps < 1e6)) {
      return preset_error("gpus.json", i, "'" + g.id + "' memory_bandwidth_gbps out of range");
    }
    if (const json* t = json_member(e, "tflops"); t && t->is_object()) {
      for (auto it = t->begin(); it != t->end(); ++it) {
        if (it.value().is_number()) {
          const double v = it.value().get<double>();
          if (!(v >= 0 && v < 1e6)) return preset_error("gpus.json", i, "'" + g.id + "' tflops." + it.key() + " out of range");
          g.tflops[it.key()] = v;
        }
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<ModelPreset>> parse_model_catalog(const std::string& text) {
  auto parsed = parse_json(text, "models.json");
  if (!parsed.ok()) return parsed.error();
  const JsonRef doc = std::move(parsed).value();
  const json& j = *doc;
  if (!j.is_array()) return make_error(ErrorCode::kNotAnObject, "models.json must be an array of model objects");
  std::vector<ModelPreset> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = *json_element(j, i);
    if (!e.is_object()) return preset_error("models.json", i, "not an object");
    ModelPreset p;
    const json* it = json_member(e, "id");
    if (!it || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return preset_error("models.json", i, "missing id");
    }
    p.id = it->get<std::string>();
    if (!ids.insert(p.id).second) return preset_error("models.json", i, "duplicate id '" + p.id + "'");
    if (const json* n = json_member(e, "name"); n && n->is_string()) p.name = n->get<std::string>();
    if (const json* s = json_member(e, "source"); s && s->is_string()) p.source = s->get<std::string>();
    if (const json* g = json_member(e, "gated"); g && g->is_boolean()) p.gated = g->get<bool>();
    const json* c = json_member(e, "config");
    if (!c || !c->is_object()) return preset_error("models.json", i, "'" + p.id + "' has no config object");
    p.config = JsonRef(doc, c);  // the value itself, never re-serialised
    out.push_back(std::move(p));
  }
  return out;
}

const Catalog& builtin_catalog() {
  // Parsed once; immutable afterwards. A malformed embedded preset is a build error caught by
  // tests/presets_test.cpp, so failures here leave the lists empty rather than abort.
  static const Catalog catalog = [] {
    Catalog c;
    if (auto g = parse_gpu_catalog(kEmbeddedGpusJson); g.ok()) c.gpus = std::move(g).value();
    if (auto m = parse_model_catalog(kEmbeddedModelsJson); m.ok()) c.models = std::move(m).value();
    return c;
  }();
  return catalog;
}

}  // namespace llmsizer
