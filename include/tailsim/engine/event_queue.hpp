#pragma once
/// The event queue: plain events ordered by (time, sequence number).
///
/// Events due at the current instant go to a FIFO ring; all others to a 4-ary
/// min-heap over a vector. `pop` takes whichever front is earlier. Sequence
/// numbers are assigned on push, so events at the same time come out in the
/// order they were scheduled and every run is deterministic.
///
/// Lazy cancellation: an event carries the generation of the object it
/// concerns; the dispatcher compares it with the object's current generation
/// and ignores the event when they differ. Nothing is ever removed early.
///
/// | operation | cost |
/// | --- | --- |
/// | push, event due now | O(1) |
/// | push, later event | O(log4 n) |
/// | pop | O(log4 n) (O(1) from the ring) |
/// | top, empty, size | O(1) |
///
/// No allocation once the vectors have grown to their peak; no virtual call.

#include <cassert>
#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::engine {

/// One scheduled event: 32 bytes.
struct Event {
  Time at;
  std::uint64_t seq;
  std::uint32_t kind;
  std::uint32_t target;
  std::uint32_t generation;
};

class EventQueue {
 public:
  /// Schedules an event; `at` must not be before `now()`.
  void push(Time at, std::uint32_t kind, std::uint32_t target, std::uint32_t generation = 0) {
    assert(at >= now_);
    const Event e{at, next_seq_++, kind, target, generation};
    if (at == now_) {
      ring_.push_back(e);
    } else {
      heap_push(e);
    }
  }

  /// Removes and returns the earliest event; the queue must not be empty.
  Event pop() {
    assert(!empty());
    Event e;
    if (ring_head_ < ring_.size() && (heap_.empty() || earlier(ring_[ring_head_], heap_[0]))) {
      e = ring_[ring_head_++];
      if (ring_head_ == ring_.size()) {
        ring_.clear();
        ring_head_ = 0;
      }
    } else {
      e = heap_pop();
    }
    now_ = e.at;
    return e;
  }

  /// The earliest event, without removing it.
  [[nodiscard]] const Event& top() const {
    assert(!empty());
    if (ring_head_ < ring_.size() && (heap_.empty() || earlier(ring_[ring_head_], heap_[0]))) {
      return ring_[ring_head_];
    }
    return heap_[0];
  }

  [[nodiscard]] bool empty() const { return heap_.empty() && ring_head_ == ring_.size(); }
  [[nodiscard]] std::size_t size() const { return heap_.size() + (ring_.size() - ring_head_); }
  /// The time of the event popped last.
  [[nodiscard]] Time now() const { return now_; }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void clear() {
    heap_.clear();
    ring_.clear();
    ring_head_ = 0;
  }

 private:
  static bool earlier(const Event& a, const Event& b) {
    return a.at < b.at || (a.at == b.at && a.seq < b.seq);
  }

  void heap_push(const Event& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!earlier(e, heap_[parent])) {
        break;
      }
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  Event heap_pop() {
    const Event top = heap_[0];
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) {
      return top;
    }
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) {
        break;
      }
      std::size_t best = first;
      const std::size_t stop = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < stop; ++c) {
        if (earlier(heap_[c], heap_[best])) {
          best = c;
        }
      }
      if (!earlier(heap_[best], last)) {
        break;
      }
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return top;
  }

  std::vector<Event> heap_;
  std::vector<Event> ring_;
  std::size_t ring_head_ = 0;
  std::uint64_t next_seq_ = 0;
  Time now_{};
};

}  // namespace tailsim::engine
