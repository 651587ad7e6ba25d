// Dtypes and quantised weight layouts: bytes of a matrix in each storage format.
#include "model/precision.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "gguf/quantize.h"

namespace llmsizer {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

double dtype_bits(Dtype d) {
  switch (d) {
    case Dtype::kFp32: return 32;
    case Dtype::kFp16: return 16;
    case Dtype::kBf16: return 16;
    case Dtype::kFp8: return 8;
    case Dtype::kInt8: return 8;
    case Dtype::kInt4: return 4;
  }
  return 16;
}

const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::kFp32: return "fp32";
    case Dtype::kFp16: return "fp16";
    case Dtype::kBf16: return "bf16";
    case Dtype::kFp8: return "fp8";
    case Dtype::kInt8: return "int8";
    case Dtype::kInt4: return "int4";
  }
  return "bf16";
}

Result<Dtype> parse_dtype(const std::string& raw) {
  const std::string s = lower(raw);
  if (s == "fp32" || s == "float32" || s == "float" || s == "f32") return Dtype::kFp32;
  if (s == "fp16" || s == "float16" || s == "half" || s == "f16") return Dtype::kFp16;
  if (s == "bf16" || s == "bfloat16") return Dtype::kBf16;
  if (s == "fp8" || s == "float8" || s == "fp8_e4m3" || s == "fp8_e5m2" || s == "float8_e4m3fn") return Dtype::kFp8;
  if (s == "int8") return Dtype::kInt8;
  if (s == "int4") return Dtype::kInt4;
  return make_error(ErrorCode::kInvalidValue,
                    "unknown dtype '" + raw + "': use fp32, fp16, bf16, fp8, int8 or int4");
}

Result<Dtype> parse_kv_dtype(const std::string& raw) {
  const std::string s = lower(raw);
  if (s == "fp32" || s == "float32") {
    return Dtype::kFp32;
  }
  auto d = parse_dtype(s);
  if (!d.ok()) {
    return make_error(ErrorCode::kInvalidValue,
                      "unknown KV-cache dtype '" + raw + "': use auto, fp16, bf16, fp8, int8 or int4");
  }
  return d;
}

const char* quant_method_name(QuantMethod m) {
  switch (m) {
    case QuantMethod::kNone: return "none";
    case QuantMethod::kFp8: return "fp8";
    case QuantMethod::kInt8: return "int8";
    case QuantMethod::kGptq: return "gptq";
    case QuantMethod::kAwq: return "awq";
    case QuantMethod::kBnb4: return "bitsandbytes-4bit";
    case QuantMethod::kMxfp4: return "mxfp4";
    case QuantMethod::kIntGroup: return "int-group";
    case QuantMethod::kGguf: return "gguf";
  }
  return "none";
}

