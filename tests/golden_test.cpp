// Golden responses: for every request in tests/golden/ (NAME.json or NAME.txt), the core's response text is
// byte-identical to tests/golden/NAME.response.json (the CLI's `--request FILE --json` output without its
// final newline). This is the gate for refactors that must not change a number: any difference fails and
// names the first JSON path that differs.
//
// A deliberate change of a number is its own commit: regenerate with
//   LLMSIZER_UPDATE_GOLDEN=1 build/llmsizer_tests --gtest_filter='Golden*'
// and say in the commit message which numbers moved and why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmsizer/api.h"
#include "test_util.h"

namespace llmsizer {
namespace {

const std::string kGoldenDir = std::string(LLMSIZER_SOURCE_DIR) + "/tests/golden/";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The request files: *.json and *.txt, but not the *.response.json answers.
std::vector<std::string> golden_requests() {
  std::vector<std::string> out;
  if (DIR* d = opendir(kGoldenDir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (ends_with(n, ".response.json")) continue;
      if (ends_with(n, ".json") || ends_with(n, ".txt")) out.push_back(n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string response_name(const std::string& request) {
  return request.substr(0, request.rfind('.')) + ".response.json";
}

/// The JSON pointer of the first place where two documents differ ("" when equal as JSON).
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "") {
  if (a.type() != b.type()) return at.empty() ? "/" : at;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) return at + "/" + it.key();
      const std::string d = first_difference(it.value(), b[it.key()], at + "/" + it.key());
      if (!d.empty()) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!a.contains(it.key())) return at + "/" + it.key();
    }
    return "";
  }
  if (a.is_array()) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      const std::string d = first_difference(a[i], b[i], at + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return a.size() == b.size() ? "" : at + "/" + std::to_string(std::min(a.size(), b.size()));
  }
  return a == b ? "" : (at.empty() ? "/" : at);
}

TEST(Golden, AtLeastFortyRequests) {
  // The gate is only as good as its coverage: every engine, training mode, GGUF, recommendations, errors.
  EXPECT_GE(golden_requests().size(), 40u) << "tests/golden/ lost requests (or the directory was not found)";
}

TEST(Golden, ResponsesAreByteIdentical) {
  const bool update = std::getenv("LLMSIZER_UPDATE_GOLDEN") != nullptr;
  const std::vector<std::string> requests = golden_requests();
  ASSERT_FALSE(requests.empty()) << "no requests in " << kGoldenDir;
  for (const std::string& name : requests) {
    SCOPED_TRACE(name);
    const std::string got = handle_request(test::read_text(kGoldenDir + name));
    const std::string path = kGoldenDir + response_name(name);
    if (update) {
      std::ofstream(path, std::ios::binary) << got << "\n";
      continue;
    }
    std::string want = test::read_text(path);
    ASSERT_FALSE(want.empty()) << "missing " << response_name(name)
                               << " (run with LLMSIZER_UPDATE_GOLDEN=1 to write it)";
    if (!want.empty() && want.back() == '\n') want.pop_back();
    if (got == want) continue;
    const auto a = nlohmann::json::parse(want, nullptr, false);
    const auto b = nlohmann::json::parse(got, nullptr, false);
    std::string where = "(not JSON)";
    if (!a.is_discarded() && !b.is_discarded()) {
      where = first_difference(a, b);
      if (where.empty()) where = "(same JSON, different text: number formatting or key order)";
    }
    size_t byte = 0;
    while (byte < got.size() && byte < want.size() && got[byte] == want[byte]) ++byte;
    ADD_FAILURE() << name << " differs from its golden response at " << where << " (byte " << byte << "): want ..."
                  << want.substr(byte, 80) << "... got ..." << got.substr(byte, 80) << "...";
  }
}

}  // namespace
}  // namespace llmsizer
