// The concurrency that meets a latency target, and what serving costs.
#include <cmath>
#include <cstdio>

#include "deploy/deploy.h"

namespace llmsizer::deploy {

namespace {

bool meets(const LatencyPoint& p, double tpot_ms, double ttft_ms) {
  return (tpot_ms <= 0 || p.tpot_seconds * 1e3 <= tpot_ms) && (ttft_ms <= 0 || p.ttft_seconds * 1e3 <= ttft_ms);
}

LatencyPoint with_throughput(LatencyPoint p, int64_t concurrency) {
  // Decode throughput of `concurrency` requests each producing one token per TPOT.
  if (!(p.throughput_tokens_per_s > 0) && p.tpot_seconds > 0) {
    p.throughput_tokens_per_s = static_cast<double>(concurrency) / p.tpot_seconds;
  }
  return p;
}

// Milliseconds with at most two decimals and no trailing zeros: 10.5, 5, 0.13.
std::string ms_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", seconds * 1e3);
  std::string t = buf;
  while (!t.empty() && t.back() == '0') t.pop_back();
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t;
}

}  // namespace

TargetResult max_concurrency_at_target(const LatencyCurve& curve, int64_t max_concurrency, double target_tpot_ms,
                                       double target_ttft_ms) {
  TargetResult r;
  if (!curve || max_concurrency < 1) {
    r.reason = "no concurrency to search (the layout serves no request)";
    return r;
  }
  const LatencyPoint one = curve(1);
  ++r.evaluations;
  if (!meets(one, target_tpot_ms, target_ttft_ms)) {
    const bool tpot_fails = target_tpot_ms > 0 && one.tpot_seconds * 1e3 > target_tpot_ms;
    r.reason = tpot_fails ? "even one request at a time takes " + ms_text(one.tpot_seconds) +
                                " ms per output token, above the " + ms_text(target_tpot_ms / 1e3) + " ms target"
                          : "even one request at a time waits " + ms_text(one.ttft_seconds) +
                                " ms for its first token, above the " + ms_text(target_ttft_ms / 1e3) + " ms target";
    return r;
  }
  // Invariant: lo meets the targets (lo_point is its curve value); hi + 1 does not, or is beyond the maximum.
  int64_t lo = 1;
  LatencyPoint lo_point = one;
  int64_t hi = max_concurrency;
  if (hi > 1) {
    const LatencyPoint top = curve(hi);
    ++r.evaluations;
    if (meets(top, target_tpot_ms, target_ttft_ms)) {
      lo = hi;
      lo_point = top;
    } else {
      --hi;
    }
  }
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    const LatencyPoint p = curve(mid);
    ++r.evaluations;
    if (meets(p, target_tpot_ms, target_ttft_ms)) {
      lo = mid;
      lo_point = p;
    } else {
      hi = mid - 1;
    }
  }
  r.met = true;
  r.concurrency = lo;
  r.at = with_throughput(lo_point, lo);
  return r;
}

Result<Cost> serving_cost(double usd_per_gpu_hour, int64_t gpus, double output_tokens_per_s) {
  if (!(usd_per_gpu_hour >= 0) || !std::isfinite(usd_per_gpu_hour)) {
    return make_error(ErrorCode::kInvalidRequest, "the GPU-hour price must be a finite number of US dollars >= 0",
                      "/gpu_hour_usd");
  }
  if (gpus < 1) return make_error(ErrorCode::kInvalidRequest, "the deployment needs at least one GPU");
  if (!(output_tokens_per_s > 0) || !std::isfinite(output_tokens_per_s)) {
    return make_error(ErrorCode::kDoesNotFit,
                      "no output throughput to spread the price over (the layout serves no request)");
  }
  Cost c;
  c.usd_per_hour = usd_per_gpu_hour * static_cast<double>(gpus);
  c.usd_per_month = c.usd_per_hour * kHoursPerMonth;
  c.usd_per_million_output_tokens = c.usd_per_hour / (output_tokens_per_s * 3600.0) * 1e6;
  return c;
}

}  // namespace llmsizer::deploy
