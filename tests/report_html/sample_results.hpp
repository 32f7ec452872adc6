#pragma once
// A hand-made `Results` with something in every field the HTML report
// draws: two paths, services, calls, a cache, a queue, SLOs that pass and
// fail, an autoscaler, a cluster and time series with gaps and markers.
// Shared by the report's unit tests and the browser test's generator.

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "support/slo_check.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::testing {

/// A uniform double in [0, 1) from 53 random bits: the same everywhere.
inline double sample_unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

/// `n` latencies, lognormal around `median_ms`, with a slow 1% mode.
inline stats::Histogram sample_latency(std::uint64_t seed, int n, double median_ms) {
  std::mt19937_64 rng(seed);
  stats::Histogram h;
  for (int i = 0; i < n; ++i) {
    // Box-Muller, written out so that every platform draws the same values.
    const double u1 = 1 - sample_unit(rng);
    const double u2 = sample_unit(rng);
    const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    double ms = median_ms * std::exp(0.5 * z);
    if (sample_unit(rng) < 0.01) {
      ms *= 12;
    }
    h.record(static_cast<std::int64_t>(ms * 1e6));
  }
  return h;
}

/// A full `Results`: 125 s simulated, 20 s of warm-up, one value a second.
/// `intervals_per_second` > 1 makes long series (to test downsampling).
inline stats::Results sample_results(int intervals_per_second = 1) {
  using stats::Outcome;
  stats::Results r;
  r.model = "shop <demo> & co";
  r.seed = 7;
  r.duration_s = 100;
  r.warmup_s = 20;
  r.simulated_s = 125;
  r.events = 1234567;

  stats::PathResult checkout;
  checkout.name = "checkout";
  checkout.requests = 6000;
  checkout.outcomes[Outcome::ok] = 5890;
  checkout.outcomes[Outcome::timeout] = 70;
  checkout.outcomes[Outcome::rejected] = 40;
  checkout.attempts = 6300;
  checkout.retried = 250;
  checkout.throughput_rps = 58.9;
  checkout.latency = sample_latency(1, 5890, 120);
  checkout.attribution.is_computed = true;
  checkout.attribution.mean = {5890,
                               120.0,
                               0.0,
                               {{"payments", "queue", 60.0, 0.5},
                                {"bank-api", "delay", 40.0, 1.0 / 3},
                                {"bank-api", "network", 20.0, 1.0 / 6}}};
  checkout.attribution.slowest = {59,
                                  640.0,
                                  600.0,
                                  {{"bank-api", "failed_attempts", 480.0, 0.75},
                                   {"payments", "queue", 128.0, 0.2},
                                   {"bank-api", "delay", 32.0, 0.05}}};
  r.paths.push_back(checkout);

  stats::PathResult browse;
  browse.name = "browse";
  browse.requests = 10000;
  browse.outcomes[Outcome::ok] = 10000;
  browse.attempts = 10000;
  browse.throughput_rps = 100;
  browse.latency = sample_latency(2, 10000, 8);
  r.paths.push_back(browse);

  stats::ServiceResult frontend;
  frontend.name = "frontend";
  frontend.requests = 16000;
  frontend.utilization = 0.62;
  frontend.queue_mean = 0.4;
  frontend.busy_cpu_s = 120;
  frontend.replicas = {3, 6, 4.2};
  r.services.push_back(frontend);
  stats::ServiceResult payments;
  payments.name = "payments";
  payments.requests = 6000;
  payments.rejected = 40;
  payments.utilization = 0.91;
  payments.queue_mean = 3.5;
  payments.busy_cpu_s = 180;
  payments.retries = 300;
  payments.retries_refused = 12;
  payments.goodput_rps = 57.5;
  payments.orphaned = 20;
  payments.wasted_cpu_s = 2.5;
  payments.has_cfs = true;
  payments.throttled_s = 14.2;
  payments.cfs_periods = 2000;
  payments.cfs_throttled_periods = 420;
  payments.replicas = {2, 2, 2};
  r.services.push_back(payments);
  stats::ServiceResult bank;
  bank.name = "bank-api";
  bank.requests = 6300;
  bank.is_external = true;
  r.services.push_back(bank);

  stats::EdgeResult edge;
  edge.caller = "payments";
  edge.target = "bank-api.authorize";
  edge.calls = 6000;
  edge.attempts = 6300;
  edge.outcomes[Outcome::ok] = 5900;
  edge.outcomes[Outcome::timeout] = 400;
  edge.latency = sample_latency(3, 5900, 80);
  edge.breaker_opens = 2;
  edge.breaker_open_s = 11.5;
  r.edges.push_back(edge);

  r.caches.push_back({"cart-cache", 16000, 12800});
  r.queues.push_back({"orders", 5890, 5800, 3, 420, 7.5});

  r.slos.push_back(slo_result("checkout", "p99 < 800ms", 640.2, true));
  r.slos.push_back(slo_result("checkout", "errors < 1%", 0.0183, false));

  stats::AutoscalerResult hpa;
  hpa.name = "frontend";
  hpa.service = "frontend";
  hpa.metric = "cpu";
  hpa.scale_ups = 2;
  for (int t = 15; t <= 120; t += 15) {
    stats::ScaleSample s;
    s.t_s = t;
    s.has_metric = true;
    s.metric = t < 45 ? 50 : 95;
    s.recommended = t < 45 ? 3 : 6;
    s.desired = t < 45 ? 3 : 6;
    s.ready = t < 90 ? 3 : 6;
    s.starting = t >= 45 && t < 90 ? 3 : 0;
    hpa.history.push_back(s);
  }
  r.autoscalers.push_back(hpa);

  r.cluster.is_modelled = true;
  r.cluster.nodes_start = 3;
  r.cluster.nodes_max = 4;
  r.cluster.nodes_added = 1;
  r.cluster.pending_max = 2;
  r.cluster.pending_pod_s = 35;

  auto& ts = r.timeseries;
  const int per_s = intervals_per_second;
  ts.interval_s = 1.0 / per_s;
  ts.intervals = static_cast<std::size_t>(125 * per_s);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::mt19937_64 rng(9);
  const auto add = [&](std::string entity, std::string metric, auto value_at) {
    stats::Series s{std::move(entity), std::move(metric), {}};
    for (std::size_t i = 0; i < ts.intervals; ++i) {
      s.values.push_back(value_at(static_cast<double>(i) / per_s));
    }
    ts.series.push_back(std::move(s));
  };
  const auto noise = [&] { return sample_unit(rng) - 0.5; };
  const auto per_interval = [per_s](double per_second) { return per_second / per_s; };
  add("path/checkout", "arrivals", [&](double t) { return per_interval(t < 40 ? 50 : 60); });
  add("path/checkout", "completions",
      [&](double t) { return per_interval((t < 40 ? 50 : 60) + 6 * noise()); });
  add("path/checkout", "errors_timeout",
      [&](double t) { return per_interval(t >= 60 && t < 75 ? 5 + 2 * noise() : 0); });
  add("path/checkout", "errors_rejected",
      [&](double t) { return per_interval(t >= 62 && t < 70 ? 4 : 0); });
  add("path/checkout", "errors_error", [](double) { return 0.0; });
  add("path/checkout", "p50_ms", [&](double t) { return t > 123 ? nan : 120 + 10 * noise(); });
  add("path/checkout", "p99_ms",
      [&](double t) { return t > 123 ? nan : (t >= 60 && t < 75 ? 900 : 500) + 100 * noise(); });
  add("path/browse", "completions", [&](double) { return per_interval(100 + 8 * noise()); });
  add("path/browse", "errors_timeout", [](double) { return 0.0; });
  add("path/browse", "p50_ms", [&](double) { return 8 + noise(); });
  add("path/browse", "p99_ms", [&](double) { return 40 + 8 * noise(); });
  add("service/frontend", "utilization", [&](double t) { return t < 45 ? 0.5 : 0.9; });
  add("service/frontend", "queue_length", [&](double t) { return t < 45 ? 0 : 3 + noise(); });
  add("service/frontend", "replicas_ready", [](double t) { return t < 90 ? 3.0 : 6.0; });
  add("service/frontend", "replicas_starting",
      [](double t) { return t >= 45 && t < 90 ? 3.0 : 0.0; });
  add("service/payments", "utilization", [&](double) { return 0.9 + 0.1 * noise(); });
  add("service/payments", "replicas_ready", [](double) { return 2.0; });
  add("service/payments", "throttled_s",
      [&](double t) { return per_interval(t >= 60 ? 0.3 + 0.1 * noise() : 0); });
  add("cache/cart-cache", "hit_ratio",
      [&](double t) { return t < 3 ? nan : 0.8 * (1 - std::exp(-t / 15)); });
  add("queue/orders", "depth",
      [&](double t) { return t >= 60 && t < 80 ? 400 * (t - 60) / 20 : 0; });
  add("queue/orders", "lag_s",
      [&](double t) { return t >= 60 && t < 80 ? 7.5 * (t - 60) / 20 : 0; });
  add("autoscaler/frontend", "desired", [](double t) { return t < 45 ? 3.0 : 6.0; });
  add("breaker/payments->bank-api.authorize", "state", [](double t) {
    return t >= 64 && t < 70 ? 1.0 : t >= 70 && t < 71 ? 2.0 : 0.0;
  });
  add("breaker/frontend->cart.get", "state", [](double) { return 0.0; });
  ts.markers.push_back({40, "checkout: 60/s"});
  ts.markers.push_back({60, "kill bank-api (latency x10)"});
  ts.markers.push_back({75, "end: kill bank-api"});
  return r;
}

