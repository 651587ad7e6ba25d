// The one entry point shared by the CLI and the WebAssembly module: JSON request text in, JSON text out.
//
// Both front ends call handle_request() with the same request and print what it returns, so the
// CLI's --json output and the page's numbers are byte-identical by construction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmsizer/estimate.h"
#include "llmsizer/gpu.h"
#include "llmsizer/request.h"
#include "llmsizer/result.h"

namespace llmsizer {

/// The llmsizer version (also in every response).
const char* version();

/// Kinds of request fields (the CLI turns `--name value` into JSON by kind).
enum class FieldKind { kInt, kNumber, kString, kBool, kObject };

/// A request field: JSON key (CLI flag = key with '-' for '_'), kind, and a one-line help text.
struct FieldInfo {
  std::string key;
  FieldKind kind;
  std::string help;
};
/// Every request key the core accepts, in help order.
std::vector<FieldInfo> request_fields();

/// Largest request accepted (a config.json plus options).
/// GGUF headers travel as base64 on the first request (a Llama-3 header with its tokenizer is ~8 MB,
/// ~11 MB in base64); later requests send their small summaries instead.
constexpr size_t kMaxRequestBytes = 32u << 20;

/// Parses request JSON text into a Request. Unknown keys are errors (they are usually typos).
Result<Request> parse_request(const std::string& text);

/// Applies defaults, presets and validation: the model spec and the resolved inputs.
struct GgufModel;
struct Resolved {
  ModelSpec model;
  std::shared_ptr<const GgufModel> gguf;  ///< the parsed GGUF header(s) when the model came from one
  Inputs inputs;
  std::vector<Warning> warnings;
  std::vector<std::string> assumptions;
};
Result<Resolved> resolve(const Request& req, const Catalog& catalog);

/// The whole pipeline: request text -> response text ({"ok": true, ...} or {"ok": false, "error": ...}).
/// Never throws.
std::string handle_request(const std::string& request_text);
std::string handle_request(const std::string& request_text, const Catalog& catalog);

/// The GPU and model presets, as JSON text for the page's pickers.
std::string catalog_json(const Catalog& catalog);

}  // namespace llmsizer
