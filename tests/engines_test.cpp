// Serving-engine rules, each checked against numbers computed by hand in the comments: vLLM's batch defaults,
// page sizes, layer groups, block counts, logged tokens and concurrency, activation and non-torch terms, the
// "max seq len" error; SGLang's default fraction and pool; transformers' peak terms; the reverse solves; the
// GPU recommendations; the JSON and launch commands.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/resolve.h"
#include "recommend/recommend.h"
#include "engines/sglang.h"
#include "test_util.h"
#include "engines/transformers.h"
#include "engines/vllm.h"
#include "speed/speed.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;
constexpr int64_t kMiB = int64_t{1} << 20;

GpuSpec h100() {
  GpuSpec g = test::gpu_gib(79.19);
  g.id = "nvidia-h100-sxm";  // an NVSwitch (NVLink SHARP) system
  g.name = "H100 SXM 80GB";
  return g;
}

/// vLLM inputs as the public sweep ran them: bf16, util 0.95, on an H100 (79.19 GiB).
Inputs vllm_inputs(int64_t len, int64_t tp = 1, int64_t pp = 1, double util = 0.95) {
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 79.19, len, 1);
  in.gpu = h100();
  in.layout = Layout{tp, pp, 1};
  in.engine = EngineId::kVllm;
  in.vllm.gpu_memory_utilization = util;
  in.vllm.max_model_len = len;
  return in;
}

// ---------------------------------------------------------------------------------------------
// The engine table and the typed settings resolve() fills
// ---------------------------------------------------------------------------------------------

TEST(EngineTable, OneRowPerEngineNamedAsRequestsSpellIt) {
  // The catalogue's order, which the page's engine selector shows.
  EXPECT_EQ(engine_names(), (std::vector<std::string>{"generic", "vllm", "sglang", "transformers", "llama.cpp"}));
  for (EngineId id : {EngineId::kGeneric, EngineId::kVllm, EngineId::kSglang, EngineId::kTransformers,
                      EngineId::kLlamaCpp}) {
    const Engine* e = find_engine(id);  // the full core links every engine
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->id, id);
    EXPECT_STREQ(e->name, engine_name(id));
    EXPECT_EQ(engine_from_name(e->name), id);
    EXPECT_NE(e->plan, nullptr);
    EXPECT_NE(e->capacity, nullptr);
    EXPECT_NE(e->speed, nullptr);
    EXPECT_EQ(e->launch_command == nullptr, id == EngineId::kGeneric) << e->name;
  }
  // Names are exact, as the request validation has always compared them.
  EXPECT_FALSE(engine_from_name("vLLM").has_value());
  EXPECT_FALSE(engine_from_name("llamacpp").has_value());
  EXPECT_FALSE(engine_from_name("").has_value());
}

TEST(EngineTable, RowsCarryTheEngineFacts) {
  // The memory knobs the reverse solve tunes.
  EXPECT_STREQ(find_engine(EngineId::kVllm)->knob.name, "gpu_memory_utilization");
  EXPECT_STREQ(find_engine(EngineId::kSglang)->knob.name, "mem_fraction_static");
  EXPECT_EQ(find_engine(EngineId::kTransformers)->knob.solve, nullptr);
  EXPECT_EQ(find_engine(EngineId::kLlamaCpp)->knob.solve, nullptr);
  // vLLM and SGLang pad the vocabulary to 64 rows per shard; transformers and llama.cpp split layers, not tensors.
  EXPECT_EQ(find_engine(EngineId::kVllm)->traits.vocab_padding, 64);
  EXPECT_EQ(find_engine(EngineId::kSglang)->traits.vocab_padding, 64);
  EXPECT_FALSE(find_engine(EngineId::kTransformers)->traits.tensor_parallel);
  EXPECT_FALSE(find_engine(EngineId::kLlamaCpp)->traits.tensor_parallel);
  EXPECT_FALSE(find_engine(EngineId::kLlamaCpp)->traits.stage_bound);
  // Speed: vLLM and transformers are calibrated; the others borrow vLLM's constants.
  EXPECT_TRUE(find_engine(EngineId::kVllm)->speed->calibrated);
  EXPECT_TRUE(find_engine(EngineId::kTransformers)->speed->calibrated);
  EXPECT_FALSE(find_engine(EngineId::kSglang)->speed->calibrated);
  EXPECT_EQ(find_engine(EngineId::kSglang)->speed->step_overhead_s, find_engine(EngineId::kVllm)->speed->step_overhead_s);
  // max_model_len is the context for vLLM and SGLang only.
  EXPECT_TRUE(find_engine(EngineId::kVllm)->max_model_len_is_context);
  EXPECT_TRUE(find_engine(EngineId::kSglang)->max_model_len_is_context);
  EXPECT_FALSE(find_engine(EngineId::kGeneric)->max_model_len_is_context);
  // llama.cpp runs one pipeline stage per GPU: tp 2 x pp 2 = 4 GPUs -> 4 stages; never more stages than layers.
  const auto run_layout = find_engine(EngineId::kLlamaCpp)->run_layout;
  ASSERT_NE(run_layout, nullptr);
  const Layout four = run_layout(Layout{2, 2, 1}, 32);
  EXPECT_EQ(four.tp, 1);
  EXPECT_EQ(four.pp, 4);
  EXPECT_EQ(four.dp, 1);
  EXPECT_EQ(run_layout(Layout{8, 1, 1}, 2).pp, 2);
  EXPECT_EQ(find_engine(EngineId::kVllm)->run_layout, nullptr);
}

