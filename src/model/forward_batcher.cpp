#include "forward_batcher.hpp"

#include <exception>
#include <vector>

namespace smartcrop {

struct ForwardBatcher::Request {
  const ModelInput* input = nullptr;
  std::chrono::steady_clock::time_point since;
  bool done = false;
  HeadAttention attention;
  std::exception_ptr error;
};

ForwardBatcher::ForwardBatcher(std::shared_ptr<AttentionModel> model, int batch_size,
                               std::chrono::milliseconds max_wait, int torch_threads)
    : model_(std::move(model)), batch_size_(std::max(1, batch_size)), max_wait_(max_wait),
      torch_threads_(torch_threads), thread_([this] { loop(); }) {}

ForwardBatcher::~ForwardBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ForwardBatcher::open() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++open_;
  }
  changed_.notify_all();
}

void ForwardBatcher::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --open_;
  }
  changed_.notify_all();
}

std::pair<std::size_t, std::size_t> ForwardBatcher::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {batches_, photos_};
}

HeadAttention ForwardBatcher::forward(const ModelInput& input) {
  Request request;
  request.input = &input;
  std::unique_lock<std::mutex> lock(mutex_);
  request.since = std::chrono::steady_clock::now();
  pending_[{input.height, input.width}].push_back(&request);
  ++waiting_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return request.done; });
  if (request.error) std::rethrow_exception(request.error);
  return std::move(request.attention);
}

bool ForwardBatcher::ready_shape(Shape& shape, std::chrono::steady_clock::time_point now,
                                 std::chrono::steady_clock::time_point& wake) const {
  if (waiting_ == 0) return false;
  const Shape* oldest = nullptr;
  for (const auto& [key, queue] : pending_) {
    if (queue.empty()) continue;
    if (static_cast<int>(queue.size()) >= batch_size_) {
      shape = key;
      return true;
    }
    if (oldest == nullptr || queue.front()->since < pending_.at(*oldest).front()->since) oldest = &key;
  }
  if (oldest == nullptr) return false;
  const auto since = pending_.at(*oldest).front()->since;
  // Everyone who could add to a batch is waiting in one: nothing more will come.
  if (static_cast<int>(waiting_) >= open_ || now - since >= max_wait_ || stop_) {
    shape = *oldest;
    return true;
  }
  wake = since + max_wait_;
  return false;
}

void ForwardBatcher::loop() {
  set_torch_threads(torch_threads_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    Shape shape;
    auto wake = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    if (!ready_shape(shape, now, wake)) {
      if (stop_ && waiting_ == 0) return;
      if (wake == std::chrono::steady_clock::time_point::max()) {
        changed_.wait(lock);
      } else {
        changed_.wait_until(lock, wake);
      }
      continue;
    }
    std::deque<Request*>& queue = pending_[shape];
    std::vector<Request*> batch;
    while (!queue.empty() && static_cast<int>(batch.size()) < batch_size_) {
      batch.push_back(queue.front());
      queue.pop_front();
    }
    if (queue.empty()) pending_.erase(shape);
    waiting_ -= batch.size();
    lock.unlock();

    std::vector<const ModelInput*> inputs;
    inputs.reserve(batch.size());
    for (const Request* request : batch) inputs.push_back(request->input);
    std::vector<HeadAttention> attentions;
    std::exception_ptr error;
    try {
      attentions = model_->forward_batch(inputs);
    } catch (...) {
      error = std::current_exception();
    }

    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->error = error;
      if (!error) batch[i]->attention = std::move(attentions[i]);
      batch[i]->done = true;
    }
    ++batches_;
    photos_ += batch.size();
    changed_.notify_all();
  }
}

}  // namespace smartcrop
