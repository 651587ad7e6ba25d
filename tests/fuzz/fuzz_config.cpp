// libFuzzer target: arbitrary bytes as a config.json, sent through the whole estimate (as the page does
// with a pasted config). Seeds: the presets' configs and the test fixtures.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "llmsizer/api.h"
#include "model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = llmsizer::parse_config(text);
  if (!spec.ok()) return 0;
  // A valid config: run the full request with it (config passed as text, so invalid UTF-8 was already
  // rejected by the parser above and dump() cannot throw).
  nlohmann::json req{{"config", text}, {"batch", 4}};
  const std::string out = llmsizer::handle_request(req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  if (!r.is_object() || !r.contains("ok")) std::abort();
  // An "internal" error means an exception reached the entry point's guard: a bug, and in the WebAssembly
  // module (built without exceptions) it would be an abort. Fail on it.
  if (r.contains("error") && r["error"].is_object() && r["error"].value("code", "") == "internal") std::abort();
  return 0;
}
