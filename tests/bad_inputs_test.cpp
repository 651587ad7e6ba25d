// The bad-input corpus (tests/bad_inputs/cases.json): every case must come back as {"ok": false} with its
// expected error code (and JSON path where given) and a message — from the core and from the CLI, whose
// output must be the very same bytes. The WASM module runs the same corpus in tests/wasm/.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/config.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

struct Case {
  std::string id;
  std::string text;  ///< the request exactly as sent
  std::string code;
  std::string path;
};

// Test names show the case id, not the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.id; }

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string generated(const std::string& kind) {
  if (kind == "deep_array") return std::string(100000, '[') + std::string(100000, ']');
  if (kind == "deep_config") {
    return "{\"config\": " + std::string(80, '{') + std::string(80, '}') + "}";
  }
  if (kind == "huge_request") return "{\"model_id\": \"" + std::string(kMaxRequestBytes, 'x') + "\"}";
  if (kind == "huge_config") return json{{"config", "{\"x\": \"" + std::string(kMaxConfigBytes, 'a') + "\"}"}}.dump();
  ADD_FAILURE() << "unknown generator " << kind;
  return "";
}

std::vector<Case> load_cases() {
  const std::string text = test::read_text(std::string(LLMSIZER_SOURCE_DIR) + "/tests/bad_inputs/cases.json");
  std::vector<Case> out;
  const json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const json& c : j) {
    Case k;
    k.id = c.at("id").get<std::string>();
    k.code = c.at("code").get<std::string>();
    if (c.contains("path")) k.path = c["path"].get<std::string>();
    if (c.contains("raw")) k.text = c["raw"].get<std::string>();
    if (c.contains("raw_hex")) k.text = from_hex(c["raw_hex"].get<std::string>());
    if (c.contains("request")) k.text = c["request"].dump();
    if (c.contains("generate")) k.text = generated(c["generate"].get<std::string>());
    out.push_back(k);
  }
  return out;
}

TEST(BadInputs, CorpusIsLargeAndLoaded) {
  // Fails loudly when the corpus is missing or shrinks below the minimum of 60 cases.
  EXPECT_GE(load_cases().size(), 60u);
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, CoreAnswersWithTheExpectedError) {
  const Case& c = GetParam();
  const std::string out = handle_request(c.text);
  const json r = json::parse(out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << out.substr(0, 200);
  ASSERT_FALSE(r.value("ok", true)) << c.id;
  EXPECT_EQ(r["error"].value("code", ""), c.code) << c.id << ": " << r["error"].dump();
  EXPECT_GT(r["error"].value("message", "").size(), 10u) << c.id;
  if (!c.path.empty()) EXPECT_EQ(r["error"].value("path", ""), c.path) << c.id << ": " << r["error"].dump();
}

TEST_P(BadInput, CliPrintsTheSameBytesAndFails) {
  const Case& c = GetParam();
  const std::string file = testing::TempDir() + "/bad_" + c.id + ".json";
  FILE* f = std::fopen(file.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(c.text.data(), 1, c.text.size(), f);
  std::fclose(f);
  const std::string cmd = std::string(LLMSIZER_CLI) + " --request '" + file + "' --json";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_NE(status, 0) << c.id;
  EXPECT_EQ(out, handle_request(c.text) + "\n") << c.id;
  std::remove(file.c_str());
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.id; });

}  // namespace
}  // namespace llmsizer
