#pragma once
// Files that appear whole or not at all, however many writers aim at the same name.

#include <cstddef>
#include <string>

namespace smartcrop {

enum class WriteOutcome {
  Written,  // the file is now at `path`
  Existed,  // (overwrite off) a file had that name at the moment of the link: left as it was
};

// Writes `size` bytes so that `path` only ever names a complete file. Without
// `overwrite` the bytes go to an anonymous file (O_TMPFILE) that is linked to `path`,
// which fails atomically if the name exists; where O_TMPFILE or linking it is missing
// (NFS), to a temp file whose name is this writer's own (temp_files.hpp), linked and
// then unlinked. With `overwrite`, to such a temp file renamed over `path`. Before the
// first write into a folder, the temp files that killed writers left there are removed.
// Named temp files are registered, so remove_temp_files_in_flight() can delete them.
// Throws smartcrop::Error naming `path`.
WriteOutcome write_file_atomic(const std::string& path, const void* data, std::size_t size, bool overwrite);

// Deletes every named temp file this process is writing right now. Async-signal-safe
// (unlink only): called on the way out of an interrupted run. (An anonymous file
// vanishes by itself with the process.)
void remove_temp_files_in_flight() noexcept;

}  // namespace smartcrop
