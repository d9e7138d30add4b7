#pragma once
// Decoding the first photos of a run while the model loads.
//
// A run starts with ~0.4 s of model load on one core; the photos' decoding used to
// wait for it, and in a single-photo run (a CMS cropping each upload in its own
// process) decoding a 12 MP JPEG costs another ~0.35 s. EarlyDecode decodes the first
// photos on a thread of its own meanwhile, and the batch pipeline takes them from it.

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/image_io.hpp"

namespace smartcrop {

class EarlyDecode {
 public:
  // Starts a thread that lists the inputs `spec` names (as collect_inputs does) and
  // decodes the first `count` of them, in order. Nothing early for a list on stdin.
  EarlyDecode(InputSpec spec, LoadOptions options, int count);
  ~EarlyDecode();  // waits for the thread
  EarlyDecode(const EarlyDecode&) = delete;
  EarlyDecode& operator=(const EarlyDecode&) = delete;

  // For one of those first photos: waits for its decode and returns the image, or
  // throws what load_image threw for it. Each is handed out once; for any other path,
  // or a second time, returns nullopt (the caller decodes it itself).
  std::optional<DecodedImage> take(const std::string& path);

 private:
  struct Result {
    bool done = false;
    std::optional<DecodedImage> image;
    std::exception_ptr error;
  };
  void run();

  const InputSpec spec_;
  const LoadOptions options_;
  const int count_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool listed_ = false;                    // results_ holds every path to decode
  std::map<std::string, Result> results_;  // by path; erased when taken
  std::thread thread_;
};

}  // namespace smartcrop
