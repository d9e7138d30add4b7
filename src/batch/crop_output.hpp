#pragma once
// The pixels written for one crop. Private to src/batch.

#include <string>

#include "smartcrop/batch_runner.hpp"

namespace smartcrop {

// Returns the crop `box` of `image` ready to encode to `output_path`: cut from the
// decoded original when the format keeps its alpha or 16 bits (PNG, WebP alpha),
// else from the 8-bit BGR pixels; then resized to `size` if one is set.
cv::Mat crop_for_output(const DecodedImage& image, const Box& box, const std::string& output_path,
                        const OutputSize& size);

// Returns the size a width x height crop is resized to under `size`.
cv::Size resized_dimensions(int width, int height, const OutputSize& size);

}  // namespace smartcrop
