#pragma once
// A run's results made by hand for the writers of SLO checks (console,
// JUnit, Markdown): one path that meets one check and misses another, and
// one, named with XML and Markdown markup, that had no successful request.

#include <cstdint>

#include "tailsim/stats/results.hpp"

namespace tailsim::testing {

inline constexpr std::int64_t one_ms = 1'000'000;

inline stats::Results slo_results() {
  stats::Results r;
  r.model = "shop";
  r.seed = 7;
  r.duration_s = 600;
  r.warmup_s = 60;

  stats::PathResult checkout;
  checkout.name = "checkout";
  checkout.requests = 1000;
  checkout.outcomes[stats::Outcome::ok] = 998;
  checkout.outcomes[stats::Outcome::timeout] = 2;
  checkout.throughput_rps = 1.66;
  checkout.latency.record(100 * one_ms, 900);
  checkout.latency.record(512 * one_ms, 98);
  r.paths.push_back(checkout);

  stats::PathResult search;
  search.name = "search & <browse>";
  search.requests = 5;
  search.outcomes[stats::Outcome::error] = 5;
  r.paths.push_back(search);

  r.slos = {{"checkout", "p99 < 400ms", 512.3, false},
            {"checkout", "errors < 1%", 0.002, true},
            {"search & <browse>", "p(99)<1s", 0, false}};

  const auto service = [&](const char* name, double utilization, bool is_external) {
    stats::ServiceResult s;
    s.name = name;
    s.utilization = utilization;
    s.is_external = is_external;
    s.replicas = {2, 2, 2};
    r.services.push_back(s);
  };
  service("cart", 0.2, /*is_external=*/false);
  service("frontend", 0.61, /*is_external=*/false);
  service("bank-api", 0, /*is_external=*/true);
  return r;
}

}  // namespace tailsim::testing
