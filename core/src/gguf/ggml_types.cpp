// ggml tensor types (ggml_types.h).
//
// Sources (llama.cpp snapshot of 2026-09-28, as bundled in node-llama-cpp 3.22.1; see ggml_types.h):
//   ggml/include/ggml.h            enum ggml_type (the GGUF ids)
//   ggml/src/ggml.c                type_traits[]: blck_size, type_size (sizeof of the block structs)
//   ggml/src/ggml-common.h         block structs (block_q4_K = 2 x fp16 + 12 scale bytes + 128 = 144 B, ...)
#include "gguf/ggml_types.h"

#include <algorithm>
#include <cctype>

namespace llmsizer {

const std::vector<GgmlTypeInfo>& ggml_types() {
  // {type, name, block size, bytes per block, quantized}; sizes are sizeof(block_*) in ggml-common.h
  // (checked by compiling ggml-common.h: e.g. block_iq1_m = 56 B, block_tq1_0 = 54 B, block_q2_0 = 18 B / 64).
  static const std::vector<GgmlTypeInfo> kTypes = {
      {GgmlType::kF32, "f32", 1, 4, false},
      {GgmlType::kF16, "f16", 1, 2, false},
      {GgmlType::kQ4_0, "q4_0", 32, 18, true},        // fp16 d + 16 B of nibbles
      {GgmlType::kQ4_1, "q4_1", 32, 20, true},        // fp16 d, m + 16 B
      {GgmlType::kQ5_0, "q5_0", 32, 22, true},        // fp16 d + 4 B high bits + 16 B
      {GgmlType::kQ5_1, "q5_1", 32, 24, true},
      {GgmlType::kQ8_0, "q8_0", 32, 34, true},        // fp16 d + 32 int8
      {GgmlType::kQ8_1, "q8_1", 32, 36, true},
      {GgmlType::kQ2_K, "q2_K", 256, 84, true},
      {GgmlType::kQ3_K, "q3_K", 256, 110, true},
      {GgmlType::kQ4_K, "q4_K", 256, 144, true},
      {GgmlType::kQ5_K, "q5_K", 256, 176, true},
      {GgmlType::kQ6_K, "q6_K", 256, 210, true},
      {GgmlType::kQ8_K, "q8_K", 256, 292, true},
      {GgmlType::kIQ2_XXS, "iq2_xxs", 256, 66, true},
      {GgmlType::kIQ2_XS, "iq2_xs", 256, 74, true},
      {GgmlType::kIQ3_XXS, "iq3_xxs", 256, 98, true},
      {GgmlType::kIQ1_S, "iq1_s", 256, 50, true},
      {GgmlType::kIQ4_NL, "iq4_nl", 32, 18, true},
      {GgmlType::kIQ3_S, "iq3_s", 256, 110, true},
      {GgmlType::kIQ2_S, "iq2_s", 256, 82, true},
      {GgmlType::kIQ4_XS, "iq4_xs", 256, 136, true},
      {GgmlType::kI8, "i8", 1, 1, false},
      {GgmlType::kI16, "i16", 1, 2, false},
      {GgmlType::kI32, "i32", 1, 4, false},
      {GgmlType::kI64, "i64", 1, 8, false},
      {GgmlType::kF64, "f64", 1, 8, false},
      {GgmlType::kIQ1_M, "iq1_m", 256, 56, true},
      {GgmlType::kBF16, "bf16", 1, 2, false},
      {GgmlType::kTQ1_0, "tq1_0", 256, 54, true},
      {GgmlType::kTQ2_0, "tq2_0", 256, 66, true},
      {GgmlType::kMXFP4, "mxfp4", 32, 17, true},      // e8m0 scale + 16 B of e2m1 pairs
      {GgmlType::kNVFP4, "nvfp4", 64, 36, true},
      {GgmlType::kQ1_0, "q1_0", 128, 18, true},
      {GgmlType::kQ2_0, "q2_0", 64, 18, true},
  };
  return kTypes;
}

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const GgmlTypeInfo& t : ggml_types()) {
    if (static_cast<uint32_t>(t.type) == id) return &t;
  }
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType t) {
  const GgmlTypeInfo* i = ggml_type_info(static_cast<uint32_t>(t));
  return i ? *i : ggml_types().front();
}


namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}


}  // namespace

const GgmlTypeInfo* ggml_type_by_name(const std::string& name) {
  const std::string n = lower(name);
  for (const GgmlTypeInfo& t : ggml_types()) {
    if (lower(t.name) == n) return &t;
  }
  return nullptr;
}

double ggml_bits_per_weight(GgmlType t) {
  const GgmlTypeInfo& i = ggml_type_info(t);
  return static_cast<double>(i.type_size) * 8.0 / static_cast<double>(i.block_size);
}

int64_t ggml_row_size(GgmlType t, int64_t n) {
  const GgmlTypeInfo& i = ggml_type_info(t);
  return i.type_size * ((n + i.block_size - 1) / i.block_size);
}

}  // namespace llmsizer
