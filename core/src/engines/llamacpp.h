// The llama.cpp engine (llama-server): how it lays out weights, KV cache and compute buffers.
//
// Rules from llama.cpp's source (snapshot of 2026-09-28, see gguf.h), each cited where it is used:
//   src/llama-context.cpp      n_ctx padded to 256; n_ctx_seq = n_ctx / n_seq (non-unified KV);
//                              n_batch = min(n_ctx, -b); n_ubatch = min(n_batch, -ub); output buffer;
//                              worst-case graph reserved at n_ubatch tokens with n_ubatch outputs
//   src/llama-kv-cache.cpp     K = row_size(type_k, n_embd_k_gqa) x kv_size x n_stream per layer, V alike
//                              (no V tensor for MLA); KV of a layer lives on that layer's device
//   src/llama-kv-cache-iswa.cpp  SWA layers keep PAD(min(n_ctx_seq, n_swa x (unified ? n_seq : 1) +
//                              n_ubatch), 256) cells unless --swa-full
//   src/llama-model.cpp        -ngl: the output layer is offloaded first, then the last repeating layers;
//                              token_embd always stays on the CPU; layers split over GPUs by free memory
//   common/common.h, common/arg.cpp, tools/server/server.cpp   defaults (-b 2048, -ub 512, f16 KV,
//                              flash attention auto, explicit -np => one KV stream per slot)
// The compute buffer (ggml-alloc's peak of the reserved graph) is a model, documented in llamacpp.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engines/engines.h"
#include "gguf/gguf.h"
#include "model/inputs.h"

namespace llmsizer {

struct TensorOverrides;  // engines/tensor_override.h (--override-tensor)

/// The context parameters llama.cpp derives from llama-server's options (in.llamacpp, LlamaCppOptions) for a
/// model, a batch and a context (src/llama-context.cpp cparams).
struct LlamaCppParams {
  int64_t requested_ctx = 0;  ///< -c as given (before padding)
  int64_t n_ctx = 0;          ///< after llama.cpp's padding: cells of the full-attention cache, all slots
  int64_t n_ctx_seq = 0;      ///< cells one slot (sequence) may use
  int64_t n_seq = 1;          ///< -np slots
  int64_t n_stream = 1;       ///< KV streams: 1 with a unified cache, else one per slot
  int64_t n_gpu_layers = 0;   ///< -ngl resolved to 0..n_layer + 1 (the output layer counts as one)
  int64_t n_cpu_moe = 0;      ///< --n-cpu-moe resolved to 0..n_layer (layers whose routed experts stay on the CPU)
  int64_t n_batch = 2048;     ///< -b after min(n_ctx, ...)
  int64_t n_ubatch = 512;     ///< -ub after min(n_batch, ...)
  GgmlType type_k = GgmlType::kF16;
  GgmlType type_v = GgmlType::kF16;
  bool flash_attn = true;
  bool swa_full = false;
  bool kv_unified = false;
  bool op_offload = true;     ///< ggml offloads big-batch ops on CPU weights to the GPU (default on)
  int64_t gpus = 1;           ///< devices the layers are split over (--split-mode layer)
};

/// The parameters for the model and inputs (np = in.batch unless set; -c = np x context unless set).
LlamaCppParams llamacpp_params(const ModelSpec& m, const Inputs& in);

/// The GGUF format llama.cpp would run for the inputs' weights (kGguf as is; plain dtypes as the F32/F16/
/// BF16 file types; other quantisations as the nearest GGUF type, with a note).
WeightFormat llamacpp_weight_format(const WeightFormat& w, std::string* note);

/// Whether llama.cpp keeps a sliding-window cache for this model's SWA layers (gemma2, gemma3, gpt-oss;
/// it ignores the windows of Mistral / Qwen2 / Starcoder2 and disables Phi-3's, src/models/phi3.cpp).
bool llamacpp_uses_swa(const ModelSpec& m);

/// One device's buffers as llama.cpp allocates them.
struct LlamaCppDevice {
  std::string name;              ///< "CUDA0", "CPU"
  bool gpu = true;
  int64_t first_layer = 0;       ///< repeating layers [first_layer, end_layer) on this device
  int64_t end_layer = 0;
  bool output_layer = false;     ///< holds the output layer (output_norm + output)
  bool input_layer = false;      ///< holds token_embd (always the CPU)
  int64_t model_bytes = 0;       ///< "model buffer size"
  int64_t parameters = 0;
  int64_t kv_k_bytes = 0;        ///< "KV buffer size" = K + V
  int64_t kv_v_bytes = 0;
  int64_t compute_bytes = 0;     ///< "compute buffer size"
  int64_t output_buffer_bytes = 0;  ///< host: the logits buffer ("output buffer size")
  int64_t overhead_bytes = 0;    ///< per-GPU runtime footprint (CUDA context), not in llama.cpp's logs
  int64_t mmproj_bytes = 0;      ///< --mmproj: the projector's weights (the main GPU; tools/mtmd/clip.cpp)
  int64_t kv_bytes() const { return kv_k_bytes + kv_v_bytes; }
  int64_t total_bytes() const {
    return model_bytes + kv_bytes() + compute_bytes + output_buffer_bytes + overhead_bytes + mmproj_bytes;
  }
};

/// The whole layout: GPUs (one entry per device, in split order) and the host.
struct LlamaCppMemory {
  LlamaCppParams opt;
  std::vector<LlamaCppDevice> gpus;
  LlamaCppDevice host;
  int64_t kv_cells_full = 0;   ///< cells of the full-attention cache (all streams)
  int64_t kv_cells_swa = 0;    ///< cells of the sliding-window cache (all streams; 0 = none)
  int64_t full_layers = 0;
  int64_t swa_layers = 0;
  int64_t kv_k_full = 0, kv_v_full = 0, kv_k_swa = 0, kv_v_swa = 0;  ///< bytes by cache, all devices
  int64_t weights_bytes = 0;   ///< every tensor once (the file)
  int64_t host_expert_bytes = 0;   ///< routed-expert weights kept on the CPU (--n-cpu-moe) of layers on a GPU
  int64_t host_layer_bytes = 0;    ///< weights of whole layers (and the output layer) left on the CPU (-ngl)
  int64_t host_override_bytes = 0; ///< other tensors of GPU layers --override-tensor sends to the CPU (read in full)
  int64_t host_kv_bytes = 0;       ///< KV cache of the layers left on the CPU
  int64_t parameters = 0;
};

/// Bytes of one layer's K (or V) cache: row_size(type, n_embd_gqa) x cells (ggml_new_tensor_3d).
int64_t llamacpp_kv_tensor_bytes(GgmlType type, int64_t n_embd_gqa, int64_t cells);

/// The layout for explicit parameters.
LlamaCppMemory llamacpp_memory(const ModelSpec& m, const Inputs& in, const LlamaCppParams& o);

/// The weights llama.cpp loads for a model and precision, by layer (computing them walks every tensor with
/// llama-quantize's rules: searches compute them once, in engine_util::RankWeightsCache::llamacpp(in)).
struct LlamaCppWeights;
std::shared_ptr<const LlamaCppWeights> llamacpp_weights(const ModelSpec& m, const WeightFormat& weights,
                                                        const TensorOverrides* overrides);

// The engine profile (llama-server's memory plan, start-up lines and launch command) is the llama.cpp row of
// engines/table.cpp: engine_util::llamacpp_plan and its neighbours (util.h).

}  // namespace llmsizer