double quantized_matrix_bytes(const WeightFormat& f, int64_t rows, int64_t cols) {
  const double n = static_cast<double>(rows) * static_cast<double>(cols);
  switch (f.method) {
    case QuantMethod::kNone:
      return plain_bytes(f.dtype, n);
    case QuantMethod::kFp8:
    case QuantMethod::kInt8: {
      // 1 byte per weight + fp32 scales. Per tensor: one scale (vLLM Fp8LinearMethod keeps one per
      // fused shard, negligible). Per channel: one per output row (compressed-tensors "channel",
      // bitsandbytes LLM.int8() SCB). Per block: one per block_rows x block_cols tile (DeepSeek-V3
      // weight_block_size [128, 128]: weight_scale_inv, fp32).
      const double w = n * f.bits / 8.0;
      switch (f.scales) {
        case ScaleGranularity::kTensor: return w + 4.0;
        case ScaleGranularity::kChannel: return w + 4.0 * static_cast<double>(rows);
        case ScaleGranularity::kBlock:
          return w + 4.0 * static_cast<double>(ceil_div(rows, f.block_rows)) *
                         static_cast<double>(ceil_div(cols, f.block_cols));
        case ScaleGranularity::kGroup:
          return w + 2.0 * static_cast<double>(rows) *
                         static_cast<double>(ceil_div(cols, std::max<int64_t>(1, f.group_size)));
      }
      return w;
    }
    case QuantMethod::kGptq:
    case QuantMethod::kAwq:
    case QuantMethod::kIntGroup: {
      // Packed b-bit weights; per group of `group_size` inputs and per output row one fp16 scale and
      // (asymmetric) one b-bit zero point; GPTQ with act-order adds an int32 g_idx per input column.
      // Layouts: AutoGPTQ qweight/qzeros/scales/g_idx, AutoAWQ qweight/qzeros/scales
      // (https://github.com/AutoGPTQ/AutoGPTQ/blob/main/auto_gptq/nn_modules/qlinear/qlinear_cuda.py,
      //  https://github.com/casper-hansen/AutoAWQ/blob/main/awq/modules/linear/gemm.py).
      const int64_t groups = f.group_size > 0 ? ceil_div(cols, f.group_size) : 1;
      double bytes = n * f.bits / 8.0;
      bytes += static_cast<double>(groups) * static_cast<double>(rows) * 2.0;  // fp16 scales
      if (f.zero_points) bytes += static_cast<double>(groups) * static_cast<double>(rows) * f.bits / 8.0;
      if (f.g_idx) bytes += 4.0 * static_cast<double>(cols);
      return bytes;
    }
    case QuantMethod::kBnb4: {
      // bitsandbytes Params4bit: 4-bit codes + one absmax per 64 weights. Plain: absmax fp32.
      // Double quantisation (QLoRA, arXiv:2305.14314 §3): absmax as 8-bit + one fp32 per 256
      // absmax values: 4 + 8/64 + 32/(64*256) = 4.127 bits per weight.
      const double blocks = std::ceil(n / 64.0);
      double bytes = n * 0.5;
      if (f.double_quant) {
        bytes += blocks * 1.0 + std::ceil(blocks / 256.0) * 4.0;
      } else {
        bytes += blocks * 4.0;
      }
      return bytes;
    }
    case QuantMethod::kGguf: {
      // A matrix in the file type's default ggml type (gguf.h: per-tensor types need the tensor's name
      // and layer, which rank_weights passes to gguf_rank_weights instead).
      const LlamaFtypeInfo* info = llama_ftype_info(f.gguf_ftype);
      if (!info) return n * f.bits / 8.0;
      return static_cast<double>(ggml_row_size(info->default_type, cols)) * static_cast<double>(rows);
    }
    case QuantMethod::kMxfp4:
      // OCP Microscaling MXFP4: e2m1 4-bit elements, one e8m0 (8-bit) scale per 32 elements:
      // 4.25 bits per weight (OCP MX spec v1.0 §5; gpt-oss model card).
      return n * 0.5 + std::ceil(n / 32.0);
  }
  return n * 2.0;
}

Result<WeightFormat> weight_format_from_name(const std::string& raw, Dtype unquantized) {
  const std::string s = lower(raw);
  WeightFormat f;
  // Unquantised tensors of a quantised model stay in 16-bit (fp32 checkpoints serve in bf16).
  const Dtype half = unquantized == Dtype::kFp32 ? Dtype::kBf16 : unquantized;
  if (s == "fp32" || s == "fp16" || s == "bf16" || s == "float32" || s == "float16" || s == "bfloat16") {
    auto d = parse_dtype(s);
    f.method = QuantMethod::kNone;
    f.dtype = d.value();
    f.bits = dtype_bits(f.dtype);
    f.label = dtype_name(f.dtype);
    return f;
  }
  if (s == "fp8") {
    f.method = QuantMethod::kFp8;
    f.dtype = half;
    f.bits = 8;
    f.scales = ScaleGranularity::kTensor;
    f.label = "fp8 (per-tensor scales)";
    return f;
  }
  if (s == "int8") {
    f.method = QuantMethod::kInt8;
    f.dtype = half;
    f.bits = 8;
    f.scales = ScaleGranularity::kChannel;
    f.label = "int8 (per-channel scales)";
    return f;
  }
  if (s == "int4") {
    f.method = QuantMethod::kAwq;
    f.dtype = Dtype::kFp16;
    f.bits = 4;
    f.group_size = 128;
    f.zero_points = true;
    f.label = "int4 (group 128, fp16 scales + 4-bit zeros)";
    return f;
  }
  if (s == "nf4") {
    f.method = QuantMethod::kBnb4;
    f.dtype = half;
    f.bits = 4;
    f.double_quant = true;
    f.label = "NF4 (bitsandbytes, double quantisation)";
    return f;
  }
  // llama.cpp GGUF file types (Q4_K_M, Q8_0, IQ4_XS, F16, ...): gguf.h.
  if (llama_ftype_by_name(raw)) return gguf_weight_format(raw);
  return make_error(ErrorCode::kInvalidValue,
                    "unknown weight precision '" + raw +
                        "': use auto, fp32, fp16, bf16, fp8, int8, int4, nf4 or a GGUF file type (Q4_K_M, Q8_0, "
                        "Q6_K, IQ4_XS, F16, ...)");
}

}  // namespace llmsizer
