// Every preset parses, ids are unique, values are in range; the embedded catalogue equals the files.
#include <gtest/gtest.h>

#include <set>

#include "test_util.h"

namespace llmsizer {
namespace {

TEST(Presets, GpusParseAndAreSane) {
  auto gpus = parse_gpu_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/gpus.json"));
  ASSERT_TRUE(gpus.ok()) << gpus.error().message;
  EXPECT_FALSE(gpus->empty());
  std::set<std::string> ids;
  for (const GpuSpec& g : *gpus) {
    EXPECT_TRUE(ids.insert(g.id).second) << g.id;
    EXPECT_GT(g.memory_gib, 4) << g.id;
    EXPECT_LT(g.memory_gib, 1024) << g.id;
    EXPECT_GT(g.memory_bandwidth_gbps, 50) << g.id;
    EXPECT_LT(g.memory_bandwidth_gbps, 20000) << g.id;
    EXPECT_FALSE(g.name.empty()) << g.id;
    EXPECT_FALSE(g.vendor.empty()) << g.id;
    EXPECT_FALSE(g.source.empty()) << g.id;
  }
}

TEST(Presets, ModelsParseAndEstimate) {
  auto models = parse_model_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/models.json"));
  ASSERT_TRUE(models.ok()) << models.error().message;
  EXPECT_FALSE(models->empty());
  for (const ModelPreset& p : *models) {
    auto m = parse_config(p.config_text);
    ASSERT_TRUE(m.ok()) << p.id << ": " << m.error().message;
    EXPECT_FALSE(m->generic) << p.id;
    const ParameterCounts c = count_parameters(*m);
    EXPECT_GT(c.total, 50000000) << p.id;
    EXPECT_LE(c.active, c.total) << p.id;
    EXPECT_FALSE(p.source.empty()) << p.id;
    EXPECT_NE(p.id.find('/'), std::string::npos) << p.id << " is not a Hub id";
  }
}

TEST(Presets, EmbeddedCatalogueMatchesFiles) {
  auto gpus = parse_gpu_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/gpus.json"));
  auto models = parse_model_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/models.json"));
  ASSERT_TRUE(gpus.ok() && models.ok());
  EXPECT_EQ(builtin_catalog().gpus.size(), gpus->size());
  EXPECT_EQ(builtin_catalog().models.size(), models->size());
}

}  // namespace
}  // namespace llmsizer
