// Reading JSON text with nlohmann/json's SAX parser into a DOM, with errors as values (json/read.h).
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "json/json.h"

namespace llmsizer {

namespace {

// ----------------------------------------------------------------------------------------------
// The DOM-building SAX handler
// ----------------------------------------------------------------------------------------------

/// nlohmann's own DOM builder (the one json::parse uses), told not to throw, plus what parse_error reports.
/// sax_parse calls parse_error instead of throwing, so this works with and without exceptions alike.
class DomHandler {
 public:
  using number_integer_t = JsonValue::number_integer_t;
  using number_unsigned_t = JsonValue::number_unsigned_t;
  using number_float_t = JsonValue::number_float_t;
  using string_t = JsonValue::string_t;
  using binary_t = JsonValue::binary_t;

  explicit DomHandler(JsonValue& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) { return dom_.number_float(v, s); }
  bool string(string_t& v) { return dom_.string(v); }
  bool binary(binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(string_t& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }

  bool parse_error(std::size_t byte, const std::string& last_token, const JsonValue::exception& ex) {
    failed = true;
    error_byte = byte;
    error_id = ex.id;
    error_token = last_token;
    error_message = ex.what();
    return false;
  }

  bool failed = false;
  size_t error_byte = 0;
  int error_id = 0;
  std::string error_token;
  std::string error_message;

 private:
  nlohmann::detail::json_sax_dom_parser<JsonValue> dom_;
};

// ----------------------------------------------------------------------------------------------
// Syntax errors in the core's words
// ----------------------------------------------------------------------------------------------

/// The byte at 1-based position `byte` for a message: 'x', byte 0x0a, or end of input.
std::string describe_byte(std::string_view text, size_t byte) {
  if (byte == 0 || byte > text.size()) return "end of input";
  const auto c = static_cast<unsigned char>(text[byte - 1]);
  if (c < 0x20 || c >= 0x7F) {
    static const char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
  }
  return std::string("'") + static_cast<char>(c) + "'";
}

/// The bytes of a token as nlohmann's lexer prints it (control characters as <U+XXXX>).
size_t raw_length(const std::string& token) {
  size_t n = 0;
  for (size_t i = 0; i < token.size(); ++n) {
    const bool escaped = token.compare(i, 3, "<U+") == 0 && i + 8 <= token.size() && token[i + 7] == '>';
    i += escaped ? 8 : 1;
  }
  return n;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// A \\u escape nlohmann could not read (it stopped on the first byte that is not a hex digit): the core calls
/// it truncated when fewer than four bytes follow the 'u', at the byte after the 'u'.
struct UEscape {
  bool truncated;
  size_t byte;
};
UEscape u_escape(std::string_view text, size_t byte) {
  size_t u = std::min(byte, text.size() + 1) - 1;  // 0-based: the byte nlohmann stopped on
  for (int i = 0; i < 4 && u > 0 && text[u - 1] != 'u'; ++i) --u;
  if (u == 0 || text[u - 1] != 'u') return {false, byte};
  if (text.size() - u < 4) return {true, u + 1};
  return {false, byte};
}

/// A lexer error inside a string or a number, in the core's words (the byte is where nlohmann stopped).
std::string lexer_message(std::string_view text, size_t byte, const std::string& lexer) {
  const bool at_end = byte > text.size();
  if (starts_with(lexer, "invalid number; expected digit after '-'")) {
    return "invalid number: expected a digit, found " + describe_byte(text, byte);
  }
  if (starts_with(lexer, "invalid number; expected digit after '.'")) return "invalid number: expected a digit after '.'";
  if (starts_with(lexer, "invalid number; expected")) return "invalid number: expected a digit in the exponent";
  if (starts_with(lexer, "invalid string: missing closing quote")) return "unterminated string";
  if (starts_with(lexer, "invalid string: control character")) return "control character in a string (escape it)";
  if (starts_with(lexer, "invalid string: forbidden character after backslash")) {
    return at_end ? "unterminated escape" : "invalid escape \\" + std::string(1, text[byte - 1]);
  }
  if (starts_with(lexer, "invalid string: '\\u' must be followed by 4 hex digits")) {
    return u_escape(text, byte).truncated ? "truncated \\u escape" : "invalid \\u escape: expected four hex digits";
  }
  if (starts_with(lexer, "invalid string: surrogate U+D800..U+DBFF")) {
    return "a high surrogate \\u escape without its low surrogate";
  }
  if (starts_with(lexer, "invalid string: surrogate U+DC00..U+DFFF")) return "a lone low surrogate \\u escape";
  if (starts_with(lexer, "invalid string: ill-formed UTF-8 byte")) return "invalid UTF-8 in a string";
  return lexer;  // nlohmann's own words for anything else
}

/// Where a lexer error inside a string is: nlohmann stops on the byte that broke the rule; the core names the
/// start of what is broken (the UTF-8 sequence, the \\u escape, the byte after a lone surrogate).
size_t lexer_error_byte(std::string_view text, size_t byte, const std::string& lexer) {
  const size_t last = std::min(byte, text.size());
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (starts_with(lexer, "invalid string: ill-formed UTF-8 byte")) {
    // The lead byte of the sequence the bad byte breaks (when it is inside one), else the bad byte itself.
    const size_t p = std::min(byte, text.size() + 1);
    for (size_t i = 1; i <= 3 && p > i; ++i) {
      const auto c = static_cast<unsigned char>(text[p - i - 1]);
      if (c >= 0xC2 && c <= 0xF4) return i < (c >= 0xF0 ? 4u : c >= 0xE0 ? 3u : 2u) ? p - i : p;
      if (c < 0x80 || c > 0xBF) break;
    }
    return p;
  }
  if (starts_with(lexer, "invalid string: '\\u'")) return u_escape(text, byte).byte;
  if (starts_with(lexer, "invalid string: surrogate U+DC00..U+DFFF")) return byte + 1;  // after its four digits
  if (starts_with(lexer, "invalid string: surrogate U+D800..U+DBFF")) {
    // The high surrogate's escape: the byte after it, or after the \\u escape that should have been the low one.
    for (size_t k = last; k-- > 0;) {
      if (text.compare(k, 2, "\\u") != 0 || k + 6 > text.size() || !is_hex(text[k + 2])) continue;
      const unsigned long cp = std::strtoul(std::string(text.substr(k + 2, 4)).c_str(), nullptr, 16);
      if (cp < 0xD800 || cp > 0xDBFF) continue;
      return text.compare(k + 6, 2, "\\u") == 0 ? k + 13 : k + 7;
    }
  }
  return byte;
}

/// "expected ..." for a token that is not allowed where it stands, by the parser's context.
std::string misplaced_message(const std::string& context, bool expected_end, const std::string& found) {
  if (context == "object key") return "expected a key string, found " + found;
  if (context == "object separator") return "expected ':' after a key, found " + found;
  if (context == "object") return "expected ',' or '}' in an object, found " + found;
  if (context == "array") return "expected ',' or ']' in an array, found " + found;
  if (expected_end) return "unexpected characters after the end of the JSON value";
  return "expected a value, found " + found;
}

/// nlohmann's report, taken apart: "[json.exception.parse_error.101] parse error at line L, column C: syntax
/// error while parsing CONTEXT - (unexpected TOKEN-KIND | LEXER-MESSAGE; last read: 'TOKEN')[; expected X]", or
/// out_of_range 406 "number overflow parsing 'TOKEN'". Only nlohmann's own words are matched: the token's text
/// (which comes after "last read: '" and may hold anything) is never searched.
struct Report {
  bool overflow = false;    ///< a number beyond the double range
  std::string context;      ///< "value", "object key", "object separator", "object", "array"
  std::string unexpected;   ///< a token that is well formed but misplaced: "'}'", "string literal", "end of input"
  std::string lexer;        ///< or the lexer's message for a token it could not read
  bool expected_end = false;  ///< the document was complete: this token came after it
};

Report take_apart(int id, const std::string& message) {
  Report r;
  if (id == 406) {
    r.overflow = true;
    return r;
  }
  const std::string tail = "; expected end of input";
  r.expected_end = message.size() >= tail.size() && message.compare(message.size() - tail.size(), tail.size(), tail) == 0;
  const size_t c = message.find("while parsing ");
  const size_t dash = c == std::string::npos ? c : message.find(" - ", c);
  if (dash == std::string::npos) {
    r.lexer = message;
    return r;
  }
  r.context = message.substr(c + 14, dash - c - 14);
  const std::string rest = message.substr(dash + 3);
  if (starts_with(rest, "unexpected ")) {
    r.unexpected = rest.substr(11, rest.find(';') == std::string::npos ? std::string::npos : rest.find(';') - 11);
  } else {
    r.lexer = rest.substr(0, rest.find("; last read: '"));
  }
  return r;
}

/// Where the token nlohmann stopped in starts (1-based). nlohmann reports the byte after which it stopped: the
/// token's last byte, or one past the end when it read the end of the input. Its token text is exact only for
/// strings and numbers (the lexer restarts it there); other tokens have known lengths, and a broken literal
/// ("nul", "tru") is found by looking back for the literal it began.
size_t token_start(std::string_view text, size_t byte, const Report& r, const std::string& token) {
  const size_t last = std::min(byte, text.size());
  const size_t end = std::min(byte, text.size() + 1);
  auto back = [&](size_t n) { return last + 1 > n ? last + 1 - n : 1; };
  if (r.overflow || starts_with(r.lexer, "invalid string") || starts_with(r.lexer, "invalid number") ||
      r.unexpected == "string literal" || r.unexpected == "number literal") {
    return back(raw_length(token));
  }
  if (r.unexpected == "true literal" || r.unexpected == "null literal") return back(4);
  if (r.unexpected == "false literal") return back(5);
  if (starts_with(r.lexer, "invalid BOM")) return 1;
  if (r.lexer == "invalid literal") {
    // scan_literal read a proper prefix of true / false / null, then a byte that does not continue it.
    for (size_t i = 1; i <= 4 && i < end; ++i) {
      const size_t s = end - i;
      const char c = text[s - 1];
      const std::string_view lit = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : "";
      if (i < lit.size() && text.substr(s - 1, i) == lit.substr(0, i)) return s;
    }
  }
  return end;  // a one-byte token, an unexpected byte, or the end of the input
}

}  // namespace

JsonSyntaxError json_syntax_error(std::string_view text, size_t nlohmann_byte, int nlohmann_id,
                                  const std::string& nlohmann_message, const std::string& last_token) {
  const Report r = take_apart(nlohmann_id, nlohmann_message);
  const size_t start = token_start(text, nlohmann_byte, r, last_token);
  if (r.overflow) {
    return {"number out of range: " + last_token.substr(0, 40) + (last_token.size() > 40 ? "..." : ""), start};
  }
  if (r.context.empty()) return {r.lexer, nlohmann_byte};  // not a report this knows: nlohmann's words
  const std::string found = describe_byte(text, start);
  if (!r.unexpected.empty()) return {misplaced_message(r.context, r.expected_end, found), start};

  // A lexer error: the token could not be read. Where a value or a key string may stand, say what is wrong
  // inside it; elsewhere the token should not be there at all.
  const char first = start <= text.size() ? text[start - 1] : '\0';
  if (starts_with(r.lexer, "invalid BOM")) return {"expected a value, found " + found, 1};
  if (r.expected_end || (r.context != "value" && r.context != "object key") ||
      (r.context == "object key" && first != '"')) {
    return {misplaced_message(r.context, r.expected_end, found), start};
  }
  if (r.lexer == "invalid literal") {
    if (first == 't' || first == 'f' || first == 'n') return {"invalid literal near " + found, start};
    return {"expected a value, found " + found, start};
  }
  return {lexer_message(text, nlohmann_byte, r.lexer), lexer_error_byte(text, nlohmann_byte, r.lexer)};
}

Result<JsonRef> parse_json(std::string_view text, const char* what) {
  // nlohmann's lexer takes a NUL byte outside a string for the end of the input ("null\0x" would pass).
  // RFC 8259 allows NUL nowhere, as it allows no other control byte: the parser reads a copy with NUL bytes
  // made 0x01, which fails in the same places; the message still names the byte of the original text.
  std::string patched;
  std::string_view input = text;
  if (text.find('\0') != std::string_view::npos) {
    patched.assign(text);
    std::replace(patched.begin(), patched.end(), '\0', '\x01');
    input = patched;
  }
  auto root = std::make_shared<JsonValue>();
  DomHandler handler(*root);
  JsonValue::sax_parse(input.data(), input.data() + input.size(), &handler);
  if (!handler.failed) return JsonRef(std::move(root));
  const JsonSyntaxError e = json_syntax_error(text, handler.error_byte, handler.error_id, handler.error_message,
                                               handler.error_token);
  return make_error(ErrorCode::kInvalidJson, std::string(what) + " is not valid JSON (at byte " +
                                                 std::to_string(e.byte) + "): syntax error: " + e.message);
}

const JsonValue* json_member(const JsonValue& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  for (const auto& kv : v.get_ref<const JsonValue::object_t&>()) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

const JsonValue* json_element(const JsonValue& v, size_t i) {
  if (!v.is_array() || i >= v.size()) return nullptr;
  return &v.get_ref<const JsonValue::array_t&>()[i];
}

std::string describe(const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::value_t::null: return "null";
    case JsonValue::value_t::object: return "an object";
    case JsonValue::value_t::array: return "an array";
    case JsonValue::value_t::string: return "a string";
    case JsonValue::value_t::boolean: return "a boolean";
    case JsonValue::value_t::number_integer:
    case JsonValue::value_t::number_unsigned:
    case JsonValue::value_t::number_float: return "a number";
    default: return "an unexpected value";
  }
}

}  // namespace llmsizer
