#include "tailsim/report/openmetrics_writer.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tailsim::report::format_openmetrics;
using tailsim::stats::Outcome;
using tailsim::stats::Results;

constexpr std::int64_t metrics_ms = 1'000'000;
constexpr double inf = std::numeric_limits<double>::infinity();

/// A sample line, its label values unescaped.
struct Sample {
  std::string family;  ///< the family its # TYPE line named
  std::string type;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string value;
  std::string timestamp;  ///< Unix seconds, as written

  [[nodiscard]] std::string label(const std::string& key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) {
        return v;
      }
    }
    return "<none>";
  }
  /// The labels but `le`, as text: which histogram a bucket belongs to.
  [[nodiscard]] std::string series_key() const {
    std::string key;
    for (const auto& [k, v] : labels) {
      if (k != "le") {
        key.append(k).append("=").append(v).append(";");
      }
    }
    return key;
  }
};

struct Family {
  std::string name;
  std::string type;
  std::string unit;
  std::string help;
};

struct Exposition {
  std::vector<Family> families;
  std::vector<Sample> samples;
};

/// Parses OpenMetrics text strictly enough to catch what a writer gets
/// wrong: metadata order, names against the family type, escaping, # EOF.
Exposition parse(const std::string& text) {
  REQUIRE(text.size() >= 6);
  REQUIRE(text.substr(text.size() - 6) == "# EOF\n");
  Exposition out;
  std::istringstream in(text.substr(0, text.size() - 6));
  std::set<std::string> seen_families;
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    REQUIRE(!line.empty());
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') {
        rest.erase(0, 1);
      }
      if (kind == "TYPE") {
        REQUIRE(seen_families.insert(name).second);  // families are not interleaved
        out.families.push_back({name, rest, "", ""});
      } else {
        REQUIRE(!out.families.empty());
        REQUIRE(out.families.back().name == name);
        if (kind == "UNIT") {
          REQUIRE(out.families.back().help.empty());  // TYPE, UNIT, HELP
          out.families.back().unit = rest;
        } else {
          REQUIRE(kind == "HELP");
          out.families.back().help = rest;
        }
      }
      continue;
    }
    REQUIRE(!out.families.empty());
    Sample s;
    s.family = out.families.back().name;
    s.type = out.families.back().type;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        const std::string key = line.substr(i, eq - i);
        REQUIRE(line[eq + 1] == '"');
        std::string value;
        std::size_t j = eq + 2;
        for (; line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            REQUIRE((line[j] == '\\' || line[j] == '"' || line[j] == 'n'));
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        s.labels.emplace_back(key, value);
        i = j + 1;
        if (line[i] == ',') {
          ++i;
        }
      }
      ++i;
    }
    REQUIRE(line[i] == ' ');
    const std::size_t space = line.find(' ', i + 1);
    REQUIRE(space != std::string::npos);  // every sample has a timestamp
    s.value = line.substr(i + 1, space - i - 1);
    s.timestamp = line.substr(space + 1);
    REQUIRE(s.timestamp.find_first_not_of("0123456789.") == std::string::npos);
    out.samples.push_back(std::move(s));
  }
  return out;
}

double number(const std::string& text) {
  if (text == "+Inf") {
    return inf;
  }
  std::size_t used = 0;
  const double x = std::stod(text, &used);
  REQUIRE(used == text.size());
  return x;
}

std::vector<Sample> samples_named(const Exposition& e, const std::string& name) {
  std::vector<Sample> out;
  for (const auto& s : e.samples) {
    if (s.name == name) {
      out.push_back(s);
    }
  }
  return out;
}