TEST(EngineSettings, ResolvedFromTheRequestWithDefaults) {
  Request req;
  // vLLM: block size 0 means 16; versions parse with a leading v and extra parts; a non-version names its key.
  req.block_size = 0;
  req.vllm_version = "v0.10.1.1";
  VllmSettings v = vllm_settings(req).value();
  EXPECT_EQ(v.block_size, 16);
  EXPECT_EQ(v.version_major, 0);
  EXPECT_EQ(v.version_minor, 10);
  EXPECT_DOUBLE_EQ(v.gpu_memory_utilization, 0.9);
  req.vllm_version = "latest";
  EXPECT_EQ(vllm_settings(req).error().path, "/vllm_version");
  // transformers: the version as written (for the assumptions) and parsed.
  req = Request{};
  req.transformers_version = "4.38.2";
  const TransformersOptions t = transformers_options(req).value();
  EXPECT_EQ(t.version, "4.38.2");
  EXPECT_EQ(t.version_minor, 38);
  // llama.cpp: -b / -ub keep their defaults (2048 / 512) unless given, and remember whether they were;
  // --overhead-gib replaces the ~256 MiB footprint; -ngl below -1 is refused.
  req = Request{};
  LlamaCppOptions l = llamacpp_options(req).value();
  EXPECT_EQ(l.n_batch, 2048);
  EXPECT_FALSE(l.n_batch_given);
  EXPECT_EQ(l.n_ubatch, 512);
  EXPECT_EQ(l.gpu_overhead_bytes, 256 * kMiB);
  EXPECT_EQ(l.type_k, GgmlType::kF16);
  req.n_batch = 4096;
  req.ubatch = 1024;
  req.overhead_gib = 1;
  l = llamacpp_options(req).value();
  EXPECT_EQ(l.n_batch, 4096);
  EXPECT_TRUE(l.n_batch_given);
  EXPECT_EQ(l.n_ubatch, 1024);
  EXPECT_TRUE(l.n_ubatch_given);
  EXPECT_EQ(l.gpu_overhead_bytes, 1024 * kMiB);
  req.ngl = -2;
  EXPECT_EQ(llamacpp_options(req).error().path, "/ngl");
}

TEST(EngineSettings, ResolveFillsInputsOnce) {
  Request req;
  req.model = "meta-llama/Llama-3.1-8B-Instruct";
  req.engine = "sglang";
  req.mem_fraction_static = 0.8;
  req.max_model_len = 16384;  // SGLang's --context-length: the context when none is given
  req.reserve = 0.1;
  req.recommend_max_gpus = 16;
  const auto r = resolve(req, builtin_catalog());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Inputs& in = r.value().inputs;
  EXPECT_EQ(in.engine, EngineId::kSglang);
  EXPECT_DOUBLE_EQ(in.sglang.mem_fraction_static, 0.8);
  EXPECT_EQ(in.context, 16384);
  EXPECT_EQ(in.model_id, "meta-llama/Llama-3.1-8B-Instruct");  // the preset id when no model_id is given
  EXPECT_FALSE(in.gguf_file);
  EXPECT_EQ(in.max_gpus, 16);
  EXPECT_DOUBLE_EQ(in.generic.reserve, 0.1);
  // The engine's overhead default: CUDA context 512 MiB + 256 MiB workspaces, no NCCL at tp 1.
  EXPECT_EQ(in.generic.overhead_bytes, 768 * kMiB);
  req.engine = "tgi";
  EXPECT_EQ(resolve(req, builtin_catalog()).error().message,
            "unknown engine 'tgi': use generic, vllm, sglang, transformers, llama.cpp");
}

// ---------------------------------------------------------------------------------------------
// vLLM
// ---------------------------------------------------------------------------------------------

TEST(Vllm, BatchDefaultsByGpu) {
  // >= 70 GiB and not an A100: 8192 / 1024 (offline 16384); otherwise 2048 / 256 (offline 8192).
  EXPECT_EQ(vllm::batch_defaults(h100(), false).max_num_batched_tokens, 8192);
  EXPECT_EQ(vllm::batch_defaults(h100(), false).max_num_seqs, 1024);
  EXPECT_EQ(vllm::batch_defaults(h100(), true).max_num_batched_tokens, 16384);
  GpuSpec a100 = test::gpu_gib(79.15);
  a100.id = "nvidia-a100-sxm4-80gb";
  a100.name = "A100 SXM4 80GB";
  EXPECT_EQ(vllm::batch_defaults(a100, false).max_num_batched_tokens, 2048);
  EXPECT_EQ(vllm::batch_defaults(a100, false).max_num_seqs, 256);
  EXPECT_EQ(vllm::batch_defaults(a100, true).max_num_batched_tokens, 8192);
  EXPECT_EQ(vllm::batch_defaults(test::gpu_gib(23.64), false).max_num_seqs, 256);
  EXPECT_EQ(vllm::batch_defaults(test::gpu_gib(140.4), false).max_num_seqs, 1024);
}

