// Embind registrations only: the core's JSON-in/JSON-out entry points. No logic here.
// llmsizer::handle_request and catalog_json never throw: errors come back as {"ok": false, ...}.
#include <emscripten/bind.h>

#include <string>

#include "llmsizer/api.h"
#include "llmsizer/gpu.h"

namespace {

std::string estimate_json(const std::string& request) { return llmsizer::handle_request(request); }
std::string catalog_json() { return llmsizer::catalog_json(llmsizer::builtin_catalog()); }
std::string version() { return llmsizer::version(); }
std::string gguf_json(const std::string& base64) { return llmsizer::gguf_inspect_base64_json(base64); }

}  // namespace

EMSCRIPTEN_BINDINGS(llmsizer) {
  emscripten::function("estimateJson", &estimate_json);
  emscripten::function("catalogJson", &catalog_json);
  emscripten::function("version", &version);
  emscripten::function("ggufJson", &gguf_json);
}
