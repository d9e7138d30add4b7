#pragma once
// Which signal steers a photo's crops, and the words a person reads about it.
// Private to src/batch.

#include <string>
#include <vector>

#include "photo_job.hpp"
#include "smartcrop/batch_runner.hpp"

namespace smartcrop {

// Returns the steering of one decoded photo: its hints row, else the --focus /
// --keep flags, else the regions stored in the file, else none ("auto"); in
// displayed pixels. Throws smartcrop::Error naming the photo when the row or the
// flags give pixel coordinates outside it.
Steering choose_steering(const PhotoPlan& plan, const SteerParams& params, const DecodedImage& image);

// Returns the one-line note for a crop whose keep-regions did not all fit
// ("keep region does not fit 16:9; kept 83% of it"), or "".
std::string steering_note(const Steering& steering, const CropChoice& crop);

// Returns the warnings about a planned photo, without its path: file regions that
// were ignored (when nothing else steered it), and each crop's steering_note.
std::vector<std::string> steering_warnings(const PhotoWork& work);

}  // namespace smartcrop
