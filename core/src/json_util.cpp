// JSON parsing with errors as values; stable number printing.
#include "json_util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llmsizer {

namespace {

// Records the first syntax error: parse errors are reported through the SAX interface, so this works with
// and without C++ exceptions (JSON_NOEXCEPTION in the WebAssembly build).
class ErrorCapture : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    byte = position;
    detail = ex.what();
    return false;
  }
  std::size_t byte = 0;
  std::string detail;
};

}  // namespace

Result<nlohmann::json> parse_json_text(const std::string& text, const char* what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) return j;
  // Second pass only on failure, to say where and why (nlohmann's message names the token it expected).
  ErrorCapture err;
  nlohmann::json::sax_parse(text, &err);
  std::string msg = std::string(what) + " is not valid JSON (at byte " + std::to_string(err.byte) + "): ";
  const auto pos = err.detail.find("syntax error");
  msg += pos == std::string::npos ? err.detail : err.detail.substr(pos);
  return make_error(ErrorCode::kInvalidJson, msg);
}

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

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
