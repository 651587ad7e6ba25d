// llmsizer CLI: flags -> request JSON -> core (llmsizer::handle_request) -> JSON or a readable table.
//
// The only file that does I/O. It never computes a number: every figure it prints comes from the core's
// response (it only converts bytes to GiB for display), so `--json` and the table always agree, and both
// agree with the page (which calls the same function through WebAssembly).
#include <algorithm>
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
    "  --gguf PATH          a .gguf file (only its header is read); repeat for every part of a split file\n"
    "  --gguf-mmproj PATH   llama.cpp's multimodal projector (mmproj) .gguf, loaded with --mmproj\n"
    "  --model ID           a bundled preset (see --list-models)\n"
    "  --request PATH       a whole request as JSON (the WASM module's input); flags given too override it\n"
    "  --json               print the core's JSON response instead of a table\n"
    "  --list-gpus          list GPU presets\n"
    "  --list-models        list model presets\n"
    "  --version, --help\n"
    "\n"
    "Every request key is also a flag (key with '-' for '_'; --attention is --attention-implementation):\n";

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

/// Reads a GGUF file's header: the first bytes, then more while the core says the header goes on.
/// The core parses; this only does the I/O. Returns the core's summary object, or an error message.
bool read_gguf_summary(const std::string& path, json* summary, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot read GGUF file '" + path + "'";
    return false;
  }
  f.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(f.tellg());
  uint64_t want = std::min<uint64_t>(file_size, 16u << 20);
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string buf(static_cast<size_t>(want), '\0');
    f.clear();
    f.seekg(0);
    f.read(&buf[0], static_cast<std::streamsize>(want));
    const json r = json::parse(llmsizer::gguf_inspect_json(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
    if (r.value("ok", false)) {
      *summary = r["summary"];
      return true;
    }
    const uint64_t needed = r.value("bytes_needed", uint64_t{0});
    if (needed == 0 || needed > file_size || want >= file_size) {
      *error = path + ": " + r["error"].value("message", std::string("not a GGUF file"));
      return false;
    }
    want = std::min<uint64_t>(file_size, std::max<uint64_t>(needed, want * 2));
  }
  *error = path + ": the GGUF header is too large to read";
  return false;
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

std::string num(const json& x, const char* fmt = "%.4g") {
  if (!x.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x.get<double>());
  return buf;
}

// ---- "how sure": the core's bands (bands.*) beside the figures they bound, and its note (how_sure.*) ----

const json* band_of(const json& r, const char* path) {
  if (!r.contains("bands") || !r["bands"].contains(path)) return nullptr;
  const json& b = r["bands"][path];
  return b.is_array() && b.size() == 2 && b[0].is_number() && b[1].is_number() ? &b : nullptr;
}

bool exact_figure(const json& r, const char* path) {
  if (!r.contains("how_sure")) return false;
  const json& f = r["how_sure"]["figures"];
  return f.contains(path) && f[path].value("exact", false);
}

/// "  [13.90-14.47]" beside a GiB figure ("  (exact)" for a read one; "" when there is no band or it is empty).
std::string gib_band(const json& r, const char* path) {
  if (exact_figure(r, path)) return "  (exact)";
  const json* b = band_of(r, path);
  if (!b || (*b)[1].get<double>() <= 0) return "";
  return "  [" + gib((*b)[0]) + "–" + gib((*b)[1]) + "]";
}

/// "  [lo-hi]" beside a plain number (seconds, sequences, tokens), in the given printf format.
std::string num_band(const json& r, const char* path, const char* fmt = "%.4g") {
  const json* b = band_of(r, path);
  if (!b || (*b)[1].get<double>() <= 0) return "";
  char lo[64], hi[64];
  std::snprintf(lo, sizeof lo, fmt, (*b)[0].get<double>());
  std::snprintf(hi, sizeof hi, fmt, (*b)[1].get<double>());
  return std::string("  [") + lo + "–" + hi + "]";
}

/// The "how sure" note; `prefix` keeps the lines of one view ("training." for fine-tuning).
void print_how_sure(const json& r, const std::string& prefix = "") {
  if (!r.contains("how_sure")) return;
  const json& h = r["how_sure"];
  std::cout << "\nHow sure (bands in [ ]: 5-95 % of the measured errors of each rule, presets/accuracy.json; "
            << (h.value("inside_envelope", false) ? "inside" : "partly outside") << " the measured envelope)\n";
  for (const json& n : h["notes"]) {
    if (n.get<std::string>().rfind(prefix, 0) == 0) std::cout << "  - " << n.get<std::string>() << "\n";
  }
}

// Speed (speed.*): formats what the core returns.
void print_speed(const json& r) {
  if (!r.contains("speed")) return;
  const json& s = r["speed"];
  if (!s.value("available", false)) {
    std::cout << "\nSpeed\n  unavailable     " << str(s, "unavailable_reason") << "\n";
    return;
  }
  const json& a = s["assumptions"];
  if (str(s, "kind") == "encoder") {  // one forward per batch of texts: sequences/s, no decode
    std::cout << "\nSpeed (" << str(a, "engine") << "; " << str(s, "batch") << " texts x " << str(s, "tokens_per_text")
              << " tokens, " << str(s, "forwards") << " forward(s), " << str(s, "bound") << "-bound)\n";
    std::cout << "  batch time      " << num(s["seconds"]) << " s\n";
    std::cout << "  throughput      " << num(s["sequences_per_second"], "%.1f") << " sequences/s, "
              << num(s["tokens_per_second"], "%.0f") << " tokens/s\n";
    std::cout << "  assumptions     " << num(a["peak_tflops"], "%.1f") << " TFLOPS x " << num(a["prefill_efficiency"])
              << " (GEMMs), x " << num(a["attention_efficiency"]) << " (attention)\n";
    for (const json& n : a["notes"]) std::cout << "                  " << n.get<std::string>() << "\n";
    return;
  }
  std::cout << "\nSpeed (" << str(a, "engine") << "; " << str(s, "batch") << " x " << str(s, "input_tokens")
            << " prompt + " << str(s, "output_tokens") << " output tokens)\n";
  std::cout << "  TTFT            " << num(s["ttft_seconds"]) << " s" << num_band(r, "speed.ttft_seconds") << "  (prefill "
            << num(s["prefill_seconds"]) << " s, " << str(s, "prefill_bound") << "-bound, " << str(s, "prefill_chunks")
            << " step(s))\n";
  std::cout << "  TPOT            " << num(s["tpot_seconds"]) << " s" << num_band(r, "speed.tpot_seconds") << "  ("
            << num(s["decode_tokens_per_second"], "%.1f") << " tokens/s per request, "
            << (s.value("host_bound", false) ? "host" : str(s, "bound")) << "-bound)\n";
  if (s.contains("host_offload") && s["host_offload"].contains("pcie_weight_bytes")) {
    const json& h = s["host_offload"];
    std::cout << "  host memory     " << num(h["decode_seconds"]) << " s of each decode step reading "
              << gib(h["pcie_weight_bytes"]) << " GiB of offloaded weights over PCIe at "
              << num(h["host_to_gpu_gbps"], "%.1f") << " GB/s (--cpu-offload-gb); " << num(h["prefill_seconds"])
              << " s of prefill\n";
  } else if (s.contains("host_offload")) {
    const json& h = s["host_offload"];
    std::cout << "  host memory     " << num(h["decode_seconds"]) << " s of each decode step on the CPU, "
              << num(h["prefill_seconds"]) << " s of prefill ("
              << gib(h["layer_weight_bytes"].get<int64_t>() + h["expert_weight_bytes"].get<int64_t>())
              << " GiB of weights in host memory at " << num(h["host_memory_bandwidth_gbps"], "%.1f") << " GB/s: "
              << str(h, "host_memory_bandwidth_basis") << ")\n";
  }
  std::cout << "  latency         " << num(s["e2e_latency_seconds"]) << " s  (TTFT + TPOT x output tokens)\n";
  std::cout << "  throughput      " << num(s["throughput_tokens_per_second"], "%.1f") << " tokens/s (all sequences)\n";
  if (s.contains("curve") && !s["curve"].empty()) {
    std::cout << "  concurrency     tokens/s per user / total:";
    for (const json& p : s["curve"]) {
      std::cout << "  " << str(p, "concurrency") << ": " << num(p["per_user_tokens_per_second"], "%.1f") << " / "
                << num(p["throughput_tokens_per_second"], "%.0f");
    }
    std::cout << "\n";
  }
  std::cout << "  assumptions     " << str(a, "gpu") << " (" << str(a, "gpu_family") << "): "
            << num(a["memory_bandwidth_gbps"], "%.0f") << " GB/s x " << num(a["bandwidth_efficiency"]) << ", "
            << num(a["peak_tflops"], "%.1f") << " TFLOPS " << str(a, "compute_dtype") << " x "
            << num(a["prefill_efficiency"]) << " (prefill); overhead " << num(a["step_overhead_seconds"])
            << " s per step + " << num(a["layer_overhead_seconds"]) << " s per layer\n";
  for (const json& n : a["notes"]) std::cout << "                  " << n.get<std::string>() << "\n";
}

// Fine-tuning (--mode full|lora|qlora): the core's `training` section, per GPU.
void print_training(const json& r) {
  const json& m = r["model"];
  const json& t = r["training"];
  const json& in = t["inputs"];
  std::cout << "llmsizer " << str(r, "version") << " — " << (str(m, "id").empty() ? str(m, "architecture") : str(m, "id"))
            << " (" << str(m, "architecture") << ", " << str(m, "family") << ")\n";
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.3g", t["trainable_percent"].get<double>());
  std::cout << "  parameters      " << thousands(t["parameters"]) << ", trainable " << thousands(t["trainable_parameters"])
            << " (" << pct << " %)\n";
  std::cout << "  method          " << str(t, "method") << "\n";
  if (t.contains("lora")) {
    std::cout << "  LoRA            r " << str(t["lora"], "rank") << " on";
    for (const json& x : t["lora"]["modules"]) std::cout << " " << str(x, "name") << " x" << str(x, "matrices");
    std::cout << "\n";
  }
  std::cout << "  base weights    " << str(in, "base_weights_format") << ", compute " << str(in, "compute_dtype") << "\n";
  std::cout << "  deployment      " << str(in, "gpus") << " x " << str(in, "gpu_name") << " (" << gib(t["gpu_memory_bytes"])
            << " GiB), ZeRO " << str(in, "zero") << (in.value("offload_optimizer", false) ? " + CPU offload" : "") << "\n";
  std::cout << "  workload        micro-batch " << str(in, "micro_batch") << " x " << str(in, "seq_len")
            << " tokens, gradient checkpointing " << str(in, "gradient_checkpointing") << ", " << str(in, "attention")
            << " attention\n\n";
  std::cout << "Training memory per GPU at its peak, " << str(t, "peak_phase_label") << " (GiB = 2^30 bytes)\n";
  for (const json& part : t["breakdown"]) {
    std::string label = str(part, "label");
    label.resize(16, ' ');
    std::cout << "  " << label << gib(part["bytes"]) << "  (" << str(part, "detail") << ")\n";
  }
  std::cout << "  total           " << gib(t["total_bytes"]) << gib_band(r, "training.total_bytes") << "\n";
  std::cout << "  usable          " << gib(t["usable_bytes"]) << "  (capacity " << gib(t["gpu_memory_bytes"]) << " minus the "
            << gib(t["reserve_bytes"]) << " GiB reserve)\n";
  std::cout << "  free            " << gib(t["free_bytes"]) << "\n";
  std::cout << "  fits            " << (t.value("fits", false) ? "yes" : "no") << " (on the band: "
            << str(r["how_sure"], "verdict") << ")";
  if (t.value("pageable_bytes", 0) > 0) {
    std::cout << " (paged optimizer " << gib(t["pageable_bytes"]) << " GiB; fits with paging: "
              << (t.value("fits_with_paging", false) ? "yes" : "no") << ")";
  }
  std::cout << "\n";
  if (t.value("cpu_offload_bytes", 0) > 0) std::cout << "  CPU offload     " << gib(t["cpu_offload_bytes"]) << " per GPU\n";
  std::cout << "  GPUs needed     " << str(t, "gpus_needed") << " (ZeRO 0/1/2/3:";
  for (const json& n : t["gpus_needed_by_zero"]) std::cout << " " << n.dump();
  std::cout << "; 0 = none up to the search limit)\n";
  const json& sp = t["speed"];
  if (sp.value("available", false)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.0f tokens/s per GPU, %.0f in all (MFU %.1f %% of %.0f %s TFLOPS)",
                  sp["tokens_per_second_per_gpu"].get<double>(), sp["tokens_per_second"].get<double>(),
                  100 * sp["mfu"].get<double>(), sp["peak_tflops"].get<double>(), str(sp, "peak_dtype").c_str());
    std::cout << "  speed           " << buf << "\n";
    std::cout << "  step            " << num(sp["seconds_per_step"]) << " s"
              << num_band(r, "training.speed.seconds_per_step") << "\n";
    if (sp.contains("seconds_per_epoch")) {
      std::snprintf(buf, sizeof buf, "%.2f hours for %s tokens", sp["seconds_per_epoch"].get<double>() / 3600,
                    thousands(sp["dataset_tokens"]).c_str());
      std::cout << "  epoch           " << buf << "\n";
    }
  }
  print_how_sure(r, "training.");
  if (r.contains("warnings") && !r["warnings"].empty()) {
    std::cout << "\nWarnings\n";
    for (const json& x : r["warnings"]) std::cout << "  - " << str(x, "message") << "\n";
  }
  std::cout << "\nAssumptions\n";
  for (const json& x : t["assumptions"]) std::cout << "  - " << x.get<std::string>() << "\n";
}

