// Hugging Face transformers generate(): the allocator peak torch.cuda.max_memory_allocated() reports.
//
// generate() runs one prefill of the whole prompt (no chunking) and then one token per step, growing a
// DynamicCache by concatenation. The peak is the larger of
//   prefill: weights + KV(prompt) + the largest layer transient over batch x prompt tokens + logits
//   decode : weights + KV(prompt + output) + one layer's concatenation copy + the last position's logits
// plus a fixed allocator-resident workspace. With device_map="auto" the layers are split over the GPUs
// (first GPU: embeddings; last: norm, LM head, logits). The CUDA context (~0.5 GiB) is outside the
// allocator: reported as overhead, not in the peak.
//
// Calibration (Qwen2.5-7B-Instruct on A100 80GB, transformers 4.46, flash-attention 2, batch 1, 2048 new
// tokens; Qwen's speed benchmark, peak = max_memory_allocated): BF16 peaks 14.38 / 15.38 / 16.91 / 19.97 GiB at
// 1 / 6144 / 14336 / 30720 prompt tokens. Above weights + KV(prompt) the three long prompts leave 0.87 / 1.96 /
// 4.14 GiB, i.e. 143 KB per prompt token = (3 x intermediate + 4 x hidden) x 2 bytes (gate, activation and up
// outputs alive together in Qwen2MLP, plus hidden states, residual, normed input and the layer output): 142 KB.
// The 1-token prompt is decode-bound and leaves 0.09 GiB above weights + full KV: the workspace.
// Logits: from 4.45 generate() asks for the last position only (num_logits_to_keep); earlier versions
// compute every prompt position and upcast to fp32 (Qwen2's published 4.38 peaks grow with tokens x vocab x 4 B).
#include <algorithm>
#include <cmath>
#include <limits>

#include "engines/util.h"
#include "model/vision.h"
#include "engines/transformers.h"
#include "units.h"

namespace llmsizer {

namespace hf {

namespace {
/// Allocator-resident memory beyond weights, cache and transients (cuBLAS workspaces allocated through the
/// caching allocator, generation buffers): the decode-bound 1-token-prompt case leaves 0.086 GiB.
constexpr int64_t kWorkspaceBytes = 88 * kMiB;
/// Hidden-size vectors alive beside the largest layer transient during the prefill (hidden states,
/// residual, normed input, layer output).
constexpr double kHiddenCopies = 4.0;
}  // namespace

bool full_prompt_logits(const TransformersOptions& o) {
  return o.version_major < 4 || (o.version_major == 4 && o.version_minor < 45);
}


bool per_layer_rotary_cache(const TransformersOptions& o) {
  // Up to about 4.38 every attention layer built its own rotary embedding with _set_cos_sin_cache over
  // max_position_embeddings (modeling_llama.py LlamaRotaryEmbedding, cos_cached / sin_cached buffers); 4.39+
  // compute cos/sin per forward, and 4.46 has one rotary module per model (ENGINES.md).
  return version_before(o, 4, 39);
}

double eager_scores_bytes(const ModelSpec& m, Dtype act, const Stage& stage, int64_t batch, int64_t tokens) {
  // eager_attention_forward (modeling_llama.py and copies): attn_weights = q.k^T (batch x heads x q x kv, activation
  // dtype), then softmax(attn_weights, dim=-1, dtype=torch.float32): torch casts the input to fp32 first (a copy)
  // and writes an fp32 output, while the activation-dtype scores are still bound: a + 4 + 4 bytes per score
  // (fp32 activations: no cast, 4 + 4). Measured (validation-gpu-public.jsonl, Qwen2-7B bf16 on H200,
  // transformers 5.17): the eager peak minus weights, KV and workspace is 5.1 x the bf16 score matrix at 2,048
  // and at 8,192 prompt tokens. The 4-D causal mask (batch x 1 x q x kv, activation dtype) sits beside them.
  const double a = dtype_bits(act) / 8.0;
  int64_t heads = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    heads = std::max(heads, m.layers[static_cast<size_t>(i)].attn.num_heads);
  }
  const double n2 = static_cast<double>(tokens) * static_cast<double>(tokens);
  const double per_score = a + (a < 4.0 ? 4.0 : 0.0) + 4.0;
  return static_cast<double>(std::max<int64_t>(1, batch)) * n2 * (static_cast<double>(heads) * per_score + a);
}

namespace {
/// Per prompt token beside eager's scores: q, k and v repeated to every head (repeat_kv), the layer's own k/v and
/// the residual hidden states (fits the 2,048-token eager measurement within 2 %).
double eager_linear_bytes_per_token(const ModelSpec& m, Dtype act, const Stage& stage) {
  double worst = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const AttentionSpec& at = m.layers[static_cast<size_t>(i)].attn;
    worst = std::max(worst, 3.0 * static_cast<double>(at.num_heads * at.head_dim) +
                                2.0 * static_cast<double>(at.num_kv_heads * at.head_dim));
  }
  return (worst + static_cast<double>(m.hidden_size)) * dtype_bits(act) / 8.0;
}

/// The rotary cos/sin buffers of versions with one per layer: layers x max_position x head_dim x 2 x dtype bytes.
double rotary_cache_bytes(const ModelSpec& m, Dtype act, const Stage& stage) {
  const double layers = static_cast<double>(stage.end_layer - stage.first_layer);
  return layers * static_cast<double>(std::max<int64_t>(0, m.max_position_embeddings)) *
         static_cast<double>(std::max<int64_t>(0, m.rotary_dim)) * 2.0 * dtype_bits(act) / 8.0;
}
}  // namespace

