// The llama.cpp engine: context padding, KV cache by type, sliding windows, -ngl offload, multi-GPU
// split, compute buffers, failures, concurrency, start-up lines and launch command. Expected values are
// computed by hand in the comments from llama.cpp's rules (cited in llamacpp.h / llamacpp.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/resolve.h"
#include "engines/llamacpp.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;
constexpr int64_t kMiB = int64_t{1} << 20;

Inputs llama_inputs(const char* dtype, double gib, int64_t context, int64_t batch) {
  Inputs in = test::inputs(Dtype::kFp16, Dtype::kFp16, gib, context, batch);
  in.weights = gguf_weight_format(dtype).value();
  in.engine = EngineId::kLlamaCpp;
  in.layout = Layout{1, 1, 1};
  return in;
}

bool has_line(const std::vector<std::string>& log, const std::string& line) {
  for (const std::string& l : log) {
    if (l == line) return true;
  }
  return false;
}

TEST(LlamaCpp, ContextPaddingAndSlots) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 5000, 1);
  LlamaCppParams o = llamacpp_params(m, in);
  EXPECT_EQ(o.n_ctx, 5120);  // GGML_PAD(5000, 256)
  EXPECT_EQ(o.n_ctx_seq, 5120);
  // -np 3 x 1100 tokens: -c 3300 -> 3328; per slot PAD(3328 / 3 = 1109, 256) = 1280; n_ctx = 3 x 1280.
  in = llama_inputs("Q4_K_M", 80, 1100, 3);
  o = llamacpp_params(m, in);
  EXPECT_EQ(o.requested_ctx, 3300);
  EXPECT_EQ(o.n_ctx_seq, 1280);
  EXPECT_EQ(o.n_ctx, 3840);
  EXPECT_EQ(o.n_stream, 3);
  // A unified cache keeps one pool of PAD(3300, 256) cells.
  in.llamacpp.kv_unified = true;
  o = llamacpp_params(m, in);
  EXPECT_EQ(o.n_ctx, 3328);
  EXPECT_EQ(o.n_ctx_seq, 3328);
  EXPECT_EQ(o.n_stream, 1);
  // n_batch = min(n_ctx, 2048), n_ubatch = min(n_batch, 512): a 256-token context caps both.
  in = llama_inputs("Q4_K_M", 80, 200, 1);
  o = llamacpp_params(m, in);
  EXPECT_EQ(o.n_ctx, 256);
  EXPECT_EQ(o.n_batch, 256);
  EXPECT_EQ(o.n_ubatch, 256);
}

TEST(LlamaCpp, KvCacheByType) {
  // Llama-3.1-8B: 32 layers, 8 KV heads x 128 = 1024 per token for K and for V.
  // f16: 2 x 1024 x 2 B x 8192 cells x 32 layers = 1 GiB. q8_0: row 1024 = 32 blocks x 34 B = 1088 B;
  // q4_0: 32 x 18 = 576 B.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].kv_bytes(), int64_t{1} << 30);
  EXPECT_EQ(mem.kv_cells_full, 8192);
  in.llamacpp.type_k = GgmlType::kQ8_0;
  in.llamacpp.type_v = GgmlType::kQ4_0;
  mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].kv_k_bytes, 1088LL * 8192 * 32);
  EXPECT_EQ(mem.gpus[0].kv_v_bytes, 576LL * 8192 * 32);
  // kv_dtype maps when ctk/ctv are not given: fp8 -> q8_0.
  Request req;
  req.kv_dtype = "fp8";
  in.llamacpp = llamacpp_options(req).value();
  EXPECT_EQ(in.llamacpp.type_k, GgmlType::kQ8_0);
  EXPECT_EQ(in.llamacpp.type_v, GgmlType::kQ8_0);
  mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].kv_bytes(), 2 * 1088LL * 8192 * 32);
  // The names llama-server takes, in any case; others are refused with the key's path.
  req.ctk = "Q4_1";
  req.ctv = "iq4_nl";
  in.llamacpp = llamacpp_options(req).value();
  EXPECT_EQ(in.llamacpp.type_k, GgmlType::kQ4_1);
  EXPECT_EQ(in.llamacpp.type_v, GgmlType::kIQ4_NL);
  req.ctv = "q6_k";
  EXPECT_EQ(llamacpp_options(req).error().path, "/ctv");
}

