// The llama.cpp engine profile: weights by layer and device, KV cache, compute buffers, start-up lines.
//
// Compute-buffer model. llama.cpp reserves its worst-case graph once (src/llama-context.cpp
// sched_reserve: n_tokens = min(n_ctx, n_ubatch), n_outputs = n_tokens, the full KV cache visible) and
// ggml-alloc sizes each backend's buffer to the peak of the tensors alive at once on it. Activations are
// f32. We take, per device, the largest of these phases (bytes):
//   layer phase  = residual stream + normed input (2 x T x n_embd x 4) + the larger of
//                  attention: q/k/v projections T x (H x dk + Hkv x (dk + dv)) x 4 and the output
//                             T x H x dv x 4, plus without flash attention the KQ scores n_kv x T x H x 4
//                             (soft_max runs in place); MLA adds the absorbed query and latent output
//                             (T x H x kv_lora_rank x 4 each)
//                  MLP: gate, up and the gated product (ggml_swiglu_split makes a new tensor) T x n_ff x 4
//                       each, plus the down projection's output T x n_embd x 4; MoE: router logits
//                       T x n_expert x 4 + per selected expert T x k x n_ff_exp x 4 x 3 + T x k x n_embd x 4
//                       down outputs (ggml_mul_mat_id)
//   output phase = logits T x n_vocab x 4 + the normed input T x n_embd x 4 (device of the output layer)
// The host ("CUDA_Host") buffer holds the graph inputs: token embeddings T x n_embd x 4 (get_rows runs on
// the CPU) and one KQ mask per cache kind n_kv x T (f16 with flash attention, else f32,
// src/llama-graph.cpp build_attn_inp_kq_mask), plus the phases of layers left on the CPU. With layers on
// the CPU, ggml's scheduler runs their big-batch matmuls on GPU 0 and copies the weights there
// (ggml-cuda offload_op: batch >= 32), so GPU 0 also holds the largest CPU-resident weight plus its phase.
// Calibration: Meta-Llama-3-8B-Instruct Q4_K_M, flash attention, -ub 512: output phase = 128256 x 512 x 4
// + 4096 x 512 x 4 = 258.50 MiB, the "CUDA0 compute buffer size = 258.50 MiB" llama.cpp logs for it.
#include "engines/llamacpp.h"

#include "engines/tensor_override.h"
#include "engines/util.h"
#include "units.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <cmath>
#include <cstdio>
#include <limits>