// The serving engine's own numbers: its KV pool, start-up lines, launch command, reverse solves and the
// GPU recommendations (all computed by the core; printed as they are).
void print_engine(const json& r) {
  const json& s = r["serving"];
  if (s.contains("kv_cache_tokens")) {
    std::cout << "  KV cache        " << thousands(s["kv_cache_tokens"]) << " tokens"
              << num_band(r, "serving.kv_cache_tokens", "%.0f");
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
  if (s.contains("commands")) {  // encoders: every engine that serves them
    std::cout << "\nOther ways to serve it\n";
    for (auto it = s["commands"].begin(); it != s["commands"].end(); ++it) {
      if (it.value() != s.value("launch_command", json())) std::cout << "  " << it.key() << ": " << it.value().get<std::string>() << "\n";
    }
  }
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
    std::cout << "\nRecommended GPUs (fewest nodes, then fewest GPUs, then tokens/s per GPU; GiB = 2^30 bytes)\n";
    for (const json& x : r["recommendations"]) {
      std::cout << "  " << str(x, "count") << " x " << str(x, "name") << " on " << str(x, "nodes") << " node"
                << (str(x, "nodes") == "1" ? "" : "s") << " (TP " << str(x, "tp") << ", PP " << str(x, "pp")
                << (str(x, "dp") == "1" ? std::string() : ", " + str(x, "dp") + " replicas")
                << "): max concurrency " << str(x, "max_concurrency") << ", headroom " << gib(x["headroom_bytes"])
                << " GiB";
      if (x["throughput_tokens_per_second_per_gpu"].is_number()) {
        std::cout << ", " << num(x["throughput_tokens_per_second_per_gpu"], "%.1f") << " tok/s per GPU";
      }
      if (x.contains("concurrency_at_target")) {
        std::cout << ", " << str(x, "concurrency_at_target") << " users at the latency target";
      }
      if (x.contains("cost_per_million_output_tokens_usd")) {
        std::cout << ", $" << num(x["cost_per_million_output_tokens_usd"], "%.2f") << " per million output tokens ($"
                  << num(x["cost_per_month_usd"], "%.0f") << " a month)";
      }
      std::cout << "\n";
      const json& cmds = x["launch_commands"];
      if (cmds.size() > 1) {
        for (const json& c : cmds) std::cout << "      node " << str(c, "node") << ": " << str(c, "command") << "\n";
      }
    }
  }
  if (r.contains("recommendations_excluded") && !r["recommendations_excluded"].empty()) {
    std::cout << "\nNot recommended\n";
    for (const json& x : r["recommendations_excluded"]) {
      std::cout << "  " << str(x, "name") << ": " << str(x, "reason") << "\n";
    }
  }
}

