#pragma once
// One exception type for everything that goes wrong with a file: an input image,
// the model, an output. what() reads "PATH: reason", ready for "error: " + what().

#include <stdexcept>
#include <string>

namespace smartcrop {

class Error : public std::runtime_error {
 public:
  // Makes an error about `path` (may be empty for errors about no file) with `reason`.
  Error(std::string path, std::string reason);

  // The file the error is about ("" if none).
  const std::string& path() const { return path_; }
  // Why it failed, without the path.
  const std::string& reason() const { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

}  // namespace smartcrop
