#include "pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "crop_output.hpp"
#include "json_record.hpp"
#include "steering_choice.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// The analysis works on 16 px patches: a photo must hold at least one.
constexpr int kMinSide = 16;

// How many times longer than it is wide (or the reverse) the photo at `path` is,
// from its header: the model sees the short side at a fixed size, so this sets its
// token count and cost. 0 when the header cannot be read (the photo will fail fast).
double elongation(const std::string& path) {
  std::vector<std::uint8_t> head;
  try {
    head = read_file_head(path, 256 * 1024);
  } catch (const Error&) {
    return 0.0;
  }
  const ImageHeader header = read_image_header(head);
  if (header.width <= 0 || header.height <= 0) return 0.0;
  return static_cast<double>(std::max(header.width, header.height)) / std::min(header.width, header.height);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string describe(const std::string& input, const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) {
    return error->path().empty() ? input + ": " + error->reason() : error->what();
  }
  return input + ": " + e.what();
}

void dump_heads(const std::string& folder, const std::string& input, const HeadAttention& heads) {
  fs::path target = fs::path(folder) / (fs::path(input).stem().string() + ".heads.f32");
  std::ofstream out(target, std::ios::binary);
  out.write(reinterpret_cast<const char*>(heads.values.data()),
            static_cast<std::streamsize>(heads.values.size() * sizeof(float)));
  if (!out) throw Error(target.string(), "cannot write attention dump");
}

class Pipeline {
 public:
  Pipeline(const std::vector<PhotoPlan>& plans, const RunParams& params, SaliencyBackend& backend,
           ProgressLine& progress, RunSummary& summary)
      : plans_(plans), params_(params), backend_(backend), progress_(progress), summary_(summary),
        ahead_(static_cast<std::size_t>(std::max(1, params.decode_threads))) {}

  void run() {
    // Worker 0 is this thread with `backend_`; the others get forks of it. A
    // batching backend wants a batch in the model and the next one filling.
    const int batch = backend_.batch_size();
    const int wanted_workers = batch > 1 ? std::max(params_.workers, 2 * batch) : params_.workers;
    const int wanted = std::max(1, std::min<int>(wanted_workers, static_cast<int>(photos_to_analyse())));
    std::vector<std::unique_ptr<SaliencyBackend>> forks;
    for (int i = 1; i < wanted; ++i) {
      auto fork = backend_.fork();
      if (!fork) break;
      forks.push_back(std::move(fork));
    }
    const int workers = 1 + static_cast<int>(forks.size());
    // One worker keeps every core for its forwards; several split them.
    const int torch_threads = workers > 1 && batch == 1 ? std::max(1, params_.threads / workers) : 0;
    if (batch > 1) {
      spdlog::debug("{} inference workers feeding batches of up to {}", workers, batch);
    } else if (workers > 1) {
      spdlog::debug("{} inference workers, {} Torch thread(s) each", workers, torch_threads);
    }
    // Photos whose outputs all exist never reach the decoding and inference threads: the
    // writer reports them in their turn. A resume of 100,000 photos passed each through
    // three hand-overs between threads, 5 s of wake-ups (docs/PERFORMANCE.md, "Scale").
    order_.clear();
    for (std::size_t i = 0; i < plans_.size(); ++i) {
      if (!plans_[i].skip_all) order_.push_back(i);
    }
    const std::size_t tail_from = order_.size() - std::min(order_.size(), 4 * static_cast<std::size_t>(workers));
    tail_start_ = tail_from < order_.size() ? order_[tail_from] : plans_.size();
    const std::size_t tail = workers > 1 ? take_the_tail_longest_first(workers) : 0;
    // A worker may finish this far ahead of the writer, which goes in input order;
    // further among the reordered last photos, whose order the writer cannot follow.
    reorder_limit_ = 2 * static_cast<std::size_t>(workers);
    tail_ = tail;

    std::vector<std::thread> decoders;
    for (int i = 0; i < std::max(1, params_.decode_threads); ++i) decoders.emplace_back([this] { decode_loop(); });
    std::thread writer([this] { write_loop(); });
    std::vector<std::thread> other_workers;
    for (auto& fork : forks) {
      other_workers.emplace_back([this, &fork, torch_threads] { infer_loop(*fork, torch_threads); });
    }
    infer_loop(backend_, torch_threads);
    for (auto& worker : other_workers) worker.join();
    if (workers > 1 && batch == 1) backend_.use_threads(params_.threads);
    {
      // Every photo taken has been handed to the writer: what is left is undecoded.
      std::lock_guard<std::mutex> lock(mutex_);
      stop_decoding_ = true;
      writer_may_stop_ = true;
    }
    changed_.notify_all();
    for (auto& decoder : decoders) decoder.join();
    writer.join();
    summary_.interrupted = finished_ < plans_.size();
    summary_.not_processed = static_cast<int>(plans_.size() - finished_);
  }

