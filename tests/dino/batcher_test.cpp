// The batcher with a stand-in model (issue 25): batch k+1 is submitted while batch k
// runs, at most `depth` at once, every worker gets its own photo's attention; a batch that
// runs out of memory is split down to the size that fits, and a photo that does not fit
// alone fails with its reason while the others are computed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "model/forward_batcher.hpp"

using namespace smartcrop;
using namespace std::chrono_literals;

namespace {

// An input whose attention says which input it was: its width carries the id.
ModelInput input_for(int id, int height = 32) {
  ModelInput input;
  input.height = height;
  input.width = 32;
  input.resized_width = 32;
  input.resized_height = height;
  input.chw = cv::Mat(1, 1, CV_32F, cv::Scalar(static_cast<float>(id)));
  return input;
}

HeadAttention attention_of(const ModelInput& input) {
  HeadAttention attention;
  attention.heads = 1;
  attention.grid_width = 1;
  attention.grid_height = 1;
  attention.values = {input.chw.at<float>(0, 0)};
  return attention;
}

// A model whose forward runs on a "device" thread of its own and takes `run_time`;
// submit() takes `stage_time` on the caller's thread (packing, copying). With
// wait_for_next, a batch's run waits (up to 2 s) for the next batch's submit to begin
// before it ends, and records whether it came: a batcher that waits for each batch
// before it submits the next is caught here.
class SlowModel final : public AttentionModel {
 public:
  SlowModel(std::chrono::milliseconds stage_time, std::chrono::milliseconds run_time, int total_inputs,
            bool wait_for_next)
      : stage_time_(stage_time), run_time_(run_time), total_inputs_(total_inputs), wait_for_next_(wait_for_next) {
    info_.device = "fake:0";
  }
  const ModelInfo& info() const override { return info_; }

  std::unique_ptr<PendingBatch> submit(const std::vector<const ModelInput*>& inputs) override {
    int index;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      index = submits_++;
      submitted_inputs_ += static_cast<int>(inputs.size());
      ++in_flight_;
      most_in_flight_ = std::max(most_in_flight_, in_flight_);
    }
    changed_.notify_all();
    std::this_thread::sleep_for(stage_time_);
    std::vector<HeadAttention> attentions;
    for (const ModelInput* input : inputs) attentions.push_back(attention_of(*input));
    auto run = std::async(std::launch::async, [this, index, attentions = std::move(attentions)]() mutable {
      std::this_thread::sleep_for(run_time_);
      std::unique_lock<std::mutex> lock(mutex_);
      if (wait_for_next_ && submitted_inputs_ < total_inputs_) {
        const bool next_came = changed_.wait_for(lock, 2s, [&] { return submits_ > index + 1; });
        if (!next_came) ++runs_without_overlap_;
      }
      --in_flight_;
      return attentions;
    });
    return std::make_unique<Pending>(std::move(run));
  }

  int runs_without_overlap() const { return runs_without_overlap_; }
  int most_in_flight() const { return most_in_flight_; }
  int submits() const { return submits_; }

 private:
  class Pending final : public PendingBatch {
   public:
    explicit Pending(std::future<std::vector<HeadAttention>> run) : run_(std::move(run)) {}
    std::vector<HeadAttention> wait() override { return run_.get(); }

   private:
    std::future<std::vector<HeadAttention>> run_;
  };

  ModelInfo info_;
  const std::chrono::milliseconds stage_time_;
  const std::chrono::milliseconds run_time_;
  const int total_inputs_;
  const bool wait_for_next_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int submits_ = 0;
  int submitted_inputs_ = 0;
  int in_flight_ = 0;
  int most_in_flight_ = 0;
  int runs_without_overlap_ = 0;
};

// A model that runs out of memory (as the CPU allocator's test seam or a full GPU does)
// whenever a batch holds more than `fits` photos, and on any batch holding `never_fits`.
class SmallMemoryModel final : public AttentionModel {
 public:
  SmallMemoryModel(std::size_t fits, int never_fits) : fits_(fits), never_fits_(never_fits) { info_.device = "fake:0"; }
  const ModelInfo& info() const override { return info_; }

  std::unique_ptr<PendingBatch> submit(const std::vector<const ModelInput*>& inputs) override {
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_.push_back(inputs.size());
    for (const ModelInput* input : inputs) {
      if (input->chw.at<float>(0, 0) == static_cast<float>(never_fits_)) {
        throw ModelOutOfMemory(info_.path, "CUDA out of memory. Tried to allocate 9.00 GiB");
      }
    }
    if (inputs.size() > fits_) throw ModelOutOfMemory(info_.path, "CUDA out of memory. Tried to allocate 2.00 GiB");
    std::vector<HeadAttention> attentions;
    for (const ModelInput* input : inputs) attentions.push_back(attention_of(*input));
    return std::make_unique<Ready>(std::move(attentions));
  }
  void release_cached_memory() override { ++releases_; }

  std::vector<std::size_t> sizes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sizes_;
  }
  int releases() const { return releases_; }

 private:
  class Ready final : public PendingBatch {
   public:
    explicit Ready(std::vector<HeadAttention> attentions) : attentions_(std::move(attentions)) {}
    std::vector<HeadAttention> wait() override { return std::move(attentions_); }

   private:
    std::vector<HeadAttention> attentions_;
  };

  ModelInfo info_;
  const std::size_t fits_;
  const int never_fits_;
  mutable std::mutex mutex_;
  std::vector<std::size_t> sizes_;
  std::atomic<int> releases_{0};
};

struct Outcome {
  float value = -1.0f;
  std::string error;
};