TEST(LlamaCpp, SlidingWindowLayers) {
  // Gemma-2-9B: 42 layers, even ones slide over 4096 tokens; 8 KV heads x 256 = 2048 per token, f16 K+V =
  // 8192 B per cell and layer. -c 8192, -ub 512: SWA cells = PAD(min(8192, 4096 + 512), 256) = 4608.
  // Full: 21 x 8192 x 8192 = 1,409,286,144; SWA: 21 x 4608 x 8192 = 792,723,456.
  const ModelSpec m = test::fixture("gemma-2-9b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.swa_layers, 21);
  EXPECT_EQ(mem.kv_cells_swa, 4608);
  EXPECT_EQ(mem.kv_k_full + mem.kv_v_full, 1409286144);
  EXPECT_EQ(mem.kv_k_swa + mem.kv_v_swa, 792723456);
  // --swa-full keeps the whole context in every layer.
  in.llamacpp.swa_full = true;
  mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.kv_cells_swa, 8192);
  // Mistral-7B-v0.1's window is ignored by llama.cpp (llama architecture: no SWA), with a warning.
  const ModelSpec mis = test::fixture("mistral-7b-v0.1.json");
  Inputs mi = llama_inputs("Q4_K_M", 80, 8192, 1);
  const EnginePlan p = plan_engine(mis, mi);
  EXPECT_EQ(p.kv_cache_tokens, 8192);
  bool warned = false;
  for (const Warning& w : p.warnings) warned = warned || w.code == "llamacpp_no_swa";
  EXPECT_TRUE(warned);
}

TEST(LlamaCpp, MlaCachesTheLatentOnlyInK) {
  // DeepSeek-V2-Lite: 27 layers, K row = kv_lora_rank 512 + rope 64 = 576, no V tensor (is_mla):
  // f16: 576 x 2 B x 4096 cells x 27 layers = 127,401,984.
  const ModelSpec m = test::fixture("deepseek-v2-lite.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 4096, 1);
  const LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].kv_k_bytes, 576LL * 2 * 4096 * 27);
  EXPECT_EQ(mem.gpus[0].kv_v_bytes, 0);
}

TEST(LlamaCpp, ComputeBuffers) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  // Flash attention: the output phase dominates, logits 128256 x 512 x 4 + normed input 4096 x 512 x 4 =
  // 258.50 MiB (what llama.cpp logs as "CUDA0 compute buffer size" for Llama-3-8B).
  EXPECT_EQ(mem.gpus[0].compute_bytes, 128256LL * 512 * 4 + 4096LL * 512 * 4);
  // Host: token embeddings 4096 x 512 x 4 + tokens/positions/output ids 3 x 512 x 4 + f16 mask 8192 x 512 x 2.
  EXPECT_EQ(mem.host.compute_bytes, 8388608 + 6144 + 8388608);
  // Logits buffer: one output per slot, 128256 x 4 B = 0.49 MiB.
  EXPECT_EQ(mem.host.output_buffer_bytes, 128256 * 4);
  // Without flash attention the KQ scores 8192 x 512 x 32 heads x 4 B (512 MiB) dominate: + residual 16 MiB
  // + q/k/v 512 x 6144 x 4 (12 MiB) + output 8 MiB = 548 MiB; the host mask is f32 (16 MiB): 24.01 MiB.
  in.llamacpp.flash_attn = false;
  mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].compute_bytes, 548 * kMiB);
  EXPECT_EQ(mem.host.compute_bytes, 8388608 + 6144 + 16777216);
}