/// Every rule of OpenMetrics that a mistake here could break, checked on the
/// parsed text.
void check_structure(const Exposition& e) {
  for (const Family& f : e.families) {
    INFO(f.name);
    CHECK(!f.help.empty());
    if (!f.unit.empty()) {  // the unit is the name's suffix
      CHECK(f.name.size() > f.unit.size());
      CHECK(f.name.substr(f.name.size() - f.unit.size() - 1) == "_" + f.unit);
    }
    CHECK((f.type == "counter" || f.type == "gauge" || f.type == "histogram"));
  }
  std::map<std::string, std::vector<const Sample*>> buckets;  // by histogram
  std::map<std::string, const Sample*> counts;
  std::set<std::string> sums;
  for (const Sample& s : e.samples) {
    INFO(s.name);
    if (s.type == "counter") {
      CHECK(s.name == s.family + "_total");
      if (!s.name.ends_with("_seconds_total")) {
        CHECK(s.value.find_first_of(".e") == std::string::npos);  // a whole number
      }
    } else if (s.type == "gauge") {
      CHECK(s.name == s.family);
    } else {
      const std::string key = s.family + "|" + s.series_key();
      if (s.name == s.family + "_bucket") {
        buckets[key].push_back(&s);
      } else if (s.name == s.family + "_count") {
        counts[key] = &s;
      } else {
        CHECK(s.name == s.family + "_sum");
        sums.insert(key);
      }
    }
    if (s.value != "NaN") {
      CHECK_NOTHROW(number(s.value));
    }
  }
  CHECK(buckets.size() == counts.size());
  CHECK(sums.size() == counts.size());
  for (const auto& [key, series] : buckets) {
    INFO(key);
    REQUIRE(!series.empty());
    for (std::size_t i = 1; i < series.size(); ++i) {
      CHECK(number(series[i]->label("le")) > number(series[i - 1]->label("le")));
      CHECK(number(series[i]->value) >= number(series[i - 1]->value));
    }
    CHECK(series.back()->label("le") == "+Inf");
    REQUIRE(counts.count(key) == 1);
    CHECK(series.back()->value == counts.at(key)->value);
  }
}

Results metrics_sample() {
  Results r;
  r.model = "shop";
  auto& checkout = r.paths.emplace_back();
  checkout.name = "checkout";
  checkout.requests = 12;
  checkout.attempts = 14;
  checkout.outcomes[Outcome::ok] = 10;
  checkout.outcomes[Outcome::timeout] = 2;
  for (int ms = 1; ms <= 10; ++ms) {
    checkout.latency.record(ms * metrics_ms);
  }
  auto& odd = r.paths.emplace_back();
  odd.name = "we\"ird\\path\nx";
  odd.requests = 1;
  odd.outcomes[Outcome::rejected] = 1;

  auto& api = r.services.emplace_back();
  api.name = "api";
  api.requests = 20;
  api.rejected = 1;
  api.utilization = 0.25;
  api.queue_mean = 1.5;
  api.replicas = {2, 4, 3};
  auto& bank = r.services.emplace_back();
  bank.name = "bank";
  bank.requests = 5;
  bank.is_external = true;
  return r;
}

}  // namespace

TEST_CASE("openmetrics follows the format: metadata, suffixes, buckets, # EOF", "[openmetrics]") {
  Results r = metrics_sample();
  r.caches.push_back({"cart-cache", 100, 90});
  r.queues.push_back({"orders", 50, 48, 1, 7, 0.125});
  const std::string text = format_openmetrics(r);
  const Exposition e = parse(text);
  check_structure(e);

  std::vector<std::string> names;
  for (const auto& f : e.families) {
    names.push_back(f.name);
  }
  CHECK(names == std::vector<std::string>{
                     "http_server_request_duration_seconds", "tailsim_path_requests",
                     "tailsim_path_attempts", "tailsim_path_errors", "tailsim_service_requests",
                     "tailsim_service_rejected", "tailsim_service_utilization_ratio",
                     "tailsim_service_queue_length_mean", "tailsim_service_replicas_mean",
                     "tailsim_service_replicas_min", "tailsim_service_replicas_max",
                     "tailsim_cache_lookups", "tailsim_cache_hits", "tailsim_queue_published",
                     "tailsim_queue_consumed", "tailsim_queue_dead_letters",
                     "tailsim_queue_depth_max", "tailsim_queue_lag_max_seconds"});
  CHECK(text.find("# TYPE http_server_request_duration_seconds histogram\n"
                  "# UNIT http_server_request_duration_seconds seconds\n"
                  "# HELP http_server_request_duration_seconds ") == 0);
  CHECK(text.find("tailsim_cache_hits_total{cache=\"cart-cache\"} 90 946684800\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_queue_lag_max_seconds{queue=\"orders\"} 0.125 946684800\n") !=
        std::string::npos);
}

