#pragma once
// Timing the bare model forward on the photos of a batch, for the throughput
// benchmark (scripts/bench_batch.py): the batch's time per photo is compared to it.

#include <string>
#include <vector>

#include "smartcrop/attention_model.hpp"

namespace smartcrop {

struct ForwardBenchResult {
  int forwards = 0;
  double seconds_per_forward = 0.0;  // model.forward() only: no decode, resize, maps or writing
};

// Decodes each photo and prepares its model input at `input_size` (untimed), then
// times `repeats` calls of model.forward() on it. Throws smartcrop::Error.
ForwardBenchResult bench_forward(AttentionModel& model, const std::vector<std::string>& photos, int input_size,
                                 int repeats);

}  // namespace smartcrop
