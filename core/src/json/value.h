// Internal: the core's JSON document type — a strict RFC 8259 parser and a read-only tree.
//
// The core reads JSON (requests, config.json, the preset catalogue, GGUF summaries) through this small type
// instead of nlohmann/json: in the WebAssembly module nlohmann's parser and value type cost ~31 KB gzipped of
// the page's 150 KB budget. The interface is the subset of nlohmann's the core uses (is_*, find, get<T>,
// iteration with key()/value()), so reading code looks the same. Objects keep their members in document
// order; a repeated key keeps its last value (as nlohmann does). Tests and the CLI still use nlohmann.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace llmsizer {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kUint, kFloat, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  /// Parses text; on a syntax error returns a null value and fills `error` (what was wrong) and `byte`
  /// (1-based offset where it was noticed). `max_depth` bounds nesting (the parser recurses).
  static Json parse(std::string_view text, std::string* error, size_t* byte, int max_depth = 256);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_boolean() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kInt || type_ == Type::kUint || type_ == Type::kFloat; }
  bool is_number_integer() const { return type_ == Type::kInt || type_ == Type::kUint; }
  bool is_number_unsigned() const { return type_ == Type::kUint; }
  bool is_number_float() const { return type_ == Type::kFloat; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  /// Values. A number converts to any numeric type (as nlohmann's get<> does); a wrong kind yields a zero
  /// value / empty string: callers check the kind first.
  template <class T>
  T get() const {
    if constexpr (std::is_same_v<T, bool>) {
      return type_ == Type::kBool && b_;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return type_ == Type::kString ? s_ : std::string();
    } else if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(as_double());
    } else {
      static_assert(std::is_integral_v<T>, "Json::get<T>: bool, integers, floating point or std::string");
      if (type_ == Type::kInt) return static_cast<T>(i_);
      if (type_ == Type::kUint) return static_cast<T>(u_);
      if (type_ == Type::kFloat) return static_cast<T>(d_);
      return T{};
    }
  }
  const std::string& str() const { return s_; }

  /// Arrays: elements; objects: members (document order).
  size_t size() const { return type_ == Type::kArray ? arr_.size() : type_ == Type::kObject ? obj_.size() : 0; }
  bool empty() const { return size() == 0; }
  const std::vector<Json>& elements() const { return arr_; }
  const std::vector<Member>& members() const { return obj_; }
  const Json& operator[](size_t i) const { return i < arr_.size() ? arr_[i] : null_value(); }
  /// The member `key` of an object, or nullptr.
  const Json* get_member(std::string_view key) const;
  bool contains(std::string_view key) const { return get_member(key) != nullptr; }
  const Json& operator[](std::string_view key) const {
    const Json* m = get_member(key);
    return m ? *m : null_value();
  }
  std::string value(std::string_view key, const char* fallback) const {
    const Json* m = get_member(key);
    return m && m->is_string() ? m->s_ : std::string(fallback);
  }
  bool value(std::string_view key, bool fallback) const {
    const Json* m = get_member(key);
    return m && m->is_boolean() ? m->b_ : fallback;
  }

  /// Iteration over an array's elements or an object's members (it.key() / it.value(), *it = the value).
  class const_iterator {
   public:
    const Json& operator*() const { return member_ ? member_->second : *element_; }
    const Json* operator->() const { return &**this; }
    const std::string& key() const { return member_ ? member_->first : empty_key(); }
    const Json& value() const { return **this; }
    const_iterator& operator++() {
      if (member_) ++member_;
      if (element_) ++element_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return member_ == o.member_ && element_ == o.element_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class Json;
    const Member* member_ = nullptr;
    const Json* element_ = nullptr;
    static const std::string& empty_key();
  };
  const_iterator begin() const;
  const_iterator end() const;
  /// An object's member `key` as an iterator (end() when absent), for nlohmann-style lookups.
  const_iterator find(std::string_view key) const;

  /// Compact JSON text (strings escaped; invalid UTF-8 cannot occur: the parser rejects it).
  std::string dump() const;

 private:
  static const Json& null_value();
  double as_double() const;
  void write(std::string& out) const;

  Type type_ = Type::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Json> arr_;
  std::vector<Member> obj_;

  friend class JsonParser;
};

}  // namespace llmsizer
