// Encoder models (BERT, RoBERTa / XLM-RoBERTa, DistilBERT, ModernBERT, NomicBERT, DeBERTa-v2): exact parameter
// counts worked by hand against published totals, no KV cache, one forward's activations, sequences/s, and the
// engines that refuse them. Notation: h hidden, L layers, I intermediate, V vocab, P position rows, T token types.
// A BERT layer: q/k/v/o 4 x (h*h + h), intermediate h*I + I, output I*h + h, 2 LayerNorms of 2h.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engines/encoder.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

json bert(const char* arch, int64_t h, int64_t layers, int64_t heads, int64_t inter, int64_t vocab, int64_t pos,
          int64_t types, const char* type = "bert") {
  return json{{"architectures", {arch}}, {"model_type", type},         {"hidden_size", h},
              {"num_hidden_layers", layers}, {"num_attention_heads", heads}, {"intermediate_size", inter},
              {"vocab_size", vocab},     {"max_position_embeddings", pos}, {"type_vocab_size", types},
              {"pad_token_id", std::string(type) == "bert" ? 0 : 1}};
}

ModelSpec parse(const json& cfg) {
  auto m = parse_config(cfg.dump());
  if (!m.ok()) {
    ADD_FAILURE() << m.error().message;
    return ModelSpec{};
  }
  return std::move(m).value();
}

json run(json request) { return json::parse(handle_request(request.dump())); }

// bert-base-uncased as BertModel: embeddings 30522*768 + 512*768 + 2*768 = 23,835,648; embedding LayerNorm
// 1,536; layer 2,362,368 (attention) + 4,722,432 (MLP) + 3,072 (norms) = 7,087,872 x 12 = 85,054,464; pooler
// 768*768 + 768 = 590,592. Total 109,482,240: sum(p.numel() for p in BertModel.from_pretrained(
// "bert-base-uncased").parameters()), the figure issue 18 cites (and the Hub's "110M").
TEST(Encoder, BertBaseModelCount) {
  const ModelSpec m = parse(bert("BertModel", 768, 12, 12, 3072, 30522, 512, 2));
  EXPECT_EQ(m.kind, ModelKind::kEncoder);
  const ParameterCounts c = count_parameters(m);
  EXPECT_EQ(c.embeddings, 23835648);
  EXPECT_EQ(c.attention, 12 * 2362368);
  EXPECT_EQ(c.mlp, 12 * 4722432);
  EXPECT_EQ(c.norms, 1536 + 12 * 3072);
  EXPECT_EQ(c.head, 590592);
  EXPECT_EQ(c.lm_head, 0);
  EXPECT_EQ(c.total, 109482240);
  EXPECT_EQ(m.encoder.max_sequence, 512);
  EXPECT_TRUE(m.encoder.has_pooler);
}

// The Hub config names BertForMaskedLM: no pooler; the MLM transform 768*768 + 768 + LayerNorm 1,536 and the
// decoder bias 30,522 (decoder tied): 109,482,240 - 590,592 + 590,592 + 1,536 + 30,522 = 109,514,298.
// BertForSequenceClassification (2 labels): pooler + classifier 768*2 + 2 = 109,483,778.
TEST(Encoder, BertHeadsFromTheArchitecture) {
  EXPECT_EQ(count_parameters(parse(bert("BertForMaskedLM", 768, 12, 12, 3072, 30522, 512, 2))).total, 109514298);
  EXPECT_EQ(count_parameters(parse(bert("BertForSequenceClassification", 768, 12, 12, 3072, 30522, 512, 2))).total,
            109483778);
  // all-MiniLM-L6-v2 (BertModel, h 384, L 6, I 1536): embeddings 11,720,448 + 196,608 + 768 + LN 768; layer
  // 591,360 + 591,360 + 590,208 + 1,536 = 1,774,464 x 6; pooler 147,840 -> 22,713,216 (Hub: 22.7M params).
  EXPECT_EQ(count_parameters(parse(bert("BertModel", 384, 6, 12, 1536, 30522, 512, 2))).total, 22713216);
  // BAAI/bge-large-en-v1.5 (BertModel, h 1024, L 24, I 4096): 31,782,912 + 24 x 12,596,224 + 1,049,600 =
  // 335,141,888 (Hub: 335M params).
  EXPECT_EQ(count_parameters(parse(bert("BertModel", 1024, 24, 16, 4096, 30522, 512, 2))).total, 335141888);
}