void print_table(const json& r) {
  if (r.contains("training") && r["training"].value("mode", "inference") != "inference") {
    print_training(r);
    return;
  }
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
  if (str(m, "kind") == "encoder") {
    const json& e = m["encoder"];
    std::cout << "  kind            encoder (" << str(e, "head") << " head, " << str(e, "positions")
              << " positions, up to " << str(e, "max_sequence") << " tokens per text; no KV cache)\n";
  }
  if (m.contains("vision")) {
    const json& v = m["vision"];
    std::cout << "  vision          " << str(v, "family") << " tower " << thousands(v["tower_parameters"])
              << " + projector " << thousands(v["projector_parameters"]) << " parameters"
              << (v["exact"].is_boolean() && v["exact"].get<bool>() ? "" : " (generic ViT estimate)") << "\n";
  }
  std::cout << "  architecture    " << str(m, "num_hidden_layers") << " layers, hidden " << str(m, "hidden_size")
            << ", " << str(m, "num_attention_heads") << " heads, " << str(m, "num_key_value_heads") << " KV heads ("
            << str(m, "attention") << "), head dim " << str(m, "head_dim") << ", max context "
            << str(m, "max_position_embeddings") << "\n";
  std::cout << "  precision       weights " << str(p, "weights") << ", KV cache "
            << (str(m, "kind") == "encoder" ? std::string("none (encoder)") : str(p, "kv_cache")) << "\n";
  std::cout << "  deployment      " << str(l, "gpus") << " x " << str(l, "gpu_name") << " (" << gib(l["gpu_memory_bytes"])
            << " GiB), TP " << str(l, "tp") << ", PP " << str(l, "pp") << ", DP " << str(l, "dp") << "\n";
  std::cout << "  workload        " << str(w, "context") << " tokens x " << str(w, "batch") << " sequences";
  if (w.contains("images") && w["images"]["count"].is_number() && w["images"]["count"].get<int64_t>() > 0) {
    const json& im = w["images"];
    std::cout << " (incl. " << str(im, "count") << " image(s) of " << str(im, "image_size") << " px, "
              << str(im, "tokens_per_image") << " tokens each)";
  }
  std::cout << "\n\n";
  std::cout << "Memory per GPU (GiB = 2^30 bytes; the tightest GPU, stage " << str(mem, "binding_stage") << ")\n";
  std::cout << "  weights         " << gib(mem["weights_bytes"]) << gib_band(r, "memory.weights_bytes") << "\n";
  std::cout << "  KV cache        " << gib(mem["kv_cache_bytes"]) << gib_band(r, "memory.kv_cache_bytes") << "  ("
            << thousands(mem["kv_cache_bytes_per_token"]) << " B per token)\n";
  std::cout << "  activations     " << gib(mem["activations_bytes"]) << gib_band(r, "memory.activations_bytes") << "\n";
  if (mem.contains("breakdown") && mem["breakdown"]["vision_weights_bytes"].is_number() &&
      mem["breakdown"]["vision_weights_bytes"].get<int64_t>() > 0) {
    const json& b = mem["breakdown"];
    std::cout << "    of which vision  weights " << gib(b["vision_weights_bytes"]) << ", activations "
              << gib(b["vision_activations_bytes"]) << "\n";
  }
  std::cout << "  overhead        " << gib(mem["overhead_bytes"]) << "\n";
  if (mem.contains("mmproj_bytes")) std::cout << "  mmproj          " << gib(mem["mmproj_bytes"]) << "  (--mmproj)\n";
  std::cout << "  total           " << gib(mem["total_bytes"]) << gib_band(r, "memory.total_bytes") << "\n";
  std::cout << "  usable          " << gib(mem["usable_bytes"]) << "  (capacity " << gib(mem["gpu_memory_bytes"])
            << " minus the " << gib(mem["reserve_bytes"]) << " GiB reserve)\n";
  std::cout << "  free            " << gib(mem["free_bytes"]) << "\n\n";
  std::cout << "Serving (" << str(s, "engine") << ")\n";
  std::cout << "  fits            " << str(s, "verdict") << " (on the band; the estimate alone: "
            << (s["fits"].is_boolean() && s["fits"].get<bool>() ? "yes" : "no") << ", margin " << gib(s["margin_bytes"])
            << " GiB)\n";
  std::cout << "  GPUs needed     " << str(s, "gpus_needed");
  if (s.contains("gpus_needed_layout")) {
    std::cout << " (TP " << str(s["gpus_needed_layout"], "tp") << ", PP " << str(s["gpus_needed_layout"], "pp") << ")";
  }
  if (r.contains("how_sure") && r["how_sure"].contains("gpus_needed_at_high_end") &&
      r["how_sure"]["gpus_needed_at_high_end"] != s["gpus_needed"]) {
    const std::string hi = str(r["how_sure"], "gpus_needed_at_high_end");
    std::cout << "; " << (hi == "0" ? "none found" : hi) << " at the high end of the memory band";
  }
  if (s.contains("gpus_needed_note")) std::cout << " — " << str(s, "gpus_needed_note");
  std::cout << "\n  max concurrency " << str(s, "max_concurrency") << num_band(r, "serving.max_concurrency", "%.2f")
            << " sequences of " << str(w, "context") << " tokens"
            << (str(m, "kind") == "encoder" ? " in one forward" : "") << "\n";
  if (s.contains("system_ram_bytes")) {
    std::cout << "  system RAM      " << gib(s["system_ram_bytes"]) << " GiB (weights, KV and buffers on the CPU)\n";
  }
  print_engine(r);
  print_speed(r);
  print_how_sure(r);
  if (r.contains("warnings") && !r["warnings"].empty()) {
    std::cout << "\nWarnings\n";
    for (const json& x : r["warnings"]) std::cout << "  - " << str(x, "message") << "\n";
  }
  if (r.contains("assumptions") && !r["assumptions"].empty()) {
    std::cout << "\nAssumptions\n";
    for (const json& x : r["assumptions"]) std::cout << "  - " << x.get<std::string>() << "\n";
  }
}

