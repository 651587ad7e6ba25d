// core/src/deploy: engine x hardware support, node-shaped layouts, links, launch commands, latency targets, cost.
// Every expected number is worked out by hand in the comment beside it.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "deploy/deploy.h"

namespace llmsizer::deploy {
namespace {

const GpuSpec& preset(const char* id) {
  const GpuSpec* g = builtin_catalog().find_gpu(id);
  if (!g) {
    ADD_FAILURE() << "no preset " << id;
    static const GpuSpec none;
    return none;
  }
  return *g;
}

NodeShape shape(const char* id) { return node_shape(preset(id)); }

const std::vector<std::string> kEngines = {"generic", "vllm", "sglang", "transformers", "llama.cpp"};

// ---- support -------------------------------------------------------------------------------------------------

TEST(DeploySupport, EveryEngineHasAnAnswerForEveryPreset) {
  for (const std::string& e : kEngines) {
    for (const GpuSpec& g : builtin_catalog().gpus) {
      const Support s = support(e, g);
      SCOPED_TRACE(e + " on " + g.id);
      EXPECT_FALSE(s.source.empty());
      EXPECT_FALSE(s.via.empty());
      if (!s.supported) EXPECT_GT(s.reason.size(), 20u) << "an exclusion must say why";
    }
  }
}

TEST(DeploySupport, VllmRunsOnNoAppleMachine) {
  // The case: DeepSeek-R1 on vLLM recommended "8 x M3 Max (TP 8)". vLLM runs on CUDA, ROCm, XPU and its
  // plugins; on Apple Silicon only the community vLLM-Metal plugin (MLX) exists.
  int apple = 0;
  for (const GpuSpec& g : builtin_catalog().gpus) {
    if (g.vendor != "Apple") continue;
    ++apple;
    const Support s = support("vllm", g);
    EXPECT_FALSE(s.supported) << g.id;
    EXPECT_NE(s.reason.find("vLLM-Metal"), std::string::npos) << s.reason;
    EXPECT_NE(s.source.find("gpu.apple.inc.md"), std::string::npos) << s.source;
  }
  EXPECT_EQ(apple, 3);
}

TEST(DeploySupport, RowsAgainstTheirSources) {
  struct Case {
    const char* engine;
    const char* gpu;
    bool supported;
    const char* via;  // substring
  };
  // vLLM gpu.cuda.inc.md: compute capability >= 7.5 (current docs); v0.14.0 docs: >= 7.0 (V100).
  // vLLM gpu.rocm.inc.md: MI200s gfx90a, MI300 gfx942, MI350 gfx950, RX 7900 gfx1100. Plugins: Gaudi, TPU, Ascend.
  // SGLang: FlashInfer SM75+; ROCm images gfx942/gfx950; Ascend NPUs; TPU through SGLang-JAX (v6e, v7); no Gaudi.
  // llama.cpp build.md: Metal, CUDA, HIP, Vulkan, SYCL, CANN; no TPU or Gaudi backend.
  // transformers hardware page: cuda (NVIDIA, AMD ROCm), mps, hpu, npu, tpu.
  const Case cases[] = {
      {"vllm", "nvidia-h100-sxm", true, "CUDA"},         {"vllm", "nvidia-t4", true, "CUDA"},
      {"vllm", "nvidia-v100-sxm2-32gb", true, "CUDA"},   {"vllm", "amd-mi300x", true, "ROCm"},
      {"vllm", "amd-mi250x", true, "ROCm"},              {"vllm", "amd-rx-7900-xtx", true, "ROCm"},
      {"vllm", "intel-gaudi3", true, "vllm-gaudi"},      {"vllm", "google-tpu-v5p", true, "tpu-inference"},
      {"vllm", "huawei-ascend-910b", true, "vllm-ascend"}, {"vllm", "apple-m4-max", false, ""},
      {"sglang", "nvidia-t4", true, "CUDA"},             {"sglang", "nvidia-v100-pcie-16gb", false, ""},
      {"sglang", "amd-mi355x", true, "ROCm"},            {"sglang", "amd-mi210", false, ""},
      {"sglang", "huawei-ascend-910b", true, "Ascend"},  {"sglang", "google-tpu-v5e", false, ""},
      {"sglang", "intel-gaudi2", false, ""},             {"sglang", "apple-m2-ultra", false, ""},
      {"llama.cpp", "apple-m2-ultra", true, "Metal"},    {"llama.cpp", "huawei-ascend-910b", true, "CANN"},
      {"llama.cpp", "amd-mi300x", true, "HIP"},          {"llama.cpp", "intel-gaudi3", false, ""},
      {"llama.cpp", "google-tpu-v5e", false, ""},        {"transformers", "apple-m3-max", true, "MPS"},
      {"transformers", "intel-gaudi2", true, "HPU"},     {"transformers", "google-tpu-v5e", true, "TPU"},
      {"generic", "apple-m3-max", true, "any"},
  };
  for (const Case& c : cases) {
    const Support s = support(c.engine, preset(c.gpu));
    EXPECT_EQ(s.supported, c.supported) << c.engine << " on " << c.gpu << ": " << s.reason;
    if (c.supported) EXPECT_NE(s.via.find(c.via), std::string::npos) << c.engine << " on " << c.gpu << ": " << s.via;
  }
  // Volta on vLLM is supported with the version caveat; a plugin says its memory manager differs.
  EXPECT_NE(support("vllm", preset("nvidia-v100-sxm2-32gb")).note.find("v0.14"), std::string::npos);
  EXPECT_TRUE(support("vllm", preset("nvidia-h100-sxm")).note.empty());
  EXPECT_NE(support("vllm", preset("intel-gaudi2")).note.find("plugin"), std::string::npos);
}

TEST(DeploySupport, FirstMatchingRowWins) {
  std::vector<SupportRow> rows(3);
  rows[0].engine = "e";
  rows[0].vendor = "X";
  rows[0].min_compute_capability = 8.0;
  rows[0].supported = true;
  rows[0].via = "fast";
  rows[1].engine = "e";
  rows[1].vendor = "X";
  rows[1].architectures = {"old"};
  rows[1].supported = true;
  rows[1].via = "legacy";
  rows[2].engine = "e";
  rows[2].vendor = "X";
  rows[2].reason = "too old";
  GpuSpec g;
  g.vendor = "X";
  g.compute_capability = 8.6;  // >= 8.0: row 0
  EXPECT_EQ(support("e", g, rows).via, "fast");
  g.compute_capability = 7.5;  // below 8.0, architecture not "old": row 2
  EXPECT_FALSE(support("e", g, rows).supported);
  EXPECT_EQ(support("e", g, rows).reason, "too old");
  g.architecture = "old";  // row 1
  EXPECT_EQ(support("e", g, rows).via, "legacy");
  g.compute_capability = 0;  // unknown never meets a minimum: still row 1
  EXPECT_EQ(support("e", g, rows).via, "legacy");
  g.vendor = "Y";  // no row of "e" matches
  EXPECT_FALSE(support("e", g, rows).supported);
  EXPECT_NE(support("e", g, rows).reason.find("no e support row"), std::string::npos);
  EXPECT_FALSE(support("nope", g, rows).supported);  // unknown engine
}

TEST(DeploySupport, CustomGpuIsNotChecked) {
  GpuSpec g;
  g.id = "custom";
  g.custom = true;
  const Support s = support("vllm", g);
  EXPECT_TRUE(s.supported);
  EXPECT_NE(s.note.find("not checked"), std::string::npos);
}

TEST(DeploySupport, Fp8KernelsByComputeCapability) {
  // vLLM FP8 W8A8 from compute capability 8.9 (Ada, Hopper, Blackwell); weight-only FP8 Marlin from 7.5.
  EXPECT_EQ(fp8_kernels("vllm", preset("nvidia-h100-sxm")), Fp8Kernels::kNative);       // 9.0
  EXPECT_EQ(fp8_kernels("vllm", preset("nvidia-l40s")), Fp8Kernels::kNative);           // 8.9
  EXPECT_EQ(fp8_kernels("vllm", preset("nvidia-a100-sxm4-80gb")), Fp8Kernels::kWeightOnly);  // 8.0
  EXPECT_EQ(fp8_kernels("vllm", preset("nvidia-t4")), Fp8Kernels::kWeightOnly);         // 7.5
  EXPECT_EQ(fp8_kernels("vllm", preset("nvidia-v100-sxm2-16gb")), Fp8Kernels::kNone);   // 7.0
  EXPECT_EQ(fp8_kernels("vllm", preset("amd-mi300x")), Fp8Kernels::kUnknown);           // no data in the row
  EXPECT_EQ(fp8_kernels("sglang", preset("nvidia-h100-sxm")), Fp8Kernels::kUnknown);
}

TEST(DeploySupport, EngineMultiNodeFacts) {
  ASSERT_NE(engine_info("transformers"), nullptr);
  EXPECT_FALSE(engine_info("transformers")->multi_node);
  for (const char* e : {"vllm", "sglang", "llama.cpp", "generic"}) {
    ASSERT_NE(engine_info(e), nullptr) << e;
    EXPECT_TRUE(engine_info(e)->multi_node) << e;
    EXPECT_FALSE(engine_info(e)->source.empty()) << e;
  }
  EXPECT_NE(engine_info("vllm")->multi_node_via.find("--nnodes"), std::string::npos);
  EXPECT_NE(engine_info("sglang")->multi_node_via.find("--dist-init-addr"), std::string::npos);
  EXPECT_NE(engine_info("llama.cpp")->multi_node_via.find("rpc-server"), std::string::npos);
  EXPECT_EQ(engine_info("tensorrt-llm"), nullptr);
}

// ---- nodes ---------------------------------------------------------------------------------------------------

TEST(DeployNodes, ShapesFromPresets) {
  const NodeShape h = shape("nvidia-h100-sxm");  // HGX H100: 8 on NVSwitch, NDR 400 Gb/s per GPU
  EXPECT_EQ(h.gpus_per_node, 8);
  EXPECT_EQ(h.scale_up_domain, 8);
  EXPECT_EQ(h.scale_up.kind, "nvlink");
  EXPECT_EQ(h.scale_up.gbps, 450);
  EXPECT_EQ(h.inter_node.kind, "infiniband");
  EXPECT_EQ(h.inter_node.gbps, 50);
  EXPECT_FALSE(h.assumed);
  const NodeShape gb = shape("nvidia-gb200-per-gpu");  // 4-GPU trays in a 72-GPU NVLink domain
  EXPECT_EQ(gb.gpus_per_node, 4);
  EXPECT_EQ(gb.scale_up_domain, 72);
  EXPECT_TRUE(gb.scale_up.crosses_nodes);
  const NodeShape mac = shape("apple-m2-ultra");
  EXPECT_EQ(mac.gpus_per_node, 1);
  EXPECT_EQ(mac.intra_node.kind, "none");
  EXPECT_EQ(mac.inter_node.gbps, 1.25);  // 10 GbE
  GpuSpec custom;
  const NodeShape c = node_shape(custom);  // the documented defaults
  EXPECT_TRUE(c.assumed);
  EXPECT_EQ(c.gpus_per_node, 8);
  EXPECT_EQ(c.intra_node.gbps, 25);
  EXPECT_EQ(c.inter_node.gbps, 25);
}

TEST(DeployNodes, NodesNeeded) {
  const NodeShape h = shape("nvidia-h100-sxm");
  EXPECT_EQ(nodes_for(1, h), 1);
  EXPECT_EQ(nodes_for(8, h), 1);
  EXPECT_EQ(nodes_for(11, h), 2);  // ceil(11 / 8)
  EXPECT_EQ(nodes_for(16, h), 2);
  EXPECT_EQ(nodes_for(17, h), 3);
  EXPECT_EQ(nodes_for(6, shape("apple-m3-max")), 6);  // one GPU per Mac
}

// ---- layouts -------------------------------------------------------------------------------------------------

TEST(DeployLayouts, SixteenH100s) {
  // 16 GPUs = 2 HGX nodes. tp <= 8 and divides 8; a replica packs into a node or fills whole nodes:
  // tp 8: pp 1 (dp 2), pp 2; tp 4: pp 1, 2, 4; tp 2: pp 1, 2, 4, 8; tp 1: pp 1, 2, 4, 8, 16 -> 14 layouts.
  const std::vector<Layout> ls = node_layouts(16, shape("nvidia-h100-sxm"));
  ASSERT_EQ(ls.size(), 14u);
  EXPECT_EQ(ls[0], (Layout{8, 1, 2}));
  EXPECT_EQ(ls[1], (Layout{8, 2, 1}));
  EXPECT_EQ(ls[2], (Layout{4, 1, 4}));
  EXPECT_EQ(ls.back(), (Layout{1, 16, 1}));
  for (const Layout& l : ls) EXPECT_EQ(l.gpus(), 16);
}

TEST(DeployLayouts, ElevenH100sAreNotPipelinedElevenDeep) {
  // The "11 x H100, PP 11": 11 GPUs span 2 nodes; no TP size above 1 divides both 11 and 8, and a
  // replica of 11 GPUs would not fill whole nodes: only 11 one-GPU replicas remain.
  const std::vector<Layout> ls = node_layouts(11, shape("nvidia-h100-sxm"));
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0], (Layout{1, 1, 11}));
}