 private:
  bool cancelled() const { return params_.cancel != nullptr && params_.cancel->load(); }
  // Each photo analysed and each output written counts: the interrupt watchdog
  // waits for the photos in hand only while this moves.
  void alive() {
    if (params_.heartbeat != nullptr) params_.heartbeat->fetch_add(1);
  }

  // Workers take photos in input order, except the last few: those go longest
  // first, so that no worker is left alone with a panorama (several times the cost
  // of a 4:3 photo) at the end of the run while the other cores wait. The writer
  // still goes in input order. Returns how many photos were reordered.
  std::size_t take_the_tail_longest_first(int workers) {
    const std::size_t tail = std::min(order_.size(), 4 * static_cast<std::size_t>(workers));
    if (tail < 2) return 0;
    std::vector<double> cost(plans_.size(), 0.0);
    const auto first = order_.end() - static_cast<std::ptrdiff_t>(tail);
    for (auto it = first; it != order_.end(); ++it) cost[*it] = elongation(plans_[*it].input.path);
    std::stable_sort(first, order_.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
    return tail;
  }

  std::size_t photos_to_analyse() const {
    return static_cast<std::size_t>(
        std::count_if(plans_.begin(), plans_.end(), [](const PhotoPlan& plan) { return !plan.skip_all; }));
  }

  // Reports the photos from written_ on whose outputs all exist, up to the next photo
  // that the workers have.
  void finish_skipped() {
    std::size_t next = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      next = written_;
    }
    std::size_t done = next;
    for (; done < plans_.size() && plans_[done].skip_all; ++done) {
      PhotoWork work;
      work.plan = &plans_[done];
      finish(work);
      progress_.photo_done();
      ++finished_;
    }
    if (done == next) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      written_ = done;
    }
    changed_.notify_all();
  }

  // Decoding threads claim photos in order but never more than `ahead_` past the
  // next one a worker takes, so memory holds a fixed number of photos.
  void decode_loop() {
    for (;;) {
      std::size_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_decoding_ || claimed_ >= order_.size() || claimed_ < consumed_ + ahead_; });
        if (stop_decoding_ || claimed_ >= order_.size()) return;
        index = claimed_++;
      }
      PhotoWork work = decode(plans_[order_[index]]);
      work.index = index;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        decoded_.emplace(index, std::move(work));
      }
      changed_.notify_all();
    }
  }

  // Takes the next photo in the workers' order (order_); nothing once all are taken
  // or on a cancel.
  std::optional<PhotoWork> take_decoded() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return cancelled() || consumed_ >= order_.size() || decoded_.count(consumed_) > 0; });
    if (cancelled() || consumed_ >= order_.size()) return std::nullopt;
    auto node = decoded_.extract(consumed_++);
    lock.unlock();
    changed_.notify_all();
    return std::move(node.mapped());
  }

  // Workers finish out of order; the writer takes photos back in input order, and a
  // worker that is far ahead of a slow photo waits rather than piling up results (each
  // holds its decoded photo: a window of 2 x workers keeps memory flat over thousands
  // of photos, where the wider window of the tail let the peak creep up step by step).
  void hand_to_writer(PhotoWork work) {
    const auto input_index = static_cast<std::size_t>(work.plan - plans_.data());
    const std::size_t limit = reorder_limit_ + (input_index >= tail_start_ ? tail_ : 0);
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return input_index < written_ + limit; });
    analysed_.emplace(input_index, std::move(work));
    lock.unlock();
    changed_.notify_all();
  }

  void infer_loop(SaliencyBackend& backend, int torch_threads) {
    if (torch_threads > 0) backend.use_threads(torch_threads);
    while (auto work = take_decoded()) {
      infer(*work, backend);
      alive();
      hand_to_writer(std::move(*work));
    }
    backend.done_computing();
  }

  PhotoWork decode(const PhotoPlan& plan) {
    PhotoWork work;
    work.plan = &plan;
    if (plan.skip_all) return work;
    if (plan.hint && !plan.hint->error.empty()) {
      work.error = plan.input.path + ": " + plan.hint->error;
      return work;
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      std::optional<DecodedImage> early;
      if (params_.early_decode != nullptr) early = params_.early_decode->take(plan.input.path);
      work.image = early ? std::move(*early) : load_image(plan.input.path, params_.load);
      if (work.image.width() < kMinSide || work.image.height() < kMinSide) {
        throw Error(plan.input.path, "image is " + std::to_string(work.image.width()) + "x" +
                                         std::to_string(work.image.height()) +
                                         " pixels, too small to crop (needs at least 16x16, one analysis patch)");
      }
    } catch (const std::exception& e) {
      work.error = describe(plan.input.path, e);
      work.image = DecodedImage();
    }
    work.decode_seconds = seconds_since(start);
    return work;
  }

  void infer(PhotoWork& work, SaliencyBackend& backend) {
    if (!work.error.empty() || work.plan->skip_all) return;
    const std::string& path = work.plan->input.path;
    try {
      SaliencyResult saliency = backend.compute(work.image.pixels, path);
      work.saliency_seconds = saliency.seconds;
      work.saliency_cpu_seconds = saliency.cpu_seconds;
      const Steering steering = choose_steering(*work.plan, params_.steer, work.image);
      work.crops = plan_crops(std::move(saliency), work.image.width(), work.image.height(), params_.crop, steering);
      work.warnings = steering_warnings(work);
      if (!params_.dump_attention_dir.empty()) {
        if (const HeadAttention* heads = backend.last_heads()) dump_heads(params_.dump_attention_dir, path, *heads);
      }
    } catch (const std::exception& e) {
      work.error = describe(path, e);
    }
    for (const std::string& warning : backend.take_warnings()) spdlog::warn("{}", warning);
    // The maps are not needed past this point, unless a comparison strip shows them.
    if (params_.review_sink == nullptr) work.crops.saliency = SaliencyResult();
  }

  void write_loop() {
    for (;;) {
      finish_skipped();
      PhotoWork work;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return analysed_.count(written_) > 0 || writer_may_stop_; });
        if (analysed_.empty()) return;
        // After a cancel, photos never taken leave gaps: skip them.
        if (analysed_.count(written_) == 0) written_ = analysed_.begin()->first;
        work = std::move(analysed_.extract(written_).mapped());
      }
      finish(work);
      progress_.photo_done();
      alive();
      ++finished_;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++written_;
      }
      changed_.notify_all();
    }
  }

  void write_crops(PhotoWork& work) {
    const PhotoPlan& plan = *work.plan;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t r = 0; r < work.crops.crops.size(); ++r) {
      const CropChoice& crop = work.crops.crops[r];
      const std::string& out = plan.outputs[r];
      CropOutcome outcome;
      if (out.empty()) {
        outcome.status = "not-written";
      } else if (params_.dry_run) {
        outcome.status = "dry-run";
      } else if (plan.keep_existing[r]) {
        outcome.status = "skipped";
        ++summary_.skipped;
      } else {
        try {
          const fs::path folder = fs::path(out).parent_path();
          std::error_code ec;
          if (!folder.empty()) fs::create_directories(folder, ec);
          if (fs::exists(out, ec) && fs::equivalent(out, plan.input.path, ec)) {
            throw Error(out, "refusing to overwrite the input");
          }
          const bool written =
              write_image_atomic(out, crop_for_output(work.image, crop.box, out, params_.size), params_.write);
          alive();
          if (written) {
            outcome.status = "written";
            ++summary_.written;
            spdlog::debug("wrote {} ({}x{} at {},{})", out, crop.box.width, crop.box.height, crop.box.x, crop.box.y);
          } else {
            // --skip-existing, and another run (a resubmitted job, a second pod) wrote it first.
            outcome.status = "skipped";
            ++summary_.skipped;
            spdlog::debug("{}: appeared during the run (another run wrote it), kept", out);
          }
        } catch (const std::exception& e) {
          outcome.status = "failed";
          outcome.error = plan.input.path + ": output " + describe(out, e);
          spdlog::error("{}", outcome.error);
        }
      }
      work.outcomes.push_back(outcome);
      if (params_.print_box) std::printf("%d %d %d %d\n", crop.box.x, crop.box.y, crop.box.width, crop.box.height);
    }
    work.write_seconds = seconds_since(start);
  }

  // On the writer thread, so that the lines come in input order.
  void log_steering(const PhotoWork& work) const {
    for (const auto& warning : work.warnings) spdlog::warn("{}: {}", work.plan->input.path, warning);
  }

  void finish(PhotoWork& work) {
    const PhotoPlan& plan = *work.plan;
    if (!work.error.empty()) {
      spdlog::error("{}", work.error);
      ++summary_.failed;
      if (params_.review_sink != nullptr) params_.review_sink->add_failure(plan.input, work.error);
    } else if (plan.skip_all) {
      summary_.skipped += static_cast<int>(plan.outputs.size());
      spdlog::debug("{}: every output exists, skipped", plan.input.path);
    } else {
      log_steering(work);
      write_crops(work);
      bool failed = params_.review_sink != nullptr &&
                    !params_.review_sink->add_photo(plan.input, work.image.pixels, work.crops);
      for (const auto& outcome : work.outcomes) failed = failed || outcome.status == "failed";
      if (failed) ++summary_.failed;
    }
    if (params_.json) std::printf("%s\n", photo_record_json(work, backend_).c_str());
    std::fflush(stdout);
  }

  const std::vector<PhotoPlan>& plans_;
  const RunParams& params_;
  SaliencyBackend& backend_;
  ProgressLine& progress_;
  RunSummary& summary_;  // written by the writer thread only until it is joined

  const std::size_t ahead_;
  std::size_t reorder_limit_ = 2;
  std::size_t tail_start_ = 0;  // input index from which photos are taken longest first
  std::size_t tail_ = 0;
  std::vector<std::size_t> order_;  // the plans in the order workers take them
  // Everything below is guarded by mutex_; changed_ is notified on every change.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::size_t, PhotoWork> decoded_;   // decoded, waiting for a worker
  std::map<std::size_t, PhotoWork> analysed_;  // analysed, waiting for the writer
  std::size_t claimed_ = 0;   // photos a decoder has started
  std::size_t consumed_ = 0;  // photos a worker has taken
  std::size_t written_ = 0;   // input index of the next photo for the writer
  std::size_t finished_ = 0;  // photos reported by the writer (its own: not guarded)
  bool stop_decoding_ = false;
  bool writer_may_stop_ = false;
};

}  // namespace

void run_pipeline(const std::vector<PhotoPlan>& plans, const RunParams& params, SaliencyBackend& backend,
                  ProgressLine& progress, RunSummary& summary) {
  Pipeline(plans, params, backend, progress, summary).run();
}

}  // namespace smartcrop
