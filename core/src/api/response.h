// Internal: the response writers (api/response.cpp).
#pragma once

#include <string>
#include <vector>

#include "api/estimate.h"
#include "api/how_sure.h"
#include "json/writer.h"
#include "llmsizer/result.h"
#include "recommend/recommend.h"

namespace llmsizer {

/// The "ok": true response up to (not including) "recommendations": model, memory, serving, speed, ...
void write_estimate(JsonWriter& w, const Estimate& e, const SpeedEstimate& s, const HowSure& h);
/// The "recommendations" array.
void write_recommendations(JsonWriter& w, const std::vector<Recommendation>& recs);
/// The "recommendations_excluded" array: [{gpu, name, reason}].
void write_excluded(JsonWriter& w, const std::vector<ExcludedGpu>& excluded);
/// {"ok": false, "error": {"code", "message", "path"?}}.
std::string error_json(const Error& err);

}  // namespace llmsizer
