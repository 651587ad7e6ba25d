// The core's JSON parser (RFC 8259, strict) and tree (json_value.h).
#include "json/value.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "json/writer.h"

namespace llmsizer {

const Json& Json::null_value() {
  static const Json kNull;
  return kNull;
}

const std::string& Json::const_iterator::empty_key() {
  static const std::string kEmpty;
  return kEmpty;
}

double Json::as_double() const {
  switch (type_) {
    case Type::kInt: return static_cast<double>(i_);
    case Type::kUint: return static_cast<double>(u_);
    case Type::kFloat: return d_;
    default: return 0.0;
  }
}

const Json* Json::get_member(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const Member& m : obj_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Json::const_iterator Json::begin() const {
  const_iterator it;
  if (type_ == Type::kObject && !obj_.empty()) it.member_ = obj_.data();
  if (type_ == Type::kArray && !arr_.empty()) it.element_ = arr_.data();
  return it;
}

Json::const_iterator Json::end() const {
  const_iterator it;
  if (type_ == Type::kObject && !obj_.empty()) it.member_ = obj_.data() + obj_.size();
  if (type_ == Type::kArray && !arr_.empty()) it.element_ = arr_.data() + arr_.size();
  return it;
}

Json::const_iterator Json::find(std::string_view key) const {
  if (type_ == Type::kObject) {
    for (const Member& m : obj_) {
      if (m.first == key) {
        const_iterator it;
        it.member_ = &m;
        return it;
      }
    }
  }
  return end();
}

void Json::write(std::string& out) const {
  JsonWriter w;
  // Written through JsonWriter so numbers and strings print exactly as responses print them.
  struct Rec {
    static void go(JsonWriter& w, const Json& j) {
      switch (j.type_) {
        case Type::kNull: w.null(); break;
        case Type::kBool: w.value(j.b_); break;
        case Type::kInt: w.value(j.i_); break;
        case Type::kUint: w.raw(std::to_string(j.u_)); break;
        case Type::kFloat: w.value(j.d_); break;
        case Type::kString: w.value(j.s_); break;
        case Type::kArray:
          w.begin_array();
          for (const Json& e : j.arr_) go(w, e);
          w.end_array();
          break;
        case Type::kObject:
          w.begin_object();
          for (const Member& m : j.obj_) {
            w.key(m.first);
            go(w, m.second);
          }
          w.end_object();
          break;
      }
    }
  };
  Rec::go(w, *this);
  out += w.text();
}

std::string Json::dump() const {
  std::string out;
  write(out);
  return out;
}

// ----------------------------------------------------------------------------------------------
// Parser
// ----------------------------------------------------------------------------------------------

class JsonParser {
 public:
  JsonParser(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  bool run(Json* out) {
    // A UTF-8 byte-order mark is skipped, as nlohmann/json does.
    if (s_.size() >= 3 && s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    ws();
    if (!value(out, 0)) return false;
    ws();
    if (pos_ != s_.size()) return fail("unexpected characters after the end of the JSON value");
    return true;
  }

  std::string error;
  size_t error_byte = 0;

 private:
  bool fail(const std::string& what) {
    if (error.empty()) {
      error = what;
      error_byte = pos_ + 1;
    }
    return false;
  }
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[pos_]; }
  void ws() {
    while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  std::string near() const {
    if (eof()) return "end of input";
    const auto c = static_cast<unsigned char>(s_[pos_]);
    if (c < 0x20 || c >= 0x7F) return "byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    return std::string("'") + s_[pos_] + "'";
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("invalid literal near " + near());
    pos_ += word.size();
    return true;
  }

  bool value(Json* out, int depth) {
    if (depth > max_depth_) return fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
    switch (peek()) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"':
        out->type_ = Json::Type::kString;
        return string(&out->s_);
      case 't':
        out->type_ = Json::Type::kBool;
        out->b_ = true;
        return literal("true");
      case 'f':
        out->type_ = Json::Type::kBool;
        out->b_ = false;
        return literal("false");
      case 'n':
        out->type_ = Json::Type::kNull;
        return literal("null");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number(out);
        return fail("expected a value, found " + near());
    }
  }

  bool object(Json* out, int depth) {
    out->type_ = Json::Type::kObject;
    ++pos_;  // '{'
    ws();
    if (peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      ws();
      if (peek() != '"') return fail("expected a key string, found " + near());
      std::string key;
      if (!string(&key)) return false;
      ws();
      if (peek() != ':') return fail("expected ':' after a key, found " + near());
      ++pos_;
      ws();
      Json v;
      if (!value(&v, depth + 1)) return false;
      // A repeated key keeps its last value (nlohmann/json's behaviour).
      Json* existing = nullptr;
      for (Json::Member& m : out->obj_) {
        if (m.first == key) existing = &m.second;
      }
      if (existing) {
        *existing = std::move(v);
      } else {
        out->obj_.emplace_back(std::move(key), std::move(v));
      }
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in an object, found " + near());
    }
  }

  bool array(Json* out, int depth) {
    out->type_ = Json::Type::kArray;
    ++pos_;  // '['
    ws();
    if (peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      ws();
      out->arr_.emplace_back();
      if (!value(&out->arr_.back(), depth + 1)) return false;
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in an array, found " + near());
    }
  }

  static void append_utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool hex4(uint32_t* v) {
    if (pos_ + 4 > s_.size()) return fail("truncated \\u escape");
    uint32_t x = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      x <<= 4;
      if (c >= '0' && c <= '9') {
        x |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        x |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        x |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        --pos_;
        return fail("invalid \\u escape: expected four hex digits");
      }
    }
    *v = x;
    return true;
  }

  bool string(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      if (eof()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return fail("control character in a string (escape it)");
      if (c == '\\') {
        ++pos_;
        if (eof()) return fail("unterminated escape");
        const char e = s_[pos_++];
        switch (e) {
          case '"': out->push_back('"'); break;
          case '\\': out->push_back('\\'); break;
          case '/': out->push_back('/'); break;
          case 'b': out->push_back('\b'); break;
          case 'f': out->push_back('\f'); break;
          case 'n': out->push_back('\n'); break;
          case 'r': out->push_back('\r'); break;
          case 't': out->push_back('\t'); break;
          case 'u': {
            uint32_t cp = 0;
            if (!hex4(&cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              // A high surrogate must be followed by an escaped low surrogate.
              uint32_t lo = 0;
              if (s_.substr(pos_, 2) != "\\u") return fail("a high surrogate \\u escape without its low surrogate");
              pos_ += 2;
              if (!hex4(&lo)) return false;
              if (lo < 0xDC00 || lo > 0xDFFF) return fail("a high surrogate \\u escape without its low surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return fail("a lone low surrogate \\u escape");
            }
            append_utf8(out, cp);
            break;
          }
          default:
            --pos_;
            return fail("invalid escape \\" + std::string(1, e));
        }
        continue;
      }
      if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      // Multi-byte UTF-8 (RFC 3629): well formed, no overlongs, no surrogates, at most U+10FFFF.
      const size_t len = utf8_sequence_length(s_, pos_);
      if (len == 0) return fail("invalid UTF-8 in a string");
      out->append(s_.data() + pos_, len);
      pos_ += len;
    }
  }

  bool number(Json* out) {
    const size_t start = pos_;
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      return fail("invalid number: expected a digit, found " + near());
    }
    bool is_float = false;
    if (peek() == '.') {
      is_float = true;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return fail("invalid number: expected a digit after '.'");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      is_float = true;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return fail("invalid number: expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    const std::string token(s_.substr(start, pos_ - start));
    if (!is_float) {
      // Whole numbers as integers (non-negative ones unsigned, like nlohmann/json); beyond 64 bits, a double.
      const size_t digits_from = negative ? 1 : 0;
      uint64_t u = 0;
      bool overflow = false;
      for (size_t k = digits_from; k < token.size(); ++k) {
        const uint64_t d = static_cast<uint64_t>(token[k] - '0');
        if (u > (std::numeric_limits<uint64_t>::max() - d) / 10) {
          overflow = true;
          break;
        }
        u = u * 10 + d;
      }
      if (!overflow && !negative) {
        out->type_ = Json::Type::kUint;
        out->u_ = u;
        return true;
      }
      if (!overflow && negative && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
        out->type_ = Json::Type::kInt;
        out->i_ = u == static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1
                      ? std::numeric_limits<int64_t>::min()
                      : -static_cast<int64_t>(u);
        return true;
      }
    }
    // strtod rounds correctly (glibc and musl alike); the token is plain JSON grammar, so locale-free.
    out->type_ = Json::Type::kFloat;
    out->d_ = std::strtod(token.c_str(), nullptr);
    // A number beyond the double range is an error, not infinity (as nlohmann/json rules: "number overflow").
    if (!std::isfinite(out->d_)) {
      pos_ = start;
      return fail("number out of range: " + token.substr(0, 40) + (token.size() > 40 ? "..." : ""));
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int max_depth_;
};

Json Json::parse(std::string_view text, std::string* error, size_t* byte, int max_depth) {
  JsonParser p(text, max_depth);
  Json out;
  if (!p.run(&out)) {
    if (error) *error = p.error;
    if (byte) *byte = p.error_byte;
    return Json();
  }
  if (error) error->clear();
  if (byte) *byte = 0;
  return out;
}

}  // namespace llmsizer
