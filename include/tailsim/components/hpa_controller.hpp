#pragma once
/// One Kubernetes HorizontalPodAutoscaler (autoscaling/v2) deciding a replica
/// count, as kube-controller-manager's podautoscaler does it
/// (kubernetes/kubernetes `pkg/controller/podautoscaler/replica_calculator.go`
/// and `horizontal.go`, defaults from `pkg/apis/autoscaling/v2/defaults.go`).
/// It is pure: the simulation calls `sync` once per sync period (15 s)
/// with what the controller would read from the API server, and writes the
/// returned count to the scale's `spec.replicas`.
///
/// One sync, in Kubernetes' order:
///  1. The first sync records the current count as a recommendation (so the
///     scale-down stabilization window also covers a controller start).
///  2. A current count of 0 with minReplicas > 0 means autoscaling is off: no
///     change. A current count outside [min, max] is moved to the nearest
///     bound without reading the metric.
///  3. The metric gives a raw recommendation. Metric values are taken
///     as Kubernetes quantities read with `MilliValue()`: rounded to the
///     nanounit, then up to a whole milli-unit; averages and percentages are
///     integer divisions of those. When no value can be computed (no pod, no
///     sample of a counted pod, no request), the sync changes nothing and
///     records nothing, as the controller returns an error.
///  4. Without `behavior` (both rule sets absent) the legacy normalisation:
///     the highest recommendation of the last `downscale_stabilization`
///     (inclusive of its start), at most max(2 x current, 4), within
///     [min, max]. With `behavior`: the stabilization windows (exclusive of
///     their start), then the rate policies over the scale events of their
///     periods, within [min, max].
///  5. A changed count is a scale event, remembered for the rate policies.

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "tailsim/components/kubernetes_defaults.hpp"
#include "tailsim/core/time.hpp"

namespace tailsim::components {

/// The highest (or, with `Lowest`, the lowest) of the recommendations a
/// controller recorded within a window that slides forward: what the HPA's
/// stabilization reads. Kubernetes keeps every recommendation in a list it
/// scans at each sync (reusing one slot older than the window per sync), so
/// a sync costs as many steps as there are syncs in the window: 300,000 for
/// a 1 ms sync period and a 5-minute window. Only recommendations in the
/// window count, whichever slots the list reused, so the extreme is that of
/// every recommendation recorded since the window's start: a monotone queue
/// (a later recommendation at least as extreme makes the earlier ones
/// irrelevant) gives it in O(1) amortized per sync, the same number.
template <bool Lowest>
class StabilizationWindow {
 public:
  /// Records `replicas`, recommended at `at` (never before the last one).
  void record(std::int32_t replicas, Time at) {
    while (!kept_.empty() && !beats(kept_.back().replicas, replicas)) {
      kept_.pop_back();
    }
    kept_.push_back({replicas, at});
  }
  /// Forgets the recommendations made before `start` (at or before it when
  /// `inclusive` is false); `start` never goes back between calls.
  void forget_before(Time start, bool inclusive) {
    while (!kept_.empty() &&
           (kept_.front().at < start || (!inclusive && kept_.front().at == start))) {
      kept_.pop_front();
    }
  }
  /// The extreme of the recommendations kept, or `otherwise` when none is.
  [[nodiscard]] std::int32_t extreme_or(std::int32_t otherwise) const {
    return kept_.empty() ? otherwise : kept_.front().replicas;
  }
  [[nodiscard]] std::size_t size() const { return kept_.size(); }