TEST(Vllm, PageSizesPerRank) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  // 2 (K,V) x 16 tokens x 8 KV heads x 128 x 2 bytes = 65,536 per layer; 32 layers per block = 2,097,152.
  vllm::KvLayout kv = vllm::kv_layout(m, Dtype::kBf16, 1, 16);
  EXPECT_TRUE(kv.uniform_type);
  EXPECT_EQ(kv.page_bytes[0], 65536);
  EXPECT_EQ(vllm::block_bytes(kv, test::whole(m)), 2097152);
  // TP 4: 2 KV heads per rank -> 16,384; TP 16: max(1, 8 // 16) = 1 head, replicated -> 8,192.
  EXPECT_EQ(vllm::kv_layout(m, Dtype::kBf16, 4, 16).page_bytes[0], 16384);
  EXPECT_EQ(vllm::kv_layout(m, Dtype::kBf16, 16, 16).page_bytes[0], 8192);
  // fp8 halves it: 32,768.
  EXPECT_EQ(vllm::kv_layout(m, Dtype::kFp8, 1, 16).page_bytes[0], 32768);
  // int8 adds fp32 scales per token and KV head for K and V: 16 x (8 x 256 x 1 + 2 x 8 x 4) = 33,792.
  EXPECT_EQ(vllm::kv_layout(m, Dtype::kInt8, 1, 16).page_bytes[0], 33792);
  // MLA (DeepSeek-V2-Lite): one latent of 512 + 64 per token, no x2, the same on every rank: 16 x 576 x 2 = 18,432.
  const ModelSpec ds = test::fixture("deepseek-v2-lite.json");
  EXPECT_EQ(vllm::kv_layout(ds, Dtype::kBf16, 1, 16).page_bytes[0], 18432);
  EXPECT_EQ(vllm::kv_layout(ds, Dtype::kBf16, 8, 16).page_bytes[0], 18432);
}

TEST(Vllm, BlocksTokensAndConcurrencyOfAUniformModel) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const vllm::KvLayout kv = vllm::kv_layout(m, Dtype::kBf16, 1, 16);
  // 100 blocks of 2,097,152 bytes and 5 bytes to spare -> 100 blocks, 1,600 tokens.
  EXPECT_EQ(vllm::num_blocks(kv, test::whole(m), 2097152LL * 100 + 5), 100);
  EXPECT_EQ(vllm::num_blocks(kv, test::whole(m), -1), 0);
  EXPECT_EQ(vllm::logged_tokens(kv, 29751), 476016);
  // ceil(8192 / 16) = 512 blocks per request; ceil(8193 / 16) = 513.
  EXPECT_EQ(vllm::blocks_per_request(kv, 8192, 8192), 512);
  EXPECT_EQ(vllm::blocks_per_request(kv, 8193, 8192), 513);
}

TEST(Vllm, HybridSlidingWindowGroups) {
  // Gemma 2 9B: 42 layers alternating sliding (4096) and full; page 2 x 16 x 8 x 256 x 2 = 131,072.
  const ModelSpec m = test::fixture("gemma-2-9b.json");
  const vllm::KvLayout kv = vllm::kv_layout(m, Dtype::kBf16, 1, 16);
  ASSERT_FALSE(kv.uniform_type);
  ASSERT_EQ(kv.groups.size(), 2u);  // 21 and 21 layers: group size 21, one group per type
  // A block is shared by one layer of each group: 21 tensors of 131,072.
  EXPECT_EQ(vllm::block_bytes(kv, test::whole(m)), 21 * 131072);
  // L = 8192, 8192 batched tokens: full ceil(8192/16) = 512; sliding min(4095 + 8192, 8192) = 8192 -> 512 + 1.
  EXPECT_EQ(vllm::blocks_per_request(kv, 8192, 8192), 1025);
  // L = 2048: 128 + (128 + 1) = 257.
  EXPECT_EQ(vllm::blocks_per_request(kv, 2048, 8192), 257);
  // Logged tokens: 21,110 blocks // 2 groups x 16 = 168,880 (vLLM 0.19's log for this model), and its
  // concurrency 21,110 / 1,025 = 20.595 ("20.60x").
  EXPECT_EQ(vllm::logged_tokens(kv, 21110), 168880);
  // One request of 8192 tokens: 21 x 512 + 21 x 513 pages of 131,072 bytes = 2,821,324,800.
  EXPECT_EQ(vllm::one_request_bytes(kv, test::whole(m), 8192, 8192), 2821324800LL);
}

TEST(Vllm, GroupSizeFollowsTheSmallerLayerType) {
  // Gemma 3 27B: 62 layers, every 6th full -> 10 full, 52 sliding. 52 >= 1.25 x 10, so groups of 10 layers:
  // 1 full group + ceil(52 / 10) = 6 sliding groups.
  const ModelSpec m = test::fixture("gemma-3-27b-it.json");
  const vllm::KvLayout kv = vllm::kv_layout(m, Dtype::kBf16, 1, 16);
  EXPECT_EQ(kv.groups.size(), 7u);
  // Tokens: 700 blocks // 7 groups x 16 = 1,600.
  EXPECT_EQ(vllm::logged_tokens(kv, 700), 1600);
}

TEST(Vllm, UniformSlidingWindowNeedsOnlyItsWindow) {
  // Mistral 7B v0.1: every layer slides over 4096 tokens. L = 32768, 8192 batched: min(4095 + 8192, 32768) =
  // 12,287 tokens -> ceil(12287 / 16) = 768 blocks + 1 = 769.
  const ModelSpec m = test::fixture("mistral-7b-v0.1.json");
  const vllm::KvLayout kv = vllm::kv_layout(m, Dtype::kBf16, 1, 16);
  EXPECT_TRUE(kv.uniform_type);
  EXPECT_EQ(vllm::blocks_per_request(kv, 32768, 8192), 769);
  EXPECT_EQ(vllm::blocks_per_request(kv, 1000, 8192), 64);  // ceil(1000/16) = 63 + 1
}

