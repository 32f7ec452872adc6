#include "tailsim/engine/event_queue.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include <catch2/catch.hpp>

#include "tailsim/engine/random_stream.hpp"

using tailsim::Duration;
using tailsim::Time;
using tailsim::engine::EventQueue;
using tailsim::engine::RandomStream;

TEST_CASE("events come out in (time, scheduling order), as a multimap says", "[event_queue]") {
  // Random pushes and pops with many ties and many events due now, checked
  // against a std::multimap keyed by (time, insertion number).
  EventQueue queue;
  std::multimap<std::pair<std::int64_t, std::uint64_t>, std::uint32_t> reference;
  RandomStream rng(12345);
  std::uint64_t inserted = 0;
  std::int64_t now = 0;
  for (int step = 0; step < 100000; ++step) {
    const bool push = reference.empty() || rng.uniform() < 0.55;
    if (push) {
      // A third of the events are due now; the rest within a small range (ties).
      const std::int64_t at =
          rng.uniform() < 0.33 ? now : now + static_cast<std::int64_t>(rng.uniform_int(50));
      const auto target = static_cast<std::uint32_t>(inserted);
      queue.push(Time{} + Duration{at}, /*kind=*/target % 7, target);
      reference.emplace(std::pair{at, inserted++}, target);
    } else {
      const auto expected = reference.begin();
      const auto event = queue.pop();
      REQUIRE(event.at == Time{} + Duration{expected->first.first});
      REQUIRE(event.target == expected->second);
      REQUIRE(event.kind == expected->second % 7);
      now = expected->first.first;
      reference.erase(expected);
    }
    REQUIRE(queue.size() == reference.size());
  }
  while (!reference.empty()) {
    REQUIRE(queue.pop().target == reference.begin()->second);
    reference.erase(reference.begin());
  }
  CHECK(queue.empty());
}

TEST_CASE("an event is 32 bytes and carries its generation", "[event_queue]") {
  STATIC_REQUIRE(sizeof(tailsim::engine::Event) == 32);
  EventQueue queue;
  queue.push(Time{} + Duration{5}, 1, 2, 99);
  const auto& top = queue.top();
  CHECK(top.generation == 99);
  CHECK(queue.pop().target == 2);
  CHECK(queue.now() == Time{} + Duration{5});
}

namespace {

/// An EventQueue beside its reference: a multimap keyed by (time, scheduling
/// number) in which a timer's entry is replaced when the timer is set again
/// and removed when it is cancelled or fires. Plain events have targets
/// below 1000 and kind 0; timer t has target 1000 + t and kind 1.
struct CheckedQueue {
  using Key = std::pair<std::int64_t, std::uint64_t>;
  EventQueue queue;
  std::multimap<Key, std::uint32_t> reference;
  std::map<std::uint32_t, Key> pending_timer;
  std::uint64_t scheduled = 0;
  std::int64_t now = 0;

  void push(std::int64_t at, std::uint32_t target) {
    queue.push(Time{} + Duration{at}, /*kind=*/0, target);
    reference.emplace(Key{at, scheduled++}, target);
  }
  void set_timer(std::uint32_t timer, std::int64_t at) {
    queue.set_timer(timer, Time{} + Duration{at}, /*kind=*/1, 1000 + timer);
    if (auto it = pending_timer.find(timer); it != pending_timer.end()) {
      reference.erase(reference.find(it->second));
    }
    pending_timer[timer] = Key{at, scheduled};
    reference.emplace(Key{at, scheduled++}, 1000 + timer);
  }
  void cancel_timer(std::uint32_t timer) {
    queue.cancel_timer(timer);
    if (auto it = pending_timer.find(timer); it != pending_timer.end()) {
      reference.erase(reference.find(it->second));
      pending_timer.erase(it);
    }
  }
  /// Pops the earliest event, which must be the reference's first.
  tailsim::engine::Event pop() {
    REQUIRE(queue.top().target == reference.begin()->second);
    const auto event = queue.pop();
    const auto expected = reference.begin();
    REQUIRE(event.at == Time{} + Duration{expected->first.first});
    REQUIRE(event.target == expected->second);
    REQUIRE(event.kind == (expected->second >= 1000 ? 1u : 0u));
    if (event.kind == 1) {
      pending_timer.erase(event.target - 1000);
    }
    now = expected->first.first;
    reference.erase(expected);
    return event;
  }
  /// An event a fixed delay from now in `lane` (plain: kind 0, target below
  /// 1000); returns its number in the lane and its key.
  std::pair<std::uint64_t, Key> push_lane(std::uint32_t lane, std::int64_t delay,
                                          std::uint32_t target) {
    const std::uint64_t number =
        queue.push_lane(lane, Time{} + Duration{now + delay}, /*kind=*/0, target);
    const Key key{now + delay, scheduled++};
    reference.emplace(key, target);
    return {number, key};
  }
  void check_size() {
    REQUIRE(queue.size() == reference.size());
    REQUIRE(queue.empty() == reference.empty());
  }
  /// Pops everything left, each event and the size checked on the way.
  void drain() {
    while (!reference.empty()) {
      pop();
      check_size();
    }
  }
};

}  // namespace