// ---- the command line ----------------------------------------------------------------------------

/// What the flags ask for: the request's fields given as flags, and a request file they override.
struct Cli {
  bool as_json = false;
  json overrides = json::object();
  std::string request_path;
};

/// Walks the arguments; a flag's value comes after '=' ("--batch=8") or as the next argument.
class Args {
 public:
  explicit Args(std::vector<std::string> args) : args_(std::move(args)) {}
  bool done() const { return i_ >= args_.size(); }
  /// The next argument, its "=value" split off.
  std::string next_flag() {
    std::string a = args_[i_++];
    has_value_ = false;
    value_.clear();
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        value_ = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_value_ = true;
      }
    }
    return a;
  }
  bool has_value() const { return has_value_; }
  const std::string& inline_value() const { return value_; }
  /// The current flag's value (after '=', else the next argument); false when there is none.
  bool value(std::string* out) {
    if (has_value_) {
      *out = value_;
      return true;
    }
    if (i_ >= args_.size()) return false;
    *out = args_[i_++];
    return true;
  }

 private:
  std::vector<std::string> args_;
  size_t i_ = 0;
  bool has_value_ = false;
  std::string value_;
};

constexpr int kContinue = -1;  ///< a flag handler's "go on with the next argument"

int print_help(const std::vector<llmsizer::FieldInfo>& fields) {
  std::cout << kUsage;
  for (const auto& f : fields) {
    std::string name = flag_name(f.key);
    if (f.kind != FieldKind::kBool) name += f.kind == FieldKind::kString ? " S" : " N";
    std::cout << "  " << name << std::string(name.size() < 30 ? 30 - name.size() : 1, ' ') << f.help << "\n";
  }
  return 0;
}

