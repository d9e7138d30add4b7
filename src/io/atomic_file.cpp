#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include "io/temp_files.hpp"
#include "io/test_seams.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

[[noreturn]] void fail(const std::string& path, int err) {
  throw Error(path, std::string("cannot write: ") + std::strerror(err));
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  // Closes now; returns 0 or the errno of close() (NFS reports a full disk here).
  int close() {
    const int status = ::close(fd_);
    fd_ = -1;
    return status == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Writes all bytes; returns 0 or an errno. Half way, the test seam may stop the writer.
int write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t written = 0;
  bool held = false;
  while (written < size) {
    if (!held && written >= size / 2) {
      hold_for_tests(SeamPoint::MidWrite);
      held = true;
    }
    const std::size_t chunk = held ? size - written : size / 2 - written;
    const ssize_t n = ::write(fd, bytes + written, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

// Links the anonymous file `fd` to `path`; returns 0 or an errno (EEXIST: the name is
// taken). Through its /proc name, which works for anyone (so the tests, run as root, take
// the users' way); AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH, where /proc is missing.
int link_descriptor(int fd, const std::string& path) {
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (::linkat(AT_FDCWD, proc, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  if (errno != ENOENT) return errno;
  return ::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0 ? 0 : errno;
}

// Without overwrite, where the file system has O_TMPFILE: nothing named exists until
// the complete file is linked, so a killed writer leaves nothing. Returns nullopt when
// this way is not available here (then a named temp file is used).
std::optional<WriteOutcome> write_anonymous(const std::string& path, const void* data, std::size_t size) {
  const fs::path folder = fs::path(path).parent_path();
  Descriptor fd(::open(folder.empty() ? "." : folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    // EOPNOTSUPP: not on this file system (NFS); EISDIR, EINVAL: a kernel without it.
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return std::nullopt;
    fail(path, errno);
  }
  if (const int err = write_all(fd.get(), data, size)) fail(path, err);
  ::fchmod(fd.get(), 0644);
  hold_for_tests(SeamPoint::BeforeLink);
  const int err = link_descriptor(fd.get(), path);
  if (err == 0) return WriteOutcome::Written;
  if (err == EEXIST) return WriteOutcome::Existed;
  // ENOENT also when /proc is not mounted, EPERM where links are refused: the named
  // way then writes again, and reports the folder's own error if there is one.
  if (err == ENOENT || err == EPERM || err == EOPNOTSUPP) return std::nullopt;
  fail(path, err);
}

// Puts the complete temp file at `path` unless the name exists; returns 0 or an errno
// (EEXIST: the name is taken, the temp file is left for the caller to remove).
int link_named(const std::string& temp, const std::string& path) {
  if (::link(temp.c_str(), path.c_str()) == 0) return 0;
  const int err = errno;
  if (err != EPERM && err != EOPNOTSUPP && err != EXDEV && err != EMLINK) return err;
  // A file system without hard links (FAT, SMB, some FUSE): a rename that refuses to
  // replace, or where even that is missing, a check and a rename, which another writer
  // can slip between: nothing better exists there.
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return errno;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return EEXIST;
  return std::rename(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
}

WriteOutcome write_named(const std::string& path, const void* data, std::size_t size, bool overwrite) {
  const std::string temp = unique_temp_path(path);
  Descriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) fail(path, errno);
  InFlightTemp registration(temp);
  int err = write_all(fd.get(), data, size);
  if (err == 0) {
    ::fchmod(fd.get(), 0644);
    err = fd.close();
  }
  if (err == 0) {
    hold_for_tests(SeamPoint::BeforeLink);
    err = overwrite ? (std::rename(temp.c_str(), path.c_str()) == 0 ? 0 : errno) : link_named(temp, path);
  }
  // The name is this writer's own: removing it can never remove another writer's file.
  if (err != 0 || !overwrite) ::unlink(temp.c_str());
  if (err == EEXIST && !overwrite) return WriteOutcome::Existed;
  if (err != 0) fail(path, err);
  return WriteOutcome::Written;
}

}  // namespace

WriteOutcome write_file_atomic(const std::string& path, const void* data, std::size_t size, bool overwrite) {
  const fs::path folder = fs::path(path).parent_path();
  remove_stale_temps_once(folder.empty() ? "." : folder.string());
  if (!overwrite && !named_temps_for_tests()) {
    if (const auto outcome = write_anonymous(path, data, size)) return *outcome;
  }
  return write_named(path, data, size, overwrite);
}

}  // namespace smartcrop
