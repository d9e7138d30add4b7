#pragma once
// Files that appear whole or not at all, and temp files that never outlive the run.

#include <cstddef>
#include <string>

namespace smartcrop {

// Returns the temp name write_file_atomic uses for `path`: ".NAME.tmp-smartcrop" in
// the same folder. It is fixed, not random, so that a run can find and remove the
// one a killed run left behind without listing the folder.
std::string temp_path_for(const std::string& path);

// Writes `size` bytes to the temp file of `path` (removing a stale one first), then
// moves it into place: rename() when `overwrite`, else link() + unlink(), which
// refuses atomically to replace an existing file. While the temp file exists it is
// registered, so remove_temp_files_in_flight() can delete it. Throws smartcrop::Error
// naming `path`.
void write_file_atomic(const std::string& path, const void* data, std::size_t size, bool overwrite);

// Deletes every temp file this process is writing right now. Async-signal-safe
// (unlink only): called on the way out of an interrupted run.
void remove_temp_files_in_flight() noexcept;

}  // namespace smartcrop
