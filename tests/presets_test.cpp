// Every preset parses, ids are unique, values are in range; the embedded catalogue equals the files.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "deploy/deploy.h"
#include "llmsizer/api.h"
#include "llmsizer/gpu.h"
#include "model/config.h"
#include "model/model.h"

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
    // Known core gap (tests/presets_params_test.cpp PresetGaps): the Hub's Gemma 3 multimodal
    // text_config relies on Gemma3TextConfig defaults the core does not apply yet.
    if (p.id == "google/gemma-3-4b-it" || p.id == "google/gemma-3-12b-it" || p.id == "google/gemma-3-27b-it") continue;
    auto m = parse_config_value(*p.config);
    ASSERT_TRUE(m.ok()) << p.id << ": " << m.error().message;
    EXPECT_FALSE(m->generic) << p.id;
    const ParameterCounts c = count_parameters(*m);
    EXPECT_GT(c.total, 50000000) << p.id;
    EXPECT_LE(c.active, c.total) << p.id;
    EXPECT_FALSE(p.source.empty()) << p.id;
    EXPECT_NE(p.id.find('/'), std::string::npos) << p.id << " is not a Hub id";
  }
}

// ---- GPUs: the extra schema (presets/gpus.json), read as JSON ------------------------------------

nlohmann::json raw(const char* file) {
  const std::string text = test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/" + file);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    ADD_FAILURE() << file << " is not valid JSON";
    return nlohmann::json::array();
  }
  return j;
}

bool one_of(const nlohmann::json& v, std::initializer_list<const char*> allowed) {
  if (!v.is_string()) return false;
  for (const char* a : allowed) {
    if (v.get<std::string>() == a) return true;
  }
  return false;
}

