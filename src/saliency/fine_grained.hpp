#pragma once
// Fine-grained centre-surround saliency (Montabone & Soto 2010), byte for byte
// what OpenCV's cv::saliency::StaticSaliencyFineGrained computes.

#include <opencv2/core.hpp>

namespace smartcrop {

// Returns the fine-grained saliency of an 8-bit BGR or grey image as CV_32FC1
// in [0, 1], the same values as StaticSaliencyFineGrained::computeSaliency of
// OpenCV 4.6 (the learned window model was fitted on them). Throws
// cv::Exception on another pixel type.
cv::Mat fine_grained_saliency(const cv::Mat& image);

}  // namespace smartcrop
