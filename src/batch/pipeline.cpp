#include "pipeline.hpp"

#include <malloc.h>

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

#include "bounded_queue.hpp"
#include "crop_output.hpp"
#include "json_record.hpp"
#include "smartcrop/dino_backend.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// The analysis works on 16 px patches: a photo must hold at least one.
constexpr int kMinSide = 16;

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
        ahead_(static_cast<std::size_t>(std::max(1, params.decode_threads))), to_write_(1) {}

  void run() {
    std::vector<std::thread> decoders;
    for (int i = 0; i < std::max(1, params_.decode_threads); ++i) decoders.emplace_back([this] { decode_loop(); });
    std::thread writer([this] { write_loop(); });
    std::size_t taken = 0;
    while (taken < plans_.size()) {
      if (cancelled()) break;
      PhotoWork work = next_decoded();
      ++taken;
      infer(work);
      to_write_.push(std::move(work));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    ready_changed_.notify_all();
    for (auto& t : decoders) t.join();
    to_write_.close();
    writer.join();
    summary_.interrupted = taken < plans_.size();
    summary_.not_processed = static_cast<int>(plans_.size() - taken);
  }

 private:
  bool cancelled() const { return params_.cancel != nullptr && params_.cancel->load(); }

  // Decoding threads claim photos in order but never more than `ahead_` past the
  // one inference waits for, so memory holds a fixed number of photos.
  void decode_loop() {
    for (;;) {
      std::size_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_changed_.wait(lock, [&] { return stop_ || claimed_ >= plans_.size() || claimed_ < consumed_ + ahead_; });
        if (stop_ || claimed_ >= plans_.size()) return;
        index = claimed_++;
      }
      PhotoWork work = decode(plans_[index]);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(index, std::move(work));
      }
      ready_changed_.notify_all();
    }
  }

  PhotoWork next_decoded() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_changed_.wait(lock, [&] { return ready_.count(consumed_) > 0; });
    auto node = ready_.extract(consumed_++);
    lock.unlock();
    ready_changed_.notify_all();
    return std::move(node.mapped());
  }

  PhotoWork decode(const PhotoPlan& plan) {
    PhotoWork work;
    work.plan = &plan;
    if (plan.skip_all) return work;
    const auto start = std::chrono::steady_clock::now();
    try {
      work.image = load_image(plan.input.path, params_.load);
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

  void infer(PhotoWork& work) {
    if (!work.error.empty() || work.plan->skip_all) return;
    const std::string& path = work.plan->input.path;
    try {
      SaliencyResult saliency = backend_.compute(work.image.pixels, path);
      work.saliency_seconds = saliency.seconds;
      work.crops = plan_crops(std::move(saliency), work.image.width(), work.image.height(), params_.crop);
      if (!params_.dump_attention_dir.empty()) {
        if (auto* dino = dynamic_cast<DinoBackend*>(&backend_)) {
          dump_heads(params_.dump_attention_dir, path, dino->last_heads());
        }
      }
    } catch (const std::exception& e) {
      work.error = describe(path, e);
    }
    // The maps are not needed past this point, unless a comparison strip shows them.
    if (params_.review_sink == nullptr) work.crops.saliency = SaliencyResult();
  }

  void write_loop() {
    while (auto work = to_write_.pop()) {
      finish(*work);
      progress_.photo_done();
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
          if (fs::exists(out) && fs::equivalent(out, plan.input.path)) {
            throw Error(out, "refusing to overwrite the input");
          }
          write_image_atomic(out, crop_for_output(work.image, crop.box, out, params_.size), params_.write);
          outcome.status = "written";
          ++summary_.written;
          spdlog::debug("wrote {} ({}x{} at {},{})", out, crop.box.width, crop.box.height, crop.box.x, crop.box.y);
        } catch (const std::exception& e) {
          outcome.status = "failed";
          outcome.error = describe(out, e);
          spdlog::error("{}", outcome.error);
        }
      }
      work.outcomes.push_back(outcome);
      if (params_.print_box) std::printf("%d %d %d %d\n", crop.box.x, crop.box.y, crop.box.width, crop.box.height);
    }
    work.write_seconds = seconds_since(start);
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
  std::mutex mutex_;
  std::condition_variable ready_changed_;
  std::map<std::size_t, PhotoWork> ready_;
  std::size_t claimed_ = 0;
  std::size_t consumed_ = 0;
  bool stop_ = false;
  BoundedQueue<PhotoWork> to_write_;
};

}  // namespace

void run_pipeline(const std::vector<PhotoPlan>& plans, const RunParams& params, SaliencyBackend& backend,
                  ProgressLine& progress, RunSummary& summary) {
  // Photos of ever-changing sizes freed on other threads fragment glibc's arenas
  // and the peak creeps up over a long batch: give every buffer above 4 MB its own
  // mapping, returned to the system when freed.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  Pipeline(plans, params, backend, progress, summary).run();
}

}  // namespace smartcrop