TEST(LlamaCpp, PartialOffload) {
  // -ngl 17 of 33: i_gpu_start = 33 - 17 = 16: layers 16-31 and the output layer on the GPU, 0-15 on the CPU.
  // Layers with more bits (Q6_K attn_v/ffn_down) among 16-31: 18, 21, 24, 27, 28-31 = 8 (138,936,320 B each);
  // 8 plain (122,716,160 B). Among 0-15: 0-3, 6, 9, 12, 15 = 8 as well.
  // GPU: output 430,940,160 + output_norm 16,384 + 2,093,219,840 = 2,524,176,384.
  // CPU: token_embd 295,501,824 + 2,093,219,840 = 2,388,721,664. KV: 16 layers x 32 MiB on each side.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  in.llamacpp.ngl = 17;
  const LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(mem.gpus[0].first_layer, 16);
  EXPECT_EQ(mem.gpus[0].end_layer, 32);
  EXPECT_TRUE(mem.gpus[0].output_layer);
  EXPECT_EQ(mem.gpus[0].model_bytes, 2524176384);
  EXPECT_EQ(mem.host.model_bytes, 2388721664);
  EXPECT_EQ(mem.gpus[0].kv_bytes(), 16 * 32 * kMiB);
  EXPECT_EQ(mem.host.kv_bytes(), 16 * 32 * kMiB);
  const EnginePlan p = plan_engine(m, in);
  EXPECT_EQ(p.system_ram_bytes, mem.host.total_bytes());
  EXPECT_TRUE(has_line(p.startup_log, "load_tensors: offloaded 17/33 layers to GPU"));
  EXPECT_TRUE(has_line(p.startup_log, "load_tensors: offloading 16 repeating layers to GPU"));
  // -ngl 1: the output layer alone; -ngl 0: everything on the CPU.
  in.llamacpp.ngl = 1;
  LlamaCppMemory one = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(one.gpus[0].model_bytes, 430940160 + 16384);
  EXPECT_EQ(one.gpus[0].kv_bytes(), 0);
  in.llamacpp.ngl = 0;
  LlamaCppMemory none = llamacpp_memory(m, in, llamacpp_params(m, in));
  EXPECT_EQ(none.gpus[0].model_bytes, 0);
  EXPECT_TRUE(none.host.output_layer);
  EXPECT_EQ(none.host.model_bytes, 4912898048);
}

TEST(LlamaCpp, MultiGpuLayerSplit) {
  // Two equal GPUs, 33 offloadable layers: layer il goes to the first GPU whose cumulative split (0.5, 1.0)
  // exceeds il / 33, so GPU 0 holds layers 0-16 (16/33 = 0.485), GPU 1 layers 17-31 and the output.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  in.layout = Layout{1, 2, 1};
  const EnginePlan p = plan_engine(m, in);
  ASSERT_EQ(p.per_gpu.size(), 2u);
  EXPECT_EQ(p.per_gpu[0].first_layer, 0);
  EXPECT_EQ(p.per_gpu[0].end_layer, 17);
  EXPECT_EQ(p.per_gpu[1].first_layer, 17);
  EXPECT_EQ(p.per_gpu[1].end_layer, 32);
  EXPECT_EQ(p.per_gpu[0].memory.kv_cache_bytes, 17 * 32 * kMiB);
  EXPECT_EQ(p.per_gpu[1].memory.kv_cache_bytes, 15 * 32 * kMiB);
  EXPECT_NE(p.launch_command.find("--split-mode layer"), std::string::npos);
}

TEST(LlamaCpp, ConcurrencyAndLongestContext) {
  // Fixed on the GPU: model 4,617,396,224 + compute 271,056,896 + footprint 268,435,456 = 5,156,888,576 B.
  // A slot of 4096 tokens costs 4096 x 131,072 B = 512 MiB. On 10 GiB (10,737,418,240 B):
  // (10,737,418,240 - 5,156,888,576) / 536,870,912 = 10.39 -> 10 slots.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 10, 4096, 1);
  EnginePlan p = plan_engine(m, in);
  EXPECT_TRUE(p.fits);
  EXPECT_EQ(p.max_concurrency, 10);
  // On 6 GiB (6,442,450,944 B) 1,285,562,368 B are left: 9808 tokens, 9728 in steps of 256. One slot of
  // 16384 does not fit; the longest that does is 9728.
  in = llama_inputs("Q4_K_M", 6, 16384, 1);
  p = plan_engine(m, in);
  EXPECT_FALSE(p.fits);
  EXPECT_EQ(p.max_model_len_that_fits, 9728);
  EXPECT_LT(p.margin_bytes, 0);
}

