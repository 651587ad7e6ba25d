// The core's JSON reading path (core/src/json/read.h): nlohmann/json's SAX parser into ordered_json values, and
// syntax errors in the core's words with the byte where the text went wrong.
#include <gtest/gtest.h>

#include <string>

#include "json/json.h"

namespace llmsizer {
namespace {

const JsonValue& parse_ok(const std::string& text, JsonRef* keep) {
  auto r = parse_json(text, "the text");
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  *keep = r.ok() ? r.value() : std::make_shared<const JsonValue>();
  return **keep;
}

TEST(JsonRead, ScalarsContainersAndDocumentOrder) {
  JsonRef keep;
  const JsonValue& j = parse_ok(R"( {"b": 1, "a": -2, "c": 2.5, "d": true, "e": null, "f": "x", "g": [1, [2]], "h": {}} )", &keep);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 8u);
  EXPECT_TRUE(json_member(j, "b")->is_number_unsigned());  // non-negative integers are unsigned
  EXPECT_EQ(json_member(j, "b")->get<int64_t>(), 1);
  EXPECT_FALSE(json_member(j, "a")->is_number_unsigned());
  EXPECT_EQ(json_member(j, "a")->get<int64_t>(), -2);
  EXPECT_TRUE(json_member(j, "c")->is_number_float());
  EXPECT_EQ(json_member(j, "c")->get<double>(), 2.5);
  EXPECT_TRUE(json_member(j, "d")->get<bool>());
  EXPECT_TRUE(json_member(j, "e")->is_null());
  EXPECT_EQ(json_member(j, "f")->get<std::string>(), "x");
  EXPECT_EQ(json_element(*json_element(*json_member(j, "g"), 1), 0)->get<int64_t>(), 2);
  EXPECT_EQ(json_member(j, "missing"), nullptr);
  EXPECT_EQ(json_member(*json_member(j, "g"), "b"), nullptr);  // not an object: no member, no abort
  EXPECT_EQ(json_element(*json_member(j, "g"), 2), nullptr);   // out of range
  EXPECT_EQ(json_element(j, 0), nullptr);                      // not an array
  // Members keep document order (ordered_json), as the first unknown request key relies on.
  std::string keys;
  for (const auto& kv : j.items()) keys += kv.key();
  EXPECT_EQ(keys, "bacdefgh");
  EXPECT_EQ(describe(*json_member(j, "c")), "a number");
  EXPECT_EQ(describe(*json_member(j, "h")), "an object");
  EXPECT_EQ(describe(*json_member(j, "e")), "null");
}

TEST(JsonRead, NumbersAtTheEdges) {
  JsonRef k;
  EXPECT_EQ(parse_ok("9223372036854775807", &k).get<int64_t>(), INT64_MAX);
  EXPECT_EQ(parse_ok("-9223372036854775808", &k).get<int64_t>(), INT64_MIN);
  EXPECT_EQ(parse_ok("18446744073709551615", &k).get<uint64_t>(), UINT64_MAX);
  // Beyond 64 bits: a double.
  EXPECT_TRUE(parse_ok("18446744073709551616", &k).is_number_float());
  EXPECT_EQ(parse_ok("18446744073709551616", &k).get<double>(), 18446744073709551616.0);
  EXPECT_EQ(parse_ok("1e12", &k).get<double>(), 1e12);
  EXPECT_EQ(parse_ok("0.1", &k).get<double>(), 0.1);  // correctly rounded
}

TEST(JsonRead, StringsEscapesAndUnicode) {
  JsonRef k;
  EXPECT_EQ(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")", &k).get<std::string>(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_ok(R"("\u00e9\u20ac")", &k).get<std::string>(), "\xC3\xA9\xE2\x82\xAC");          // é €
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")", &k).get<std::string>(), "\xF0\x9F\x98\x80");               // 😀
  EXPECT_EQ(parse_ok("\"\xE6\x97\xA5\xE6\x9C\xAC\"", &k).get<std::string>(), "\xE6\x97\xA5\xE6\x9C\xAC");  // raw UTF-8
}

TEST(JsonRead, RepeatedKeyKeepsTheLastAndByteOrderMarkIsSkipped) {
  JsonRef k;
  const JsonValue& j = parse_ok(R"({"a": 1, "b": 0, "a": 2})", &k);
  EXPECT_EQ(json_member(j, "a")->get<int64_t>(), 2);
  EXPECT_EQ(j.begin().key(), "a");  // in its first place
  EXPECT_EQ(json_member(parse_ok("\xEF\xBB\xBF{\"a\": 3}", &k), "a")->get<int64_t>(), 3);
}

