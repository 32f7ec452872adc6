#include "interrupt.hpp"

#include <csignal>

namespace tailsim::cli {
namespace {

std::atomic<bool> stop{false};
volatile std::sig_atomic_t signal_number = 0;

extern "C" void on_signal(int number) {
  signal_number = number;
  stop.store(true, std::memory_order_relaxed);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& stop_flag() { return stop; }

int received_signal() { return signal_number; }

}  // namespace tailsim::cli
