// The core's JSON parser (core/src/json_value.h): RFC 8259 conformance, and agreement with nlohmann/json
// (the reference implementation the core used before) on every JSON file of the project.
#include <gtest/gtest.h>

#include <dirent.h>

#include <nlohmann/json.hpp>

#include "json/value.h"
#include "test_util.h"

namespace llmsizer {
namespace {

Json parse_ok(const std::string& text) {
  std::string err;
  size_t byte = 0;
  Json j = Json::parse(text, &err, &byte);
  EXPECT_TRUE(err.empty()) << text << ": " << err;
  return j;
}

std::string parse_error(const std::string& text, size_t* byte = nullptr) {
  std::string err;
  size_t b = 0;
  Json::parse(text, &err, &b);
  EXPECT_FALSE(err.empty()) << "accepted: " << text;
  if (byte) *byte = b;
  return err;
}

TEST(JsonValue, ScalarsAndContainers) {
  const Json j = parse_ok(R"( {"a": 1, "b": -2, "c": 2.5, "d": true, "e": null, "f": "x", "g": [1, [2]], "h": {}} )");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 8u);
  EXPECT_TRUE(j["a"].is_number_unsigned());  // non-negative integers are unsigned, as in nlohmann
  EXPECT_EQ(j["a"].get<int64_t>(), 1);
  EXPECT_TRUE(j["b"].is_number_integer());
  EXPECT_FALSE(j["b"].is_number_unsigned());
  EXPECT_EQ(j["b"].get<int64_t>(), -2);
  EXPECT_TRUE(j["c"].is_number_float());
  EXPECT_EQ(j["c"].get<double>(), 2.5);
  EXPECT_TRUE(j["d"].get<bool>());
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_EQ(j["f"].get<std::string>(), "x");
  EXPECT_EQ(j["g"][1][0].get<int64_t>(), 2);
  EXPECT_TRUE(j["h"].is_object());
  EXPECT_TRUE(j["missing"].is_null());
  EXPECT_EQ(j.find("missing"), j.end());
  // Members keep document order; iteration gives key() and value().
  std::string keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys += it.key();
  EXPECT_EQ(keys, "abcdefgh");
}

TEST(JsonValue, NumbersAtTheEdges) {
  EXPECT_EQ(parse_ok("9223372036854775807").get<int64_t>(), INT64_MAX);
  EXPECT_EQ(parse_ok("-9223372036854775808").get<int64_t>(), INT64_MIN);
  EXPECT_EQ(parse_ok("18446744073709551615").get<uint64_t>(), UINT64_MAX);
  // Beyond 64 bits: a double (nlohmann does the same).
  const Json big = parse_ok("18446744073709551616");
  EXPECT_TRUE(big.is_number_float());
  EXPECT_EQ(big.get<double>(), 18446744073709551616.0);
  EXPECT_TRUE(parse_ok("1e12").is_number_float());
  EXPECT_EQ(parse_ok("1e12").get<double>(), 1e12);
  EXPECT_EQ(parse_ok("-0.0").get<double>(), 0.0);
  EXPECT_EQ(parse_ok("0.1").get<double>(), 0.1);  // correctly rounded (strtod)
}

TEST(JsonValue, StringsEscapesAndUnicode) {
  EXPECT_EQ(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")").get<std::string>(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_ok(R"("\u00e9\u20ac")").get<std::string>(), "\xC3\xA9\xE2\x82\xAC");          // é €
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").get<std::string>(), "\xF0\x9F\x98\x80");               // 😀
  EXPECT_EQ(parse_ok("\"\xE6\x97\xA5\xE6\x9C\xAC\"").get<std::string>(), "\xE6\x97\xA5\xE6\x9C\xAC");  // raw UTF-8
  parse_error(R"("\ud83d")");             // lone high surrogate
  parse_error(R"("\ude00")");             // lone low surrogate
  parse_error("\"\xC0\xAF\"");            // overlong
  parse_error("\"\xED\xA0\x80\"");        // encoded surrogate
  parse_error("\"\xF5\x80\x80\x80\"");    // beyond U+10FFFF
  parse_error("\"\x80\"");                // stray continuation byte
  parse_error("\"a\nb\"");                // raw control character
  parse_error(R"("\x41")");               // unknown escape
  parse_error(R"("\u12G4")");             // bad hex
}

TEST(JsonValue, SyntaxErrorsSayWhere) {
  size_t byte = 0;
  EXPECT_NE(parse_error(R"({"a": 1,})", &byte).find("expected a key"), std::string::npos);
  EXPECT_EQ(byte, 9u);
  parse_error("");
  parse_error("nope");
  parse_error("{} x");
  parse_error("[1 2]");
  parse_error("NaN");
  parse_error("01");
  parse_error("1.");
  parse_error("-");
  parse_error("1e");
  parse_error(R"({'a': 1})");
  parse_error(std::string(300, '['));  // deeper than the default 256
  parse_error("2e+30000");              // beyond the double range: an error, not infinity (as nlohmann)
  parse_error("-" + std::string(400, '1'));
}

TEST(JsonValue, RepeatedKeyKeepsTheLastAndByteOrderMarkIsSkipped) {
  EXPECT_EQ(parse_ok(R"({"a": 1, "a": 2})")["a"].get<int64_t>(), 2);
  EXPECT_EQ(parse_ok("\xEF\xBB\xBF{\"a\": 3}")["a"].get<int64_t>(), 3);
}

TEST(JsonValue, DumpRoundTrips) {
  const std::string text = R"({"b":[1,-2,2.5,true,false,null],"a":"\u00e9\n","c":{"d":18446744073709551615}})";
  const Json j = parse_ok(text);
  const std::string d = j.dump();
  EXPECT_EQ(d, "{\"b\":[1,-2,2.5,true,false,null],\"a\":\"\xC3\xA9\\n\",\"c\":{\"d\":18446744073709551615}}");
  EXPECT_EQ(nlohmann::json::parse(d), nlohmann::json::parse(text));
}

// ---- differential: every JSON file of the project parses to the same value as with nlohmann ----

std::vector<std::string> project_json_files() {
  std::vector<std::string> out;
  for (const std::string& dir : {std::string(LLMSIZER_PRESETS_DIR), std::string(LLMSIZER_FIXTURES_DIR) + "/configs",
                                 std::string(LLMSIZER_SOURCE_DIR) + "/tests/bad_inputs",
                                 std::string(LLMSIZER_SOURCE_DIR) + "/tests/fuzz/seeds/request",
                                 std::string(LLMSIZER_SOURCE_DIR) + "/tests/fuzz/seeds/config"}) {
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.size() > 5 && n.substr(n.size() - 5) == ".json") out.push_back(dir + "/" + n);
      }
      closedir(d);
    }
  }
  return out;
}

TEST(JsonValue, AgreesWithNlohmannOnEveryProjectFile) {
  const std::vector<std::string> files = project_json_files();
  ASSERT_GT(files.size(), 200u);
  for (const std::string& f : files) {
    const std::string text = test::read_text(f);
    const nlohmann::json ref = nlohmann::json::parse(text, nullptr, false);
    std::string err;
    const Json ours = Json::parse(text, &err, nullptr);
    ASSERT_EQ(ref.is_discarded(), !err.empty()) << f << ": " << err;
    if (!err.empty()) continue;
    EXPECT_EQ(nlohmann::json::parse(ours.dump()), ref) << f;
  }
}

}  // namespace
}  // namespace llmsizer
