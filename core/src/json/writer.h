// Internal: a small streaming JSON writer for the core's responses.
//
// Responses are built field by field straight into text instead of through nlohmann::json values: in the
// WebAssembly module every nlohmann initializer list costs hundreds of bytes of code, and the page's budget
// is 150 KB gzipped in all. Numbers print exactly as nlohmann/json prints them (its Grisu2 to_chars), keys
// keep the order they are written in, and strings are escaped as JSON requires, invalid UTF-8 replaced by
// U+FFFD (nlohmann's error_handler_t::replace), so the text is the same natively and in WebAssembly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace llmsizer {

/// The length of the well-formed UTF-8 sequence that starts at s[i] (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
size_t utf8_sequence_length(std::string_view s, size_t i);

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(4096); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(double d);  ///< non-finite values print as null (as nlohmann does)
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  JsonWriter& value(T v) {
    return integer(static_cast<int64_t>(v));
  }
  JsonWriter& null();
  /// A whole number as an integer, anything else as a double (concurrency: 47, or 58.11).
  JsonWriter& number(double d);
  /// Already-serialised JSON text (trusted: produced by this writer or nlohmann).
  JsonWriter& raw(std::string_view json_text);
  JsonWriter& strings(const std::vector<std::string>& list);
  JsonWriter& value(const std::vector<std::string>& list) { return strings(list); }

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& field_number(std::string_view k, double d) {
    key(k);
    return number(d);
  }
  JsonWriter& field_null(std::string_view k) {
    key(k);
    return null();
  }
  JsonWriter& field_strings(std::string_view k, const std::vector<std::string>& list) {
    key(k);
    return strings(list);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  JsonWriter& integer(int64_t v);
  void separate();  ///< a comma before every element but the first of its container

  std::string out_;
  std::vector<bool> first_;   ///< per open container: no element written yet
  bool after_key_ = false;    ///< the next value belongs to a key just written
};

}  // namespace llmsizer