TEST(Vllm, ActivationTerms) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  // Sampler: 8192 x 4096 x 2 (hidden states) + 1024 x 128,256 x (2 + 13) = 67,108,864 + 1,970,012,160.
  EXPECT_DOUBLE_EQ(vllm::sampler_peak_bytes(m, Dtype::kBf16, 8192, 1024), 2037121024.0);
  // Rows = min(max_num_seqs, tokens): 2048 tokens, 256 seqs -> 2048 x 4096 x 2 + 256 x 128,256 x 15.
  EXPECT_DOUBLE_EQ(vllm::sampler_peak_bytes(m, Dtype::kBf16, 2048, 256), 16777216.0 + 492503040.0);
  // Forward: MLP 3 x 14,336 = 43,008 > attention 4096 + 2 x 8 x 128 + 4096 = 10,240; + 7 x 4096 = 71,680
  // elements per token x 8192 tokens x 2 bytes.
  EXPECT_DOUBLE_EQ(vllm::forward_peak_bytes(m, Dtype::kBf16, 1, test::whole(m), 8192), 1174405120.0);
  // Mixtral 8x7B at TP 2: fused-MoE workspaces 2 x max(2 x 7168, 4096) + 2 x max(7168, 4096) + 8 router
  // logits = 43,016,
  // + 28,672 = 71,688 elements x 8192 x 2.
  const ModelSpec mx = test::fixture("mixtral-8x7b.json");
  EXPECT_DOUBLE_EQ(vllm::forward_peak_bytes(mx, Dtype::kBf16, 2, test::whole(mx), 8192), 1174536192.0);
  // Qwen3-30B-A3B (128 experts, top 8, 768 wide, hidden 2048): 8 x max(1536, 2048) + 8 x max(768, 2048) + 128 =
  // 32,896 > attention 32 x 128 + 2 x 4 x 128 + 32 x 128 = 9,216; + 7 x 2048 = 47,232 elements x 8192 x 2.
  const ModelSpec q3 = test::fixture("qwen3-30b-a3b.json");
  EXPECT_DOUBLE_EQ(vllm::forward_peak_bytes(q3, Dtype::kBf16, 1, test::whole(q3), 8192), 47232.0 * 8192 * 2);
}

TEST(Vllm, NonTorchMemoryDependsOnTheInterconnect) {
  EXPECT_EQ(vllm::non_torch_bytes(h100(), 1), 256 * kMiB);
  // TP 2 on an NVSwitch system: 256 + 32 (one peer) + 1832 (NVLS) MiB; TP 4: 256 + 96 + 1832.
  EXPECT_EQ(vllm::non_torch_bytes(h100(), 2), 2120 * kMiB);
  EXPECT_EQ(vllm::non_torch_bytes(h100(), 4), 2184 * kMiB);
  // No NVLink SHARP (custom or A100 systems): only the per-peer buffers.
  EXPECT_EQ(vllm::non_torch_bytes(test::gpu_gib(79.15), 2), 288 * kMiB);
}

TEST(Vllm, WholePlanByHand) {
  // Llama-3.1-8B, bf16, H100 79.19 GiB (85,029,615,042 B), util 0.95, max_model_len 8192:
  //   budget     = floor(85,029,615,042 x 0.95)                         = 80,778,134,289
  //   weights    = 8,030,261,248 x 2 + rope cache 131,072 x 128 x 2      = 16,094,076,928
  //   activation = sampler (above)                                      =  2,037,121,024
  //   non-torch  = 256 MiB                                              =    268,435,456
  //   available  = 62,378,500,881 -> // 2,097,152 = 29,744 blocks -> 475,904 tokens; 29,744 / 512 = 58.09x
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_inputs(8192));
  ASSERT_TRUE(p.failure.empty()) << p.failure;
  EXPECT_EQ(p.per_gpu[0].memory.weights_bytes, 16094076928LL);
  EXPECT_EQ(p.per_gpu[0].memory.activations_bytes, 2037121024LL);
  EXPECT_EQ(p.per_gpu[0].memory.overhead_bytes, 268435456LL);
  EXPECT_EQ(p.available_kv_cache_bytes, 62378500881LL);
  EXPECT_EQ(p.kv_cache_blocks, 29744);
  EXPECT_EQ(p.kv_cache_tokens, 475904);
  EXPECT_DOUBLE_EQ(p.max_concurrency, 58.09);
  ASSERT_EQ(p.startup_log.size(), 5u);
  EXPECT_EQ(p.startup_log[0].rfind("Initializing a V1 LLM engine (v0.19) with config: ", 0), 0u);
  EXPECT_EQ(p.startup_log[1], "Model loading took 14.99 GiB memory");
  EXPECT_EQ(p.startup_log[3], "GPU KV cache size: 475,904 tokens");
  EXPECT_EQ(p.startup_log[4], "Maximum concurrency for 8,192 tokens per request: 58.09x");
  // One 8192-token request: 512 blocks x 2,097,152 bytes on the GPU.
  EXPECT_EQ(p.per_gpu[0].memory.kv_cache_bytes, 512LL * 2097152);
  EXPECT_TRUE(p.fits);
}

TEST(Vllm, OneRequestTooLongGivesVllmsErrorAndTheLengthThatFits) {
  // util 0.30: budget floor(85,029,615,042 x 0.3) = 25,508,884,512; available = 25,508,884,512 - 16,094,076,928
  // - 2,037,121,024 - 268,435,456 = 7,109,251,104 (6.62 GiB). 131,072 tokens need 8192 blocks x 2,097,152 =
  // 16.00 GiB. The longest that fits: floor(7,109,251,104 / 2,097,152) = 3389 blocks = 54,224 tokens.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_inputs(131072, 1, 1, 0.30));
  EXPECT_FALSE(p.fits);
  EXPECT_EQ(p.max_model_len_that_fits, 54224);
  EXPECT_EQ(p.failure,
            "ValueError: To serve at least one request with the models's max seq len (131072), (16.00 GiB KV cache is "
            "needed, which is larger than the available KV cache memory (6.62 GiB). Based on the available memory, "
            "the estimated maximum model length is 54224. Try increasing `gpu_memory_utilization` or decreasing "
            "`max_model_len` when initializing the engine.");
  // The pool is sized before the check (issue 13): 3389 blocks x 16 = 54,224 tokens, 3389 / 8192 = 0.41x.
  EXPECT_EQ(p.kv_cache_tokens, 54224);
  EXPECT_DOUBLE_EQ(p.max_concurrency, 0.41);
  EXPECT_EQ(p.max_model_len_failure, p.failure);
}