int list_catalog(const std::string& a, bool as_json) {
  const json cat = json::parse(llmsizer::catalog_json(llmsizer::builtin_catalog()));
  const json& list = cat[a == "--list-gpus" ? "gpus" : "models"];
  if (as_json) {
    std::cout << list.dump() << "\n";
    return 0;
  }
  for (const json& x : list) {
    std::cout << str(x, "id");
    if (a == "--list-gpus") {
      std::cout << "\t" << str(x, "memory_gib") << " GiB\t" << str(x, "gpus_per_node") << " per node";
    }
    std::cout << "\t" << str(x, "name") << "\n";
  }
  return 0;
}

/// --gguf PATH: the file's header summary joins the request's "gguf" list (and names the model).
/// --gguf-mmproj PATH: the multimodal projector's joins "gguf_mmproj".
int add_gguf(const std::string& path, Cli& cli, bool mmproj = false) {
  json summary;
  std::string error;
  if (!read_gguf_summary(path, &summary, &error)) return fail(cli.as_json, "invalid_gguf", error);
  json& o = cli.overrides;
  if (mmproj) {
    if (!o.contains("gguf_mmproj")) o["gguf_mmproj"] = json::array();
    o["gguf_mmproj"].push_back(summary);
    return kContinue;
  }
  if (!o.contains("gguf")) o["gguf"] = json::array();
  o["gguf"].push_back(summary);
  if (!o.contains("model_id")) {
    std::string stem = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".gguf") == 0) stem.resize(stem.size() - 5);
    o["model_id"] = stem;
  }
  return kContinue;
}