TEST(DeployLayouts, TensorParallelNeverCrossesANode) {
  for (const GpuSpec& g : builtin_catalog().gpus) {
    const NodeShape s = node_shape(g);
    for (int64_t gpus = 1; gpus <= 64; ++gpus) {
      for (const Layout& l : node_layouts(gpus, s)) {
        SCOPED_TRACE(g.id + " " + std::to_string(gpus) + " GPUs tp " + std::to_string(l.tp));
        if (l.tp > s.gpus_per_node) {
          // only on a fabric that spans hosts, in whole nodes of it
          EXPECT_LE(l.tp, s.scale_up_domain);
          EXPECT_EQ(l.tp % s.gpus_per_node, 0);
        } else if (gpus > s.gpus_per_node) {
          EXPECT_EQ(s.gpus_per_node % l.tp, 0);  // groups tile the nodes: none straddles two
        }
        EXPECT_EQ(l.gpus(), gpus);
      }
    }
  }
}

TEST(DeployLayouts, Gb200TensorParallelAcrossTraysInsideTheRack) {
  // 16 GB200 GPUs = 4 trays in one NVL72 domain: TP 16 runs on NVLink across the trays.
  const std::vector<Layout> ls = node_layouts(16, shape("nvidia-gb200-per-gpu"));
  ASSERT_FALSE(ls.empty());
  EXPECT_EQ(ls[0], (Layout{16, 1, 1}));
  EXPECT_EQ(tp_link(16, shape("nvidia-gb200-per-gpu")).gbps, 900);
  // 144 GPUs = two racks: a TP group must divide the 72-GPU domain, so 16 is out and 8 is in.
  bool tp16 = false, tp8 = false;
  for (const Layout& l : node_layouts(144, shape("nvidia-gb200-per-gpu"))) {
    tp16 = tp16 || l.tp == 16;
    tp8 = tp8 || l.tp == 8;
  }
  EXPECT_FALSE(tp16);
  EXPECT_TRUE(tp8);
}

