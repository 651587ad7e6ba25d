// Internal: the TUs that look inside JSON values include this (it brings <nlohmann/json.hpp>; everything else
// gets by with json/read.h).
//
// Reading rules, because the WebAssembly module has no exceptions (core/CMakeLists.txt): there a get<T>() of
// the wrong type aborts, and a missing key under const operator[] is undefined behaviour. So in the core:
//  - members are looked up with json_member() (nullptr when absent), never with operator[], at() or value();
//  - get<T>() / get_ref<T>() come only after the matching is_*() check (numbers convert among themselves);
//  - key() / value() iteration is only over a value checked is_object(), elements only over is_array().
// The fuzzers (tests/fuzz/) drive arbitrary JSON through every reader natively, where a slip would throw and
// surface as an "internal" error, which fails them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "json/read.h"

namespace llmsizer {

/// The member `key` of an object; nullptr when absent or when `v` is not an object.
const JsonValue* json_member(const JsonValue& v, std::string_view key);

/// The element `i` of an array; nullptr when out of range or when `v` is not an array.
const JsonValue* json_element(const JsonValue& v, size_t i);

/// "null", "an object", "an array", "a string", "a boolean", "a number", for error messages.
std::string describe(const JsonValue& v);

}  // namespace llmsizer
