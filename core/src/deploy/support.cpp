// Engine x hardware support: the first matching row of presets/engine_support.json (embedded as tables by
// cmake/embed_presets.py; builtin_support_rows() and builtin_engines() are defined in the generated source).
#include <algorithm>

#include "deploy/deploy.h"

namespace llmsizer::deploy {

namespace {

bool matches(const SupportRow& r, const GpuSpec& g) {
  if (!r.vendor.empty() && r.vendor != g.vendor) return false;
  if (!r.architectures.empty() &&
      std::find(r.architectures.begin(), r.architectures.end(), g.architecture) == r.architectures.end()) {
    return false;
  }
  // An unknown compute capability (0) never satisfies a minimum.
  if (r.min_compute_capability > 0 && !(g.compute_capability >= r.min_compute_capability)) return false;
  return true;
}

const SupportRow* first_match(const std::string& engine, const GpuSpec& gpu, const std::vector<SupportRow>& rows) {
  for (const SupportRow& r : rows) {
    if (r.engine == engine && matches(r, gpu)) return &r;
  }
  return nullptr;
}

bool known_engine(const std::string& engine, const std::vector<SupportRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [&](const SupportRow& r) { return r.engine == engine; });
}

}  // namespace

Support support(const std::string& engine, const GpuSpec& gpu, const std::vector<SupportRow>& rows) {
  Support s;
  if (!known_engine(engine, rows)) {
    s.reason = "no support data for engine '" + engine + "'";
    return s;
  }
  if (gpu.custom && gpu.vendor.empty()) {
    s.supported = true;
    s.note = "a custom GPU (memory size only): whether " + engine + " runs on it was not checked";
    return s;
  }
  const SupportRow* r = first_match(engine, gpu, rows);
  if (!r) {
    s.reason = "no " + engine + " support row matches " + (gpu.vendor.empty() ? std::string("this GPU") : gpu.vendor) +
               (gpu.architecture.empty() ? "" : " " + gpu.architecture);
    return s;
  }
  s.supported = r->supported;
  s.via = r->via;
  s.note = r->note;
  s.reason = r->reason;
  s.source = r->source;
  return s;
}

Fp8Kernels fp8_kernels(const std::string& engine, const GpuSpec& gpu, const std::vector<SupportRow>& rows) {
  const SupportRow* r = first_match(engine, gpu, rows);
  if (!r || !r->supported || (r->fp8_w8a8_min_cc <= 0 && r->fp8_weight_only_min_cc <= 0)) return Fp8Kernels::kUnknown;
  if (r->fp8_w8a8_min_cc > 0 && gpu.compute_capability >= r->fp8_w8a8_min_cc) return Fp8Kernels::kNative;
  if (r->fp8_weight_only_min_cc > 0 && gpu.compute_capability >= r->fp8_weight_only_min_cc) {
    return Fp8Kernels::kWeightOnly;
  }
  return Fp8Kernels::kNone;
}

const EngineInfo* engine_info(const std::string& engine, const std::vector<EngineInfo>& engines) {
  for (const EngineInfo& e : engines) {
    if (e.engine == engine) return &e;
  }
  return nullptr;
}

}  // namespace llmsizer::deploy