TEST(DeployLayouts, RulesNarrowTheList) {
  const NodeShape h = shape("nvidia-h100-sxm");
  LayoutRules one_node;
  one_node.max_nodes = 1;  // transformers: one process, one machine
  EXPECT_TRUE(node_layouts(16, h, one_node).empty());
  EXPECT_EQ(node_layouts(8, h, one_node).size(), 10u);  // (tp, pp) over divisors of 8: 4 + 3 + 2 + 1
  LayoutRules heads;
  heads.tp_ok = [](int64_t tp) { return 40 % tp == 0; };  // 40 heads: tp 1, 2, 4, 8 pass
  heads.allow_dp = false;
  const std::vector<Layout> ls = node_layouts(16, h, heads);
  // dp = 1 only: tp 8 pp 2; tp 4 pp 4; tp 2 pp 8; tp 1 pp 16
  ASSERT_EQ(ls.size(), 4u);
  EXPECT_EQ(ls[0], (Layout{8, 2, 1}));
  EXPECT_EQ(ls[3], (Layout{1, 16, 1}));
  const std::vector<Layout> macs = node_layouts(3, shape("apple-m2-ultra"));  // one GPU per machine
  ASSERT_EQ(macs.size(), 2u);
  EXPECT_EQ(macs[0], (Layout{1, 1, 3}));
  EXPECT_EQ(macs[1], (Layout{1, 3, 1}));
}

