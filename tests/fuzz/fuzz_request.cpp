// libFuzzer target: arbitrary bytes as a whole request (JSON text) through the entire pipeline —
// request parsing, config normalisation, every engine profile, JSON output. The contract under test:
// never crash, never hang, never trip ASan/UBSan, and always answer with one JSON object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "llmsizer/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string out = llmsizer::handle_request(text);
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  if (!r.is_object() || !r.contains("ok")) std::abort();  // the answer must always be a JSON object
  // An "internal" error means an exception reached the entry point's guard: a bug, and in the WebAssembly
  // module (built without exceptions) it would be an abort. Fail on it.
  if (r.contains("error") && r["error"].is_object() && r["error"].value("code", "") == "internal") std::abort();
  return 0;
}
