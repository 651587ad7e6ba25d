// GGUF headers <-> JSON: the compact summaries the request's "gguf" list carries, the response's "gguf"
// section, and the header reader the page and the CLI call (gguf_inspect_json).
#include "gguf/summary.h"

#include "json/util.h"
#include "json/writer.h"
#include "llmsizer/api.h"

namespace llmsizer {

namespace {

using json = Json;

const char* value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "uint8";
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// JSON summaries
// ------------------------------------------------------------------------------------------------

void write_gguf_file(JsonWriter& w, const GgufFile& g) {
  w.begin_object();
  w.field("version", g.version)
      .field("alignment", g.alignment)
      .field("header_bytes", g.header_bytes)
      .field("data_offset", g.data_offset);
  w.key("metadata").begin_object();
  for (const auto& [key, v] : g.metadata) {
    w.key(key);
    if (v.type == GgufValueType::kString) {
      if (v.string_length <= kGgufMaxKeptString) {
        w.value(v.text);
      } else {
        w.begin_object().field("string_length", v.string_length).end_object();
      }
    } else if (v.type == GgufValueType::kArray) {
      if (!v.array_kept) {
        w.begin_object().field("array_of", value_type_name(v.array_type)).field("length", v.array_length).end_object();
      } else if (v.array_type == GgufValueType::kString) {
        w.strings(v.strings);
      } else {
        w.begin_array();
        for (double d : v.numbers) {
          if (v.array_type == GgufValueType::kBool) {
            w.value(d != 0);
          } else {
            w.number(d);
          }
        }
        w.end_array();
      }
    } else if (v.type == GgufValueType::kBool) {
      w.value(v.number != 0);
    } else {
      w.number(v.number);
    }
  }
  w.end_object();
  w.key("tensors").begin_array();
  for (const GgufTensorInfo& t : g.tensors) {
    w.begin_array().value(t.name).value(static_cast<uint32_t>(t.type)).begin_array();
    for (int64_t d : t.dims) w.value(d);
    w.end_array().end_array();
  }
  w.end_array();
  w.end_object();
}

std::string gguf_file_to_json(const GgufFile& g) {
  JsonWriter w;
  write_gguf_file(w, g);
  return w.take();
}

Result<GgufFile> gguf_file_from_json(const json& j, const std::string& path) {
  auto bad = [&](const std::string& why, const std::string& sub = "") {
    return make_error(ErrorCode::kInvalidGguf, "GGUF summary: " + why, path + sub);
  };
  if (!j.is_object()) return bad("must be an object (as returned in the response's gguf.summaries)");
  GgufFile g;
  auto uint_field = [&](const char* key, uint64_t def, uint64_t hi, uint64_t* out) -> bool {
    auto it = j.find(key);
    if (it == j.end()) {
      *out = def;
      return true;
    }
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) return false;
    const uint64_t v = it->get<uint64_t>();
    if (v > hi) return false;
    *out = v;
    return true;
  };
  uint64_t version = 3;
  if (!uint_field("version", 3, 3, &version) || version < 2) return bad("'version' must be 2 or 3", "/version");
  g.version = static_cast<uint32_t>(version);
  if (!uint_field("alignment", 32, 1u << 30, &g.alignment) || g.alignment == 0 || (g.alignment & (g.alignment - 1))) {
    return bad("'alignment' must be a power of two", "/alignment");
  }
  if (!uint_field("header_bytes", 0, uint64_t{1} << 40, &g.header_bytes)) return bad("bad 'header_bytes'", "/header_bytes");
  if (!uint_field("data_offset", 0, uint64_t{1} << 40, &g.data_offset)) return bad("bad 'data_offset'", "/data_offset");