TEST_CASE("timers move their one pending event; the order stays (time, scheduling order)",
          "[event_queue]") {
  // Random pushes, timer sets and cancels and pops against the reference.
  CheckedQueue checked;
  RandomStream rng(777);
  for (int step = 0; step < 100000; ++step) {
    const double u = rng.uniform();
    const std::int64_t at = rng.uniform() < 0.2
                                ? checked.now
                                : checked.now + static_cast<std::int64_t>(rng.uniform_int(40));
    if (u < 0.3) {
      checked.push(at, static_cast<std::uint32_t>(rng.uniform_int(1000)));
    } else if (u < 0.55) {
      checked.set_timer(static_cast<std::uint32_t>(rng.uniform_int(16)), at);
    } else if (u < 0.6) {
      checked.cancel_timer(static_cast<std::uint32_t>(rng.uniform_int(16)));
    } else if (!checked.reference.empty()) {
      checked.pop();
    }
    checked.check_size();
  }
}

TEST_CASE("a timer set again as soon as it fires keeps the order, size and top exact",
          "[event_queue]") {
  // The engine's pattern: a CPU's completion fires and the CPU at once sets
  // its next one, or cancels it, or leaves it (idle). The fired entry stays
  // at the top of the timer heap meanwhile.
  CheckedQueue checked;
  RandomStream rng(4242);
  auto later = [&] { return checked.now + static_cast<std::int64_t>(rng.uniform_int(30)); };
  auto any_timer = [&] { return static_cast<std::uint32_t>(rng.uniform_int(6)); };
  for (std::uint32_t timer = 0; timer < 6; ++timer) {
    checked.set_timer(timer, later());
  }
  int rearmed = 0;
  for (int step = 0; step < 50000; ++step) {
    if (rng.uniform() < 0.2) {
      checked.push(later(), 7);
    }
    if (checked.reference.empty()) {
      CHECK(checked.queue.empty());
      checked.set_timer(any_timer(), later());
    }
    const auto event = checked.pop();
    if (event.kind == 1) {
      const std::uint32_t timer = event.target - 1000;
      const double u = rng.uniform();
      if (u < 0.6) {
        checked.set_timer(timer, later());  // the next completion, at once
        ++rearmed;
      } else if (u < 0.7) {
        checked.cancel_timer(timer);  // nothing pending: changes nothing
      } else if (u < 0.8) {
        checked.set_timer(any_timer(), later());  // another timer first
      }
    }
    checked.check_size();
    if (!checked.reference.empty()) {
      REQUIRE(checked.queue.top().target == checked.reference.begin()->second);
    }
  }
  CHECK(rearmed > 10000);
}

TEST_CASE("lanes of fixed delays keep the order (time, scheduling order) with everything else",
          "[event_queue]") {
  // Timeouts of three durations, as calls schedule them, among plain events
  // (some at the same instants: ties go by scheduling order across lanes and
  // heap) and timers. Each lane's earliest event sits in the heap; popping it
  // brings the next.
  CheckedQueue checked;
  RandomStream rng(777);
  const std::uint32_t lanes[] = {checked.queue.add_lane(), checked.queue.add_lane(),
                                 checked.queue.add_lane()};
  const std::int64_t delays[] = {5, 17, 40};
  auto later = [&] { return checked.now + static_cast<std::int64_t>(rng.uniform_int(30)); };
  for (std::uint32_t timer = 0; timer < 4; ++timer) {
    checked.set_timer(timer, later());
  }
  std::size_t most_waiting = 0;
  int cancelled = 0;
  for (int step = 0; step < 60000; ++step) {
    const double u = rng.uniform();
    if (u < 0.5) {
      const auto k = static_cast<std::size_t>(rng.uniform_int(3));
      checked.push_lane(lanes[k], delays[k], static_cast<std::uint32_t>(k));
      if (rng.uniform() < 0.5) {  // a burst: several at one instant
        checked.push_lane(lanes[k], delays[k], static_cast<std::uint32_t>(k));
      }
      // Another, cancelled at once: it waits behind the lane's earliest (the
      // one just pushed), so it is never popped.
      if (rng.uniform() < 0.3) {
        const auto [number, key] =
            checked.push_lane(lanes[k], delays[k], static_cast<std::uint32_t>(k));
        checked.queue.cancel_lane(lanes[k], number);
        checked.queue.cancel_lane(lanes[k], number);  // twice: no different
        checked.reference.erase(checked.reference.find(key));
        ++cancelled;
      }
    } else if (u < 0.7) {
      checked.push(later(), 7);
    }
    if (checked.reference.empty()) {
      CHECK(checked.queue.empty());
      checked.push(later(), 8);
    }
    most_waiting = std::max(most_waiting, checked.reference.size());
    const auto event = checked.pop();
    if (event.kind == 1 && rng.uniform() < 0.7) {
      checked.set_timer(event.target - 1000, later());
    }
    checked.check_size();
  }
  CHECK(most_waiting > 20);  // lanes held many events behind their earliest
  CHECK(cancelled > 5000);
  checked.drain();
  CHECK(checked.queue.empty());
}