/// The inputs of a report on the sample results.
inline report::HtmlReportInputs sample_inputs() {
  report::HtmlReportInputs in;
  in.model_file = "examples/shop.yaml";
  in.command_line = "tailsim run examples/shop.yaml --set 'slos.checkout=[\"p99 < 800ms\"]'";
  in.model_text =
      "version: 1\nname: shop <demo> & co\n# <script>alert('x')</script>\n"
      "services:\n  frontend: {replicas: 3}\n";
  in.topology_svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"svg11.dtd\">\n"
      "<svg width=\"220pt\" height=\"60pt\" viewBox=\"0 0 220 60\">"
      "<g id=\"graph0\" class=\"graph\"><title>shop</title>"
      "<ellipse fill=\"none\" stroke=\"black\" cx=\"50\" cy=\"30\" rx=\"45\" ry=\"18\"/>"
      "<text text-anchor=\"middle\" x=\"50\" y=\"34\" font-size=\"12\">frontend</text>"
      "<path fill=\"none\" stroke=\"black\" d=\"M95 30L125 30\"/>"
      "<ellipse fill=\"none\" stroke=\"black\" cx=\"170\" cy=\"30\" rx=\"45\" ry=\"18\"/>"
      "<text text-anchor=\"middle\" x=\"170\" y=\"34\" font-size=\"12\">payments</text>"
      "</g></svg>\n";
  return in;
}

}  // namespace tailsim::testing
