#include "tailsim/components/hpa_controller.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

namespace tailsim::components {
namespace {

constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();

std::int32_t clamp_to_int32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp(v, int32_min, int32_max));
}

/// Go's `int32(math.Ceil(x))`, saturating where Go's conversion is undefined.
std::int32_t ceil_to_int32(double x) {
  if (std::isnan(x)) {
    return 0;
  }
  const double c = std::ceil(x);
  if (c >= static_cast<double>(int32_max)) {
    return static_cast<std::int32_t>(int32_max);
  }
  if (c <= static_cast<double>(int32_min)) {
    return static_cast<std::int32_t>(int32_min);
  }
  return static_cast<std::int32_t>(c);
}

/// Go's `int32(x)` for a float: truncation toward zero, saturating.
std::int32_t truncate_to_int32(double x) {
  if (std::isnan(x)) {
    return 0;
  }
  if (x >= static_cast<double>(int32_max)) {
    return static_cast<std::int32_t>(int32_max);
  }
  if (x <= static_cast<double>(int32_min)) {
    return static_cast<std::int32_t>(int32_min);
  }
  return static_cast<std::int32_t>(x);
}

/// A value as the controller reads a quantity with `MilliValue()`: rounded
/// up to a whole milli-unit. metrics-server reports cpu in nanocores, so the
/// value is first rounded to the nanounit, which also absorbs the binary
/// error of a decimal like 0.3 (300m, not 301m).
std::int64_t to_milli(double value) {
  constexpr double nano_limit = 9.0e9;  // |value| x 1e9 stays well inside int64
  if (std::isnan(value)) {
    return 0;
  }
  if (std::abs(value) >= nano_limit) {
    constexpr double int64_reach = 9.0e18;
    return static_cast<std::int64_t>(std::clamp(std::ceil(value * 1e3), -int64_reach, int64_reach));
  }
  const std::int64_t nanos = std::llround(value * 1e9);
  constexpr std::int64_t nano_per_milli = 1'000'000;
  std::int64_t milli = nanos / nano_per_milli;
  if (nanos % nano_per_milli > 0) {
    ++milli;
  }
  return milli;
}

double from_milli(std::int64_t milli) {
  return static_cast<double>(milli) / 1e3;
}

/// `groupPods`: how one pod's sample enters the computation.
enum class PodGroup : std::uint8_t { ready, unready, missing };

PodGroup group_pod(const HpaPod& pod, bool is_cpu, Time now, const HpaConfig& config) {
  if (pod.is_pending) {
    return PodGroup::unready;
  }
  if (!pod.usage) {
    return PodGroup::missing;
  }
  if (is_cpu) {
    bool is_unready = false;
    if (pod.started + config.cpu_initialization_period > now) {
      // Still initialising: a sample counts once the pod is ready and one
      // whole metric window has passed since the Ready transition.
      is_unready = !pod.is_ready || pod.sample_time < pod.ready_changed + pod.sample_window;
    } else {
      // Later: only a pod that is unready and never became ready is left out.
      is_unready =
          !pod.is_ready && pod.started + config.initial_readiness_delay > pod.ready_changed;
    }
    if (is_unready) {
      return PodGroup::unready;
    }
  }
  return PodGroup::ready;
}

/// One pod in `GetResourceUtilizationRatio` / `GetMetricUsageRatio`, in milli-units.
struct Sample {
  std::int64_t value;
  std::int64_t request;
};

struct UsageRatio {
  double ratio;
  std::int64_t current;  ///< utilization percent, or the mean value in milli-units
};