double prefill_layer_bytes_per_token(const ModelSpec& m, Dtype act, const Stage& stage) {
  const double a = dtype_bits(act) / 8.0;
  const double h = static_cast<double>(m.hidden_size);
  double worst = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const LayerSpec& l = m.layers[static_cast<size_t>(i)];
    const AttentionSpec& at = l.attn;
    const double heads = static_cast<double>(at.num_heads);
    double attn;
    if (at.mla) {
      attn = heads * static_cast<double>(at.qk_nope_head_dim + at.qk_rope_head_dim) * 2.0 +
             static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim) +
             heads * static_cast<double>(at.qk_nope_head_dim + at.v_head_dim) + heads * static_cast<double>(at.v_head_dim);
    } else {
      // q, k, v projections, rotated copies of q and k, the attention output (FlashAttention / SDPA kernels:
      // no tokens x tokens score matrix).
      const double kv = static_cast<double>(at.num_kv_heads);
      attn = heads * static_cast<double>(at.head_dim) * 2.0 + kv * static_cast<double>(at.head_dim) * 2.0 +
             kv * static_cast<double>(at.v_head_dim) + heads * static_cast<double>(at.v_head_dim);
    }
    const MlpSpec& f = l.mlp;
    double mlp = 0;
    if (f.is_moe()) {
      // The eager MoE blocks loop over experts, each on its share (k / E) of the tokens, with fp32 router
      // logits and the summed output alive (e.g. MixtralSparseMoeBlock).
      const double k = static_cast<double>(f.experts_per_token);
      const double e = static_cast<double>(std::max<int64_t>(1, f.num_experts));
      mlp = static_cast<double>(f.num_experts) * 4.0 / a + h +
            (f.gated ? 3.0 : 2.0) * static_cast<double>(f.expert_intermediate_size) * k / e;
      if (f.num_shared_experts > 0) {
        mlp += (f.gated ? 3.0 : 2.0) * static_cast<double>(f.shared_intermediate_size * f.num_shared_experts);
      }
    }
    if (f.intermediate_size > 0) {
      mlp = std::max(mlp, (f.gated ? 3.0 : 2.0) * static_cast<double>(f.intermediate_size));
    }
    worst = std::max(worst, std::max(attn, mlp));
  }
  return (worst + kHiddenCopies * h) * a;
}

