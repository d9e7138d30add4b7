#pragma once
// Batches for the model: inference workers hand in their photos' inputs one at a
// time and wait; one thread runs the model on up to batch_size inputs of one shape
// at once and hands each its attention. Private to src/model.
//
// A batch goes when it is full, when every worker that may still send one is
// waiting in it (nothing more can come: the inputs ran out, or all wait on the
// same shape's missing photos), or when its oldest input has waited max_wait (a
// slow decode must not hold the model back). No Torch here: AttentionModel hides it.

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

#include "attention_model.hpp"

namespace smartcrop {

class ForwardBatcher {
 public:
  // Starts the model thread, which uses `torch_threads` intra-op threads.
  ForwardBatcher(std::shared_ptr<AttentionModel> model, int batch_size, std::chrono::milliseconds max_wait,
                 int torch_threads);
  ~ForwardBatcher();
  ForwardBatcher(const ForwardBatcher&) = delete;
  ForwardBatcher& operator=(const ForwardBatcher&) = delete;

  // A worker that will send inputs (open) or will not for now (close); the
  // batcher waits for open workers only. Every DinoBackend opens on its first
  // forward() and closes in done_computing() and its destructor.
  void open();
  void close();

  // Runs `input` through the model in a batch of its shape, on the model thread;
  // returns its attention, or throws what the forward threw.
  HeadAttention forward(const ModelInput& input);

  int batch_size() const { return batch_size_; }
  // Batches run so far and photos in them (for the debug log).
  std::pair<std::size_t, std::size_t> counts() const;

 private:
  struct Request;
  using Shape = std::pair<int, int>;  // height, width

  void loop();
  // The shape whose batch should go now, or none; call with mutex_ held.
  bool ready_shape(Shape& shape, std::chrono::steady_clock::time_point now,
                   std::chrono::steady_clock::time_point& wake) const;

  std::shared_ptr<AttentionModel> model_;
  const int batch_size_;
  const std::chrono::milliseconds max_wait_;
  const int torch_threads_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Shape, std::deque<Request*>> pending_;  // waiting inputs by shape, oldest first
  std::size_t waiting_ = 0;                        // inputs in pending_
  int open_ = 0;                                   // workers that may still send inputs
  bool stop_ = false;
  std::size_t batches_ = 0;
  std::size_t photos_ = 0;
  std::thread thread_;
};

}  // namespace smartcrop