// `workers` threads, each sending its inputs one at a time through the batcher, as the
// pipeline's inference workers do; returns each input's outcome by id.
std::vector<Outcome> run_workers(ForwardBatcher& batcher, int workers, int per_worker) {
  std::vector<Outcome> outcomes(static_cast<std::size_t>(workers * per_worker));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) batcher.open();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_worker; ++i) {
        const int id = w * per_worker + i;
        const ModelInput input = input_for(id);
        try {
          outcomes[static_cast<std::size_t>(id)].value = batcher.forward(input).values.at(0);
        } catch (const Error& e) {
          outcomes[static_cast<std::size_t>(id)].error = e.reason();
        }
      }
      batcher.close();
    });
  }
  for (auto& thread : threads) thread.join();
  return outcomes;
}

double seconds_for(int depth, std::chrono::milliseconds stage, std::chrono::milliseconds run, int workers,
                   int per_worker, int batch) {
  auto model = std::make_shared<SlowModel>(stage, run, workers * per_worker, false);
  BatcherOptions options;
  options.batch_size = batch;
  options.depth = depth;
  ForwardBatcher batcher(model, options);
  const auto start = std::chrono::steady_clock::now();
  run_workers(batcher, workers, per_worker);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(ForwardBatcher, SubmitsTheNextBatchWhileOneRunsAndHandsEachWorkerItsOwnAttention) {
  const int workers = 8, per_worker = 4;
  auto model = std::make_shared<SlowModel>(10ms, 30ms, workers * per_worker, true);
  BatcherOptions options;
  options.batch_size = 4;
  ForwardBatcher batcher(model, options);
  const std::vector<Outcome> outcomes = run_workers(batcher, workers, per_worker);
  for (std::size_t id = 0; id < outcomes.size(); ++id) {
    EXPECT_TRUE(outcomes[id].error.empty()) << outcomes[id].error;
    EXPECT_EQ(outcomes[id].value, static_cast<float>(id)) << "input " << id << " got another input's attention";
  }
  // Every batch but the last ran while the next one was being submitted.
  EXPECT_EQ(model->runs_without_overlap(), 0) << "of " << model->submits() << " batches";
  EXPECT_EQ(model->most_in_flight(), 2);  // the depth: one running, one queued behind it
  EXPECT_EQ(batcher.most_in_flight(), 2);
  EXPECT_EQ(batcher.counts().second, static_cast<std::size_t>(workers * per_worker));
}

TEST(ForwardBatcher, DepthOneWaitsForEachBatchAndTwoOverlapsThem) {
  // What the overlap saves when staging a batch costs about half of running it (the figure
  // for docs/PERFORMANCE.md: 32 inputs, batches of 4, 20 ms to stage, 40 ms to run).
  const double serial = seconds_for(1, 20ms, 40ms, 8, 4, 4);
  const double overlapped = seconds_for(2, 20ms, 40ms, 8, 4, 4);
  std::printf("[ figure ] depth 1: %.3f s, depth 2: %.3f s, ratio %.2f\n", serial, overlapped, overlapped / serial);
  EXPECT_LT(overlapped, serial);
}

TEST(ForwardBatcher, ABatchThatRunsOutOfMemoryIsSplitDownToWhatFits) {
  auto model = std::make_shared<SmallMemoryModel>(3, -1);
  BatcherOptions options;
  options.batch_size = 16;
  ForwardBatcher batcher(model, options);
  const std::vector<Outcome> outcomes = run_workers(batcher, 16, 2);
  for (std::size_t id = 0; id < outcomes.size(); ++id) {
    EXPECT_TRUE(outcomes[id].error.empty()) << outcomes[id].error;
    EXPECT_EQ(outcomes[id].value, static_cast<float>(id));
  }
  for (std::size_t size : model->sizes()) EXPECT_TRUE(size <= 16) << size;
  EXPECT_GE(model->releases(), 1);  // the cache was freed before the retries
  // One split: afterwards batches of that shape are capped at the size that fitted, so
  // none runs out of memory again.
  const std::vector<std::string> warnings = batcher.take_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings.front().find("fake:0 ran out of memory on a batch of "), std::string::npos) << warnings.front();
  const bool capped = warnings.front().find("split it; batches of 3 fit, the most at that size from now on") !=
                          std::string::npos ||
                      warnings.front().find("split it; batches of 2 fit, the most at that size from now on") !=
                          std::string::npos;
  EXPECT_TRUE(capped) << warnings.front();
  EXPECT_TRUE(batcher.take_warnings().empty());  // each once
}

TEST(ForwardBatcher, APhotoThatDoesNotFitAloneFailsWithItsReasonAndTheOthersAreComputed) {
  auto model = std::make_shared<SmallMemoryModel>(8, 5);  // input 5 never fits
  BatcherOptions options;
  options.batch_size = 8;
  ForwardBatcher batcher(model, options);
  const std::vector<Outcome> outcomes = run_workers(batcher, 8, 1);
  for (std::size_t id = 0; id < outcomes.size(); ++id) {
    if (id == 5) {
      EXPECT_EQ(outcomes[id].error, "out of memory on fake:0 even alone at 32x32 (CUDA out of memory. Tried to "
                                    "allocate 9.00 GiB)");
    } else {
      EXPECT_TRUE(outcomes[id].error.empty()) << id << ": " << outcomes[id].error;
      EXPECT_EQ(outcomes[id].value, static_cast<float>(id));
    }
  }
  // Input 5 was tried alone twice: once in the split, once more after the cache was freed.
  const std::vector<std::size_t> sizes = model->sizes();
  EXPECT_GE(std::count(sizes.begin(), sizes.end(), 1u), 2);
  const std::vector<std::string> warnings = batcher.take_warnings();
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().find("1 photo(s) failed"), std::string::npos) << warnings.back();
}
