// GPU recommendations (recommend.h): the fewest GPUs of each preset that serve the workload.
#include "recommend/recommend.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "engines/util.h"
#include "speed/speed.h"

namespace llmsizer {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<Recommendation> recommend_gpus(const ModelSpec& m, const Inputs& in, const std::vector<GpuSpec>& gpus) {
  const Request& r = in.request;
  // Weights per rank do not depend on the GPU: one cache for every preset.
  engine_util::RankWeightsCache cache(m, in);
  const double scale = engine_util::safetensors_scale(m, in);
  const int64_t limit = std::max<int64_t>(1, in.max_gpus);
  const std::string vendor = lower(r.recommend_vendor);
  const std::string market = lower(r.recommend_market);
  std::vector<Recommendation> out;
  Inputs x = in;
  for (const GpuSpec& g : gpus) {
    if (g.memory_gib <= 0) continue;
    if (!vendor.empty() && lower(g.vendor) != vendor) continue;
    if (!market.empty() && lower(g.market) != market) continue;
    if (g.memory_gib < r.recommend_min_memory_gib) continue;
    x.gpu = g;
    Capacity c;
    const auto l = engine_util::fewest_gpus_cached(m, x, cache, scale, in.batch, in.context, limit, &c);
    if (!l) continue;
    Recommendation rec;
    rec.gpu = g.id;
    rec.name = g.name;
    rec.vendor = g.vendor;
    rec.market = g.market;
    rec.memory_gib = g.memory_gib;
    rec.count = l->gpus();
    rec.layout = *l;
    // Two decimals, rounded down (vLLM logs two; never overstate what fits).
    rec.max_concurrency = std::floor(c.max_concurrency * 100.0 + 1e-9) / 100.0;
    rec.headroom_bytes = c.headroom_bytes;
    // Speed on this layout for the request's batch (the curve only needs to reach the batch).
    x.layout = *l;
    EnginePlan at_batch;
    at_batch.max_concurrency = static_cast<double>(std::max<int64_t>(1, in.batch));
    const SpeedEstimate s = estimate_speed(m, x, at_batch);
    if (s.available) {
      rec.tokens_per_second = s.decode_tokens_per_second;
      rec.throughput_tokens_per_second = s.throughput_tokens_per_second;
    }
    out.push_back(rec);
  }
  std::stable_sort(out.begin(), out.end(), [](const Recommendation& a, const Recommendation& b) {
    if (a.count != b.count) return a.count < b.count;
    if (a.headroom_bytes != b.headroom_bytes) return a.headroom_bytes > b.headroom_bytes;
    return a.gpu < b.gpu;
  });
  return out;
}

}  // namespace llmsizer