  auto mit = j.find("metadata");
  if (mit == j.end() || !mit->is_object()) return bad("'metadata' must be an object", "/metadata");
  if (mit->size() > kGgufMaxKv) return bad("too many metadata entries", "/metadata");
  for (auto it = mit->begin(); it != mit->end(); ++it) {
    const std::string& key = it.key();
    const json& x = it.value();
    const std::string kp = "/metadata/" + key;
    if (key.size() > kGgufMaxKeyBytes) return bad("metadata key too long", "/metadata");
    GgufValue v;
    if (x.is_boolean()) {
      v.type = GgufValueType::kBool;
      v.number = x.get<bool>() ? 1 : 0;
    } else if (x.is_number()) {
      v.type = x.is_number_float() ? GgufValueType::kFloat64 : GgufValueType::kInt64;
      v.number = x.get<double>();
    } else if (x.is_string()) {
      v.type = GgufValueType::kString;
      v.text = x.get<std::string>();
      if (v.text.size() > kGgufMaxKeptString) return bad("string too long", kp);
      v.string_length = v.text.size();
    } else if (x.is_array()) {
      v.type = GgufValueType::kArray;
      if (x.size() > kGgufMaxKeptArray) return bad("array longer than " + std::to_string(kGgufMaxKeptArray), kp);
      v.array_kept = true;
      v.array_length = x.size();
      v.array_type = GgufValueType::kFloat64;
      bool strings = !x.empty() && x[0].is_string();
      if (strings) v.array_type = GgufValueType::kString;
      for (const json& e : x) {
        if (strings) {
          if (!e.is_string() || e.str().size() > kGgufMaxKeptString) {
            return bad("array elements must all be short strings", kp);
          }
          v.strings.push_back(e.get<std::string>());
        } else if (e.is_number()) {
          v.numbers.push_back(e.get<double>());
        } else if (e.is_boolean()) {
          v.numbers.push_back(e.get<bool>() ? 1 : 0);
        } else {
          return bad("array elements must all be numbers, booleans or strings", kp);
        }
      }
    } else if (x.is_object() && x.contains("array_of")) {
      v.type = GgufValueType::kArray;
      const json& len = x["length"];
      if (!len.is_number_integer() || len.get<int64_t>() < 0 ||
          static_cast<uint64_t>(len.get<int64_t>()) > kGgufMaxArrayLength) {
        return bad("'length' must be a whole number", kp);
      }
      v.array_length = static_cast<uint64_t>(len.get<int64_t>());
      v.array_type = x["array_of"].is_string() && x["array_of"].get<std::string>() == "string" ? GgufValueType::kString
                                                                                             : GgufValueType::kUint8;
    } else if (x.is_object() && x.contains("string_length")) {
      v.type = GgufValueType::kString;
      const json& len = x["string_length"];
      if (!len.is_number_integer() || len.get<int64_t>() < 0) return bad("'string_length' must be a whole number", kp);
      v.string_length = static_cast<uint64_t>(len.get<int64_t>());
    } else {
      return bad("unsupported metadata value (" + describe(x) + ")", kp);
    }
    g.metadata.emplace_back(key, std::move(v));
  }

  auto tit = j.find("tensors");
  if (tit == j.end() || !tit->is_array()) return bad("'tensors' must be an array of [name, type, dims]", "/tensors");
  if (tit->size() > kGgufMaxTensors) return bad("too many tensors", "/tensors");
  for (size_t i = 0; i < tit->size(); ++i) {
    const json& e = (*tit)[i];
    const std::string tp = "/tensors/" + std::to_string(i);
    if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_number_unsigned() || !e[2].is_array()) {
      return bad("each tensor must be [name, ggml type id, [dims]]", tp);
    }
    GgufTensorInfo t;
    t.name = e[0].get<std::string>();
    if (t.name.size() > kGgufMaxTensorName) return bad("tensor name too long", tp);
    const uint64_t type_id = e[1].get<uint64_t>();
    const GgmlTypeInfo* ti = type_id <= UINT32_MAX ? ggml_type_info(static_cast<uint32_t>(type_id)) : nullptr;
    if (!ti) return bad("unknown ggml type " + std::to_string(type_id), tp);
    t.type = ti->type;
    if (e[2].empty() || e[2].size() > kGgufMaxDims) return bad("a tensor has 1 to 4 dimensions", tp);
    int64_t elements = 1;
    for (const json& d : e[2]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > kGgufMaxElements) {
        return bad("dimensions must be whole numbers in 0..2^48", tp);
      }
      const int64_t n = d.get<int64_t>();
      if (n != 0 && elements > kGgufMaxElements / n) return bad("more than 2^48 elements", tp);
      elements *= n;
      t.dims.push_back(n);
    }
    if (t.dims[0] % ti->block_size != 0) return bad("row length not a multiple of the type's block size", tp);
    g.tensors.push_back(std::move(t));
  }
  return g;
}

