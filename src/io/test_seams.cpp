#include "io/test_seams.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace smartcrop {

namespace {

std::atomic<bool> g_held[2];

// The FIFO to wait on at `point`, or "" when $SMARTCROP_TEST_HOLD names no such point.
std::string hold_fifo(SeamPoint point) {
  const char* spec = std::getenv("SMARTCROP_TEST_HOLD");
  if (spec == nullptr) return "";
  const std::string text = spec;
  const std::string prefix = point == SeamPoint::MidWrite ? "mid-write:" : "before-link:";
  return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : "";
}

}  // namespace

void hold_for_tests(SeamPoint point) {
  const std::string fifo = hold_fifo(point);
  if (fifo.empty() || g_held[static_cast<int>(point)].exchange(true)) return;
  int fd = -1;
  do {
    fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return;
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    break;  // the test closed its end
  }
  ::close(fd);
}

bool named_temps_for_tests() {
  const char* value = std::getenv("SMARTCROP_TEST_NAMED_TEMPS");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

}  // namespace smartcrop
