#pragma once
// Named temp files of write_file_atomic: a name per writer that says who made it, the
// registry of those being written (for an interrupted run's exit), and the removal of
// those a killed writer left.

#include <string>

namespace smartcrop {

// Returns a temp name for `path` that no other writer uses, in the same folder:
// ".NAME~HOST~PID~NONCE.tmp-smartcrop" (HOST this machine's name, PID this process,
// NONCE random per process plus a counter). NAME is shortened when the whole would pass
// the 255-byte limit of a file name.
std::string unique_temp_path(const std::string& path);

// Who made a temp file, read from its name (a file name without folder).
struct TempOwner {
  std::string host;  // "" for the fixed ".NAME.tmp-smartcrop" of earlier versions
  long pid = 0;
};

// Returns true and sets *owner when `name` is a temp file of smartcrop.
bool parse_temp_name(const std::string& name, TempOwner* owner);

// Removes from `folder` the temp files whose writer is known to be gone: made on this
// host by a process that no longer runs, or (made elsewhere, or with the old fixed name)
// not modified for an hour. Everything else stays, other files first of all. Looks at a
// folder once per process; errors are ignored (this is housekeeping, not the write).
void remove_stale_temps_once(const std::string& folder);

// Registers a temp file while it exists, so that remove_temp_files_in_flight() can
// delete it on the way out of an interrupted run.
class InFlightTemp {
 public:
  explicit InFlightTemp(const std::string& path);
  ~InFlightTemp();
  InFlightTemp(const InFlightTemp&) = delete;
  InFlightTemp& operator=(const InFlightTemp&) = delete;

 private:
  void* slot_ = nullptr;
};

}  // namespace smartcrop