TEST_CASE("events far apart in time keep the order through the heap's window", "[event_queue]") {
  // Most events near (as network hops), some seconds away (as think times),
  // a few very far, many at the same far instants (pushed at different times,
  // so some wait among the far events and some are in the heap's window when
  // their instant comes), some due now; with timers and lanes of long delays
  // whose next events land beyond the window. Checked against the reference.
  CheckedQueue checked;
  RandomStream rng(2026);
  const std::uint32_t lanes[] = {checked.queue.add_lane(), checked.queue.add_lane()};
  const std::int64_t delays[] = {3'000'000, 10'000'000'000};
  const std::int64_t instants[] = {5'000'000'000, 5'000'000'001, 60'000'000'000};
  auto spread = [&]() -> std::int64_t {
    const double u = rng.uniform();
    if (u < 0.15) {
      return checked.now;  // due now
    }
    if (u < 0.6) {
      return checked.now + static_cast<std::int64_t>(rng.uniform_int(2'000'000));
    }
    if (u < 0.85) {
      return checked.now + static_cast<std::int64_t>(rng.exponential(4e9));
    }
    if (u < 0.95) {  // one of a few fixed instants, while still ahead
      const std::int64_t at = instants[rng.uniform_int(3)];
      return at >= checked.now ? at : checked.now;
    }
    return checked.now + static_cast<std::int64_t>(rng.exponential(1e15));
  };
  for (std::uint32_t timer = 0; timer < 8; ++timer) {
    checked.set_timer(timer, spread());
  }
  std::size_t most_pending = 0;
  for (int step = 0; step < 200000; ++step) {
    const double u = rng.uniform();
    if (u < 0.45) {
      checked.push(spread(), static_cast<std::uint32_t>(rng.uniform_int(1000)));
    } else if (u < 0.5) {
      const auto k = static_cast<std::size_t>(rng.uniform_int(2));
      checked.push_lane(lanes[k], delays[k], static_cast<std::uint32_t>(k));
    } else if (u < 0.55) {
      checked.set_timer(static_cast<std::uint32_t>(rng.uniform_int(8)), spread());
    } else if (!checked.reference.empty()) {
      checked.pop();
    }
    most_pending = std::max(most_pending, checked.reference.size());
    checked.check_size();
  }
  CHECK(most_pending > 1000);  // the far events piled up
  checked.drain();
  CHECK(checked.queue.empty());
}

TEST_CASE("events at the top of the time range keep their order", "[event_queue]") {
  // The heap's window is a time plus a width: near the largest time it must
  // not wrap round. Events up to the largest time itself, many tied there.
  constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
  CheckedQueue checked;
  RandomStream rng(99);
  checked.push(top - 4'000'000'000'000, 0);
  checked.pop();  // now is near the top
  for (int step = 0; step < 50000; ++step) {
    if (checked.reference.empty() || rng.uniform() < 0.55) {
      const double u = rng.uniform();
      const std::int64_t room = top - checked.now;
      std::int64_t at = top;  // a tie at the largest time
      if (u < 0.3) {
        at = checked.now + std::min(room, static_cast<std::int64_t>(rng.uniform_int(1000)));
      } else if (u < 0.8) {
        at = checked.now + static_cast<std::int64_t>(rng.uniform() * static_cast<double>(room));
      }
      checked.push(at, static_cast<std::uint32_t>(rng.uniform_int(1000)));
    } else {
      checked.pop();
    }
    checked.check_size();
  }
  while (!checked.reference.empty()) {
    checked.pop();
  }
  CHECK(checked.now == top);
  CHECK(checked.queue.empty());
}

TEST_CASE("a hold model of many far events comes out in order", "[event_queue]") {
  // The classic benchmark: each pop pushes one event an exponential time
  // later, so the heap's window keeps taking from the far events.
  EventQueue queue;
  RandomStream rng(5);
  std::multimap<std::pair<std::int64_t, std::uint64_t>, std::uint32_t> reference;
  std::uint64_t inserted = 0;
  auto push = [&](std::int64_t at) {
    queue.push(Time{} + Duration{at}, 0, static_cast<std::uint32_t>(inserted));
    reference.emplace(std::pair{at, inserted}, static_cast<std::uint32_t>(inserted));
    ++inserted;
  };
  for (int i = 0; i < 5000; ++i) {
    push(static_cast<std::int64_t>(rng.exponential(1e7)));
  }
  for (int step = 0; step < 100000; ++step) {
    const auto event = queue.pop();
    REQUIRE(event.target == reference.begin()->second);
    const std::int64_t now = reference.begin()->first.first;
    reference.erase(reference.begin());
    // Coarse times: ties among the far events too.
    push(now + 1000 * static_cast<std::int64_t>(rng.exponential(1e4)));
    REQUIRE(queue.size() == reference.size());
  }
}

TEST_CASE("a heap larger than the cache keeps the order, and so does one that shrinks into it",
          "[event_queue]") {
  // 200,000 events within a millisecond all go into the heap's window: past
  // 131,072 it picks children with branches, below without. Pops and pushes
  // (a hold) with it that large, then a drain through the threshold.
  CheckedQueue checked;
  RandomStream rng(31);
  const auto target = [&] { return static_cast<std::uint32_t>(rng.uniform_int(1000)); };
  for (int i = 0; i < 200'000; ++i) {
    checked.push(1 + static_cast<std::int64_t>(rng.uniform_int(500'000)), target());  // ties
  }
  checked.check_size();
  for (int step = 0; step < 50'000; ++step) {
    checked.pop();
    checked.push(checked.now + static_cast<std::int64_t>(rng.uniform_int(500'000)), target());
  }
  checked.drain();
}

TEST_CASE("the heap's window keeps the order as the load swings between near and far",
          "[event_queue]") {
  // The window doubles when a refill's scan is long for the events scheduled
  // since the last one, and halves when it is short. Phases that swing it
  // both ways: bursts of near events (many scheduled per refill: it halves),
  // then quiet spells of sparse far events (few scheduled per refill: it
  // doubles), with ties, timers and a lane.
  CheckedQueue checked;
  RandomStream rng(31337);
  const std::uint32_t lane = checked.queue.add_lane();
  std::size_t most_pending = 0;
  for (int phase = 0; phase < 12; ++phase) {
    const bool burst = phase % 2 == 0;
    for (int step = 0; step < 20000; ++step) {
      const double u = rng.uniform();
      if (u < 0.45) {
        const std::int64_t at =
            burst ? checked.now + static_cast<std::int64_t>(rng.uniform_int(4))
                  : checked.now + 1000 * static_cast<std::int64_t>(rng.exponential(1e6));
        checked.push(at, static_cast<std::uint32_t>(rng.uniform_int(1000)));
      } else if (u < 0.5) {
        checked.push_lane(lane, 50'000'000, 1);
      } else if (u < 0.55) {
        checked.set_timer(static_cast<std::uint32_t>(rng.uniform_int(8)),
                          checked.now + static_cast<std::int64_t>(rng.uniform_int(100)));
      } else if (!checked.reference.empty()) {
        checked.pop();
      }
      most_pending = std::max(most_pending, checked.reference.size());
      checked.check_size();
    }
  }
  CHECK(most_pending > 1000);
  checked.drain();
  CHECK(checked.queue.empty());
}

TEST_CASE("hundreds of timers set, moved and cancelled in any order keep the order",
          "[event_queue]") {
  // A timer heap several levels deep, with coarse times (many ties, which go
  // by the order of the last set), timers moved earlier and later, cancelled
  // whether pending or not, and fired timers set again or left.
  CheckedQueue checked;
  RandomStream rng(8128);
  constexpr std::uint32_t timers = 500;
  auto later = [&] { return checked.now + 10 * static_cast<std::int64_t>(rng.uniform_int(20)); };
  auto any_timer = [&] { return static_cast<std::uint32_t>(rng.uniform_int(timers)); };
  for (std::uint32_t timer = 0; timer < timers; timer += 2) {
    checked.set_timer(timer, later());
  }
  std::size_t most_pending = 0;
  for (int step = 0; step < 100000; ++step) {
    const double u = rng.uniform();
    if (u < 0.35) {
      checked.set_timer(any_timer(), later());
    } else if (u < 0.45) {
      checked.cancel_timer(any_timer());
    } else if (u < 0.5) {
      checked.push(later(), 3);
    } else if (!checked.reference.empty()) {
      const auto event = checked.pop();
      if (event.kind == 1 && rng.uniform() < 0.5) {
        checked.set_timer(event.target - 1000, later());
      }
    }
    most_pending = std::max(most_pending, checked.pending_timer.size());
    checked.check_size();
  }
  CHECK(most_pending > 200);
  checked.drain();
  CHECK(checked.queue.empty());
}