namespace llmsizer {

/// Weights llama.cpp loads, by layer, and the largest single matrices (for op offload copies).
struct LlamaCppWeights {
  RankWeights w;
  int64_t input_bytes = 0;         ///< token_embd (+ position embeddings): CPU
  int64_t output_bytes = 0;        ///< output layer incl. a duplicated token_embd when tied
  std::vector<int64_t> largest_in_layer;
  std::vector<int64_t> expert_bytes;     ///< per layer: the routed-expert tensors (ffn_*_exps), what --n-cpu-moe moves
  std::vector<int64_t> largest_expert;   ///< per layer: the largest of them (op offload copies it whole)
  // --override-tensor, per layer (bytes scaled like the layer totals):
  std::vector<int64_t> ot_cpu;           ///< tensors whose first matching pattern says CPU
  std::vector<int64_t> ot_cpu_experts;   ///< ... of them routed-expert tensors (priced as experts)
  std::vector<int64_t> ot_claimed_experts;  ///< expert tensors some pattern matched first (--n-cpu-moe skips them)
  std::vector<int64_t> ot_largest;       ///< the largest tensor moved by a pattern
  std::vector<std::string> ot_unmodelled;  ///< matches the estimate does not place (other devices, non-layer tensors)
  int64_t ot_matched = 0;                ///< tensors any pattern matched
  int64_t largest_output = 0;
  int64_t total_file = 0;
  int64_t parameters = 0;
};

namespace {

/// n_ctx and SWA cache padding (src/llama-context.cpp: GGML_PAD(n_ctx, 256); llama-kv-cache-iswa.cpp).
constexpr int64_t kCtxPad = 256;

int64_t pad(int64_t x, int64_t n) { return (x + n - 1) / n * n; }

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%8.2f", static_cast<double>(bytes) / static_cast<double>(kMiB));
  return buf;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The request's --override-tensor patterns (resolve() has checked them), or nullptr.
std::shared_ptr<const TensorOverrides> overrides_of(const Inputs& in) {
  if (in.request.override_tensor.empty()) return nullptr;
  auto ot = parse_tensor_overrides(in.request.override_tensor);
  return ot.ok() ? ot.value() : nullptr;
}

/// One shell word: '...' with any ' written as '\''.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string device_prefix(const GpuSpec& g) {
  if (g.vendor == "AMD") return "ROCm";
  if (g.vendor == "Apple") return "MTL";
  return "CUDA";
}

struct LayerShape {
  int64_t n_embd_k = 0;   ///< K row: n_head_kv x head_dim (MLA: kv_lora_rank + rope dims)
  int64_t n_embd_v = 0;   ///< V row (0 for MLA: no V tensor, src/llama-kv-cache.cpp has_v = !is_mla)
  bool swa = false;
};

LayerShape layer_shape(const ModelSpec& m, int64_t il, bool use_swa) {
  const AttentionSpec& a = m.layers[static_cast<size_t>(il)].attn;
  LayerShape s;
  if (a.mla) {
    s.n_embd_k = a.kv_lora_rank + a.qk_rope_head_dim;
    s.n_embd_v = 0;
  } else {
    s.n_embd_k = a.num_kv_heads * a.head_dim;
    s.n_embd_v = a.num_kv_heads * a.v_head_dim;
  }
  s.swa = use_swa && a.sliding_window > 0;
  return s;
}


/// --override-tensor: which of a layer's tensors the patterns move (tensor_override.h; llama-model.cpp tries the
/// patterns in order on the full name, "blk.N.<name>", and the first match picks the buffer).
struct OverrideSums {
  std::vector<double> cpu, cpu_experts, claimed_experts;
  std::vector<int64_t> largest;
};
void match_override(const TensorOverrides& ot, const GgufTensor& t, bool expert, OverrideSums& s, LlamaCppWeights& mw) {
  const std::string full = t.layer >= 0 ? "blk." + std::to_string(t.layer) + "." + t.name : t.name;
  const TensorOverride* o = ot.first_match(full);
  if (!o) return;
  ++mw.ot_matched;
  const bool in_layer = t.layer >= 0 && static_cast<size_t>(t.layer) < s.cpu.size();
  if (!in_layer || !o->cpu) {
    // token_embd is on the CPU anyway; the output layer and other devices are not placed by this estimate.
    if (!(t.layer == -1 && o->cpu) && mw.ot_unmodelled.size() < 4) mw.ot_unmodelled.push_back(full + "=" + o->buffer);
    if (in_layer && expert) s.claimed_experts[static_cast<size_t>(t.layer)] += static_cast<double>(t.bytes());
    return;
  }
  const size_t il = static_cast<size_t>(t.layer);
  s.cpu[il] += static_cast<double>(t.bytes());
  if (expert) {
    s.cpu_experts[il] += static_cast<double>(t.bytes());
    s.claimed_experts[il] += static_cast<double>(t.bytes());
  }
  s.largest[il] = std::max(s.largest[il], t.bytes());
}

LlamaCppWeights model_weights(const ModelSpec& m, const WeightFormat& f, const TensorOverrides* ot) {
  LlamaCppWeights mw;
  mw.w = gguf_rank_weights(m, f, 1, 1, false);
  mw.input_bytes = static_cast<int64_t>(std::llround(mw.w.first_bytes));
  mw.output_bytes = static_cast<int64_t>(std::llround(mw.w.last_bytes));
  // Tied embeddings: the output layer loads token_embd a second time (TENSOR_DUPLICATED, src/models/*.cpp).
  if (m.tie_word_embeddings) mw.output_bytes += static_cast<int64_t>(std::llround(mw.w.tied_head_bytes));
  mw.total_file = mw.input_bytes + static_cast<int64_t>(std::llround(mw.w.last_bytes));
  for (double b : mw.w.layer_bytes) mw.total_file += static_cast<int64_t>(std::llround(b));
  mw.parameters = mw.w.first_params + mw.w.last_params;
  for (int64_t p : mw.w.layer_params) mw.parameters += p;
  if (f.gguf_parameters > 0) mw.parameters = f.gguf_parameters;
  mw.largest_in_layer.assign(mw.w.layer_bytes.size(), 0);
  // Largest matrices from the typed tensor list, scaled like the layer totals (exact files).
  std::vector<double> typed(mw.w.layer_bytes.size(), 0);
  std::vector<int64_t> largest(mw.w.layer_bytes.size(), 0);
  std::vector<double> experts(mw.w.layer_bytes.size(), 0);
  std::vector<int64_t> largest_expert(mw.w.layer_bytes.size(), 0);
  const size_t n_layer = mw.w.layer_bytes.size();
  OverrideSums os{std::vector<double>(n_layer, 0), std::vector<double>(n_layer, 0), std::vector<double>(n_layer, 0),
                  std::vector<int64_t>(n_layer, 0)};
  for (const GgufTensor& t : gguf_tensors(m, f.gguf_ftype)) {
    // The tensors --n-cpu-moe overrides: ffn_gate_exps / ffn_up_exps / ffn_down_exps (and their fused gate_up),
    // weights and biases (common/common.h: "blk\.N\.ffn_(up|down|gate)_exps" matches both).
    const bool expert = t.name.find("_exps.") != std::string::npos;
    if (ot) match_override(*ot, t, expert, os, mw);
    if (t.layer >= 0 && t.layer < static_cast<int32_t>(typed.size())) {
      const size_t il = static_cast<size_t>(t.layer);
      typed[il] += static_cast<double>(t.bytes());
      largest[il] = std::max(largest[il], t.bytes());
      if (expert) {
        experts[il] += static_cast<double>(t.bytes());
        largest_expert[il] = std::max(largest_expert[il], t.bytes());
      }
    } else if (t.layer == -2 && t.name == "output.weight") {
      mw.largest_output = t.bytes();
    }
  }
  if (m.tie_word_embeddings) mw.largest_output = static_cast<int64_t>(std::llround(mw.w.tied_head_bytes));
  for (size_t i = 0; i < typed.size(); ++i) {
    const double scale = typed[i] > 0 ? mw.w.layer_bytes[i] / typed[i] : 1.0;
    mw.largest_in_layer[i] = static_cast<int64_t>(static_cast<double>(largest[i]) * scale);
    mw.expert_bytes.push_back(static_cast<int64_t>(std::llround(experts[i] * scale)));
    mw.largest_expert.push_back(static_cast<int64_t>(static_cast<double>(largest_expert[i]) * scale));
    mw.ot_cpu.push_back(static_cast<int64_t>(std::llround(os.cpu[i] * scale)));
    mw.ot_cpu_experts.push_back(static_cast<int64_t>(std::llround(os.cpu_experts[i] * scale)));
    mw.ot_claimed_experts.push_back(static_cast<int64_t>(std::llround(os.claimed_experts[i] * scale)));
    mw.ot_largest.push_back(static_cast<int64_t>(static_cast<double>(os.largest[i]) * scale));
  }
  return mw;
}

/// ggml-alloc peak of one repeating layer (see the header comment), bytes.
int64_t layer_phase_bytes(const ModelSpec& m, int64_t il, int64_t T, int64_t n_kv, bool fa) {
  const LayerSpec& l = m.layers[static_cast<size_t>(il)];
  const AttentionSpec& a = l.attn;
  const double t = static_cast<double>(T);
  const double e = static_cast<double>(m.hidden_size);
  const double h = static_cast<double>(a.num_heads);
  double attn = 0;
  if (a.mla) {
    const double dk = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
    const double lora = static_cast<double>(a.kv_lora_rank);
    attn = t * (h * dk + 2.0 * h * lora + lora + static_cast<double>(a.qk_rope_head_dim) +
                h * static_cast<double>(a.v_head_dim)) * 4.0;
  } else {
    const double hkv = static_cast<double>(a.num_kv_heads);
    attn = t * (h * static_cast<double>(a.head_dim) + hkv * static_cast<double>(a.head_dim + a.v_head_dim) +
                h * static_cast<double>(a.v_head_dim)) * 4.0;
  }
  if (!fa) attn += static_cast<double>(n_kv) * t * h * 4.0;
  const MlpSpec& p = l.mlp;
  double mlp = 0;
  if (p.is_moe()) {
    const double k = static_cast<double>(p.experts_per_token);
    mlp = t * static_cast<double>(p.num_experts) * 4.0 +
          t * k * static_cast<double>(p.expert_intermediate_size) * 4.0 * (p.gated ? 3.0 : 2.0) + t * k * e * 4.0;
    if (p.num_shared_experts > 0) {
      mlp = std::max(mlp, t * static_cast<double>(p.shared_intermediate_size * p.num_shared_experts) * 4.0 *
                              (p.gated ? 3.0 : 2.0) + t * e * 4.0);
    }
  }
  if (p.intermediate_size > 0) {
    mlp = std::max(mlp, t * static_cast<double>(p.intermediate_size) * 4.0 * (p.gated ? 3.0 : 2.0) + t * e * 4.0);
  }
  return static_cast<int64_t>(2.0 * t * e * 4.0 + std::max(attn, mlp));
}

int64_t output_phase_bytes(const ModelSpec& m, int64_t T) {
  return T * m.vocab_size * 4 + T * m.hidden_size * 4;
}

}  // namespace

