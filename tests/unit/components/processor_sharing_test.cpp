#include "tailsim/components/processor_sharing.hpp"

#include <catch2/catch.hpp>

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::ProcessorSharing;
using namespace std::chrono_literals;

namespace {

Time at(Duration d) {
  return Time{} + d;
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
  int done = 0;
  tailsim::Time finished{};
  for (int step = 0; step < 100 && done < 4; ++step) {
    const auto next = cpu.next_completion();
    REQUIRE(next);
    cpu.advance(*next);
    while (cpu.pop_done()) {
      ++done;
      finished = *next;
    }
  }
  CHECK(done == 4);
  CHECK(finished == at(150ms));
  CHECK(cpu.throttled_periods() == 1);
}
