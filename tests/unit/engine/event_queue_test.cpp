#include "tailsim/engine/event_queue.hpp"

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

TEST_CASE("timers move their one pending event; the order stays (time, scheduling order)",
          "[event_queue]") {
  // Random pushes, timer sets and cancels and pops, against a multimap keyed
  // by (time, scheduling number) in which a timer's entry is replaced when
  // the timer is set again and removed when it is cancelled.
  using Key = std::pair<std::int64_t, std::uint64_t>;
  EventQueue queue;
  std::multimap<Key, std::uint32_t> reference;  // value: target (timers: 1000 + timer)
  std::map<std::uint32_t, Key> pending_timer;
  RandomStream rng(777);
  std::uint64_t scheduled = 0;
  std::int64_t now = 0;
  for (int step = 0; step < 100000; ++step) {
    const double u = rng.uniform();
    const std::int64_t at =
        rng.uniform() < 0.2 ? now : now + static_cast<std::int64_t>(rng.uniform_int(40));
    if (u < 0.3) {
      const auto target = static_cast<std::uint32_t>(rng.uniform_int(1000));
      queue.push(Time{} + Duration{at}, /*kind=*/0, target);
      reference.emplace(Key{at, scheduled++}, target);
    } else if (u < 0.55) {
      const auto timer = static_cast<std::uint32_t>(rng.uniform_int(16));
      queue.set_timer(timer, Time{} + Duration{at}, /*kind=*/1, 1000 + timer);
      if (auto it = pending_timer.find(timer); it != pending_timer.end()) {
        reference.erase(reference.find(it->second));
      }
      pending_timer[timer] = Key{at, scheduled};
      reference.emplace(Key{at, scheduled++}, 1000 + timer);
    } else if (u < 0.6) {
      const auto timer = static_cast<std::uint32_t>(rng.uniform_int(16));
      queue.cancel_timer(timer);
      if (auto it = pending_timer.find(timer); it != pending_timer.end()) {
        reference.erase(reference.find(it->second));
        pending_timer.erase(it);
      }
    } else if (!reference.empty()) {
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
    }
    REQUIRE(queue.size() == reference.size());
  }
}

TEST_CASE("a timer set again as soon as it fires keeps the order, size and top exact",
          "[event_queue]") {
  // The engine's pattern: a CPU's completion fires and the CPU at once sets
  // its next one, or cancels it, or leaves it (idle). The fired entry stays
  // at the top of the timer heap meanwhile; the reference is a multimap.
  using Key = std::pair<std::int64_t, std::uint64_t>;
  EventQueue queue;
  std::multimap<Key, std::uint32_t> reference;  // value: target (timers: 1000 + timer)
  std::map<std::uint32_t, Key> pending_timer;
  RandomStream rng(4242);
  std::uint64_t scheduled = 0;
  std::int64_t now = 0;
  auto set_timer = [&](std::uint32_t timer) {
    const std::int64_t at = now + static_cast<std::int64_t>(rng.uniform_int(30));
    queue.set_timer(timer, Time{} + Duration{at}, /*kind=*/1, 1000 + timer);
    if (auto it = pending_timer.find(timer); it != pending_timer.end()) {
      reference.erase(reference.find(it->second));
    }
    pending_timer[timer] = Key{at, scheduled};
    reference.emplace(Key{at, scheduled++}, 1000 + timer);
  };
  for (std::uint32_t timer = 0; timer < 6; ++timer) {
    set_timer(timer);
  }
  int rearmed = 0;
  for (int step = 0; step < 50000; ++step) {
    if (rng.uniform() < 0.2) {
      const std::int64_t at = now + static_cast<std::int64_t>(rng.uniform_int(30));
      queue.push(Time{} + Duration{at}, /*kind=*/0, 7);
      reference.emplace(Key{at, scheduled++}, 7);
    }
    if (reference.empty()) {
      CHECK(queue.empty());
      set_timer(static_cast<std::uint32_t>(rng.uniform_int(6)));
    }
    REQUIRE(queue.top().target == reference.begin()->second);
    const auto event = queue.pop();
    const auto expected = reference.begin();
    REQUIRE(event.at == Time{} + Duration{expected->first.first});
    REQUIRE(event.target == expected->second);
    now = expected->first.first;
    reference.erase(expected);
    if (event.kind == 1) {
      const std::uint32_t timer = event.target - 1000;
      pending_timer.erase(timer);
      const double u = rng.uniform();
      if (u < 0.6) {
        set_timer(timer);  // the next completion, at once
        ++rearmed;
      } else if (u < 0.7) {
        queue.cancel_timer(timer);  // nothing pending: changes nothing
      } else if (u < 0.8) {
        set_timer(static_cast<std::uint32_t>(rng.uniform_int(6)));  // another timer first
      }
    }
    REQUIRE(queue.size() == reference.size());
    REQUIRE(queue.empty() == reference.empty());
    if (!reference.empty()) {
      REQUIRE(queue.top().target == reference.begin()->second);
    }
  }
  CHECK(rearmed > 10000);
}
