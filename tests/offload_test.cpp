// Weights run from host memory (issue 18, "offload to the host"): llama.cpp --n-cpu-moe / --cpu-moe keeps routed
// experts on the CPU, -ngl below the layer count keeps whole layers there; the speed prices those bytes at the host's
// memory bandwidth (speed/offload.h). vLLM --cpu-offload-gb keeps decoder-layer parameters in pinned host memory and
// reads them over PCIe every forward. Expected values are computed by hand in the comments.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "engines/tensor_override.h"

#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json run(json req) { return json::parse(handle_request(req.dump())); }

json qwen3_moe(int64_t n_cpu_moe, const std::string& gpu = "nvidia-rtx-4090") {
  return {{"model", "Qwen/Qwen3-30B-A3B"}, {"gpu", gpu}, {"engine", "llama.cpp"}, {"dtype", "Q4_K_M"},
          {"context", 4096}, {"n_cpu_moe", n_cpu_moe}};
}

bool has_warning(const json& r, const std::string& code) {
  for (const json& w : r["warnings"]) {
    if (w["code"] == code) return true;
  }
  return false;
}

// Qwen3-30B-A3B: 48 layers of 128 experts, hidden 2048, moe_intermediate_size 768 -> per layer three expert tensors
// of 128 x 2048 x 768 = 201,326,592 weights. Q4_K_M (src/llama-quant.cpp): gate/up Q4_K (144 bytes per 256 weights)
// = 113,246,208 bytes each; down Q6_K (210 bytes per 256) = 165,150,720 on the layers use_more_bits picks (i < 6,
// i >= 42, (i - 6) % 3 == 2: 24 of 48), else Q4_K. Total 24 x (3 x 113,246,208) + 24 x (2 x 113,246,208 +
// 165,150,720) = 8,153,726,976 + 9,399,435,264 = 17,553,162,240 bytes.
constexpr int64_t kQwen3ExpertBytes = 17'553'162'240;

TEST(Offload, CpuMoeMovesEveryRoutedExpertToTheHost) {
  const json all = run(qwen3_moe(48));
  const json none = run(qwen3_moe(0));
  ASSERT_TRUE(all["ok"]) << all.dump();
  ASSERT_TRUE(none["ok"]) << none.dump();
  EXPECT_EQ(all["speed"]["host_offload"]["expert_weight_bytes"], kQwen3ExpertBytes);
  EXPECT_EQ(all["speed"]["host_offload"]["layer_weight_bytes"], 0);
  // The GPU keeps everything else: its weights drop by exactly the expert bytes, host RAM grows by them.
  EXPECT_EQ(none["memory"]["weights_bytes"].get<int64_t>() - all["memory"]["weights_bytes"].get<int64_t>(),
            kQwen3ExpertBytes);
  EXPECT_EQ(all["serving"]["system_ram_bytes"].get<int64_t>() - none["serving"]["system_ram_bytes"].get<int64_t>(),
            kQwen3ExpertBytes);
  EXPECT_FALSE(none["speed"].contains("host_offload"));
  // --n-cpu-moe >= the layer count is llama.cpp's --cpu-moe; a smaller N names itself.
  EXPECT_NE(all["serving"]["launch_command"].get<std::string>().find(" --cpu-moe"), std::string::npos);
  EXPECT_NE(run(qwen3_moe(12))["serving"]["launch_command"].get<std::string>().find(" --n-cpu-moe 12"), std::string::npos);
}

