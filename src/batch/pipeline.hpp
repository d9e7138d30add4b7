#pragma once
// The bounded three-stage pipeline: decoding threads -> inference workers (the
// calling thread with the backend, plus one thread per fork of it) -> one writing
// thread that takes the photos back in input order.
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
