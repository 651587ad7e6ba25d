// ggml types, llama.cpp file types and their per-tensor rules, and the GGUF header parser (with small
// GGUF files the tests write themselves: tests/gguf_writer.h), including truncated and hostile ones.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gguf/summary.h"
#include "gguf_writer.h"
#include "gguf/gguf.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;
using test::GgufWriter;

Result<GgufFile> parse(const std::string& b, uint64_t* needed = nullptr) {
  return parse_gguf(reinterpret_cast<const uint8_t*>(b.data()), b.size(), needed);
}

// ------------------------------------------------------------------------------------------------
// ggml types
// ------------------------------------------------------------------------------------------------

TEST(GgmlTypes, BitsPerWeightAreExact) {
  // type_size x 8 / block_size from ggml-common.h's block structs (e.g. block_q4_K: 2 fp16 + 12 scale bytes
  // + 128 bytes of nibbles = 144 B per 256 weights = 4.5 bits).
  struct Case {
    GgmlType t;
    double bits;
  };
  const Case cases[] = {
      {GgmlType::kF32, 32},       {GgmlType::kF16, 16},      {GgmlType::kBF16, 16},     {GgmlType::kF64, 64},
      {GgmlType::kI8, 8},         {GgmlType::kI16, 16},      {GgmlType::kI32, 32},      {GgmlType::kI64, 64},
      {GgmlType::kQ4_0, 4.5},     {GgmlType::kQ4_1, 5.0},    {GgmlType::kQ5_0, 5.5},    {GgmlType::kQ5_1, 6.0},
      {GgmlType::kQ8_0, 8.5},     {GgmlType::kQ8_1, 9.0},    {GgmlType::kQ2_K, 2.625},  {GgmlType::kQ3_K, 3.4375},
      {GgmlType::kQ4_K, 4.5},     {GgmlType::kQ5_K, 5.5},    {GgmlType::kQ6_K, 6.5625}, {GgmlType::kQ8_K, 9.125},
      {GgmlType::kIQ2_XXS, 2.0625}, {GgmlType::kIQ2_XS, 2.3125}, {GgmlType::kIQ2_S, 2.5625},
      {GgmlType::kIQ3_XXS, 3.0625}, {GgmlType::kIQ3_S, 3.4375},  {GgmlType::kIQ1_S, 1.5625},
      {GgmlType::kIQ1_M, 1.75},   {GgmlType::kIQ4_NL, 4.5},  {GgmlType::kIQ4_XS, 4.25}, {GgmlType::kTQ1_0, 1.6875},
      {GgmlType::kTQ2_0, 2.0625}, {GgmlType::kMXFP4, 4.25},  {GgmlType::kNVFP4, 4.5},   {GgmlType::kQ1_0, 1.125},
      {GgmlType::kQ2_0, 2.25},
  };
  for (const Case& c : cases) EXPECT_DOUBLE_EQ(ggml_bits_per_weight(c.t), c.bits) << ggml_type_info(c.t).name;
  EXPECT_EQ(ggml_types().size(), 35u);  // ids 0..42 minus the removed 4, 5, 31-33, 36-38
}

TEST(GgmlTypes, IdsNamesAndRowSizes) {
  EXPECT_EQ(ggml_type_info(12)->type, GgmlType::kQ4_K);
  EXPECT_STREQ(ggml_type_info(12)->name, "q4_K");
  EXPECT_EQ(ggml_type_info(4), nullptr);   // Q4_2: removed
  EXPECT_EQ(ggml_type_info(31), nullptr);  // Q4_0_4_4: removed from GGUF
  EXPECT_EQ(ggml_type_info(43), nullptr);
  EXPECT_EQ(ggml_type_by_name("Q8_0")->type, GgmlType::kQ8_0);
  EXPECT_EQ(ggml_type_by_name("q4_k")->type, GgmlType::kQ4_K);
  // ggml_row_size: 4096 weights of Q4_K = 16 blocks x 144 B; of Q8_0 = 128 x 34 B; of Q6_K 14336 = 56 x 210.
  EXPECT_EQ(ggml_row_size(GgmlType::kQ4_K, 4096), 2304);
  EXPECT_EQ(ggml_row_size(GgmlType::kQ8_0, 4096), 4352);
  EXPECT_EQ(ggml_row_size(GgmlType::kQ6_K, 14336), 11760);
  EXPECT_EQ(ggml_row_size(GgmlType::kF16, 1024), 2048);
}

TEST(LlamaFtypes, NamesAliasesAndDefaults) {
  EXPECT_EQ(llama_ftype_by_name("Q4_K_M")->id, 15);
  EXPECT_EQ(llama_ftype_by_name("q4_k_m")->id, 15);
  EXPECT_EQ(llama_ftype_by_name("Q4_K")->id, 15);  // llama-quantize alias
  EXPECT_EQ(llama_ftype_by_name("Q5_K")->id, 17);
  EXPECT_EQ(llama_ftype_by_name("IQ2_M")->default_type, GgmlType::kIQ2_S);  // llama_ftype_get_default_type
  EXPECT_EQ(llama_ftype_by_name("IQ3_XS")->default_type, GgmlType::kIQ3_S);
  EXPECT_EQ(llama_ftype_by_name("MXFP4_MOE")->default_type, GgmlType::kMXFP4);
  EXPECT_STREQ(llama_ftype_info(15)->log_name, "Q4_K - Medium");
  EXPECT_EQ(llama_ftype_by_name("Q4_K_XL"), nullptr);
  EXPECT_FALSE(gguf_weight_format("Q9_9").ok());
  // The precision names resolve through weight_format_from_name.
  auto w = weight_format_from_name("Q6_K", Dtype::kBf16);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value().method, QuantMethod::kGguf);
  EXPECT_EQ(w.value().gguf_ftype, 18);
  EXPECT_DOUBLE_EQ(w.value().bits, 6.5625);
}

// ------------------------------------------------------------------------------------------------
// Per-tensor types (llama_tensor_get_type)
// ------------------------------------------------------------------------------------------------

