// llmsizer CLI: flags -> request JSON -> core (llmsizer::handle_request) -> JSON or a readable table.
//
// The only file that does I/O. It never computes a number: every figure it prints comes from the core's
// response (it only converts bytes to GiB for display), so `--json` and the table always agree, and both
// agree with the page (which calls the same function through WebAssembly).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "llmsizer/api.h"
#include "llmsizer/gpu.h"

namespace {

using json = nlohmann::json;
using llmsizer::FieldKind;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

const char* kUsage =
    "usage: llmsizer (--config PATH | --model ID | --request PATH) [options] [--json]\n"
    "\n"
    "Estimates GPU memory, concurrency and speed of a Hugging Face model.\n"
    "\n"
    "  --config PATH        a config.json ('-' = stdin)\n"
    "  --model ID           a bundled preset (see --list-models)\n"
    "  --request PATH       a whole request as JSON (the WASM module's input); flags given too override it\n"
    "  --json               print the core's JSON response instead of a table\n"
    "  --list-gpus          list GPU presets\n"
    "  --list-models        list model presets\n"
    "  --version, --help\n"
    "\n"
    "Every request key is also a flag (key with '-' for '_'):\n";

std::string flag_name(const std::string& key) {
  std::string f = key;
  for (char& c : f) {
    if (c == '_') c = '-';
  }
  return "--" + f;
}

bool read_file(const std::string& path, std::string* out) {
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

int fail(bool as_json, const std::string& code, const std::string& message) {
  if (as_json) {
    std::cout << json{{"ok", false}, {"version", llmsizer::version()}, {"error", {{"code", code}, {"message", message}}}}.dump()
              << "\n";
  } else {
    std::cerr << "llmsizer: " << message << "\n";
  }
  return 2;
}

std::string gib(const json& bytes) {
  if (!bytes.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", bytes.get<double>() / kGiB);
  return buf;
}

std::string thousands(const json& n) {
  if (!n.is_number_integer()) return "-";
  std::string s = std::to_string(n.get<int64_t>());
  std::string out;
  int count = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (count > 0 && count % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++count;
  }
  return out;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// The serving engine's own numbers: its KV pool, start-up lines, launch command, reverse solves and the
// GPU recommendations (all computed by the core; printed as they are).
void print_engine(const json& r) {
  const json& s = r["serving"];
  if (s.contains("kv_cache_tokens")) {
    std::cout << "  KV cache        " << thousands(s["kv_cache_tokens"]) << " tokens";
    if (s.contains("kv_cache_blocks")) std::cout << " in " << thousands(s["kv_cache_blocks"]) << " blocks";
    if (s.contains("available_kv_cache_bytes")) {
      std::cout << " (" << gib(s["available_kv_cache_bytes"]) << " GiB per GPU)";
    }
    std::cout << "\n";
  }
  if (s.contains("max_model_len_that_fits")) {
    std::cout << "  longest that fits " << str(s, "max_model_len_that_fits") << " tokens per request\n";
  }
  if (s.contains("startup_log")) {
    std::cout << "\nStart-up log (as " << str(s, "engine") << " would print it)\n";
    for (const json& line : s["startup_log"]) std::cout << "  " << line.get<std::string>() << "\n";
  }
  if (s.contains("launch_command")) std::cout << "\nLaunch\n  " << str(s, "launch_command") << "\n";
  if (s.contains("solves")) {
    const json& v = s["solves"];
    std::cout << "\nReverse solves (" << str(v, "batch") << " concurrent sequences of " << str(v, "context")
              << " tokens)\n";
    const json& mc = v["max_context"];
    std::cout << "  largest context " << str(mc, "tokens") << " tokens";
    if (mc.contains("note")) std::cout << " — " << str(mc, "note");
    std::cout << "\n";
    if (v.contains("knob")) {
      const json& k = v["knob"];
      std::cout << "  " << str(k, "name") << " needed " << (k["value"].is_null() ? "none" : str(k, "value"));
      if (k.contains("note")) std::cout << " — " << str(k, "note");
      std::cout << "\n";
    }
    const json& f = v["fewest_gpus"];
    std::cout << "  fewest GPUs     " << str(f, "gpus");
    if (f.contains("tp")) {
      std::cout << " (TP " << str(f, "tp") << ", PP " << str(f, "pp");
      if (f.contains("dp") && str(f, "dp") != "1") std::cout << ", " << str(f, "dp") << " replicas";
      std::cout << ")";
    }
    if (f.contains("note")) std::cout << " — " << str(f, "note");
    std::cout << "\n";
  }
  if (r.contains("recommendations") && !r["recommendations"].empty()) {
    std::cout << "\nRecommended GPUs (fewest first, then most headroom; GiB = 2^30 bytes)\n";
    for (const json& x : r["recommendations"]) {
      std::cout << "  " << str(x, "count") << " x " << str(x, "name") << " (TP " << str(x, "tp") << ", PP "
                << str(x, "pp") << (str(x, "dp") == "1" ? std::string() : ", " + str(x, "dp") + " replicas")
                << "): max concurrency " << str(x, "max_concurrency") << ", headroom "
                << gib(x["headroom_bytes"]) << " GiB\n";
    }
  }
}

void print_table(const json& r) {
  const json& m = r["model"];
  const json& p = r["precision"];
  const json& l = r["layout"];
  const json& w = r["workload"];
  const json& mem = r["memory"];
  const json& s = r["serving"];
  std::cout << "llmsizer " << str(r, "version") << " — " << (str(m, "id").empty() ? str(m, "architecture") : str(m, "id"))
            << " (" << str(m, "architecture") << ", " << str(m, "family") << ")\n";
  std::cout << "  parameters      " << thousands(m["parameters"]) << " (" << str(m, "parameters_source") << ")";
  if (m["active_parameters"] != m["parameters_from_config"]) std::cout << "  active " << thousands(m["active_parameters"]);
  std::cout << "\n";
  std::cout << "  architecture    " << str(m, "num_hidden_layers") << " layers, hidden " << str(m, "hidden_size")
            << ", " << str(m, "num_attention_heads") << " heads, " << str(m, "num_key_value_heads") << " KV heads ("
            << str(m, "attention") << "), head dim " << str(m, "head_dim") << ", max context "
            << str(m, "max_position_embeddings") << "\n";
  std::cout << "  precision       weights " << str(p, "weights") << ", KV cache " << str(p, "kv_cache") << "\n";
  std::cout << "  deployment      " << str(l, "gpus") << " x " << str(l, "gpu_name") << " (" << gib(l["gpu_memory_bytes"])
            << " GiB), TP " << str(l, "tp") << ", PP " << str(l, "pp") << ", DP " << str(l, "dp") << "\n";
  std::cout << "  workload        " << str(w, "context") << " tokens x " << str(w, "batch") << " sequences\n\n";
  std::cout << "Memory per GPU (GiB = 2^30 bytes; the tightest GPU, stage " << str(mem, "binding_stage") << ")\n";
  std::cout << "  weights         " << gib(mem["weights_bytes"]) << "\n";
  std::cout << "  KV cache        " << gib(mem["kv_cache_bytes"]) << "  (" << thousands(mem["kv_cache_bytes_per_token"])
            << " B per token)\n";
  std::cout << "  activations     " << gib(mem["activations_bytes"]) << "\n";
  std::cout << "  overhead        " << gib(mem["overhead_bytes"]) << "\n";
  std::cout << "  total           " << gib(mem["total_bytes"]) << "\n";
  std::cout << "  usable          " << gib(mem["usable_bytes"]) << "  (capacity " << gib(mem["gpu_memory_bytes"])
            << " minus the " << gib(mem["reserve_bytes"]) << " GiB reserve)\n";
  std::cout << "  free            " << gib(mem["free_bytes"]) << "\n\n";
  std::cout << "Serving (" << str(s, "engine") << ")\n";
  std::cout << "  fits            " << (s["fits"].is_boolean() && s["fits"].get<bool>() ? "yes" : "no") << " (margin "
            << gib(s["margin_bytes"]) << " GiB)\n";
  std::cout << "  GPUs needed     " << str(s, "gpus_needed");
  if (s.contains("gpus_needed_layout")) {
    std::cout << " (TP " << str(s["gpus_needed_layout"], "tp") << ", PP " << str(s["gpus_needed_layout"], "pp") << ")";
  }
  if (s.contains("gpus_needed_note")) std::cout << " — " << str(s, "gpus_needed_note");
  std::cout << "\n  max concurrency " << str(s, "max_concurrency") << " sequences of " << str(w, "context")
            << " tokens\n";
  print_engine(r);
  if (r.contains("warnings") && !r["warnings"].empty()) {
    std::cout << "\nWarnings\n";
    for (const json& x : r["warnings"]) std::cout << "  - " << str(x, "message") << "\n";
  }
  if (r.contains("assumptions") && !r["assumptions"].empty()) {
    std::cout << "\nAssumptions\n";
    for (const json& x : r["assumptions"]) std::cout << "  - " << x.get<std::string>() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool as_json = false;
  for (const std::string& a : args) {
    if (a == "--json") as_json = true;
  }
  const std::vector<llmsizer::FieldInfo> fields = llmsizer::request_fields();
  json request = json::object();
  json overrides = json::object();
  std::string request_path;

  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool has_value = false;
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_value = true;
      }
    }
    auto next = [&](std::string* out) {
      if (has_value) {
        *out = value;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (a == "--json") continue;
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      for (const auto& f : fields) {
        std::string name = flag_name(f.key);
        if (f.kind != FieldKind::kBool) name += f.kind == FieldKind::kString ? " S" : " N";
        std::cout << "  " << name << std::string(name.size() < 30 ? 30 - name.size() : 1, ' ') << f.help << "\n";
      }
      return 0;
    }
    if (a == "--version") {
      std::cout << "llmsizer " << llmsizer::version() << "\n";
      return 0;
    }
    if (a == "--list-gpus" || a == "--list-models") {
      const json cat = json::parse(llmsizer::catalog_json(llmsizer::builtin_catalog()));
      const json& list = cat[a == "--list-gpus" ? "gpus" : "models"];
      if (as_json) {
        std::cout << list.dump() << "\n";
        return 0;
      }
      for (const json& x : list) {
        std::cout << str(x, "id");
        if (a == "--list-gpus") std::cout << "\t" << str(x, "memory_gib") << " GiB";
        std::cout << "\t" << str(x, "name") << "\n";
      }
      return 0;
    }
    if (a == "--config") {
      std::string path, text;
      if (!next(&path)) return fail(as_json, "invalid_request", "--config needs a path");
      if (!read_file(path, &text)) return fail(as_json, "io_error", "cannot read config file '" + path + "'");
      overrides["config"] = text;
      continue;
    }
    if (a == "--request") {
      if (!next(&request_path)) return fail(as_json, "invalid_request", "--request needs a path");
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      return fail(as_json, "invalid_request", "unexpected argument '" + a + "' (flags start with --; see --help)");
    }
    std::string key = a.substr(2);
    for (char& c : key) {
      if (c == '-') c = '_';
    }
    const llmsizer::FieldInfo* f = nullptr;
    for (const auto& x : fields) {
      if (x.key == key) f = &x;
    }
    if (!f || f->kind == FieldKind::kObject) {
      return fail(as_json, "invalid_request", "unknown option '" + a + "' (see --help)");
    }
    if (f->kind == FieldKind::kBool) {
      if (has_value) {
        if (value != "true" && value != "false") {
          return fail(as_json, "invalid_request", a + " takes no value, or =true / =false");
        }
        overrides[key] = value == "true";
      } else {
        overrides[key] = true;
      }
      continue;
    }
    std::string v;
    if (!next(&v)) return fail(as_json, "invalid_request", a + " needs a value");
    if (f->kind == FieldKind::kString) {
      overrides[key] = v;
    } else {
      // Numbers go to the core as JSON numbers; the core checks ranges and whole-number-ness.
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || end == nullptr || *end != '\0') {
        return fail(as_json, "invalid_request", a + " expects a number, not '" + v + "'");
      }
      if (f->kind == FieldKind::kInt && d == static_cast<double>(static_cast<int64_t>(d)) && d > -9e18 && d < 9e18) {
        overrides[key] = static_cast<int64_t>(d);
      } else {
        overrides[key] = d;
      }
    }
  }

  if (!request_path.empty()) {
    std::string text;
    if (!read_file(request_path, &text)) return fail(as_json, "io_error", "cannot read request file '" + request_path + "'");
    if (overrides.empty()) {
      // Pass the text through untouched, so the response is exactly what the WASM module returns for it.
      const std::string out = llmsizer::handle_request(text);
      const json r = json::parse(out);
      if (as_json || !r.value("ok", false)) {
        std::cout << out << "\n";
      } else {
        print_table(r);
      }
      return r.value("ok", false) ? 0 : 1;
    }
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return fail(as_json, "invalid_json", "request file '" + request_path + "' is not a JSON object");
    }
    request = parsed;
  }
  for (auto it = overrides.begin(); it != overrides.end(); ++it) request[it.key()] = it.value();
  if (request.empty()) {
    std::cerr << kUsage << "\n(see --help for every option)\n";
    return 2;
  }

  const std::string out = llmsizer::handle_request(request.dump());
  const json r = json::parse(out);
  const bool ok = r.value("ok", false);
  if (as_json) {
    std::cout << out << "\n";
  } else if (ok) {
    print_table(r);
  } else {
    std::cerr << "llmsizer: " << str(r["error"], "code") << ": " << str(r["error"], "message") << "\n";
  }
  return ok ? 0 : 1;
}
