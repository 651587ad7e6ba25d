// libFuzzer target: arbitrary bytes as the head of a .gguf file — what the page fetches with an HTTP Range
// request and the CLI's --gguf reads. The header parser must answer (a summary, or how many bytes it needs,
// or an error) without crashing, over-allocating or hanging; a header it accepts then drives a whole
// llama.cpp estimate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "llmsizer/api.h"
#include "gguf/gguf.h"
#include "gguf_writer.h"

namespace {

void check(const std::string& out) {
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  if (!r.is_object() || !r.contains("ok")) std::abort();
  if (r.contains("error") && r["error"].is_object() && r["error"].value("code", "") == "internal") std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string inspected = llmsizer::gguf_inspect_json(data, size);
  check(inspected);
  const nlohmann::json r = nlohmann::json::parse(inspected, nullptr, false);
  if (r.value("ok", false)) {
    const nlohmann::json req{{"gguf", nlohmann::json::array({llmsizer::test::base64_encode(std::string(reinterpret_cast<const char*>(data), size))})},
                             {"engine", "llama.cpp"},
                             {"gpu", "nvidia-rtx-4090"},
                             {"context", 4096}};
    check(llmsizer::handle_request(req.dump()));
    // The same bytes as llama.cpp's multimodal projector (--mmproj) beside a bundled model.
    const nlohmann::json mm{{"model", "meta-llama/Llama-3.1-8B-Instruct"},
                            {"gguf_mmproj", req["gguf"]},
                            {"engine", "llama.cpp"},
                            {"gpu", "nvidia-rtx-4090"},
                            {"context", 4096}};
    check(llmsizer::handle_request(mm.dump()));
  }
  return 0;
}