const GgufTensor* find_tensor(const std::vector<GgufTensor>& ts, const std::string& name, int32_t layer) {
  for (const GgufTensor& t : ts) {
    if (t.name == name && t.layer == layer) return &t;
  }
  return nullptr;
}

TEST(GgufTypes, Q4KMUsesMoreBitsOnHalfTheAttnVAndFfnDown) {
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  const auto ts = gguf_tensors(m, 15);
  // use_more_bits(i, 32): i < 4 || i >= 28 || (i - 4) % 3 == 2 -> layers 0-3, 6, 9, ..., 27, 28-31 = 16 layers.
  int q6 = 0;
  for (int l = 0; l < 32; ++l) {
    const bool more = l < 4 || l >= 28 || (l - 4) % 3 == 2;
    EXPECT_EQ(find_tensor(ts, "attn_v.weight", l)->type, more ? GgmlType::kQ6_K : GgmlType::kQ4_K) << l;
    EXPECT_EQ(find_tensor(ts, "ffn_down.weight", l)->type, more ? GgmlType::kQ6_K : GgmlType::kQ4_K) << l;
    EXPECT_EQ(find_tensor(ts, "attn_q.weight", l)->type, GgmlType::kQ4_K);
    q6 += more ? 1 : 0;
  }
  EXPECT_EQ(q6, 16);
  EXPECT_EQ(find_tensor(ts, "token_embd.weight", -1)->type, GgmlType::kQ4_K);
  EXPECT_EQ(find_tensor(ts, "output.weight", -2)->type, GgmlType::kQ6_K);
  EXPECT_EQ(find_tensor(ts, "attn_norm.weight", 0)->type, GgmlType::kF32);
  EXPECT_EQ(find_tensor(ts, "output_norm.weight", -2)->type, GgmlType::kF32);
}

TEST(GgufTypes, Llama31_8B_Q4KM_BytesByHand) {
  // token_embd 128256 x 2304 (Q4_K rows of 4096) = 295,501,824; output 128256 x 3360 (Q6_K) = 430,940,160.
  // Per layer, Q4_K: q 4096x2304 + k 1024x2304 + o 4096x2304 + gate, up 14336x2304 = 87,293,952;
  // v 1024 rows and down 4096 rows of 14336: Q6_K 3,440,640 + 48,168,960, Q4_K 2,359,296 + 33,030,144;
  // norms 2 x 4096 x 4. 16 layers of each kind: 16 x (138,936,320 + 122,716,160) = 4,186,439,680;
  // output_norm 16,384. Total 4,912,898,048 B = 4.58 GiB at 8,030,261,248 weights = 4.89 bits/weight.
  // llama.cpp's own log for Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf reads "file size = 4.58 GiB (4.89 BPW)",
  // "CUDA0 model buffer size = 4403.49 MiB" (4,617,396,224 B) and "CPU_Mapped model buffer size = 281.81 MiB".
  const ModelSpec m = test::fixture("llama-3.1-8b.json");
  int64_t total = 0;
  int64_t params = 0;
  for (const GgufTensor& t : gguf_tensors(m, 15)) {
    total += t.bytes();
    params += t.elements();
  }
  EXPECT_EQ(total, 4912898048);
  EXPECT_EQ(params, 8030261248);
  const WeightFormat f = gguf_weight_format("Q4_K_M").value();
  EXPECT_EQ(gguf_format_label(m, f), "GGUF Q4_K_M (\xE2\x89\x88" "4.89 bits/weight)");
  const RankWeights w = rank_weights(m, f, 1, false, 1, false);
  EXPECT_DOUBLE_EQ(w.first_bytes, 295501824.0);
  EXPECT_DOUBLE_EQ(w.last_bytes, 430940160.0 + 16384.0);
  EXPECT_DOUBLE_EQ(w.layer_bytes[0], 138936320.0);
  EXPECT_DOUBLE_EQ(w.layer_bytes[4], 122716160.0);
}

struct SizeCase {
  const char* ftype;
  double published_gb;  ///< TheBloke/Llama-2-7B-GGUF "Provided files" table, decimal GB
};

// Source: https://huggingface.co/TheBloke/Llama-2-7B-GGUF (README, "Provided files": llama-2-7b.<TYPE>.gguf
// sizes, rounded to 0.01 GB, header included ~0.5 MB). Tolerance 0.3 %: rounding plus the header. Q2_K is
// left out: its mix changed since 2023 (attn_v / ffn_down / attn_output rules of llama-quant.cpp today).
const SizeCase kLlama2Sizes[] = {
    {"Q3_K_S", 2.95}, {"Q3_K_M", 3.30}, {"Q3_K_L", 3.60}, {"Q4_0", 3.83},   {"Q4_K_S", 3.86}, {"Q4_K_M", 4.08},
    {"Q5_0", 4.65},   {"Q5_K_S", 4.65}, {"Q5_K_M", 4.78}, {"Q6_K", 5.53},   {"Q8_0", 7.16},
};

class Llama2GgufSizes : public ::testing::TestWithParam<SizeCase> {};

TEST_P(Llama2GgufSizes, MatchPublishedFiles) {
  const ModelSpec m = test::fixture("llama-2-7b.json");
  const LlamaFtypeInfo* f = llama_ftype_by_name(GetParam().ftype);
  ASSERT_NE(f, nullptr);
  int64_t bytes = 0;
  for (const GgufTensor& t : gguf_tensors(m, f->id)) bytes += t.bytes();
  EXPECT_NEAR(static_cast<double>(bytes) / 1e9 / GetParam().published_gb - 1.0, 0.0, 0.003) << bytes;
}

INSTANTIATE_TEST_SUITE_P(Reference, Llama2GgufSizes, ::testing::ValuesIn(kLlama2Sizes),
                         [](const ::testing::TestParamInfo<SizeCase>& i) { return std::string(i.param.ftype); });

