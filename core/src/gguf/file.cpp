// The GGUF header parser (file.h).
//
// Source (llama.cpp snapshot of 2026-09-28, as bundled in node-llama-cpp 3.22.1; see file.h):
//   ggml/src/gguf.cpp              gguf_init_from_file_impl (header layout and checks)
#include "gguf/file.h"

#include <algorithm>
#include <cstring>

namespace llmsizer {

// ------------------------------------------------------------------------------------------------
// GGUF header parsing
// ------------------------------------------------------------------------------------------------

bool GgufValue::is_number() const {
  switch (type) {
    case GgufValueType::kString:
    case GgufValueType::kArray: return false;
    default: return true;
  }
}

int64_t GgufTensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t GgufTensorInfo::bytes() const {
  if (dims.empty()) return 0;
  int64_t rest = 1;
  for (size_t i = 1; i < dims.size(); ++i) rest *= dims[i];
  return ggml_row_size(type, dims[0]) * rest;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  for (const auto& kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

namespace {

// Bounds-checked little-endian reader. Running out of bytes records how many the caller must supply.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  bool truncated() const { return truncated_; }
  uint64_t needed() const { return needed_; }

  /// Whether n more bytes are available; if not, remembers that pos + n are needed.
  bool have(uint64_t n) {
    if (n <= size_ - pos_) return true;
    truncated_ = true;
    needed_ = pos_ + n < pos_ ? UINT64_MAX : pos_ + n;  // overflow guard
    return false;
  }
  template <class T>
  bool read(T* out) {
    if (!have(sizeof(T))) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(data_[pos_ + i]) << (8 * i));
    pos_ += sizeof(T);
    *out = v;
    return true;
  }
  bool read_f32(double* out) {
    uint32_t bits = 0;
    if (!read(&bits)) return false;
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    *out = static_cast<double>(f);
    return true;
  }
  bool read_f64(double* out) {
    uint64_t bits = 0;
    if (!read(&bits)) return false;
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    *out = d;
    return true;
  }
  /// A GGUF string (uint64 length + bytes). Keeps the text only when keep_max allows it.
  bool read_string(std::string* out, uint64_t* length, uint64_t max_len, uint64_t keep_max) {
    uint64_t n = 0;
    if (!read(&n)) return false;
    if (n > max_len) {
      too_long_ = n;
      return false;
    }
    if (!have(n)) return false;
    if (length) *length = n;
    if (n <= keep_max) out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += n;
    return true;
  }
  uint64_t too_long() const { return too_long_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  bool truncated_ = false;
  uint64_t needed_ = 0;
  uint64_t too_long_ = 0;
};

uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    default: return 0;
  }
}

bool read_number(ByteReader& r, GgufValueType t, double* out) {
  switch (t) {
    case GgufValueType::kUint8: { uint8_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt8: { uint8_t v; if (!r.read(&v)) return false; *out = static_cast<int8_t>(v); return true; }
    case GgufValueType::kBool: { uint8_t v; if (!r.read(&v)) return false; *out = v != 0 ? 1 : 0; return true; }
    case GgufValueType::kUint16: { uint16_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt16: { uint16_t v; if (!r.read(&v)) return false; *out = static_cast<int16_t>(v); return true; }
    case GgufValueType::kUint32: { uint32_t v; if (!r.read(&v)) return false; *out = v; return true; }
    case GgufValueType::kInt32: { uint32_t v; if (!r.read(&v)) return false; *out = static_cast<int32_t>(v); return true; }
    case GgufValueType::kUint64: { uint64_t v; if (!r.read(&v)) return false; *out = static_cast<double>(v); return true; }
    case GgufValueType::kInt64: { uint64_t v; if (!r.read(&v)) return false; *out = static_cast<double>(static_cast<int64_t>(v)); return true; }
    case GgufValueType::kFloat32: return r.read_f32(out);
    case GgufValueType::kFloat64: return r.read_f64(out);
    default: return false;
  }
}

Error gguf_error(const std::string& message) { return make_error(ErrorCode::kInvalidGguf, message); }

Error truncated_error(const ByteReader& r, size_t size, const char* where) {
  return gguf_error("the GGUF header continues past the " + std::to_string(size) + " bytes given (while reading " +
                    where + "): at least " + std::to_string(r.needed()) +
                    " bytes from the start of the file are needed; fetch more of the file and try again");
}

}  // namespace

Result<GgufFile> parse_gguf(const uint8_t* data, size_t size, uint64_t* bytes_needed) {
  if (bytes_needed) *bytes_needed = 0;
  ByteReader r(data, size);
  GgufFile g;
  auto truncated = [&](const char* where) -> Error {
    if (bytes_needed) *bytes_needed = r.needed();
    return truncated_error(r, size, where);
  };

  // Magic "GGUF" (0x46554747 little-endian), version, tensor count, metadata count (ggml/src/gguf.cpp).
  if (!r.have(4)) return truncated("the magic");
  if (std::memcmp(data, "GGUF", 4) != 0) {
    return gguf_error("not a GGUF file: it does not start with the magic bytes \"GGUF\"");
  }
  uint32_t magic = 0;
  r.read(&magic);
  uint32_t version = 0;
  if (!r.read(&version)) return truncated("the version");
  if (version == 1) {
    return gguf_error("GGUF version 1 (2023) is not supported: convert the model again with a current llama.cpp");
  }
  if (version != 2 && version != 3) {
    if ((version & 0xFFFF) == 0 && (version >> 16) != 0) {
      return gguf_error("this GGUF file is big-endian (version reads as " + std::to_string(version) +
                        "): only little-endian files are supported");
    }
    return gguf_error("unsupported GGUF version " + std::to_string(version) + " (expected 2 or 3)");
  }
  g.version = version;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  if (!r.read(&n_tensors)) return truncated("the tensor count");
  if (!r.read(&n_kv)) return truncated("the metadata count");
  if (n_tensors > kGgufMaxTensors) {
    return gguf_error("the header claims " + std::to_string(n_tensors) + " tensors (limit " +
                      std::to_string(kGgufMaxTensors) + "): not a model file llmsizer can read");
  }
  if (n_kv > kGgufMaxKv) {
    return gguf_error("the header claims " + std::to_string(n_kv) + " metadata entries (limit " +
                      std::to_string(kGgufMaxKv) + ")");
  }

  // Metadata.
  g.metadata.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, (size - std::min<uint64_t>(size, r.pos())) / 13 + 1)));
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    uint64_t key_len = 0;
    if (!r.read_string(&key, &key_len, kGgufMaxKeyBytes, kGgufMaxKeyBytes)) {
      if (r.too_long()) {
        return gguf_error("metadata key " + std::to_string(i) + " is " + std::to_string(r.too_long()) +
                          " bytes long (limit " + std::to_string(kGgufMaxKeyBytes) + ")");
      }
      return truncated("the metadata keys");
    }
    uint32_t type_raw = 0;
    if (!r.read(&type_raw)) return truncated(("the type of '" + key + "'").c_str());
    if (type_raw > static_cast<uint32_t>(GgufValueType::kFloat64)) {
      return gguf_error("metadata '" + key + "' has unknown value type " + std::to_string(type_raw));
    }
    GgufValue v;
    v.type = static_cast<GgufValueType>(type_raw);
    if (v.type == GgufValueType::kString) {
      if (!r.read_string(&v.text, &v.string_length, kGgufMaxStringBytes, kGgufMaxKeptString)) {
        if (r.too_long()) {
          return gguf_error("metadata '" + key + "' is a string of " + std::to_string(r.too_long()) + " bytes (limit " +
                            std::to_string(kGgufMaxStringBytes) + ")");
        }
        return truncated(("the value of '" + key + "'").c_str());
      }
    } else if (v.type == GgufValueType::kArray) {
      uint32_t at = 0;
      uint64_t n = 0;
      if (!r.read(&at) || !r.read(&n)) return truncated(("the array header of '" + key + "'").c_str());
      if (at == static_cast<uint32_t>(GgufValueType::kArray)) {
        return gguf_error("metadata '" + key + "' is an array of arrays, which GGUF readers do not support");
      }
      if (at > static_cast<uint32_t>(GgufValueType::kFloat64)) {
        return gguf_error("metadata '" + key + "' is an array of unknown type " + std::to_string(at));
      }
      if (n > kGgufMaxArrayLength) {
        return gguf_error("metadata '" + key + "' is an array of " + std::to_string(n) + " elements (limit " +
                          std::to_string(kGgufMaxArrayLength) + ")");
      }
      v.array_type = static_cast<GgufValueType>(at);
      v.array_length = n;
      v.array_kept = n <= kGgufMaxKeptArray;
      if (v.array_type == GgufValueType::kString) {
        // Each element is at least its 8-byte length: check the buffer can hold that many before looping.
        if (!r.have(n * 8)) return truncated(("the array '" + key + "'").c_str());
        if (v.array_kept) v.strings.reserve(static_cast<size_t>(n));
        for (uint64_t k = 0; k < n; ++k) {
          std::string s;
          uint64_t len = 0;
          if (!r.read_string(&s, &len, kGgufMaxStringBytes, v.array_kept ? kGgufMaxKeptString : 0)) {
            if (r.too_long()) {
              return gguf_error("element " + std::to_string(k) + " of '" + key + "' is a string of " +
                                std::to_string(r.too_long()) + " bytes");
            }
            return truncated(("the array '" + key + "'").c_str());
          }
          if (v.array_kept) v.strings.push_back(std::move(s));
        }
      } else {
        const uint64_t es = scalar_size(v.array_type);
        if (!r.have(n * es)) return truncated(("the array '" + key + "'").c_str());
        if (v.array_kept) {
          v.numbers.resize(static_cast<size_t>(n));
          for (uint64_t k = 0; k < n; ++k) read_number(r, v.array_type, &v.numbers[static_cast<size_t>(k)]);
        } else {
          // Skip without storing (have() above guaranteed the bytes).
          for (uint64_t k = 0; k < n; ++k) {
            double ignored = 0;
            read_number(r, v.array_type, &ignored);
          }
        }
      }
    } else {
      if (!read_number(r, v.type, &v.number)) return truncated(("the value of '" + key + "'").c_str());
    }
    g.metadata.emplace_back(std::move(key), std::move(v));
  }

  // general.alignment must be a uint32 power of two (gguf.cpp: "alignment %zu is not a power of 2").
  if (const GgufValue* a = g.find("general.alignment")) {
    if (a->type != GgufValueType::kUint32) return gguf_error("general.alignment must be a uint32");
    const uint64_t al = static_cast<uint64_t>(a->number);
    if (al == 0 || (al & (al - 1)) != 0) {
      return gguf_error("general.alignment " + std::to_string(al) + " is not a power of 2");
    }
    g.alignment = al;
  }

  // Tensor infos: name, n_dims, ne[n_dims], type, offset.
  g.tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, (size - std::min<uint64_t>(size, r.pos())) / 24 + 1)));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    uint64_t name_len = 0;
    if (!r.read_string(&t.name, &name_len, kGgufMaxTensorName, kGgufMaxTensorName)) {
      if (r.too_long()) {
        return gguf_error("tensor " + std::to_string(i) + " has a name of " + std::to_string(r.too_long()) +
                          " bytes (ggml allows " + std::to_string(kGgufMaxTensorName) + ")");
      }
      return truncated("the tensor table");
    }
    uint32_t n_dims = 0;
    if (!r.read(&n_dims)) return truncated("the tensor table");
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return gguf_error("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions (1 to " +
                        std::to_string(kGgufMaxDims) + " allowed)");
    }
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      if (!r.read(&ne)) return truncated("the tensor table");
      if (ne > static_cast<uint64_t>(kGgufMaxElements)) {
        return gguf_error("tensor '" + t.name + "' has a dimension of " + std::to_string(ne));
      }
      const int64_t n = static_cast<int64_t>(ne);
      if (n != 0 && elements > kGgufMaxElements / n) {
        return gguf_error("tensor '" + t.name + "' has more than 2^48 elements: not a real model tensor");
      }
      elements *= n;
      t.dims.push_back(n);
    }
    uint32_t type_raw = 0;
    if (!r.read(&type_raw)) return truncated("the tensor table");
    const GgmlTypeInfo* ti = ggml_type_info(type_raw);
    if (!ti) {
      return gguf_error("tensor '" + t.name + "' has unknown or removed ggml type " + std::to_string(type_raw));
    }
    t.type = ti->type;
    if (t.dims[0] % ti->block_size != 0) {
      return gguf_error("tensor '" + t.name + "': row length " + std::to_string(t.dims[0]) +
                        " is not a multiple of the " + ti->name + " block size " + std::to_string(ti->block_size));
    }
    if (!r.read(&t.offset)) return truncated("the tensor table");
    if (t.offset % g.alignment != 0) {
      return gguf_error("tensor '" + t.name + "' has offset " + std::to_string(t.offset) +
                        ", not a multiple of the alignment " + std::to_string(g.alignment));
    }
    g.tensors.push_back(std::move(t));
  }
  g.header_bytes = r.pos();
  g.data_offset = (g.header_bytes + g.alignment - 1) / g.alignment * g.alignment;
  return g;
}

Result<std::string> base64_decode(const std::string& text) {
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value(c);
    if (v < 0 || padding) {
      return make_error(ErrorCode::kInvalidValue, "not base64: unexpected character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace llmsizer