TEST_CASE("openmetrics buckets: OpenTelemetry's bounds, cumulative, +Inf is the count",
          "[openmetrics]") {
  const Exposition e = parse(format_openmetrics(metrics_sample()));
  std::vector<std::string> les;
  std::vector<std::string> counts;
  for (const auto& s : samples_named(e, "http_server_request_duration_seconds_bucket")) {
    if (s.label("path") == "checkout") {
      CHECK(s.label("http_route") == "checkout");
      les.push_back(s.label("le"));
      counts.push_back(s.value);
    }
  }
  CHECK(les == std::vector<std::string>{"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
                                        "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"});
  // 1..10 ms: 1-4 ms lie in buckets wholly below 5 ms; 5 ms lies in the
  // bucket [4.997120, 5.001215] ms, which reads as its middle, 4.999168 ms
  // (as the p50 of results.json does), so it is counted at le=0.005. 10 ms
  // is the exact max, so every bound from 10 ms counts all.
  CHECK(counts == std::vector<std::string>{"5", "10", "10", "10", "10", "10", "10", "10", "10",
                                           "10", "10", "10", "10", "10", "10"});
  const auto sums = samples_named(e, "http_server_request_duration_seconds_sum");
  REQUIRE(sums.size() == 2);
  CHECK(sums[0].value == "0.055");
  CHECK(sums[1].value == "0.0");  // no successful request: all zero, still there
  const auto request_counts = samples_named(e, "http_server_request_duration_seconds_count");
  CHECK(request_counts[1].value == "0");
}

TEST_CASE("openmetrics bucket counts agree with value_at_percentile", "[openmetrics]") {
  Results r;
  auto& p = r.paths.emplace_back();
  p.name = "p";
  std::mt19937_64 rng(3);
  constexpr std::uint64_t n = 50'000;
  for (std::uint64_t i = 0; i < n; ++i) {  // log-uniform between 1 ms and 20 s
    const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
    p.latency.record(static_cast<std::int64_t>(std::exp(std::log(1e6) + u * std::log(2e4))));
  }
  const Exposition e = parse(format_openmetrics(r));
  check_structure(e);
  for (const auto& s : samples_named(e, "http_server_request_duration_seconds_bucket")) {
    if (s.label("le") == "+Inf") {
      CHECK(s.value == std::to_string(n));
      continue;
    }
    INFO(s.label("le"));
    const auto bound_ns = static_cast<std::int64_t>(std::llround(number(s.label("le")) * 1e9));
    const auto count = static_cast<std::uint64_t>(number(s.value));
    REQUIRE(count > 0);
    REQUIRE(count < n);
    // The value of rank `count` reads at most the bound; that of the next
    // rank above it.
    const auto value_of_rank = [&](std::uint64_t rank) {
      return p.latency.value_at_percentile(100.0 * static_cast<double>(rank) /
                                           static_cast<double>(n));
    };
    CHECK(value_of_rank(count) <= bound_ns);
    CHECK(value_of_rank(count + 1) > bound_ns);
  }
}

TEST_CASE("openmetrics counters by path and kind; gauges only for services with pods",
          "[openmetrics]") {
  const std::string text = format_openmetrics(metrics_sample());
  const Exposition e = parse(text);
  CHECK(text.find("tailsim_path_requests_total{path=\"checkout\"} 12 946684800\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_path_attempts_total{path=\"checkout\"} 14 946684800\n") !=
        std::string::npos);
  std::map<std::string, std::string> errors;
  for (const auto& s : samples_named(e, "tailsim_path_errors_total")) {
    if (s.label("path") == "checkout") {
      errors[s.label("kind")] = s.value;
    }
  }
  CHECK(errors == std::map<std::string, std::string>{{"timeout", "2"},
                                                     {"rejected", "0"},
                                                     {"error", "0"},
                                                     {"unavailable", "0"},
                                                     {"unfinished", "0"}});
  CHECK(text.find("tailsim_service_requests_total{service=\"bank\"} 5 946684800\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_service_utilization_ratio{service=\"api\"} 0.25 946684800\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_service_replicas_mean{service=\"api\"} 3.0 946684800\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_service_queue_length_mean{service=\"api\"} 1.5 946684800\n") !=
        std::string::npos);
  for (const auto& s : e.samples) {
    if (s.type == "gauge") {
      CHECK(s.label("service") != "bank");
    }
  }
  // No caches or queues: no families for them.
  CHECK(text.find("tailsim_cache") == std::string::npos);
  CHECK(text.find("tailsim_queue") == std::string::npos);
}

