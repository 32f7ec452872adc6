#pragma once
/// A count-based circuit breaker, as resilience4j's: the last `window`
/// outcomes of calls from one service to one endpoint; once at least
/// `min_calls` are in the window and the failure share reaches
/// `failure_rate`, the breaker opens and calls fail at once. After
/// `open_for` it lets `half_open` trial calls through: all succeed, it
/// closes; any fails, it opens again.

#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/plan/plan.hpp"

namespace tailsim::components {

class CircuitBreaker {
 public:
  enum class State : std::uint8_t { closed, open, half_open };

  explicit CircuitBreaker(const plan::BreakerSpec& spec);

  /// May a call go through now? Moves an open breaker to half-open once
  /// `open_for` has passed, and counts half-open trial calls.
  bool allow(Time now);
  /// The outcome of a call that went through.
  void record(Time now, bool failed);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] std::uint64_t opens() const { return opens_; }
  /// Time spent open up to `now`.
  [[nodiscard]] Duration time_open(Time now) const;

 private:
  void open(Time now);
  void close();

  plan::BreakerSpec spec_;
  State state_ = State::closed;
  std::vector<std::uint8_t> ring_;  ///< 1 for a failure, in a ring of `window` outcomes
  std::size_t next_ = 0;
  std::uint32_t filled_ = 0;
  std::uint32_t failures_ = 0;
  Time opened_at_{};
  Duration open_total_{0};
  std::uint32_t trials_started_ = 0;
  std::uint32_t trials_succeeded_ = 0;
  std::uint64_t opens_ = 0;
};

}  // namespace tailsim::components