// xlm-roberta-base as XLMRobertaModel: 250002*768 + 514*768 + 1*768 + LN 1,536 = 192,398,592; the same layers
// 85,054,464; pooler 590,592 -> 278,043,648 (issue 18's figure). 514 positions serve 512 tokens (offset 2).
// bge-m3 (XLMRobertaModel large, 8194 positions): 264,395,776 + 24 x 12,596,224 + 1,049,600 = 567,754,752
// (Hub: 568M params); bge-reranker-v2-m3 (ForSequenceClassification, 1 label): no pooler, head dense
// 1,049,600 + out_proj 1,025 -> 567,755,777.
TEST(Encoder, XlmRobertaCounts) {
  const ModelSpec base = parse(bert("XLMRobertaModel", 768, 12, 12, 3072, 250002, 514, 1, "xlm-roberta"));
  EXPECT_EQ(count_parameters(base).total, 278043648);
  EXPECT_EQ(base.encoder.position_offset, 2);
  EXPECT_EQ(base.encoder.max_sequence, 512);
  EXPECT_EQ(count_parameters(parse(bert("XLMRobertaModel", 1024, 24, 16, 4096, 250002, 8194, 1, "xlm-roberta"))).total,
            567754752);
  json rr = bert("XLMRobertaForSequenceClassification", 1024, 24, 16, 4096, 250002, 8194, 1, "xlm-roberta");
  rr["id2label"] = {{"0", "LABEL_0"}};
  const ModelSpec reranker = parse(rr);
  EXPECT_EQ(count_parameters(reranker).total, 567755777);
  EXPECT_EQ(reranker.encoder.num_labels, 1);
  EXPECT_FALSE(reranker.encoder.has_pooler);
}

// DistilBertModel (distilbert-base-uncased sizes): 23,440,896 + 393,216 + LN 1,536 + 6 x 7,087,872 = 66,362,880
// (Sanh et al. 2019, arXiv:1910.01108 Table 3: 66M).
TEST(Encoder, DistilBertCount) {
  const json cfg = {{"architectures", {"DistilBertModel"}}, {"model_type", "distilbert"}, {"dim", 768},
                    {"hidden_dim", 3072}, {"n_layers", 6}, {"n_heads", 12}, {"vocab_size", 30522},
                    {"max_position_embeddings", 512}};
  EXPECT_EQ(count_parameters(parse(cfg)).total, 66362880);
}

// ModernBERT-base: tok_embeddings 50368*768 = 38,682,624 + norm 768 (no biases: norm_bias false); layer Wqkv
// 1,769,472 + Wo 589,824 + Wi 768*2304 = 1,769,472 + Wo 884,736 + 2 norms 1,536 = 5,015,040, layer 0 without its
// attn_norm; 22 layers 110,330,112; final_norm 768 -> ModernBertModel 149,014,272. ModernBertForMaskedLM adds
// head dense 589,824 + norm 768 + decoder bias 50,368 = 149,655,232 (the Hub's safetensors total, "150M").
TEST(Encoder, ModernBertCount) {
  json cfg = {{"architectures", {"ModernBertForMaskedLM"}}, {"model_type", "modernbert"}, {"hidden_size", 768},
              {"intermediate_size", 1152}, {"num_hidden_layers", 22}, {"num_attention_heads", 12},
              {"vocab_size", 50368}, {"max_position_embeddings", 8192}, {"norm_bias", false},
              {"attention_bias", false}, {"mlp_bias", false}, {"classifier_bias", false}, {"decoder_bias", true}};
  EXPECT_EQ(count_parameters(parse(cfg)).total, 149655232);
  cfg["architectures"] = {"ModernBertModel"};
  const ModelSpec m = parse(cfg);
  EXPECT_EQ(count_parameters(m).total, 149014272);
  EXPECT_EQ(m.encoder.positions, "rotary");
  EXPECT_EQ(m.encoder.max_sequence, 8192);
  // global_attn_every_n_layers 3 (default): layers 0, 3, ..., 21 global (8), the other 14 local (128 tokens).
  int local = 0;
  for (const LayerSpec& l : m.layers) local += l.attn.sliding_window == 128;
  EXPECT_EQ(local, 14);
}