TEST(Offload, HostDecodeTimeIsTheActiveExpertsAtHostBandwidth) {
  // Batch 1: a token picks 8 of 128 experts per layer, so the CPU reads 8/128 of the host experts:
  // 17,553,162,240 / 16 = 1,097,072,640 bytes per step. An RTX 4090 is a desktop card: 2 x DDR5-5600 = 89.6 GB/s,
  // at the 0.5 streaming efficiency 44.8 GB/s -> 1,097,072,640 / 44.8e9 = 0.0244882 s.
  const json r = run(qwen3_moe(48));
  const json& h = r["speed"]["host_offload"];
  EXPECT_DOUBLE_EQ(h["host_memory_bandwidth_gbps"].get<double>(), 89.6);
  EXPECT_NEAR(h["decode_seconds"].get<double>(), 0.0244882, 1e-6);
  EXPECT_EQ(r["speed"]["bound"], "host memory");
  // A faster host halves it: 179.2 GB/s -> 0.0122441 s.
  json req = qwen3_moe(48);
  req["host_memory_bandwidth_gbps"] = 179.2;
  EXPECT_NEAR(run(req)["speed"]["host_offload"]["decode_seconds"].get<double>(), 0.0122441, 1e-6);
  // A datacenter GPU's host is a server socket: 8 x DDR5-4800 = 307.2 GB/s.
  EXPECT_DOUBLE_EQ(run(qwen3_moe(48, "nvidia-h100-pcie"))["speed"]["host_offload"]["host_memory_bandwidth_gbps"].get<double>(),
                   307.2);
}

TEST(Offload, PrefillUploadsTheHostWeightsEveryMicroBatch) {
  // 4096-token context, 256 output tokens: a 3840-token prompt in -ub 512 micro-batches = 7 full + one of 256 (>= 32,
  // so op offload copies again): 8 uploads of 17,553,162,240 bytes over PCIe 4.0 x16 at 0.8 x 31.5 GB/s = 25.2 GB/s
  // = 8 x 0.696554 = 5.57243 s.
  const json r = run(qwen3_moe(48));
  EXPECT_NEAR(r["speed"]["host_offload"]["prefill_seconds"].get<double>(), 5.57243, 1e-4);
  EXPECT_GT(r["speed"]["prefill_seconds"].get<double>(), 5.57243);
}

TEST(Offload, SpeedFallsAsMoreMovesToTheHost) {
  double last_tpot = 0;
  double last_prefill = 0;
  for (int64_t n : {0, 12, 24, 36, 48}) {
    const json r = run(qwen3_moe(n));
    const double tpot = r["speed"]["tpot_seconds"].get<double>();
    const double prefill = r["speed"]["prefill_seconds"].get<double>();
    EXPECT_GT(tpot, last_tpot) << "n_cpu_moe " << n;
    EXPECT_GE(prefill, last_prefill) << "n_cpu_moe " << n;
    last_tpot = tpot;
    last_prefill = prefill;
  }
  // -ngl: fewer layers on the GPU, slower decode; all of them there, no host share.
  json req = {{"model", "meta-llama/Llama-3.3-70B-Instruct"}, {"gpu", "nvidia-rtx-4090"}, {"engine", "llama.cpp"},
              {"dtype", "Q4_K_M"}, {"context", 4096}};
  last_tpot = 0;
  for (int64_t ngl : {70, 50, 30, 10}) {
    req["ngl"] = ngl;
    const json r = run(req);
    ASSERT_TRUE(r["ok"]) << r.dump();
    const double tpot = r["speed"]["tpot_seconds"].get<double>();
    EXPECT_GT(tpot, last_tpot) << "ngl " << ngl;
    EXPECT_GT(r["speed"]["host_offload"]["layer_weight_bytes"].get<int64_t>(), 0);
    last_tpot = tpot;
  }
}

