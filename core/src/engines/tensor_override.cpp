// llama.cpp --override-tensor patterns: parsing, checking and a small backtracking matcher (tensor_override.h).
#include "engines/tensor_override.h"

#include <cctype>
#include <cstddef>
#include <functional>

namespace llmsizer {

namespace {

enum class NodeKind { kChar, kAny, kClass, kGroup, kBegin, kEnd };

struct Node;
using Seq = std::vector<Node>;

struct Node {
  NodeKind kind = NodeKind::kChar;
  char c = 0;
  std::vector<std::pair<char, char>> ranges;  ///< kClass: inclusive ranges
  bool negate = false;                         ///< kClass: [^...]
  std::vector<Seq> alts;                       ///< kGroup: alternatives
  int min = 1;
  int max = 1;                                 ///< -1 = unbounded
};

/// Matching steps before a pattern is called too complex (nested quantifiers can backtrack exponentially).
constexpr long kStepLimit = 200000;

void add_escape_class(char e, Node& n) {
  // \d [0-9], \w [A-Za-z0-9_], \s whitespace; upper case negates (only outside brackets: callers check).
  const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(e)));
  if (l == 'd') n.ranges.push_back({'0', '9'});
  if (l == 'w') n.ranges.insert(n.ranges.end(), {{'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {'_', '_'}});
  if (l == 's') n.ranges.insert(n.ranges.end(), {{' ', ' '}, {'\t', '\r'}});
}

bool is_class_escape(char e) { return e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S'; }

class Parser {
 public:
  explicit Parser(const std::string& p) : p_(p) {}
  std::string error;

  Seq parse() {
    Node top = group();
    if (error.empty() && i_ < p_.size()) error = "unmatched ')'";
    Seq s;
    s.push_back(std::move(top));
    return s;
  }

 private:
  const std::string& p_;
  size_t i_ = 0;
  int depth_ = 0;

  bool more() const { return error.empty() && i_ < p_.size(); }

  Node group() {
    Node g;
    g.kind = NodeKind::kGroup;
    g.alts.push_back(sequence());
    while (more() && p_[i_] == '|') {
      ++i_;
      g.alts.push_back(sequence());
    }
    return g;
  }

  Seq sequence() {
    Seq s;
    while (more() && p_[i_] != '|' && p_[i_] != ')') {
      Node n = atom();
      if (!error.empty()) break;
      quantifier(n);
      s.push_back(std::move(n));
    }
    return s;
  }

  Node atom() {
    Node n;
    const char c = p_[i_++];
    switch (c) {
      case '(': {
        if (++depth_ > 32) {
          error = "groups nested too deeply";
          return n;
        }
        if (p_.compare(i_, 2, "?:") == 0) {
          i_ += 2;
        } else if (i_ < p_.size() && p_[i_] == '?') {
          error = "look-arounds are not supported";
          return n;
        }
        n = group();
        --depth_;
        if (error.empty() && (i_ >= p_.size() || p_[i_] != ')')) error = "unmatched '('";
        ++i_;
        return n;
      }
      case '[': bracket(n); return n;
      case '.': n.kind = NodeKind::kAny; return n;
      case '^': n.kind = NodeKind::kBegin; return n;
      case '$': n.kind = NodeKind::kEnd; return n;
      case '\\': escape(n); return n;
      case '*': case '+': case '?': case '{':
        error = std::string("nothing to repeat before '") + c + "'";
        return n;
      case ']': case '}':
      default: n.c = c; return n;
    }
  }

  void escape(Node& n) {
    if (i_ >= p_.size()) {
      error = "a trailing backslash";
      return;
    }
    const char e = p_[i_++];
    if (is_class_escape(e)) {
      n.kind = NodeKind::kClass;
      add_escape_class(e, n);
      n.negate = std::isupper(static_cast<unsigned char>(e)) != 0;
    } else if (std::isalnum(static_cast<unsigned char>(e))) {
      if (e == 'n' || e == 't') {
        n.c = e == 'n' ? '\n' : '\t';
      } else {
        error = std::string("the escape \\") + e + " is not supported";
      }
    } else {
      n.c = e;  // \. \( \| \\ ...: the character itself
    }
  }

  void bracket(Node& n) {
    n.kind = NodeKind::kClass;
    if (i_ < p_.size() && p_[i_] == '^') {
      n.negate = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) {
        error = "unmatched '['";
        return;
      }
      char c = p_[i_++];
      if (c == ']' && !first) return;
      first = false;
      if (c == '\\') {
        if (i_ >= p_.size()) {
          error = "unmatched '['";
          return;
        }
        const char e = p_[i_++];
        if (e == 'd' || e == 'w' || e == 's') {
          add_escape_class(e, n);
          continue;
        }
        if (std::isalnum(static_cast<unsigned char>(e))) {
          error = std::string("the escape \\") + e + " inside [...] is not supported";
          return;
        }
        c = e;
      }
      char hi = c;
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        hi = p_[i_ + 1];
        i_ += 2;
        if (hi < c) {
          error = "a range out of order in [...]";
          return;
        }
      }
      n.ranges.push_back({c, hi});
    }
  }

  bool number(int* out) {
    const size_t start = i_;
    long v = 0;
    while (i_ < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i_])) && v < 100000) {
      v = v * 10 + (p_[i_++] - '0');
    }
    *out = static_cast<int>(v);
    return i_ > start;
  }

  void quantifier(Node& n) {
    if (!more()) return;
    const char c = p_[i_];
    if (c == '*' || c == '+' || c == '?') {
      ++i_;
      n.min = c == '+' ? 1 : 0;
      n.max = c == '?' ? 1 : -1;
    } else if (c == '{') {
      ++i_;
      int lo = 0;
      int hi = 0;
      if (!number(&lo)) {
        error = "a '{' that is not a repeat count";
        return;
      }
      hi = lo;
      if (i_ < p_.size() && p_[i_] == ',') {
        ++i_;
        if (!number(&hi)) hi = -1;
      }
      if (i_ >= p_.size() || p_[i_] != '}' || (hi >= 0 && hi < lo) || lo > 1000 || hi > 1000) {
        error = "a bad repeat count {...}";
        return;
      }
      ++i_;
      n.min = lo;
      n.max = hi;
    } else {
      return;
    }
    if (more() && p_[i_] == '?') ++i_;  // lazy: the same yes/no answer for a search
    if (more() && (p_[i_] == '*' || p_[i_] == '+' || p_[i_] == '{')) error = "a quantifier repeated";
  }
};