 private:
  struct Recommendation {
    std::int32_t replicas = 0;
    Time at{};
  };
  /// Does `a`, recorded earlier, stay ahead of `b`: strictly more extreme?
  static bool beats(std::int32_t a, std::int32_t b) { return Lowest ? a < b : a > b; }
  /// Recorded in order; strictly less extreme from front to back.
  std::deque<Recommendation> kept_;
};

/// The metric an HPA scales on and how its target reads.
enum class HpaMetricKind : std::uint8_t {
  /// Resource metric (cpu), Utilization target: the integer percent
  /// 100 x sum(usage) / sum(request) of the counted pods against the target.
  utilization,
  /// Pods metric, AverageValue target (concurrency, rps per pod): the mean of
  /// the pods' values against the target.
  pod_average,
  /// External metric, AverageValue target (KEDA's queue lag): the total over
  /// the target per replica, ceil(total / target) replicas.
  external_average,
  /// External metric, Value target (the age of the oldest message): the
  /// total against the target, times the ready pods.
  external_value,
};

/// How the policies of one direction combine: `max` allows the largest
/// change, `min` the smallest, `disabled` forbids that direction.
enum class HpaSelect : std::uint8_t { max, min, disabled };

/// One rate policy of `behavior`: over any `period`, add (remove) at most
/// `value` pods, or `value` x the replicas at the start of the period.
struct HpaPolicy {
  bool is_percent = false;
  /// Pods, or for a percent policy a fraction (1.0 = Kubernetes' 100).
  double value = 0;
  /// Kubernetes requires one; 15 s is what its default policies use.
  Duration period = kubernetes::hpa_policy_period;
};

/// `behavior.scaleUp` or `behavior.scaleDown`. Fields left empty take
/// Kubernetes' defaults for the direction.
struct HpaRules {
  /// None: 0 for scale-up, `HpaConfig::downscale_stabilization` for scale-down.
  std::optional<Duration> stabilization;
  /// Empty: scale-up {4 pods, 100%} per 15 s; scale-down {100%} per 15 s.
  std::vector<HpaPolicy> policies;
  HpaSelect select = HpaSelect::max;
  /// This direction's tolerance (Kubernetes' `HPAConfigurableTolerance`,
  /// beta); none: `HpaConfig::tolerance`.
  std::optional<double> tolerance;
};

/// One HPA's spec and the controller flags that apply to it.
struct HpaConfig {
  HpaMetricKind kind = HpaMetricKind::utilization;
  /// Utilization: a fraction of the request (0.6 = 60%), held as Kubernetes'
  /// integer percent; otherwise the metric's target value.
  double target = 0.8;
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 1;
  /// `--horizontal-pod-autoscaler-tolerance`: no change while the ratio is
  /// within [1 - tolerance, 1 + tolerance].
  double tolerance = kubernetes::hpa_tolerance;
  Duration cpu_initialization_period = kubernetes::hpa_cpu_initialization_period;
  Duration initial_readiness_delay = kubernetes::hpa_initial_readiness_delay;
  Duration downscale_stabilization = kubernetes::hpa_downscale_stabilization;
  /// `behavior`: both absent takes the legacy path; one given makes the
  /// other take Kubernetes' defaults.
  std::optional<HpaRules> scale_up;
  std::optional<HpaRules> scale_down;
};

/// What one pod matched by the scale's selector looks like at a sync.
struct HpaPod {
  /// Not scheduled or not started: counted as using nothing when scaling up.
  bool is_pending = false;
  bool is_ready = false;
  Time started{};
  /// The last transition of the Ready condition.
  Time ready_changed{};
  /// The metric sample: cpu cores used (utilization) or the pod's value
  /// (pod_average); none when the metrics pipeline has no sample yet.
  std::optional<double> usage;
  /// When the sample was taken and the window it averages (cpu only).
  Time sample_time{};
  Duration sample_window{};
  /// Cpu cores requested (utilization only).
  double request = 0;
};

/// The outcome of one sync.
struct HpaDecision {
  /// The replica count to write (the current one when nothing changes).
  std::int32_t desired = 0;
  /// The metric's recommendation before stabilization, rate limits and
  /// bounds (the current count when the metric was not read).
  std::int32_t raw_recommendation = 0;
  bool changed = false;
  /// Whether the metric was read and a recommendation computed.
  bool has_metric = false;
  /// The metric as the HPA's status reports it: the integer utilization
  /// percent, the pods' mean value, the external total per replica, or the
  /// external total.
  double metric = 0;
};

class HpaController {
 public:
  explicit HpaController(HpaConfig config);

  /// One sync at `now`. `current` is the scale's `spec.replicas` (pods not
  /// ready yet included); `pods` the pods its selector matches, pending ones
  /// included: for external_average their number is `status.replicas`, which
  /// Kubernetes uses in the tolerance test, and for external_value the ready
  /// ones multiply the ratio. `external` is the external metric's value.
  /// Calls must not go back in time.
  HpaDecision sync(Time now, std::int32_t current, std::span<const HpaPod> pods,
                   double external = 0);

  [[nodiscard]] const HpaConfig& config() const { return config_; }
  /// Whether `behavior` is set (rate policies) or the legacy path applies.
  [[nodiscard]] bool has_behavior() const { return has_behavior_; }
  [[nodiscard]] std::uint64_t scale_ups() const { return scale_ups_; }
  [[nodiscard]] std::uint64_t scale_downs() const { return scale_downs_; }

 private:
  /// Replicas added (scale-up list) or removed (scale-down list) at `at`.
  struct ScaleEvent {
    std::int32_t change = 0;
    Time at{};
    bool is_outdated = false;  ///< older than the longest policy period: its slot is free
  };
  /// One metric's recommendation and the value to report.
  struct Proposal {
    std::int32_t replicas = 0;
    double metric = 0;
  };

  [[nodiscard]] std::optional<Proposal> propose(Time now, std::int32_t current,
                                                std::span<const HpaPod> pods,
                                                double external) const;
  [[nodiscard]] std::optional<Proposal> propose_from_pods(Time now, std::int32_t current,
                                                          std::span<const HpaPod> pods) const;
  [[nodiscard]] bool is_within_tolerance(double ratio) const;

  std::int32_t normalize_legacy(Time now, std::int32_t current, std::int32_t raw);
  std::int32_t normalize_with_behavior(Time now, std::int32_t current, std::int32_t raw);
  [[nodiscard]] std::int32_t scale_up_limit(Time now, std::int32_t current) const;
  [[nodiscard]] std::int32_t scale_down_limit(Time now, std::int32_t current) const;
  void store_scale_event(Time now, std::int32_t previous, std::int32_t next);
  /// Adds a recommendation to the windows the normalisation reads.
  void record_recommendation(std::int32_t replicas, Time now) {
    highest_.record(replicas, now);
    if (has_behavior_) {
      lowest_.record(replicas, now);
    }
  }

  HpaConfig config_;
  bool has_behavior_ = false;
  HpaRules up_;    ///< with every default filled in, when `has_behavior_`
  HpaRules down_;  ///< with every default filled in, when `has_behavior_`
  double up_tolerance_ = 0;
  double down_tolerance_ = 0;
  std::int64_t target_percent_ = 0;  ///< utilization target as Kubernetes' int32 percent
  std::int64_t target_milli_ = 0;    ///< other targets as milli-units

  bool has_recommendations_ = false;
  /// The highest recommendation of the legacy window, or of the scale-down
  /// stabilization window; the lowest of the scale-up window (with
  /// `behavior` only).
  StabilizationWindow<false> highest_;
  StabilizationWindow<true> lowest_;
  std::vector<ScaleEvent> scale_up_events_;
  std::vector<ScaleEvent> scale_down_events_;
  std::uint64_t scale_ups_ = 0;
  std::uint64_t scale_downs_ = 0;
};

}  // namespace tailsim::components
