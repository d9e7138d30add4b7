#include "progress.hpp"

#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

namespace smartcrop {

namespace {

// Forwards every log line to the real stderr sink with the progress line erased.
class ProgressAwareSink final : public spdlog::sinks::sink {
 public:
  ProgressAwareSink(spdlog::sink_ptr inner, ProgressLine& line) : inner_(std::move(inner)), line_(line) {
    set_level(inner_->level());
  }
  void log(const spdlog::details::log_msg& msg) override { line_.around_log([&] { inner_->log(msg); }); }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
  ProgressLine& line_;
};

}  // namespace

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

ProgressLine::ProgressLine(int total, bool enabled)
    : total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  if (!enabled_) return;
  auto logger = spdlog::default_logger();
  saved_sinks_ = logger->sinks();
  for (auto& sink : logger->sinks()) sink = std::make_shared<ProgressAwareSink>(sink, *this);
  std::lock_guard<std::mutex> lock(mutex_);
  draw();
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::photo_done() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done_ < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  draw();
}

void ProgressLine::finish() {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (drawn_) erase();
    enabled_ = false;
  }
  spdlog::default_logger()->sinks() = saved_sinks_;
}

void ProgressLine::erase() {
  std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

void ProgressLine::draw() {
  last_draw_ = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  std::string eta = rate > 0 ? format_duration((total_ - done_) / rate) : "?";
  std::fprintf(stderr, "\r\033[K%d/%d photos  %.2f/s  ETA %s", done_, total_, rate, eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace smartcrop