class Matcher {
 public:
  explicit Matcher(const std::string& t) : t_(t) {}
  using Cont = std::function<bool(size_t)>;
  long steps = 0;

  bool seq(const Seq& s, size_t i, size_t pos, const Cont& k) {
    if (++steps > kStepLimit) return false;
    if (i == s.size()) return k(pos);
    return rep(s, i, 0, pos, k);
  }

 private:
  const std::string& t_;

  bool rep(const Seq& s, size_t i, int count, size_t pos, const Cont& k) {
    const Node& n = s[i];
    if (n.max < 0 || count < n.max) {
      // Greedy: one more first; an iteration that consumed nothing ends the loop (as ECMAScript does).
      const bool more = one(n, pos, [&](size_t p2) {
        if (p2 == pos && count >= n.min) return false;
        return rep(s, i, count + 1, p2, k);
      });
      if (more) return true;
    }
    return count >= n.min && seq(s, i + 1, pos, k);
  }

  bool in_class(const Node& n, char c) const {
    bool hit = false;
    for (const auto& r : n.ranges) hit = hit || (c >= r.first && c <= r.second);
    return hit != n.negate;
  }

  bool one(const Node& n, size_t pos, const Cont& k) {
    switch (n.kind) {
      case NodeKind::kChar: return pos < t_.size() && t_[pos] == n.c && k(pos + 1);
      case NodeKind::kAny: return pos < t_.size() && t_[pos] != '\n' && k(pos + 1);
      case NodeKind::kClass: return pos < t_.size() && in_class(n, t_[pos]) && k(pos + 1);
      case NodeKind::kBegin: return pos == 0 && k(pos);
      case NodeKind::kEnd: return pos == t_.size() && k(pos);
      case NodeKind::kGroup:
        for (const Seq& alt : n.alts) {
          if (seq(alt, 0, pos, k)) return true;
        }
        return false;
    }
    return false;
  }
};

