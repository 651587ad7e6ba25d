// The one entry point shared by the CLI and the WebAssembly module: JSON request text in, JSON text out.
//
// Both front ends call handle_request() with the same request and print what it returns, so the
// CLI's --json output and the page's numbers are byte-identical by construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

/// The whole pipeline: request text -> response text ({"ok": true, ...} or {"ok": false, "error": ...}).
/// Never throws.
std::string handle_request(const std::string& request_text);
std::string handle_request(const std::string& request_text, const Catalog& catalog);

/// The GPU and model presets, as JSON text for the page's pickers.
std::string catalog_json(const Catalog& catalog);

/// For the page (WASM) and the CLI: parses one part of a GGUF file's header bytes (raw, or base64 text for the
/// `_base64` form) and returns JSON text: {"ok": true, "summary": {...}} — the compact form the request's
/// "gguf" list accepts in place of the bytes — or {"ok": false, "error": {...}, "bytes_needed": N} when the
/// header continues past what was given. Never throws.
std::string gguf_inspect_json(const uint8_t* data, size_t size);
std::string gguf_inspect_base64_json(const std::string& base64);

}  // namespace llmsizer