std::optional<UsageRatio> usage_ratio(bool is_utilization, const std::vector<Sample>& samples,
                                      std::int64_t target) {
  std::int64_t total = 0;
  std::int64_t requests = 0;
  for (const Sample& s : samples) {
    total += s.value;
    requests += s.request;
  }
  if (is_utilization) {
    if (requests == 0) {
      return std::nullopt;  // "no metrics returned matched known pods"
    }
    const std::int64_t percent = clamp_to_int32(total * 100 / requests);
    return UsageRatio{static_cast<double>(percent) / static_cast<double>(target), percent};
  }
  const std::int64_t mean = total / static_cast<std::int64_t>(samples.size());
  return UsageRatio{static_cast<double>(mean) / static_cast<double>(target), mean};
}

/// The number of replicas added (removed) by `events` within `period` of `now`.
template <class Events>
std::int64_t change_in_period(Time now, Duration period, const Events& events) {
  std::int64_t sum = 0;
  for (const auto& e : events) {
    if (e.at > now - period) {
      sum += e.change;
    }
  }
  return sum;
}

Duration longest_period(const HpaRules& rules) {
  Duration longest{0};
  for (const HpaPolicy& p : rules.policies) {
    longest = std::max(longest, p.period);
  }
  return longest;
}

HpaRules fill_defaults(const std::optional<HpaRules>& given, Duration stabilization,
                       std::vector<HpaPolicy> policies, double tolerance) {
  HpaRules rules = given.value_or(HpaRules{});
  if (!rules.stabilization) {
    rules.stabilization = stabilization;
  }
  if (rules.policies.empty()) {
    rules.policies = std::move(policies);
  }
  if (!rules.tolerance) {
    rules.tolerance = tolerance;
  }
  return rules;
}

}  // namespace

HpaController::HpaController(HpaConfig config) : config_(std::move(config)) {
  assert(config_.min_replicas >= 0 && "minReplicas is at least 0");
  assert(config_.max_replicas >= 1 && "maxReplicas is at least 1");
  assert(config_.max_replicas >= config_.min_replicas && "maxReplicas is at least minReplicas");
  assert(config_.tolerance >= 0 && "the tolerance is not negative");
  assert(config_.target > 0 && "the target is positive");

  if (config_.kind == HpaMetricKind::utilization) {
    target_percent_ = std::llround(config_.target * 100);
    assert(target_percent_ > 0 && "the utilization target is at least 1%");
  } else {
    target_milli_ = to_milli(config_.target);
    assert(target_milli_ > 0 && "the target is at least one milli-unit");
  }

  up_tolerance_ = config_.tolerance;
  down_tolerance_ = config_.tolerance;
  has_behavior_ = config_.scale_up.has_value() || config_.scale_down.has_value();
  if (has_behavior_) {
    // SetDefaults_HorizontalPodAutoscalerBehavior: each missing field takes
    // the direction's default; the scale-down window falls back to the flag.
    up_ = fill_defaults(config_.scale_up, Duration{0},
                        {HpaPolicy{/*is_percent=*/false, kubernetes::hpa_scale_up_pods,
                                   kubernetes::hpa_policy_period},
                         HpaPolicy{/*is_percent=*/true, 1.0, kubernetes::hpa_policy_period}},
                        config_.tolerance);
    down_ = fill_defaults(config_.scale_down, config_.downscale_stabilization,
                          {HpaPolicy{/*is_percent=*/true, 1.0, kubernetes::hpa_policy_period}},
                          config_.tolerance);
#ifndef NDEBUG
    for (const HpaRules* rules : {&up_, &down_}) {
      assert(*rules->stabilization >= Duration{0} && "a stabilization window is not negative");
      for (const HpaPolicy& p : rules->policies) {
        assert(p.value > 0 && p.period > Duration{0} && "a policy has a value and a period");
      }
    }
#endif
    up_tolerance_ = *up_.tolerance;
    down_tolerance_ = *down_.tolerance;
  }
}

