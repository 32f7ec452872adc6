#include "tailsim/study/metrics.hpp"

#include <catch2/catch.hpp>

using tailsim::SloMetric;
using tailsim::study::Metric;
using tailsim::study::slo_value_unit;

TEST_CASE("an SLO check's value is written in its metric's unit", "[metrics]") {
  CHECK(slo_value_unit(SloMetric::errors) == Metric::errors);
  CHECK(slo_value_unit(SloMetric::throughput) == Metric::throughput);
  // Latency checks, whatever their term, read in milliseconds as the mean does.
  CHECK(slo_value_unit(SloMetric::percentile) == Metric::mean);
  CHECK(slo_value_unit(SloMetric::max) == Metric::mean);
  CHECK(slo_value_unit(SloMetric::mean) == Metric::mean);
}