bool llamacpp_uses_swa(const ModelSpec& m) {
  return m.family == "gemma2" || m.family == "gemma3" || m.family == "gpt_oss";
}

WeightFormat llamacpp_weight_format(const WeightFormat& w, std::string* note) {
  if (w.method == QuantMethod::kGguf) return w;
  std::string name = "BF16";
  if (w.method == QuantMethod::kNone) {
    name = w.dtype == Dtype::kFp32 ? "F32" : w.dtype == Dtype::kFp16 ? "F16" : "BF16";
  } else if (w.bits <= 4.5) {
    name = "Q4_K_M";
  } else {
    name = "Q8_0";
  }
  WeightFormat g = gguf_weight_format(name).value();
  if (note && w.method != QuantMethod::kNone) {
    *note = "llama.cpp loads GGUF files only: '" + w.label + "' is sized as the nearest GGUF type, " + name +
            " (choose one with --dtype, e.g. Q4_K_M, Q8_0)";
  }
  return g;
}

int64_t llamacpp_kv_tensor_bytes(GgmlType type, int64_t n_embd_gqa, int64_t cells) {
  if (n_embd_gqa <= 0 || cells <= 0) return 0;
  return ggml_row_size(type, n_embd_gqa) * cells;
}

LlamaCppParams llamacpp_params(const ModelSpec& m, const Inputs& in) {
  const LlamaCppOptions& r = in.llamacpp;
  LlamaCppParams o;
  o.n_seq = r.np > 0 ? r.np : std::max<int64_t>(1, in.batch);
  o.kv_unified = r.kv_unified;
  o.flash_attn = r.flash_attn;
  o.swa_full = r.swa_full;
  o.requested_ctx = r.ctx_size > 0 ? r.ctx_size : o.n_seq * std::max<int64_t>(1, in.context);
  // src/llama-context.cpp: n_ctx = GGML_PAD(n_ctx, 256); without a unified cache each of the n_seq streams
  // gets n_ctx_seq = GGML_PAD(n_ctx / n_seq, 256) cells and n_ctx = n_ctx_seq x n_seq.
  o.n_ctx = pad(o.requested_ctx, kCtxPad);
  if (o.kv_unified) {
    o.n_ctx_seq = o.n_ctx;
    o.n_stream = 1;
  } else {
    o.n_ctx_seq = pad(std::max<int64_t>(1, o.n_ctx / o.n_seq), kCtxPad);
    o.n_ctx = o.n_ctx_seq * o.n_seq;
    o.n_stream = o.n_seq;
  }
  o.n_batch = std::min(o.n_ctx, r.n_batch);
  o.n_ubatch = std::min(o.n_batch, r.n_ubatch);
  const int64_t n_layer = m.num_hidden_layers();
  o.n_gpu_layers = r.ngl < 0 ? n_layer + 1 : std::min(r.ngl, n_layer + 1);
  o.n_cpu_moe = std::clamp<int64_t>(r.n_cpu_moe, 0, n_layer);
  o.type_k = r.type_k;
  o.type_v = r.type_v;
  o.gpus = std::max<int64_t>(1, in.layout.gpus());
  return o;
}