HpaDecision HpaController::sync(Time now, std::int32_t current, std::span<const HpaPod> pods,
                                double external) {
  if (!has_recommendations_) {
    record_recommendation(current, now);  // recordInitialRecommendation
    has_recommendations_ = true;
  }

  HpaDecision decision;
  decision.raw_recommendation = current;
  std::int32_t desired = 0;
  bool rescale = true;
  if (current == 0 && config_.min_replicas != 0) {
    rescale = false;  // a scale at zero has autoscaling disabled
  } else if (current > config_.max_replicas) {
    desired = config_.max_replicas;
  } else if (current < config_.min_replicas) {
    desired = config_.min_replicas;
  } else {
    const std::optional<Proposal> proposal = propose(now, current, pods, external);
    if (!proposal) {
      decision.desired = current;
      return decision;
    }
    // The controller starts from 0 and keeps the largest metric's proposal.
    const std::int32_t raw = std::max(std::int32_t{0}, proposal->replicas);
    decision.raw_recommendation = raw;
    decision.has_metric = true;
    decision.metric = proposal->metric;
    desired = has_behavior_ ? normalize_with_behavior(now, current, raw)
                            : normalize_legacy(now, current, raw);
    rescale = desired != current;
  }

  if (rescale) {
    store_scale_event(now, current, desired);
    if (desired > current) {
      ++scale_ups_;
    } else {
      ++scale_downs_;
    }
  } else {
    desired = current;
  }
  decision.desired = desired;
  decision.changed = rescale;
  return decision;
}

bool HpaController::is_within_tolerance(double ratio) const {
  return 1.0 - down_tolerance_ <= ratio && ratio <= 1.0 + up_tolerance_;
}

std::optional<HpaController::Proposal> HpaController::propose(Time now, std::int32_t current,
                                                              std::span<const HpaPod> pods,
                                                              double external) const {
  switch (config_.kind) {
    case HpaMetricKind::utilization:
    case HpaMetricKind::pod_average:
      return propose_from_pods(now, current, pods);

    case HpaMetricKind::external_average: {
      // GetExternalPerPodMetricReplicas: the tolerance test and the proposal
      // kept within it use status.replicas, the pods that exist.
      const std::int64_t usage = to_milli(external);
      const auto status_replicas = static_cast<std::int32_t>(pods.size());
      const double target = static_cast<double>(target_milli_);
      Proposal p{status_replicas, from_milli(usage)};
      const bool is_within = status_replicas != 0 &&
                             is_within_tolerance(static_cast<double>(usage) /
                                                 (target * static_cast<double>(status_replicas)));
      if (!is_within) {
        p.replicas = ceil_to_int32(static_cast<double>(usage) / target);
      }
      if (status_replicas != 0) {
        p.metric = from_milli(static_cast<std::int64_t>(
            std::ceil(static_cast<double>(usage) / static_cast<double>(status_replicas))));
      }
      return p;
    }

    case HpaMetricKind::external_value: {
      // GetExternalMetricReplicas / getUsageRatioReplicaCount.
      const std::int64_t usage = to_milli(external);
      const double ratio = static_cast<double>(usage) / static_cast<double>(target_milli_);
      const double metric = from_milli(usage);
      if (current == 0) {
        return Proposal{ceil_to_int32(ratio), metric};
      }
      if (is_within_tolerance(ratio)) {
        return Proposal{current, metric};
      }
      if (pods.empty()) {
        return std::nullopt;  // "no pods returned by selector"
      }
      const auto ready = std::count_if(pods.begin(), pods.end(), [](const HpaPod& pod) {
        return !pod.is_pending && pod.is_ready;
      });
      return Proposal{ceil_to_int32(ratio * static_cast<double>(ready)), metric};
    }
  }
  return std::nullopt;
}

