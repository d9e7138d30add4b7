#pragma once
// The bounded three-stage pipeline: decoding threads -> inference (the calling
// thread, the only one that touches the backend) -> one writing thread.
// Private to src/batch.

#include <vector>

#include "photo_job.hpp"
#include "progress.hpp"
#include "smartcrop/batch_runner.hpp"

namespace smartcrop {

// Processes `plans` in order, keeping at most a few photos in memory. Adds the
// counts to `summary`; stops early (finishing the photo in hand) when
// params.cancel is set.
void run_pipeline(const std::vector<PhotoPlan>& plans, const RunParams& params, SaliencyBackend& backend,
                  ProgressLine& progress, RunSummary& summary);

}  // namespace smartcrop
