#pragma once
// Batches for the model: inference workers hand in their photos' inputs one at a
// time and wait; a launcher thread submits up to batch_size inputs of one shape to
// the model at once, and a finisher thread waits for each batch and hands each
// worker its attention. Private to src/model. No Torch here: AttentionModel hides it.
//
// Up to `depth` batches are in flight: on a GPU, batch k+1 is packed, sent and queued
// while batch k runs (AttentionModel::submit returns before the forward is done).
// A batch goes when it is full; when every worker that may still send one is waiting
// in a batch or in flight (nothing more can come); when the model has nothing to do
// (never idle while inputs wait); or when its oldest input has waited max_wait.
//
// Out of memory: a batch that does not fit is split in halves and tried again, down
// to one photo; a photo that does not fit alone, after the device's cache is freed,
// fails with the reason. Later batches of that shape are no larger than the largest
// that fitted. Each split is one warning line (take_warnings).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "attention_model.hpp"

namespace smartcrop {

struct BatcherOptions {
  int batch_size = 32;
  std::chrono::milliseconds max_wait{50};
  int torch_threads = 0;  // intra-op threads of the launcher (the CPU's forward runs there)
  int depth = 2;          // batches in flight at once; 1: each waits for the one before
};

class ForwardBatcher {
 public:
  ForwardBatcher(std::shared_ptr<AttentionModel> model, BatcherOptions options);
  ~ForwardBatcher();
  ForwardBatcher(const ForwardBatcher&) = delete;
  ForwardBatcher& operator=(const ForwardBatcher&) = delete;

  // A worker that will send inputs (open) or will not for now (close); the
  // batcher waits for open workers only. Every DinoBackend opens on its first
  // forward() and closes in done_computing() and its destructor.
  void open();
  void close();

  // Runs `input` through the model in a batch of its shape; returns its attention, or
  // throws what the forward threw (smartcrop::Error naming no file).
  HeadAttention forward(const ModelInput& input);

  int batch_size() const { return options_.batch_size; }
  // Batches run so far and photos in them (for the debug log).
  std::pair<std::size_t, std::size_t> counts() const;
  // The batches that were in flight together at most (for tests).
  int most_in_flight() const;
  // Warning lines since the last call (batches split after running out of memory).
  std::vector<std::string> take_warnings();

 private:
  struct Request;
  using Shape = std::pair<int, int>;  // height, width
  struct InFlight {
    std::vector<Request*> batch;
    std::unique_ptr<PendingBatch> pending;
  };

  void launch_loop();
  void finish_loop();
  // The shape whose batch should go now, or none; call with mutex_ held.
  bool ready_shape(Shape& shape, std::chrono::steady_clock::time_point now,
                   std::chrono::steady_clock::time_point& wake) const;
  // Hands out a batch's results (or its error); call with mutex_ held.
  void deliver(const std::vector<Request*>& batch, std::vector<HeadAttention>* attentions, std::exception_ptr error);
  // Runs a batch that ran out of memory in halves, down to single photos, on the
  // launcher's thread with nothing in flight; takes and gives back mutex_.
  void split_and_retry(std::vector<Request*> batch, const std::string& reason, std::unique_lock<std::mutex>& lock);
  int limit_for(const Shape& shape) const;

  std::shared_ptr<AttentionModel> model_;
  const BatcherOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Shape, std::deque<Request*>> pending_;  // waiting inputs by shape, oldest first
  std::size_t waiting_ = 0;                        // inputs in pending_
  std::deque<InFlight> in_flight_;                 // submitted batches, oldest first
  std::size_t in_flight_inputs_ = 0;
  std::map<Shape, int> limits_;                    // batch size cap per shape after running out of memory
  std::vector<std::string> warnings_;
  int open_ = 0;                                   // workers that may still send inputs
  bool stop_ = false;
  bool launcher_done_ = false;
  std::size_t batches_ = 0;
  std::size_t photos_ = 0;
  int most_in_flight_ = 0;
  std::thread launcher_;
  std::thread finisher_;
};

}  // namespace smartcrop