// nomic-embed-text-v1.5 (NomicBertModel): 30528*768 + 2*768 + emb_ln 1,536 = 23,448,576; layer Wqkv 1,769,472 +
// out_proj 589,824 + fc11/fc12/fc2 3 x 2,359,296 + 2 LayerNorms 3,072 = 9,440,256 x 12 -> 136,731,648
// (Nussbaum et al. 2024, arXiv:2402.01613: 137M).
TEST(Encoder, NomicBertCount) {
  const json cfg = {{"architectures", {"NomicBertModel"}}, {"model_type", "nomic_bert"}, {"n_embd", 768},
                    {"n_inner", 3072}, {"n_layer", 12}, {"n_head", 12}, {"vocab_size", 30528},
                    {"n_positions", 8192}, {"type_vocab_size", 2}, {"activation_function", "swiglu"},
                    {"qkv_proj_bias", false}, {"mlp_fc1_bias", false}, {"mlp_fc2_bias", false},
                    {"pad_vocab_size_multiple", 64}};
  EXPECT_EQ(count_parameters(parse(cfg)).total, 136731648);
}

// deberta-v3-base (DebertaV2Model): word embeddings 128100*768 = 98,380,800 ("98M parameters in the Embedding
// layer", model card) + LN 1,536; rel_embeddings 2*256 rows x 768 = 393,216 + LN 1,536; 12 BERT-shaped layers
// 85,054,464 -> 183,831,552 (card: "86M backbone parameters" = 85,054,464 + 393,216 + 3,072 rounded up).
TEST(Encoder, DebertaV3Count) {
  const json cfg = {{"model_type", "deberta-v2"}, {"hidden_size", 768}, {"intermediate_size", 3072},
                    {"num_hidden_layers", 12}, {"num_attention_heads", 12}, {"vocab_size", 128100},
                    {"max_position_embeddings", 512}, {"relative_attention", true}, {"position_buckets", 256},
                    {"norm_rel_ebd", "layer_norm"}, {"share_att_key", true}, {"pos_att_type", {"p2c", "c2p"}},
                    {"position_biased_input", false}, {"type_vocab_size", 0}, {"max_relative_positions", -1}};
  const ModelSpec m = parse(cfg);
  EXPECT_EQ(count_parameters(m).total, 183831552);
  EXPECT_EQ(m.encoder.positions, "relative");
}

// all-mpnet-base-v2 (MPNetModel): 30527*768 + 514*768 + LN 1,536 = 23,841,024; relative_attention_bias 32 x 12 =
// 384; 12 BERT-shaped layers 85,054,464; pooler 590,592 -> 109,486,464 (model card: 109M parameters).
TEST(Encoder, MpnetCount) {
  json cfg = bert("MPNetModel", 768, 12, 12, 3072, 30527, 514, 0, "mpnet");
  cfg.erase("type_vocab_size");
  cfg["relative_attention_num_buckets"] = 32;
  const ModelSpec m = parse(cfg);
  EXPECT_EQ(count_parameters(m).total, 109486464);
  EXPECT_EQ(m.encoder.max_sequence, 512);
}

