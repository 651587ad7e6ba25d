// Fine-tuning against measurements: the public H200 training runs of shared/reference/validation-gpu-public.jsonl
// (torch 2.11, transformers 5.17, peft 0.21, one H200; written by shared/tools/gt_gpu.py: a model built from its
// real config.json with random weights, torch.optim.AdamW(lr=1e-5) with its default foreach path, 3 steps of
// forward under torch.autocast(bf16) for 'mixed' (fp32 model) or none for 'bf16' (bf16 model), loss.backward(),
// opt.step(), opt.zero_grad(set_to_none=True); LoRA through peft.get_peft_model with lora_dropout 0).
//
// Memory is compared as shared/tools/fidelity_gpu.py compares it: the measured peak of
// torch.cuda.max_memory_allocated() minus what was allocated before the case, plus the exact weight bytes
// (mixed 4 B per parameter, bf16 2 B, LoRA 2 B for the base and 4 B for peft's fp32 adapters), against our
// total minus `other` (the CUDA context and workspaces are outside torch's allocated bytes).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "llmsizer/api.h"
#include "test_util.h"

namespace llmsizer {
namespace {

using json = nlohmann::json;

struct MeasuredRun {
  const char* line;     ///< validation-gpu-public.jsonl line
  const char* config;   ///< tests/fixtures/configs (the same config.json files gt_gpu.py built from)
  const char* precision;
  int micro_batch;
  int seq_len;
  bool checkpointing;
  int lora_rank;        ///< 0: full fine-tuning
  const char* targets;
  double params;        ///< the run's parameter count (with adapters)
  double trainable;
  double peak_allocated;
  double allocated_before;
  double step_seconds;  ///< median of the steps after the first
};

// From the jsonl lines named; params / trainable_params / peak_allocated_bytes / weights_allocated_bytes /
// step_seconds as measured.
constexpr MeasuredRun kRuns[] = {
    {"6", "qwen2.5-0.5b.json", "mixed", 1, 512, false, 0, "", 494032768, 494032768, 10039716864, 2078564864,
     0.07325},
    {"7", "qwen2.5-0.5b.json", "bf16", 1, 512, true, 8, "q_proj,v_proj", 494573440, 540672, 2092292096, 1129425920,
     0.16667},
    {"17", "qwen2.5-0.5b.json", "mixed", 4, 2048, false, 0, "", 494032768, 494032768, 35262235136, 2247614976,
     0.12238},
    {"18", "qwen2.5-0.5b.json", "mixed", 4, 2048, true, 0, "", 494032768, 494032768, 22190350848, 2249581056,
     0.15141},
    {"19", "llama-3.2-3b.json", "mixed", 1, 2048, false, 0, "", 3212749824, 3212749824, 64530789888, 13122581504,
     0.19360},
    {"20", "llama-3.2-3b.json", "mixed", 2, 4096, true, 0, "", 3212749824, 3212749824, 64528741888, 13122581504,
     0.61039},
    {"21", "qwen2.5-3b.json", "bf16", 2, 2048, false, 0, "", 3085938688, 3085938688, 45509867520, 6442411008,
     0.22593},
    {"22", "qwen2.5-7b.json", "bf16", 1, 2048, false, 16, "q_proj,k_proj,v_proj,o_proj", 7625709056, 10092544,
     31825060864, 15590010880, 0.15742},
    {"23", "qwen2.5-7b.json", "bf16", 4, 2048, true, 16, "all-linear", 7655986688, 40370176, 32765211648,
     15729111040, 1.16212},
    {"24", "llama-3.1-8b.json", "bf16", 2, 4096, true, 8, "q_proj,v_proj", 8033669120, 3407872, 31263959040,
     16344687616, 0.85739},
};

json estimate(const MeasuredRun& r) {
  json q = {{"config", json::parse(test::fixture_text(r.config))},
            {"gpu", "nvidia-h200-sxm"},
            {"mode", r.lora_rank > 0 ? "lora" : "full"},
            {"training_precision", r.precision},
            {"dtype", "bf16"},
            {"optimizer", "adamw"},
            {"micro_batch", r.micro_batch},
            {"seq_len", r.seq_len},
            {"gradient_checkpointing", r.checkpointing ? "full" : "none"},
            {"training_attention", "flash"}};
  if (r.lora_rank > 0) {
    q["lora_rank"] = r.lora_rank;
    q["lora_targets"] = r.targets;
  }
  return json::parse(handle_request(q.dump()));
}

double measured_peak(const MeasuredRun& r) {
  const bool lora = r.lora_rank > 0;
  const double weights = lora ? (r.params - r.trainable) * 2 + r.trainable * 4
                              : r.params * (std::string(r.precision) == "mixed" ? 4 : 2);
  return weights + r.peak_allocated - r.allocated_before;
}

TEST(TrainingReference, PeakMemoryOfThePublicH200Runs) {
  // Every run within 1.5 % (today: all within 0.6 %; jsonl:6 is 0.6 % low because it was the process's first
  // training case: its backward thread's cuBLAS workspace was allocated after the baseline).
  for (const MeasuredRun& r : kRuns) {
    const json out = estimate(r);
    ASSERT_TRUE(out["ok"].get<bool>()) << r.line << " " << out.dump();
    const json& t = out["training"];
    const double ours = t["total_bytes"].get<double>() - t["other_bytes"].get<double>();
    const double truth = measured_peak(r);
    EXPECT_NEAR(ours / truth, 1.0, 0.015) << "validation-gpu-public.jsonl:" << r.line << " ours " << ours
                                          << " measured " << truth;
  }
}

TEST(TrainingReference, PeakPhaseOfThePublicH200Runs) {
  // Full fine-tuning in mixed precision of Llama-3.2-3B peaks at the optimizer step at 20 B per parameter
  // (jsonl:19 and :20 measure the same 64.26 GB for 2,048 and 8,192 tokens: the activations are gone by then);
  // the long-sequence and LoRA runs peak at the start of the backward (the loss's fp32 gradient).
  for (const MeasuredRun& r : kRuns) {
    const std::string phase = estimate(r)["training"]["peak_phase"].get<std::string>();
    const std::string line = r.line;
    const bool step = line == "6" || line == "19" || line == "20";
    EXPECT_EQ(phase, step ? "optimizer_step" : "backward") << "validation-gpu-public.jsonl:" << r.line;
  }
}

TEST(TrainingReference, StepTimeOfThePublicH200Runs) {
  // Seconds per step (median of the steps after the first) within 10 %, the calibration set of the Hopper
  // constants (step_time.cpp). jsonl:7 — Qwen2.5-0.5B LoRA with checkpointing at 512 tokens, one step measured —
  // is host-bound beyond what a per-kernel host cost explains (checkpointing's and peft's Python hooks): the model
  // stays below it, within 40 %.
  for (const MeasuredRun& r : kRuns) {
    const json out = estimate(r);
    const double ours = out["training"]["speed"]["seconds_per_step"].get<double>();
    const std::string line = r.line;
    if (line == "7") {
      EXPECT_LT(ours, r.step_seconds);
      EXPECT_GT(ours, 0.6 * r.step_seconds);
      continue;
    }
    EXPECT_NEAR(ours / r.step_seconds, 1.0, 0.10) << "validation-gpu-public.jsonl:" << r.line << " ours " << ours
                                                  << " s, measured " << r.step_seconds << " s";
  }
}

}  // namespace
}  // namespace llmsizer