TEST(LlamaCpp, QuantisedVNeedsFlashAttention) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 4096, 1);
  in.llamacpp.type_v = GgmlType::kQ8_0;
  in.llamacpp.flash_attn = false;
  const EnginePlan p = plan_engine(m, in);
  EXPECT_FALSE(p.fits);
  EXPECT_EQ(p.failure, "llama_init_from_model: V cache quantization requires flash_attn");
  EXPECT_EQ(p.max_concurrency, 0);
}

TEST(LlamaCpp, StartupLinesAndLaunchCommand) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = llama_inputs("Q4_K_M", 80, 8192, 1);
  in.model_id = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF";
  in.llamacpp.type_k = in.llamacpp.type_v = GgmlType::kQ8_0;
  const EnginePlan p = plan_engine(m, in);
  // The lines llama.cpp prints for Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf with -ngl 99 (weights and
  // compute buffer; KV at q8_0: 2 x 1088 B x 8192 x 32 = 544 MiB).
  EXPECT_TRUE(has_line(p.startup_log, "print_info: file type   = Q4_K - Medium"));
  EXPECT_TRUE(has_line(p.startup_log, "print_info: file size   = 4.58 GiB (4.89 BPW)"));
  EXPECT_TRUE(has_line(p.startup_log, "load_tensors:        CUDA0 model buffer size =  4403.49 MiB"));
  EXPECT_TRUE(has_line(p.startup_log, "load_tensors:   CPU_Mapped model buffer size =   281.81 MiB"));
  EXPECT_TRUE(has_line(p.startup_log, "llama_context:      CUDA0 compute buffer size =   258.50 MiB"));
  EXPECT_TRUE(has_line(p.startup_log,
                       "llama_kv_cache: size =  544.00 MiB (  8192 cells,  32 layers,  1/1 seqs), K (q8_0):  272.00 "
                       "MiB, V (q8_0):  272.00 MiB"));
  EXPECT_EQ(p.launch_command,
            "llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M -c 8192 -np 1 -ngl all -ctk q8_0 "
            "-ctv q8_0 -fa on");
}

TEST(LlamaCpp, ThroughTheApi) {
  const json req = {{"config", json::parse(test::fixture_text("llama-3.1-8b.json"))},
                    {"engine", "llama.cpp"},
                    {"dtype", "Q4_K_M"},
                    {"context", 8192},
                    {"batch", 2},
                    {"gpu", "nvidia-h100-sxm"}};
  const json r = json::parse(handle_request(req.dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["serving"]["engine"].get<std::string>(), "llama.cpp");
  EXPECT_EQ(r["precision"]["weights"].get<std::string>(), "GGUF Q4_K_M (\xE2\x89\x88" "4.89 bits/weight)");
  EXPECT_EQ(r["memory"]["weights_bytes"].get<int64_t>(), 4617396224);
  EXPECT_EQ(r["memory"]["kv_cache_bytes"].get<int64_t>(), 2LL << 30);  // 2 slots x 8192 x 128 KiB
  EXPECT_EQ(r["serving"]["kv_cache_tokens"].get<int64_t>(), 16384);
  EXPECT_TRUE(r["serving"]["fits"].get<bool>());
  EXPECT_GT(r["serving"]["system_ram_bytes"].get<int64_t>(), 295501824);
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find("-c 16384 -np 2"), std::string::npos);
  // Bad cache types are refused with the path.
  json bad = req;
  bad["ctk"] = "q3_K";
  const json e = json::parse(handle_request(bad.dump()));
  EXPECT_EQ(e["error"]["code"].get<std::string>(), "invalid_request");
  EXPECT_EQ(e["error"]["path"].get<std::string>(), "/ctk");
}

}  // namespace
}  // namespace llmsizer