TEST(GgufTypes, TiedEmbeddingsTakeTheOutputType) {
  // Gemma-2-2B ties embeddings: no output.weight, so token_embd gets the output rule (Q6_K for Q4_K_M).
  const ModelSpec m = test::fixture("gemma-2-2b.json");
  const auto ts = gguf_tensors(m, 15);
  EXPECT_EQ(find_tensor(ts, "token_embd.weight", -1)->type, GgmlType::kQ6_K);
  EXPECT_EQ(find_tensor(ts, "output.weight", -2), nullptr);
}

TEST(GgufTypes, FallbackWhenRowsAreNotBlockMultiples) {
  // tensor_type_fallback: rows of 896 (Qwen2.5-0.5B's hidden size) are not a multiple of 256, so Q4_K falls
  // back to Q5_0 and Q6_K to Q8_0; ffn_down's rows of 4864 = 19 x 256 keep Q4_K.
  ModelSpec m = test::fixture("llama-3.1-8b.json");
  m.hidden_size = 896;
  for (LayerSpec& l : m.layers) {
    l.attn.num_heads = 14;
    l.attn.num_kv_heads = 2;
    l.attn.head_dim = 64;
    l.attn.v_head_dim = 64;
    l.mlp.intermediate_size = 4864;
  }
  const auto ts = gguf_tensors(m, 15);
  EXPECT_EQ(find_tensor(ts, "attn_q.weight", 5)->type, GgmlType::kQ5_0);
  EXPECT_EQ(find_tensor(ts, "attn_v.weight", 0)->type, GgmlType::kQ8_0);   // Q6_K (more bits) -> Q8_0
  EXPECT_EQ(find_tensor(ts, "ffn_down.weight", 5)->type, GgmlType::kQ4_K);
  EXPECT_EQ(find_tensor(ts, "output.weight", -2)->type, GgmlType::kQ8_0);  // output rule: nx % qk_k != 0
}

TEST(GgufTypes, MixtralAndMxfp4Rules) {
  // n_expert == 8: attn_v and attn_k -> Q8_0; attn_output -> Q5_K for Q4_K_M (llama_tensor_get_type_impl).
  const ModelSpec mix = test::fixture("mixtral-8x7b.json");
  const auto ts = gguf_tensors(mix, 15);
  EXPECT_EQ(find_tensor(ts, "attn_v.weight", 3)->type, GgmlType::kQ8_0);
  EXPECT_EQ(find_tensor(ts, "attn_k.weight", 3)->type, GgmlType::kQ8_0);
  EXPECT_EQ(find_tensor(ts, "attn_output.weight", 3)->type, GgmlType::kQ5_K);
  EXPECT_EQ(find_tensor(ts, "ffn_gate_inp.weight", 3)->type, GgmlType::kF32);
  // MXFP4_MOE (gpt-oss): 3-D expert tensors MXFP4, every other quantisable tensor Q8_0.
  const ModelSpec oss = test::fixture("gpt-oss-20b.json");
  const auto to = gguf_tensors(oss, 38);
  EXPECT_EQ(find_tensor(to, "ffn_down_exps.weight", 0)->type, GgmlType::kMXFP4);
  EXPECT_EQ(find_tensor(to, "attn_q.weight", 0)->type, GgmlType::kQ8_0);
  EXPECT_EQ(find_tensor(to, "output.weight", -2)->type, GgmlType::kQ8_0);
}

// ------------------------------------------------------------------------------------------------
// Parsing
// ------------------------------------------------------------------------------------------------

/// A small llama-architecture GGUF: 2 layers, hidden 256, 4 heads (2 KV) of 64, MLP 512, vocab 1000.
GgufWriter tiny_llama(bool tied = false, bool kv_array = false) {
  GgufWriter w;
  w.str("general.architecture", "llama").str("general.name", "tiny").u32("general.file_type", 15);
  w.u32("llama.block_count", 2).u32("llama.embedding_length", 256).u32("llama.feed_forward_length", 512);
  w.u32("llama.attention.head_count", 4).u32("llama.context_length", 4096).f32("llama.rope.freq_base", 10000.0f);
  if (kv_array) {
    w.arr_u32("llama.attention.head_count_kv", {2, 1});
  } else {
    w.u32("llama.attention.head_count_kv", 2);
  }
  w.arr_str("tokenizer.ggml.tokens", {"<s>", "</s>", "a"});
  w.tensor("token_embd.weight", {256, 1000}, GgmlType::kQ4_K);
  for (int l = 0; l < 2; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    w.tensor(b + "attn_norm.weight", {256}, GgmlType::kF32);
    w.tensor(b + "attn_q.weight", {256, 256}, GgmlType::kQ4_K);
    w.tensor(b + "attn_k.weight", {256, 128}, GgmlType::kQ4_K);
    w.tensor(b + "attn_v.weight", {256, 128}, GgmlType::kQ6_K);
    w.tensor(b + "attn_output.weight", {256, 256}, GgmlType::kQ4_K);
    w.tensor(b + "ffn_norm.weight", {256}, GgmlType::kF32);
    w.tensor(b + "ffn_gate.weight", {256, 512}, GgmlType::kQ4_K);
    w.tensor(b + "ffn_up.weight", {256, 512}, GgmlType::kQ4_K);
    w.tensor(b + "ffn_down.weight", {512, 256}, GgmlType::kQ6_K);
  }
  w.tensor("output_norm.weight", {256}, GgmlType::kF32);
  if (!tied) w.tensor("output.weight", {256, 1000}, GgmlType::kQ6_K);
  return w;
}

// Bytes by hand: a Q4_K row of 256 = 144 B, Q6_K 210 B; rows of 512: 288 / 420 B.
// Layer: q 256x144 + k 128x144 + v 128x210 + o 256x144 + gate, up 512x144 each + down 256x420
//        + 2 norms x 1024 = 36,864 + 18,432 + 26,880 + 36,864 + 147,456 + 107,520 + 2,048 = 376,064.
// token_embd 1000 x 144 = 144,000; output 1000 x 210 = 210,000; output_norm 1,024.
constexpr int64_t kTinyLayer = 376064;
constexpr int64_t kTinyEmbd = 144000;
constexpr int64_t kTinyOutput = 210000 + 1024;

