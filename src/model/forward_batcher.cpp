#include "forward_batcher.hpp"

#include <algorithm>
#include <exception>
#include <functional>

namespace smartcrop {

struct ForwardBatcher::Request {
  const ModelInput* input = nullptr;
  std::chrono::steady_clock::time_point since;
  bool done = false;
  HeadAttention attention;
  std::exception_ptr error;
};

namespace {

std::string shape_name(int height, int width) { return std::to_string(width) + "x" + std::to_string(height); }

}  // namespace

ForwardBatcher::ForwardBatcher(std::shared_ptr<AttentionModel> model, BatcherOptions options)
    : model_(std::move(model)), options_([&] {
        options.batch_size = std::max(1, options.batch_size);
        options.depth = std::max(1, options.depth);
        return options;
      }()) {
  launcher_ = std::thread([this] { launch_loop(); });
  finisher_ = std::thread([this] { finish_loop(); });
}

ForwardBatcher::~ForwardBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  launcher_.join();
  finisher_.join();
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

int ForwardBatcher::most_in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return most_in_flight_;
}

std::vector<std::string> ForwardBatcher::take_warnings() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> taken;
  taken.swap(warnings_);
  return taken;
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

int ForwardBatcher::limit_for(const Shape& shape) const {
  const auto it = limits_.find(shape);
  return it == limits_.end() ? options_.batch_size : it->second;
}

bool ForwardBatcher::ready_shape(Shape& shape, std::chrono::steady_clock::time_point now,
                                 std::chrono::steady_clock::time_point& wake) const {
  if (waiting_ == 0) return false;
  const Shape* oldest = nullptr;
  for (const auto& [key, queue] : pending_) {
    if (queue.empty()) continue;
    if (static_cast<int>(queue.size()) >= limit_for(key)) {
      shape = key;
      return true;
    }
    if (oldest == nullptr || queue.front()->since < pending_.at(*oldest).front()->since) oldest = &key;
  }
  if (oldest == nullptr) return false;
  const auto since = pending_.at(*oldest).front()->since;
  // Everyone who could add to a batch is waiting in one or in flight: nothing more will
  // come until a batch is done. Or the model has nothing to do: it never waits idle.
  const bool nothing_more = static_cast<int>(waiting_ + in_flight_inputs_) >= open_;
  if (nothing_more || in_flight_.empty() || now - since >= options_.max_wait || stop_) {
    shape = *oldest;
    return true;
  }
  wake = since + options_.max_wait;
  return false;
}

void ForwardBatcher::deliver(const std::vector<Request*>& batch, std::vector<HeadAttention>* attentions,
                             std::exception_ptr error) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i]->error = error;
    if (!error) batch[i]->attention = std::move((*attentions)[i]);
    batch[i]->done = true;
  }
  ++batches_;
  photos_ += batch.size();
  changed_.notify_all();
}

void ForwardBatcher::launch_loop() {
  set_torch_threads(options_.torch_threads);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stop_ && waiting_ == 0) break;
    if (static_cast<int>(in_flight_.size()) >= options_.depth) {
      changed_.wait(lock);
      continue;
    }
    Shape shape;
    auto wake = std::chrono::steady_clock::time_point::max();
    if (!ready_shape(shape, std::chrono::steady_clock::now(), wake)) {
      if (wake == std::chrono::steady_clock::time_point::max()) {
        changed_.wait(lock);
      } else {
        changed_.wait_until(lock, wake);
      }
      continue;
    }
    std::deque<Request*>& queue = pending_[shape];
    const auto limit = static_cast<std::size_t>(limit_for(shape));
    std::vector<Request*> batch;
    while (!queue.empty() && batch.size() < limit) {
      batch.push_back(queue.front());
      queue.pop_front();
    }
    if (queue.empty()) pending_.erase(shape);
    waiting_ -= batch.size();
    in_flight_inputs_ += batch.size();
    lock.unlock();

    std::vector<const ModelInput*> inputs;
    for (const Request* request : batch) inputs.push_back(request->input);
    std::unique_ptr<PendingBatch> pending;
    std::exception_ptr error;
    std::string out_of_memory;
    try {
      pending = model_->submit(inputs);
    } catch (const ModelOutOfMemory& e) {
      out_of_memory = e.reason();
    } catch (...) {
      error = std::current_exception();
    }

    lock.lock();
    if (pending) {
      in_flight_.push_back({std::move(batch), std::move(pending)});
      most_in_flight_ = std::max(most_in_flight_, static_cast<int>(in_flight_.size()));
      changed_.notify_all();
      continue;
    }
    in_flight_inputs_ -= batch.size();
    if (!out_of_memory.empty()) {
      split_and_retry(std::move(batch), out_of_memory, lock);
    } else {
      deliver(batch, nullptr, error);
    }
  }
  launcher_done_ = true;
  changed_.notify_all();
}

