// The classic hold model for the event queue: a queue of n pending events;
// each step pops the earliest and pushes one at now + Exp(mean). Compared with
// std::priority_queue doing the same, with the same draws.
//
// Usage: event_queue_bench [STEPS=10000000]

#include <chrono>
#include <cstdlib>
#include <queue>
#include <vector>

#include <fmt/format.h>

#include "tailsim/engine/event_queue.hpp"
#include "tailsim/engine/random_stream.hpp"

namespace {

using tailsim::Duration;
using tailsim::Time;

constexpr double mean_increment_ns = 1e6;

double hold_tailsim(std::size_t n, std::size_t steps) {
  tailsim::engine::EventQueue queue;
  tailsim::engine::RandomStream rng(1);
  for (std::size_t i = 0; i < n; ++i) {
    queue.push(Time{} + Duration{static_cast<std::int64_t>(rng.exponential(mean_increment_ns))}, 0,
               static_cast<std::uint32_t>(i));
  }
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t s = 0; s < steps; ++s) {
    const auto e = queue.pop();
    queue.push(e.at + Duration{static_cast<std::int64_t>(rng.exponential(mean_increment_ns))},
               e.kind, e.target);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double hold_std(std::size_t n, std::size_t steps) {
  struct Entry {
    std::int64_t at;
    std::uint64_t seq;
    bool operator>(const Entry& o) const { return at > o.at || (at == o.at && seq > o.seq); }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  tailsim::engine::RandomStream rng(1);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    queue.push({static_cast<std::int64_t>(rng.exponential(mean_increment_ns)), seq++});
  }
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t s = 0; s < steps; ++s) {
    const Entry e = queue.top();
    queue.pop();
    queue.push({e.at + static_cast<std::int64_t>(rng.exponential(mean_increment_ns)), seq++});
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t steps = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  fmt::print("{:>10} {:>22} {:>26}\n", "queue size", "EventQueue Mhold/s",
             "std::priority_queue Mhold/s");
  for (std::size_t n : {1'000u, 10'000u, 100'000u, 1'000'000u}) {
    const double ours = hold_tailsim(n, steps);
    const double theirs = hold_std(n, steps);
    fmt::print("{:>10} {:>22.1f} {:>26.1f}\n", n, static_cast<double>(steps) / ours * 1e-6,
               static_cast<double>(steps) / theirs * 1e-6);
  }
  return 0;
}
