// Numeric formats: plain dtypes, quantised weight layouts and KV-cache dtypes.
//
// Widths are carried in bits (doubles) and divided by 8 only when bytes are computed, so 4-bit formats
// never round to zero (the `BYTES_INT4 = 4 // 8` trap of llm-analysis).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmsizer/result.h"

namespace llmsizer {

/// Plain element types (activations, unquantised weights, KV cache).
enum class Dtype { kFp32, kFp16, kBf16, kFp8, kInt8, kInt4 };

/// Bits per element of a plain dtype.
double dtype_bits(Dtype d);
/// "fp32", "fp16", "bf16", "fp8", "int8", "int4".
const char* dtype_name(Dtype d);
/// Parses a dtype name, accepting the torch spellings too ("bfloat16", "float16", "half", "float32", "float").
Result<Dtype> parse_dtype(const std::string& s);

/// How the quantised weights are stored. kNone means every weight is in `dtype`.
enum class QuantMethod {
  kNone,       ///< plain fp32 / fp16 / bf16
  kFp8,        ///< 8-bit float weights + fp32 scales (per tensor, per channel or per block)
  kInt8,       ///< 8-bit integer weights + fp32 per-output-channel scales (W8A8, LLM.int8())
  kGptq,       ///< GPTQ: packed b-bit ints + fp16 scales and b-bit zeros per group + int32 g_idx per input
  kAwq,        ///< AWQ: packed b-bit ints + fp16 scales and b-bit zeros per group, no g_idx
  kBnb4,       ///< bitsandbytes NF4/FP4: 4-bit + absmax per 64 weights (optionally double-quantised)
  kMxfp4,      ///< OCP MX FP4 (gpt-oss): 4-bit e2m1 + one 8-bit e8m0 scale per 32 weights
  kIntGroup,   ///< a generic b-bit group-wise integer format (compressed-tensors "pack-quantized")
  kGguf,       ///< a llama.cpp GGUF file type (Q4_K_M, Q8_0, IQ4_XS, F16, ...): every tensor gets its ggml type (gguf.h)
};

const char* quant_method_name(QuantMethod m);

/// Where the scales of an fp8/int8 format live.
enum class ScaleGranularity { kTensor, kChannel, kBlock, kGroup };

/// A weight storage format: what one quantisable matrix costs in memory.
struct WeightFormat {
  QuantMethod method = QuantMethod::kNone;
  Dtype dtype = Dtype::kBf16;         ///< plain dtype (kNone) / dtype of unquantised tensors and compute
  double bits = 16;                   ///< storage bits per quantised weight
  int64_t group_size = 128;           ///< weights per scale along the input dimension (kGptq/kAwq/kIntGroup)
  ScaleGranularity scales = ScaleGranularity::kTensor;  ///< fp8/int8 scale placement
  int64_t block_rows = 128;           ///< fp8 block scales: block height (DeepSeek-V3 weight_block_size)
  int64_t block_cols = 128;           ///< fp8 block scales: block width
  bool zero_points = true;            ///< asymmetric (GPTQ sym=false, AWQ zero_point) → stores zeros
  bool g_idx = false;                 ///< GPTQ act-order index per input column (int32)
  bool double_quant = false;          ///< bitsandbytes nested quantisation of the absmax values
  bool experts_only = false;          ///< only routed experts are quantised (gpt-oss MXFP4)
  std::string label;                  ///< what the user sees ("bf16", "GPTQ int4 g128", "fp8 block 128x128")
  // GGUF (method kGguf): the llama.cpp file type and, for a parsed .gguf, its exact tensor bytes (gguf.h).
  int gguf_ftype = -1;                      ///< llama_ftype id (llama.cpp include/llama.h), e.g. 15 = Q4_K_M
  std::vector<int64_t> gguf_layer_bytes;    ///< exact bytes per blk.N from a GGUF tensor table (empty = derive)
  int64_t gguf_input_bytes = 0;             ///< exact: token_embd (+ position / token-type embeddings)
  int64_t gguf_output_bytes = 0;            ///< exact: output_norm, output and every other tensor outside blk.N
  int64_t gguf_parameters = 0;              ///< exact element count of the file's tensors
};

/// Bytes of one rows x cols weight matrix stored in `f` (quantised matrices only; see
/// plain_tensor_bytes for embeddings, norms and biases).
double quantized_matrix_bytes(const WeightFormat& f, int64_t rows, int64_t cols);

/// Bytes of n elements of a plain dtype.
inline double plain_bytes(Dtype d, double n) { return n * dtype_bits(d) / 8.0; }

/// The formats behind the CLI's --dtype names when no quantization_config says more:
/// fp32/fp16/bf16 plain; fp8 = per-tensor scales (vLLM online --quantization fp8);
/// int8 = per-channel W8A8; int4 = 4-bit, group 128, fp16 scales + 4-bit zeros (AWQ / GPTQ layout).
Result<WeightFormat> weight_format_from_name(const std::string& name, Dtype unquantized_dtype);

/// KV-cache element formats (fp16, bf16, fp8, int8, int4).
Result<Dtype> parse_kv_dtype(const std::string& s);

}  // namespace llmsizer
