#include "tailsim/components/processor_sharing.hpp"

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "support/time.hpp"

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::ProcessorSharing;
using tailsim::testing::at;
using namespace std::chrono_literals;

namespace {

/// Runs `cpu` until its `jobs` busy requests are done (at most `steps`
/// completions or quota events); returns when the last one was.
Time finish_all(ProcessorSharing& cpu, int jobs, int steps = 1000) {
  int done = 0;
  Time finished{};
  for (int step = 0; step < steps && done < jobs; ++step) {
    const auto next = cpu.next_completion();
    REQUIRE(next);
    cpu.advance(*next);
    while (cpu.pop_done()) {
      ++done;
      finished = *next;
    }
  }
  REQUIRE(done == jobs);
  return finished;
}

}  // namespace

TEST_CASE("one request runs at one core however many cores there are", "[processor_sharing]") {
  ProcessorSharing cpu(4.0);
  cpu.add(at(0ms), 10e6, 7);
  REQUIRE(cpu.next_completion() == at(10ms));
  cpu.advance(at(10ms));
  CHECK(cpu.pop_done() == 7u);
  CHECK_FALSE(cpu.pop_done());
  CHECK_FALSE(cpu.next_completion());
}

TEST_CASE("n requests on c cores each get min(1, c/n) of a core", "[processor_sharing]") {
  // Two requests of 10 ms on one core: both progress at half speed.
  ProcessorSharing cpu(1.0);
  cpu.add(at(0ms), 10e6, 1);
  cpu.add(at(0ms), 10e6, 2);
  REQUIRE(cpu.next_completion() == at(20ms));
  cpu.advance(at(20ms));
  CHECK(cpu.pop_done().has_value());
  CHECK(cpu.pop_done().has_value());

  // Three requests on two cores: 2/3 of a core each.
  ProcessorSharing two(2.0);
  for (std::uint32_t i = 0; i < 3; ++i) {
    two.add(at(0ms), 6e6, i);
  }
  CHECK(two.next_completion() == at(9ms));
  CHECK(two.busy_cores() == 2.0);
}

TEST_CASE("a request that arrives later shares what is left", "[processor_sharing]") {
  // A needs 10 ms, B arrives at 4 ms needing 2 ms, on one core. From 4 ms each
  // runs at half speed: B is done at 8 ms; A has 4 ms left then, done at 12 ms.
  ProcessorSharing cpu(1.0);
  cpu.add(at(0ms), 10e6, 1);
  cpu.add(at(4ms), 2e6, 2);
  REQUIRE(cpu.next_completion() == at(8ms));
  cpu.advance(at(8ms));
  CHECK(cpu.pop_done() == 2u);
  CHECK_FALSE(cpu.pop_done());
  REQUIRE(cpu.next_completion() == at(12ms));
  cpu.advance(at(12ms));
  CHECK(cpu.pop_done() == 1u);
}

TEST_CASE("zero work is done at once", "[processor_sharing]") {
  ProcessorSharing cpu(1.0);
  cpu.add(at(5ms), 0.0, 3);
  CHECK(cpu.next_completion() == at(5ms));
  cpu.advance(at(5ms));
  CHECK(cpu.pop_done() == 3u);
}

TEST_CASE("CFS quota: a request stops when the pod's quota for the period is spent",
          "[processor_sharing]") {
  // Limit 0.5 CPU with a 100 ms period: 50 ms of CPU per period. A request
  // needing 60 ms runs 0-50 ms, waits for the next period, runs 100-110 ms.
  auto run_alone = [](double work_ms) {
    ProcessorSharing cpu(16.0);
    cpu.set_quota(100ms, 0.5);
    cpu.add(at(0ms), work_ms * 1e6, 1);
    for (int step = 0; step < 100; ++step) {
      const auto next = cpu.next_completion();
      REQUIRE(next);
      cpu.advance(*next);
      if (cpu.pop_done()) {
        return *next;
      }
    }
    FAIL("never finished");
    return at(0ms);
  };
  CHECK(run_alone(60) == at(110ms));
  CHECK(run_alone(120) == at(220ms));
  CHECK(run_alone(40) == at(40ms));
}