double kv_bytes(const ModelSpec& m, Dtype kv, const Stage& stage, int64_t tokens) {
  // DynamicCache; sliding-window layers keep their window (transformers >= 4.54 DynamicSlidingWindowLayer,
  // Gemma 2/3's HybridCache before).
  return kv_bytes_per_sequence_rank(m, kv, 1, stage, tokens);
}

Peak peak(const ModelSpec& m, const Inputs& in, const Stage& stage, int64_t batch, int64_t input, int64_t output) {
  Peak p;
  const double a = dtype_bits(in.act_dtype) / 8.0;
  const double b = static_cast<double>(std::max<int64_t>(1, batch));
  const double prompt_tokens = b * static_cast<double>(std::max<int64_t>(1, input));
  const double vocab = static_cast<double>(m.vocab_size);
  p.kv_prompt = b * kv_bytes(m, in.kv_dtype, stage, input);
  p.kv_full = b * kv_bytes(m, in.kv_dtype, stage, input + output);
  p.prefill = prompt_tokens * prefill_layer_bytes_per_token(m, in.act_dtype, stage);
  if (attention_of(m, in.transformers) == AttentionImpl::kEager) {
    // The attention phase of one layer (scores, mask, q/k/v) against the MLP phase: the larger is the transient.
    p.prefill = std::max(p.prefill, prompt_tokens * eager_linear_bytes_per_token(m, in.act_dtype, stage) +
                                        eager_scores_bytes(m, in.act_dtype, stage, batch, input));
  }
  if (stage.last) {
    // Logits in the model dtype and their fp32 copy (LlamaForCausalLM / Qwen2ForCausalLM: logits.float()).
    if (full_prompt_logits(in.transformers)) {
      // Before 4.45 every prompt position's logits are computed after the last decoder layer has finished: they
      // do not coexist with a layer's transient, so the prefill peak is the larger of the two (ENGINES.md).
      p.prefill = std::max(p.prefill, prompt_tokens * vocab * (a + 4.0));
    } else {
      p.prefill += b * vocab * (a + 4.0);
    }
  }
  // Decode: the last position's logits (and generate()'s fp32 next-token copy), plus DynamicCache.update's
  // torch.cat, which holds one layer's old and new K/V at once.
  double layer_kv = 0;
  for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
    const AttentionSpec& at = m.layers[static_cast<size_t>(i)].attn;
    const int64_t n = at.sliding_window > 0 ? std::min(input + output, at.sliding_window) : input + output;
    layer_kv = std::max(layer_kv, static_cast<double>(n) * kv_bytes_per_token_layer(at, in.kv_dtype, 1));
  }
  p.decode = b * layer_kv + (stage.last ? b * vocab * (a + 8.0) : 0.0);
  p.workspace = static_cast<double>(kWorkspaceBytes);
  if (per_layer_rotary_cache(in.transformers)) p.workspace += rotary_cache_bytes(m, in.act_dtype, stage);
  // The kernels follow the checkpoint's quantization_config (method, bits), which transformers loads whatever
  // --dtype says; without one, the requested format.
  const WeightFormat& kernel = m.has_quantization_config ? m.quant : in.weights;
  if (kernel.method == QuantMethod::kGptq && kernel.bits == 4) {
    // 4-bit GPTQ runs on the ExLlamaV2 kernel, which allocates one fp16 scratch per GPU for dequantising the
    // largest matrix (auto_gptq exllamav2 QuantLinear.temp_dq_size: in x out x 2 bytes). Qwen's table shows
    // it: GPTQ-Int4 peaks are 0.13 GiB above AWQ's at every prompt length (Qwen2.5-7B: 3584 x 18944 x 2 B).
    double largest = 0;
    for (int64_t i = stage.first_layer; i < stage.end_layer; ++i) {
      const LayerSpec& l = m.layers[static_cast<size_t>(i)];
      const double h = static_cast<double>(m.hidden_size);
      largest = std::max(largest, h * static_cast<double>(l.attn.num_heads * l.attn.head_dim));
      largest = std::max(largest, h * static_cast<double>(l.mlp.intermediate_size));
      largest = std::max(largest, h * static_cast<double>(l.mlp.expert_intermediate_size));
    }
    p.workspace += largest * 2.0;
  }
  return p;
}

