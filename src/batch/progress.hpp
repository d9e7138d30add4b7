#pragma once
// The live progress line on stderr ("37/1000 photos  2.1/s  ETA 7m38s"), kept
// below the log lines: a log line first erases it, then it is drawn again.
// Private to src/batch.

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/sink.h>

namespace smartcrop {

class ProgressLine {
 public:
  // Draws nothing when `enabled` is false.
  ProgressLine(int total, bool enabled);
  ~ProgressLine();

  // Counts one more photo done (written, skipped or failed) and redraws.
  void photo_done();
  // Erases the line for good.
  void finish();
  // Runs `print` (which writes a log line to stderr) with the line erased around it.
  template <typename Print>
  void around_log(Print&& print) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (drawn_) erase();
    print();
    if (drawn_) draw();
  }

 private:
  void erase();
  void draw();

  int total_;
  int done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::vector<spdlog::sink_ptr> saved_sinks_;  // the default logger's sinks before wrapping
  std::mutex mutex_;
};

// Returns "7m38s", "42s" or "1h02m".
std::string format_duration(double seconds);

}  // namespace smartcrop