TEST(PresetGpus, CoverageAndReferenceIds) {
  const nlohmann::json gpus = raw("gpus.json");
  EXPECT_GE(gpus.size(), 45u);
  std::set<std::string> ids;
  for (const auto& g : gpus) ids.insert(g["id"].get<std::string>());
  // Every id of the sourced dataset the presets start from (the project's reference gpus.json, 53
  // rows): scripts and share links name GPUs by these ids, so none may go or change.
  for (const char* id :
       {"nvidia-b200", "nvidia-b100", "nvidia-gb200-per-gpu", "nvidia-h200-sxm", "nvidia-h200-nvl", "nvidia-h100-sxm",
        "nvidia-h100-pcie", "nvidia-h100-nvl", "nvidia-h800-sxm", "nvidia-h20", "nvidia-a100-sxm4-40gb",
        "nvidia-a100-sxm4-80gb", "nvidia-a100-pcie-40gb", "nvidia-a100-pcie-80gb", "nvidia-a800-sxm4-80gb",
        "nvidia-a800-pcie-80gb", "nvidia-a40", "nvidia-a30", "nvidia-a10", "nvidia-a10g", "nvidia-l40s", "nvidia-l40",
        "nvidia-l20", "nvidia-l4", "nvidia-t4", "nvidia-v100-sxm2-16gb", "nvidia-v100-sxm2-32gb",
        "nvidia-v100-pcie-16gb", "nvidia-v100-pcie-32gb", "nvidia-rtx-6000-ada", "nvidia-rtx-a6000",
        "nvidia-rtx-5090", "nvidia-rtx-4090", "nvidia-rtx-4080", "nvidia-rtx-4070-ti", "nvidia-rtx-4060-ti-16gb",
        "nvidia-rtx-3090", "nvidia-rtx-3090-ti", "nvidia-rtx-3080-10gb", "nvidia-rtx-3060-12gb", "amd-mi300x",
        "amd-mi325x", "amd-mi250x", "amd-mi210", "amd-rx-7900-xtx", "intel-gaudi2", "intel-gaudi3",
        "huawei-ascend-910b", "apple-m2-ultra", "apple-m3-max", "apple-m4-max", "google-tpu-v5e", "google-tpu-v5p",
        // added beyond the reference dataset
        "nvidia-rtx-pro-6000-blackwell", "amd-mi355x"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST(PresetGpus, SourcesFileCoversEveryGpu) {
  // presets/gpus_sources.json (not compiled in) holds each GPU's full, annotated source list and the
  // notes on where sources disagree; gpus.json keeps the short citations. Same ids, same order.
  const nlohmann::json gpus = raw("gpus.json");
  const nlohmann::json detail = raw("gpus_sources.json");
  ASSERT_EQ(detail.size(), gpus.size());
  for (size_t i = 0; i < gpus.size(); ++i) {
    EXPECT_EQ(detail[i]["id"], gpus[i]["id"]);
    EXPECT_TRUE(detail[i]["sources"].is_array() && !detail[i]["sources"].empty()) << gpus[i]["id"];
    EXPECT_TRUE(detail[i]["notes"].is_string()) << gpus[i]["id"];
  }
}

TEST(PresetGpus, SchemaAndRanges) {
  for (const auto& g : raw("gpus.json")) {
    const std::string id = g.value("id", "");
    SCOPED_TRACE(id);
    EXPECT_TRUE(one_of(g["vendor"], {"NVIDIA", "AMD", "Intel", "Huawei", "Apple", "Google"}));
    EXPECT_TRUE(one_of(g["market"], {"datacenter", "workstation", "consumer", "china-market", "apple", "cloud"}));
    EXPECT_TRUE(one_of(g["interconnect"], {"nvlink", "pcie", "infinity-fabric", "gaudi-roce", "hccs", "unified", "ici",
                                           "none"}));
    // What the figure means to an engine (README "Presets"): the total torch.cuda.mem_get_info() reports, Metal's
    // working-set limit on a Mac, or a nominal figure the engine sees 0.3-0.9 GiB less of.
    EXPECT_TRUE(one_of(g["memory_basis"], {"torch-reported", "metal-working-set", "nominal"}));
    EXPECT_TRUE(one_of(g["memory_measure"], {"mem_get_info", "nvidia-smi", "datasheet-GB", "datasheet-GiB",
                                             "recommendedMaxWorkingSetSize"}));
    EXPECT_EQ(g["memory_basis"] == "torch-reported", g["memory_measure"] == "mem_get_info");
    EXPECT_EQ(g["memory_basis"] == "metal-working-set", g["memory_measure"] == "recommendedMaxWorkingSetSize");
    EXPECT_TRUE(g["memory_note"].is_string() && g["memory_note"].get<std::string>().size() > 20);
    EXPECT_TRUE(g["architecture"].is_string() && !g["architecture"].get<std::string>().empty());
    EXPECT_TRUE(g["source"].is_string() && g["source"].get<std::string>().size() > 20);
    ASSERT_TRUE(g["nvswitch"].is_boolean());
    ASSERT_TRUE(g["memory_gib"].is_number() && g["memory_gb"].is_number());
    EXPECT_TRUE(g["pcie_gen"].is_null() || (g["pcie_gen"].is_number_integer() && g["pcie_gen"].get<int>() >= 3 &&
                                            g["pcie_gen"].get<int>() <= 6));

    // memory_gib follows the rule its memory_basis names (README "Presets"):
    const double gib = g["memory_gib"].get<double>();
    const double gb = g["memory_gb"].get<double>();
    const std::string basis = g["memory_measure"].get<std::string>();
    if (basis == "datasheet-GB") {
      EXPECT_NEAR(gib, gb * 1e9 / (1024.0 * 1024 * 1024), 0.005);  // decimal GB -> GiB
    } else if (basis == "datasheet-GiB") {
      // the marketed figure as GiB, or 15/16 of it where GDDR6 ECC is on by default
      EXPECT_TRUE(gib == gb || gib == gb * 15 / 16) << gib << " vs " << gb;
    } else if (basis == "recommendedMaxWorkingSetSize") {
      EXPECT_DOUBLE_EQ(gib, gb * 0.75);  // Metal recommendedMaxWorkingSetSize above 36 GB of RAM
    } else {
      // measured (torch / nvidia-smi): a little below the marketed capacity read as GiB
      EXPECT_LT(gib, gb);
      EXPECT_GT(gib, gb * 0.9);
    }

    // Dense peaks: positive where given, ordered as the hardware is (lower precision is never slower).
    ASSERT_TRUE(g["tflops"].is_object());
    auto tf = [&](const char* k) {
      const auto& v = g["tflops"][k];
      return v.is_number() ? v.get<double>() : NAN;
    };
    for (const char* k : {"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4"}) {
      const double v = tf(k);
      if (!std::isnan(v)) {
        EXPECT_GT(v, 1) << k;
        EXPECT_LT(v, 25000) << k;
      }
    }
    EXPECT_FALSE(std::isnan(tf("fp16")) && std::isnan(tf("bf16"))) << "no 16-bit peak";
    const double half = std::isnan(tf("bf16")) ? tf("fp16") : tf("bf16");
    if (!std::isnan(tf("fp32"))) EXPECT_LE(tf("fp32"), half + 1e-9);
    if (!std::isnan(tf("tf32"))) EXPECT_LE(tf("tf32"), half + 1e-9);
    if (!std::isnan(tf("fp8"))) EXPECT_GE(tf("fp8"), half - 1e-9);
    if (!std::isnan(tf("fp4"))) EXPECT_GE(tf("fp4"), tf("fp8") - 1e-9);

    // Interconnect: per-GPU one-direction GB/s; NVSwitch only on NVLink parts.
    const double link = g["interconnect_gbps"].get<double>();
    if (g["interconnect"] == "unified" || g["interconnect"] == "none") {
      EXPECT_EQ(link, 0);
    } else {
      EXPECT_GE(link, 16);
      EXPECT_LE(link, 900);
    }
    if (g["nvswitch"].get<bool>()) EXPECT_EQ(g["interconnect"], "nvlink");
    if (g["interconnect"] == "pcie") {
      // PCIe x16: ~16 GB/s one way per generation step from Gen3 (x8 halves it).
      const int gen = g["pcie_gen"].get<int>();
      EXPECT_TRUE(link == 16.0 * (1 << (gen - 3)) || link == 8.0 * (1 << (gen - 3))) << link;
    }
  }
}

TEST(PresetGpus, MeasuredTotals) {
  // torch.cuda.mem_get_info() totals in vLLM start-up logs (the project's validation data):
  auto gpus = parse_gpu_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/gpus.json"));
  ASSERT_TRUE(gpus.ok());
  Catalog c;
  c.gpus = *gpus;
  auto gib = [&](const char* id) {
    const GpuSpec* g = c.find_gpu(id);
    EXPECT_NE(g, nullptr) << id;
    return g ? g->memory_gib : 0.0;
  };
  EXPECT_EQ(gib("nvidia-h100-sxm"), 79.19);
  EXPECT_EQ(gib("nvidia-a100-sxm4-80gb"), 79.15);
  EXPECT_EQ(gib("nvidia-a100-sxm4-40gb"), 39.39);
  EXPECT_EQ(gib("nvidia-rtx-4090"), 23.64);
  EXPECT_EQ(gib("nvidia-rtx-3090"), 23.69);
  // H200: torch.cuda.mem_get_info() total 150,109,880,320 bytes measured on the project's H200 (validation
  // "context" row) = 139.80 GiB, not nvidia-smi's 143771 MiB = 140.40.
  EXPECT_NEAR(gib("nvidia-h200-sxm"), 150109880320.0 / (1024.0 * 1024 * 1024), 0.005);
  // Public torch totals: B200 178.35 GiB (nvidia-smi 183359 MiB = 179.06), RTX 5090 31.36 (32607 MiB = 31.84).
  EXPECT_EQ(gib("nvidia-b200"), 178.35);
  EXPECT_EQ(gib("nvidia-rtx-5090"), 31.36);
  // nvidia-smi memory.total MiB / 1024 (nominal): L40S, L40, L20, A40 46068 -> 44.99; A10G, A10 23028 -> 22.49.
  for (const char* id : {"nvidia-l40s", "nvidia-l40", "nvidia-l20", "nvidia-a40"}) EXPECT_NEAR(gib(id), 46068.0 / 1024, 0.005);
  for (const char* id : {"nvidia-a10g", "nvidia-a10"}) EXPECT_NEAR(gib(id), 23028.0 / 1024, 0.005);
  // Apple: 75% of 192 GB (llama.cpp logs recommendedMaxWorkingSetSize = 154618.82 MB = 144 GiB).
  EXPECT_EQ(gib("apple-m2-ultra"), 144.0);
  // The H100 SXM's dense BF16 peak: NVIDIA's 1,979 TFLOPS "with sparsity" / 2.
  EXPECT_EQ(c.find_gpu("nvidia-h100-sxm")->tflops.at("bf16"), 989.5);
  EXPECT_EQ(c.find_gpu("nvidia-h100-sxm")->interconnect_gbps, 450);  // NVLink 4: 900 GB/s both ways
}

TEST(PresetGpus, TwinsShareOneMemoryFigure) {
  // A part with the same memory as a measured one takes its measurement (memory_twin) instead of a rounder
  // datasheet figure: a mixture ranked the H200 NVL (141.0 "GiB") above the H200 SXM (139.80 as torch sees it).
  const nlohmann::json gpus = raw("gpus.json");
  auto find = [&](const std::string& id) -> const nlohmann::json* {
    for (const auto& g : gpus) {
      if (g["id"] == id) return &g;
    }
    return nullptr;
  };
  for (const auto& g : gpus) {
    if (!g.contains("memory_twin")) continue;
    const nlohmann::json* t = find(g["memory_twin"].get<std::string>());
    ASSERT_NE(t, nullptr) << g["id"];
    EXPECT_EQ(g["memory_gib"], (*t)["memory_gib"]) << g["id"];
    EXPECT_EQ(g["memory_basis"], (*t)["memory_basis"]) << g["id"];
    EXPECT_FALSE(t->contains("memory_twin")) << g["id"] << ": a twin of a twin";
  }
  // SXM and PCIe/NVL parts with the same memory, China-market cuts, and cards with the same nvidia-smi total:
  // one figure per group, so ranking by memory never prefers one over its twin.
  const std::vector<std::vector<const char*>> groups = {
      {"nvidia-h100-sxm", "nvidia-h100-pcie", "nvidia-h800-sxm"},
      {"nvidia-h200-sxm", "nvidia-h200-nvl"},
      {"nvidia-b200", "nvidia-b100"},
      {"nvidia-a100-sxm4-80gb", "nvidia-a100-pcie-80gb", "nvidia-a800-sxm4-80gb", "nvidia-a800-pcie-80gb"},
      {"nvidia-a100-sxm4-40gb", "nvidia-a100-pcie-40gb"},
      {"nvidia-v100-sxm2-32gb", "nvidia-v100-pcie-32gb"},
      {"nvidia-v100-sxm2-16gb", "nvidia-v100-pcie-16gb"},
      {"nvidia-l40s", "nvidia-l40", "nvidia-l20", "nvidia-a40"},
      {"nvidia-a10g", "nvidia-a10"},
      {"nvidia-rtx-4090", "nvidia-rtx-3090-ti"},
  };
  for (const auto& group : groups) {
    const nlohmann::json* first = find(group[0]);
    ASSERT_NE(first, nullptr) << group[0];
    for (const char* id : group) {
      const nlohmann::json* g = find(id);
      ASSERT_NE(g, nullptr) << id;
      EXPECT_EQ((*g)["memory_gib"], (*first)["memory_gib"]) << id << " vs " << group[0];
      EXPECT_EQ((*g)["memory_basis"], (*first)["memory_basis"]) << id << " vs " << group[0];
    }
  }
}

TEST(PresetGpus, NodesAndLinks) {
  // presets/gpus.json: the machines each GPU comes in (README "Deployments"); every figure carries a note and a
  // source.
  for (const auto& g : raw("gpus.json")) {
    const std::string id = g.value("id", "");
    SCOPED_TRACE(id);
    ASSERT_TRUE(g["gpus_per_node"].is_number_integer());
    ASSERT_TRUE(g["scale_up_domain"].is_number_integer());
    const int gpn = g["gpus_per_node"].get<int>();
    const int domain = g["scale_up_domain"].get<int>();
    EXPECT_GE(gpn, 1);
    EXPECT_LE(gpn, 8);  // HGX/OAM boards, PCIe servers, 4-GPU trays, desktops, Macs
    EXPECT_GE(domain, 1);
    EXPECT_LE(domain, 8960);  // TPU v5p pod
    EXPECT_TRUE(one_of(g["intra_node_link"], {"nvswitch", "nvlink", "xgmi", "pcie", "roce", "hccs", "ici", "none"}));
    EXPECT_TRUE(one_of(g["inter_node_link"], {"infiniband", "roce", "ethernet", "slingshot", "thunderbolt", "ici"}));
    const double intra = g["intra_node_gbps"].get<double>();
    const double inter = g["inter_node_gbps"].get<double>();
    const double link = g["interconnect_gbps"].get<double>();
    if (gpn == 1) {
      EXPECT_EQ(g["intra_node_link"], "none");
      EXPECT_EQ(intra, 0);
    } else {
      EXPECT_GE(intra, 16);   // PCIe Gen3 x16 one way, the slowest path inside a server
      EXPECT_LE(intra, 900);  // NVLink 5
    }
    EXPECT_GE(inter, 0.3);  // 10 GbE shared by a 4-card desktop
    EXPECT_LE(inter, 600);  // TPU v5p ICI
    EXPECT_TRUE(g["node_note"].is_string() && g["node_note"].get<std::string>().size() > 40);
    EXPECT_EQ(g["node_source"].get<std::string>().rfind("https://", 0), 0u);
    // The scale-up fabric: NVSwitch boards cover the node; PCIe-only cards have none beyond themselves; the
    // GPU-to-GPU path of the node is never faster than the fabric (PCIe between NVLink pairs).
    if (g["nvswitch"].get<bool>()) EXPECT_GE(domain, gpn);
    if (g["interconnect"] == "pcie") EXPECT_EQ(domain, 1);
    if (gpn > 1) EXPECT_LE(intra, link);
    if (domain > 1 && domain < gpn) EXPECT_EQ(g["intra_node_link"], "pcie");
    // NVIDIA parts state their CUDA compute capability (developer.nvidia.com/cuda-gpus); nobody else has one.
    if (g["vendor"] == "NVIDIA") {
      ASSERT_TRUE(g["compute_capability"].is_number());
      const double cc = g["compute_capability"].get<double>();
      EXPECT_TRUE(cc == 7.0 || cc == 7.5 || cc == 8.0 || cc == 8.6 || cc == 8.9 || cc == 9.0 || cc == 10.0 ||
                  cc == 12.0)
          << cc;
    } else {
      EXPECT_FALSE(g.contains("compute_capability"));
    }
  }
}

TEST(PresetGpus, NodeShapesOfKnownSystems) {
  Catalog c;
  auto gpus = parse_gpu_catalog(test::read_text(std::string(LLMSIZER_PRESETS_DIR) + "/gpus.json"));
  ASSERT_TRUE(gpus.ok());
  c.gpus = *gpus;
  auto at = [&](const char* id) -> const GpuSpec& { return *c.find_gpu(id); };
  // HGX H100: 8 GPUs on NVSwitch, one 400 Gb/s NDR NIC per GPU = 50 GB/s (DGX H100 user guide).
  EXPECT_EQ(at("nvidia-h100-sxm").gpus_per_node, 8);
  EXPECT_EQ(at("nvidia-h100-sxm").intra_node_link, "nvswitch");
  EXPECT_EQ(at("nvidia-h100-sxm").intra_node_gbps, 450);
  EXPECT_EQ(at("nvidia-h100-sxm").inter_node_gbps, 50);
  EXPECT_EQ(at("nvidia-a100-sxm4-80gb").inter_node_gbps, 25);  // HDR 200 Gb/s per GPU (DGX A100)
  // GB200 NVL72: 4-GPU compute trays in a 72-GPU NVLink domain.
  EXPECT_EQ(at("nvidia-gb200-per-gpu").gpus_per_node, 4);
  EXPECT_EQ(at("nvidia-gb200-per-gpu").scale_up_domain, 72);
  // H100 NVL pairs and H200 NVL groups of 4 on NVLink bridges, PCIe Gen5 between them, 8 cards per server.
  EXPECT_EQ(at("nvidia-h100-nvl").scale_up_domain, 2);
  EXPECT_EQ(at("nvidia-h200-nvl").scale_up_domain, 4);
  EXPECT_EQ(at("nvidia-h200-nvl").intra_node_gbps, 64);
  // A desktop of GeForce cards, a Mac, a Gaudi HLS node, a TPU v5e host in a 256-chip slice.
  EXPECT_EQ(at("nvidia-rtx-4090").gpus_per_node, 4);
  EXPECT_EQ(at("nvidia-rtx-4090").intra_node_link, "pcie");
  EXPECT_EQ(at("apple-m2-ultra").gpus_per_node, 1);
  EXPECT_EQ(at("intel-gaudi3").gpus_per_node, 8);
  EXPECT_EQ(at("intel-gaudi3").inter_node_gbps, 75);  // 3 x 200 GbE scale-out ports per card
  EXPECT_EQ(at("google-tpu-v5e").gpus_per_node, 8);
  EXPECT_EQ(at("google-tpu-v5e").scale_up_domain, 256);
  EXPECT_EQ(at("nvidia-h100-sxm").compute_capability, 9.0);
  EXPECT_EQ(at("nvidia-rtx-5090").compute_capability, 12.0);
  EXPECT_EQ(at("amd-mi300x").compute_capability, 0);
}

TEST(PresetGpus, CatalogueExposesNodes) {
  // `llmsizer --list-gpus --json` prints catalog_json's "gpus": the page and scripts read gpus_per_node there.
  const nlohmann::json cat = nlohmann::json::parse(catalog_json(builtin_catalog()));
  bool seen = false;
  for (const auto& g : cat["gpus"]) {
    EXPECT_TRUE(g["gpus_per_node"].is_number_integer()) << g["id"];
    EXPECT_GE(g["gpus_per_node"].get<int>(), 1) << g["id"];
    if (g["id"] == "nvidia-gb200-per-gpu") {
      seen = true;
      EXPECT_EQ(g["gpus_per_node"], 4);
      EXPECT_EQ(g["scale_up_domain"], 72);
      EXPECT_EQ(g["inter_node_link"], "infiniband");
    }
  }
  EXPECT_TRUE(seen);
}

// ---- engine x hardware support (presets/engine_support.json) --------------------------------------------------

TEST(PresetEngineSupport, RowsCiteTheirSources) {
  const nlohmann::json doc = raw("engine_support.json");
  const std::set<std::string> engines = {"generic", "vllm", "sglang", "transformers", "llama.cpp"};
  ASSERT_TRUE(doc["rows"].is_array());
  ASSERT_GE(doc["rows"].size(), 25u);
  for (const auto& r : doc["rows"]) {
    SCOPED_TRACE(r.dump());
    EXPECT_TRUE(engines.count(r.value("engine", "")));
    ASSERT_TRUE(r["match"].is_object());
    for (auto it = r["match"].begin(); it != r["match"].end(); ++it) {
      EXPECT_TRUE(it.key() == "vendor" || it.key() == "architectures" || it.key() == "min_compute_capability")
          << it.key();
    }
    ASSERT_TRUE(r["supported"].is_boolean());
    EXPECT_FALSE(r.value("via", "").empty());
    const std::string src = r.value("source", "");
    EXPECT_TRUE(src.rfind("https://", 0) == 0 || src.rfind("README.md", 0) == 0) << src;
    if (!r["supported"].get<bool>()) EXPECT_GT(r.value("reason", "").size(), 30u);
    if (r.contains("fp8")) EXPECT_EQ(r["fp8"].value("source", "").rfind("https://", 0), 0u);
  }
  std::set<std::string> listed;
  for (const auto& e : doc["engines"]) {
    listed.insert(e.value("engine", ""));
    EXPECT_TRUE(e["multi_node"].is_boolean());
    EXPECT_EQ(e.value("source", "").empty(), false);
  }
  EXPECT_EQ(listed, engines);
}

TEST(PresetEngineSupport, EveryPresetHasARowForEveryEngine) {
  // The first row of an engine whose match holds decides (deploy::support); with no row at all the answer would
  // be an unexplained "no". Checked here on the file, independently of the embedded tables.
  const nlohmann::json doc = raw("engine_support.json");
  for (const auto& g : raw("gpus.json")) {
    for (const char* engine : {"generic", "vllm", "sglang", "transformers", "llama.cpp"}) {
      bool found = false;
      for (const auto& r : doc["rows"]) {
        if (r["engine"] != engine) continue;
        const auto& m = r["match"];
        if (m.contains("vendor") && m["vendor"] != g["vendor"]) continue;
        if (m.contains("architectures")) {
          bool in = false;
          for (const auto& a : m["architectures"]) in = in || a == g["architecture"];
          if (!in) continue;
        }
        if (m.contains("min_compute_capability") &&
            !(g.value("compute_capability", 0.0) >= m["min_compute_capability"].get<double>())) {
          continue;
        }
        found = true;
        break;
      }
      EXPECT_TRUE(found) << engine << " on " << g["id"];
    }
  }
}

TEST(PresetEngineSupport, EmbeddedTablesMatchTheFile) {
  const nlohmann::json doc = raw("engine_support.json");
  const auto& rows = deploy::builtin_support_rows();
  ASSERT_EQ(rows.size(), doc["rows"].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = doc["rows"][i];
    EXPECT_EQ(rows[i].engine, r["engine"].get<std::string>());
    EXPECT_EQ(rows[i].supported, r["supported"].get<bool>());
    EXPECT_EQ(rows[i].source, r["source"].get<std::string>());
    EXPECT_EQ(rows[i].reason, r.value("reason", ""));
  }
  EXPECT_EQ(deploy::builtin_engines().size(), doc["engines"].size());
}

// ---- models: the catalogue the page and scripts rely on --------------------------------------------

TEST(PresetModels, RequiredEntriesAndMetadata) {
  const nlohmann::json models = raw("models.json");
  ASSERT_GE(models.size(), 30u);
  // The page preselects Qwen/Qwen2.5-7B-Instruct: it leads the list.
  EXPECT_EQ(models[0]["id"], "Qwen/Qwen2.5-7B-Instruct");
  std::set<std::string> ids;
  for (const auto& m : models) {
    const std::string id = m["id"].get<std::string>();
    ids.insert(id);
    SCOPED_TRACE(id);
    EXPECT_TRUE(m["gated"].is_boolean());
    EXPECT_EQ(m["source"], "https://huggingface.co/" + id + "/blob/main/config.json");
    EXPECT_TRUE(m["config_provenance"].is_string() && !m["config_provenance"].get<std::string>().empty());
    EXPECT_TRUE(m["config"].contains("architectures"));
    EXPECT_TRUE(m["config"].contains("model_type"));
    const bool gated_org = id.rfind("meta-llama/", 0) == 0 || id.rfind("google/", 0) == 0;
    if (gated_org) EXPECT_TRUE(m["gated"].get<bool>());
    if (id.rfind("Qwen/", 0) == 0 || id.rfind("deepseek-ai/", 0) == 0) EXPECT_FALSE(m["gated"].get<bool>());
  }
  for (const char* id :
       {"meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-13b-hf", "meta-llama/Llama-2-70b-hf",
        "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-405B-Instruct",
        "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct", "meta-llama/Llama-3.3-70B-Instruct",
        "Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-3B-Instruct",
        "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-32B-Instruct",
        "Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-4B", "Qwen/Qwen3-8B", "Qwen/Qwen3-14B",
        "Qwen/Qwen3-32B", "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-235B-A22B", "mistralai/Mistral-7B-Instruct-v0.3",
        "mistralai/Mistral-7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x22B-Instruct-v0.1",
        "google/gemma-2-2b-it", "google/gemma-2-9b-it", "google/gemma-2-27b-it", "google/gemma-3-1b-it",
        "google/gemma-3-4b-it", "google/gemma-3-12b-it", "google/gemma-3-27b-it", "microsoft/Phi-3-mini-4k-instruct",
        "microsoft/Phi-3-medium-128k-instruct", "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-R1",
        "deepseek-ai/DeepSeek-V2-Lite-Chat", "openai-community/gpt2", "openai/gpt-oss-20b", "openai/gpt-oss-120b",
        "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-7B-Instruct-AWQ",
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  // Gemma 3 4B/12B/27B are multimodal wrappers: the language model sits under text_config.
  for (const auto& m : models) {
    const std::string id = m["id"].get<std::string>();
    if (id.rfind("google/gemma-3-", 0) != 0 || id == "google/gemma-3-1b-it") continue;
    EXPECT_TRUE(m["config"].contains("text_config") && m["config"].contains("vision_config")) << id;
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
