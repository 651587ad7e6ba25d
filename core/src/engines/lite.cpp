// The lite core's stand-ins for what it leaves out (core/CMakeLists.txt, LLMSIZER_LITE): llama.cpp and GGUF,
// SGLang, transformers, fine-tuning estimates and GPU recommendations. resolve() sends every request that would
// need them to the full module first (api.cpp lite_unsupported), so none of these is reached by a request the
// lite module answers; each still returns a well-formed value or a "needs_full_module" error, never aborts.
#include <memory>

#include "engines/util.h"
#include "gguf/summary.h"
#include "json/writer.h"
#include "engines/engines.h"
#include "gguf/gguf.h"
#include "engines/llamacpp.h"
#include "recommend/recommend.h"
#include "training/training_json.h"

namespace llmsizer {

namespace {
Error needs_full(const char* what) {
  return make_error(ErrorCode::kNeedsFullModule, std::string(what) + " need the full module (the page loads it on demand)");
}
EnginePlan no_plan(const char* engine) {
  EnginePlan p;
  p.engine = engine;
  p.failure = "this engine needs the full module";
  return p;
}
}  // namespace

namespace engine_util {
Capacity sglang_capacity(const ModelSpec&, const Inputs&, const Layout&, TpData&, double, int64_t, int64_t) {
  return Capacity{};
}
void sglang_solve_knob(const ModelSpec&, const Inputs&, TpData&, double, EngineSolves*) {}
Capacity transformers_capacity(const ModelSpec&, const Inputs&, const Layout&, TpData&, double, int64_t, int64_t) {
  return Capacity{};
}
double sglang_usable_fraction(const Inputs&) { return 0.0; }
}  // namespace engine_util

EnginePlan plan_sglang(const ModelSpec&, const Inputs&) { return no_plan("sglang"); }
EnginePlan plan_transformers(const ModelSpec&, const Inputs&) { return no_plan("transformers"); }
EnginePlan plan_llamacpp(const ModelSpec&, const Inputs&, const LlamaCppWeights*) { return no_plan("llama.cpp"); }
std::shared_ptr<const LlamaCppWeights> llamacpp_weights(const ModelSpec&, const WeightFormat&) { return nullptr; }
Result<bool> llamacpp_check_request(const Request&) { return true; }

int64_t ggml_row_size(GgmlType, int64_t) { return 0; }
const LlamaFtypeInfo* llama_ftype_info(int) { return nullptr; }
const LlamaFtypeInfo* llama_ftype_by_name(const std::string&) { return nullptr; }
Result<WeightFormat> gguf_weight_format(const std::string&) { return needs_full("GGUF file types"); }
std::string gguf_format_label(const ModelSpec&, const WeightFormat&) { return {}; }
WeightFormat gguf_file_format(const GgufModel&) { return WeightFormat{}; }
RankWeights gguf_rank_weights(const ModelSpec&, const WeightFormat&, int64_t, int64_t, bool) { return RankWeights{}; }
Result<GgufModel> gguf_model_from_request(const std::vector<JsonRef>&) { return needs_full("GGUF files"); }
std::string gguf_section_json(const GgufModel&) { return "{}"; }
std::string gguf_inspect_base64_json(const std::string&) {
  JsonWriter w;
  w.begin_object().field("ok", false);
  w.key("error").begin_object().field("code", "needs_full_module").field("message", "GGUF headers need the full module");
  return w.end_object().end_object().take();
}

std::vector<Recommendation> recommend_gpus(const ModelSpec&, const Inputs&, const std::vector<GpuSpec>&) { return {}; }

Result<TrainingSection> training_section(const ModelSpec&, const Inputs& in) {
  // Inference requests (the only ones the lite module answers): the full module's exact section.
  if (in.request.mode != "inference") return needs_full("fine-tuning estimates");
  TrainingSection out;
  out.section = inference_training_section_json();
  return out;
}

}  // namespace llmsizer