// One forward of 32 texts x 512 tokens of BERT-base in fp16: per token 2 x (768 + max(5*768, 3072 + 3072 + 768))
// = 15,360 bytes x 16,384 tokens = 251,658,240. Eager DeBERTa-style scores add 4 x heads x s^2 x 2 bytes per text.
TEST(Encoder, ActivationsOfOneForward) {
  const ModelSpec m = parse(bert("BertModel", 768, 12, 12, 3072, 30522, 512, 2));
  EXPECT_DOUBLE_EQ(encoder_activation_bytes(m, Dtype::kFp16, 32, 512, false), 251658240.0);
  // Plain BERT eager: scores + probabilities 2 x 12 x 512^2 x 2 = 12,582,912 per text on top of 7,864,320.
  EXPECT_DOUBLE_EQ(encoder_activation_bytes(m, Dtype::kFp16, 1, 512, true), 7864320.0 + 12582912.0);
}

TEST(Encoder, ServedWithoutKvCache) {
  json req = {{"config", bert("BertModel", 768, 12, 12, 3072, 30522, 512, 2)}, {"gpu", "nvidia-a100-sxm4-80gb"},
              {"dtype", "fp16"}, {"batch", 32}, {"context", 512}, {"reserve", 0.2}};
  const json r = run(req);
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["model"]["kind"], "encoder");
  EXPECT_EQ(r["model"]["parameters"], 109482240);
  EXPECT_EQ(r["memory"]["kv_cache_bytes"], 0);
  EXPECT_EQ(r["memory"]["kv_cache_bytes_per_token"], 0);
  EXPECT_EQ(r["memory"]["activations_bytes"], 251658240);
  // fp16 weights: 2 bytes x 109,482,240 (no rotary cache, no vocabulary padding).
  EXPECT_EQ(r["memory"]["weights_bytes"], 218964480);
  EXPECT_TRUE(r["serving"]["fits"].get<bool>());
  EXPECT_TRUE(r["serving"]["commands"].contains("tei"));
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find("text-embeddings-router --model-id"),
            std::string::npos);
  // Speed: 32 texts per forward; sequences/s x 512 = tokens/s.
  const json& s = r["speed"];
  ASSERT_TRUE(s["available"].get<bool>());
  EXPECT_GT(s["sequences_per_second"].get<double>(), 0);
  EXPECT_NEAR(s["tokens_per_second"].get<double>(), 512 * s["sequences_per_second"].get<double>(), 1e-6 * 512 *
                                                                                                  s["sequences_per_second"].get<double>());
  // FLOPs, batch 32 x 512: linear 2 x 84,934,656 layer weights x 16,384 tokens = 2,783,138,807,808; attention
  // 2 x 12 heads x 128 x 32 x 512^2 per layer x 12 layers = 309,237,645,312.
  EXPECT_NEAR(s["flops"].get<double>(), 2783138807808.0 + 309237645312.0, 1e3);
}

TEST(Encoder, VllmPoolingAndRefusals) {
  json req = {{"model", "BAAI/bge-m3"}, {"gpu", "nvidia-h100-sxm"}, {"engine", "vllm"}, {"batch", 64},
              {"context", 1024}};
  json r = run(req);
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find("--runner pooling"), std::string::npos);
  EXPECT_EQ(r["memory"]["kv_cache_bytes"], 0);
  req["vllm_version"] = "0.8";
  r = run(req);
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_NE(r["serving"]["launch_command"].get<std::string>().find("--task embed"), std::string::npos);
  for (const char* engine : {"sglang", "llama.cpp"}) {
    req["engine"] = engine;
    r = run(req);
    EXPECT_FALSE(r["ok"].get<bool>()) << engine;
    EXPECT_EQ(r["error"]["path"], "/engine");
  }
  // Longer texts than the model takes: 8194 positions - 2 = 8192 tokens.
  req["engine"] = "generic";
  req["context"] = 8193;
  r = run(req);
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_EQ(r["error"]["path"], "/context");
}

TEST(Encoder, DecodersStayDecoders) {
  const json r = run({{"model", "openai-community/gpt2"}, {"gpu", "nvidia-a100-sxm4-80gb"}});
  EXPECT_EQ(r["model"]["kind"], "decoder");
  EXPECT_FALSE(r["model"]["parameters_by_component"].contains("head"));
}

}  // namespace
}  // namespace llmsizer
