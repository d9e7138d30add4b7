// The batch pipeline: one thread per backend object, photos written in input
// order however many workers analyse them, a cancel request stops after the
// photos in hand.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

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

// A RecordingBackend that forks: every fork records on its own, and its records
// outlive it in `registry`.
class ForkingBackend final : public SaliencyBackend {
 public:
  std::string name() const override { return "forking"; }
  std::string description() const override { return "test backend"; }
  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override {
    // The first photo waits (up to hold_ms) until other workers have finished
    // `hold_until` later photos, so that photos finish out of order and more than one
    // thread works.
    if (path.find("p00.png") != std::string::npos && !registry->empty()) {
      for (int i = 0; i < hold_ms / 5 && done->load() < hold_until; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      *done_when_first_resumed = done->load();
    }
    SaliencyResult result = own->compute(bgr, path);
    ++*done;
    return result;
  }
  std::unique_ptr<SaliencyBackend> fork() const override {
    auto copy = std::make_unique<ForkingBackend>();
    copy->registry = registry;
    copy->mutex = mutex;
    copy->done = done;
    copy->done_when_first_resumed = done_when_first_resumed;
    copy->hold_until = hold_until;
    copy->hold_ms = hold_ms;
    std::lock_guard<std::mutex> lock(*mutex);
    registry->push_back(copy->own);
    return copy;
  }
  std::shared_ptr<RecordingBackend> own = std::make_shared<RecordingBackend>();
  using Registry = std::vector<std::shared_ptr<RecordingBackend>>;
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::atomic<int>> done = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> done_when_first_resumed = std::make_shared<std::atomic<int>>(-1);
  int hold_until = 3;
  int hold_ms = 5000;
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

  // Runs the batch with `workers` workers and JSON records; returns the records' inputs in
  // the order they were printed.
  std::vector<std::string> run_with_workers(SaliencyBackend& backend, int workers, RunSummary& summary) {
    params_.workers = workers;
    params_.threads = workers;
    params_.json = true;
    testing::internal::CaptureStdout();
    summary = run_batch(params_, backend);
    std::istringstream lines(testing::internal::GetCapturedStdout());
    std::vector<std::string> inputs;
    for (std::string line; std::getline(lines, line);) inputs.push_back(nlohmann::json::parse(line).at("input"));
    return inputs;
  }

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

TEST_F(Pipeline, SeveralWorkersEachOwnBackendOutputInInputOrder) {
  ForkingBackend backend;
  RunSummary summary;
  const std::vector<std::string> records = run_with_workers(backend, 3, summary);
  EXPECT_EQ(summary.written, 24);
  EXPECT_EQ(summary.failed, 0);
  ASSERT_EQ(backend.registry->size(), 2u);

  std::vector<const RecordingBackend*> all{backend.own.get()};
  for (const auto& fork : *backend.registry) all.push_back(fork.get());
  std::set<std::thread::id> threads;
  std::multiset<std::string> analysed;
  for (const RecordingBackend* one : all) {
    EXPECT_LE(one->threads.size(), 1u);  // never two threads on one backend object
    threads.insert(one->threads.begin(), one->threads.end());
    analysed.insert(one->paths.begin(), one->paths.end());
  }
  EXPECT_GE(threads.size(), 2u);  // three workers; how many got photos depends on timing
  EXPECT_EQ(analysed.size(), 12u);  // each photo analysed once
  EXPECT_EQ(std::set<std::string>(analysed.begin(), analysed.end()).size(), 12u);

  // Records, and so writes, come in the order photos were taken even though workers
  // finish out of order: here input order (the photos' elongation falls with the name).
  ASSERT_EQ(records.size(), 12u);
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end()));
}

TEST_F(Pipeline, SeveralWorkersTakeAPanoramaAtTheEndFirstButWriteInInputOrder) {
  // The last photo is a 5:1 panorama; with 2 workers the last 8 photos go longest first.
  cv::imwrite((dir_ / "in" / "p11.png").string(), cv::Mat(48, 240, CV_8UC3, cv::Scalar(9, 9, 9)));
  ForkingBackend backend;
  RunSummary summary;
  const std::vector<std::string> records = run_with_workers(backend, 2, summary);
  EXPECT_EQ(summary.written, 24);
  ASSERT_EQ(records.size(), 12u);
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end()));
  // Which photo each backend saw first among the last eight: one of them took p11 before p04.
  std::vector<std::string> taken = backend.own->paths;
  for (const auto& fork : *backend.registry) taken.insert(taken.end(), fork->paths.begin(), fork->paths.end());
  auto position = [&](const std::vector<std::string>& paths, const std::string& name) {
    return std::find_if(paths.begin(), paths.end(), [&](const std::string& p) { return p.find(name) != std::string::npos; }) -
           paths.begin();
  };
  const std::vector<std::string>* with_panorama = &backend.own->paths;
  if (position(*with_panorama, "p11") == static_cast<std::ptrdiff_t>(with_panorama->size())) {
    with_panorama = &backend.registry->front()->paths;
  }
  // The panorama's worker did not take any of p04..p10 before it.
  for (const char* later : {"p04", "p05", "p06", "p07", "p08", "p09", "p10"}) {
    EXPECT_GT(position(*with_panorama, later), position(*with_panorama, "p11")) << later;
  }
}

TEST_F(Pipeline, ASlowPhotoHoldsBackAtMostTwoPhotosPerWorker) {
  // 40 photos: the last 8 are the reordered tail, the slow first photo is far from it.
  for (int i = 12; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p%02d.png", i);
    cv::imwrite((dir_ / "in" / name).string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar(i, i, i)));
  }
  ForkingBackend backend;
  backend.hold_until = 20;  // more than the window allows: p00 waits its whole second
  backend.hold_ms = 1000;
  RunSummary summary;
  const std::vector<std::string> records = run_with_workers(backend, 2, summary);
  EXPECT_EQ(summary.written, 80);
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end()));
  // Each analysed photo keeps its decoded pixels until written. While p00 was stuck the
  // other worker analysed p01..p03 (inside the window of 2 x 2 workers) and p04, which
  // it then holds, however long p00 took.
  EXPECT_GE(backend.done_when_first_resumed->load(), 1);
  EXPECT_LE(backend.done_when_first_resumed->load(), 4);
}

TEST_F(Pipeline, OneWorkerForASinglePhoto) {
  ForkingBackend backend;
  params_.input.paths = {(dir_ / "in" / "p00.png").string()};
  params_.workers = 4;
  params_.threads = 4;
  const RunSummary summary = run_batch(params_, backend);
  EXPECT_EQ(summary.written, 2);
  EXPECT_TRUE(backend.registry->empty());
  EXPECT_EQ(*backend.own->threads.begin(), std::this_thread::get_id());
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