TEST(DeployLayouts, NodesAndConvention) {
  const NodeShape h = shape("nvidia-h100-sxm");
  EXPECT_EQ(layout_nodes({8, 2, 1}, h), 2);
  EXPECT_EQ(layout_nodes({8, 2, 2}, h), 4);
  EXPECT_EQ(layout_nodes({4, 1, 3}, h), 2);   // 2 replicas of 4 per node: ceil(3 / 2)
  EXPECT_EQ(layout_nodes({1, 1, 11}, h), 2);  // ceil(11 / 8)
  EXPECT_EQ(layout_nodes({1, 3, 1}, shape("apple-m4-max")), 3);
  EXPECT_TRUE(conventional({8, 2, 1}, h));    // PP = nodes: what vLLM's guide does
  EXPECT_TRUE(conventional({8, 1, 2}, h));
  EXPECT_FALSE(conventional({4, 4, 1}, h));   // 4 stages on 2 nodes
  EXPECT_FALSE(conventional({1, 8, 1}, h));   // pipeline inside one node
  EXPECT_TRUE(conventional({1, 3, 1}, shape("apple-m4-max")));  // 3 Macs, one stage each
}

TEST(DeployLayouts, RankFewestNodesThenGpusThenThroughput) {
  auto cand = [](const char* gpu, Layout l, int64_t nodes, bool conv, bool fits, double tput) {
    Candidate c;
    c.gpu_id = gpu;
    c.layout = l;
    c.nodes = nodes;
    c.conventional = conv;
    c.fits = fits;
    c.throughput_per_gpu = tput;
    return c;
  };
  const std::vector<Candidate> in = {
      cand("nvidia-h100-sxm", {8, 2, 1}, 2, true, true, 100),
      cand("nvidia-h100-sxm", {4, 4, 1}, 2, false, true, 150),  // unconventional: dropped, a conventional one fits
      cand("nvidia-b200", {8, 1, 1}, 1, true, true, 50),
      cand("amd-mi300x", {8, 1, 1}, 1, true, true, 80),
      cand("nvidia-h200-sxm", {4, 1, 1}, 1, true, true, 30),
      cand("nvidia-l4", {1, 1, 1}, 1, true, false, 999),  // does not fit: dropped
  };
  const std::vector<Candidate> out = select(in);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].gpu_id, "nvidia-h200-sxm");  // 1 node, 4 GPUs
  EXPECT_EQ(out[1].gpu_id, "amd-mi300x");       // 1 node, 8 GPUs, 80 tok/s per GPU
  EXPECT_EQ(out[2].gpu_id, "nvidia-b200");      // 1 node, 8 GPUs, 50
  EXPECT_EQ(out[3].layout, (Layout{8, 2, 1}));  // 2 nodes
  // Only when nothing conventional fits do the deep pipelines come back.
  const std::vector<Candidate> only = select({in[1], in[5]});
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].layout, (Layout{4, 4, 1}));
}

