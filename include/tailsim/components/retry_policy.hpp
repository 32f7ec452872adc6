#pragma once
/// The pieces of a retry decision: how long to back off, and whether the
/// caller's retry budget (Envoy) and retry throttle (gRPC) allow one more.

#include <cstdint>

#include "tailsim/core/time.hpp"
#include "tailsim/engine/random_stream.hpp"
#include "tailsim/plan/plan.hpp"

namespace tailsim::components {

/// The wait before retry number `retry` (1 for the first retry):
/// `b = min(max_backoff, backoff x multiplier^(retry-1))`, then jittered:
/// none b; full U(0, b); equal b/2 + U(0, b/2); decorrelated
/// min(max_backoff, U(backoff, 3 x previous)) as in AWS's "Exponential Backoff
/// And Jitter". `previous_ns` carries the last wait between calls.
Duration backoff_delay(const plan::CallPolicy& policy, std::uint32_t retry, double& previous_ns,
                       engine::RandomStream& rng);

/// Retry state shared by the calls of one caller to one endpoint.
struct RetryLimits {
  std::uint32_t active = 0;             ///< attempts in flight
  std::uint32_t retries_in_flight = 0;  ///< of which retries
  double tokens = -1;                   ///< throttle tokens; negative: not used yet

  /// Envoy's retry budget: a retry may start while the retries in flight
  /// stay under max(min_concurrency, budget x active attempts).
  [[nodiscard]] bool budget_allows(const plan::CallPolicy& policy) const;
  /// gRPC's retry throttling: a retry only while tokens > max_tokens / 2.
  bool throttle_allows(const plan::CallPolicy& policy);
  /// An attempt's outcome feeds the throttle: a failure costs a token, a
  /// success earns `token_ratio` of one.
  void throttle_record(const plan::CallPolicy& policy, bool failed);
};

}  // namespace tailsim::components