TEST_CASE("openmetrics escapes backslash, double quote and line feed in label values",
          "[openmetrics]") {
  const std::string text = format_openmetrics(metrics_sample());
  CHECK(text.find("tailsim_path_requests_total{path=\"we\\\"ird\\\\path\\nx\"} 1 946684800\n") !=
        std::string::npos);
  const Exposition e = parse(text);
  const auto requests = samples_named(e, "tailsim_path_requests_total");
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].label("path") == "we\"ird\\path\nx");
}

TEST_CASE("openmetrics of empty results is just # EOF", "[openmetrics]") {
  CHECK(format_openmetrics(Results{}) == "# EOF\n");
}

TEST_CASE("openmetrics stamps the end-of-run samples with the run's end", "[openmetrics]") {
  Results r = metrics_sample();
  r.simulated_s = 12.5;
  const Exposition at_default = parse(format_openmetrics(r));
  REQUIRE(!at_default.samples.empty());
  for (const Sample& s : at_default.samples) {
    CHECK(s.timestamp == "946684812.5");  // 2000-01-01T00:00:00Z + 12.5 s
  }
  const Exposition e = parse(format_openmetrics(r, 1'767'225'600'000'000'001));
  for (const Sample& s : e.samples) {
    CHECK(s.timestamp == "1767225612.500000001");
  }
}

namespace {

/// Results with a time series of three 0.5 s intervals, the run ending 0.25 s
/// into the third.
Results series_sample() {
  Results r = metrics_sample();
  r.simulated_s = 1.25;
  auto& ts = r.timeseries;
  ts.interval_s = 0.5;
  ts.intervals = 3;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ts.series = {
      {"path/checkout", "arrivals", {2, 3, 1}},
      {"path/checkout", "errors_timeout", {0, 1, 0}},
      {"path/checkout", "errors_error", {1, 0, 0}},
      {"path/checkout", "p99_ms", {1.5, nan, 2.25}},
      {"path/we\"ird", "errors_timeout", {0, 0, 4}},
      {"service/api", "utilization", {0.5, 0.25, 1}},
      {"service/api", "wasted_cpu_s", {0.25, 0, 0.5}},
      {"breaker/front->api.get", "state", {0, 1, 2}},
  };
  return r;
}

}  // namespace

TEST_CASE("openmetrics writes the time series at each interval's end", "[openmetrics]") {
  const Results r = series_sample();
  const std::string text = format_openmetrics(r, 1'767'225'600'000'000'000);
  const Exposition e = parse(text);
  check_structure(e);
  // Counted series: running totals; the others: the interval's value; ms as s.
  CHECK(text.find("# TYPE tailsim_path_arrivals counter\n"
                  "# HELP tailsim_path_arrivals ") != std::string::npos);
  CHECK(text.find("tailsim_path_arrivals_total{path=\"checkout\"} 2 1767225600.5\n"
                  "tailsim_path_arrivals_total{path=\"checkout\"} 5 1767225601\n"
                  "tailsim_path_arrivals_total{path=\"checkout\"} 6 1767225601.25\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_path_latency_p99_seconds{path=\"checkout\"} 0.0015 1767225600.5\n"
                  "tailsim_path_latency_p99_seconds{path=\"checkout\"} NaN 1767225601\n"
                  "tailsim_path_latency_p99_seconds{path=\"checkout\"} 0.00225 1767225601.25\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_service_wasted_cpu_seconds_total{service=\"api\"} 0.75 "
                  "1767225601.25\n") != std::string::npos);
  CHECK(text.find("tailsim_service_cpu_utilization_ratio{service=\"api\"} 0.25 1767225601\n") !=
        std::string::npos);
  CHECK(text.find("tailsim_breaker_state{breaker=\"front->api.get\"} 2.0 1767225601.25\n") !=
        std::string::npos);
  // A path's errors by kind are one family, its samples together.
  std::vector<std::string> failures;
  for (const auto& s : samples_named(e, "tailsim_path_failures_total")) {
    failures.push_back(s.label("path") + "/" + s.label("kind") + "=" + s.value);
  }
  CHECK(failures ==
        std::vector<std::string>{"checkout/timeout=0", "checkout/timeout=1", "checkout/timeout=1",
                                 "we\"ird/timeout=0", "we\"ird/timeout=0", "we\"ird/timeout=4",
                                 "checkout/error=1", "checkout/error=1", "checkout/error=1"});
  // The end-of-run summary comes first, stamped with the run's end.
  CHECK(text.find("# TYPE http_server_request_duration_seconds histogram\n") == 0);
  for (const auto& s : samples_named(e, "tailsim_path_requests_total")) {
    CHECK(s.timestamp == "1767225601.25");
  }
}

