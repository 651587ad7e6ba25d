// JSON parsing with errors as values; stable number printing.
#include "json_util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llmsizer {

Result<nlohmann::json> parse_json_text(const std::string& text, const char* what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based; nlohmann's message already says what token it expected.
    std::string msg = std::string(what) + " is not valid JSON (at byte " + std::to_string(e.byte) + "): ";
    std::string detail = e.what();
    const auto pos = detail.find("syntax error");
    msg += pos == std::string::npos ? detail : detail.substr(pos);
    return make_error(ErrorCode::kInvalidJson, msg);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidJson, std::string(what) + " could not be parsed: " + e.what());
  }
}

std::string describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an unexpected value";
  }
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