std::optional<HpaController::Proposal> HpaController::propose_from_pods(
    Time now, std::int32_t current, std::span<const HpaPod> pods) const {
  // GetResourceReplicas (utilization) and calcPlainMetricReplicas (pods).
  if (pods.empty()) {
    return std::nullopt;  // "no pods returned by selector"
  }
  const bool is_utilization = config_.kind == HpaMetricKind::utilization;
  const std::int64_t target = is_utilization ? target_percent_ : target_milli_;

  std::vector<Sample> samples;
  std::vector<std::int64_t> unready_requests;
  std::vector<std::int64_t> missing_requests;
  samples.reserve(pods.size());
  for (const HpaPod& pod : pods) {
    const std::int64_t request = is_utilization ? to_milli(pod.request) : 0;
    switch (group_pod(pod, is_utilization, now, config_)) {
      case PodGroup::ready:
        samples.push_back({to_milli(*pod.usage), request});
        break;
      case PodGroup::unready:
        unready_requests.push_back(request);
        break;
      case PodGroup::missing:
        missing_requests.push_back(request);
        break;
    }
  }
  if (samples.empty()) {
    return std::nullopt;  // "did not receive metrics for targeted pods"
  }
  const std::optional<UsageRatio> first = usage_ratio(is_utilization, samples, target);
  if (!first) {
    return std::nullopt;
  }
  const double ratio = first->ratio;
  const double metric =
      is_utilization ? static_cast<double>(first->current) : from_milli(first->current);
  const auto ready_count = static_cast<double>(samples.size());

  const bool is_scale_up_with_unready = !unready_requests.empty() && ratio > 1.0;
  if (!is_scale_up_with_unready && missing_requests.empty()) {
    if (is_within_tolerance(ratio)) {
      return Proposal{current, metric};
    }
    return Proposal{ceil_to_int32(ratio * ready_count), metric};
  }

  // The conservative re-computation: pods without a sample use the target
  // (cpu: all of their request, or the target when it is above 100%) on a
  // scale-down and nothing on a scale-up; pods not ready nothing on a scale-up.
  if (ratio < 1.0) {
    for (const std::int64_t request : missing_requests) {
      const std::int64_t value = is_utilization
                                     ? request * std::max<std::int64_t>(100, target_percent_) / 100
                                     : target_milli_;
      samples.push_back({value, request});
    }
  } else if (ratio > 1.0) {
    for (const std::int64_t request : missing_requests) {
      samples.push_back({0, request});
    }
  }
  if (is_scale_up_with_unready) {
    for (const std::int64_t request : unready_requests) {
      samples.push_back({0, request});
    }
  }
  const std::optional<UsageRatio> second = usage_ratio(is_utilization, samples, target);
  if (!second) {
    return std::nullopt;
  }
  const double new_ratio = second->ratio;
  if (is_within_tolerance(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    return Proposal{current, metric};  // too small a change, or the direction flips
  }
  const std::int32_t replicas = ceil_to_int32(new_ratio * static_cast<double>(samples.size()));
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current)) {
    return Proposal{current, metric};  // counting the extra pods reverses the direction
  }
  return Proposal{replicas, metric};
}

std::int32_t HpaController::normalize_legacy(Time now, std::int32_t current, std::int32_t raw) {
  // stabilizeRecommendation: the highest recommendation not older than the
  // window (a recommendation exactly at its start still counts).
  highest_.forget_before(now - config_.downscale_stabilization, /*inclusive=*/true);
  const std::int32_t stabilized = std::max(raw, highest_.extreme_or(raw));
  record_recommendation(raw, now);

  // convertDesiredReplicasWithRules: scaleUpLimitFactor 2, scaleUpLimitMinimum 4.
  const auto up_limit = truncate_to_int32(std::max(2.0 * current, 4.0));
  const std::int32_t highest = std::min(config_.max_replicas, up_limit);
  if (stabilized < config_.min_replicas) {
    return config_.min_replicas;
  }
  return std::min(stabilized, highest);
}