TEST(JsonRead, SyntaxErrorsInTheCoresWordsAtTheirByte) {
  // Expected messages and bytes: what the core's own parser (core/src/json/value.cpp, before nlohmann) said for
  // each text, so the switch to nlohmann changed no message. A NUL byte ends nothing: nlohmann's lexer would
  // take it for the end of the input, parse_json refuses it where it stands.
  struct Case {
    std::string text;
    size_t byte;
    const char* message;
  };
  const Case cases[] = {
      {std::string("", 0), 1, "expected a value, found end of input"},
      {std::string(" ", 1), 2, "expected a value, found end of input"},
      {std::string("nope", 4), 1, "invalid literal near 'n'"},
      {std::string("tru", 3), 1, "invalid literal near 't'"},
      {std::string("{} x", 4), 4, "unexpected characters after the end of the JSON value"},
      {std::string("[1 2]", 5), 4, "expected ',' or ']' in an array, found '2'"},
      {std::string("NaN", 3), 1, "expected a value, found 'N'"},
      {std::string("01", 2), 2, "unexpected characters after the end of the JSON value"},
      {std::string("1.", 2), 3, "invalid number: expected a digit after '.'"},
      {std::string("-", 1), 2, "invalid number: expected a digit, found end of input"},
      {std::string("1e", 2), 3, "invalid number: expected a digit in the exponent"},
      {std::string("1e+", 3), 4, "invalid number: expected a digit in the exponent"},
      {std::string("{'a': 1}", 8), 2, "expected a key string, found '''"},
      {std::string("{\"a\": 1,}", 9), 9, "expected a key string, found '}'"},
      {std::string("2e+30000", 8), 1, "number out of range: 2e+30000"},
      {std::string("{\"a\" 1}", 7), 6, "expected ':' after a key, found '1'"},
      {std::string("{\"a\":}", 6), 6, "expected a value, found '}'"},
      {std::string("[1,]", 4), 4, "expected a value, found ']'"},
      {std::string("{\"a\"", 4), 5, "expected ':' after a key, found end of input"},
      {std::string("\"abc", 4), 5, "unterminated string"},
      {std::string("\"a\\", 3), 4, "unterminated escape"},
      {std::string("\"a\\x\"", 5), 4, "invalid escape \\x"},
      {std::string("\"\\u12G4\"", 8), 6, "invalid \\u escape: expected four hex digits"},
      {std::string("\"\\u12", 5), 4, "truncated \\u escape"},
      {std::string("\"\\ud83d\"", 8), 8, "a high surrogate \\u escape without its low surrogate"},
      {std::string("\"\\ud83d\\n\"", 10), 8, "a high surrogate \\u escape without its low surrogate"},
      {std::string("\"\\ud83d\\u0041\"", 14), 14, "a high surrogate \\u escape without its low surrogate"},
      {std::string("\"\\ude00\"", 8), 8, "a lone low surrogate \\u escape"},
      {std::string("\"\xC0""\xAF""\"", 4), 2, "invalid UTF-8 in a string"},
      {std::string("\"\xED""\xA0""\x80""\"", 5), 2, "invalid UTF-8 in a string"},
      {std::string("\"\xF5""\x80""\x80""\x80""\"", 6), 2, "invalid UTF-8 in a string"},
      {std::string("\"\x80""\"", 3), 2, "invalid UTF-8 in a string"},
      {std::string("\"a\x0A""b\"", 5), 3, "control character in a string (escape it)"},
      {std::string("\xEF""\xBB""{}", 4), 1, "expected a value, found byte 0xef"},
      {std::string("[\x01""]", 3), 2, "expected a value, found byte 0x01"},
      {std::string("{\"a\":1}}", 8), 8, "unexpected characters after the end of the JSON value"},
      {std::string("{\"a\":[1,2}", 10), 10, "expected ',' or ']' in an array, found '}'"},
      {std::string("{\"a\",1}", 7), 5, "expected ':' after a key, found ','"},
      {std::string("[true false]", 12), 7, "expected ',' or ']' in an array, found 'f'"},
      {std::string("[nul]", 5), 2, "invalid literal near 'n'"},
      {std::string("{} 12", 5), 4, "unexpected characters after the end of the JSON value"},
      {std::string("\"\xC3""\x9C""\x80""\"", 5), 4, "invalid UTF-8 in a string"},
      {std::string("\"\\u5 -\"", 7), 5, "invalid \\u escape: expected four hex digits"},
      {std::string("{\"model\": \"meta-llama/Llama-2-7b-hf\", \"context\": 4096,\x0A""", 55), 56, "expected a key string, found end of input"},
      {std::string("null\x00""x", 6), 5, "unexpected characters after the end of the JSON value"},
      {std::string("{\"a\":\x00""}", 7), 6, "expected a value, found byte 0x00"},
      {std::string("\"a\x00""b\"", 5), 3, "control character in a string (escape it)"},
      {std::string("-111111111111111111111111111111111111111111111e999", 50), 1, "number out of range: -111111111111111111111111111111111111111..."},
      // Tokens that hold nlohmann's own words: only its message, never the token's text, is read.
      {std::string("[\"; expected end of input\x01""\"]", 28), 26, "control character in a string (escape it)"},
      {std::string("[\"- invalid string\"x]", 21), 20, "expected ',' or ']' in an array, found 'x'"},
      {std::string("[\"unexpected number literal\" 1e999]", 35), 30, "expected ',' or ']' in an array, found '1'"},
      {std::string("{\"a\":1} \"x; expected end of input", 33), 9, "unexpected characters after the end of the JSON value"}
  };
  for (const Case& c : cases) {
    auto r = parse_json(c.text, "the text");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidJson);
    EXPECT_EQ(r.error().message, "the text is not valid JSON (at byte " + std::to_string(c.byte) +
                                     "): syntax error: " + c.message)
        << c.text;
  }
}

}  // namespace
}  // namespace llmsizer
