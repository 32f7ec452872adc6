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

/// The kubelet's CrashLoopBackOff (kuberuntime_manager.go `doBackOff`,
/// kubelet.go `newCrashLoopBackOff`, client-go flowcontrol/backoff.go): a
/// container that exits is restarted at once the first time, then after 10 s,
/// doubling to at most 5 min; the back-off starts over once its last advance
/// is more than twice the cap (10 min) before the exit.
inline constexpr Duration crash_loop_backoff_initial = std::chrono::seconds{10};
inline constexpr Duration crash_loop_backoff_max = std::chrono::minutes{5};

/// The kubelet's eviction manager (pkg/kubelet/eviction): it looks at the
/// node's memory every `--housekeeping-interval` (10 s) and evicts at most
/// one pod per look while `memory.available` is below the hard threshold
/// `--eviction-hard memory.available<100Mi` (defaults_linux.go), which the
/// scheduler also keeps out of the node's allocatable memory.
inline constexpr Duration eviction_check_period = std::chrono::seconds{10};
inline constexpr std::int64_t eviction_hard_memory_available = std::int64_t{100} << 20;

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
