#pragma once
// Runs the pipeline over many photos: decode -> saliency -> window -> write, with
// decoding and writing overlapped with inference, every failure reported and the
// rest still processed.

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "smartcrop/backend.hpp"
#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/batch_review.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/early_decode.hpp"
#include "smartcrop/error.hpp"
#include "smartcrop/image_io.hpp"
#include "smartcrop/output_naming.hpp"
#include "smartcrop/steering.hpp"

namespace smartcrop {

// A run refused before any work because of how it was asked for (exit code of a
// usage error), e.g. several crops for one -o file.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A run with no photo at all to process (empty folders, only other files): exit 1.
class NoPhotosError : public Error {
 public:
  using Error::Error;
};

// What to do with an output that already exists.
enum class ExistingOutput { Fail, Overwrite, Skip };

// --size: the crop is resized after cutting. Width only: height follows the crop's
// ratio. Both: the crop is fitted inside width x height, keeping its ratio.
struct OutputSize {
  int width = 0;   // 0 = keep the cut size
  int height = 0;  // 0 = from width and the crop's ratio
};

// What steers the crops besides the photo itself (README, "Steering the crop").
// Precedence per photo: its hints row, then the flags, then the regions in the
// file (LoadOptions::read_regions), then the automatic crop.
struct SteerParams {
  SteeringSpec flags;      // --focus / --keep, for every photo
  std::string hints_file;  // --hints: CSV with a header or JSON lines, per photo; "-" = stdin
};

struct RunParams {
  InputSpec input;
  std::string output;  // a file (one input, one ratio), a folder, or "" to write no images
  std::string name_template = kDefaultNameTemplate;
  ExistingOutput existing = ExistingOutput::Fail;
  bool dry_run = false;  // plan and report crops, write nothing
  OutputSize size;
  CropParams crop;
  SteerParams steer;
  LoadOptions load;
  WriteOptions write;
  bool print_box = false;          // "x y w h" per crop on stdout
  bool json = false;               // one JSON object per input on stdout
  bool progress = false;           // live progress line on stderr (the caller checks it is a terminal)
  int decode_threads = 2;          // photos decoded ahead of inference
  // Inference: up to `workers` threads, each computing whole photos with its own fork
  // of the backend, and `threads` cores shared between them (Torch's intra-op threads).
  // One worker when the backend cannot fork or there is a single photo.
  int workers = 1;
  int threads = 1;
  std::string dump_attention_dir;  // write <stem>.heads.f32 per photo (DINO backend only)
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop after the current photo
  std::atomic<long>* heartbeat = nullptr;  // counted up per photo analysed and output written (a sign of life)
  ReviewParams review;                        // --compare strips and the --review page
  BatchReview* review_sink = nullptr;         // set by run_batch itself when review is enabled
  EarlyDecode* early_decode = nullptr;        // photos decoded while the model loaded (optional)
};

struct RunSummary {
  int inputs = 0;            // photos in this run (this shard)
  int written = 0;           // output images written
  int skipped = 0;           // outputs that existed and were kept (--skip-existing)
  int failed = 0;            // photos that failed
  int not_processed = 0;     // photos left when the run was interrupted
  int hint_errors = 0;       // --hints rows that match no photo of the batch (or are unreadable)
  int skipped_hidden = 0;    // hidden files in folder inputs
  int skipped_unsupported = 0;
  bool interrupted = false;
  double seconds = 0.0;
};

// Parses "1280x720" or "1280". Throws std::invalid_argument naming the text.
OutputSize parse_output_size(std::string_view text);

// Returns the one-line summary printed at the end of a run.
std::string format_summary(const RunSummary& summary);

// Collects the inputs, plans every output name and checks them before any work:
// throws NoPhotosError when there is no photo at all, UsageError when -o names an
// image file but the run would write several crops, smartcrop::Error (a set-up
// error, nothing written) for naming conflicts,
// for existing outputs without --overwrite/--skip-existing, and for an output folder
// that cannot be made. Then processes every photo with `backend` (its compute() on
// this thread) and, with params.workers > 1, with forks of it on other threads.
// Errors about one photo are logged as "error: PATH: reason" and counted; the
// others go on. Outputs and records follow input order.
RunSummary run_batch(const RunParams& params, SaliencyBackend& backend);

// Reads the evaluation harness's request list (TSV: image aw ah tw th W H id) and
// prints one "x y w h" line per request on stdout, "ERROR reason" for a failed one.
// Returns the number of failed requests. With `dump_maps_dir`, also writes each
// photo's window evidence there (write_evidence_dump) for scripts/quality/fit_window_model.py.
int run_request_list(const std::string& list_path, SaliencyBackend& backend, const CropParams& base,
                     const LoadOptions& load, const std::string& dump_maps_dir = "");

// Writes the maps the learned window sees for one photo: DIR/<folder>_<stem>.maps.f32
// (float32 planes, row-major: the cues, the edge map, the combined map) and
// DIR/<folder>_<stem>.maps.json (their names, size, scale, gate, the photo's size).
// Throws smartcrop::Error when a file cannot be written.
void write_evidence_dump(const std::string& dir, const std::string& image_path, int image_width, int image_height,
                         const SaliencyResult& saliency);

}  // namespace smartcrop
