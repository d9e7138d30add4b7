#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// The temp files being written, for the exit path of an interrupted run. A slot is
// free (0), being filled (1) or live (2). More writers than slots (a batch has at
// most 8 workers and one writer) only means an unregistered temp file.
struct TempSlot {
  std::atomic<int> state{0};
  char path[PATH_MAX];
};
std::array<TempSlot, 64> g_slots;

class TempRegistration {
 public:
  explicit TempRegistration(const std::string& path) {
    if (path.size() >= PATH_MAX) return;
    for (auto& slot : g_slots) {
      int expected = 0;
      if (!slot.state.compare_exchange_strong(expected, 1)) continue;
      std::memcpy(slot.path, path.c_str(), path.size() + 1);
      slot.state.store(2);
      slot_ = &slot;
      return;
    }
  }
  ~TempRegistration() {
    if (slot_ != nullptr) slot_->state.store(0);
  }
  TempRegistration(const TempRegistration&) = delete;
  TempRegistration& operator=(const TempRegistration&) = delete;

 private:
  TempSlot* slot_ = nullptr;
};

[[noreturn]] void fail(const std::string& path, int err) {
  throw Error(path, std::string("cannot write: ") + std::strerror(err));
}

// Opens the temp file exclusively. An existing one is a leftover of a killed run
// (two runs writing the same output at once are not supported: docs/BATCH.md).
int open_temp(const std::string& path, const std::string& temp) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt > 0) break;
    struct stat st {};
    if (::lstat(temp.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::unlink(temp.c_str()) != 0) break;
  }
  fail(path, errno);
}

}  // namespace

std::string temp_path_for(const std::string& path) {
  const fs::path target(path);
  const fs::path folder = target.parent_path();
  const std::string name = "." + target.filename().string() + ".tmp-smartcrop";
  return folder.empty() ? name : (folder / name).string();
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size, bool overwrite) {
  const std::string temp = temp_path_for(path);
  const int fd = open_temp(path, temp);
  TempRegistration registration(temp);
  const auto* bytes = static_cast<const char*>(data);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail(path, err);
    }
    written += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, err);
  }
  int status = overwrite ? std::rename(temp.c_str(), path.c_str()) : ::link(temp.c_str(), path.c_str());
  int err = errno;
  if (status != 0 && !overwrite && (err == EPERM || err == ENOTSUP || err == EXDEV)) {
    // A file system without hard links: fall back to check-then-rename.
    std::error_code ec;
    status = fs::exists(path, ec) ? -1 : std::rename(temp.c_str(), path.c_str());
    err = status != 0 && fs::exists(path, ec) ? EEXIST : errno;
  }
  if (status != 0 || !overwrite) ::unlink(temp.c_str());
  if (status != 0) {
    if (err == EEXIST) throw Error(path, "output exists (use --overwrite or --skip-existing)");
    fail(path, err);
  }
}

void remove_temp_files_in_flight() noexcept {
  for (auto& slot : g_slots) {
    if (slot.state.load() == 2) ::unlink(slot.path);
  }
}

}  // namespace smartcrop