namespace {

/// KV cells per stream of the full-attention and the sliding-window caches (src/llama-kv-cache-iswa.cpp), and the
/// widest V row (without flash attention V is stored transposed and padded to it, [TAG_V_CACHE_VARIABLE]).
struct KvCells {
  int64_t full = 0;
  int64_t swa = 0;
  int64_t v_max = 0;
};
KvCells kv_cells(const ModelSpec& m, const LlamaCppParams& o, bool use_swa) {
  KvCells c;
  c.full = o.n_ctx_seq;
  int64_t window = 0;
  for (const LayerSpec& l : m.layers) window = std::max(window, l.attn.sliding_window);
  c.swa = o.swa_full ? c.full : pad(std::min(c.full, window * (o.kv_unified ? o.n_seq : 1) + o.n_ubatch), kCtxPad);
  for (int64_t il = 0; il < m.num_hidden_layers(); ++il) {
    c.v_max = std::max(c.v_max, layer_shape(m, il, use_swa).n_embd_v);
  }
  return c;
}

/// Devices: repeating layer il and the output layer (il = n_layer) are on a GPU when
/// il >= i_gpu_start = max(n_layer + 1 - ngl, 0); GPU index from the cumulative split (equal GPUs).
struct DeviceSplit {
  int64_t i_gpu_start = 0;
  int64_t act = 0;   ///< layers on GPUs
  int64_t gpus = 1;
  DeviceSplit(int64_t n_layer, int64_t ngl, int64_t n_gpus)
      : i_gpu_start(std::max<int64_t>(n_layer + 1 - ngl, 0)), act(std::min(ngl, n_layer + 1)),
        gpus(std::max<int64_t>(1, n_gpus)) {}
  /// The GPU of layer il, -1 = the CPU.
  int64_t operator()(int64_t il) const {
    if (il < i_gpu_start || il - i_gpu_start >= act) return -1;
    // std::upper_bound(splits, (il - i_gpu_start) / act) with splits = {1/n, 2/n, ..., 1}.
    const double x = static_cast<double>(il - i_gpu_start) / static_cast<double>(act);
    int64_t d = 0;
    while (d < gpus && static_cast<double>(d + 1) / static_cast<double>(gpus) <= x) ++d;
    return std::min(d, gpus - 1);
  }
};

/// The GPUs' records (no layers yet) and the host's, which holds token_embd.
void init_devices(const ModelSpec& m, const Inputs& in, const LlamaCppWeights& mw, int64_t gpus, LlamaCppMemory& mem) {
  const int64_t n_layer = m.num_hidden_layers();
  const std::string prefix = device_prefix(in.gpu);
  mem.gpus.resize(static_cast<size_t>(gpus));
  for (int64_t d = 0; d < gpus; ++d) {
    LlamaCppDevice& g = mem.gpus[static_cast<size_t>(d)];
    g.name = prefix + std::to_string(d);
    g.gpu = true;
    g.first_layer = n_layer;
    g.end_layer = 0;
    g.overhead_bytes = in.llamacpp.gpu_overhead_bytes;
  }
  LlamaCppDevice& host = mem.host;
  host.name = "CPU";
  host.gpu = false;
  host.input_layer = true;
  host.model_bytes = mw.input_bytes;
  host.parameters = mw.w.first_params;
  host.first_layer = n_layer;
}

/// The largest phase (ggml-alloc peak) of each device's layers, and what the CPU-resident layers need.
struct Phases {
  std::vector<int64_t> gpu;
  int64_t cpu_layer = 0;
  int64_t largest_cpu_weight = 0;
  int64_t cpu_experts = 0;   ///< the largest phase of a GPU layer whose routed experts run from host memory
};

/// Places every repeating layer's weights and KV on its device.
void place_layers(const ModelSpec& m, const LlamaCppParams& o, const LlamaCppWeights& mw, const KvCells& cells,
                  const DeviceSplit& device_of, int64_t T, LlamaCppMemory& mem, Phases& ph) {
  const bool use_swa = llamacpp_uses_swa(m);
  for (int64_t il = 0; il < m.num_hidden_layers(); ++il) {
    const LayerShape s = layer_shape(m, il, use_swa);
    const int64_t n = s.swa ? cells.swa : cells.full;
    const int64_t k = llamacpp_kv_tensor_bytes(o.type_k, s.n_embd_k, n) * o.n_stream;
    const int64_t v_row = o.flash_attn ? s.n_embd_v : cells.v_max;
    const int64_t v = s.n_embd_v > 0 ? llamacpp_kv_tensor_bytes(o.type_v, v_row, n) * o.n_stream : 0;
    (s.swa ? mem.kv_k_swa : mem.kv_k_full) += k;
    (s.swa ? mem.kv_v_swa : mem.kv_v_full) += v;
    (s.swa ? mem.swa_layers : mem.full_layers) += 1;
    const int64_t d = device_of(il);
    LlamaCppDevice& dev = d < 0 ? mem.host : mem.gpus[static_cast<size_t>(d)];
    const int64_t layer_bytes = static_cast<int64_t>(std::llround(mw.w.layer_bytes[static_cast<size_t>(il)]));
    // --n-cpu-moe: a GPU layer's routed experts stay in host memory (the rest of the layer, its KV and its
    // phase stay on the GPU); a layer already on the CPU keeps everything there. --override-tensor patterns come
    // first: the tensors they send to the CPU move, and experts they match --n-cpu-moe leaves alone.
    const size_t l = static_cast<size_t>(il);
    const bool cpu_moe = d >= 0 && il < o.n_cpu_moe;
    const int64_t experts = (cpu_moe ? mw.expert_bytes[l] - mw.ot_claimed_experts[l] : 0) +
                            (d >= 0 ? mw.ot_cpu_experts[l] : 0);
    const int64_t others = d >= 0 ? mw.ot_cpu[l] - mw.ot_cpu_experts[l] : 0;
    const int64_t moved = experts + others;
    dev.model_bytes += layer_bytes - moved;
    mem.host.model_bytes += moved;
    mem.host_expert_bytes += experts;
    mem.host_override_bytes += others;
    if (moved > 0) {
      ph.largest_cpu_weight = std::max({ph.largest_cpu_weight, cpu_moe ? mw.largest_expert[l] : 0,
                                        d >= 0 ? mw.ot_largest[l] : 0});
      ph.cpu_experts = std::max(ph.cpu_experts, layer_phase_bytes(m, il, T, n, o.flash_attn));
    }
    if (d < 0) {
      mem.host_layer_bytes += layer_bytes;
      mem.host_kv_bytes += k + v;
    }
    dev.parameters += mw.w.layer_params[static_cast<size_t>(il)];
    dev.kv_k_bytes += k;
    dev.kv_v_bytes += v;
    dev.first_layer = std::min(dev.first_layer, il);
    dev.end_layer = std::max(dev.end_layer, il + 1);
    const int64_t phase = layer_phase_bytes(m, il, T, n, o.flash_attn);
    if (d < 0) {
      ph.cpu_layer = std::max(ph.cpu_layer, phase);
      ph.largest_cpu_weight = std::max(ph.largest_cpu_weight, mw.largest_in_layer[static_cast<size_t>(il)]);
    } else {
      ph.gpu[static_cast<size_t>(d)] = std::max(ph.gpu[static_cast<size_t>(d)], phase);
    }
  }
  mem.kv_cells_full = mem.full_layers > 0 ? cells.full * o.n_stream : 0;
  mem.kv_cells_swa = mem.swa_layers > 0 ? cells.swa * o.n_stream : 0;
}

/// Compute buffers: each GPU's largest phase; the host's graph inputs and CPU-resident phases; op offload.
void compute_buffers(const ModelSpec& m, const LlamaCppParams& o, const KvCells& cells, int64_t T, int64_t out_dev,
                     int64_t out_phase, const Phases& ph, LlamaCppMemory& mem) {
  for (size_t d = 0; d < mem.gpus.size(); ++d) mem.gpus[d].compute_bytes = ph.gpu[d];
  int64_t phase_cpu = 0;
  const bool cpu_work = ph.cpu_layer > 0 || out_dev < 0 || ph.cpu_experts > 0;
  if (cpu_work && o.op_offload && T >= 32) {
    // GPU 0 runs the CPU-resident matmuls of a big batch, with a copy of the weight (MUL_MAT_ID too: its batch
    // is the token count, ggml-cuda.cu get_op_batch_size).
    const int64_t phase = ph.largest_cpu_weight + (out_dev < 0 ? out_phase : ph.cpu_layer);
    mem.gpus[0].compute_bytes = std::max(mem.gpus[0].compute_bytes, phase);
  } else if (cpu_work) {
    phase_cpu = std::max({ph.cpu_layer, out_dev < 0 ? out_phase : 0, ph.cpu_experts});
  }
  if (ph.cpu_layer > 0) phase_cpu = std::max(phase_cpu, ph.cpu_layer);
  const int64_t mask_elem = o.flash_attn ? 2 : 4;
  int64_t inputs = T * m.hidden_size * 4 + 3 * T * 4;
  if (mem.full_layers > 0) inputs += cells.full * T * mask_elem;
  if (mem.swa_layers > 0) inputs += cells.swa * T * mask_elem;
  mem.host.compute_bytes = inputs + phase_cpu;
  // Logits of one output per slot, f32 (llama_context::output_reserve(n_seq_max)).
  mem.host.output_buffer_bytes = m.vocab_size * o.n_seq * 4;
}

LlamaCppMemory layout(const ModelSpec& m, const Inputs& in, const LlamaCppParams& o, const LlamaCppWeights& mw) {
  LlamaCppMemory mem;
  mem.opt = o;
  const int64_t n_layer = m.num_hidden_layers();
  const int64_t T = std::max<int64_t>(1, std::min(o.n_ctx, o.n_ubatch));
  const KvCells cells = kv_cells(m, o, llamacpp_uses_swa(m));
  const DeviceSplit device_of(n_layer, o.n_gpu_layers, o.gpus);
  init_devices(m, in, mw, device_of.gpus, mem);
  Phases ph;
  ph.gpu.assign(static_cast<size_t>(device_of.gpus), 0);
  place_layers(m, o, mw, cells, device_of, T, mem, ph);

  // The output layer.
  const int64_t out_dev = device_of(n_layer);
  const int64_t out_phase = output_phase_bytes(m, T);
  LlamaCppDevice& od = out_dev < 0 ? mem.host : mem.gpus[static_cast<size_t>(out_dev)];
  od.output_layer = true;
  od.model_bytes += mw.output_bytes;
  od.parameters += mw.w.last_params;
  if (out_dev >= 0) {
    ph.gpu[static_cast<size_t>(out_dev)] = std::max(ph.gpu[static_cast<size_t>(out_dev)], out_phase);
  } else {
    ph.largest_cpu_weight = std::max(ph.largest_cpu_weight, mw.largest_output);
    mem.host_layer_bytes += mw.output_bytes;
  }

  compute_buffers(m, o, cells, T, out_dev, out_phase, ph, mem);
  // --mmproj: libmtmd loads the projector on the first GPU backend (clip_init with use_gpu, llama-server's default
  // unless --no-mmproj-offload), in its own buffer beside the model's.
  if (!mem.gpus.empty()) mem.gpus[0].mmproj_bytes = in.llamacpp.mmproj_bytes;
  for (LlamaCppDevice& g : mem.gpus) {
    if (g.first_layer >= g.end_layer) g.first_layer = g.end_layer = 0;
  }
  if (mem.host.first_layer >= mem.host.end_layer) mem.host.first_layer = mem.host.end_layer = 0;
  mem.weights_bytes = mw.total_file;
  mem.parameters = mw.parameters;
  return mem;
}

bool gpus_fit(const LlamaCppMemory& mem, int64_t capacity) {
  for (const LlamaCppDevice& g : mem.gpus) {
    if (g.total_bytes() > capacity) return false;
  }
  return true;
}

/// One record per GPU of the layout, the plan's margin (the tightest GPU's free bytes) and its largest KV buffer.
void gpu_records(const ModelSpec& m, const LlamaCppParams& o, const LlamaCppMemory& mem, int64_t capacity,
                 EnginePlan& p) {
  p.margin_bytes = std::numeric_limits<int64_t>::max();
  for (size_t d = 0; d < mem.gpus.size(); ++d) {
    const LlamaCppDevice& dev = mem.gpus[d];
    GpuMemory g;
    g.stage = static_cast<int64_t>(d);
    g.first_layer = dev.first_layer;
    g.end_layer = dev.end_layer;
    g.memory.weights_bytes = dev.model_bytes;
    g.memory.kv_cache_bytes = dev.kv_bytes();
    g.memory.activations_bytes = dev.compute_bytes;
    g.memory.overhead_bytes = dev.overhead_bytes;
    g.memory.mmproj_bytes = dev.mmproj_bytes;
    g.weights_parameters = dev.parameters;
    for (int64_t il = dev.first_layer; il < dev.end_layer; ++il) {
      const LayerShape s = layer_shape(m, il, llamacpp_uses_swa(m));
      if (s.swa) continue;
      g.kv_cache_bytes_per_token += ggml_row_size(o.type_k, s.n_embd_k) + (s.n_embd_v > 0 ? ggml_row_size(o.type_v, s.n_embd_v) : 0);
    }
    g.kv_cache_bytes_per_sequence = o.n_seq > 0 ? dev.kv_bytes() / o.n_seq : dev.kv_bytes();
    g.capacity_bytes = capacity;
    g.usable_bytes = capacity;
    g.free_bytes = capacity - dev.total_bytes();
    p.margin_bytes = std::min(p.margin_bytes, g.free_bytes);
    p.available_kv_cache_bytes = std::max(p.available_kv_cache_bytes, dev.kv_bytes());
    p.per_gpu.push_back(g);
  }
}

/// The most slots of `context` tokens (-np N -c N x context) that fit the GPUs: doubling, then bisection.
int64_t most_slots(const ModelSpec& m, const Inputs& in, const LlamaCppWeights& mw, int64_t capacity) {
  Inputs probe = in;
  probe.llamacpp.ctx_size = 0;
  auto fits_n = [&](int64_t n) {
    probe.llamacpp.np = n;
    return gpus_fit(layout(m, probe, llamacpp_params(m, probe), mw), capacity);
  };
  int64_t lo = 0;
  int64_t hi = 1;
  while (hi <= (int64_t{1} << 20) && fits_n(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits_n(mid) ? lo : hi) = mid;
  }
  return lo;
}

/// The longest context per slot (whole 256-token pads, the slots kept) that fits the GPUs.
int64_t longest_context(const ModelSpec& m, const Inputs& in, const LlamaCppParams& o, const LlamaCppWeights& mw,
                        int64_t capacity) {
  Inputs probe = in;
  probe.llamacpp.np = o.n_seq;
  auto fits_ctx = [&](int64_t c) {
    probe.llamacpp.ctx_size = c * o.n_seq;
    return gpus_fit(layout(m, probe, llamacpp_params(m, probe), mw), capacity);
  };
  int64_t lo = 0;
  int64_t hi = std::max<int64_t>(kCtxPad, o.n_ctx_seq) / kCtxPad;  // in units of 256 tokens
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits_ctx(mid * kCtxPad) ? lo : hi) = mid;
  }
  return lo * kCtxPad;
}

