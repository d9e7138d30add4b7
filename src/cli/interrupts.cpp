#include "interrupts.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

#include "io/atomic_file.hpp"

namespace smartcrop::cli {

namespace {

// After the first signal the run finishes the photos in hand as long as they keep
// coming out: a forward or an encode is well under a second, so a 3 s stall
// means a thread blocked in open() or read() (a FIFO, a hung network mount) that
// never looks at the cancel flag. 20 s in all, so that `timeout` and service
// managers see the process go.
constexpr int kStallSeconds = 3;
constexpr int kMostSeconds = 20;

std::atomic<int> g_signal{0};
std::atomic<std::atomic<bool>*> g_cancel{nullptr};
std::atomic<const std::atomic<long>*> g_finished{nullptr};

void say(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

[[noreturn]] void exit_now(int sig) {
  remove_temp_files_in_flight();
  // Keep the --json records and boxes already printed, unless a writer holds stdout
  // (blocked on a full pipe): then waiting for it could hang the exit.
  if (::ftrylockfile(stdout) == 0) {
    std::fflush(stdout);
    ::funlockfile(stdout);
  }
  ::_exit(128 + sig);
}

void take_signals(sigset_t set) {
  int sig = 0;
  while (::sigwait(&set, &sig) != 0) {
  }
  g_signal.store(sig);
  std::atomic<bool>* cancel = g_cancel.load();
  if (cancel == nullptr) exit_now(sig);
  cancel->store(true);
  say("smartcrop: interrupted: finishing the photos in hand (interrupt again to stop at once)\n");
  const std::atomic<long>* finished = g_finished.load();
  long last = finished != nullptr ? finished->load() : 0;
  int stalled = 0;
  for (int waited = 0; waited < kMostSeconds && stalled < kStallSeconds; ++waited) {
    struct timespec second {1, 0};
    if (::sigtimedwait(&set, nullptr, &second) > 0) break;  // a second signal
    const long now = finished != nullptr ? finished->load() : last;
    stalled = now == last ? stalled + 1 : 0;
    last = now;
  }
  say("smartcrop: stopped before the photos in hand were written\n");
  exit_now(sig);
}

}  // namespace

void start_interrupt_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(take_signals, set).detach();
}

void stop_gracefully(std::atomic<bool>* cancel, const std::atomic<long>* finished) {
  g_finished.store(finished);
  g_cancel.store(cancel);
}

int interrupted_exit_code() {
  const int sig = g_signal.load();
  return sig == 0 ? 0 : 128 + sig;
}

}  // namespace smartcrop::cli
