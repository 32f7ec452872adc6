#include "interrupt.hpp"

#include <csignal>
#include <unistd.h>

#include "tailsim/report/file_output.hpp"

namespace tailsim::cli {
namespace {

std::atomic<bool> stop{false};
volatile std::sig_atomic_t signal_number = 0;

static_assert(std::atomic<bool>::is_always_lock_free, "the handler may only use lock-free atomics");

extern "C" void on_signal(int number) {
  if (stop.exchange(true, std::memory_order_relaxed)) {
    // The second signal: the user wants out now. Only async-signal-safe
    // calls from here: unlink, then _exit.
    report::remove_files_being_written();
    _exit(128 + number);
  }
  signal_number = number;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  // Interrupted system calls (a wait for `dot`, a write) resume: the first
  // signal only sets the flag.
  action.sa_flags = SA_RESTART;
  // One handler at a time: a SIGTERM arriving while the SIGINT handler runs
  // waits, and is then the second signal.
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

const std::atomic<bool>& stop_flag() {
  return stop;
}

int received_signal() {
  return signal_number;
}

}  // namespace tailsim::cli