double activations_bytes(const Peak& p) {
  // Reported so that weights + KV(prompt + output) + activations = the allocator peak.
  const double at_prefill = p.kv_prompt + p.prefill;
  const double at_decode = p.kv_full + p.decode;
  return std::max(at_prefill, at_decode) - p.kv_full + p.workspace;
}

int64_t context_bytes() { return kCudaContextBytes; }

}  // namespace hf

namespace {

/// The layers split over every GPU of the layout (device_map="auto" places whole layers).
Layout split(const Layout& l) { return Layout{1, std::max<int64_t>(1, l.tp) * std::max<int64_t>(1, l.pp), l.dp}; }

struct StageMem {
  Stage stage;
  int64_t weights = 0;
  int64_t parameters = 0;
  int64_t kv = 0;
  int64_t act = 0;
};

std::vector<StageMem> stages_for(const ModelSpec& m, const Inputs& in, const Layout& l, const RankWeights& rw,
                                 double scale, int64_t batch, int64_t input, int64_t output) {
  std::vector<StageMem> out;
  for (const Stage& st : pipeline_stages(m.num_hidden_layers(), l.pp)) {
    StageMem s;
    s.stage = st;
    const WeightBytes w = stage_weights(rw, st);
    s.weights = static_cast<int64_t>(std::llround(w.tensors * scale + w.buffers));
    s.parameters = w.parameters;
    const hf::Peak p = hf::peak(m, in, st, batch, input, output);
    s.kv = static_cast<int64_t>(std::llround(p.kv_full));
    s.act = static_cast<int64_t>(std::llround(hf::activations_bytes(p)));
    out.push_back(s);
  }
  return out;
}

int64_t min_free(const std::vector<StageMem>& stages, int64_t total) {
  int64_t f = std::numeric_limits<int64_t>::max();
  for (const StageMem& s : stages) f = std::min(f, total - s.weights - s.kv - s.act - hf::context_bytes());
  return stages.empty() ? 0 : f;
}

/// The largest batch of (input + output)-token sequences that fits (generate() takes one static batch). Every
/// term beyond the weights and the workspace grows linearly with the batch, so per GPU it is
/// (total - weights - workspace - context) // max(KV(prompt) + prefill, KV(all) + decode) of one sequence.
int64_t max_batch(const ModelSpec& m, const Inputs& in, const Layout& l, const RankWeights& rw, double scale,
                  int64_t input, int64_t output) {
  const int64_t total = in.gpu.memory_bytes();
  int64_t most = std::numeric_limits<int64_t>::max();
  for (const Stage& st : pipeline_stages(m.num_hidden_layers(), l.pp)) {
    const WeightBytes w = stage_weights(rw, st);
    const hf::Peak p = hf::peak(m, in, st, 1, input, output);
    const double per_seq = std::max(p.kv_prompt + p.prefill, p.kv_full + p.decode);
    const double room = static_cast<double>(total) - (w.tensors * scale + w.buffers) - p.workspace -
                        static_cast<double>(hf::context_bytes());
    most = std::min(most, room <= 0 || per_seq <= 0 ? 0 : static_cast<int64_t>(std::floor(room / per_seq)));
  }
  return most == std::numeric_limits<int64_t>::max() ? 0 : most;
}

}  // namespace

namespace engine_util {

Capacity transformers_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache,
                               double scale, int64_t batch, int64_t context) {
  const RankWeights& rw = cache.data(l.tp).rw;
  const Inputs x = with_workload(in, batch, context);
  const Layout s = split(l);
  Capacity c;
  const int64_t dp = std::max<int64_t>(1, s.dp);
  const int64_t most = max_batch(m, x, s, rw, scale, x.input_tokens, x.output_tokens);
  c.starts = most >= 1;
  c.max_concurrency = static_cast<double>(most * dp);
  c.headroom_bytes = min_free(stages_for(m, x, s, rw, scale, per_replica(batch, dp), x.input_tokens, x.output_tokens),
                              x.gpu.memory_bytes());
  return c;
}

