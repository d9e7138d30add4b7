#pragma once
// The --json record of one photo. Private to src/batch.

#include <string>

#include "photo_job.hpp"
#include "smartcrop/backend.hpp"

namespace smartcrop {

// Returns the one-line JSON record for `work`: input, size, orientation, backend,
// model, per ratio the box (original upright pixels), output, confidence and status,
// and timings; a failed photo gets "error" instead of the crops.
std::string photo_record_json(const PhotoWork& work, const SaliencyBackend& backend);

}  // namespace smartcrop
