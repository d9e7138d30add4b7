#include "smartcrop/early_decode.hpp"

#include <filesystem>
#include <stdexcept>
#include <utility>

namespace smartcrop {

EarlyDecode::EarlyDecode(InputSpec spec, LoadOptions options, int count)
    : spec_(std::move(spec)), options_(std::move(options)), count_(count) {
  thread_ = std::thread([this] { run(); });
}

EarlyDecode::~EarlyDecode() { thread_.join(); }

void EarlyDecode::run() {
  std::vector<std::string> paths;
  try {
    // A list on standard input can be read once only: run_batch reads it.
    if (spec_.list_file == "-") throw std::runtime_error("list on stdin");
    // Nor can a list streamed through a FIFO: only a regular file is read twice.
    std::error_code ec;
    if (!spec_.list_file.empty() && !std::filesystem::is_regular_file(spec_.list_file, ec)) {
      throw std::runtime_error("list is not a regular file");
    }
    for (const auto& file : collect_inputs(spec_).files) {
      if (static_cast<int>(paths.size()) >= count_) break;
      paths.push_back(file.path);
    }
  } catch (...) {
    // Nothing decoded early: run_batch lists the inputs again and says what is wrong.
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& path : paths) results_[path];
    listed_ = true;
  }
  changed_.notify_all();
  for (const auto& path : paths) {
    Result result;
    try {
      result.image = load_image(path, options_);
    } catch (...) {
      result.error = std::current_exception();
    }
    result.done = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = results_.find(path);
      if (it != results_.end()) it->second = std::move(result);
    }
    changed_.notify_all();
  }
}

std::optional<DecodedImage> EarlyDecode::take(const std::string& path) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return listed_; });
  auto it = results_.find(path);
  if (it == results_.end()) return std::nullopt;
  changed_.wait(lock, [&] { return it->second.done; });
  Result result = std::move(it->second);
  results_.erase(it);
  lock.unlock();
  if (result.error) std::rethrow_exception(result.error);
  return std::move(result.image);
}

}  // namespace smartcrop