TEST(GgufParse, HeaderMetadataAndTensors) {
  const std::string b = tiny_llama().bytes();
  auto f = parse(b);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufFile& g = f.value();
  EXPECT_EQ(g.version, 3u);
  EXPECT_EQ(g.header_bytes, b.size());
  EXPECT_EQ(g.data_offset, (b.size() + 31) / 32 * 32);
  EXPECT_EQ(g.tensors.size(), 21u);
  EXPECT_EQ(g.find("general.architecture")->text, "llama");
  EXPECT_DOUBLE_EQ(g.find("llama.block_count")->number, 2);
  EXPECT_FLOAT_EQ(static_cast<float>(g.find("llama.rope.freq_base")->number), 10000.0f);
  const GgufValue* tok = g.find("tokenizer.ggml.tokens");
  ASSERT_TRUE(tok->is_array());
  EXPECT_EQ(tok->array_length, 3u);
  EXPECT_EQ(tok->strings[2], "a");
  EXPECT_EQ(g.tensors[0].name, "token_embd.weight");
  EXPECT_EQ(g.tensors[0].dims, (std::vector<int64_t>{256, 1000}));
  EXPECT_EQ(g.tensors[0].bytes(), kTinyEmbd);
  EXPECT_EQ(g.tensors[1].offset, 144000u);  // after token_embd (144,000 B, already a multiple of 32)
  // Version 2 files share the layout.
  GgufWriter v2(2);
  v2.str("general.architecture", "llama");
  EXPECT_TRUE(parse(v2.bytes()).ok());
}

TEST(GgufParse, ModelAndExactWeights) {
  auto f = parse(tiny_llama().bytes());
  ASSERT_TRUE(f.ok());
  auto g = gguf_model({f.value()});
  ASSERT_TRUE(g.ok()) << g.error().message;
  const ModelSpec& m = g.value().spec;
  EXPECT_EQ(m.family, "llama");
  EXPECT_EQ(m.num_hidden_layers(), 2);
  EXPECT_EQ(m.hidden_size, 256);
  EXPECT_EQ(m.vocab_size, 1000);  // token_embd's rows, not the 3-entry tokenizer list
  EXPECT_EQ(m.layers[0].attn.num_heads, 4);
  EXPECT_EQ(m.layers[0].attn.num_kv_heads, 2);
  EXPECT_EQ(m.layers[0].attn.head_dim, 64);
  EXPECT_EQ(m.layers[0].mlp.intermediate_size, 512);
  EXPECT_EQ(m.max_position_embeddings, 4096);
  EXPECT_FALSE(m.tie_word_embeddings);
  const GgufWeights& w = g.value().weights;
  EXPECT_EQ(w.layer_bytes, (std::vector<int64_t>{kTinyLayer, kTinyLayer}));
  EXPECT_EQ(w.input_bytes, kTinyEmbd);
  EXPECT_EQ(w.output_bytes, kTinyOutput);
  EXPECT_EQ(w.total_bytes, kTinyEmbd + kTinyOutput + 2 * kTinyLayer);
  EXPECT_EQ(w.bytes_by_type.at("q6_K"), 210000 + 2 * (26880 + 107520));
  EXPECT_EQ(g.value().file_type, 15);
  // The weight format carries the exact table; rank_weights returns it as is.
  const WeightFormat fmt = gguf_file_format(g.value());
  const RankWeights rw = rank_weights(m, fmt, 1, false, 1, false);
  EXPECT_DOUBLE_EQ(rw.layer_bytes[1], static_cast<double>(kTinyLayer));
  EXPECT_DOUBLE_EQ(rw.first_bytes, static_cast<double>(kTinyEmbd));
  EXPECT_DOUBLE_EQ(rw.last_bytes, static_cast<double>(kTinyOutput));
}

TEST(GgufParse, PerLayerKvHeadsAndTiedOutput) {
  auto f = parse(tiny_llama(/*tied=*/true, /*kv_array=*/true).bytes());
  ASSERT_TRUE(f.ok());
  auto g = gguf_model({f.value()});
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g.value().spec.layers[0].attn.num_kv_heads, 2);
  EXPECT_EQ(g.value().spec.layers[1].attn.num_kv_heads, 1);
  EXPECT_TRUE(g.value().spec.tie_word_embeddings);
  EXPECT_EQ(g.value().weights.output_bytes, 1024);
}

