#include "tailsim/components/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace tailsim::components {

Duration backoff_delay(const plan::CallPolicy& policy, std::uint32_t retry, double& previous_ns,
                       engine::RandomStream& rng) {
  const double base = static_cast<double>(policy.backoff.count());
  const double cap = static_cast<double>(policy.max_backoff.count());
  const double b = std::min(cap, base * std::pow(policy.multiplier, retry - 1.0));
  double wait = b;
  switch (policy.jitter) {
    case plan::Jitter::none:
      wait = b;
      break;
    case plan::Jitter::full:
      wait = rng.uniform() * b;
      break;
    case plan::Jitter::equal:
      wait = b / 2 + rng.uniform() * (b / 2);
      break;
    case plan::Jitter::decorrelated: {
      const double previous = previous_ns > 0 ? previous_ns : base;
      const double high = std::max(base, 3 * previous);
      wait = std::min(cap, base + rng.uniform() * (high - base));
      break;
    }
  }
  previous_ns = wait;
  return Duration{static_cast<std::int64_t>(wait + 0.5)};
}

bool RetryLimits::budget_allows(const plan::CallPolicy& policy) const {
  if (policy.budget < 0) {
    return true;
  }
  const double allowed = std::max(static_cast<double>(policy.min_concurrency),
                                  policy.budget * static_cast<double>(active));
  return static_cast<double>(retries_in_flight) < allowed;
}

bool RetryLimits::throttle_allows(const plan::CallPolicy& policy) {
  if (policy.throttle_max_tokens <= 0) {
    return true;
  }
  if (tokens < 0) {
    tokens = policy.throttle_max_tokens;
  }
  return tokens > policy.throttle_max_tokens / 2;
}

void RetryLimits::throttle_record(const plan::CallPolicy& policy, bool failed) {
  if (policy.throttle_max_tokens <= 0) {
    return;
  }
  if (tokens < 0) {
    tokens = policy.throttle_max_tokens;
  }
  tokens = failed ? std::max(0.0, tokens - 1.0)
                  : std::min(policy.throttle_max_tokens, tokens + policy.throttle_ratio);
}

}  // namespace tailsim::components