/// The lines llama.cpp prints at start-up (formats of src/llama-model-loader.cpp print_info, src/llama-model.cpp
/// load_tensors, src/llama-context.cpp, src/llama-kv-cache.cpp).
std::vector<std::string> startup_lines(const ModelSpec& m, const LlamaCppParams& o, const LlamaCppMemory& mem,
                                       const WeightFormat& f) {
  const int64_t n_layer = m.num_hidden_layers();
  std::vector<std::string> log;
  const LlamaFtypeInfo* ft = llama_ftype_info(f.gguf_ftype);
  char buf[256];
  log.push_back(std::string("print_info: file type   = ") + (ft ? ft->log_name : "unknown"));
  const double bpw = mem.parameters > 0 ? static_cast<double>(mem.weights_bytes) * 8.0 / static_cast<double>(mem.parameters) : 0;
  if (mem.weights_bytes < static_cast<int64_t>(kGiB)) {
    std::snprintf(buf, sizeof buf, "print_info: file size   = %.2f MiB (%.2f BPW)",
                  static_cast<double>(mem.weights_bytes) / static_cast<double>(kMiB), bpw);
  } else {
    std::snprintf(buf, sizeof buf, "print_info: file size   = %.2f GiB (%.2f BPW)", static_cast<double>(mem.weights_bytes) / kGiB,
                  bpw);
  }
  log.push_back(buf);
  const int64_t n_gpu = std::min(o.n_gpu_layers, n_layer);
  int64_t n_repeating = n_gpu;
  if (n_repeating > 0) {
    log.push_back("load_tensors: offloading output layer to GPU");
    --n_repeating;
  }
  log.push_back("load_tensors: offloading " + std::to_string(n_repeating) + " repeating layers to GPU");
  log.push_back("load_tensors: offloaded " + std::to_string(std::min(o.n_gpu_layers, n_layer + 1)) + "/" +
                std::to_string(n_layer + 1) + " layers to GPU");
  for (const LlamaCppDevice& g : mem.gpus) {
    if (g.model_bytes > 0) log.push_back("load_tensors: " + std::string(12 - std::min<size_t>(12, g.name.size()), ' ') + g.name +
                                         " model buffer size = " + mib(g.model_bytes) + " MiB");
  }
  log.push_back("load_tensors:   CPU_Mapped model buffer size = " + mib(mem.host.model_bytes) + " MiB");
  log.push_back("llama_context: n_seq_max             = " + std::to_string(o.n_seq));
  log.push_back("llama_context: n_ctx                 = " + std::to_string(o.n_ctx));
  log.push_back("llama_context: n_ctx_seq             = " + std::to_string(o.n_ctx_seq));
  log.push_back("llama_context: n_batch               = " + std::to_string(o.n_batch));
  log.push_back("llama_context: n_ubatch              = " + std::to_string(o.n_ubatch));
  log.push_back(std::string("llama_context: flash_attn            = ") + (o.flash_attn ? "enabled" : "disabled"));
  log.push_back(std::string("llama_context: kv_unified            = ") + (o.kv_unified ? "true" : "false"));
  const std::string host_buf = "CUDA_Host";
  log.push_back("llama_context:  " + host_buf + "  output buffer size = " + mib(mem.host.output_buffer_bytes) + " MiB");
  auto kv_lines = [&](const char* which, int64_t cells, int64_t layers, int64_t kb, int64_t vb) {
    if (layers == 0) return;
    if (mem.swa_layers > 0) {
      log.push_back(std::string("llama_kv_cache_iswa: creating ") + which + " KV cache, size = " +
                    std::to_string(cells / std::max<int64_t>(1, o.n_stream)) + " cells");
    }
    std::snprintf(buf, sizeof buf,
                  "llama_kv_cache: size = %7.2f MiB (%6lld cells, %3lld layers, %2lld/%lld seqs), K (%s): %7.2f MiB, V (%s): %7.2f MiB",
                  static_cast<double>(kb + vb) / static_cast<double>(kMiB),
                  static_cast<long long>(cells / std::max<int64_t>(1, o.n_stream)), static_cast<long long>(layers),
                  static_cast<long long>(o.n_seq), static_cast<long long>(o.n_stream), ggml_type_info(o.type_k).name,
                  static_cast<double>(kb) / static_cast<double>(kMiB), ggml_type_info(o.type_v).name,
                  static_cast<double>(vb) / static_cast<double>(kMiB));
    log.push_back(buf);
  };
  for (const LlamaCppDevice& g : mem.gpus) {
    if (g.kv_bytes() > 0) log.push_back("llama_kv_cache: " + std::string(10 - std::min<size_t>(10, g.name.size()), ' ') + g.name +
                                        " KV buffer size = " + mib(g.kv_bytes()) + " MiB");
  }
  if (mem.host.kv_bytes() > 0) log.push_back("llama_kv_cache:        CPU KV buffer size = " + mib(mem.host.kv_bytes()) + " MiB");
  kv_lines("non-SWA", mem.kv_cells_full, mem.full_layers, mem.kv_k_full, mem.kv_v_full);
  kv_lines("    SWA", mem.kv_cells_swa, mem.swa_layers, mem.kv_k_swa, mem.kv_v_swa);
  for (const LlamaCppDevice& g : mem.gpus) {
    if (g.compute_bytes > 0) log.push_back("llama_context: " + std::string(10 - std::min<size_t>(10, g.name.size()), ' ') + g.name +
                                           " compute buffer size = " + mib(g.compute_bytes) + " MiB");
  }
  log.push_back("llama_context:  " + host_buf + " compute buffer size = " + mib(mem.host.compute_bytes) + " MiB");
  return log;
}

