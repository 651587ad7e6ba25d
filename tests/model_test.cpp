// Parameter counts by component and KV bytes per token, against numbers worked by hand or published.
#include <gtest/gtest.h>

#include "test_util.h"

namespace llmsizer {
namespace {

using test::fixture;

int64_t total(const std::string& name) { return count_parameters(fixture(name)).total; }

// ---- exact totals (the issue's list; each equals the Hub's safetensors count) -------------------

TEST(Parameters, Llama2_7B) {
  // h=4096, L=32, I=11008, V=32000, untied. Per layer: attention 4*4096^2 = 67,108,864; MLP
  // 3*4096*11008 = 135,266,304; 2 RMSNorms 8,192 -> 202,383,360 x 32 = 6,476,267,520.
  // Embeddings + LM head 2*32000*4096 = 262,144,000; final norm 4,096.
  EXPECT_EQ(total("llama-2-7b.json"), 6738415616);
}

TEST(Parameters, Llama2_13B) {
  // h=5120, L=40, I=13824: layer 104,857,600 + 212,336,640 + 10,240 = 317,204,480 x 40
  // = 12,688,179,200; + 327,680,000 embeddings/head + 5,120.
  EXPECT_EQ(total("llama-2-13b.json"), 13015864320);
}

TEST(Parameters, Llama31_8B) {
  // GQA: 8 KV heads. Attention 2*4096^2 + 2*4096*1024 = 41,943,040; MLP 3*4096*14336 =
  // 176,160,768; norms 8,192 -> 218,112,000 x 32 = 6,979,584,000; + 2*128256*4096 = 1,050,673,152
  // + 4,096.
  EXPECT_EQ(total("llama-3.1-8b.json"), 8030261248);
}

TEST(Parameters, Mistral7B) {
  // Same layer as Llama 3.1 8B (218,112,000 x 32) with V=32000: + 262,144,000 + 4,096.
  EXPECT_EQ(total("mistral-7b-v0.1.json"), 7241732096);
}

TEST(Parameters, Qwen25_7B) {
  // h=3584, 28 heads, 4 KV heads of 128, q/k/v biases: attention 12,845,056 + 3,584 +
  // 2*(1,835,008 + 512) + 12,845,056 = 29,364,736; MLP 3*3584*18944 = 203,685,888; norms 7,168
  // -> 233,057,792 x 28 = 6,525,618,176; + 2*152064*3584 = 1,089,994,752 + 3,584.
  EXPECT_EQ(total("qwen2.5-7b.json"), 7615616512);
}

TEST(Parameters, Mixtral8x7B) {
  // Attention 41,943,040; 8 experts x 176,160,768 = 1,409,286,144; router 8*4096 = 32,768;
  // norms 8,192 -> 1,451,270,144 x 32 = 46,440,644,608; + 262,144,000 + 4,096.
  const ParameterCounts c = count_parameters(fixture("mixtral-8x7b.json"));
  EXPECT_EQ(c.total, 46702792704);
  // Active: 2 of 8 experts: minus 6 x 176,160,768 x 32 = 33,822,867,456 -> 12,879,925,248
  // ("12.9B active", Mistral AI's Mixtral announcement).
  EXPECT_EQ(c.active, 12879925248);
  EXPECT_EQ(c.router, 32 * 8 * 4096);
}

TEST(Parameters, Gpt2) {
  // wte 50257*768 = 38,597,376; wpe 1024*768 = 786,432; per layer: 2 LayerNorms 3,072, c_attn
  // 768*2304+2304, c_proj 768*768+768, c_fc 768*3072+3072, c_proj 3072*768+768 -> 7,087,872 x 12
  // = 85,054,464; ln_f 1,536; LM head tied.
  const ParameterCounts c = count_parameters(fixture("gpt2.json"));
  EXPECT_EQ(c.total, 124439808);
  EXPECT_EQ(c.lm_head, 0);
  EXPECT_EQ(c.embeddings, 38597376 + 786432);
}

TEST(Parameters, GptNeoX20B) {
  // GPT-NeoX-20B paper (Black et al. 2022, arXiv:2204.06745 §2): "20,554,567,680 parameters".
  EXPECT_EQ(total("gpt-neox-20b.json"), 20554567680);
}

TEST(Parameters, Phi2) {
  // Biases everywhere, one LayerNorm per (parallel) block, biased LM head:
  // layer 4*(2560^2+2560) + (2560*10240+10240) + (10240*2560+2560) + 5,120 = 78,671,360 x 32;
  // + 131,072,000 embeddings + 5,120 final LN + 131,072,000 + 51,200 LM head and bias.
  EXPECT_EQ(total("phi-2.json"), 2779683840);
}

TEST(Parameters, Phi3Mini) {
  // MHA (32 KV heads), h=3072, I=8192, V=32064: layer 37,748,736 + 75,497,472 + 6,144 =
  // 113,252,352 x 32 = 3,624,075,264; + 2*98,500,608 + 3,072.
  EXPECT_EQ(total("phi-3-mini-4k.json"), 3821079552);
}

TEST(Parameters, Gemma2_9B) {
  // head_dim 256 (explicit), 16 heads / 8 KV heads, 4 norms per layer, tied embeddings:
  // attention 14,680,064 + 2*7,340,032 + 14,680,064 = 44,040,192; MLP 154,140,672; norms 14,336
  // -> 198,195,200 x 42 = 8,324,198,400; + 256000*3584 = 917,504,000 + 3,584.
  EXPECT_EQ(total("gemma-2-9b.json"), 9241705984);
}

TEST(Parameters, Qwen3MoE30B) {
  // q/k norms (2*128), 128 experts of 3*2048*768, router 128*2048: layer 18,874,624 + 603,979,776
  // + 262,144 + 4,096 = 623,120,640 x 48; + 2*151936*2048 + 2,048.
  const ParameterCounts c = count_parameters(fixture("qwen3-30b-a3b.json"));
  EXPECT_EQ(c.total, 30532122624);
  // Active ("A3B"): 8 of 128 experts: minus 120*4,718,592*48 = 27,179,089,920 -> 3,353,032,704.
  EXPECT_EQ(c.active, 3353032704);
}

TEST(Parameters, DeepSeekV2Lite) {
  // MLA without q_lora: q_proj 2048*16*192, kv_a 2048*576, kv_a_norm 512, kv_b 512*16*256,
  // o 2048*2048 = 13,763,072 per layer x 27. Layer 0 dense MLP 3*2048*10944 = 67,239,936; 26 MoE
  // layers of 64 experts (3*2048*1408) + 2 shared + router 64*2048 = 571,080,704. Norms
  // 27*4096 + 2048; embeddings + head 2*102400*2048.
  EXPECT_EQ(total("deepseek-v2-lite.json"), 15706484224);
}

TEST(Parameters, DeepSeekR1MainModelAndMtp) {
  // 61 layers (3 dense), MLA with q_lora 1536, 256 routed + 1 shared experts of 2048, top-8,
  // e_score_correction_bias. DeepSeek-V3 report (arXiv:2412.19437): 671B total, 37B activated;
  // the Hub's "685B" adds the 14B MTP module, which serving engines do not load by default.
  const ParameterCounts c = count_parameters(fixture("deepseek-r1.json"));
  EXPECT_NEAR(static_cast<double>(c.total), 671e9, 0.5e9);
  // MTP: 3 norms + eh_proj 7168*14336 + one MoE layer 11,507,286,272 + its own embeddings and head
  // (2*129280*7168) = 13,463,426,304. The Hub's 684.53B also counts the fp8 weight_scale_inv tensors
  // (one fp32 per 128x128 block, ~41.5M), hence "685B".
  EXPECT_EQ(c.mtp, 13463426304);
  EXPECT_NEAR(static_cast<double>(c.total + c.mtp), 684.53e9, 0.05e9);
  EXPECT_NEAR(static_cast<double>(c.active), 37.5e9, 0.6e9);
  // Exact, by hand: attention per layer q_a 7168*1536 + 1536 + q_b 1536*24576 + kv_a 7168*576 + 512
  // + kv_b 512*32768 + o 16384*7168 = 187,107,328, + 2 norms 14,336, x 61 = 11,414,421,504; 3 dense
  // MLPs 3*(3*7168*18432) = 1,189,085,184; 58 MoE layers of 257 experts x 44,040,192 + router
  // 256*7168 + 256 = 11,320,164,608 each = 656,569,547,264; embeddings + head 1,853,358,080; + 7,168.
  EXPECT_EQ(c.total, 671026419200);
  EXPECT_EQ(c.active, 37552297472);  // 58 x 248 unused experts x 44,040,192 fewer
}

TEST(Parameters, Opt175B) {
  // OPT-175B: h=12288, L=96, ffn 49152, V=50272, learned positions 2048+2, LayerNorms, biases, tied.
  // Per layer 4*(12288^2+12288) + 2*12288*49152 + 49152 + 12288 + 4*12288 = 1,812,099,072;
  // x 96 = 173,961,510,912; + 617,742,336 + 25,190,400 + 24,576 = 174,604,468,224.
  EXPECT_EQ(total("opt-175b.json"), 174604468224);
}

TEST(Parameters, GptOss20B) {
  // Attention with biases and sinks: q 2880*4096+4096, k/v 2880*512+512, o 4096*2880+2880, sinks 64
  // = 26,550,144 (+2 norms 5,760). 32 experts with biases: 2880*5760+5760 + 2880*2880+2880 =
  // 24,891,840 each = 796,538,880; router 32*2880+32 = 92,192. Layer 823,186,976 x 24 =
  // 19,756,487,424; + 2*201088*2880 = 1,158,266,880 + 2,880 = 20,914,757,184 ("21B", OpenAI).
  const ParameterCounts c = count_parameters(fixture("gpt-oss-20b.json"));
  EXPECT_EQ(c.total, 20914757184);
  // Active: 4 of 32 experts -> minus 28*24,891,840*24 = 16,727,316,480 -> 4,187,440,704. OpenAI's
  // "3.6B active" leaves out the 579M embedding table: 4,187,440,704 - 579,133,440 = 3,608,307,264.
  EXPECT_EQ(c.active, 4187440704);
}

TEST(Parameters, TiedVersusUntied) {
  ModelSpec m = fixture("llama-3.1-8b.json");
  const int64_t untied = count_parameters(m).total;
  m.tie_word_embeddings = true;
  EXPECT_EQ(untied - count_parameters(m).total, 128256LL * 4096);
}

// ---- KV bytes per token (all layers, one GPU) ----------------------------------------------------

double kv_per_token(const ModelSpec& m, Dtype d, int64_t tp = 1) {
  return kv_bytes_per_token_rank(m, d, tp, test::whole(m));
}

TEST(KvCache, PerTokenIssueFigures) {
  // 2 (K,V) x layers x KV heads x head_dim x bytes:
  EXPECT_EQ(kv_per_token(fixture("llama-2-13b.json"), Dtype::kFp16), 819200);   // 2*40*40*128*2
  EXPECT_EQ(kv_per_token(fixture("llama-3.1-8b.json"), Dtype::kBf16), 131072);  // 2*32*8*128*2
  EXPECT_EQ(kv_per_token(fixture("qwen2.5-7b.json"), Dtype::kBf16), 57344);     // 2*28*4*128*2
  // MLA: (kv_lora_rank 512 + rope 64) x 61 layers x 2 bytes, no x2 for K and V.
  EXPECT_EQ(kv_per_token(fixture("deepseek-r1.json"), Dtype::kBf16), 70272);
  // OPT-175B (MHA): 2*96*96*128*2 = 4,718,592 (article 001).
  EXPECT_EQ(kv_per_token(fixture("opt-175b.json"), Dtype::kFp16), 4718592);
}

TEST(KvCache, DtypesScaleBytes) {
  const ModelSpec m = fixture("llama-3.1-8b.json");
  EXPECT_EQ(kv_per_token(m, Dtype::kFp8), 65536);
  EXPECT_EQ(kv_per_token(m, Dtype::kInt4), 32768);
  EXPECT_EQ(kv_per_token(m, Dtype::kFp32), 262144);
}

TEST(KvCache, TensorParallelReplicatesKvHeads) {
  const ModelSpec m = fixture("llama-3.1-8b.json");  // 8 KV heads
  EXPECT_EQ(kv_per_token(m, Dtype::kBf16, 2), 65536);   // 4 heads per rank
  EXPECT_EQ(kv_per_token(m, Dtype::kBf16, 8), 16384);   // 1 head per rank
  EXPECT_EQ(kv_per_token(m, Dtype::kBf16, 16), 16384);  // max(1, 8/16) = 1: replicated, not halved
  // MLA's latent is not split over ranks.
  EXPECT_EQ(kv_per_token(fixture("deepseek-r1.json"), Dtype::kBf16, 8), 70272);
}

TEST(KvCache, MqaFalcon) {
  // Falcon-7B: multi_query -> one KV head of 64: 2*32*1*64*2 = 8,192 B per token.
  const ModelSpec m = fixture("falcon-7b.json");
  EXPECT_EQ(attention_kind(m), "MQA");
  EXPECT_EQ(kv_per_token(m, Dtype::kBf16), 8192);
}

TEST(KvCache, Article004UsesAttentionHeadsWhereGqaHasFewer) {
  // Article 004: 48 layers, 32 KV heads of 128, 12,000 tokens, fp16:
  // 2*48*32*128*2*12000 = 9,437,184,000 B. Correct for MHA.
  ModelSpec m = fixture("llama-2-7b.json");
  m.layers.resize(48, m.layers.front());
  const Stage s = test::whole(m);
  EXPECT_EQ(kv_bytes_per_sequence_rank(m, Dtype::kFp16, 1, s, 12000), 9437184000.0);
  // The article's mistake: the same model with GQA (8 KV heads for 32 query heads) caches 4x less,
  // 2,359,296,000 B; using the 32 attention heads overstates it 4x.
  for (LayerSpec& l : m.layers) l.attn.num_kv_heads = 8;
  EXPECT_EQ(kv_bytes_per_sequence_rank(m, Dtype::kFp16, 1, s, 12000), 2359296000.0);
}

TEST(KvCache, SlidingWindowLayersCapAtWindow) {
  // Gemma 2 9B: even layers slide over 4096 tokens, odd layers are global. Per token per layer
  // 2*8*256*2 = 8,192 B. At 8,192 tokens: 21 global x 8192 x 8192 + 21 sliding x 4096 x 8192
  // = 1,409,286,144 + 704,643,072 = 2,113,929,216 B.
  const ModelSpec m = fixture("gemma-2-9b.json");
  int sliding = 0;
  for (const LayerSpec& l : m.layers) sliding += l.attn.sliding_window == 4096;
  EXPECT_EQ(sliding, 21);
  EXPECT_EQ(m.layers[0].attn.sliding_window, 4096);
  EXPECT_EQ(m.layers[1].attn.sliding_window, 0);
  EXPECT_EQ(kv_bytes_per_sequence_rank(m, Dtype::kBf16, 1, test::whole(m), 8192), 2113929216.0);
  // Below the window nothing is capped: 42 x 2048 x 8192.
  EXPECT_EQ(kv_bytes_per_sequence_rank(m, Dtype::kBf16, 1, test::whole(m), 2048), 42.0 * 2048 * 8192);
}

TEST(KvCache, Gemma3FiveLocalOneGlobal) {
  // Gemma 3 (text_config): sliding_window_pattern 6 -> layers 5, 11, ... global: 10 of 62 global.
  const ModelSpec m = fixture("gemma-3-27b-it.json");
  int global = 0;
  for (const LayerSpec& l : m.layers) global += l.attn.sliding_window == 0;
  EXPECT_EQ(global, 10);
  EXPECT_EQ(m.layers[5].attn.sliding_window, 0);
  EXPECT_EQ(m.layers[4].attn.sliding_window, 1024);
}

}  // namespace
}  // namespace llmsizer
