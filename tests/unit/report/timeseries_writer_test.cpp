#include "tailsim/report/timeseries_writer.hpp"

#include <limits>
#include <string>

#include <catch2/catch.hpp>

namespace {

using tailsim::report::format_timeseries_csv;
using tailsim::stats::Results;
using tailsim::stats::Series;

constexpr double undefined = std::numeric_limits<double>::quiet_NaN();

Results results_with(double interval_s, std::vector<Series> series) {
  Results r;
  r.timeseries.interval_s = interval_s;
  r.timeseries.intervals = series.empty() ? 0 : series.front().values.size();
  r.timeseries.series = std::move(series);
  return r;
}

}  // namespace

TEST_CASE("timeseries csv: tidy rows, interval starts, NaN as an empty field", "[timeseries_csv]") {
  const Results r = results_with(0.5, {Series{"path/checkout", "p99_ms", {1.5, undefined, 0.1}},
                                       Series{"service/api", "utilization", {0.25, 1e-7, 3}}});
  CHECK(format_timeseries_csv(r) ==
        "time_s,entity,metric,value\n"
        "0,path/checkout,p99_ms,1.5\n"
        "0.5,path/checkout,p99_ms,\n"
        "1,path/checkout,p99_ms,0.1\n"
        "0,service/api,utilization,0.25\n"
        "0.5,service/api,utilization,1e-07\n"
        "1,service/api,utilization,3\n");
}

TEST_CASE("timeseries csv quotes names with commas, quotes or line breaks (RFC 4180)",
          "[timeseries_csv]") {
  const Results r = results_with(
      1, {Series{"breaker/a->b.c,d", "state", {0}}, Series{"service/say \"hi\"", "rejected", {2}},
          Series{"cache/two\nlines", "hit_ratio", {undefined}}});
  CHECK(format_timeseries_csv(r) ==
        "time_s,entity,metric,value\n"
        "0,\"breaker/a->b.c,d\",state,0\n"
        "0,\"service/say \"\"hi\"\"\",rejected,2\n"
        "0,\"cache/two\nlines\",hit_ratio,\n");
}

TEST_CASE("timeseries csv times are exact multiples of the interval", "[timeseries_csv]") {
  // 3 x 0.1 is 0.30000000000000004 in doubles; the interval counts in ns.
  const Results r = results_with(0.1, {Series{"queue/q", "depth", {0, 1, 2, 3}}});
  CHECK(format_timeseries_csv(r) ==
        "time_s,entity,metric,value\n"
        "0,queue/q,depth,0\n"
        "0.1,queue/q,depth,1\n"
        "0.2,queue/q,depth,2\n"
        "0.3,queue/q,depth,3\n");
  const Results slow = results_with(15, {Series{"autoscaler/a", "desired", {2, 4, 4}}});
  CHECK(format_timeseries_csv(slow) ==
        "time_s,entity,metric,value\n"
        "0,autoscaler/a,desired,2\n"
        "15,autoscaler/a,desired,4\n"
        "30,autoscaler/a,desired,4\n");
}

TEST_CASE("timeseries csv without series is the header alone", "[timeseries_csv]") {
  CHECK(format_timeseries_csv(Results{}) == "time_s,entity,metric,value\n");
}

TEST_CASE("timeseries csv: a pod's rows start at the interval it was made in", "[timeseries_csv]") {
  Results r = results_with(0.5, {Series{"service/api", "utilization", {0.5, 0.5, 0.5}}});
  r.timeseries.pods = {Series{"pod/api-3", "cores", {0.25, 0.75}, 1, {{"service", "api"}}}};
  CHECK(format_timeseries_csv(r) ==
        "time_s,entity,metric,value\n"
        "0,service/api,utilization,0.5\n"
        "0.5,service/api,utilization,0.5\n"
        "1,service/api,utilization,0.5\n"
        "0.5,pod/api-3,cores,0.25\n"
        "1,pod/api-3,cores,0.75\n");
}