/// Buffer types llama.cpp lists for -ot: "CPU" and each device's default buffer ("CUDA0", "ROCm0", "MTL0",
/// "Vulkan0", "SYCL0", ...): a device name followed by its index.
bool known_buffer(const std::string& b) {
  if (b == "CPU") return true;
  static const char* const kDevices[] = {"CUDA", "ROCm", "MTL", "Vulkan", "SYCL", "CANN", "OpenCL"};
  for (const char* d : kDevices) {
    const std::string p = d;
    if (b.size() > p.size() && b.compare(0, p.size(), p) == 0) {
      bool digits = true;
      for (size_t i = p.size(); i < b.size(); ++i) digits = digits && std::isdigit(static_cast<unsigned char>(b[i]));
      if (digits) return true;
    }
  }
  return false;
}

}  // namespace

struct TensorPattern {
  Seq seq;
};

namespace {

/// The search, and whether it gave up (more than kStepLimit steps: a pattern that backtracks exponentially).
bool search(const TensorPattern& p, const std::string& text, bool* gave_up) {
  Matcher m(text);
  const Matcher::Cont done = [](size_t) { return true; };
  for (size_t start = 0; start <= text.size(); ++start) {
    if (m.seq(p.seq, 0, start, done)) return true;
    if (m.steps > kStepLimit) {
      if (gave_up) *gave_up = true;
      return false;
    }
  }
  return false;
}

}  // namespace

bool tensor_pattern_search(const TensorPattern& p, const std::string& text) { return search(p, text, nullptr); }

const TensorOverride* TensorOverrides::first_match(const std::string& name) const {
  for (const TensorOverride& o : items) {
    if (o.re && tensor_pattern_search(*o.re, name)) return &o;
  }
  return nullptr;
}

Result<std::shared_ptr<const TensorOverrides>> parse_tensor_overrides(const std::string& text) {
  auto out = std::make_shared<TensorOverrides>();
  out->text = text;
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidRequest, "'override_tensor' = '" + text + "': " + why, "/override_tensor");
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(start, comma - start);
    start = comma + 1;
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return fail("'" + part + "' has no '=': write PATTERN=BUFFER, e.g. exps=CPU (llama.cpp: invalid value)");
    }
    TensorOverride o;
    o.pattern = part.substr(0, eq);
    o.buffer = part.substr(eq + 1);
    if (!known_buffer(o.buffer)) {
      return fail("unknown buffer type '" + o.buffer + "' (llama.cpp accepts CPU or a device such as CUDA0)");
    }
    o.cpu = o.buffer == "CPU";
    Parser p(o.pattern);
    auto re = std::make_shared<TensorPattern>();
    re->seq = p.parse();
    if (!p.error.empty()) return fail("the pattern '" + o.pattern + "' is not a regular expression this estimate reads: " + p.error);
    // Patterns that backtrack without end (nested quantifiers such as (.*)*x) are refused up front, tried on one
    // long tensor name, rather than matching nothing later.
    bool gave_up = false;
    search(*re, "blk.100.ffn_gate_up_exps.weight_scale", &gave_up);
    if (gave_up) return fail("the pattern '" + o.pattern + "' backtracks too much (nested quantifiers)");
    o.re = std::move(re);
    out->items.push_back(std::move(o));
  }
  return std::shared_ptr<const TensorOverrides>(std::move(out));
}

}  // namespace llmsizer