TEST(Vllm, NoMemoryLeftAndInvalidSettings) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  // util 0.2: budget 15.84 GiB < weights 14.99 + activations 1.90 + 0.25.
  EXPECT_EQ(plan_engine(m, vllm_inputs(8192, 1, 1, 0.2)).failure,
            "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
            "initializing the engine.");
  Inputs in = vllm_inputs(8192);
  in.vllm.max_num_seqs = 8192;  // equal to max_num_batched_tokens: allowed
  EXPECT_TRUE(plan_engine(m, in).failure.empty());
  in.vllm.max_num_seqs = 9000;
  EXPECT_EQ(plan_engine(m, in).failure,
            "ValueError: max_num_batched_tokens (8192) must be greater than or equal to max_num_seqs (9000).");
  // TP 3 does not divide 32 heads.
  EXPECT_EQ(plan_engine(m, vllm_inputs(8192, 3)).failure.rfind("ValueError: tensor parallel size 3", 0), 0u);
}

TEST(Vllm, PipelineStagesTakeTheSmallestBlockCount) {
  // PP 2: 16 layers per stage, 16 x 65,536 = 1,048,576 bytes per block. The last stage holds the LM head
  // and the sampler: weights 7.51 GiB there too (untied), so it has the fewest blocks and binds.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const EnginePlan p = plan_engine(m, vllm_inputs(8192, 1, 2));
  ASSERT_EQ(p.per_gpu.size(), 2u);
  EXPECT_GT(p.per_gpu[1].memory.activations_bytes, p.per_gpu[0].memory.activations_bytes);
  auto blocks = [](const GpuMemory& g) {
    const MemoryBreakdown& b = g.memory;
    return (g.usable_bytes - b.weights_bytes - b.activations_bytes - b.overhead_bytes) / 1048576;
  };
  EXPECT_LT(blocks(p.per_gpu[1]), blocks(p.per_gpu[0]));
  EXPECT_EQ(p.kv_cache_blocks, blocks(p.per_gpu[1]));
  EXPECT_EQ(p.startup_log[1].rfind("(PP rank 0) Model loading took", 0), 0u);
}

TEST(Vllm, KvCacheMemoryBytesReplacesTheProfile) {
  // CUDA graphs by version: tests/versions_test.cpp (no version subtracts them unless asked).
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(8192);
  const EnginePlan now = plan_engine(m, in);
  in.vllm.enforce_eager = true;
  EXPECT_EQ(plan_engine(m, in).available_kv_cache_bytes, now.available_kv_cache_bytes);
  // --kv-cache-memory-bytes replaces the profile: 2,097,152 x 1000 + 1 -> 1000 blocks.
  in = vllm_inputs(8192);
  in.vllm.kv_cache_memory_bytes = 2097152LL * 1000 + 1;
  EXPECT_EQ(plan_engine(m, in).kv_cache_blocks, 1000);
}

TEST(Vllm, LaunchCommand) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(32768, 2, 1, 0.9);
  in.model_id = "meta-llama/Llama-3.1-8B-Instruct";
  in.kv_dtype = Dtype::kFp8;
  EXPECT_EQ(plan_engine(m, in).launch_command,
            "vllm serve meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 2 --max-model-len 32768 "
            "--gpu-memory-utilization 0.90 --kv-cache-dtype fp8");
  in.weights = weight_format_from_name("fp8", Dtype::kBf16).value();
  in.vllm.max_num_seqs = 64;
  in.vllm.enforce_eager = true;
  EXPECT_EQ(plan_engine(m, in).launch_command,
            "vllm serve meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 2 --max-model-len 32768 "
            "--gpu-memory-utilization 0.90 --quantization fp8 --kv-cache-dtype fp8 --max-num-seqs 64 --enforce-eager");
}

// ---------------------------------------------------------------------------------------------
// SGLang
// ---------------------------------------------------------------------------------------------

TEST(Sglang, DefaultFractionByGpuMemoryAndTp) {
  // H100, 79.19 GiB = 81,090.56 MiB: chunked prefill 8192, CUDA graphs up to bs 256 (tp < 4):
  // reserved = 512 + 8192 x 1.5 + 256 x 2 + 1/8 x 1024 = 13,440 MiB -> round(67,650.56 / 81,090.56, 3) = 0.834.
  EXPECT_DOUBLE_EQ(sglang::defaults(h100(), 1, 1).mem_fraction_static, 0.834);
  // TP 8: bs 512 -> 512 + 12,288 + 1,024 + 1,024 = 14,848 -> 0.817.
  EXPECT_DOUBLE_EQ(sglang::defaults(h100(), 8, 1).mem_fraction_static, 0.817);
  // 24 GiB: chunked 2048, bs 24 -> 512 + 3072 + 48 + 128 = 3,760 of 24,576 -> 0.847.
  EXPECT_DOUBLE_EQ(sglang::defaults(test::gpu_gib(24), 1, 1).mem_fraction_static, 0.847);
  // Request pool: min(max(400,000 / 8192 x 512, 2048), 4096) = 4096; a small pool keeps 2048.
  EXPECT_EQ(sglang::max_num_reqs(400000, 8192), 4096);
  EXPECT_EQ(sglang::max_num_reqs(10000, 8192), 2048);
}