TEST(GgufParse, DeepseekMlaAndGemma3Windows) {
  GgufWriter d;
  d.str("general.architecture", "deepseek2").u32("deepseek2.block_count", 3).u32("deepseek2.embedding_length", 2048);
  d.u32("deepseek2.feed_forward_length", 10944).u32("deepseek2.attention.head_count", 16);
  d.u32("deepseek2.attention.head_count_kv", 1).u32("deepseek2.attention.key_length", 576);
  d.u32("deepseek2.attention.value_length", 512).u32("deepseek2.attention.key_length_mla", 192);
  d.u32("deepseek2.attention.value_length_mla", 128).u32("deepseek2.attention.kv_lora_rank", 512);
  d.u32("deepseek2.rope.dimension_count", 64).u32("deepseek2.expert_count", 64).u32("deepseek2.expert_used_count", 6);
  d.u32("deepseek2.expert_feed_forward_length", 1408).u32("deepseek2.expert_shared_count", 2);
  d.u32("deepseek2.leading_dense_block_count", 1).u32("deepseek2.context_length", 163840);
  d.tensor("token_embd.weight", {2048, 102400}, GgmlType::kQ8_0);
  auto df = parse(d.bytes());
  ASSERT_TRUE(df.ok());
  auto dm = gguf_model({df.value()});
  ASSERT_TRUE(dm.ok()) << dm.error().message;
  const ModelSpec& m = dm.value().spec;
  EXPECT_TRUE(m.layers[0].attn.mla);
  EXPECT_EQ(m.layers[0].attn.kv_lora_rank, 512);
  EXPECT_EQ(m.layers[0].attn.qk_rope_head_dim, 64);
  EXPECT_EQ(m.layers[0].attn.qk_nope_head_dim, 128);  // key_length_mla 192 - rope 64
  EXPECT_EQ(m.layers[0].attn.v_head_dim, 128);
  EXPECT_FALSE(m.layers[0].mlp.is_moe());  // leading dense block
  EXPECT_EQ(m.layers[1].mlp.num_experts, 64);
  EXPECT_EQ(m.layers[1].mlp.num_shared_experts, 2);

  GgufWriter g3;
  g3.str("general.architecture", "gemma3").u32("gemma3.block_count", 8).u32("gemma3.embedding_length", 1152);
  g3.u32("gemma3.feed_forward_length", 6912).u32("gemma3.attention.head_count", 4);
  g3.u32("gemma3.attention.head_count_kv", 1).u32("gemma3.attention.key_length", 256);
  g3.u32("gemma3.attention.value_length", 256).u32("gemma3.attention.sliding_window", 512);
  g3.u32("gemma3.context_length", 32768);
  g3.tensor("token_embd.weight", {1152, 262144}, GgmlType::kQ8_0);  // 1152 is not a multiple of 256
  auto gf = parse(g3.bytes());
  ASSERT_TRUE(gf.ok());
  auto gm = gguf_model({gf.value()});
  ASSERT_TRUE(gm.ok()) << gm.error().message;
  // set_swa_pattern(6): layer il slides when il % 6 < 5 -> layers 0-4 and 6-7 slide, layer 5 is global.
  for (int il = 0; il < 8; ++il) {
    EXPECT_EQ(gm.value().spec.layers[static_cast<size_t>(il)].attn.sliding_window, il == 5 ? 0 : 512) << il;
  }
  EXPECT_TRUE(gm.value().spec.tie_word_embeddings);
  EXPECT_EQ(gm.value().spec.layers[0].attn.head_dim, 256);
}

TEST(GgufParse, SplitPartsAddUp) {
  // Two parts: part 1 has the metadata and token_embd + blk.0, part 2 blk.1 + output (gguf-split layout).
  auto part = [](int no) {
    GgufWriter w;
    w.u32("split.no", static_cast<uint32_t>(no)).u32("split.count", 2).i32("split.tensors.count", 4);
    if (no == 0) {
      w.str("general.architecture", "llama").u32("llama.block_count", 2).u32("llama.embedding_length", 256);
      w.u32("llama.feed_forward_length", 512).u32("llama.attention.head_count", 4);
      w.tensor("token_embd.weight", {256, 1000}, GgmlType::kQ8_0);
      w.tensor("blk.0.ffn_down.weight", {512, 256}, GgmlType::kQ8_0);
    } else {
      w.tensor("blk.1.ffn_down.weight", {512, 256}, GgmlType::kQ8_0);
      w.tensor("output.weight", {256, 1000}, GgmlType::kQ8_0);
    }
    return parse(w.bytes()).value();
  };
  // Q8_0 rows: 256 -> 8 x 34 = 272 B; 512 -> 544 B.
  auto g = gguf_model({part(1), part(0)});  // any order
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g.value().weights.input_bytes, 272000);
  EXPECT_EQ(g.value().weights.layer_bytes, (std::vector<int64_t>{139264, 139264}));
  EXPECT_EQ(g.value().weights.output_bytes, 272000);
  EXPECT_EQ(g.value().weights.tensors, 4);
  auto missing = gguf_model({part(0)});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing part(s) 2"), std::string::npos) << missing.error().message;
}

TEST(GgufParse, TruncatedHeadersSayHowManyBytesAreNeeded) {
  const std::string b = tiny_llama().bytes();
  // Every prefix shorter than the header fails with a byte count beyond the prefix; none crashes.
  for (size_t n = 0; n < b.size(); ++n) {
    uint64_t needed = 0;
    auto f = parse(b.substr(0, n), &needed);
    ASSERT_FALSE(f.ok()) << n;
    EXPECT_EQ(f.error().code, ErrorCode::kInvalidGguf);
    EXPECT_GT(needed, n) << n;
    EXPECT_LE(needed, b.size()) << n;
  }
  // The header plus any amount of tensor data parses.
  uint64_t needed = 7;
  EXPECT_TRUE(parse(b + std::string(1000, '\x7f'), &needed).ok());
  EXPECT_EQ(needed, 0u);
  // A cut inside the 3-token array: the whole array's minimum (3 lengths of 8 bytes) is asked for.
  auto f = parse(b.substr(0, 30), &needed);
  EXPECT_NE(f.error().message.find("at least " + std::to_string(needed) + " bytes"), std::string::npos);
}

