// One launch command per node for a node-shaped layout.
//
// vLLM: docs/serving/parallelism_scaling.md @096bd6a4 ("Running vLLM with MultiProcessing": --nnodes,
//   --node-rank, --master-addr, --headless on the other nodes; TP = GPUs per node, PP = nodes) and
//   docs/serving/data_parallel_deployment.md @01e4fce0 (--data-parallel-size-local, --data-parallel-start-rank,
//   --data-parallel-address, --data-parallel-rpc-port 13345; "External Load Balancing": independent replicas).
// SGLang: docs.sglang.io references/multi_node_deployment/multi_node (--tp is the total over the nodes,
//   --dist-init-addr HEAD:20000, --nnodes, --node-rank).
// llama.cpp: tools/rpc/README.md @038514c9 (rpc-server -H 0.0.0.0 -p 50052 [-c] per remote host; the main host
//   runs llama-server with --rpc host:port,...; weights and KV split across all devices by free memory).
#include <string>

#include "deploy/deploy.h"

namespace llmsizer::deploy {

namespace {

constexpr int kSglangDistPort = 20000;  // the port of SGLang's multi-node example
constexpr int kVllmDpRpcPort = 13345;   // the port of vLLM's data-parallel multi-node example
constexpr int kRpcServerPort = 50052;   // rpc-server's default port

std::string num(int64_t v) { return std::to_string(v); }

std::string tail(const CommandInputs& in) { return in.extra_args.empty() ? "" : " " + in.extra_args; }

std::string node_address(const CommandInputs& in, int64_t node) {
  return node == 0 ? in.head_address : "<NODE" + num(node) + "_IP>";
}

std::string vllm_base(const CommandInputs& in, int64_t tp, int64_t pp) {
  std::string c = in.env + "vllm serve " + in.model;
  if (tp > 1) c += " --tensor-parallel-size " + num(tp);
  if (pp > 1) c += " --pipeline-parallel-size " + num(pp);
  return c;
}

std::string sglang_base(const CommandInputs& in, int64_t tp, int64_t pp) {
  std::string c = in.env + "python -m sglang.launch_server --model-path " + in.model;
  if (tp > 1) c += " --tp " + num(tp);
  if (pp > 1) c += " --pp-size " + num(pp);
  return c;
}

// A replica that spans `span` nodes starting at node `first`: one process group per replica.
void spanning_replica(const CommandInputs& in, int64_t replica, int64_t first, int64_t span,
                      std::vector<NodeCommand>* out) {
  const Layout& l = in.layout;
  const std::string head = replica == 0 ? in.head_address : node_address(in, first);
  const std::string prefix = l.dp > 1 ? "replica " + num(replica) + " " : "";
  for (int64_t r = 0; r < span; ++r) {
    std::string c;
    if (in.engine == "vllm") {
      c = vllm_base(in, l.tp, l.pp) + " --nnodes " + num(span) + " --node-rank " + num(r) + " --master-addr " + head;
      if (r > 0) c += " --headless";
    } else {
      c = sglang_base(in, l.tp, l.pp) + " --dist-init-addr " + head + ":" + num(kSglangDistPort) + " --nnodes " +
          num(span) + " --node-rank " + num(r);
    }
    out->push_back({first + r, prefix + (r == 0 ? "head" : "worker"), c + tail(in)});
  }
}

// Replicas that fit in one node, data parallel over several: vLLM's internal load balancer (one API endpoint on
// the head, --headless engines elsewhere); SGLang: an independent server per node behind a load balancer.
void packed_replicas(const CommandInputs& in, int64_t nodes, int64_t per_node, std::vector<NodeCommand>* out) {
  const Layout& l = in.layout;
  for (int64_t n = 0; n < nodes; ++n) {
    const int64_t local = std::min(per_node, l.dp - n * per_node);
    std::string c;
    if (in.engine == "vllm") {
      c = vllm_base(in, l.tp, l.pp) + " --data-parallel-size " + num(l.dp) + " --data-parallel-size-local " +
          num(local) + " --data-parallel-address " + in.head_address + " --data-parallel-rpc-port " +
          num(kVllmDpRpcPort);
      if (n > 0) c += " --headless --data-parallel-start-rank " + num(n * per_node);
      out->push_back({n, n == 0 ? "head" : "worker", c + tail(in)});
    } else {
      c = sglang_base(in, l.tp, l.pp);
      if (local > 1) c += " --dp-size " + num(local);
      out->push_back({n, "replica server (behind a load balancer)", c + tail(in)});
    }
  }
}

Result<std::vector<NodeCommand>> llamacpp_commands(const CommandInputs& in, int64_t nodes) {
  const bool gguf = in.model.size() > 5 && in.model.compare(in.model.size() - 5, 5, ".gguf") == 0;
  std::string head = in.env + "llama-server " + (gguf ? "-m " : "-hf ") + in.model + tail(in);
  std::vector<NodeCommand> out;
  std::string rpc;
  for (int64_t n = 1; n < nodes; ++n) {
    out.push_back({n, "rpc-server", "rpc-server -H 0.0.0.0 -p " + num(kRpcServerPort) + " -c"});
    rpc += (rpc.empty() ? "" : ",") + node_address(in, n) + ":" + num(kRpcServerPort);
  }
  if (!rpc.empty()) head += " --rpc " + rpc;
  out.insert(out.begin(), {0, "head", head});
  return out;
}

}  // namespace

Result<std::vector<NodeCommand>> launch_commands(const CommandInputs& in) {
  const Layout& l = in.layout;
  if (in.model.empty()) return make_error(ErrorCode::kInvalidRequest, "launch commands need a model");
  if (l.tp < 1 || l.pp < 1 || l.dp < 1 || in.gpus_per_node < 1) {
    return make_error(ErrorCode::kInvalidRequest, "tp, pp, dp and gpus_per_node must be at least 1");
  }
  NodeShape shape;
  shape.gpus_per_node = in.gpus_per_node;
  const int64_t nodes = layout_nodes(l, shape);
  if (in.engine == "llama.cpp") {
    if (l.tp > 1 || l.dp > 1) {
      return make_error(ErrorCode::kConflictingOptions,
                        "llama.cpp splits layers across devices (pipeline only): use tp = dp = 1");
    }
    return llamacpp_commands(in, nodes);
  }
  if (in.engine != "vllm" && in.engine != "sglang") {
    return make_error(ErrorCode::kInvalidRequest,
                      "multi-node launch commands exist for vllm, sglang and llama.cpp, not '" + in.engine + "'");
  }
  std::vector<NodeCommand> out;
  if (nodes == 1) {
    std::string c = in.engine == "vllm" ? vllm_base(in, l.tp, l.pp) : sglang_base(in, l.tp, l.pp);
    if (l.dp > 1) c += (in.engine == "vllm" ? " --data-parallel-size " : " --dp-size ") + num(l.dp);
    out.push_back({0, "head", c + tail(in)});
    return out;
  }
  const int64_t span = replica_nodes(l, shape);
  if (span > 1) {
    for (int64_t k = 0; k < l.dp; ++k) spanning_replica(in, k, k * span, span, &out);
  } else {
    packed_replicas(in, nodes, in.gpus_per_node / l.replica_gpus(), &out);
  }
  return out;
}

}  // namespace llmsizer::deploy