// ---- communication -------------------------------------------------------------------------------------------

TEST(DeployComm, LinksOfTensorAndPipelineGroups) {
  EXPECT_EQ(tp_link(1, shape("nvidia-h100-sxm")).kind, "none");
  EXPECT_EQ(tp_link(8, shape("nvidia-h100-sxm")).gbps, 450);  // NVLink 4 through NVSwitch
  EXPECT_EQ(tp_link(2, shape("nvidia-h100-nvl")).gbps, 300);  // inside a bridged pair
  const Link nvl4 = tp_link(4, shape("nvidia-h100-nvl"));     // across pairs: PCIe Gen5
  EXPECT_EQ(nvl4.kind, "pcie");
  EXPECT_EQ(nvl4.gbps, 64);
  EXPECT_EQ(tp_link(4, shape("nvidia-h200-nvl")).gbps, 450);  // NVL4 bridge
  EXPECT_EQ(tp_link(2, shape("nvidia-l40s")).kind, "pcie");
  EXPECT_EQ(tp_link(2, shape("nvidia-l40s")).gbps, 32);
  const Link ib = pp_link({8, 2, 1}, shape("nvidia-h100-sxm"));  // stages on two nodes
  EXPECT_EQ(ib.kind, "infiniband");
  EXPECT_EQ(ib.gbps, 50);
  EXPECT_TRUE(ib.crosses_nodes);
  EXPECT_EQ(pp_link({4, 2, 1}, shape("nvidia-h100-sxm")).gbps, 450);  // both stages on one NVSwitch
  EXPECT_EQ(pp_link({2, 2, 1}, shape("nvidia-h100-nvl")).kind, "pcie");
  EXPECT_EQ(pp_link({1, 2, 1}, shape("apple-m2-ultra")).kind, "ethernet");
  EXPECT_EQ(pp_link({8, 1, 2}, shape("nvidia-h100-sxm")).kind, "none");
}

