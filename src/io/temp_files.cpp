#include "io/temp_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <unordered_set>

#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

constexpr char kSuffix[] = ".tmp-smartcrop";
constexpr std::size_t kSuffixLength = sizeof kSuffix - 1;
constexpr std::size_t kMaxNameBytes = 255;  // NAME_MAX of Linux file systems and NFS

// A temp file lives for the encoding and writing of one image: milliseconds. One whose
// writer cannot be asked (another host) is taken for dead after an hour, which also
// covers clocks that differ between NFS clients and the server.
constexpr std::time_t kStaleTempAge = 3600;

// This machine's name, with anything but [A-Za-z0-9._-] replaced: it must never hold
// the '~' that separates the fields of a temp name.
const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return std::string("localhost");
    std::string text(buffer, ::strnlen(buffer, 64));
    for (char& c : text) {
      const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      if (!plain) c = '_';
    }
    return text;
  }();
  return name;
}

// Random per process, so that a reused pid on a machine of the same name still gives
// new names; the counter makes them unique within the process.
std::string next_nonce() {
  static const unsigned base = std::random_device{}();
  static std::atomic<unsigned long> counter{0};
  char text[40];
  std::snprintf(text, sizeof text, "%08x.%lu", base, counter.fetch_add(1));
  return text;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

bool is_nonce(const std::string& s) {
  const auto dot = s.find('.');
  return dot == 8 && s.find_first_not_of("0123456789abcdef") == dot && all_digits(s.substr(dot + 1));
}

// Cuts `name` to at most `bytes` bytes without splitting a UTF-8 sequence.
std::string shortened(const std::string& name, std::size_t bytes) {
  if (name.size() <= bytes) return name;
  std::size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  return name.substr(0, end);
}

bool writer_is_gone(const TempOwner& owner, const struct stat& st) {
  if (!owner.host.empty() && owner.host == host_name()) {
    return owner.pid != ::getpid() && ::kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno == ESRCH;
  }
  return std::time(nullptr) - st.st_mtime > kStaleTempAge;
}

// The temp files being written, for the exit path of an interrupted run. A slot is
// free (0), being filled (1) or live (2). More writers than slots (a batch has one
// writing thread) only means an unregistered temp file.
struct TempSlot {
  std::atomic<int> state{0};
  char path[PATH_MAX];
};
std::array<TempSlot, 64> g_slots;

}  // namespace

std::string unique_temp_path(const std::string& path) {
  const fs::path target(path);
  const std::string owner = "~" + host_name() + "~" + std::to_string(::getpid()) + "~" + next_nonce();
  const std::size_t room = kMaxNameBytes - 1 - owner.size() - kSuffixLength;
  const std::string name = "." + shortened(target.filename().string(), room) + owner + kSuffix;
  return target.has_parent_path() ? (target.parent_path() / name).string() : name;
}

bool parse_temp_name(const std::string& name, TempOwner* owner) {
  if (name.size() <= 1 + kSuffixLength || name[0] != '.' ||
      name.compare(name.size() - kSuffixLength, kSuffixLength, kSuffix) != 0) {
    return false;
  }
  const std::string stem = name.substr(1, name.size() - 1 - kSuffixLength);
  owner->host.clear();
  owner->pid = 0;
  // NAME~HOST~PID~NONCE, read from the right: NAME may hold '~', the others cannot.
  const auto nonce_at = stem.rfind('~');
  const auto pid_at = nonce_at == std::string::npos || nonce_at == 0 ? std::string::npos : stem.rfind('~', nonce_at - 1);
  const auto host_at = pid_at == std::string::npos || pid_at == 0 ? std::string::npos : stem.rfind('~', pid_at - 1);
  if (host_at == std::string::npos) return true;  // the old fixed name
  const std::string pid = stem.substr(pid_at + 1, nonce_at - pid_at - 1);
  if (!all_digits(pid) || pid.size() > 9 || !is_nonce(stem.substr(nonce_at + 1))) return true;
  owner->host = stem.substr(host_at + 1, pid_at - host_at - 1);
  owner->pid = std::stol(pid);
  return true;
}

void remove_stale_temps_once(const std::string& folder) {
  static std::mutex mutex;
  static std::unordered_set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!seen.insert(folder).second) return;
  }
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    TempOwner owner;
    struct stat st {};
    if (!parse_temp_name(entry->d_name, &owner)) continue;
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (writer_is_gone(owner, st)) ::unlinkat(::dirfd(dir), entry->d_name, 0);
  }
  ::closedir(dir);
}

InFlightTemp::InFlightTemp(const std::string& path) {
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

InFlightTemp::~InFlightTemp() {
  if (slot_ != nullptr) static_cast<TempSlot*>(slot_)->state.store(0);
}

void remove_temp_files_in_flight() noexcept {
  for (auto& slot : g_slots) {
    if (slot.state.load() == 2) ::unlink(slot.path);
  }
}

}  // namespace smartcrop