void ForwardBatcher::finish_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !in_flight_.empty() || launcher_done_; });
    if (in_flight_.empty()) return;
    PendingBatch* pending = in_flight_.front().pending.get();
    lock.unlock();
    std::vector<HeadAttention> attentions;
    std::exception_ptr error;
    try {
      attentions = pending->wait();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    InFlight done = std::move(in_flight_.front());
    in_flight_.pop_front();
    in_flight_inputs_ -= done.batch.size();
    deliver(done.batch, error ? nullptr : &attentions, error);
  }
}

void ForwardBatcher::split_and_retry(std::vector<Request*> batch, const std::string& reason,
                                     std::unique_lock<std::mutex>& lock) {
  // The batches in flight hold memory too: let them finish first.
  changed_.wait(lock, [&] { return in_flight_.empty(); });
  const Shape shape{batch.front()->input->height, batch.front()->input->width};
  const std::size_t size = batch.size();
  in_flight_inputs_ += size;
  lock.unlock();
  model_->release_cached_memory();
  std::size_t fitted = 0;
  int failed = 0;
  auto run = [&](const std::vector<Request*>& part) {
    std::vector<const ModelInput*> inputs;
    for (const Request* request : part) inputs.push_back(request->input);
    std::vector<HeadAttention> attentions = model_->submit(inputs)->wait();
    fitted = std::max(fitted, part.size());
    lock.lock();
    in_flight_inputs_ -= part.size();
    deliver(part, &attentions, nullptr);
    lock.unlock();
  };
  auto give_up = [&](const std::vector<Request*>& part, std::exception_ptr error) {
    lock.lock();
    in_flight_inputs_ -= part.size();
    deliver(part, nullptr, error);
    lock.unlock();
  };
  // A part that does not fit is halved; one photo that does not fit is tried once more
  // alone after the device's cache is freed, and then fails with the reason.
  std::function<void(const std::vector<Request*>&, bool)> attempt = [&](const std::vector<Request*>& part,
                                                                        bool first_try) {
    try {
      run(part);
      return;
    } catch (const ModelOutOfMemory& e) {
      if (part.size() > 1) {
        const auto middle = part.begin() + static_cast<std::ptrdiff_t>(part.size() / 2);
        attempt(std::vector<Request*>(part.begin(), middle), true);
        attempt(std::vector<Request*>(middle, part.end()), true);
        return;
      }
      if (!first_try) {
        ++failed;
        give_up(part, std::make_exception_ptr(Error("", "out of memory on " + model_->info().device +
                                                            " even alone at " + shape_name(shape.first, shape.second) +
                                                            " (" + e.reason() + ")")));
        return;
      }
    } catch (...) {
      give_up(part, std::current_exception());
      return;
    }
    model_->release_cached_memory();
    attempt(part, false);
  };
  // The batch itself ran out of memory once (and the cache is freed): its halves, or
  // the one photo's last try.
  if (size > 1) {
    const auto middle = batch.begin() + static_cast<std::ptrdiff_t>(size / 2);
    attempt(std::vector<Request*>(batch.begin(), middle), true);
    attempt(std::vector<Request*>(middle, batch.end()), true);
  } else {
    attempt(batch, false);
  }
  lock.lock();
  std::string line = model_->info().device + " ran out of memory on a batch of " + std::to_string(size) + " at " +
                     shape_name(shape.first, shape.second) + " (" + reason + "): ";
  if (fitted > 0) {
    limits_[shape] = static_cast<int>(fitted);
    line += "split it; batches of " + std::to_string(fitted) + " fit, the most at that size from now on";
  } else {
    line += "not even one photo fitted";
  }
  if (failed > 0) line += "; " + std::to_string(failed) + " photo(s) failed";
  warnings_.push_back(line);
  changed_.notify_all();
}

}  // namespace smartcrop
