#include "tailsim/model/loader.hpp"

#include <catch2/catch.hpp>

namespace m = tailsim::model;

TEST_CASE("a minimal model loads", "[loader]") {
  auto r = m::load_string(R"(version: 1
services:
  api:
    endpoints:
      get:
        - cpu: exp(2ms)
workloads:
  main: {entry: api.get, rate: 10/s}
)",
                          "t.yaml");
  INFO(r.diagnostics.format_all());
  REQUIRE(r.ok());
}