/// The rules the numbers rest on, and warnings about running this model under llama.cpp.
void explain(const ModelSpec& m, const LlamaCppParams& o, const LlamaCppMemory& mem, EnginePlan& p) {
  const int64_t n_layer = m.num_hidden_layers();
  auto& a = p.assumptions;
  a.push_back("llama.cpp: -c " + std::to_string(o.requested_ctx) + " padded to " + std::to_string(o.n_ctx) +
              " cells (multiple of 256)" +
              (o.kv_unified ? ", one KV pool shared by the " + std::to_string(o.n_seq) + " slot(s)"
                            : ", split evenly: " + std::to_string(o.n_ctx_seq) + " per slot over " +
                                  std::to_string(o.n_seq) + " slot(s) (explicit -np: no unified KV)"));
  a.push_back("llama.cpp: KV cache " + std::string(ggml_type_info(o.type_k).name) + "/" + ggml_type_info(o.type_v).name +
              ", row_size(type, n_embd_k_gqa) x cells per layer" +
              (mem.swa_layers > 0 ? "; sliding-window layers keep " + std::to_string(mem.kv_cells_swa) + " cells" : ""));
  a.push_back("llama.cpp: token_embd stays on the CPU; -ngl " + std::to_string(o.n_gpu_layers) + " of " +
              std::to_string(n_layer + 1) + " layers (output layer first) on " + std::to_string(o.gpus) + " GPU(s)" +
              (o.gpus > 1 ? ", split by layer evenly" : ""));
  if (o.n_cpu_moe > 0) {
    a.push_back("llama.cpp: --n-cpu-moe " + std::to_string(o.n_cpu_moe) + ": the routed experts (ffn_*_exps) of " +
                (o.n_cpu_moe >= n_layer ? std::string("every layer") : "layers 0-" + std::to_string(o.n_cpu_moe - 1)) +
                " stay in host memory (" + std::to_string(mem.host_expert_bytes / kMiB) + " MiB); the rest of those layers runs on the GPU");
    if (mem.host_expert_bytes == 0) {
      p.warnings.push_back({"llamacpp_cpu_moe_no_effect",
                            "--n-cpu-moe moves nothing: the model has no routed experts on the GPU layers it names"});
    }
  }
  a.push_back("llama.cpp: compute buffer modelled as the reserved graph's peak at n_ubatch = " +
              std::to_string(o.n_ubatch) + " tokens (f32 activations, logits for every token of the micro-batch)");
  a.push_back("llama.cpp: no utilisation fraction or reserve: a GPU fits when model + KV + compute buffers + ~" +
              std::to_string(kLlamaCppGpuFootprint / kMiB) + " MiB of CUDA context fit in its memory");
  if (!llamacpp_uses_swa(m)) {
    for (const LayerSpec& l : m.layers) {
      if (l.attn.sliding_window > 0) {
        p.warnings.push_back({"llamacpp_no_swa", "llama.cpp runs this architecture (" + m.family +
                                                     ") without a sliding-window cache: every layer keeps the full "
                                                     "context"});
        break;
      }
    }
  }
  if (m.max_position_embeddings > 0 && o.n_ctx_seq > m.max_position_embeddings) {
    p.warnings.push_back({"llamacpp_ctx_beyond_train", "n_ctx_seq (" + std::to_string(o.n_ctx_seq) + ") > n_ctx_train (" +
                                                           std::to_string(m.max_position_embeddings) +
                                                           ") -- possible training context overflow"});
  }
}

