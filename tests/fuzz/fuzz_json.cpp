// libFuzzer target: arbitrary text through every JSON reader of the core — as a request, as a config.json (text
// and parsed value), as a GGUF summary (alone, and in a request's "gguf" list), as the request's "config" object,
// and as the preset catalogues (gpus.json, models.json).
//
// The contract under test is the one the WebAssembly module relies on: it is built with JSON_NOEXCEPTION, where a
// get<T>() of the wrong type aborts and a missing key under const operator[] is undefined behaviour, so the
// readers must check every value before they read it (core/src/json/json.h). Natively nlohmann throws instead:
// an exception escaping a reader, or an "internal" answer from an entry point (its guard caught one), fails the
// run; and the fuzz build compiles nlohmann's JSON_ASSERT to a trap (core/CMakeLists.txt), so the missing-key
// case cannot pass silently either.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/gguf.h"
#include "gguf/summary.h"
#include "json/json.h"
#include "llmsizer/api.h"
#include "llmsizer/gpu.h"
#include "model/config.h"

namespace {

/// An answer of handle_request: one JSON object, never "internal".
void check_answer(const std::string& out) {
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  if (!r.is_object() || !r.contains("ok")) std::abort();
  const auto e = r.find("error");
  if (e != r.end() && e->is_object() && e->value("code", "") == "internal") std::abort();
}

template <class T>
void check_result(const llmsizer::Result<T>& r) {
  if (!r.ok() && r.error().code == llmsizer::ErrorCode::kInternal) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_answer(llmsizer::handle_request(text));  // as a whole request
  check_result(llmsizer::parse_config(text));     // as config.json text
  auto doc = llmsizer::parse_json(text, "the text");
  if (!doc.ok()) {
    if (doc.error().code != llmsizer::ErrorCode::kInvalidJson || doc.error().message.empty()) std::abort();
    return 0;
  }
  const llmsizer::JsonValue& v = *doc.value();
  check_result(llmsizer::parse_config_value(v));  // as config.json, parsed
  // As a GGUF summary, and the model it describes.
  auto file = llmsizer::gguf_file_from_json(v, "/gguf/0");
  if (file.ok()) check_result(llmsizer::gguf_model({file.value()}));
  // As the preset catalogues.
  check_result(llmsizer::parse_gpu_catalog(text));
  check_result(llmsizer::parse_model_catalog(text));
  // Inside requests: the "config" value, and the "gguf" list (text is valid JSON here, so these are too).
  if (size < 16384) {
    check_answer(llmsizer::handle_request("{\"config\": " + text + ", \"batch\": 2}"));
    check_answer(llmsizer::handle_request("{\"engine\": \"llama.cpp\", \"gguf\": [" + text + "]}"));
  }
  return 0;
}