std::string transformers_launch_command(const ModelSpec& m, const Inputs& in) {
  const int64_t seqs = per_replica(in.batch, std::max<int64_t>(1, split(in.layout).dp));
  const char* dtype = in.weights.dtype == Dtype::kFp32 ? "torch.float32"
                      : in.weights.dtype == Dtype::kFp16 ? "torch.float16"
                                                          : "torch.bfloat16";
  // bitsandbytes quantises a 16-bit checkpoint on load (transformers docs "Bitsandbytes": load_in_4bit with
  // bnb_4bit_quant_type "nf4", load_in_8bit for LLM.int8()); other formats need a converted checkpoint
  // (engines/checkpoint.cpp names it through repo_or_placeholder).
  std::string quant;
  if (!m.has_quantization_config && in.weights.method == QuantMethod::kBnb4) {
    quant = std::string(", quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4'") +
            (in.weights.double_quant ? ", bnb_4bit_use_double_quant=True" : "") + ")";
  } else if (!m.has_quantization_config && in.weights.method == QuantMethod::kInt8) {
    quant = ", quantization_config=BitsAndBytesConfig(load_in_8bit=True)";
  }
  return std::string("python -c \"import torch; from transformers import AutoModelForCausalLM") +
         (quant.empty() ? "" : ", BitsAndBytesConfig") + "; m = AutoModelForCausalLM.from_pretrained('" +
         repo_or_placeholder(in) + "', torch_dtype=" + dtype + quant +
         ", device_map='auto'); out = m.generate(torch.ones(" + std::to_string(seqs) + ", " +
         std::to_string(in.input_tokens) + ", dtype=torch.long, device=m.device), max_new_tokens=" +
         std::to_string(in.output_tokens) + ", min_new_tokens=" + std::to_string(in.output_tokens) +
         "); print(torch.cuda.max_memory_allocated() / 2**30)\"";
}