/// --mmproj and --override-tensor: the projector's row, what the patterns moved, what the estimate does not place.
void explain_extras(const Inputs& in, const LlamaCppWeights& mw, const LlamaCppMemory& mem, EnginePlan& p) {
  if (in.llamacpp.mmproj_bytes > 0) {
    p.assumptions.push_back("llama.cpp: --mmproj: the projector's " + std::to_string(in.llamacpp.mmproj_bytes / kMiB) +
                            " MiB of weights on " + (mem.gpus.empty() ? std::string("the GPU") : mem.gpus[0].name) +
                            " (tools/mtmd/clip.cpp loads it on the GPU unless --no-mmproj-offload); the compute "
                            "buffer its image encoder reserves is not included");
  }
  if (in.request.override_tensor.empty()) return;
  int64_t moved = mem.host_override_bytes;
  for (size_t i = 0; i < mw.ot_cpu_experts.size(); ++i) moved += mw.ot_cpu_experts[i];
  p.assumptions.push_back("llama.cpp: -ot '" + in.request.override_tensor + "': " + std::to_string(mw.ot_matched) +
                          " tensor(s) match (std::regex_search on the full name, the first matching pattern "
                          "wins; src/llama-model.cpp); those sent to CPU stay in host memory (up to " +
                          std::to_string(moved / kMiB) + " MiB of the GPU layers')");
  if (mw.ot_matched == 0) {
    p.warnings.push_back({"llamacpp_override_tensor_no_match",
                          "--override-tensor matches no tensor of this model (names look like "
                          "blk.0.ffn_up_exps.weight, blk.0.attn_q.weight, output.weight)"});
  }
  if (!mw.ot_unmodelled.empty()) {
    std::string list;
    for (const std::string& s : mw.ot_unmodelled) list += (list.empty() ? "" : ", ") + s;
    p.warnings.push_back({"llamacpp_override_tensor_unmodelled",
                          "--override-tensor placements this estimate does not model (tensors stay where -ngl puts "
                          "them): " + list});
  }
}

}  // namespace

LlamaCppMemory llamacpp_memory(const ModelSpec& m, const Inputs& in, const LlamaCppParams& o) {
  const WeightFormat f = llamacpp_weight_format(in.weights, nullptr);
  const auto ot = overrides_of(in);
  return layout(m, in, o, model_weights(m, f, ot.get()));
}

std::shared_ptr<const LlamaCppWeights> llamacpp_weights(const ModelSpec& m, const WeightFormat& weights,
                                                        const TensorOverrides* overrides) {
  return std::make_shared<const LlamaCppWeights>(
      model_weights(m, llamacpp_weight_format(weights, nullptr), overrides));
}