/// A request field given as a flag (--max-num-seqs 8 -> "max_num_seqs": 8).
int field_flag(const std::string& a, Args& args, const std::vector<llmsizer::FieldInfo>& fields, Cli& cli) {
  std::string key = a.substr(2);
  for (char& c : key) {
    if (c == '-') c = '_';
  }
  // Short spellings of long keys (issue 13: transformers' --attention sdpa|eager|flash_attention_2).
  if (key == "attention") key = "attention_implementation";
  const llmsizer::FieldInfo* f = nullptr;
  for (const auto& x : fields) {
    if (x.key == key) f = &x;
  }
  if (!f || f->kind == FieldKind::kObject) return fail(cli.as_json, "invalid_request", "unknown option '" + a + "' (see --help)");
  if (f->kind == FieldKind::kBool) {
    if (args.has_value() && args.inline_value() != "true" && args.inline_value() != "false") {
      return fail(cli.as_json, "invalid_request", a + " takes no value, or =true / =false");
    }
    cli.overrides[key] = !args.has_value() || args.inline_value() == "true";
    return kContinue;
  }
  std::string v;
  if (!args.value(&v)) return fail(cli.as_json, "invalid_request", a + " needs a value");
  if (f->kind == FieldKind::kString) {
    cli.overrides[key] = v;
    return kContinue;
  }
  // Numbers go to the core as JSON numbers; the core checks ranges and whole-number-ness.
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end == nullptr || *end != '\0') {
    return fail(cli.as_json, "invalid_request", a + " expects a number, not '" + v + "'");
  }
  if (f->kind == FieldKind::kInt && d == static_cast<double>(static_cast<int64_t>(d)) && d > -9e18 && d < 9e18) {
    cli.overrides[key] = static_cast<int64_t>(d);
  } else {
    cli.overrides[key] = d;
  }
  return kContinue;
}