TEST(Sglang, PoolTokensByHand) {
  // Llama-3.1-8B on H100, default 0.834: free at start = 85,029,615,042 - 512 MiB = 84,492,744,130;
  // x 0.834 = 70,466,948,604 - weights 16,094,076,928 = 54,372,871,676 / 131,072 B per token = 414,832 tokens.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(8192);
  in.engine = EngineId::kSglang;
  const EnginePlan p = plan_engine(m, in);
  ASSERT_TRUE(p.failure.empty()) << p.failure;
  EXPECT_EQ(p.kv_cache_tokens, 414832);
  // 414,832 / 8192 = 50.64 requests; floored to two decimals.
  EXPECT_DOUBLE_EQ(p.max_concurrency, 50.63);
  EXPECT_EQ(p.launch_command,
            "python -m sglang.launch_server --model-path <hf-repo-id> --context-length 8192 --mem-fraction-static 0.834");
  in.sglang.mem_fraction_static = 0.15;  // 0.15 x 78.69 GiB = 11.80 GiB < weights
  EXPECT_EQ(plan_engine(m, in).failure, "RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.");
}

// ---------------------------------------------------------------------------------------------
// transformers
// ---------------------------------------------------------------------------------------------

TEST(Transformers, PrefillTransientPerToken) {
  // Qwen2.5-7B: (3 x 18,944 + 4 x 3,584) x 2 bytes = 142,336 bytes per prompt token.
  const ModelSpec m = test::fixture("qwen2.5-7b.json");
  EXPECT_DOUBLE_EQ(hf::prefill_layer_bytes_per_token(m, Dtype::kBf16, test::whole(m)), 142336.0);
  auto logits_for = [](const char* version) {
    Request req;
    req.transformers_version = version;
    return hf::full_prompt_logits(transformers_options(req).value());
  };
  EXPECT_TRUE(logits_for("4.38.2"));
  EXPECT_FALSE(logits_for("4.46"));
  EXPECT_FALSE(logits_for("5.0"));
}

TEST(Transformers, PeakIsPrefillOrDecodeBound) {
  // Qwen2.5-7B bf16, batch 1, KV 28 x 2 x 4 x 128 x 2 = 57,344 B per token.
  const ModelSpec m = test::fixture("qwen2.5-7b.json");
  Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, 79.15, 30720 + 2048, 1);
  in.engine = EngineId::kTransformers;
  const hf::Peak p = hf::peak(m, in, test::whole(m), 1, 30720, 2048);
  EXPECT_DOUBLE_EQ(p.kv_prompt, 30720.0 * 57344);
  EXPECT_DOUBLE_EQ(p.kv_full, 32768.0 * 57344);
  // Prefill: 30,720 x 142,336 + last-position logits 152,064 x (2 + 4).
  EXPECT_DOUBLE_EQ(p.prefill, 30720.0 * 142336 + 152064.0 * 6);
  // Reported activations = max(kv_prompt + prefill, kv_full + decode) - kv_full + workspace.
  EXPECT_DOUBLE_EQ(hf::activations_bytes(p), p.kv_prompt + p.prefill - p.kv_full + p.workspace);
  // Before 4.45 every prompt position gets logits, after the last layer: the prefill is the larger of 30,720 x
  // 152,064 x 6 B (26.1 GiB) and the layer transient (4.07 GiB), not their sum (ENGINES.md).
  in.transformers.version_minor = 38;  // 4.38
  EXPECT_DOUBLE_EQ(hf::peak(m, in, test::whole(m), 1, 30720, 2048).prefill, 30720.0 * 152064 * 6);
}

// ---------------------------------------------------------------------------------------------
// Reverse solves, layouts, recommendations
// ---------------------------------------------------------------------------------------------

TEST(Solves, VllmLargestContextKnobAndFewestGpus) {
  // util 0.9: available = floor(85,029,615,042 x 0.9) = 76,526,653,537 - 18,399,633,408 = 58,127,020,129
  // -> 27,717 blocks. 20 users: floor(27,717 / 20) = 1385 blocks each = 22,160 tokens.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(32768, 1, 1, 0.9);
  in.batch = 20;
  in.vllm.max_model_len = 0;
  EngineSolves s = solve_engine(m, in);
  EXPECT_EQ(s.max_context, 22160);
  // 20 x 32768 tokens = 40,960 blocks x 2,097,152 + 18,399,633,408 fixed = 104.3 GB > the GPU: none.
  EXPECT_EQ(s.knob, "gpu_memory_utilization");
  EXPECT_EQ(s.knob_value, -1);
  EXPECT_NE(s.knob_note.find("97.14 GiB"), std::string::npos) << s.knob_note;
  // One GPU cannot; two with TP 2 can (each holds half the weights and half the KV heads).
  EXPECT_EQ(s.fewest_gpus, 2);
  EXPECT_EQ(s.fewest_layout.tp, 2);
  // At 8192 tokens: 10,240 blocks x 2,097,152 + 18,399,633,408 = 39,874,469,888 / 85,029,615,042 = 0.46895 -> 0.469.
  in = vllm_inputs(8192, 1, 1, 0.9);
  in.batch = 20;
  s = solve_engine(m, in);
  EXPECT_DOUBLE_EQ(s.knob_value, 0.469);
  EXPECT_EQ(s.fewest_gpus, 1);
}

