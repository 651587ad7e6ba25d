// Stable number printing (json/util.h).
#include "json/util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llmsizer {

std::string json_number_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

double stable(double x) {
  if (!std::isfinite(x) || x == 0) return x == 0 ? 0.0 : x;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return std::strtod(buf, nullptr);
}

}  // namespace llmsizer
