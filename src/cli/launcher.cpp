// The `smartcrop` command users run: a few lines that start the real program,
// `smartcrop-engine`, with glibc told to back its heap with transparent huge pages.
//
// Why a separate process image: glibc reads GLIBC_TUNABLES once, when a process
// starts, and the engine's ~290 shared libraries (libtorch pulls most of them) have
// run their initialisers long before its main(). On this project's virtual machines a
// first touch of a 4 KB page costs ~14 us and one of a huge page ~5.5 us per 4 KB
// (scripts/bench/probe_page_faults.c); with `glibc.malloc.hugetlb=1` the engine faults a
// third as often and a 12-photo batch spends about half the kernel time
// (docs/PERFORMANCE.md, "Huge pages for the whole heap").
//
// Depends on libc only, so that it starts in about a millisecond. A GLIBC_TUNABLES
// that already names glibc.malloc.hugetlb is left as the user set it.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr const char* kEngineName = "smartcrop-engine";
constexpr const char* kHugePageTunable = "glibc.malloc.hugetlb";
constexpr int kExitCannotStart = 2;

// The folder this executable lives in, from /proc/self/exe (symlinks resolved).
std::string own_folder() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  const std::string exe(path, static_cast<size_t>(n));
  const size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

// The engine beside this file (build tree, or both installed in bin/), else in
// ../libexec/smartcrop/ (what `cmake --install` does).
std::string find_engine() {
  const std::string folder = own_folder();
  const std::string candidates[] = {folder + "/" + kEngineName, folder + "/../libexec/smartcrop/" + kEngineName};
  for (const std::string& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return candidates[0];
}

void ask_for_huge_page_heap() {
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current != nullptr && std::strstr(current, kHugePageTunable) != nullptr) return;
  std::string tunables = current != nullptr && *current != '\0' ? std::string(current) + ":" : std::string();
  tunables += std::string(kHugePageTunable) + "=1";
  ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
}

}  // namespace

int main(int, char** argv) {
  const std::string engine = find_engine();
  ask_for_huge_page_heap();
  ::execv(engine.c_str(), argv);
  std::fprintf(stderr, "error: %s: cannot start the smartcrop engine: %s (reinstall smartcrop, or rebuild)\n",
               engine.c_str(), std::strerror(errno));
  return kExitCannotStart;
}