std::int32_t HpaController::normalize_with_behavior(Time now, std::int32_t current,
                                                    std::int32_t raw) {
  // stabilizeRecommendationWithBehaviors: the lowest recommendation of the
  // scale-up window and the highest of the scale-down window bound the move
  // away from the current count (a recommendation exactly at a window's start
  // is outside it).
  lowest_.forget_before(now - *up_.stabilization, /*inclusive=*/false);
  highest_.forget_before(now - *down_.stabilization, /*inclusive=*/false);
  const std::int32_t up_recommendation = std::min(raw, lowest_.extreme_or(raw));
  const std::int32_t down_recommendation = std::max(raw, highest_.extreme_or(raw));
  std::int32_t stabilized = current;
  if (stabilized < up_recommendation) {
    stabilized = up_recommendation;
  }
  if (stabilized > down_recommendation) {
    stabilized = down_recommendation;
  }
  record_recommendation(raw, now);

  // convertDesiredReplicasWithBehaviorRate.
  if (stabilized > current) {
    const std::int32_t highest = std::min(config_.max_replicas, scale_up_limit(now, current));
    return std::min(stabilized, highest);
  }
  if (stabilized < current) {
    const std::int32_t lowest = std::max(config_.min_replicas, scale_down_limit(now, current));
    return std::max(stabilized, lowest);
  }
  return stabilized;
}

std::int32_t HpaController::scale_up_limit(Time now, std::int32_t current) const {
  // calculateScaleUpLimitWithScalingRules, floored at the current count.
  if (up_.select == HpaSelect::disabled) {
    return current;
  }
  const bool is_min = up_.select == HpaSelect::min;
  std::int64_t limit = is_min ? int32_max : int32_min;
  for (const HpaPolicy& p : up_.policies) {
    const std::int64_t period_start = current - change_in_period(now, p.period, scale_up_events_) +
                                      change_in_period(now, p.period, scale_down_events_);
    const std::int64_t proposed =
        p.is_percent ? ceil_to_int32(static_cast<double>(period_start) * (1 + p.value))
                     : period_start + std::llround(p.value);
    limit = is_min ? std::min(limit, proposed) : std::max(limit, proposed);
  }
  return std::max(current, clamp_to_int32(limit));
}

std::int32_t HpaController::scale_down_limit(Time now, std::int32_t current) const {
  // calculateScaleDownLimitWithBehaviors, capped at the current count.
  if (down_.select == HpaSelect::disabled) {
    return current;
  }
  const bool is_min = down_.select == HpaSelect::min;
  std::int64_t limit = is_min ? int32_min : int32_max;
  for (const HpaPolicy& p : down_.policies) {
    const std::int64_t period_start = current - change_in_period(now, p.period, scale_up_events_) +
                                      change_in_period(now, p.period, scale_down_events_);
    const std::int64_t proposed =
        p.is_percent ? truncate_to_int32(static_cast<double>(period_start) * (1 - p.value))
                     : period_start - std::llround(p.value);
    // The smallest change is the highest count left, the largest the lowest.
    limit = is_min ? std::max(limit, proposed) : std::min(limit, proposed);
  }
  return std::min(current, clamp_to_int32(limit));
}

void HpaController::store_scale_event(Time now, std::int32_t previous, std::int32_t next) {
  if (!has_behavior_) {
    return;  // the legacy path has no rate policies to feed
  }
  // storeScaleEvent: events older than the direction's longest policy period
  // are outdated, and the last of them gives its slot to the new event.
  const bool is_up = next > previous;
  std::vector<ScaleEvent>& events = is_up ? scale_up_events_ : scale_down_events_;
  const Time cutoff = now - longest_period(is_up ? up_ : down_);
  std::optional<std::size_t> old_slot;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].at < cutoff) {
      events[i].is_outdated = true;
    }
    if (events[i].is_outdated) {
      old_slot = i;
    }
  }
  const ScaleEvent event{is_up ? next - previous : previous - next, now, false};
  if (old_slot) {
    events[*old_slot] = event;
  } else {
    events.push_back(event);
  }
}

}  // namespace tailsim::components
