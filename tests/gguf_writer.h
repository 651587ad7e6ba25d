// A tiny GGUF writer for tests: header, metadata and tensor infos (no tensor data), per the GGUF spec
// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md). Knobs let tests write hostile files
// (wrong counts, huge lengths) that a real writer never would.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf.h"

namespace llmsizer::test {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3) : version_(version) {}

  // ---- metadata ----
  GgufWriter& u32(const std::string& key, uint32_t v) { return scalar(key, GgufValueType::kUint32, v, 4); }
  GgufWriter& i32(const std::string& key, int32_t v) {
    return scalar(key, GgufValueType::kInt32, static_cast<uint32_t>(v), 4);
  }
  GgufWriter& u64(const std::string& key, uint64_t v) { return scalar(key, GgufValueType::kUint64, v, 8); }
  GgufWriter& f32(const std::string& key, float v) {
    uint32_t bits = 0;
    static_assert(sizeof bits == sizeof v, "float is 32-bit");
    std::memcpy(&bits, &v, 4);
    return scalar(key, GgufValueType::kFloat32, bits, 4);
  }
  GgufWriter& boolean(const std::string& key, bool v) { return scalar(key, GgufValueType::kBool, v ? 1 : 0, 1); }
  GgufWriter& str(const std::string& key, const std::string& v) {
    begin_kv(key, GgufValueType::kString);
    put_string(kv_, v);
    return *this;
  }
  GgufWriter& arr_u32(const std::string& key, const std::vector<uint32_t>& v) {
    begin_kv(key, GgufValueType::kArray);
    put(kv_, static_cast<uint32_t>(GgufValueType::kUint32), 4);
    put(kv_, v.size(), 8);
    for (uint32_t x : v) put(kv_, x, 4);
    return *this;
  }
  GgufWriter& arr_bool(const std::string& key, const std::vector<bool>& v) {
    begin_kv(key, GgufValueType::kArray);
    put(kv_, static_cast<uint32_t>(GgufValueType::kBool), 4);
    put(kv_, v.size(), 8);
    for (bool x : v) put(kv_, x ? 1 : 0, 1);
    return *this;
  }
  GgufWriter& arr_str(const std::string& key, const std::vector<std::string>& v) {
    begin_kv(key, GgufValueType::kArray);
    put(kv_, static_cast<uint32_t>(GgufValueType::kString), 4);
    put(kv_, v.size(), 8);
    for (const std::string& s : v) put_string(kv_, s);
    return *this;
  }
  /// Raw bytes appended to the metadata section, counted as one entry (hostile tests).
  GgufWriter& raw_kv(const std::string& bytes) {
    kv_ += bytes;
    ++n_kv_;
    return *this;
  }

  // ---- tensor infos ----
  /// ne[0] first (the row length). Offsets are assigned as a real writer would (aligned, in order).
  GgufWriter& tensor(const std::string& name, std::vector<int64_t> dims, GgmlType type) {
    put_string(ti_, name);
    put(ti_, dims.size(), 4);
    int64_t rest = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      put(ti_, static_cast<uint64_t>(dims[i]), 8);
      if (i > 0) rest *= dims[i];
    }
    put(ti_, static_cast<uint32_t>(type), 4);
    put(ti_, offset_, 8);
    const uint64_t bytes = static_cast<uint64_t>(ggml_row_size(type, dims.empty() ? 0 : dims[0]) * rest);
    offset_ += (bytes + 31) / 32 * 32;
    ++n_tensors_;
    return *this;
  }
  /// Raw bytes appended to the tensor table, counted as one tensor (hostile tests).
  GgufWriter& raw_tensor(const std::string& bytes) {
    ti_ += bytes;
    ++n_tensors_;
    return *this;
  }

  /// Count overrides (hostile files claim more than they hold).
  GgufWriter& claim_counts(uint64_t tensors, uint64_t kv) {
    claim_tensors_ = tensors;
    claim_kv_ = kv;
    claimed_ = true;
    return *this;
  }

  /// The header: magic, version, counts, metadata, tensor infos (then `data_bytes` zero bytes).
  std::string bytes(size_t data_bytes = 0) const {
    std::string out = "GGUF";
    put(out, version_, 4);
    put(out, claimed_ ? claim_tensors_ : n_tensors_, 8);
    put(out, claimed_ ? claim_kv_ : n_kv_, 8);
    out += kv_;
    out += ti_;
    out.append(data_bytes, '\0');
    return out;
  }

  static void put(std::string& s, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  static void put_string(std::string& s, const std::string& v) {
    put(s, v.size(), 8);
    s += v;
  }

 private:
  GgufWriter& scalar(const std::string& key, GgufValueType t, uint64_t v, int n) {
    begin_kv(key, t);
    put(kv_, v, n);
    return *this;
  }
  void begin_kv(const std::string& key, GgufValueType t) {
    put_string(kv_, key);
    put(kv_, static_cast<uint32_t>(t), 4);
    ++n_kv_;
  }

  uint32_t version_;
  std::string kv_;
  std::string ti_;
  uint64_t n_kv_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t offset_ = 0;
  bool claimed_ = false;
  uint64_t claim_tensors_ = 0;
  uint64_t claim_kv_ = 0;
};

/// Standard base64 (for requests that carry header bytes).
inline std::string base64_encode(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

}  // namespace llmsizer::test
