#include "tailsim/report/result_text.hpp"

#include <catch2/catch.hpp>

#include "support/slo_check.hpp"

using tailsim::report::format_scale_metric;
using tailsim::report::format_slo_value;
using tailsim::report::scale_changes;
using tailsim::stats::AutoscalerResult;
using tailsim::stats::ScaleSample;
using tailsim::testing::slo_result;

TEST_CASE("an SLO's value reads in the unit of its threshold", "[result_text]") {
  CHECK(format_slo_value(slo_result("p", "errors < 1%", 0.0021, true)) == "0.21%");
  CHECK(format_slo_value(slo_result("p", "throughput > 100/s", 399.24, true)) == "399.2/s");
  CHECK(format_slo_value(slo_result("p", "p99 < 400ms", 180.5, true)) == "180.5ms");
  CHECK(format_slo_value(slo_result("p", "max<=2s", 1234.5, true)) == "1.23s");
}

TEST_CASE("an autoscaler's changes are the syncs where desired or ready moved", "[result_text]") {
  AutoscalerResult a;
  a.metric = "cpu";
  auto sync = [](double t, int desired, unsigned ready) {
    ScaleSample s;
    s.t_s = t;
    s.has_metric = true;
    s.metric = 130;
    s.desired = desired;
    s.ready = ready;
    return s;
  };
  a.history = {sync(0, 2, 2), sync(15, 2, 2), sync(30, 4, 2), sync(45, 4, 2), sync(60, 4, 4)};
  const auto changes = scale_changes(a);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0]->t_s == 0);
  CHECK(changes[1]->t_s == 30);
  CHECK(changes[2]->t_s == 60);
  CHECK(format_scale_metric(a, *changes[0]) == "130%");
  a.metric = "rps";
  CHECK(format_scale_metric(a, *changes[0]) == "130.0");
  ScaleSample none;
  CHECK(format_scale_metric(a, none) == "-");
}