/// One flag: an exit code (help, version, lists, errors) or kContinue.
int handle_flag(const std::string& a, Args& args, const std::vector<llmsizer::FieldInfo>& fields, Cli& cli) {
  if (a == "--json") return kContinue;
  if (a == "--help" || a == "-h") return print_help(fields);
  if (a == "--version") {
    std::cout << "llmsizer " << llmsizer::version() << "\n";
    return 0;
  }
  if (a == "--list-gpus" || a == "--list-models") return list_catalog(a, cli.as_json);
  if (a == "--config") {
    std::string path, text;
    if (!args.value(&path)) return fail(cli.as_json, "invalid_request", "--config needs a path");
    if (!read_file(path, &text)) return fail(cli.as_json, "io_error", "cannot read config file '" + path + "'");
    cli.overrides["config"] = text;
    return kContinue;
  }
  if (a == "--gguf") {
    std::string path;
    if (!args.value(&path)) return fail(cli.as_json, "invalid_request", "--gguf needs a path");
    return add_gguf(path, cli);
  }
  if (a == "--gguf-mmproj") {
    std::string path;
    if (!args.value(&path)) return fail(cli.as_json, "invalid_request", "--gguf-mmproj needs a path");
    return add_gguf(path, cli, true);
  }
  if (a == "--request") {
    if (!args.value(&cli.request_path)) return fail(cli.as_json, "invalid_request", "--request needs a path");
    return kContinue;
  }
  if (a.rfind("--", 0) != 0) {
    return fail(cli.as_json, "invalid_request", "unexpected argument '" + a + "' (flags start with --; see --help)");
  }
  return field_flag(a, args, fields, cli);
}

