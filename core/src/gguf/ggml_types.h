// ggml's tensor types: block sizes and bytes per block, so bits per weight and row sizes are exact
// (Q4_0 = 18 B per 32 weights = 4.5 bits, Q4_K = 144 B per 256 = 4.5, Q6_K = 210 B per 256 = 6.5625).
//
// Source snapshot for every rule and constant: llama.cpp (ggml-org/llama.cpp) as of 2026-09-28, the copy
// bundled in node-llama-cpp 3.22.1 (llama/gitRelease.bundle, release tag v0.5.0). File paths are cited
// relative to that tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmsizer {

// ------------------------------------------------------------------------------------------------
// ggml tensor types (ggml/include/ggml.h enum ggml_type; sizes from ggml/src/ggml.c type_traits and
// ggml/src/ggml-common.h block structs). The values are the ids stored in GGUF tensor infos.
// ------------------------------------------------------------------------------------------------

enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19, kIQ4_NL = 20, kIQ3_S = 21, kIQ2_S = 22, kIQ4_XS = 23,
  kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kIQ1_M = 29, kBF16 = 30,
  kTQ1_0 = 34, kTQ2_0 = 35, kMXFP4 = 39, kNVFP4 = 40, kQ1_0 = 41, kQ2_0 = 42,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;      ///< ggml_type_name: "f32", "q4_K", "iq2_xxs", ...
  int64_t block_size;    ///< elements per block (ggml_blck_size)
  int64_t type_size;     ///< bytes per block (ggml_type_size)
  bool quantized;
};

/// Every tensor type ggml defines (removed ids 4, 5, 31-33, 36-38 are absent).
const std::vector<GgmlTypeInfo>& ggml_types();
/// The type with this GGUF id, or nullptr (unknown or removed).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
const GgmlTypeInfo& ggml_type_info(GgmlType t);
/// A type by ggml name, case-insensitive ("q8_0", "Q4_K", "f16", "bf16").
const GgmlTypeInfo* ggml_type_by_name(const std::string& name);
/// type_size x 8 / block_size: Q8_0 8.5, Q4_K 4.5, Q6_K 6.5625, IQ4_XS 4.25, MXFP4 4.25.
double ggml_bits_per_weight(GgmlType t);
/// ggml_row_size: bytes of n elements of one row, type_size x n / block_size. A partial block (n not a
/// multiple of the block size, which ggml forbids in real tensors) counts as a whole block.
int64_t ggml_row_size(GgmlType t, int64_t n);

}  // namespace llmsizer