TEST(Solves, SglangLargestContextAndFraction) {
  // Llama-3.1-8B on H100, 32 users. Pool at the default 0.834: 54,372,871,676 bytes (Sglang.PoolTokensByHand) ->
  // 32 x L x 131,072 <= pool -> L <= 12,963.6 -> 12,963 tokens.
  // At L = 8192: (16,094,076,928 + 32 x 8192 x 131,072) / 84,492,744,130 = 0.59713 -> 0.598.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(8192);
  in.engine = EngineId::kSglang;
  in.vllm.max_model_len = 0;
  in.batch = 32;
  const EngineSolves s = solve_engine(m, in);
  EXPECT_EQ(s.max_context, 12963);
  EXPECT_EQ(s.knob, "mem_fraction_static");
  EXPECT_DOUBLE_EQ(s.knob_value, 0.598);
  EXPECT_TRUE(s.knob_note.empty()) << s.knob_note;  // leaves 31.6 GiB, more than SGLang's 13.1 GiB reserve
}

TEST(Solves, CapacityMatchesThePlan) {
  const ModelSpec m = test::fixture("qwen2.5-7b.json");
  const Inputs in = vllm_inputs(8192, 2);
  const Capacity c = engine_capacity(m, in, in.layout, 1, 8192);
  const EnginePlan p = plan_engine(m, in);
  EXPECT_TRUE(c.starts);
  EXPECT_NEAR(c.max_concurrency, p.max_concurrency, 0.01);
  EXPECT_TRUE(c.serves(100));
  EXPECT_FALSE(c.serves(100000));
}

TEST(Solves, FewestGpusAgreesWithAnExhaustiveSearch) {
  // The bounded galloping search must find what trying every tp (8, 4, 2, 1) and every pipeline depth finds:
  // the fewest GPUs, larger tp on ties. Models with MoE, MLA, sliding windows; GPUs of 12 to 80 GiB; engines
  // whose serving is monotone in the depth and SGLang, whose default reserve grows with it.
  for (const char* f : {"llama-2-70b.json", "mixtral-8x7b.json", "gemma-3-27b-it.json", "deepseek-v2-lite.json"}) {
    const ModelSpec m = test::fixture(f);
    for (const char* engine : {"vllm", "sglang", "generic", "transformers"}) {
      for (double gib : {12.0, 23.64, 79.19}) {
        Inputs in = test::inputs(Dtype::kBf16, Dtype::kBf16, gib, 16384, 32);
        in.engine = *engine_from_name(engine);
        std::optional<Layout> brute;
        for (int64_t tp : {8, 4, 2, 1}) {
          if (!engine_of(in).traits.tensor_parallel && tp > 1) continue;
          if (!tp_problem(m, tp).empty()) continue;
          for (int64_t pp = 1; pp <= m.num_hidden_layers() && tp * pp <= 64; ++pp) {
            if (brute && tp * pp >= brute->gpus()) break;
            if (engine_capacity(m, in, Layout{tp, pp, 1}, 32, 16384).serves(32)) {
              brute = Layout{tp, pp, 1};
              break;
            }
          }
        }
        const std::optional<Layout> fast = fewest_gpus(m, in, 32, 16384, 64);
        if (fast && fast->dp > 1) {
          // Data-parallel replicas only when no single replica serves 32 sequences.
          EXPECT_FALSE(brute.has_value()) << f << " " << engine << " " << gib;
          EXPECT_TRUE(engine_capacity(m, in, *fast, 32, 16384).serves(32)) << f << " " << engine << " " << gib;
          continue;
        }
        ASSERT_EQ(fast.has_value(), brute.has_value()) << f << " " << engine << " " << gib;
        if (fast) {
          EXPECT_EQ(fast->tp, brute->tp) << f << " " << engine << " " << gib;
          EXPECT_EQ(fast->pp, brute->pp) << f << " " << engine << " " << gib;
        }
      }
    }
  }
}

TEST(Solves, DataParallelReplicasWhenOneReplicaCannot) {
  // 30,000 users x 8192 tokens of Llama-3.1-8B: 30,000 x 512 blocks x 2 MiB (TP 1) = 29.3 TiB of KV, more than
  // the largest single replica (TP 8 x 32 stages = 256 GPUs x 79 GiB). Replicas then: one H100 (util 0.9) holds
  // 27,717 blocks = 54 users, so TP 1 would take ceil(30,000 / 54) = 556 GPUs; larger TP amortises the weights
  // and needs fewer.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(8192, 1, 1, 0.9);
  const std::optional<Layout> l = fewest_gpus(m, in, 30000, 8192, 4096);
  ASSERT_TRUE(l.has_value());
  EXPECT_GT(l->dp, 1);
  EXPECT_LT(l->gpus(), 556);
  const Capacity c = engine_capacity(m, in, *l, 30000, 8192);
  EXPECT_TRUE(c.serves(30000));
  EXPECT_FALSE(engine_capacity(m, in, Layout{l->tp, l->pp, l->dp - 1}, 30000, 8192).serves(30000));
}