TEST(DeployComm, RingAllReduceAndPipelineSend) {
  // 2 (tp - 1) / tp x bytes: tp 8 -> 1.75 x, tp 2 -> 1 x, tp 1 -> nothing.
  EXPECT_DOUBLE_EQ(ring_allreduce_bytes_per_gpu(1e6, 8), 1.75e6);
  EXPECT_DOUBLE_EQ(ring_allreduce_bytes_per_gpu(1e6, 2), 1e6);
  EXPECT_EQ(ring_allreduce_bytes_per_gpu(1e6, 1), 0);
  // Llama-3-70B decode step, 64 sequences: hidden 8192 x 64 tokens x 2 bytes = 1,048,576 bytes per all-reduce.
  // TP 8 on H100: 1.75 x 1,048,576 = 1,835,008 bytes per GPU / 450e9 B/s = 4.0778e-6 s.
  EXPECT_NEAR(allreduce_seconds(1048576, 8, shape("nvidia-h100-sxm")), 1835008.0 / 450e9, 1e-15);
  // TP 8 of L40S over PCIe Gen4 (32 GB/s): 1,835,008 / 32e9 = 5.7344e-5 s, 14x the NVLink time.
  EXPECT_NEAR(allreduce_seconds(1048576, 8, shape("nvidia-l40s")), 1835008.0 / 32e9, 1e-15);
  // PP hand-off of the same activations between two HGX nodes: 8 TP ranks each send 1/8 over their own
  // 50 GB/s NIC: 1,048,576 / (8 x 50e9) = 2.62144e-6 s.
  EXPECT_NEAR(pp_send_seconds(1048576, {8, 2, 1}, shape("nvidia-h100-sxm")), 2.62144e-6, 1e-15);
  // Between two Macs on 10 GbE: 1,048,576 / 1.25e9 = 8.388608e-4 s.
  EXPECT_NEAR(pp_send_seconds(1048576, {1, 2, 1}, shape("apple-m2-ultra")), 8.388608e-4, 1e-12);
  EXPECT_EQ(pp_send_seconds(1048576, {8, 1, 1}, shape("nvidia-h100-sxm")), 0);
}

// ---- launch commands -----------------------------------------------------------------------------------------

std::vector<NodeCommand> commands(const CommandInputs& in) {
  auto r = launch_commands(in);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  return *r;
}

TEST(DeployCommands, VllmTensorInsideNodesPipelineAcross) {
  CommandInputs in;
  in.engine = "vllm";
  in.model = "deepseek-ai/DeepSeek-R1";
  in.layout = {8, 2, 1};
  in.extra_args = "--max-model-len 8192";
  const auto c = commands(in);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].role, "head");
  EXPECT_EQ(c[0].command,
            "vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 --pipeline-parallel-size 2 --nnodes 2 "
            "--node-rank 0 --master-addr <HEAD_NODE_IP> --max-model-len 8192");
  EXPECT_EQ(c[1].node, 1);
  EXPECT_EQ(c[1].command,
            "vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 --pipeline-parallel-size 2 --nnodes 2 "
            "--node-rank 1 --master-addr <HEAD_NODE_IP> --headless --max-model-len 8192");
}