TEST(GgufParse, HostileFilesAreRejected) {
  auto msg = [](const std::string& b) {
    auto f = parse(b);
    return f.ok() ? std::string("OK") : f.error().message;
  };
  EXPECT_NE(msg("GGML" + std::string(20, '\0')).find("magic"), std::string::npos);
  EXPECT_NE(msg(GgufWriter(1).bytes()).find("version 1"), std::string::npos);
  EXPECT_NE(msg(GgufWriter(0x03000000).bytes()).find("big-endian"), std::string::npos);
  EXPECT_NE(msg(GgufWriter().claim_counts(uint64_t{1} << 40, 0).bytes()).find("tensors"), std::string::npos);
  EXPECT_NE(msg(GgufWriter().claim_counts(0, ~uint64_t{0}).bytes()).find("metadata entries"), std::string::npos);
  // Counts larger than the data: asks for more bytes, allocates nothing up front.
  uint64_t needed = 0;
  EXPECT_FALSE(parse(GgufWriter().claim_counts(60000, 60000).bytes(), &needed).ok());
  EXPECT_GT(needed, 24u);
  // A string length of 2^62.
  std::string huge;
  GgufWriter::put(huge, 4, 8);
  huge += "name";
  GgufWriter::put(huge, static_cast<uint32_t>(GgufValueType::kString), 4);
  GgufWriter::put(huge, uint64_t{1} << 62, 8);
  EXPECT_NE(msg(GgufWriter().raw_kv(huge).bytes()).find("string of"), std::string::npos);
  // An array of 2^40 elements, and an array of arrays.
  std::string arr;
  GgufWriter::put_string(arr, "a");
  GgufWriter::put(arr, static_cast<uint32_t>(GgufValueType::kArray), 4);
  GgufWriter::put(arr, static_cast<uint32_t>(GgufValueType::kUint8), 4);
  GgufWriter::put(arr, uint64_t{1} << 40, 8);
  EXPECT_NE(msg(GgufWriter().raw_kv(arr).bytes()).find("array of"), std::string::npos);
  std::string nested;
  GgufWriter::put_string(nested, "a");
  GgufWriter::put(nested, static_cast<uint32_t>(GgufValueType::kArray), 4);
  GgufWriter::put(nested, static_cast<uint32_t>(GgufValueType::kArray), 4);
  GgufWriter::put(nested, 1, 8);
  EXPECT_NE(msg(GgufWriter().raw_kv(nested).bytes()).find("array of arrays"), std::string::npos);
  std::string badtype;
  GgufWriter::put_string(badtype, "a");
  GgufWriter::put(badtype, 99, 4);
  EXPECT_NE(msg(GgufWriter().raw_kv(badtype).bytes()).find("unknown value type"), std::string::npos);
  // Tensor infos: 5 dims, unknown type, overflowing dims, long name, bad row length, bad offset.
  auto tensor = [](const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
    std::string t;
    GgufWriter::put_string(t, name);
    GgufWriter::put(t, dims.size(), 4);
    for (uint64_t d : dims) GgufWriter::put(t, d, 8);
    GgufWriter::put(t, type, 4);
    GgufWriter::put(t, offset, 8);
    return GgufWriter().raw_tensor(t).bytes();
  };
  EXPECT_EQ(msg(tensor("w", {32, 2}, 8, 0)), "OK");
  EXPECT_NE(msg(tensor("w", {1, 1, 1, 1, 1}, 0, 0)).find("dimensions"), std::string::npos);
  EXPECT_NE(msg(tensor("w", {32}, 4, 0)).find("unknown or removed"), std::string::npos);
  EXPECT_NE(msg(tensor("w", {1u << 30, 1u << 30}, 0, 0)).find("2^48"), std::string::npos);
  EXPECT_NE(msg(tensor("w", {uint64_t{1} << 63}, 0, 0)).find("dimension of"), std::string::npos);
  EXPECT_NE(msg(tensor(std::string(64, 'x'), {32}, 0, 0)).find("name of 64 bytes"), std::string::npos);
  EXPECT_NE(msg(tensor("w", {33}, 8, 0)).find("block size"), std::string::npos);
  EXPECT_NE(msg(tensor("w", {32}, 0, 7)).find("alignment"), std::string::npos);
  GgufWriter al;
  al.u32("general.alignment", 48);
  EXPECT_NE(msg(al.bytes()).find("power of 2"), std::string::npos);
  // A GGUF without an architecture cannot become a model.
  auto bare = gguf_model({parse(GgufWriter().bytes()).value()});
  EXPECT_FALSE(bare.ok());
}

TEST(GgufParse, Base64) {
  EXPECT_EQ(base64_decode("R0dVRg==").value(), "GGUF");
  EXPECT_EQ(base64_decode("R0dV\nRg").value(), "GGUF");
  EXPECT_FALSE(base64_decode("R0d*").ok());
  const std::string b = tiny_llama().bytes();
  EXPECT_EQ(base64_decode(test::base64_encode(b)).value(), b);
}

