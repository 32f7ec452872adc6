#include "tailsim/components/processor_sharing.hpp"

#include <algorithm>
#include <cmath>

namespace tailsim::components {
namespace {

/// Work below this many core-nanoseconds counts as done: the completion event
/// is scheduled at a whole nanosecond rounded up, so only rounding is left.
constexpr double done_tolerance = 1e-3;

bool later(const auto& a, const auto& b) { return a.finish > b.finish; }

}  // namespace

void ProcessorSharing::advance(Time now) {
  if (!heap_.empty()) {
    virtual_now_ += rate() * static_cast<double>((now - last_update_).count());
  } else {
    virtual_now_ = 0;  // idle: restart the clock so it never loses precision
  }
  last_update_ = now;
}

void ProcessorSharing::add(Time now, double work_ns, std::uint32_t job) {
  advance(now);
  heap_.push_back(Job{virtual_now_ + std::max(0.0, work_ns), job});
  std::push_heap(heap_.begin(), heap_.end(), [](const Job& a, const Job& b) { return later(a, b); });
}

std::optional<std::uint32_t> ProcessorSharing::pop_done() {
  if (heap_.empty() || heap_.front().finish > virtual_now_ + done_tolerance) {
    return std::nullopt;
  }
  std::pop_heap(heap_.begin(), heap_.end(), [](const Job& a, const Job& b) { return later(a, b); });
  const std::uint32_t id = heap_.back().id;
  heap_.pop_back();
  if (heap_.empty()) {
    virtual_now_ = 0;
  }
  return id;
}

std::optional<Time> ProcessorSharing::next_completion() const {
  if (heap_.empty()) {
    return std::nullopt;
  }
  const double remaining = std::max(0.0, heap_.front().finish - virtual_now_);
  return last_update_ + Duration{static_cast<std::int64_t>(std::ceil(remaining / rate()))};
}

}  // namespace tailsim::components