TEST(Offload, PublishedCpuMoeDecodeSpeed) {
  // ik_llama.cpp PR #841 (2025-10-19): gpt-oss-20b MXFP4 with --cpu-moe on a Ryzen 9 7950X (two DDR5 channels) and
  // an RTX 4080 generated 34.01 tokens/s at an empty cache (llama-sweep-bench TG 512, main branch). The host
  // streaming efficiency (0.5) was set from this row, so the check is loose: within 25 %.
  const json r = run({{"model", "openai/gpt-oss-20b"}, {"gpu", "nvidia-rtx-4080"}, {"engine", "llama.cpp"},
                      {"dtype", "MXFP4_MOE"}, {"context", 4096}, {"n_cpu_moe", 24}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  const double tps = 1.0 / r["speed"]["tpot_seconds"].get<double>();
  EXPECT_NEAR(tps, 34.01, 0.25 * 34.01);
}

TEST(Offload, AppleReadsUnifiedMemoryAndDenseModelsSayNothingMoved) {
  json req = qwen3_moe(48, "apple-m4-max");
  const json r = run(req);
  ASSERT_TRUE(r["ok"]) << r.dump();
  // M4 Max: 546 GB/s unified memory (the preset's bandwidth).
  EXPECT_DOUBLE_EQ(r["speed"]["host_offload"]["host_memory_bandwidth_gbps"].get<double>(), 546.0);
  const json dense = run({{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"gpu", "nvidia-rtx-4090"},
                          {"engine", "llama.cpp"}, {"dtype", "Q4_K_M"}, {"context", 4096}, {"n_cpu_moe", 8}});
  ASSERT_TRUE(dense["ok"]) << dense.dump();
  EXPECT_TRUE(has_warning(dense, "llamacpp_cpu_moe_no_effect"));
  EXPECT_FALSE(dense["speed"].contains("host_offload"));
  // Nonsense numbers are refused with the key named.
  json bad = qwen3_moe(-3);
  const json e = run(bad);
  EXPECT_FALSE(e["ok"]);
  EXPECT_EQ(e["error"]["path"], "/n_cpu_moe");
  bad = qwen3_moe(0);
  bad["host_memory_bandwidth_gbps"] = -1;
  EXPECT_EQ(run(bad)["error"]["path"], "/host_memory_bandwidth_gbps");
}

// ---- llama.cpp --override-tensor / -ot --------------------------------------------------------------------------

json qwen3_ot(const std::string& ot, int64_t n_cpu_moe = 0) {
  json r = qwen3_moe(n_cpu_moe);
  r["override_tensor"] = ot;
  return r;
}

TEST(OverrideTensor, ExpsToCpuIsCpuMoe) {
  // "exps" occurs in every blk.N.ffn_{gate,up,down}_exps.weight and in nothing else (not ffn_gate_inp): the same
  // tensors --cpu-moe moves, so the same bytes and the same speed.
  const json ot = run(qwen3_ot("exps=CPU"));
  const json moe = run(qwen3_moe(48));
  ASSERT_TRUE(ot["ok"]) << ot.dump();
  EXPECT_EQ(ot["speed"]["host_offload"]["expert_weight_bytes"], kQwen3ExpertBytes);
  EXPECT_EQ(ot["speed"]["host_offload"]["layer_weight_bytes"], 0);
  EXPECT_EQ(ot["memory"]["weights_bytes"], moe["memory"]["weights_bytes"]);
  EXPECT_EQ(ot["serving"]["system_ram_bytes"], moe["serving"]["system_ram_bytes"]);
  EXPECT_DOUBLE_EQ(ot["speed"]["tpot_seconds"].get<double>(), moe["speed"]["tpot_seconds"].get<double>());
  EXPECT_DOUBLE_EQ(ot["speed"]["ttft_seconds"].get<double>(), moe["speed"]["ttft_seconds"].get<double>());
  EXPECT_NE(ot["serving"]["launch_command"].get<std::string>().find(" -ot 'exps=CPU'"), std::string::npos);
}

TEST(OverrideTensor, ALayerRangeMovesExactlyThoseExperts) {
  // Layers 10-29 (20 layers). Q4_K_M's ffn_down_exps is Q6_K where use_more_bits picks: (i - 6) % 3 == 2 -> layers
  // 11, 14, 17, 20, 23, 26, 29 (7 of the 20). Bytes: 20 x 2 x 113,246,208 (gate, up) + 7 x 165,150,720 + 13 x
  // 113,246,208 (down) = 4,529,848,320 + 1,156,055,040 + 1,472,200,704 = 7,158,104,064.
  const json r = run(qwen3_ot(R"(blk\.(1[0-9]|2[0-9])\.ffn_.*_exps\.=CPU)"));
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["speed"]["host_offload"]["expert_weight_bytes"], 7'158'104'064);
  // With --n-cpu-moe 10 the first ten layers' experts join them: layers 0-29. Q6_K downs in 0-9: i < 6 (0-5) and
  // 8 -> 7 layers: 10 x 2 x 113,246,208 + 7 x 165,150,720 + 3 x 113,246,208 = 2,264,924,160 + 1,156,055,040 +
  // 339,738,624 = 3,760,717,824; with the 20 above 10,918,821,888.
  const json both = run(qwen3_ot(R"(blk\.(1[0-9]|2[0-9])\.ffn_.*_exps\.=CPU)", 10));
  EXPECT_EQ(both["speed"]["host_offload"]["expert_weight_bytes"], 10'918'821'888);
  // A pattern that sends layers 0-9 to a GPU first keeps their experts there (--n-cpu-moe's patterns come after):
  // with --n-cpu-moe 20 only layers 10-19 move. Q6_K downs there: 11, 14, 17. 10 x 2 x 113,246,208 + 3 x
  // 165,150,720 + 7 x 113,246,208 = 2,264,924,160 + 495,452,160 + 792,723,456 = 3,553,099,776.
  const json kept = run(qwen3_ot(R"(blk\.[0-9]\.=CUDA0)", 20));
  ASSERT_TRUE(kept["ok"]) << kept.dump();
  EXPECT_EQ(kept["speed"]["host_offload"]["expert_weight_bytes"], 3'553'099'776);
}

TEST(OverrideTensor, OtherTensorsOnTheCpuAreReadInFullAndBadPatternsAreRefused) {
  // Attention of layer 0 on the CPU: blk.0.attn_q/k/v/output. Qwen3-30B-A3B: 32 heads x 128 = 4096 q rows, 4 KV heads x
  // 128 = 512 rows for k and v, hidden 2048. Q4_K_M: attn_v of layer 0 is Q6_K (use_more_bits), the others Q4_K:
  // q 4096 x 2048 x 144/256 = 4,718,592; k 512 x 2048 x 144/256 = 589,824; v 512 x 2048 x 210/256 = 860,160;
  // output 2048 x 4096 x 144/256 = 4,718,592. Sum 10,887,168 bytes, read in full every step (layer_weight_bytes).
  const json r = run(qwen3_ot(R"(blk\.0\.attn_(q|k|v|output)\.weight=CPU)"));
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["speed"]["host_offload"]["layer_weight_bytes"], 10'887'168);
  EXPECT_EQ(r["speed"]["host_offload"]["expert_weight_bytes"], 0);
  EXPECT_TRUE(has_warning(run(qwen3_ot("nothing_like_this=CPU")), "llamacpp_override_tensor_no_match"));
  EXPECT_TRUE(has_warning(run(qwen3_ot("output.weight=CPU")), "llamacpp_override_tensor_unmodelled"));
  for (const char* bad : {R"(blk\.(1[0-9]=CPU)", "exps", "exps=GPU", "*exps=CPU", "exps=CPU,", R"(\bexps=CPU)",
                          "a{2,1}=CPU", "[z-a]=CPU", "((((a)*)*)*)*b=CPU,(?=x)=CPU", "(.*)*(.*)*x=CPU"}) {
    const json e = run(qwen3_ot(bad));
    EXPECT_FALSE(e["ok"]) << bad;
    EXPECT_EQ(e["error"]["path"], "/override_tensor") << bad;
  }
}

TEST(OverrideTensor, TheMatcherAgreesWithStdRegexSearch) {
  // llama.cpp runs std::regex_search (ECMAScript); the core's small matcher must say yes and no the same way.
  const char* patterns[] = {"exps", R"(blk\.(1[0-9]|2[0-9])\.ffn_.*_exps\.)", R"(^blk\.[0-9]+\.attn)", R"(ffn_(up|gate)_exps)",
                            R"(\.(3[0-9]|4[0-7])\.ffn_down)", "[^a-z]exps", R"(blk\.\d{2}\.)", "output\\.weight$",
                            "attn_.?_norm", R"((?:up|down)_exps\.weight)", "x*", "blk\\.1\\.", "_(gate|up|down)+_"};
  const char* names[] = {"blk.0.ffn_up_exps.weight", "blk.15.ffn_down_exps.weight", "blk.29.ffn_gate_exps.weight",
                         "blk.30.ffn_up_exps.weight", "blk.9.attn_q.weight", "blk.12.attn_k_norm.weight",
                         "output.weight", "token_embd.weight", "blk.41.ffn_down_exps.weight", "blk.1.ffn_gate_inp.weight",
                         "blk.10.ffn_up_shexp.weight", ""};
  for (const char* p : patterns) {
    auto parsed = parse_tensor_overrides(std::string(p) + "=CPU");
    ASSERT_TRUE(parsed.ok()) << p;
    const std::regex re(p);
    for (const char* n : names) {
      EXPECT_EQ(parsed.value()->first_match(n) != nullptr, std::regex_search(n, re)) << p << " on " << n;
    }
  }
}

// ---- vLLM --cpu-offload-gb ----------------------------------------------------------------------------------------

json llama8b_vllm(double cpu_offload_gb, int64_t tp = 1) {
  return {{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"},
          {"context", 4096}, {"tp", tp}, {"cpu_offload_gb", cpu_offload_gb}};
}

// Llama-3.1-8B in bf16, one layer's parameters in vLLM's module order (hidden 4096, 32 heads, 8 KV heads of 128,
// intermediate 14336): qkv_proj (4096 + 2 x 1024) x 4096 x 2 B = 50,331,648; o_proj 4096 x 4096 x 2 = 33,554,432;
// gate_up_proj 2 x 14336 x 4096 x 2 = 234,881,024; down_proj 117,440,512; two RMSNorms of 8,192: 436,224,000 per layer.
// --cpu-offload-gb 1 = 1,073,741,824 bytes: layers 0 and 1 whole (872,448,000), then layer 2's qkv_proj
// (922,779,648), o_proj (956,334,080) and gate_up_proj (1,191,215,104), after which the budget is reached: the check
// comes before each parameter (maybe_offload_to_cpu), so the last one overshoots it. 1,191,215,104 bytes move.
constexpr int64_t kLlama8bOffload1GiB = 1'191'215'104;

TEST(VllmCpuOffload, MovesWholeParametersUntilTheBudgetIsReached) {
  const json none = run(llama8b_vllm(0));
  const json one = run(llama8b_vllm(1));
  ASSERT_TRUE(one["ok"]) << one.dump();
  // The GPU's weights drop by the moved bytes, and vLLM's profile hands them to the KV cache.
  EXPECT_EQ(none["memory"]["weights_bytes"].get<int64_t>() - one["memory"]["weights_bytes"].get<int64_t>(),
            kLlama8bOffload1GiB);
  EXPECT_EQ(one["serving"]["available_kv_cache_bytes"].get<int64_t>() -
                none["serving"]["available_kv_cache_bytes"].get<int64_t>(),
            kLlama8bOffload1GiB);
  EXPECT_GT(one["serving"]["kv_cache_tokens"].get<int64_t>(), none["serving"]["kv_cache_tokens"].get<int64_t>());
  EXPECT_EQ(one["serving"]["system_ram_bytes"], kLlama8bOffload1GiB);
  EXPECT_EQ(one["speed"]["host_offload"]["pcie_weight_bytes"], kLlama8bOffload1GiB);
  EXPECT_NE(one["serving"]["launch_command"].get<std::string>().find(" --cpu-offload-gb 1"), std::string::npos);
  EXPECT_EQ(none["serving"]["launch_command"].get<std::string>().find("--cpu-offload-gb"), std::string::npos);
  EXPECT_FALSE(none["speed"].contains("host_offload"));
  EXPECT_NE(run(llama8b_vllm(2.5))["serving"]["launch_command"].get<std::string>().find(" --cpu-offload-gb 2.5"),
            std::string::npos);
}

TEST(VllmCpuOffload, EachForwardReadsTheMovedBytesOverPcie) {
  // H100 SXM: PCIe 5.0 x16 to the host, 0.8 x 63 GB/s = 50.4 GB/s. Each decode step and each prefill forward (the
  // 3,840-token prompt is one step of max_num_batched_tokens 8,192) add 1,191,215,104 / 50.4e9 = 0.0236352 s.
  const json none = run(llama8b_vllm(0));
  const json one = run(llama8b_vllm(1));
  const json& h = one["speed"]["host_offload"];
  EXPECT_DOUBLE_EQ(h["host_to_gpu_gbps"].get<double>(), 50.4);
  EXPECT_NEAR(h["decode_seconds"].get<double>(), 0.0236352, 1e-7);
  EXPECT_NEAR(h["prefill_seconds"].get<double>(), 0.0236352, 1e-7);
  EXPECT_NEAR(one["speed"]["tpot_seconds"].get<double>() - none["speed"]["tpot_seconds"].get<double>(), 0.0236352,
              1e-7);
  EXPECT_NEAR(one["speed"]["ttft_seconds"].get<double>() - none["speed"]["ttft_seconds"].get<double>(), 0.0236352,
              1e-7);
  // More offloaded, slower: monotone in the budget.
  double last = none["speed"]["tpot_seconds"].get<double>();
  for (double gb : {1.0, 4.0, 8.0, 12.0}) {
    const double tpot = run(llama8b_vllm(gb))["speed"]["tpot_seconds"].get<double>();
    EXPECT_GT(tpot, last) << gb;
    last = tpot;
  }
}

TEST(VllmCpuOffload, TensorParallelRanksEachMoveTheirOwnShards) {
  // TP 2: per rank qkv (2048 + 2 x 512) x 4096 x 2 = 25,165,824; o 16,777,216; gate_up 117,440,512; down
  // 58,720,256; norms 16,384: 218,120,192 per layer. 1 GiB: layers 0-3 (872,480,768), then layer 4's qkv
  // (897,646,592), o (914,423,808), gate_up (1,031,864,320) and down (1,090,584,576 >= 1,073,741,824).
  const json r = run(llama8b_vllm(1, 2));
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["speed"]["host_offload"]["pcie_weight_bytes"], 1'090'584'576);
  EXPECT_EQ(r["serving"]["system_ram_bytes"], 2 * 1'090'584'576LL);  // both GPUs' pinned copies
}

TEST(VllmCpuOffload, ABudgetBeyondTheLayersMovesThemAllAndOldVersionsIgnoreIt) {
  // 20 GiB > 32 layers x 436,224,000 = 13,959,168,000 bytes: every decoder layer moves (embeddings and the LM head
  // never do), with a warning.
  const json r = run(llama8b_vllm(20));
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["speed"]["host_offload"]["pcie_weight_bytes"], 13'959'168'000);
  EXPECT_TRUE(has_warning(r, "vllm_cpu_offload_all_layers"));
  json old = llama8b_vllm(1);
  old["vllm_version"] = "0.4";
  const json o = run(old);
  ASSERT_TRUE(o["ok"]) << o.dump();
  EXPECT_TRUE(has_warning(o, "vllm_cpu_offload_unsupported"));
  EXPECT_FALSE(o["speed"].contains("host_offload"));
  json bad = llama8b_vllm(-1);
  EXPECT_EQ(run(bad)["error"]["path"], "/cpu_offload_gb");
}

}  // namespace
}  // namespace llmsizer
