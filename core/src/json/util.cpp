// JSON parsing with errors as values; stable number printing.
#include "json/util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llmsizer {

Result<Json> parse_json_text(const std::string& text, const char* what) {
  std::string error;
  size_t byte = 0;
  Json j = Json::parse(text, &error, &byte);
  if (error.empty()) return j;
  return make_error(ErrorCode::kInvalidJson,
                    std::string(what) + " is not valid JSON (at byte " + std::to_string(byte) + "): syntax error: " + error);
}

std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::Type::kNull: return "null";
    case Json::Type::kObject: return "an object";
    case Json::Type::kArray: return "an array";
    case Json::Type::kString: return "a string";
    case Json::Type::kBool: return "a boolean";
    case Json::Type::kInt:
    case Json::Type::kUint:
    case Json::Type::kFloat: return "a number";
  }
  return "an unexpected value";
}

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
