// Helpers shared by the test files: load fixtures and build inputs without going through JSON.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "llmsizer/api.h"
#include "model/config.h"
#include "api/estimate.h"
#include "llmsizer/gpu.h"
#include "model/model.h"

namespace llmsizer::test {

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// A fixture config.json from tests/fixtures/configs.
inline std::string fixture_text(const std::string& name) {
  const std::string text = read_text(std::string(LLMSIZER_FIXTURES_DIR) + "/configs/" + name);
  if (text.empty()) ADD_FAILURE() << "missing fixture " << name;
  return text;
}

inline ModelSpec fixture(const std::string& name) {
  auto r = parse_config(fixture_text(name));
  if (!r.ok()) {
    ADD_FAILURE() << name << ": " << r.error().message;
    return ModelSpec{};
  }
  return std::move(r).value();
}

inline GpuSpec gpu_gib(double gib) {
  GpuSpec g;
  g.id = "test";
  g.name = "test GPU";
  g.memory_gib = gib;
  return g;
}

inline WeightFormat plain(Dtype d) { return weight_format_from_name(dtype_name(d), d).value(); }

/// Inputs for the generic engine with everything explicit.
inline Inputs inputs(Dtype weights, Dtype kv, double gpu_gib_total, int64_t context, int64_t batch) {
  Inputs in;
  in.gpu = gpu_gib(gpu_gib_total);
  in.weights = plain(weights);
  in.kv_dtype = kv;
  in.act_dtype = weights == Dtype::kFp32 ? Dtype::kFp32 : weights;
  in.context = context;
  in.batch = batch;
  in.input_tokens = context;
  in.output_tokens = 1;
  in.generic.reserve = 0.0;
  in.generic.overhead_bytes = 0;
  return in;
}

/// A whole-stage (no pipeline split) stage for a model.
inline Stage whole(const ModelSpec& m) { return pipeline_stages(m.num_hidden_layers(), 1).front(); }

}  // namespace llmsizer::test