TEST_CASE("CFS quota: parallel requests spend the quota faster", "[processor_sharing]") {
  // Limit 2 CPUs (200 ms per 100 ms period) on a 16-core node: four requests
  // of 100 ms each run in parallel, spend 200 ms of quota in 50 ms, stop until
  // 100 ms, and need two more periods of 50 ms running: done at 150 ms.
  ProcessorSharing cpu(16.0);
  cpu.set_quota(100ms, 2.0);
  for (std::uint32_t i = 0; i < 4; ++i) {
    cpu.add(at(0ms), 100e6, i);
  }
  CHECK(finish_all(cpu, 4, 100) == at(150ms));
  CHECK(cpu.throttled_periods() == 1);
}

TEST_CASE("CFS quota: a limit equal to the cores never throttles", "[processor_sharing]") {
  // Limit 2 CPUs on 2 cores: two busy requests spend the 200 ms quota exactly
  // as each 100 ms period ends, and wait for nothing. cpu.stat counts a
  // period as throttled only when work waited; a limit of 1.5 makes both
  // requests wait in every period: 150 ms of work per period for 2 s of work.
  auto run = [](double limit) {
    ProcessorSharing cpu(2.0);
    cpu.set_quota(100ms, limit);
    cpu.add(at(0ms), 1e9, 1);
    cpu.add(at(0ms), 1e9, 2);
    const Time finished = finish_all(cpu, 2);
    return std::pair{finished, cpu};
  };
  const auto [at_limit_2, cpu_2] = run(2.0);
  CHECK(at_limit_2 == at(1000ms));
  CHECK(cpu_2.throttled_periods() == 0);
  CHECK(cpu_2.periods() == 10);
  // 2 s of work at 150 ms per period: 13 whole periods and 50 ms of the
  // 14th; the first 13 ran out of quota with work left.
  const auto [at_limit_1_5, cpu_1_5] = run(1.5);
  CHECK(at_limit_1_5 == at(1325ms));
  CHECK(cpu_1_5.throttled_periods() == 13);
}

