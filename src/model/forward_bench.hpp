#pragma once
// Timing the bare model forward on the photos of a batch, for the throughput
// benchmark (scripts/bench_batch.py): the batch's time per photo is compared to it.

#include <vector>

#include <opencv2/core.hpp>

#include "attention_model.hpp"
#include "saliency/dino_plugin.hpp"

namespace smartcrop {

// Prepares each decoded photo's model input at `input_size` (untimed), then times
// `repeats` calls of model.forward() on it. Throws smartcrop::Error.
ForwardBenchResult bench_forward(AttentionModel& model, const std::vector<cv::Mat>& photos, int input_size,
                                 int repeats);

}  // namespace smartcrop
