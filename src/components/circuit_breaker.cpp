#include "tailsim/components/circuit_breaker.hpp"

namespace tailsim::components {

CircuitBreaker::CircuitBreaker(const plan::BreakerSpec& spec)
    : spec_(spec), ring_(spec.window, 0) {}

bool CircuitBreaker::allow(Time now) {
  switch (state_) {
    case State::closed:
      return true;
    case State::open:
      if (now < opened_at_ + spec_.open_for) {
        return false;
      }
      open_total_ += now - opened_at_;
      state_ = State::half_open;
      trials_started_ = 0;
      trials_succeeded_ = 0;
      [[fallthrough]];
    case State::half_open:
      if (trials_started_ >= spec_.half_open) {
        return false;
      }
      ++trials_started_;
      return true;
  }
  return false;
}

void CircuitBreaker::record(Time now, bool failed) {
  switch (state_) {
    case State::open:
      return;  // a late answer to a call let through before opening
    case State::half_open:
      if (failed) {
        open(now);
      } else if (++trials_succeeded_ >= spec_.half_open) {
        close();
      }
      return;
    case State::closed:
      break;
  }
  if (filled_ == spec_.window) {
    failures_ -= ring_[next_];
  } else {
    ++filled_;
  }
  ring_[next_] = failed ? 1 : 0;
  failures_ += ring_[next_];
  next_ = (next_ + 1) % ring_.size();
  if (filled_ >= spec_.min_calls &&
      static_cast<double>(failures_) >= spec_.failure_rate * static_cast<double>(filled_)) {
    open(now);
  }
}

void CircuitBreaker::open(Time now) {
  state_ = State::open;
  opened_at_ = now;
  ++opens_;
}

void CircuitBreaker::close() {
  state_ = State::closed;
  std::fill(ring_.begin(), ring_.end(), 0);
  next_ = 0;
  filled_ = 0;
  failures_ = 0;
}

Duration CircuitBreaker::time_open(Time now) const {
  return open_total_ + (state_ == State::open ? now - opened_at_ : Duration{0});
}

}  // namespace tailsim::components
