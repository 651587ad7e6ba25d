// GGUF headers <-> JSON: the compact summaries the request's "gguf" list carries, the response's "gguf"
// section, and the header reader the page and the CLI call (gguf_inspect_json).
#include "gguf/summary.h"

#include "json/json.h"
#include "json/util.h"
#include "json/writer.h"
#include "llmsizer/api.h"

namespace llmsizer {

namespace {

using json = JsonValue;

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

namespace {

/// "why" for a summary that cannot be read (kInvalidGguf at path + sub).
struct SummaryError {
  const std::string& path;
  Error operator()(const std::string& why, const std::string& sub = "") const {
    return make_error(ErrorCode::kInvalidGguf, "GGUF summary: " + why, path + sub);
  }
};

/// A whole number in 0..hi under `key` (absent: def); false when it is something else.
bool read_uint(const json& j, const char* key, uint64_t def, uint64_t hi, uint64_t* out) {
  const json* v = json_member(j, key);
  if (!v) {
    *out = def;
    return true;
  }
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) return false;
  const uint64_t n = v->get<uint64_t>();
  if (n > hi) return false;
  *out = n;
  return true;
}

/// A whole number >= 0 (a length in a summary), or -1.
int64_t read_length(const json* v) {
  return v && v->is_number_integer() && v->get<int64_t>() >= 0 ? v->get<int64_t>() : -1;
}

/// A kept array: numbers and booleans, or short strings.
Result<bool> read_kept_array(const json& x, GgufValue& v, const SummaryError& bad, const std::string& kp) {
  v.type = GgufValueType::kArray;
  if (x.size() > kGgufMaxKeptArray) return bad("array longer than " + std::to_string(kGgufMaxKeptArray), kp);
  v.array_kept = true;
  v.array_length = x.size();
  v.array_type = GgufValueType::kFloat64;
  const bool strings = !x.empty() && json_element(x, 0)->is_string();
  if (strings) v.array_type = GgufValueType::kString;
  for (const json& e : x) {
    if (strings) {
      if (!e.is_string() || e.get_ref<const std::string&>().size() > kGgufMaxKeptString) {
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
  return true;
}

/// One metadata value as write_gguf_file writes it (long arrays and strings reduced to their lengths).
Result<GgufValue> read_metadata_value(const json& x, const SummaryError& bad, const std::string& kp) {
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
    auto kept = read_kept_array(x, v, bad, kp);
    if (!kept.ok()) return kept.error();
  } else if (const json* of = json_member(x, "array_of")) {
    v.type = GgufValueType::kArray;
    const int64_t len = read_length(json_member(x, "length"));
    if (len < 0 || static_cast<uint64_t>(len) > kGgufMaxArrayLength) return bad("'length' must be a whole number", kp);
    v.array_length = static_cast<uint64_t>(len);
    v.array_type = of->is_string() && of->get_ref<const std::string&>() == "string" ? GgufValueType::kString
                                                                                    : GgufValueType::kUint8;
  } else if (const json* sl = json_member(x, "string_length")) {
    v.type = GgufValueType::kString;
    const int64_t len = read_length(sl);
    if (len < 0) return bad("'string_length' must be a whole number", kp);
    v.string_length = static_cast<uint64_t>(len);
  } else {
    return bad("unsupported metadata value (" + describe(x) + ")", kp);
  }
  return v;
}

/// One tensor: [name, ggml type id, [dims]].
Result<GgufTensorInfo> read_tensor(const json& e, const SummaryError& bad, const std::string& tp) {
  const bool triple = e.is_array() && e.size() == 3;
  const json* name = triple ? json_element(e, 0) : nullptr;
  const json* type = triple ? json_element(e, 1) : nullptr;
  const json* dims = triple ? json_element(e, 2) : nullptr;
  if (!triple || !name->is_string() || !type->is_number_unsigned() || !dims->is_array()) {
    return bad("each tensor must be [name, ggml type id, [dims]]", tp);
  }
  GgufTensorInfo t;
  t.name = name->get<std::string>();
  if (t.name.size() > kGgufMaxTensorName) return bad("tensor name too long", tp);
  const uint64_t type_id = type->get<uint64_t>();
  const GgmlTypeInfo* ti = type_id <= UINT32_MAX ? ggml_type_info(static_cast<uint32_t>(type_id)) : nullptr;
  if (!ti) return bad("unknown ggml type " + std::to_string(type_id), tp);
  t.type = ti->type;
  if (dims->empty() || dims->size() > kGgufMaxDims) return bad("a tensor has 1 to 4 dimensions", tp);
  int64_t elements = 1;
  for (const json& d : *dims) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > kGgufMaxElements) {
      return bad("dimensions must be whole numbers in 0..2^48", tp);
    }
    const int64_t n = d.get<int64_t>();
    if (n != 0 && elements > kGgufMaxElements / n) return bad("more than 2^48 elements", tp);
    elements *= n;
    t.dims.push_back(n);
  }
  if (t.dims[0] % ti->block_size != 0) return bad("row length not a multiple of the type's block size", tp);
  return t;
}

}  // namespace

Result<GgufFile> gguf_file_from_json(const json& j, const std::string& path) {
  const SummaryError bad{path};
  if (!j.is_object()) return bad("must be an object (as returned in the response's gguf.summaries)");
  GgufFile g;
  uint64_t version = 3;
  if (!read_uint(j, "version", 3, 3, &version) || version < 2) return bad("'version' must be 2 or 3", "/version");
  g.version = static_cast<uint32_t>(version);
  if (!read_uint(j, "alignment", 32, 1u << 30, &g.alignment) || g.alignment == 0 || (g.alignment & (g.alignment - 1))) {
    return bad("'alignment' must be a power of two", "/alignment");
  }
  if (!read_uint(j, "header_bytes", 0, uint64_t{1} << 40, &g.header_bytes)) return bad("bad 'header_bytes'", "/header_bytes");
  if (!read_uint(j, "data_offset", 0, uint64_t{1} << 40, &g.data_offset)) return bad("bad 'data_offset'", "/data_offset");

  const json* meta = json_member(j, "metadata");
  if (!meta || !meta->is_object()) return bad("'metadata' must be an object", "/metadata");
  if (meta->size() > kGgufMaxKv) return bad("too many metadata entries", "/metadata");
  for (const auto& [key, x] : meta->get_ref<const json::object_t&>()) {
    if (key.size() > kGgufMaxKeyBytes) return bad("metadata key too long", "/metadata");
    auto v = read_metadata_value(x, bad, "/metadata/" + key);
    if (!v.ok()) return v.error();
    g.metadata.emplace_back(key, std::move(v).value());
  }

  const json* tensors = json_member(j, "tensors");
  if (!tensors || !tensors->is_array()) return bad("'tensors' must be an array of [name, type, dims]", "/tensors");
  if (tensors->size() > kGgufMaxTensors) return bad("too many tensors", "/tensors");
  for (size_t i = 0; i < tensors->size(); ++i) {
    auto t = read_tensor(*json_element(*tensors, i), bad, "/tensors/" + std::to_string(i));
    if (!t.ok()) return t.error();
    g.tensors.push_back(std::move(t).value());
  }
  return g;
}

namespace {

/// One entry of the request's "gguf" list: a summary object (or its JSON text), or base64 header bytes.
Result<GgufFile> gguf_part(const json& p, size_t i, bool* from_bytes, const char* key = "gguf") {
  const std::string path = std::string("/") + key + "/" + std::to_string(i);
  if (p.is_object()) return gguf_file_from_json(p, path);
  if (!p.is_string()) return make_error(ErrorCode::kInvalidGguf, "not base64 text or a summary object", path);
  const std::string& text = p.get_ref<const std::string&>();
  if (!text.empty() && text.front() == '{') {
    auto j = parse_json(text, "a GGUF summary");
    if (!j.ok()) return make_error(ErrorCode::kInvalidGguf, j.error().message, path);
    return gguf_file_from_json(*j.value(), path);
  }
  auto bytes = base64_decode(text);
  if (!bytes.ok()) {
    return make_error(ErrorCode::kInvalidGguf,
                      std::string("'") + key + "' entry " + std::to_string(i) + " is neither base64 header bytes nor a summary object: " +
                          bytes.error().message,
                      path);
  }
  const std::string& b = bytes.value();
  auto f = parse_gguf(reinterpret_cast<const uint8_t*>(b.data()), b.size());
  if (!f.ok()) return make_error(ErrorCode::kInvalidGguf, "GGUF part " + std::to_string(i + 1) + ": " + f.error().message, path);
  *from_bytes = true;
  return f;
}

}  // namespace

Result<GgufModel> gguf_model_from_request(const std::vector<JsonRef>& parts) {
  std::vector<GgufFile> files;
  bool from_bytes = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto f = gguf_part(*parts[i], i, &from_bytes);
    if (!f.ok()) return f.error();
    files.push_back(std::move(f).value());
  }
  auto m = gguf_model(std::move(files));
  if (!m.ok()) return make_error(m.error().code, m.error().message, m.error().path.empty() ? "/gguf" : m.error().path);
  m.value().from_bytes = from_bytes;
  return m;
}

Result<GgufMmproj> gguf_mmproj_from_request(const std::vector<JsonRef>& parts) {
  std::vector<GgufFile> files;
  bool from_bytes = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto f = gguf_part(*parts[i], i, &from_bytes, "gguf_mmproj");
    if (!f.ok()) return f.error();
    files.push_back(std::move(f).value());
  }
  auto m = gguf_mmproj(std::move(files));
  if (!m.ok()) return make_error(m.error().code, m.error().message, "/gguf_mmproj");
  m.value().from_bytes = from_bytes;
  return m;
}

std::string mmproj_section_json(const GgufMmproj& p) {
  JsonWriter s;
  s.begin_object();
  s.field("name", p.name)
      .field("projector_type", p.projector_type)
      .field("has_vision_encoder", p.has_vision)
      .field("has_audio_encoder", p.has_audio)
      .field("image_size", p.image_size)
      .field("patch_size", p.patch_size)
      .field("tensors", p.tensors)
      .field("weights_bytes", p.bytes)
      .field("parameters", p.parameters);
  if (p.from_bytes) {
    s.key("summaries").begin_array();
    for (const GgufFile& f : p.parts) write_gguf_file(s, f);
    s.end_array();
  }
  s.end_object();
  return s.take();
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