TEST_CASE("openmetrics has a family for every series a run keeps", "[openmetrics]") {
  // The metrics of stats::Series, as results.hpp and docs/semantics.md list them.
  const std::map<std::string, std::vector<std::string>> metrics{
      {"path",
       {"arrivals", "completions", "errors_timeout", "errors_rejected", "errors_error",
        "errors_unavailable", "p50_ms", "p99_ms", "in_flight"}},
      {"service",
       {"utilization", "queue_length", "replicas_ready", "replicas_starting", "arrivals",
        "rejected", "throttled_s", "retries", "wasted_cpu_s", "gc_pause_s", "contention_s",
        "memory_bytes", "oom_kills", "restarts", "evictions", "gpu_busy_s"}},
      {"cache", {"hit_ratio"}},
      {"edge", {"calls", "attempts"}},
      {"queue", {"depth", "lag_s"}},
      {"autoscaler", {"metric", "desired", "ready"}},
      {"breaker", {"state"}},
      {"cluster", {"nodes"}},
      {"node", {"pods_cores", "neighbour_cores", "utilization"}},
      {"pod", {"cores", "memory_bytes", "restarts", "gc_pause_s"}}};
  Results r;
  r.simulated_s = 2;
  r.timeseries.interval_s = 1;
  r.timeseries.intervals = 2;
  for (const auto& [kind, names] : metrics) {
    for (const auto& metric : names) {
      // The cluster is one entity, named by its kind alone.
      (kind == "pod" ? r.timeseries.pods : r.timeseries.series)
          .push_back({kind == "cluster" ? kind : kind + "/x", metric, {1, 2}});
    }
  }
  const Exposition e = parse(format_openmetrics(r));
  check_structure(e);
  const std::size_t series = r.timeseries.series.size() + r.timeseries.pods.size();
  CHECK(e.samples.size() == 2 * series);
  std::set<std::string> names;
  for (const Sample& s : e.samples) {
    names.insert(s.name);
    CHECK((s.timestamp == "946684801" || s.timestamp == "946684802"));
  }
  CHECK(names.size() == series - 3);  // errors_* share a family
}

TEST_CASE("openmetrics: a pod's series from the interval it was made in, with its labels",
          "[openmetrics]") {
  Results r = series_sample();
  r.timeseries.pods = {
      {"pod/api-2", "node", {0, 0}, 1, {{"service", "api"}, {"node", "node-0"}}},
      {"pod/api-2", "cores", {0.5, 0.25}, 1, {{"service", "api"}, {"node", "node-0"}}},
      {"pod/api-2", "gc_pause_s", {0.125, 0.25}, 1, {{"service", "api"}, {"node", "node-0"}}},
  };
  const std::string text = format_openmetrics(r, 1'767'225'600'000'000'000);
  check_structure(parse(text));
  CHECK(text.find(
            "tailsim_pod_cpu_cores{pod=\"api-2\",service=\"api\",node=\"node-0\"} 0.5 1767225601\n"
            "tailsim_pod_cpu_cores{pod=\"api-2\",service=\"api\",node=\"node-0\"} 0.25 "
            "1767225601.25\n") != std::string::npos);
  CHECK(text.find("tailsim_pod_gc_pause_seconds_total{pod=\"api-2\",service=\"api\",node="
                  "\"node-0\"} 0.375 1767225601.25\n") != std::string::npos);
  // The node is a label, not a family of its own.
  CHECK(text.find("tailsim_pod_node") == std::string::npos);
}

TEST_CASE("openmetrics: same results and epoch, same bytes", "[openmetrics]") {
  CHECK(format_openmetrics(series_sample(), 5) == format_openmetrics(series_sample(), 5));
  CHECK(format_openmetrics(series_sample(), 5) != format_openmetrics(series_sample(), 6));
}
