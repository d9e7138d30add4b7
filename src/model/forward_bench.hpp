#pragma once
// Timing the bare model forward on the photos of a batch, for the throughput
// benchmarks (scripts/bench/bench_batch.py, scripts/bench/bench_gpu.py): the batch's time per
// photo is compared to it.

#include <vector>

#include <opencv2/core.hpp>

#include "attention_model.hpp"
#include "saliency/dino_plugin.hpp"

namespace smartcrop {

// Prepares each decoded photo's model input at `input_size` (untimed), groups the
// inputs by shape into batches of up to `batch_size`, then times `repeats` calls of
// model.forward_batch() on each batch (with the copies to and from a GPU; on a GPU
// one untimed call per shape first). Throws smartcrop::Error.
ForwardBenchResult bench_forward(AttentionModel& model, const std::vector<cv::Mat>& photos, int input_size,
                                 int repeats, int batch_size = 1);

}  // namespace smartcrop
