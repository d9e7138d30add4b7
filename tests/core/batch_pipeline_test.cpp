// The batch pipeline: one thread calls the backend, photos stay in order, a
// cancel request stops after the photo in hand.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "smartcrop/batch_runner.hpp"

namespace fs = std::filesystem;

namespace smartcrop {
namespace {

// Records which thread calls compute(), and can request a cancel after N calls.
class RecordingBackend final : public SaliencyBackend {
 public:
  std::string name() const override { return "recording"; }
  std::string description() const override { return "test backend"; }
  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override {
    threads.insert(std::this_thread::get_id());
    paths.push_back(path);
    if (cancel_after > 0 && static_cast<int>(paths.size()) == cancel_after) cancel->store(true);
    SaliencyResult result;
    result.attention = ScoreMap(4, 4, bgr.cols / 4.0, bgr.rows / 4.0);
    result.attention.at(1, 1) = 1.0f;
    result.score = result.attention;
    return result;
  }
  std::set<std::thread::id> threads;
  std::vector<std::string> paths;
  int cancel_after = 0;
  std::atomic<bool>* cancel = nullptr;
};

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("smartcrop_pipeline_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    for (int i = 0; i < 12; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "p%02d.png", i);
      cv::imwrite((dir_ / "in" / name).string(), cv::Mat(48 + i, 64, CV_8UC3, cv::Scalar(i, 2 * i, 3 * i)));
    }
    params_.input.paths = {(dir_ / "in").string()};
    params_.output = (dir_ / "out").string();
    params_.crop.ratios = {parse_ratio("1:1"), parse_ratio("16:9")};
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  RunParams params_;
};

TEST_F(Pipeline, OneInferenceThreadInInputOrder) {
  RecordingBackend backend;
  const RunSummary summary = run_batch(params_, backend);
  EXPECT_EQ(summary.inputs, 12);
  EXPECT_EQ(summary.written, 24);
  EXPECT_EQ(summary.failed, 0);
  ASSERT_EQ(backend.threads.size(), 1u);
  EXPECT_EQ(*backend.threads.begin(), std::this_thread::get_id());
  EXPECT_TRUE(std::is_sorted(backend.paths.begin(), backend.paths.end()));
}

TEST_F(Pipeline, CancelFinishesThePhotoInHandThenStops) {
  std::atomic<bool> cancel{false};
  RecordingBackend backend;
  backend.cancel_after = 3;
  backend.cancel = &cancel;
  params_.cancel = &cancel;
  const RunSummary summary = run_batch(params_, backend);
  EXPECT_TRUE(summary.interrupted);
  EXPECT_EQ(backend.paths.size(), 3u);
  EXPECT_EQ(summary.written, 6);
  EXPECT_EQ(summary.not_processed, 9);
  for (const auto& e : fs::directory_iterator(dir_ / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace smartcrop
