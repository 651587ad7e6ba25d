// The lite core's stand-ins for the parts it leaves out besides engines (core/CMakeLists.txt, LLMSIZER_LITE): GGUF
// files and llama.cpp's file types, encoder models, fine-tuning estimates and GPU recommendations. (Engines need none: the lite
// module links a table with the generic and vLLM rows only, engines/table.cpp.) resolve() sends every request that
// would need them to the full module first (resolve.cpp lite_unsupported), so none of these is reached by a request
// the lite module answers; each still returns a well-formed value or a "needs_full_module" error, never aborts.
#include <memory>

#include "engines/encoder.h"
#include "gguf/gguf.h"
#include "speed/offload.h"
#include "gguf/summary.h"
#include "json/writer.h"
#include "recommend/recommend.h"
#include "training/training_json.h"

namespace llmsizer {

namespace {
Error needs_full(const char* what) {
  return make_error(ErrorCode::kNeedsFullModule, std::string(what) + " need the full module (the page loads it on demand)");
}
}  // namespace

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

// Encoders: config.cpp refuses them in the lite module (needs_full_module) before any of these is reached.
double encoder_activation_bytes(const ModelSpec&, Dtype, int64_t, int64_t, bool) { return 0; }
std::optional<Error> encoder_engine_problem(const ModelSpec&, const Inputs&) { return needs_full("encoder models"); }
std::vector<std::pair<std::string, std::string>> encoder_commands(const ModelSpec&, const Inputs&) { return {}; }
EnginePlan encoder_plan(const ModelSpec&, const Inputs&) { return EnginePlan{}; }
EncoderSpeed encoder_speed(const ModelSpec&, const Inputs&) { return EncoderSpeed{}; }

// Weights in host memory come from llama.cpp plans only (not in the lite module): nothing is offloaded here.
HostSpeed host_speed(const Inputs&) { return HostSpeed{}; }
double host_decode_seconds(const ModelSpec&, const HostOffload&, const HostSpeed&, int64_t, int64_t, int64_t) { return 0; }
double gpu_seconds_not_spent(const ModelSpec&, const HostOffload&, double, int64_t, int64_t, int64_t) { return 0; }
double host_prefill_seconds(const HostOffload&, const HostSpeed&, int64_t) { return 0; }

Recommendations recommend_gpus(const ModelSpec&, const Inputs&, const std::vector<GpuSpec>&) { return {}; }

Result<TrainingSection> training_section(const ModelSpec&, const Inputs& in) {
  // Inference requests (the only ones the lite module answers): the full module's exact section.
  if (in.request.mode != "inference") return needs_full("fine-tuning estimates");
  TrainingSection out;
  out.section = inference_training_section_json();
  return out;
}

}  // namespace llmsizer