namespace llmsizer {
namespace {

// Reference: llama.cpp itself (the 2026-09-28 snapshot's libllama from node-llama-cpp 3.22.1, CPU
// backend) on a synthetic llama GGUF written by this project's test writer (8 layers, hidden 1024, 16
// heads / 4 KV heads of 64, MLP 2816, vocab 8192), quantised by llama_model_quantize to Q4_K_M. Logged:
// "type q4_K: 49 tensors", "type q6_K: 9 tensors", "file size = 62.60 MiB (4.91 BPW)", and per context
// (-ub 512) "CPU compute buffer size is X MiB" (4 decimals) and "llama_kv_cache: size = ...". On the CPU
// alone the graph's inputs and its peak share one buffer: our host buffer + GPU buffer. Tolerance 0.5 %.
struct CpuCase {
  const char* name;
  int64_t ctx;
  int64_t np;
  bool fa;
  const char* kv;
  double compute_mib;  ///< measured
  double kv_mib;       ///< measured
};
const CpuCase kCpuCases[] = {
    {"fa_4096", 4096, 1, true, "f16", 28.5137, 32.00},
    {"nofa_4096", 4096, 1, false, "f16", 147.0098, 32.00},
    {"nofa_8192", 8192, 1, false, "f16", 283.0098, 64.00},
    {"fa_3x1100_q8", 1100, 3, true, "q8_0", 25.8092, 15.94},
};

ModelSpec calib_model() {
  return parse_config(R"({"model_type": "llama", "hidden_size": 1024, "num_hidden_layers": 8,
      "num_attention_heads": 16, "num_key_value_heads": 4, "intermediate_size": 2816, "vocab_size": 8192,
      "max_position_embeddings": 32768, "torch_dtype": "float16"})")
      .value();
}

class LlamaCppCpuReference : public ::testing::TestWithParam<CpuCase> {};

TEST_P(LlamaCppCpuReference, ComputeAndKvBuffers) {
  const CpuCase& c = GetParam();
  const ModelSpec m = calib_model();
  Inputs in = llama_inputs("Q4_K_M", 80, c.ctx, c.np);
  in.llamacpp.flash_attn = c.fa;
  Request req;
  req.ctk = req.ctv = c.kv;
  in.llamacpp.type_k = in.llamacpp.type_v = llamacpp_options(req).value().type_k;
  const LlamaCppMemory mem = llamacpp_memory(m, in, llamacpp_params(m, in));
  const double compute = static_cast<double>(mem.gpus[0].compute_bytes + mem.host.compute_bytes) / kMiB;
  EXPECT_NEAR(compute / c.compute_mib - 1.0, 0.0, 0.005) << compute << " MiB";
  EXPECT_NEAR(static_cast<double>(mem.gpus[0].kv_bytes()) / kMiB, c.kv_mib, 0.005);
}

INSTANTIATE_TEST_SUITE_P(Reference, LlamaCppCpuReference, ::testing::ValuesIn(kCpuCases),
                         [](const ::testing::TestParamInfo<CpuCase>& i) { return std::string(i.param.name); });

TEST(LlamaCppReference, QuantizedTypesAndFileSize) {
  const ModelSpec m = calib_model();
  int q4k = 0, q6k = 0, f32 = 0;
  for (const GgufTensor& t : gguf_tensors(m, 15)) {
    q4k += t.type == GgmlType::kQ4_K;
    q6k += t.type == GgmlType::kQ6_K;
    f32 += t.type == GgmlType::kF32 ? static_cast<int>(t.count) : 0;  // the two norms of a layer are one group
  }
  EXPECT_EQ(q4k, 49);
  EXPECT_EQ(q6k, 9);
  EXPECT_EQ(f32, 17);
  const EnginePlan p = plan_engine(m, llama_inputs("Q4_K_M", 80, 4096, 1));
  EXPECT_TRUE(has_line(p.startup_log, "print_info: file size   = 62.60 MiB (4.91 BPW)"));
}

}  // namespace
}  // namespace llmsizer