namespace engine_util {

const LlamaCppWeights& RankWeightsCache::llamacpp(const Inputs& in) {
  // One cache serves one request: its -ot patterns are the same for every evaluation.
  if (!llamacpp_) llamacpp_ = llamacpp_weights(m_, f_, overrides_of(in).get());
  return *llamacpp_;
}

Layout llamacpp_run_layout(const Layout& requested, int64_t layers) {
  // llama.cpp splits layers over every GPU (--split-mode layer): pipeline-style, one stage per GPU.
  return Layout{1, std::min(requested.gpus(), std::max<int64_t>(1, layers)), 1};
}

Capacity llamacpp_capacity(const ModelSpec& m, const Inputs& in, const Layout& l, RankWeightsCache& cache, double,
                           int64_t batch, int64_t context) {
  // No fast path: the whole plan per layout, with the model's weights computed once per search.
  Inputs x = with_workload(in, batch, context);
  x.layout = l;
  const EnginePlan p = llamacpp_plan(m, x, cache);
  Capacity c;
  c.starts = p.failure.empty() && !p.per_gpu.empty();
  c.max_concurrency = p.max_concurrency;
  c.headroom_bytes = p.margin_bytes;
  return c;
}

std::string llamacpp_launch_command(const ModelSpec& m, const Inputs& in) {
  const LlamaFtypeInfo* ft = llama_ftype_info(llamacpp_weight_format(in.weights, nullptr).gguf_ftype);
  const LlamaCppParams o = llamacpp_params(m, in);
  const int64_t n_layer = m.num_hidden_layers();
  const std::string& model = in.model_id;
  std::string cmd = "llama-server";
  const std::string quant = ft ? ft->name : "";
  if (in.gguf_file) {
    cmd += " -m " + (model.empty() ? std::string("model") : model.substr(model.find_last_of('/') + 1)) + ".gguf";
  } else if (model.size() > 5 && lower(model.substr(model.size() - 5)) == "-gguf") {
    cmd += " -hf " + model + (quant.empty() ? "" : ":" + quant);
  } else {
    std::string base = model.empty() ? std::string("model") : model.substr(model.find_last_of('/') + 1);
    cmd += " -m " + base + (quant.empty() ? "" : "-" + quant) + ".gguf";
  }
  cmd += " -c " + std::to_string(o.requested_ctx) + " -np " + std::to_string(o.n_seq);
  cmd += " -ngl " + (o.n_gpu_layers >= n_layer + 1 ? std::string("all") : std::to_string(o.n_gpu_layers));
  if (!in.request.override_tensor.empty()) cmd += " -ot " + shell_quote(in.request.override_tensor);
  if (o.n_cpu_moe >= n_layer) cmd += " --cpu-moe";
  else if (o.n_cpu_moe > 0) cmd += " --n-cpu-moe " + std::to_string(o.n_cpu_moe);
  if (o.type_k != GgmlType::kF16) cmd += std::string(" -ctk ") + ggml_type_info(o.type_k).name;
  if (o.type_v != GgmlType::kF16) cmd += std::string(" -ctv ") + ggml_type_info(o.type_v).name;
  cmd += o.flash_attn ? " -fa on" : " -fa off";
  if (o.n_ubatch != 512 && in.llamacpp.n_ubatch_given) cmd += " -ub " + std::to_string(o.n_ubatch);
  if (in.llamacpp.n_batch_given) cmd += " -b " + std::to_string(in.llamacpp.n_batch);
  if (o.swa_full) cmd += " --swa-full";
  if (o.kv_unified) cmd += " -kvu";
  if (o.gpus > 1) cmd += " --split-mode layer";
  if (in.llamacpp.mmproj_bytes > 0) cmd += " --mmproj mmproj.gguf";
  return cmd;
}

EnginePlan llamacpp_plan(const ModelSpec& m, const Inputs& in, RankWeightsCache& cache) {
  EnginePlan p;
  // One release's rules (no version table yet): llama-server of the 2025 releases whose -fa defaults to auto and
  // that size the compute buffer in sched_reserve (header comment).
  p.engine_rules = "llama.cpp 2025 releases (llama-server with -fa auto by default; sched_reserve compute buffers)";
  std::string note;
  const WeightFormat f = llamacpp_weight_format(in.weights, &note);
  if (!note.empty()) p.warnings.push_back({"llamacpp_gguf_only", note});
  // Searches (solves, context curves) evaluate many plans of one model: the cache computes the weights once.
  const LlamaCppWeights& mw = cache.llamacpp(in);
  const LlamaCppParams o = llamacpp_params(m, in);
  const LlamaCppMemory mem = layout(m, in, o, mw);
  const int64_t capacity = in.gpu.memory_bytes();

  // ---- failures llama.cpp raises itself ----
  if (ggml_type_info(o.type_v).quantized && !o.flash_attn) {
    // src/llama-context.cpp llama_init_from_model: a quantised V cache needs flash attention.
    p.failure = "llama_init_from_model: V cache quantization requires flash_attn";
  }

  gpu_records(m, o, mem, capacity, p);
  p.fits = p.failure.empty() && gpus_fit(mem, capacity);
  p.kv_cache_tokens = mem.kv_cells_full > 0 ? mem.kv_cells_full : mem.kv_cells_swa;
  p.system_ram_bytes = mem.host.total_bytes();
  p.host.layer_weight_bytes = mem.host_layer_bytes + mem.host_override_bytes;
  p.host.expert_weight_bytes = mem.host_expert_bytes;
  p.host.kv_bytes = mem.host_kv_bytes;
  p.host.ubatch_tokens = o.n_ubatch;
  p.host.op_offload = o.op_offload;
  const int64_t slots = most_slots(m, in, mw, capacity);
  p.max_concurrency = p.failure.empty() ? static_cast<double>(slots) : 0.0;
  for (GpuMemory& g : p.per_gpu) g.max_concurrency = slots;
  // When it does not fit: the longest context per slot that would.
  if (!p.fits && p.failure.empty()) p.max_model_len_that_fits = longest_context(m, in, o, mw, capacity);
  p.startup_log = startup_lines(m, o, mem, f);
  if (!p.failure.empty()) p.startup_log.push_back(p.failure);
  explain(m, o, mem, p);
  explain_extras(in, mw, mem, p);
  if (p.margin_bytes == std::numeric_limits<int64_t>::max()) p.margin_bytes = 0;
  return p;
}

}  // namespace engine_util

}  // namespace llmsizer