TEST(Recommend, RanksByNodesThenGpusAndFilters) {
  // Llama-3.1-8B bf16, 8 users x 8192 tokens (4096 blocks of 2 MiB = 8 GiB of KV), vLLM util 0.9.
  // A 24 GiB GPU: 21.6 GiB budget - 14.99 weights - 0.47 activations - 0.25 = 5.9 GiB: not enough on one,
  // enough on two (TP 2 halves the weights and the per-token KV). An 80 GiB GPU serves it alone.
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  Inputs in = vllm_inputs(8192, 1, 1, 0.9);
  in.batch = 8;
  GpuSpec small = test::gpu_gib(24);
  small.id = "small";
  small.vendor = "NVIDIA";  // vLLM's support rows need a vendor and a compute capability (7.0 or higher)
  small.compute_capability = 8.9;
  small.market = "consumer";
  GpuSpec big = h100();
  big.vendor = "NVIDIA";
  big.market = "datacenter";
  big.compute_capability = 9.0;
  GpuSpec mac = test::gpu_gib(96);
  mac.id = "mac";
  mac.vendor = "Apple";  // vLLM's Apple row: not supported
  const Recommendations r = recommend_gpus(m, in, {small, big, mac});
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].gpu, "nvidia-h100-sxm");
  EXPECT_EQ(r.items[0].count, 1);
  EXPECT_EQ(r.items[0].nodes, 1);
  EXPECT_EQ(r.items[1].gpu, "small");
  EXPECT_EQ(r.items[1].count, 2);
  EXPECT_EQ(r.items[1].layout.tp, 2);
  EXPECT_EQ(r.items[1].nodes, 1);  // no preset node shape: an 8-GPU server is assumed
  EXPECT_GE(r.items[1].max_concurrency, 8.0);
  EXPECT_GE(r.items[1].headroom_bytes, 0);
  EXPECT_FALSE(r.items[0].tokens_per_second.has_value());
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].gpu, "mac");
  EXPECT_NE(r.excluded[0].reason.find("Apple Silicon"), std::string::npos) << r.excluded[0].reason;
  in.request.recommend_market = "consumer";
  EXPECT_EQ(recommend_gpus(m, in, {small, big}).items.size(), 1u);
  in.request.recommend_market.clear();
  in.request.recommend_min_memory_gib = 40;
  EXPECT_EQ(recommend_gpus(m, in, {small, big}).items.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The JSON API
// ---------------------------------------------------------------------------------------------

json run(const json& request) { return json::parse(handle_request(request.dump())); }
json llama8b() { return json::parse(test::fixture_text("llama-3.1-8b.json")); }

TEST(EnginesApi, EnginesAreListedAndValidated) {
  for (const char* e : {"generic", "vllm", "sglang", "transformers"}) {
    const json r = run({{"config", llama8b()}, {"engine", e}});
    ASSERT_TRUE(r["ok"].get<bool>()) << e << r.dump();
    EXPECT_EQ(r["serving"]["engine"].get<std::string>(), e);
    EXPECT_TRUE(r["serving"].contains("solves"));
    EXPECT_TRUE(r["recommendations"].is_array());
  }
  const json bad = run({{"config", llama8b()}, {"engine", "vllm2"}});
  EXPECT_EQ(bad["error"]["code"].get<std::string>(), "invalid_request");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("sglang"), std::string::npos);
  const json ver = run({{"config", llama8b()}, {"engine", "vllm"}, {"vllm_version", "latest"}});
  EXPECT_EQ(ver["error"]["path"].get<std::string>(), "/vllm_version");
}

TEST(EnginesApi, MemorySizeNamesThePresetWithThatTotal) {
  // 79.15 GiB is the A100 80GB preset (vLLM's A100 defaults then apply), 79.19 the H100, 50 a custom GPU.
  const json a = run({{"config", llama8b()}, {"engine", "vllm"}, {"gpu_memory_gib", 79.15}});
  EXPECT_EQ(a["layout"]["gpu"].get<std::string>(), "nvidia-a100-sxm4-80gb");
  EXPECT_EQ(a["serving"]["settings"]["max_num_seqs"].get<int64_t>(), 256);
  const json h = run({{"config", llama8b()}, {"engine", "vllm"}, {"gpu_memory_gib", 79.19}});
  EXPECT_EQ(h["layout"]["gpu"].get<std::string>(), "nvidia-h100-sxm");
  EXPECT_EQ(h["serving"]["settings"]["max_num_seqs"].get<int64_t>(), 1024);
  const json c = run({{"config", llama8b()}, {"gpu_memory_gib", 50}});
  EXPECT_EQ(c["layout"]["gpu"].get<std::string>(), "custom");
  // An explicit preset with a memory override keeps the preset's kind.
  const json x = run({{"config", llama8b()}, {"gpu", "nvidia-h100-sxm"}, {"gpu_memory_gib", 79.15}});
  EXPECT_EQ(x["layout"]["gpu"].get<std::string>(), "nvidia-h100-sxm");
}

TEST(EnginesApi, VllmSectionsAndRecommendations) {
  const json r = run({{"config", llama8b()},
                      {"engine", "vllm"},
                      {"gpu_memory_gib", 79.19},
                      {"gpu_memory_utilization", 0.95},
                      {"max_model_len", 8192},
                      {"recommend", true}});
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  const json& s = r["serving"];
  EXPECT_EQ(r["workload"]["context"].get<int64_t>(), 8192);  // max_model_len is the context when none is given
  EXPECT_EQ(s["kv_cache_tokens"].get<int64_t>(), 475904);
  EXPECT_EQ(s["kv_cache_blocks"].get<int64_t>(), 29744);
  EXPECT_DOUBLE_EQ(s["max_concurrency"].get<double>(), 58.09);
  EXPECT_EQ(s["launch_command"].get<std::string>(),
            "vllm serve <hf-repo-id> --max-model-len 8192 --gpu-memory-utilization 0.95");
  EXPECT_EQ(s["solves"]["fewest_gpus"]["gpus"].get<int64_t>(), 1);
  ASSERT_FALSE(r["recommendations"].empty());
  for (const json& x : r["recommendations"]) {
    for (const char* k : {"gpu", "name", "vendor", "market", "memory_gib", "count", "tp", "pp", "max_concurrency",
                          "headroom_bytes", "tokens_per_second"}) {
      EXPECT_TRUE(x.contains(k)) << k;
    }
  }
}

}  // namespace
}  // namespace llmsizer