TEST(DeployCommands, VllmSingleNodeAndDataParallelAcrossNodes) {
  CommandInputs in;
  in.engine = "vllm";
  in.model = "m";
  in.layout = {8, 1, 1};
  auto c = commands(in);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].command, "vllm serve m --tensor-parallel-size 8");
  // DP 8 of TP 2 on 8-GPU nodes: 4 replicas per node, 2 nodes, ranks 4-7 on the second.
  in.layout = {2, 1, 8};
  c = commands(in);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].command,
            "vllm serve m --tensor-parallel-size 2 --data-parallel-size 8 --data-parallel-size-local 4 "
            "--data-parallel-address <HEAD_NODE_IP> --data-parallel-rpc-port 13345");
  EXPECT_EQ(c[1].command,
            "vllm serve m --tensor-parallel-size 2 --data-parallel-size 8 --data-parallel-size-local 4 "
            "--data-parallel-address <HEAD_NODE_IP> --data-parallel-rpc-port 13345 --headless "
            "--data-parallel-start-rank 4");
  // Two replicas of two nodes each: independent deployments (behind a load balancer).
  in.layout = {8, 2, 2};
  c = commands(in);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[2].node, 2);
  EXPECT_EQ(c[2].role, "replica 1 head");
  EXPECT_NE(c[2].command.find("--node-rank 0 --master-addr <NODE2_IP>"), std::string::npos) << c[2].command;
  EXPECT_NE(c[3].command.find("--node-rank 1 --master-addr <NODE2_IP> --headless"), std::string::npos);
}

TEST(DeployCommands, SglangNnodesNodeRankDistInitAddr) {
  CommandInputs in;
  in.engine = "sglang";
  in.model = "meta-llama/Llama-3.1-405B-Instruct";
  in.layout = {8, 2, 1};
  const auto c = commands(in);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].command,
            "python -m sglang.launch_server --model-path meta-llama/Llama-3.1-405B-Instruct --tp 8 --pp-size 2 "
            "--dist-init-addr <HEAD_NODE_IP>:20000 --nnodes 2 --node-rank 1");
}

TEST(DeployCommands, LlamaCppRpcServersAndHead) {
  CommandInputs in;
  in.engine = "llama.cpp";
  in.model = "unsloth/DeepSeek-R1-GGUF:Q4_K_M";
  in.layout = {1, 3, 1};
  in.gpus_per_node = 1;  // three Macs
  in.extra_args = "-c 8192 -ngl all";
  const auto c = commands(in);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].command,
            "llama-server -hf unsloth/DeepSeek-R1-GGUF:Q4_K_M -c 8192 -ngl all --rpc <NODE1_IP>:50052,<NODE2_IP>:50052");
  EXPECT_EQ(c[1].role, "rpc-server");
  EXPECT_EQ(c[2].command, "rpc-server -H 0.0.0.0 -p 50052 -c");
  in.model = "model-Q4_K_M.gguf";
  EXPECT_EQ(commands(in)[0].command.rfind("llama-server -m model-Q4_K_M.gguf", 0), 0u);
}

TEST(DeployCommands, BadInputsAreErrors) {
  CommandInputs in;
  in.engine = "llama.cpp";
  in.model = "m.gguf";
  in.layout = {2, 1, 1};
  EXPECT_EQ(launch_commands(in).error().code, ErrorCode::kConflictingOptions);
  in.engine = "transformers";
  in.layout = {1, 1, 1};
  EXPECT_EQ(launch_commands(in).error().code, ErrorCode::kInvalidRequest);
  in.engine = "vllm";
  in.model = "";
  EXPECT_FALSE(launch_commands(in).ok());
  in.model = "m";
  in.layout = {0, 1, 1};
  EXPECT_FALSE(launch_commands(in).ok());
}

// ---- latency targets -----------------------------------------------------------------------------------------

// TPOT = 10 ms + 0.5 ms per concurrent request; TTFT = 50 ms + 2 ms per request (linear, monotone).
LatencyPoint linear(int64_t c) {
  LatencyPoint p;
  p.tpot_seconds = 0.010 + 0.0005 * static_cast<double>(c);
  p.ttft_seconds = 0.050 + 0.002 * static_cast<double>(c);
  return p;
}

