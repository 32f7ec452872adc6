#include "tailsim/components/memory_budget.hpp"

#include <catch2/catch.hpp>

using tailsim::components::format_bytes;
using tailsim::components::LiveWork;

TEST_CASE("bytes are written for people", "[memory]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(512ULL << 20) == "512.0 MiB");
  CHECK(format_bytes(3ULL << 30) == "3.0 GiB");
}

TEST_CASE("a memory stop says which budget, how much and what took it", "[memory]") {
  LiveWork work;
  work.pools = 700ULL << 20;
  work.events = 100ULL << 20;
  work.queued = 50ULL << 20;
  CHECK(work.total() == 850ULL << 20);
  CHECK(tailsim::components::memory_stop_reason(work, 512ULL << 20) ==
        "memory budget: live work reached 850.0 MiB of the 512.0 MiB budget, most of it "
        "requests, tasks and calls in flight (700.0 MiB)");
}

TEST_CASE("the default budget is a share of physical memory per job", "[memory]") {
  const auto one = tailsim::components::default_memory_budget(1);
  const auto four = tailsim::components::default_memory_budget(4);
  REQUIRE(one > 0);
  CHECK(four == one / 4);
  CHECK(tailsim::components::default_memory_budget(0) == one);
}