EnginePlan transformers_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache&) {
  EnginePlan plan;
  const Layout l = split(in.layout);
  const RankWeights rw = rank_weights(m, in.weights, 1, in.include_mtp, 1, /*rope_cache=*/false);
  const double scale = safetensors_scale(m, in);
  const int64_t dp = std::max<int64_t>(1, l.dp);
  const int64_t seqs = per_replica(in.batch, dp);
  const int64_t total = in.gpu.memory_bytes();
  const std::vector<StageMem> stages = stages_for(m, in, l, rw, scale, seqs, in.input_tokens, in.output_tokens);
  plan.margin_bytes = std::numeric_limits<int64_t>::max();
  for (const StageMem& s : stages) {
    GpuMemory g = stage_gpu(s.stage, s.weights, s.parameters);
    g.memory.kv_cache_bytes = s.kv;
    g.memory.activations_bytes = s.act;
    if (s.stage.first && in.images > 0) {
      // generate()'s first forward runs the vision tower over every image of the batch (model/vision.h).
      g.memory.vision_activations_bytes = static_cast<int64_t>(std::llround(vision_activation_bytes(
          m.vision, seqs * in.images * in.image.encoder_tokens, dtype_bits(in.act_dtype) / 8.0)));
      g.memory.activations_bytes += g.memory.vision_activations_bytes;
    }
    g.memory.overhead_bytes = hf::context_bytes();
    g.kv_cache_bytes_per_token = static_cast<int64_t>(std::llround(kv_bytes_per_token_rank(m, in.kv_dtype, 1, s.stage)));
    g.kv_cache_bytes_per_sequence = static_cast<int64_t>(std::llround(hf::kv_bytes(m, in.kv_dtype, s.stage, in.context)));
    g.capacity_bytes = total;
    g.usable_bytes = total;
    g.free_bytes = g.usable_bytes - g.memory.total_bytes();
    plan.margin_bytes = std::min(plan.margin_bytes, g.free_bytes);
    plan.per_gpu.push_back(g);
  }
  if (plan.per_gpu.empty()) plan.margin_bytes = 0;
  plan.fits = !stages.empty() && plan.margin_bytes >= 0;
  const int64_t most = max_batch(m, in, l, rw, scale, in.input_tokens, in.output_tokens);
  plan.max_concurrency = static_cast<double>(most * dp);
  for (auto& g : plan.per_gpu) g.max_concurrency = most;
  if (!plan.fits) {
    plan.failure = "torch.OutOfMemoryError: CUDA out of memory (the batch of " + std::to_string(seqs) + " x " +
                   std::to_string(in.input_tokens + in.output_tokens) + " tokens needs " +
                   gib_text(static_cast<double>(total - plan.margin_bytes)) + " GiB on a " +
                   gib_text(static_cast<double>(total)) + " GiB GPU)";
  }
  plan.startup_log.push_back("torch.cuda.max_memory_allocated() after generate(): " +
                             gib_text(static_cast<double>(plan.per_gpu.empty()
                                                              ? 0
                                                              : plan.per_gpu.back().memory.weights_bytes +
                                                                    plan.per_gpu.back().memory.kv_cache_bytes +
                                                                    plan.per_gpu.back().memory.activations_bytes)) +
                             " GiB" + (l.pp > 1 ? " (last GPU)" : ""));
  if (!plan.fits) plan.startup_log.push_back(plan.failure);

  const AttentionImpl attn = hf::attention_of(m, in.transformers);
  plan.engine_rules = "transformers " + in.transformers.version + " (" + hf::attention_name(attn) + " attention)";
  plan.assumptions.push_back(
      std::string("attention: ") + hf::attention_name(attn) +
      (in.transformers.attention == AttentionImpl::kDefault ? " (this version's default for " + m.model_type + ")"
                                                            : " (as requested)") +
      (attn == AttentionImpl::kEager
           ? "; eager materialises batch x heads x prompt^2 scores with an fp32 upcast and fp32 softmax "
             "(10 B per score in bf16) in the prefill peak and reads them several times in the prefill time"
           : "; the kernel keeps attention memory linear in the prompt"));
  if (attn == AttentionImpl::kEager && !stages.empty()) {
    const double scores = hf::eager_scores_bytes(m, in.act_dtype, stages.back().stage, seqs, in.input_tokens);
    if (scores >= static_cast<double>(kGiB)) {
      plan.warnings.push_back({"transformers_eager_scores",
                               "eager attention materialises " + gib_text(scores) + " GiB of attention scores for " +
                                   std::to_string(seqs) + " x " + std::to_string(in.input_tokens) +
                                   " prompt tokens (growing with the square of the prompt); attn_implementation "
                                   "'sdpa' or 'flash_attention_2' keeps it linear"});
    }
  }
  if (hf::per_layer_rotary_cache(in.transformers) && m.rotary_dim > 0) {
    plan.assumptions.push_back("transformers before 4.39: every layer keeps its own rotary cos/sin cache over "
                               "max_position_embeddings (counted with the workspace)");
  }
  plan.assumptions.push_back(
      "transformers generate() (" + in.transformers.version + " rules): peak = weights + the larger of "
      "(KV of the prompt + prefill transient) and (KV of prompt + output + decode transient), as "
      "torch.cuda.max_memory_allocated reports it; " +
      std::string(hf::full_prompt_logits(in.transformers)
                      ? "logits for every prompt position in fp32 (before 4.45), after the last layer: the prefill "
                        "peak is the larger of the logits and a layer's transient"
                      : "logits for the last position only (4.45+)") +
      "; the CUDA context (~0.5 GiB) is overhead outside that peak");
  if (in.layout.tp > 1) {
    plan.warnings.push_back({"transformers_no_tp", "generate() with device_map=\"auto\" splits layers over the " +
                                                       std::to_string(l.pp) +
                                                       " GPUs instead of sharding tensors (shown as pipeline stages)"});
  }
  plan.settings = {{"batch", static_cast<double>(seqs)},
                   {"input_tokens", static_cast<double>(in.input_tokens)},
                   {"output_tokens", static_cast<double>(in.output_tokens)}};
  return plan;
}

}  // namespace engine_util

}  // namespace llmsizer
