// Exact parameter totals of the model presets (presets/models.json), each worked by hand below and
// checked against the published figure (the Hub's safetensors total, a model card or a paper).
// MoE presets also check active parameters against the published "A3B / 37B activated" figures.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace llmsizer {
namespace {

ModelSpec preset(const std::string& id) {
  auto models = parse_model_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/models.json"));
  if (!models.ok()) {
    ADD_FAILURE() << models.error().message;
    return ModelSpec{};
  }
  for (const ModelPreset& p : *models) {
    if (p.id != id) continue;
    auto m = parse_config_value(*p.config);
    if (!m.ok()) {
      ADD_FAILURE() << id << ": " << m.error().message;
      return ModelSpec{};
    }
    return std::move(m).value();
  }
  ADD_FAILURE() << "no preset " << id;
  return ModelSpec{};
}

struct TotalCase {
  const char* id;
  int64_t total;
};

// Notation: h hidden, L layers, I intermediate, V vocab, q/kv = query/KV heads x head_dim.
// A Llama-style layer is attention 2*h*q + 2*h*kv + MLP 3*h*I + 2 norms of h; the model adds
// V*h embeddings (x2 when the LM head is untied) and a final norm of h. Qwen2 adds q/k/v biases
// (q + 2*kv); Qwen3 adds q/k norms (2*head_dim); Gemma 2/3 have 4 norms per layer, Gemma 3 q/k norms.
const TotalCase kTotals[] = {
    // Qwen2.5 7B: h 3584, L 28, I 18944, q 28x128, kv 4x128, V 152064 untied. Layer 29,364,736
    // attention (with biases) + 203,685,888 MLP + 7,168 = 233,057,792 x 28 = 6,525,618,176;
    // + 2*152064*3584 = 1,089,994,752 + 3,584. Model card: 7.61B (6.53B non-embedding).
    {"Qwen/Qwen2.5-7B-Instruct", 7615616512},
    // Llama 3.1 8B: layer 41,943,040 + 176,160,768 + 8,192 = 218,112,000 x 32 = 6,979,584,000;
    // + 2*128256*4096 = 1,050,673,152 + 4,096. Hub: 8,030,261,248.
    {"meta-llama/Llama-3.1-8B-Instruct", 8030261248},
    {"deepseek-ai/DeepSeek-R1-Distill-Llama-8B", 8030261248},
    // The FP8 checkpoint has the same tensors (its per-tensor scales are not parameters).
    {"RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8", 8030261248},
    // Qwen3 8B: h 4096, L 36, I 12288, q 32x128, kv 8x128: attention 33,554,432 + 8,388,608 + 256
    // = 41,943,296; MLP 150,994,944; norms 8,192 -> 192,946,432 x 36 = 6,946,071,552; + 2*151936*4096
    // = 1,244,659,712 + 4,096 = 8,190,735,360 (model card: 8.2B, 6.95B non-embedding).
    {"Qwen/Qwen3-8B", 8190735360},
    // gpt-oss 20B: attention with biases and sinks 26,550,144 + 2 norms 5,760; 32 experts with biases
    // x (2880*5760+5760 + 2880*2880+2880 = 24,891,840) = 796,538,880; router 32*2880+32 = 92,192
    // -> 823,186,976 x 24 = 19,756,487,424; + 2*201088*2880 = 1,158,266,880 + 2,880.
    // OpenAI gpt-oss model card: 20.91B total.
    {"openai/gpt-oss-20b", 20914757184},
    // gpt-oss 120B: the same layer with 128 experts (3,186,155,520) and router 128*2880+128 = 368,768
    // -> 3,213,080,192 x 36 = 115,670,886,912; + 1,158,266,880 + 2,880. OpenAI: 116.83B total.
    {"openai/gpt-oss-120b", 116829156672},
    // Llama 3.1/3.3 70B: h 8192, L 80, I 28672, q 64x128, kv 8x128: attention 134,217,728 +
    // 16,777,216 = 150,994,944; MLP 704,643,072; norms 16,384 -> 855,654,400 x 80 = 68,452,352,000;
    // + 2*128256*8192 = 2,101,346,304 + 8,192. Hub: 70,553,706,496.
    {"meta-llama/Llama-3.3-70B-Instruct", 70553706496},
    {"meta-llama/Llama-3.1-70B-Instruct", 70553706496},
    // DeepSeek-V3 / R1 main model (MTP module excluded; worked in model_test.cpp
    // DeepSeekR1MainModelAndMtp): 671,026,419,200 ("671B total", arXiv:2412.19437).
    {"deepseek-ai/DeepSeek-R1", 671026419200},
    {"deepseek-ai/DeepSeek-V3", 671026419200},
    // Qwen3 30B-A3B: worked in model_test.cpp Qwen3MoE30B. Model card: 30.5B.
    {"Qwen/Qwen3-30B-A3B", 30532122624},
    // Qwen3 32B: h 5120, L 64, I 25600, q 64x128 = 8192, kv 8x128: attention 41,943,040*2 +
    // 5,242,880*2 + 256 = 94,372,096; MLP 393,216,000; norms 10,240 -> 487,598,336 x 64 =
    // 31,206,293,504; + 2*151936*5120 = 1,555,824,640 + 5,120. Model card: 32.8B.
    {"Qwen/Qwen3-32B", 32762123264},
    // Qwen3 235B-A22B: h 4096, L 94, q 64x128, kv 4x128: attention 33,554,432*2 + 2,097,152*2 + 256
    // = 71,303,424; 128 experts x 3*4096*1536 = 2,415,919,104; router 128*4096 = 524,288; norms
    // 8,192 -> 2,487,755,008 x 94 = 233,848,970,752; + 2*151936*4096 = 1,244,659,712 + 4,096.
    // Model card: 235B total.
    {"Qwen/Qwen3-235B-A22B", 235093634560},
    // Llama 3.2 3B: h 3072, L 28, I 8192, q 24x128, kv 8x128: attention 18,874,368 + 6,291,456 =
    // 25,165,824; MLP 75,497,472; norms 6,144 -> 100,669,440 x 28 = 2,818,744,320; tied embeddings
    // 128256*3072 = 394,002,432; + 3,072. Hub: 3,212,749,824.
    {"meta-llama/Llama-3.2-3B-Instruct", 3212749824},
    // Llama 3.2 1B: h 2048, L 16, I 8192, q 32x64, kv 8x64: attention 8,388,608 + 2,097,152 =
    // 10,485,760; MLP 50,331,648; norms 4,096 -> 60,821,504 x 16 = 973,144,064; tied 128256*2048 =
    // 262,668,288; + 2,048. Hub: 1,235,814,400.
    {"meta-llama/Llama-3.2-1B-Instruct", 1235814400},
    // Gemma 3 1B (text only): h 1152, L 26, I 6912, q 4x256, kv 1x256: attention 1,179,648*2 +
    // 294,912*2 + q/k norms 512 = 2,949,632; MLP 3*1152*6912 = 23,887,872; 4 norms 4,608 ->
    // 26,842,112 x 26 = 697,894,912; tied 262144*1152 = 301,989,888; + 1,152. Hub: 1.0B.
    {"google/gemma-3-1b-it", 999885952},
    // Mistral 7B v0.3: the Llama 3.1 8B layer (218,112,000 x 32) with V 32768: + 2*32768*4096 =
    // 268,435,456 + 4,096. Hub: 7.25B.
    {"mistralai/Mistral-7B-Instruct-v0.3", 7248023552},
    // Qwen2.5 72B: h 8192, L 80, I 29568, q 64x128, kv 8x128, biases: attention 67,117,056 +
    // 2*8,389,632 + 67,108,864 = 151,005,184; MLP 726,663,168; norms 16,384 -> 877,684,736 x 80 =
    // 70,214,778,880; + 2*152064*8192 = 2,491,416,576 + 8,192. Hub: 72,706,203,648.
    {"Qwen/Qwen2.5-72B-Instruct", 72706203648},
    // Qwen2.5 32B: h 5120, L 64, I 27648, q 40x128, kv 8x128, biases: attention 26,219,520 +
    // 2*5,243,904 + 26,214,400 = 62,921,728; MLP 424,673,280; norms 10,240 -> 487,605,248 x 64 =
    // 31,206,735,872; + 2*152064*5120 = 1,557,135,360 + 5,120. Hub: 32.8B (the model card's "32.5B"
    // is rounded loosely; its sizes are the ones above).
    {"Qwen/Qwen2.5-32B-Instruct", 32763876352},
    {"deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", 32763876352},
    {"Qwen/QwQ-32B", 32763876352},
    // Qwen2.5 14B: the 32B layer with I 13824: 62,921,728 + 212,336,640 + 10,240 = 275,268,608 x 48
    // = 13,212,893,184; + 1,557,135,360 + 5,120. Model card: 14.7B.
    {"Qwen/Qwen2.5-14B-Instruct", 14770033664},
    // Qwen2.5 3B: h 2048, L 36, I 11008, q 16x128, kv 2x128, biases, tied: attention 4,196,352 +
    // 2*524,544 + 4,194,304 = 9,439,744; MLP 67,633,152; norms 4,096 -> 77,076,992 x 36 =
    // 2,774,771,712; + 151936*2048 = 311,164,928 + 2,048. Model card: 3.09B.
    {"Qwen/Qwen2.5-3B-Instruct", 3085938688},
    // Qwen2.5 1.5B: h 1536, L 28, I 8960, q 12x128, kv 2x128, biases, tied: attention 2,360,832 +
    // 2*393,472 + 2,359,296 = 5,507,072; MLP 41,287,680; norms 3,072 -> 46,797,824 x 28 =
    // 1,310,339,072; + 151936*1536 = 233,373,696 + 1,536. Model card: 1.54B.
    {"Qwen/Qwen2.5-1.5B-Instruct", 1543714304},
    // Qwen2.5 0.5B: h 896, L 24, I 4864, q 14x64, kv 2x64, biases, tied: attention 803,712 +
    // 2*114,816 + 802,816 = 1,836,160; MLP 13,074,432; norms 1,792 -> 14,912,384 x 24 =
    // 357,897,216; + 151936*896 = 136,134,656 + 896. Model card: 0.49B.
    {"Qwen/Qwen2.5-0.5B-Instruct", 494032768},
    // Qwen3 14B: h 5120, L 40, I 17408, q 40x128, kv 8x128: attention 52,428,800 + 10,485,760 + 256;
    // MLP 267,386,880; norms 10,240 -> 330,311,936 x 40 = 13,212,477,440; + 1,555,824,640 + 5,120.
    // Model card: 14.8B.
    {"Qwen/Qwen3-14B", 14768307200},
    // Qwen3 4B: h 2560, L 36, I 9728, q 32x128, kv 8x128, tied: attention 10,485,760*2 +
    // 2,621,440*2 + 256 = 26,214,656; MLP 74,711,040; norms 5,120 -> 100,930,816 x 36 =
    // 3,633,509,376; + 151936*2560 = 388,956,160 + 2,560. Model card: 4.0B.
    {"Qwen/Qwen3-4B", 4022468096},
    // Qwen3 0.6B: h 1024, L 28, I 3072, q 16x128, kv 8x128, tied: attention 2,097,152*2 +
    // 1,048,576*2 + 256 = 6,291,712; MLP 9,437,184; norms 2,048 -> 15,730,944 x 28 = 440,466,432;
    // + 151936*1024 = 155,582,464 + 1,024. Model card: 0.6B total, 0.44B non-embedding.
    {"Qwen/Qwen3-0.6B", 596049920},
    // Llama 3.1 405B: h 16384, L 126, I 53248, q 128x128, kv 8x128: attention 536,870,912 +
    // 33,554,432 = 570,425,344; MLP 2,617,245,696; norms 32,768 -> 3,187,703,808 x 126 =
    // 401,650,679,808; + 2*128256*16384 = 4,202,692,608 + 16,384. ("405B", arXiv:2407.21783.)
    {"meta-llama/Llama-3.1-405B-Instruct", 405853388800},
    // DeepSeek-R1-Distill-Qwen-7B keeps Qwen2.5-Math-7B's sizes = Qwen2.5 7B's.
    {"deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 7615616512},
    // Mixtral 8x7B: worked in model_test.cpp Mixtral8x7B. Hub: 46,702,792,704.
    {"mistralai/Mixtral-8x7B-Instruct-v0.1", 46702792704},
    // Mixtral 8x22B v0.1 (V 32000): h 6144, L 56, q 48x128, kv 8x128: attention 75,497,472 +
    // 12,582,912 = 88,080,384; 8 experts x 3*6144*16384 = 2,415,919,104; router 49,152; norms
    // 12,288 -> 2,504,060,928 x 56 = 140,227,411,968; + 2*32000*6144 = 393,216,000 + 6,144.
    // Hub: 140,620,634,112.
    {"mistralai/Mixtral-8x22B-v0.1", 140620634112},
    // The Instruct model's v3 tokenizer has V 32768: + 2*768*6144 = 9,437,184 more.
    {"mistralai/Mixtral-8x22B-Instruct-v0.1", 140630071296},
    // Gemma 2 9B: worked in model_test.cpp Gemma2_9B.
    {"google/gemma-2-9b-it", 9241705984},
    // Gemma 2 27B: h 4608, L 46, I 36864, q 32x128, kv 16x128, tied: attention 18,874,368*2 +
    // 9,437,184*2 = 56,623,104; MLP 509,607,936; 4 norms 18,432 -> 566,249,472 x 46 =
    // 26,047,475,712; + 256000*4608 = 1,179,648,000 + 4,608. Hub: 27,227,128,320.
    {"google/gemma-2-27b-it", 27227128320},
    // Gemma 2 2B: h 2304, L 26, I 9216, q 8x256, kv 4x256, tied: attention 4,718,592*2 +
    // 2,359,296*2 = 14,155,776; MLP 63,700,992; norms 9,216 -> 77,865,984 x 26 = 2,024,515,584;
    // + 256000*2304 = 589,824,000 + 2,304. Hub: 2,614,341,888.
    {"google/gemma-2-2b-it", 2614341888},
    // Phi-4: h 5120, L 40, I 17920, q 40x128, kv 10x128: attention 26,214,400*2 + 6,553,600*2 =
    // 65,536,000; MLP 275,251,200; norms 10,240 -> 340,797,440 x 40 = 13,631,897,600;
    // + 2*100352*5120 = 1,027,604,480 + 5,120. Model card: 14B (Hub: 14.7B).
    {"microsoft/phi-4", 14659507200},
    // Phi-3 mini: worked in model_test.cpp Phi3Mini. Hub: 3.82B.
    {"microsoft/Phi-3-mini-4k-instruct", 3821079552},
    // Phi-3 medium: the Phi-4 layer (340,797,440 x 40) with V 32064: + 2*32064*5120 = 328,335,360
    // + 5,120. Hub: 14.0B.
    {"microsoft/Phi-3-medium-128k-instruct", 13960238080},
    // Quantised checkpoints hold the same parameters as the model they quantise.
    {"Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", 7615616512},
    {"Qwen/Qwen2.5-7B-Instruct-AWQ", 7615616512},
    // Mistral Nemo: h 5120, L 40, I 14336, q 32x128 = 4096, kv 8x128: attention 20,971,520*2 +
    // 5,242,880*2 = 52,428,800; MLP 220,200,960; norms 10,240 -> 272,640,000 x 40 = 10,905,600,000;
    // + 2*131072*5120 = 1,342,177,280 + 5,120. Hub: 12.2B.
    {"mistralai/Mistral-Nemo-Instruct-2407", 12247782400},
    // DeepSeek-V2-Lite: worked in model_test.cpp DeepSeekV2Lite ("15.7B", arXiv:2405.04434 App. B).
    {"deepseek-ai/DeepSeek-V2-Lite-Chat", 15706484224},
    {"mistralai/Mistral-7B-v0.1", 7241732096},
    {"meta-llama/Llama-2-7b-hf", 6738415616},
    {"meta-llama/Llama-2-13b-hf", 13015864320},
    // Llama 2 70B: the Llama 3 70B layer (855,654,400 x 80) with V 32000: + 2*32000*8192 =
    // 524,288,000 + 8,192. Hub: 68,976,648,192 ("69B").
    {"meta-llama/Llama-2-70b-hf", 68976648192},
    {"openai-community/gpt2", 124439808},
    // Encoders (worked in tests/encoder_test.cpp; the head follows the Hub config's architecture):
    // BertForMaskedLM = BertModel 109,482,240 - pooler 590,592 + MLM dense 590,592 + LN 1,536 + bias 30,522.
    {"google-bert/bert-base-uncased", 109514298},
    // BertModel h 1024, L 24: Hub "335M params".
    {"BAAI/bge-large-en-v1.5", 335141888},
    // XLMRobertaModel large with 8194 positions: Hub "568M params"; the reranker drops the pooler for
    // RobertaClassificationHead (dense 1,049,600 + out_proj 1,025).
    {"BAAI/bge-m3", 567754752},
    {"BAAI/bge-reranker-v2-m3", 567755777},
    // XLMRobertaForMaskedLM: 278,043,648 - 590,592 + 590,592 + 1,536 + 250,002 (Hub: 279M).
    {"FacebookAI/xlm-roberta-base", 278295186},
    // DistilBertForMaskedLM: 66,362,880 + vocab_transform 590,592 + LN 1,536 + projector bias 30,522 (Hub: 67M).
    {"distilbert/distilbert-base-uncased", 66985530},
    // ModernBertForMaskedLM: the Hub's safetensors total, 149,655,232 ("150M").
    {"answerdotai/ModernBERT-base", 149655232},
    // NomicBertModel: arXiv:2402.01613 "137M".
    {"nomic-ai/nomic-embed-text-v1.5", 136731648},
    // DebertaV2Model: 98,380,800 embedding + 85,450,752 backbone (model card: 98M + 86M).
    {"microsoft/deberta-v3-base", 183831552},
    // MPNetModel: encoder_test.cpp MpnetCount (model card: 109M).
    {"sentence-transformers/all-mpnet-base-v2", 109486464},
    // Vision-language models: tower + projector per family, worked in tests/vision_test.cpp.
    // Qwen2.5-VL 7B: vision 676,550,144 + Qwen2.5-7B text (Hub: 8.29B).
    {"Qwen/Qwen2.5-VL-7B-Instruct", 8292166656},
    // Llama 3.2 11B Vision: Hub safetensors total 10,670,220,835.
    {"meta-llama/Llama-3.2-11B-Vision-Instruct", 10670220835},
    // LLaVA-1.5 7B: Hub safetensors total 7,063,427,072.
    {"llava-hf/llava-1.5-7b-hf", 7063427072},
    // Pixtral 12B (HF format): tower 403,489,792 + projector 31,467,520 + Mistral-Nemo text 12,247,782,400
    // (Hub: 12.7B).
    {"mistral-community/pixtral-12b", 12682739712},
};

class PresetTotal : public ::testing::TestWithParam<TotalCase> {};

TEST_P(PresetTotal, Exact) {
  const TotalCase& c = GetParam();
  EXPECT_EQ(count_parameters(preset(c.id)).total, c.total) << c.id;
}

std::string case_name(const ::testing::TestParamInfo<TotalCase>& info) {
  std::string s = info.param.id;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetTotal, ::testing::ValuesIn(kTotals), case_name);

// ---- active parameters of the MoE presets against the published figures -----------------------

TEST(PresetActive, Qwen3MoE) {
  // Qwen3 model cards: 30B-A3B "3.3B activated", 235B-A22B "22B activated" (8 of 128 experts).
  // 30B-A3B by hand in model_test.cpp: 3,353,032,704. 235B: 235,093,634,560 - 120 unused experts x
  // 18,874,368 x 94 layers (212,902,871,040) = 22,190,763,520.
  EXPECT_NEAR(static_cast<double>(count_parameters(preset("Qwen/Qwen3-30B-A3B")).active), 3.3e9, 0.1e9);
  const ParameterCounts big = count_parameters(preset("Qwen/Qwen3-235B-A22B"));
  EXPECT_EQ(big.active, 22190763520);
  EXPECT_NEAR(static_cast<double>(big.active), 22e9, 0.3e9);
}

TEST(PresetActive, Mixtral) {
  // Mistral AI: Mixtral 8x7B "12.9B active", 8x22B "39B active" (2 of 8 experts).
  // 8x22B Instruct: 140,630,071,296 - 6 x 301,989,888 x 56 = 39,161,468,928.
  EXPECT_NEAR(static_cast<double>(count_parameters(preset("mistralai/Mixtral-8x7B-Instruct-v0.1")).active), 12.9e9,
              0.1e9);
  const ParameterCounts c = count_parameters(preset("mistralai/Mixtral-8x22B-Instruct-v0.1"));
  EXPECT_EQ(c.active, 39161468928);
  EXPECT_NEAR(static_cast<double>(c.active), 39e9, 0.3e9);
}

TEST(PresetActive, DeepSeek) {
  // DeepSeek-V3 report (arXiv:2412.19437): "671B total parameters with 37B activated for each token".
  for (const char* id : {"deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-R1"}) {
    EXPECT_NEAR(static_cast<double>(count_parameters(preset(id)).active), 37e9, 0.6e9) << id;
  }
  // DeepSeek-V2 paper (arXiv:2405.04434, App. B): V2-Lite "15.7B total, 2.4B activated". Ours:
  // 15,706,484,224 - 26 MoE layers x 58 unused experts x 8,650,752 = 2,661,150,208 with the
  // 209,715,200 embedding table, which the paper leaves out: 2,451,435,008.
  const ParameterCounts lite = count_parameters(preset("deepseek-ai/DeepSeek-V2-Lite-Chat"));
  EXPECT_EQ(lite.active, 2661150208);
  EXPECT_NEAR(static_cast<double>(lite.active - lite.embeddings), 2.4e9, 0.1e9);
}

TEST(PresetActive, GptOss) {
  // OpenAI gpt-oss model card: active 3.61B (20b) and 5.13B (120b), 4 of 32 / 128 experts, counted
  // without the 579,133,440-parameter embedding table (the unembedding is included).
  // 20b: 20,914,757,184 - 28 x 24,891,840 x 24 = 4,187,440,704; less embeddings 3,608,307,264.
  // 120b: 116,829,156,672 - 124 x 24,891,840 x 36 = 5,711,982,912; less embeddings 5,132,849,472.
  const ParameterCounts s = count_parameters(preset("openai/gpt-oss-20b"));
  EXPECT_EQ(s.active, 4187440704);
  EXPECT_NEAR(static_cast<double>(s.active - s.embeddings), 3.61e9, 0.01e9);
  const ParameterCounts b = count_parameters(preset("openai/gpt-oss-120b"));
  EXPECT_EQ(b.active, 5711982912);
  EXPECT_NEAR(static_cast<double>(b.active - b.embeddings), 5.13e9, 0.01e9);
}

// ---- what the presets must say beyond sizes -------------------------------------------------------

TEST(PresetTraits, QuantisedCheckpoints) {
  const ModelSpec r1 = preset("deepseek-ai/DeepSeek-R1");
  EXPECT_EQ(r1.quant.method, QuantMethod::kFp8);
  EXPECT_EQ(r1.quant.scales, ScaleGranularity::kBlock);
  EXPECT_EQ(r1.quant.block_rows, 128);
  EXPECT_EQ(r1.quant.block_cols, 128);
  EXPECT_EQ(preset("deepseek-ai/DeepSeek-V3").quant.method, QuantMethod::kFp8);
  for (const char* id : {"openai/gpt-oss-20b", "openai/gpt-oss-120b"}) {
    const ModelSpec m = preset(id);
    EXPECT_EQ(m.quant.method, QuantMethod::kMxfp4) << id;
    EXPECT_TRUE(m.quant.experts_only) << id;
  }
  const ModelSpec gptq = preset("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4");
  EXPECT_EQ(gptq.quant.method, QuantMethod::kGptq);
  EXPECT_EQ(gptq.quant.bits, 4);
  EXPECT_EQ(gptq.quant.group_size, 128);
  EXPECT_FALSE(gptq.quant.zero_points);  // sym: true
  const ModelSpec awq = preset("Qwen/Qwen2.5-7B-Instruct-AWQ");
  EXPECT_EQ(awq.quant.method, QuantMethod::kAwq);
  EXPECT_EQ(awq.quant.bits, 4);
  EXPECT_TRUE(awq.quant.zero_points);
  const ModelSpec fp8 = preset("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8");
  EXPECT_EQ(fp8.quant.method, QuantMethod::kFp8);
  EXPECT_EQ(fp8.quant.scales, ScaleGranularity::kTensor);
  // Unquantised presets carry no quantization_config.
  EXPECT_FALSE(preset("Qwen/Qwen2.5-7B-Instruct").has_quantization_config);
}

TEST(PresetTraits, ContextAndTies) {
  // Qwen2.5 Instruct configs ship max_position_embeddings 32768 (the base models 131072).
  for (const char* id : {"Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-3B-Instruct",
                         "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-32B-Instruct",
                         "Qwen/Qwen2.5-72B-Instruct"}) {
    const ModelSpec m = preset(id);
    EXPECT_EQ(m.max_position_embeddings, 32768) << id;
    for (const LayerSpec& l : m.layers) EXPECT_EQ(l.attn.sliding_window, 0) << id;  // use_sliding_window false
  }
  EXPECT_TRUE(preset("meta-llama/Llama-3.2-1B-Instruct").tie_word_embeddings);
  EXPECT_TRUE(preset("meta-llama/Llama-3.2-3B-Instruct").tie_word_embeddings);
  EXPECT_FALSE(preset("meta-llama/Llama-3.1-8B-Instruct").tie_word_embeddings);
  EXPECT_EQ(preset("meta-llama/Llama-3.1-8B-Instruct").max_position_embeddings, 131072);
  // gpt-oss: layer_types alternate 128-token sliding and full attention, sliding first.
  const ModelSpec oss = preset("openai/gpt-oss-120b");
  ASSERT_EQ(oss.num_hidden_layers(), 36);
  EXPECT_EQ(oss.layers[0].attn.sliding_window, 128);
  EXPECT_EQ(oss.layers[1].attn.sliding_window, 0);
  // Gemma 3 1B: sliding_window 512, every 6th layer global -> layers 5, 11, 17, 23 global (4 of 26).
  const ModelSpec g = preset("google/gemma-3-1b-it");
  int global = 0;
  for (const LayerSpec& l : g.layers) global += l.attn.sliding_window == 0;
  EXPECT_EQ(global, 4);
  EXPECT_EQ(g.layers[0].attn.sliding_window, 512);
  EXPECT_EQ(attention_kind(g), "MQA");
  EXPECT_EQ(attention_kind(preset("deepseek-ai/DeepSeek-V2-Lite-Chat")), "MLA");
}

// ---- Gemma 3 multimodal: sparse text_config + class defaults -----------------------------------

// The Hub's gemma-3-{4b,12b,27b}-it text_config leaves out keys whose Gemma3TextConfig defaults
// apply (transformers configuration_gemma3.py: vocab_size 262208, num_attention_heads 8,
// num_key_value_heads 4, head_dim 256, max_position_embeddings 131072); the core fills them in.
TEST(Gemma3Multimodal, TotalsWithTextConfigDefaults) {
  // Vision tower (SigLIP so400m, all three): 27 layers x (4*(1152^2+1152) + 1152*4304+4304 +
  // 4304*1152+1152 + 2 LayerNorms 4,608 = 15,239,504) = 411,466,608; patch embedding 3*14*14*1152 +
  // 1152 = 678,528; 4096 positions x 1152 = 4,718,592; post LayerNorm 2,304 -> 416,866,032. Projector
  // 1152 x h + a 1152 norm.
  // 4B: h 2560, L 34, I 10240, q 8x256, kv 4x256: attention 5,242,880*2 + 2,621,440*2 + 512 =
  // 15,729,152; MLP 78,643,200; 4 norms 10,240 -> 94,382,592 x 34 = 3,209,008,128; tied 262208*2560
  // = 671,252,480; + 2,560 -> 3,880,263,168; + vision 416,866,032 + projector 2,950,272. Hub: 4.3B.
  EXPECT_EQ(count_parameters(preset("google/gemma-3-4b-it")).total, 4300079472);
  // 12B: h 3840, L 48, I 15360, q 16x256, kv 8x256: attention 15,728,640*2 + 7,864,320*2 + 512;
  // MLP 176,947,200; norms 15,360 -> 224,148,992 x 48 = 10,759,151,616; + 262208*3840 =
  // 1,006,878,720 + 3,840; + 416,866,032 + 4,424,832. Hub: 12.2B.
  EXPECT_EQ(count_parameters(preset("google/gemma-3-12b-it")).total, 12187325040);
  // 27B: h 5376, L 62, I 21504, q 32x128, kv 16x128: attention 22,020,096*2 + 11,010,048*2 + 256;
  // MLP 346,816,512; norms 21,504 -> 412,898,560 x 62 = 25,599,710,720; + 262208*5376 =
  // 1,409,630,208 + 5,376; + 416,866,032 + 6,194,304. Hub: 27.4B.
  EXPECT_EQ(count_parameters(preset("google/gemma-3-27b-it")).total, 27432406640);
}

// The embedded presets drop config.json keys the core never reads (cmake/embed_presets.py UNREAD_CONFIG_KEYS, to
// keep the page's first load within budget). Every preset must answer exactly as its full config.json does, under
// the generic engine and vLLM: the same response but for the config's provenance.
TEST(PresetConfigs, TrimmedConfigAnswersAsTheFullOne) {
  const nlohmann::json all =
      nlohmann::json::parse(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/models.json"));
  const nlohmann::json& models = all.is_array() ? all : all.at("models");
  int compared = 0;
  for (const nlohmann::json& p : models) {
    if (!p.contains("config")) continue;
    const std::string id = p.at("id").get<std::string>();
    for (const char* engine : {"generic", "vllm"}) {
      nlohmann::json embedded = nlohmann::json::parse(
          handle_request(nlohmann::json{{"model", id}, {"engine", engine}, {"gpu", "nvidia-h200-sxm"}}.dump()));
      nlohmann::json full = nlohmann::json::parse(handle_request(
          nlohmann::json{{"config", p.at("config")}, {"model_id", id}, {"engine", engine}, {"gpu", "nvidia-h200-sxm"}}
              .dump()));
      ASSERT_EQ(embedded.value("ok", false), full.value("ok", false)) << id << " " << engine;
      // What may differ: where the config came from (a preset vs a pasted config) and what follows from that.
      for (nlohmann::json* r : {&embedded, &full}) {
        r->erase("warnings");
        r->erase("inputs");
        if (r->contains("model")) (*r)["model"].erase("source");
      }
      for (const char* section : {"memory", "serving", "speed", "bands", "training"}) {
        EXPECT_EQ(embedded.value(section, nlohmann::json()), full.value(section, nlohmann::json()))
            << id << " " << engine << " " << section;
      }
      EXPECT_EQ(embedded["model"].value("parameters", int64_t{0}), full["model"].value("parameters", int64_t{0})) << id;
      ++compared;
    }
  }
  EXPECT_GE(compared, 2 * 60);  // every preset, both engines
}

}  // namespace
}  // namespace llmsizer