/// Sends a request to the core; prints its JSON or a table. Exit code 0 when the answer is ok.
int answer(const std::string& request_text, bool as_json) {
  const std::string out = llmsizer::handle_request(request_text);
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> argv_list(argv + 1, argv + argc);
  Cli cli;
  for (const std::string& a : argv_list) {
    if (a == "--json") cli.as_json = true;
  }
  const std::vector<llmsizer::FieldInfo> fields = llmsizer::request_fields();
  Args args(argv_list);
  while (!args.done()) {
    const std::string a = args.next_flag();
    if (const int code = handle_flag(a, args, fields, cli); code != kContinue) return code;
  }

  json request = json::object();
  if (!cli.request_path.empty()) {
    std::string text;
    if (!read_file(cli.request_path, &text)) {
      return fail(cli.as_json, "io_error", "cannot read request file '" + cli.request_path + "'");
    }
    if (cli.overrides.empty()) {
      // Pass the text through untouched, so the response is exactly what the WASM module returns for it.
      const std::string out = llmsizer::handle_request(text);
      const json r = json::parse(out);
      if (cli.as_json || !r.value("ok", false)) {
        std::cout << out << "\n";
      } else {
        print_table(r);
      }
      return r.value("ok", false) ? 0 : 1;
    }
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return fail(cli.as_json, "invalid_json", "request file '" + cli.request_path + "' is not a JSON object");
    }
    request = parsed;
  }
  for (auto it = cli.overrides.begin(); it != cli.overrides.end(); ++it) request[it.key()] = it.value();
  if (request.empty()) {
    std::cerr << kUsage << "\n(see --help for every option)\n";
    return 2;
  }
  return answer(request.dump(), cli.as_json);
}