TEST_CASE("CFS quota: a span that spends the quota up to rounding throttles the CPU",
          "[processor_sharing]") {
  // A 0.3-core limit with a 10 ms period: 3,000,000 core-ns per period. Two
  // requests on 2.8 cores spend 2 x 457,007 ns; with a third, 2.8 cores are
  // busy, and 744,995 ns more spend 2.8 x 744,995 = 2,085,985.9999999998 of
  // the 2,085,986 left: short of it, yet the quota used adds up to exactly
  // 3,000,000. The CPU must be throttled until the period ends, not left
  // with no quota and its next event at the instant it is already at.
  ProcessorSharing cpu(2.8);
  cpu.set_quota(10ms, 0.3);
  cpu.add(at(0ms), 1e12, 1);
  cpu.add(at(0ms), 1e12, 2);
  const Time third = at(0ms) + Duration{457'007};
  cpu.add(third, 1e12, 3);
  const Time spent = third + Duration{744'995};
  cpu.advance(spent);
  CHECK(cpu.is_throttled());
  const auto next = cpu.next_completion();
  REQUIRE(next);
  CHECK(*next == at(10ms));
  CHECK_FALSE(cpu.pop_done());
  // The next period runs them again.
  cpu.advance(*next);
  CHECK_FALSE(cpu.is_throttled());
  const auto after = cpu.next_completion();
  REQUIRE(after);
  CHECK(*after > at(10ms));
}

TEST_CASE(
    "a CPU's next event is never the instant it is at, whatever the cores, quota, speed "
    "and pauses",
    "[processor_sharing]") {
  // The kernel's loop for one pod, driven at random: at each step either the
  // CPU's next event comes (advance to it, take the requests done) or
  // something else happens first (a request arrives, the node's grant or a
  // pause changes), often a nanosecond or three before it. Fractional cores, limits and speeds make
  // every sum round. A CPU whose next event is the instant it is already at, with nothing done
  // there, would run that event for ever (the simulation stops such a run as simulated time
  // standing still): two in a row never happen here. And once arrivals stop, every request
  // finishes.
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double cores = 0.3 + 7.7 * unit(rng);
    ProcessorSharing cpu(cores);
    if (seed % 2 == 0) {
      cpu.set_quota(seed % 4 == 0 ? 10ms : 100ms, 0.2 + (cores - 0.2) * unit(rng));
    }
    const bool varies_speed = seed % 3 == 0;
    const bool pauses = seed % 5 == 0;
    Time now{};
    std::uint32_t added = 0;
    std::uint32_t done = 0;
    int at_same_instant = 0;
    // Runs the CPU's next event if it comes by `until`; false if none does.
    auto next_event = [&](Time until) {
      const auto next = cpu.next_completion();
      if (!next || *next > until) {
        return false;
      }
      REQUIRE(*next >= now);
      at_same_instant = *next == now ? at_same_instant + 1 : 0;
      REQUIRE(at_same_instant < 2);
      now = *next;
      cpu.advance(now);
      while (cpu.pop_done()) {
        ++done;
        at_same_instant = 0;
      }
      return true;
    };
    for (int step = 0; step < 20'000; ++step) {
      Time other = now + Duration{static_cast<std::int64_t>(3e6 * unit(rng))};
      // Often just before the CPU's next event, so that the work and quota
      // counted fall just short of what is due.
      if (const auto next = cpu.next_completion(); next && unit(rng) < 0.3) {
        other = std::max(now, *next - Duration{1 + static_cast<std::int64_t>(rng() % 3)});
      }
      if (next_event(other)) {
        continue;
      }
      now = other;
      const double what = unit(rng);
      if (varies_speed && what < 0.1) {
        cpu.set_speed(now, 0.2 + 0.8 * unit(rng));
      } else if (pauses && what < 0.15) {
        if (cpu.is_paused()) {
          cpu.resume(now);
        } else {
          cpu.pause(now);
        }
      } else {
        cpu.add(now, 1 + 4e6 * unit(rng), added++);
      }
      at_same_instant = 0;
    }
    if (cpu.is_paused()) {
      cpu.resume(now);
    }
    for (int step = 0; step < 1'000'000 && done < added; ++step) {
      REQUIRE(next_event(Time::max()));
    }
    CHECK(done == added);
  }
}

TEST_CASE("requests done at one instant leave in std::push_heap/pop_heap's order",
          "[processor_sharing]") {
  // The job heap is libstdc++'s algorithm written out, so the order of
  // requests whose work ends at the same instant (constant demands) is the
  // one earlier versions produced with std::pop_heap: the runs stay the same.
  // Reference: the same jobs in a std heap. With a core for every job the
  // virtual clock is the time in nanoseconds, so a job's key is start + work.
  using Job = std::pair<double, std::uint32_t>;
  const auto later = [](const Job& a, const Job& b) { return a.first > b.first; };
  std::vector<Job> reference;
  ProcessorSharing cpu(1000.0);
  // A job that outlasts the test keeps the CPU busy, so its clock never restarts.
  cpu.add(at(0ms), 1e9, 0);
  reference.emplace_back(1e9, 0);
  std::uint32_t next_id = 1;
  std::size_t popped = 0;
  for (int round = 0; round < 40; ++round) {
    const auto now = at(std::chrono::milliseconds(round));
    cpu.advance(now);
    const double virtual_now = static_cast<double>(round) * 1e6;
    // Every job due now, in the reference's order.
    while (!reference.empty() && reference.front().first <= virtual_now) {
      std::pop_heap(reference.begin(), reference.end(), later);
      const auto done = cpu.pop_done();
      REQUIRE(done);
      CHECK(*done == reference.back().second);
      reference.pop_back();
      ++popped;
    }
    CHECK_FALSE(cpu.pop_done());
    // New jobs of 1 to 3 ms: many end at the same instant.
    for (int k = 0; k < 1 + (round * 7) % 5; ++k) {
      const double work = 1e6 * static_cast<double>(1 + (round + k) % 3);
      cpu.add(now, work, next_id);
      reference.emplace_back(virtual_now + work, next_id);
      std::push_heap(reference.begin(), reference.end(), later);
      ++next_id;
    }
    CHECK(cpu.busy() == reference.size());
    // The next completion follows the earliest job as jobs come and go.
    const auto wait = static_cast<std::int64_t>(reference.front().first - virtual_now);
    CHECK(cpu.next_completion() == now + Duration{wait});
  }
  CHECK(popped > 60);
}
