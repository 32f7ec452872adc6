#pragma once
/// Kubernetes' defaults that the simulation takes as they are, in one place,
/// each with where it comes from. A model cannot change them (yet); a model
/// field that will set one should default to the constant here.

#include <chrono>
#include <cstdint>

#include "tailsim/core/time.hpp"

namespace tailsim::components::kubernetes {

/// A pod spec's `terminationGracePeriodSeconds` (default 30): a terminating
/// pod finishes what it holds within it, then its container is killed.
inline constexpr Duration termination_grace_period = std::chrono::seconds{30};

/// A readiness probe's `periodSeconds` (default 10): the kubelet probes at
/// the container's start and then every period; the pod turns ready at the
/// first probe after its startup time.
inline constexpr Duration readiness_probe_period = std::chrono::seconds{10};

/// kube-controller-manager's `--horizontal-pod-autoscaler-tolerance`
/// (default 0.1): no change while the ratio is within 1 +- the tolerance.
inline constexpr double hpa_tolerance = 0.1;

/// `--horizontal-pod-autoscaler-cpu-initialization-period` (default 5 min).
inline constexpr Duration hpa_cpu_initialization_period = std::chrono::minutes{5};

/// `--horizontal-pod-autoscaler-initial-readiness-delay` (default 30 s).
inline constexpr Duration hpa_initial_readiness_delay = std::chrono::seconds{30};

/// `--horizontal-pod-autoscaler-downscale-stabilization` (default 5 min).
inline constexpr Duration hpa_downscale_stabilization = std::chrono::minutes{5};

/// The `periodSeconds` of the default scaling policies of an HPA's
/// `behavior` (SetDefaults_HorizontalPodAutoscalerBehavior: 15 s).
inline constexpr Duration hpa_policy_period = std::chrono::seconds{15};

/// The default scale-up policy's pods per period (4 pods or 100%, the larger).
inline constexpr double hpa_scale_up_pods = 4;

/// The cluster autoscaler's `--scan-interval` (default 10 s): how often it
/// looks for unneeded nodes.
inline constexpr Duration cluster_autoscaler_scan_interval = std::chrono::seconds{10};

/// The cluster autoscaler's `--scale-down-delay-after-add` (default 10 min):
/// no node is removed this long after a scale-up.
inline constexpr Duration scale_down_delay_after_add = std::chrono::minutes{10};

/// The cluster autoscaler's `--max-empty-bulk-delete` (default 10): empty
/// nodes removed at once; non-empty ones are drained one at a time
/// (`--max-drain-parallelism`, default 1).
inline constexpr std::uint32_t max_empty_bulk_delete = 10;

}  // namespace tailsim::components::kubernetes
