// Internal: small helpers the training sources share (text case, rounding up a division, GiB labels).
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "llmsizer/gpu.h"

namespace llmsizer {
namespace training_util {

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// bytes / n rounded up to whole bytes (n <= 1: bytes unchanged).
inline double ceil_div(double bytes, int64_t n) {
  return n <= 1 ? bytes : std::ceil(bytes / static_cast<double>(n));
}

inline std::string fmt_gib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / kGiB);
  return buf;
}

}  // namespace training_util
}  // namespace llmsizer
