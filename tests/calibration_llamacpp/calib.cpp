// Calibration: write a synthetic F16 llama GGUF, quantize it with llama.cpp (dry run) and create contexts,
// printing llama.cpp's own log lines.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include "llama.h"
#include "ggml-backend.h"
#include "gguf_writer.h"
using namespace llmsizer;

static void log_cb(ggml_log_level level, const char* text, void*) {
  (void)level;
  std::string t = text;
  if (t.find("buffer size") != std::string::npos || t.find("llama_kv_cache") != std::string::npos ||
      t.find("n_ctx") != std::string::npos || t.find("file size") != std::string::npos ||
      t.find("file type") != std::string::npos || t.find("converting to") != std::string::npos ||
      t.find("model size") != std::string::npos || t.find("quant size") != std::string::npos ||
      t.find("error") != std::string::npos || t.find("failed") != std::string::npos || t.find("type ") != std::string::npos)
    fputs(text, stdout);
}

int main(int argc, char** argv) {
  const char* dir = argv[1];
  int L = 8, E = 1024, H = 16, KV = 4, D = 64, F = 2816, V = 8192;
  test::GgufWriter w;
  w.str("general.architecture", "llama").str("general.name", "calib").u32("general.file_type", 1);
  w.u32("llama.block_count", L).u32("llama.embedding_length", E).u32("llama.feed_forward_length", F);
  w.u32("llama.attention.head_count", H).u32("llama.attention.head_count_kv", KV).u32("llama.context_length", 32768);
  w.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f).f32("llama.rope.freq_base", 10000.f).u32("llama.rope.dimension_count", D);
  std::vector<std::string> toks; std::vector<uint32_t> types;
  for (int i = 0; i < V; ++i) {
    if (i == 0) toks.push_back("<unk>"); else if (i == 1) toks.push_back("<s>"); else if (i == 2) toks.push_back("</s>");
    else if (i < 3 + 256) { char b[16]; snprintf(b, sizeof b, "<0x%02X>", i - 3); toks.push_back(b); }
    else toks.push_back("t" + std::to_string(i));
    types.push_back(i < 3 ? 3 : (i < 259 ? 6 : 1));
  }
  w.str("tokenizer.ggml.model", "llama").arr_str("tokenizer.ggml.tokens", toks);
  { std::string raw; test::GgufWriter::put_string(raw, "tokenizer.ggml.scores"); test::GgufWriter::put(raw, 9, 4);
    test::GgufWriter::put(raw, 6, 4); test::GgufWriter::put(raw, V, 8); for (int i = 0; i < V; ++i) test::GgufWriter::put(raw, 0, 4); w.raw_kv(raw); }
  { std::string raw; test::GgufWriter::put_string(raw, "tokenizer.ggml.token_type"); test::GgufWriter::put(raw, 9, 4);
    test::GgufWriter::put(raw, 5, 4); test::GgufWriter::put(raw, V, 8); for (int i = 0; i < V; ++i) test::GgufWriter::put(raw, types[i], 4); w.raw_kv(raw); }
  w.u32("tokenizer.ggml.bos_token_id", 1).u32("tokenizer.ggml.eos_token_id", 2).u32("tokenizer.ggml.unknown_token_id", 0);
  uint64_t data = 0;
  auto T = [&](const std::string& n, std::vector<int64_t> d, GgmlType t) { w.tensor(n, d, t); int64_t r = 1; for (size_t i = 1; i < d.size(); ++i) r *= d[i]; data += (ggml_row_size(t, d[0]) * r + 31) / 32 * 32; };
  T("token_embd.weight", {E, V}, GgmlType::kF16);
  for (int l = 0; l < L; ++l) {
    std::string b = "blk." + std::to_string(l) + ".";
    T(b + "attn_norm.weight", {E}, GgmlType::kF32);
    T(b + "attn_q.weight", {E, H * D}, GgmlType::kF16);
    T(b + "attn_k.weight", {E, KV * D}, GgmlType::kF16);
    T(b + "attn_v.weight", {E, KV * D}, GgmlType::kF16);
    T(b + "attn_output.weight", {H * D, E}, GgmlType::kF16);
    T(b + "ffn_norm.weight", {E}, GgmlType::kF32);
    T(b + "ffn_gate.weight", {E, F}, GgmlType::kF16);
    T(b + "ffn_up.weight", {E, F}, GgmlType::kF16);
    T(b + "ffn_down.weight", {F, E}, GgmlType::kF16);
  }
  T("output_norm.weight", {E}, GgmlType::kF32);
  T("output.weight", {E, V}, GgmlType::kF16);
  std::string hdr = w.bytes();
  hdr.append((hdr.size() + 31) / 32 * 32 - hdr.size(), '\0');
  std::string path = "/tmp/calib/model-f16.gguf";  // mkdir -p /tmp/calib first
  { std::ofstream f(path, std::ios::binary); f << hdr; std::string zeros(1 << 20, '\0'); uint64_t left = data;
    while (left) { uint64_t n = left < zeros.size() ? left : zeros.size(); f.write(zeros.data(), n); left -= n; } }
  ggml_backend_load_all_from_path(dir);
  llama_log_set(log_cb, nullptr);
  llama_backend_init();
  // Quantize to Q4_K_M (real run, small model).
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M; qp.nthread = 2;
  printf("== quantize rc=%u\n", llama_model_quantize(path.c_str(), "/tmp/calib/model-q4km.gguf", &qp));
  const char* runs[][5] = {{"q4km", "4096", "1", "1", "f16"}, {"q4km", "4096", "1", "0", "f16"}, {"q4km", "8192", "1", "0", "f16"},
                           {"q4km", "3300", "3", "1", "q8_0"}};
  for (auto& r : runs) {
    llama_model_params mp = llama_model_default_params(); mp.n_gpu_layers = 0;
    llama_model* m = llama_model_load_from_file(("/tmp/calib/model-" + std::string(r[0]) + ".gguf").c_str(), mp);
    if (!m) { printf("load failed\n"); return 1; }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = atoi(r[1]); cp.n_seq_max = atoi(r[2]); cp.flash_attn_type = atoi(r[3]) ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = cp.type_v = std::string(r[4]) == "q8_0" ? GGML_TYPE_Q8_0 : GGML_TYPE_F16; cp.n_batch = 2048; cp.n_ubatch = 512;
    printf("== run ctx=%s seq=%s fa=%s kv=%s\n", r[1], r[2], r[3], r[4]);
    llama_context* c = llama_init_from_model(m, cp);
    if (c) llama_free(c);
    llama_model_free(m);
  }
  return 0;
}