Result<GgufModel> gguf_model_from_request(const std::vector<std::string>& parts) {
  std::vector<GgufFile> files;
  bool from_bytes = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string path = "/gguf/" + std::to_string(i);
    const std::string& p = parts[i];
    if (!p.empty() && p.front() == '{') {
      auto j = parse_json_text(p, "a GGUF summary");
      if (!j.ok()) return make_error(ErrorCode::kInvalidGguf, j.error().message, path);
      auto f = gguf_file_from_json(j.value(), path);
      if (!f.ok()) return f.error();
      files.push_back(std::move(f).value());
      continue;
    }
    auto bytes = base64_decode(p);
    if (!bytes.ok()) {
      return make_error(ErrorCode::kInvalidGguf,
                        "'gguf' entry " + std::to_string(i) + " is neither base64 header bytes nor a summary object: " +
                            bytes.error().message,
                        path);
    }
    const std::string& b = bytes.value();
    auto f = parse_gguf(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    if (!f.ok()) return make_error(ErrorCode::kInvalidGguf, "GGUF part " + std::to_string(i + 1) + ": " + f.error().message, path);
    files.push_back(std::move(f).value());
    from_bytes = true;
  }
  auto m = gguf_model(std::move(files));
  if (!m.ok()) return make_error(m.error().code, m.error().message, m.error().path.empty() ? "/gguf" : m.error().path);
  m.value().from_bytes = from_bytes;
  return m;
}

std::string gguf_section_json(const GgufModel& g) {
  const GgufWeights& w = g.weights;
  JsonWriter s;
  s.begin_object();
  s.field("architecture", g.architecture).field("name", g.name).field("file_type", g.file_type);
  const LlamaFtypeInfo* info = llama_ftype_info(g.file_type);
  s.field("file_type_name", info ? info->name : "")
      .field("parts", g.parts.size())
      .field("tensors", w.tensors)
      .field("weights_bytes", w.total_bytes)
      .field("parameters", w.parameters)
      .field("bits_per_weight",
             stable(w.parameters > 0 ? static_cast<double>(w.total_bytes) * 8.0 / static_cast<double>(w.parameters) : 0.0))
      .field("input_bytes", w.input_bytes)
      .field("output_bytes", w.output_bytes)
      .field("context_length", g.context_length);
  s.key("bytes_by_type").begin_object();
  for (const auto& [k, v] : w.bytes_by_type) s.field(k, v);
  s.end_object();
  s.key("parameters_by_type").begin_object();
  for (const auto& [k, v] : w.parameters_by_type) s.field(k, v);
  s.end_object();
  if (g.from_bytes) {
    s.key("summaries").begin_array();
    for (const GgufFile& f : g.parts) write_gguf_file(s, f);
    s.end_array();
  }
  s.end_object();
  return s.take();
}

// ------------------------------------------------------------------------------------------------
// Inspect (page / CLI)
// ------------------------------------------------------------------------------------------------

std::string gguf_inspect_json(const uint8_t* data, size_t size) {
  auto error = [](const char* code, const std::string& message, uint64_t needed) {
    JsonWriter w;
    w.begin_object().field("ok", false);
    w.key("error").begin_object().field("code", code).field("message", message).end_object();
    if (needed > 0) w.field("bytes_needed", needed);
    return w.end_object().take();
  };
  return guarded([&]() -> std::string {
    uint64_t needed = 0;
    auto f = parse_gguf(data, size, &needed);
    if (!f.ok()) return error(error_code_name(f.error().code), f.error().message, needed);
    const GgufFile& g = f.value();
    JsonWriter w;
    w.begin_object().field("ok", true);
    w.key("summary");
    write_gguf_file(w, g);
    w.field("header_bytes", g.header_bytes);
    if (const GgufValue* a = g.find("general.architecture"); a && a->type == GgufValueType::kString) {
      w.field("architecture", a->text);
    }
    if (const GgufValue* n = g.find("split.count"); n && n->is_number()) w.field_number("split_count", n->number);
    if (const GgufValue* n = g.find("split.no"); n && n->is_number()) w.field_number("split_no", n->number);
    return w.end_object().take();
  }, [&](const char* what) { return error("internal", std::string("internal error: ") + what, 0); });
}

std::string gguf_inspect_base64_json(const std::string& base64) {
  auto bytes = base64_decode(base64);
  if (!bytes.ok()) {
    JsonWriter w;
    w.begin_object().field("ok", false);
    w.key("error").begin_object().field("code", "invalid_gguf").field("message", bytes.error().message).end_object();
    return w.end_object().take();
  }
  const std::string& b = bytes.value();
  return gguf_inspect_json(reinterpret_cast<const uint8_t*>(b.data()), b.size());
}

}  // namespace llmsizer
