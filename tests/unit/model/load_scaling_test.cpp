#include "tailsim/model/load_scaling.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "tailsim/model/loader.hpp"

namespace {

namespace tm_ = tailsim::model;

/// A model with an open workload on a schedule with bursts, a closed one,
/// and an open one at a flat rate.
tm_::Model load_scaling_model(const std::string& extra = "") {
  const std::string yaml = R"(version: 1
services:
  api: {endpoints: {get: [{cpu: exp(1ms)}]}}
workloads:
  flat: {entry: api.get, rate: 100/s}
  daily:
    entry: api.get
    schedule: [{at: 0s, rate: 10/s}, {at: 1m, rate: 40/s, ramp: 30s}]
    bursts: {every: exp(30s), for: 5s, factor: 4}
  users: {entry: api.get, users: 7, think: exp(1s)}
)" + extra;
  auto loaded = tm_::load_string(yaml, "load.yaml");
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  return std::move(*loaded.model);
}

}  // namespace

TEST_CASE("A load factor is a number with an optional x, above zero", "[model][load]") {
  CHECK(*tm_::parse_load_factor("3x") == 3.0);
  CHECK(*tm_::parse_load_factor("0.5x") == 0.5);
  CHECK(*tm_::parse_load_factor("2") == 2.0);
  CHECK(*tm_::parse_load_factor("1.5X") == 1.5);
  for (const char* bad : {"", "x", "abc", "3xx", "-1x", "0x", "2e6x", "nanx", "3 x"}) {
    INFO(bad);
    CHECK_FALSE(tm_::parse_load_factor(bad));
  }
}

TEST_CASE("The load scaled: rates, schedules and users; bursts scale with the rate",
          "[model][load]") {
  tm_::Model m = load_scaling_model();
  REQUIRE_FALSE(tm_::scale_load(m, 2.5));
  CHECK(m.workloads[0].rate->value == 250.0);
  CHECK(m.workloads[1].schedule[0].rate.value == 25.0);
  CHECK(m.workloads[1].schedule[1].rate.value == 100.0);
  CHECK(m.workloads[1].bursts->factor.value == 4.0);  // a factor on the scaled rate
  CHECK(m.workloads[2].users->value == 18);           // 17.5, rounded
  REQUIRE_FALSE(tm_::scale_load(m, 0.01));
  CHECK(m.workloads[2].users->value == 1);  // at least one user
}

TEST_CASE("Scaling refuses what it cannot scale and then changes nothing", "[model][load]") {
  tm_::Model m = load_scaling_model();
  const auto too_fast = tm_::scale_load(m, 2e7);  // 40/s x 2e7 = 8e8/s fits; 100/s does not
  REQUIRE(too_fast);
  CHECK_THAT(*too_fast, Catch::Contains("workload 'flat' would reach 2e+09/s, more than 1G/s"));
  CHECK(m.workloads[0].rate->value == 100.0);
  CHECK(m.workloads[1].schedule[1].rate.value == 40.0);

  const auto too_many = tm_::scale_load(m, 5e6);
  REQUIRE(too_many);
  CHECK_THAT(*too_many, Catch::Contains("workload 'users' would have 3.5e+07 users"));
  CHECK(m.workloads[2].users->value == 7);
}

TEST_CASE("Scaling refuses a workload that replays a trace of arrival times", "[model][load]") {
  tm_::Model m = load_scaling_model();
  tm_::Workload replay;
  replay.name.value = "replay";
  replay.kind = tm_::WorkloadKind::trace;
  m.workloads.push_back(replay);
  const auto error = tm_::scale_load(m, 2);
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("workload 'replay' replays the arrival times of a file"));
  CHECK(m.workloads[0].rate->value == 100.0);
}