TEST(DeployTargets, LargestConcurrencyMeetingBothTargets) {
  // TPOT <= 30.2 ms: 10 + 0.5 c <= 30.2 -> c <= 40.4; TTFT <= 101 ms: 50 + 2 c <= 101 -> c <= 25.5. Both: 25.
  const TargetResult r = max_concurrency_at_target(linear, 1000, 30.2, 101);
  ASSERT_TRUE(r.met);
  EXPECT_EQ(r.concurrency, 25);
  EXPECT_NEAR(r.at.tpot_seconds, 0.0225, 1e-12);   // 10 + 12.5 ms
  EXPECT_NEAR(r.at.ttft_seconds, 0.100, 1e-12);    // 50 + 50 ms
  EXPECT_NEAR(r.at.throughput_tokens_per_s, 25 / 0.0225, 1e-9);  // 1,111.1 tokens/s
  EXPECT_LE(r.evaluations, 12);  // 2 ends + ceil(log2(1000)) halvings
  // The target is met there and missed one above.
  EXPECT_LE(linear(25).ttft_seconds * 1e3, 101);
  EXPECT_GT(linear(26).ttft_seconds * 1e3, 101);
  // TPOT alone: 40 (30 ms), since 41 gives 30.5 ms.
  EXPECT_EQ(max_concurrency_at_target(linear, 1000, 30.2, 0).concurrency, 40);
  // No target: the whole range.
  EXPECT_EQ(max_concurrency_at_target(linear, 1000, 0, 0).concurrency, 1000);
  EXPECT_EQ(max_concurrency_at_target(linear, 1, 30.2, 101).concurrency, 1);
}

TEST(DeployTargets, UnreachableTargetSaysWhy) {
  const TargetResult r = max_concurrency_at_target(linear, 1000, 5, 0);  // one request already takes 10.5 ms
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.concurrency, 0);
  EXPECT_EQ(r.evaluations, 1);
  EXPECT_NE(r.reason.find("takes 10.5 ms per output token, above the 5 ms target"), std::string::npos) << r.reason;
  const TargetResult t = max_concurrency_at_target(linear, 1000, 0, 40);  // TTFT at 1 request: 52 ms
  EXPECT_NE(t.reason.find("waits 52 ms for its first token, above the 40 ms target"), std::string::npos) << t.reason;
  EXPECT_FALSE(max_concurrency_at_target(nullptr, 10, 1, 1).met);
}

TEST(DeployTargets, BinarySearchAgreesWithAScan) {
  // A step curve (batches of 16 share a step time) against the answer found by trying every concurrency.
  auto steps = [](int64_t c) {
    LatencyPoint p;
    p.tpot_seconds = 0.012 * static_cast<double>(1 + (c - 1) / 16);
    p.ttft_seconds = 0.1 + 0.001 * static_cast<double>(c);
    p.throughput_tokens_per_s = static_cast<double>(c) / p.tpot_seconds;
    return p;
  };
  for (double tpot : {11.0, 12.0, 24.0, 30.0, 60.0, 500.0}) {
    for (double ttft : {0.0, 150.0, 400.0}) {
      int64_t best = 0;
      for (int64_t c = 1; c <= 300; ++c) {
        const LatencyPoint p = steps(c);
        if (p.tpot_seconds * 1e3 <= tpot && (ttft <= 0 || p.ttft_seconds * 1e3 <= ttft)) best = c;
      }
      const TargetResult r = max_concurrency_at_target(steps, 300, tpot, ttft);
      EXPECT_EQ(r.concurrency, best) << tpot << " ms / " << ttft << " ms";
      EXPECT_EQ(r.met, best > 0);
    }
  }
}

// ---- cost ----------------------------------------------------------------------------------------------------

TEST(DeployCost, PerMillionTokensAndPerMonth) {
  // 8 GPUs at $2.50 an hour = $20/h; 2,000 output tokens/s = 7.2 M tokens/h -> 20 / 7.2 = $2.7778 per million;
  // a month of 730 h = $14,600.
  auto c = serving_cost(2.5, 8, 2000);
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->usd_per_hour, 20);
  EXPECT_NEAR(c->usd_per_million_output_tokens, 20.0 / 7.2, 1e-12);
  EXPECT_DOUBLE_EQ(c->usd_per_month, 14600);
  // One H100 at $1.99 serving 40 tokens/s: 1.99 / (40 x 3600) x 1e6 = $13.819 per million.
  EXPECT_NEAR(serving_cost(1.99, 1, 40)->usd_per_million_output_tokens, 13.819444444, 1e-8);
  EXPECT_FALSE(serving_cost(-1, 8, 2000).ok());
  EXPECT_FALSE(serving_cost(2.5, 0, 2000).ok());
  EXPECT_EQ(serving_cost(2.5, 8, 0).error().code, ErrorCode::kDoesNotFit);
  EXPECT_TRUE(serving_cost(0, 8, 2000).ok());  // a GPU you own: free per token
}

}  // namespace
}  // namespace llmsizer::deploy
