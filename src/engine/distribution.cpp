#include "tailsim/engine/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailsim::engine {
namespace {

double ns(Duration d) {
  return static_cast<double>(d.count());
}

/// At most this many redraws for a normal truncated at zero; then zero.
constexpr int max_redraws = 64;

}  // namespace

Distribution Distribution::constant(Duration value) {
  Distribution d;
  d.kind_ = DistributionKind::constant;
  d.a_ = ns(value);
  return d;
}
Distribution Distribution::exponential(Duration mean) {
  Distribution d;
  d.kind_ = DistributionKind::exponential;
  d.a_ = ns(mean);
  return d;
}
Distribution Distribution::uniform(Duration low, Duration high) {
  Distribution d;
  d.kind_ = DistributionKind::uniform;
  d.a_ = ns(low);
  d.b_ = ns(high);
  return d;
}
Distribution Distribution::normal(Duration mean, Duration sd) {
  Distribution d;
  d.kind_ = DistributionKind::normal;
  d.a_ = ns(mean);
  d.b_ = ns(sd);
  return d;
}
Distribution Distribution::lognormal(double mu, double sigma) {
  Distribution d;
  d.kind_ = DistributionKind::lognormal;
  d.a_ = mu;
  d.b_ = sigma;
  return d;
}
Distribution Distribution::gamma(double shape, Duration mean) {
  Distribution d;
  d.kind_ = DistributionKind::gamma;
  d.a_ = shape;
  d.b_ = ns(mean) / shape;
  return d;
}
Distribution Distribution::erlang(int k, Duration mean) {
  Distribution d;
  d.kind_ = DistributionKind::erlang;
  d.a_ = k;
  d.b_ = ns(mean) / k;
  return d;
}
Distribution Distribution::pareto(Duration min, double alpha) {
  Distribution d;
  d.kind_ = DistributionKind::pareto;
  d.a_ = ns(min);
  d.b_ = alpha;
  return d;
}
Distribution Distribution::weibull(Duration scale, double shape) {
  Distribution d;
  d.kind_ = DistributionKind::weibull;
  d.a_ = ns(scale);
  d.b_ = shape;
  return d;
}
Distribution Distribution::mixture(const std::vector<double>& weights,
                                   std::vector<Distribution> parts) {
  Distribution d;
  d.kind_ = DistributionKind::mixture;
  double total = 0;
  for (double w : weights) {
    total += w;
  }
  double running = 0;
  for (double w : weights) {
    running += w / total;
    d.cumulative_.push_back(running);
  }
  if (!d.cumulative_.empty()) {
    d.cumulative_.back() = 1.0;
  }
  d.parts_ = std::move(parts);
  return d;
}
Distribution Distribution::empirical(const std::vector<Duration>& samples) {
  Distribution d;
  d.kind_ = DistributionKind::empirical;
  for (Duration s : samples) {
    d.samples_.push_back(s.count());
  }
  std::sort(d.samples_.begin(), d.samples_.end());
  return d;
}

double Distribution::draw(RandomStream& rng) const {
  switch (kind_) {
    case DistributionKind::constant:
      return a_;
    case DistributionKind::exponential:
      return rng.exponential(a_);
    case DistributionKind::uniform:
      return a_ + (b_ - a_) * rng.uniform();
    case DistributionKind::normal:
      for (int i = 0; i < max_redraws; ++i) {
        const double x = a_ + b_ * rng.normal();
        if (x >= 0) {
          return x;
        }
      }
      return 0;
    case DistributionKind::lognormal:
      return std::exp(a_ + b_ * rng.normal());
    case DistributionKind::gamma:
      return b_ * rng.gamma(a_);
    case DistributionKind::erlang: {
      double sum = 0;  // the sum of k exponentials of mean b
      for (int i = 0; i < static_cast<int>(a_); ++i) {
        sum -= std::log(rng.uniform_open());
      }
      return b_ * sum;
    }
    case DistributionKind::pareto:
      return a_ / std::pow(rng.uniform_open(), 1.0 / b_);
    case DistributionKind::weibull:
      return a_ * std::pow(-std::log(rng.uniform_open()), 1.0 / b_);
    case DistributionKind::mixture: {
      const double u = rng.uniform();
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      const auto index = static_cast<std::size_t>(std::min<std::ptrdiff_t>(
          it - cumulative_.begin(), static_cast<std::ptrdiff_t>(parts_.size()) - 1));
      return parts_[index].draw(rng);
    }
    case DistributionKind::empirical:
      return samples_.empty() ? 0.0
                              : static_cast<double>(samples_[rng.uniform_int(samples_.size())]);
  }
  return 0;
}

Duration Distribution::sample_other(RandomStream& rng) const {
  const double x = draw(rng);
  return round_ns(x > 0 ? x : 0.0);  // NaN, -inf and anything below zero: 0
}

double Distribution::mean_ns() const {
  switch (kind_) {
    case DistributionKind::constant:
      return a_;
    case DistributionKind::exponential:
      return a_;
    case DistributionKind::uniform:
      return (a_ + b_) / 2;
    case DistributionKind::normal: {
      if (b_ <= 0) {
        return std::max(0.0, a_);
      }
      // The mean of a normal truncated at zero.
      const double alpha = -a_ / b_;
      const double pdf = std::exp(-0.5 * alpha * alpha) / std::sqrt(2 * M_PI);
      const double tail = 0.5 * std::erfc(alpha / std::sqrt(2.0));
      return a_ + b_ * pdf / tail;
    }
    case DistributionKind::lognormal:
      return std::exp(a_ + b_ * b_ / 2);
    case DistributionKind::gamma:
      return a_ * b_;
    case DistributionKind::erlang:
      return a_ * b_;
    case DistributionKind::pareto:
      return b_ > 1 ? a_ * b_ / (b_ - 1) : std::numeric_limits<double>::infinity();
    case DistributionKind::weibull:
      return a_ * std::tgamma(1.0 + 1.0 / b_);
    case DistributionKind::mixture: {
      double mean = 0;
      double previous = 0;
      for (std::size_t i = 0; i < parts_.size(); ++i) {
        mean += (cumulative_[i] - previous) * parts_[i].mean_ns();
        previous = cumulative_[i];
      }
      return mean;
    }
    case DistributionKind::empirical: {
      double sum = 0;
      for (auto s : samples_) {
        sum += static_cast<double>(s);
      }
      return samples_.empty() ? 0 : sum / static_cast<double>(samples_.size());
    }
  }
  return 0;
}

}  // namespace tailsim::engine