TEST(GgufParse, SummaryRoundTripsAndInspect) {
  const std::string b = tiny_llama().bytes();
  const json inspect = json::parse(gguf_inspect_json(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
  ASSERT_TRUE(inspect["ok"].get<bool>()) << inspect.dump();
  EXPECT_EQ(inspect["architecture"].get<std::string>(), "llama");
  auto back = gguf_file_from_json(*parse_json(inspect["summary"].dump(), "the summary").value(), "/gguf/0");
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto a = gguf_model({parse(b).value()});
  auto c = gguf_model({back.value()});
  ASSERT_TRUE(a.ok() && c.ok());
  EXPECT_EQ(a.value().weights.total_bytes, c.value().weights.total_bytes);
  EXPECT_EQ(a.value().weights.layer_bytes, c.value().weights.layer_bytes);
  EXPECT_EQ(a.value().spec.layers[1].attn.num_kv_heads, c.value().spec.layers[1].attn.num_kv_heads);
  // A truncated buffer: the inspect answer carries bytes_needed for the next Range request.
  const json cut = json::parse(gguf_inspect_json(reinterpret_cast<const uint8_t*>(b.data()), 100));
  EXPECT_FALSE(cut["ok"].get<bool>());
  EXPECT_GT(cut["bytes_needed"].get<uint64_t>(), 100u);
  EXPECT_EQ(cut["error"]["code"].get<std::string>(), "invalid_gguf");
  // Hostile summaries are refused with a path.
  json bad = inspect["summary"];
  bad["tensors"][0][1] = 5;
  auto r = gguf_file_from_json(*parse_json(bad.dump(), "the summary").value(), "/gguf/0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "/gguf/0/tensors/0");
}

// ------------------------------------------------------------------------------------------------
// Through the JSON API: a request with a GGUF header needs no config.json.
// ------------------------------------------------------------------------------------------------

TEST(GgufApi, RequestWithHeaderBytesThenWithTheSummary) {
  const std::string b = tiny_llama().bytes();
  const json req = {{"gguf", json::array({test::base64_encode(b)})}, {"engine", "llama.cpp"}, {"context", 1024}};
  const json r = json::parse(handle_request(req.dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["gguf"]["weights_bytes"].get<int64_t>(), kTinyEmbd + kTinyOutput + 2 * kTinyLayer);
  EXPECT_EQ(r["gguf"]["architecture"].get<std::string>(), "llama");
  EXPECT_EQ(r["precision"]["weights_method"].get<std::string>(), "gguf");
  EXPECT_NE(r["precision"]["weights"].get<std::string>().find("file:"), std::string::npos);
  // GPU: layers + output (token_embd stays on the CPU).
  EXPECT_EQ(r["memory"]["weights_bytes"].get<int64_t>(), 2 * kTinyLayer + kTinyOutput);
  ASSERT_EQ(r["gguf"]["summaries"].size(), 1u);
  // The same request with the summary instead of the bytes gives the same numbers and no summaries.
  const json req2 = {{"gguf", r["gguf"]["summaries"]}, {"engine", "llama.cpp"}, {"context", 1024}};
  const json r2 = json::parse(handle_request(req2.dump()));
  ASSERT_TRUE(r2["ok"].get<bool>()) << r2.dump();
  EXPECT_EQ(r2["memory"], r["memory"]);
  EXPECT_FALSE(r2["gguf"].contains("summaries"));
  // Errors: truncated bytes, garbage, and a config given too.
  const json cut = json::parse(handle_request(json{{"gguf", test::base64_encode(b.substr(0, 200))}}.dump()));
  EXPECT_EQ(cut["error"]["code"].get<std::string>(), "invalid_gguf");
  EXPECT_EQ(cut["error"]["path"].get<std::string>(), "/gguf/0");
  EXPECT_NE(cut["error"]["message"].get<std::string>().find("bytes from the start of the file are needed"),
            std::string::npos);
  const json both = json::parse(
      handle_request(json{{"gguf", test::base64_encode(b)}, {"model", "meta-llama/Llama-2-7b-hf"}}.dump()));
  EXPECT_EQ(both["error"]["code"].get<std::string>(), "conflicting_options");
  const json num = json::parse(handle_request(json{{"gguf", json::array({5})}}.dump()));
  EXPECT_EQ(num["error"]["path"].get<std::string>(), "/gguf/0");
}

TEST(GgufApi, ParametersAreTheFilesTensorElementsAndTheDifferenceIsNamed) {
  // tiny_llama's tensors: token_embd 256,000 + output 256,000 + output_norm 256 + per layer (q 65,536 + k 32,768
  // + v 32,768 + o 65,536 + gate/up/down 3 x 131,072 + 2 norms x 256 = 590,336) x 2 = 1,692,928 elements; the
  // metadata count is the same model. Llama 3 GGUFs also carry rope_freqs.weight (64 RoPE frequency factors),
  // which the metadata count has no term for: 64 more, named in an assumption.
  const json plain = json::parse(
      handle_request(json{{"gguf", test::base64_encode(tiny_llama().bytes())}, {"engine", "llama.cpp"}}.dump()));
  ASSERT_TRUE(plain["ok"].get<bool>()) << plain.dump();
  EXPECT_EQ(plain["model"]["parameters_source"], "gguf");
  EXPECT_EQ(plain["model"]["parameters"].get<int64_t>(), 1692928);
  EXPECT_EQ(plain["model"]["parameters_from_config"].get<int64_t>(), 1692928);
  GgufWriter w = tiny_llama();
  w.tensor("rope_freqs.weight", {64}, GgmlType::kF32);
  const json r =
      json::parse(handle_request(json{{"gguf", test::base64_encode(w.bytes())}, {"engine", "llama.cpp"}}.dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["model"]["parameters"].get<int64_t>(), 1692928 + 64);
  EXPECT_EQ(r["model"]["parameters_from_config"].get<int64_t>(), 1692928);
  bool named = false;
  for (const json& a : r["assumptions"]) {
    const std::string t = a.get<std::string>();
    if (t.find("64 more than") != std::string::npos && t.find("rope_freqs.weight (64)") != std::string::npos) {
      named = true;
    }
  }
  EXPECT_TRUE(named) << r["assumptions"].dump();
}

TEST(GgufCli, ReadsTheHeaderOfAFile) {
  // The CLI reads the file (header, then tensor data it does not need) and hands the core a summary.
  const std::string file = testing::TempDir() + "/tiny-Q4_K_M.gguf";
  const std::string b = tiny_llama().bytes(4096);
  FILE* f = std::fopen(file.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
  const std::string cmd = std::string(LLMSIZER_CLI) + " --gguf '" + file + "' --engine llama.cpp --context 1024 --json";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  const json r = json::parse(out);
  ASSERT_TRUE(r["ok"].get<bool>()) << out;
  EXPECT_EQ(r["gguf"]["weights_bytes"].get<int64_t>(), kTinyEmbd + kTinyOutput + 2 * kTinyLayer);
  EXPECT_EQ(r["model"]["id"].get<std::string>(), "tiny-Q4_K_M");
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find("-m tiny-Q4_K_M.gguf"), std::string::npos);
  std::remove(file.c_str());
  // Not a GGUF: a clear error.
  const std::string bad = std::string(LLMSIZER_CLI) + " --gguf '" + std::string(LLMSIZER_FIXTURES_DIR) +
                          "/configs/gpt2.json' --json";
  FILE* q = popen(bad.c_str(), "r");
  std::string out2;
  while ((n = std::fread(buf, 1, sizeof buf, q)) > 0) out2.append(buf, n);
  EXPECT_NE(pclose(q), 0);
  EXPECT_NE(out2.find("magic"), std::string::npos) << out2;
}

// ------------------------------------------------------------------------------------------------
// Multimodal projectors (llama.cpp --mmproj): request gguf_mmproj
// ------------------------------------------------------------------------------------------------

/// A small CLIP-style mmproj: general.architecture "clip" with the clip.* keys llama.cpp's tools/mtmd/clip.cpp
/// reads, a vision tower's tensors (v.*) and a two-layer MLP projector (mm.0, mm.2), all F16.
GgufWriter tiny_mmproj() {
  GgufWriter w;
  w.str("general.architecture", "clip").str("general.name", "tiny-vision").str("clip.projector_type", "mlp");
  w.boolean("clip.has_vision_encoder", true).boolean("clip.has_audio_encoder", false);
  w.u32("clip.vision.image_size", 336).u32("clip.vision.patch_size", 14).u32("clip.vision.embedding_length", 1024);
  w.tensor("v.patch_embd.weight", {14, 14, 3, 1024}, GgmlType::kF16);
  w.tensor("v.blk.0.attn_q.weight", {1024, 1024}, GgmlType::kF16);
  w.tensor("mm.0.weight", {1024, 256}, GgmlType::kF16);
  w.tensor("mm.2.weight", {256, 256}, GgmlType::kF16);
  return w;
}
// F16, 2 bytes per element: patch_embd 14 x 14 x 3 x 1024 = 602,112; attn_q 1,048,576; mm.0 262,144; mm.2 65,536:
// 1,978,368 elements, 3,956,736 bytes.
constexpr int64_t kTinyMmprojBytes = 3956736;

TEST(GgufMmproj, TheProjectorIsItsOwnRowOnTheFirstGpu) {
  const json base = {{"gguf", test::base64_encode(tiny_llama().bytes())}, {"engine", "llama.cpp"}, {"context", 1024},
                     {"gpu", "nvidia-rtx-4090"}};
  json req = base;
  req["gguf_mmproj"] = test::base64_encode(tiny_mmproj().bytes());
  const json r = json::parse(handle_request(req.dump()));
  const json plain = json::parse(handle_request(base.dump()));
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["memory"]["per_gpu"][0]["mmproj_bytes"].get<int64_t>(), kTinyMmprojBytes);
  EXPECT_EQ(r["memory"]["mmproj_bytes"].get<int64_t>(), kTinyMmprojBytes);
  EXPECT_EQ(r["memory"]["all_gpus"]["mmproj_bytes"].get<int64_t>(), kTinyMmprojBytes);
  // The model's rows do not move; the GPU total and its free memory move by the projector exactly.
  EXPECT_EQ(r["memory"]["weights_bytes"], plain["memory"]["weights_bytes"]);
  EXPECT_EQ(r["memory"]["total_bytes"].get<int64_t>() - plain["memory"]["total_bytes"].get<int64_t>(), kTinyMmprojBytes);
  EXPECT_EQ(plain["memory"]["free_bytes"].get<int64_t>() - r["memory"]["free_bytes"].get<int64_t>(), kTinyMmprojBytes);
  EXPECT_FALSE(plain["memory"].contains("mmproj_bytes"));
  // memory.breakdown gives the projector a row of its own, and its rows still add up to the total.
  const json& b = r["memory"]["breakdown"];
  EXPECT_EQ(b["mmproj_bytes"].get<int64_t>(), kTinyMmprojBytes);
  int64_t rows = 0;
  for (const auto& kv : b.items()) rows += kv.value().get<int64_t>();
  EXPECT_EQ(rows, r["memory"]["total_bytes"].get<int64_t>());
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find(" --mmproj mmproj.gguf"), std::string::npos);
  EXPECT_EQ(plain["serving"]["launch_command"].get<std::string>().find("--mmproj"), std::string::npos);
  const json& p = r["mmproj"];
  EXPECT_EQ(p["weights_bytes"].get<int64_t>(), kTinyMmprojBytes);
  EXPECT_EQ(p["parameters"].get<int64_t>(), 1978368);
  EXPECT_EQ(p["tensors"].get<int64_t>(), 4);
  EXPECT_EQ(p["projector_type"], "mlp");
  EXPECT_EQ(p["image_size"].get<int64_t>(), 336);
  EXPECT_TRUE(p["has_vision_encoder"].get<bool>());
  ASSERT_EQ(p["summaries"].size(), 1u);
  // The summary the response returns gives the same answer.
  req["gguf_mmproj"] = p["summaries"];
  const json again = json::parse(handle_request(req.dump()));
  ASSERT_TRUE(again["ok"].get<bool>()) << again.dump();
  EXPECT_EQ(again["memory"], r["memory"]);
}

TEST(GgufMmproj, TheWrongFileInEitherPlaceIsNamed) {
  // An mmproj given as the model.
  const json asmodel = json::parse(handle_request(
      json{{"gguf", test::base64_encode(tiny_mmproj().bytes())}, {"engine", "llama.cpp"}}.dump()));
  EXPECT_FALSE(asmodel["ok"].get<bool>());
  EXPECT_EQ(asmodel["error"]["path"], "/gguf");
  EXPECT_NE(asmodel["error"]["message"].get<std::string>().find(
                "this is a multimodal projector (mmproj); give the model's GGUF and pass this one as gguf_mmproj"),
            std::string::npos);
  // A model given as the projector.
  const json asproj = json::parse(handle_request(json{{"gguf", test::base64_encode(tiny_llama().bytes())},
                                                      {"gguf_mmproj", test::base64_encode(tiny_llama().bytes())},
                                                      {"engine", "llama.cpp"}}
                                                     .dump()));
  EXPECT_FALSE(asproj["ok"].get<bool>());
  EXPECT_EQ(asproj["error"]["path"], "/gguf_mmproj");
  const json garbage = json::parse(handle_request(
      json{{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"engine", "llama.cpp"}, {"gguf_mmproj", json::array({7})}}
          .dump()));
  EXPECT_EQ(garbage["error"]["path"], "/gguf_mmproj/0");
  // Another engine does not load it: a warning, no row.
  const json vllm = json::parse(handle_request(json{{"model", "meta-llama/Llama-3.1-8B-Instruct"}, {"engine", "vllm"},
                                                    {"gguf_mmproj", test::base64_encode(tiny_mmproj().bytes())}}
                                                   .dump()));
  ASSERT_TRUE(vllm["ok"].get<bool>()) << vllm.dump();
  EXPECT_FALSE(vllm["memory"].contains("mmproj_bytes"));
  bool warned = false;
  for (const json& w : vllm["warnings"]) warned = warned || w["code"] == "gguf_mmproj_ignored";
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace llmsizer
