#pragma once
/// `tailsim analyze`: what queueing theory says about a model without
/// simulating it. The traffic equations give every endpoint's visits per
/// request of each workload; from them come each service's arrival rate,
/// CPU utilization and load, the bottleneck, the largest rate each workload
/// can reach, and an M/M/c estimate of each path's mean latency.
/// docs/semantics.md ("Analytic estimates") states every equation and
/// approximation; what the analysis cannot represent or only approximates
/// becomes a note.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/model/model.hpp"

namespace tailsim::analytic {

/// One service as the analysis sees it. Rates are per second, times in seconds.
struct ServiceEstimate {
  std::string name;
  bool is_external = false;
  double arrival_rps = 0;  ///< requests per second, all endpoints and workloads together
  /// Busy CPU over available CPU, as `run` measures it: offered core-seconds
  /// per second over replicas x cores. External services: requests in
  /// progress over `concurrency` (0 without a limit).
  double utilization = 0;
  /// The share of capacity in use at the station that saturates first: the
  /// CPU over min(workers, cores) per pod, the worker pool of a
  /// thread-per-request pod, or an external service's concurrency. At 1 or
  /// more the service saturates and its latency has no finite mean.
  double load = 0;
  double cpu_servers = 0;  ///< c of the pod's CPU station: min(workers, cores)
  double cpu_stretch = 1;  ///< mean CPU response time over CPU demand (1 when idle)
  /// Thread-per-request pods with a worker limit and steps that hold a worker
  /// beyond its CPU: the mean wait for a worker, and the workers' occupancy.
  std::optional<double> worker_wait_s;
  std::optional<double> worker_load;

  [[nodiscard]] bool is_saturated() const { return !(load < 1); }
};

/// One request path: a workload, or a queue (publish to processed).
struct PathEstimate {
  std::string name;
  bool is_queue = false;
  double rate_rps = 0;  ///< the rate the estimates are for (see the notes for schedules)
  double mean_s = 0;    ///< estimated mean latency; infinite when a station on it saturates
  /// Workloads: the largest rate this workload can reach, the others
  /// unchanged, before a service that is not saturated without it reaches
  /// load 1; 0 when a service it visits is saturated without it; infinite
  /// when nothing it uses has a limit. Queues: none.
  std::optional<double> max_rps;
};

struct Analysis {
  std::vector<ServiceEstimate> services;  ///< model order
  std::vector<PathEstimate> paths;        ///< workloads in model order, then queues
  std::optional<std::size_t> bottleneck;  ///< the service with the highest load, if any has one
  /// What the analysis could not represent (retries, timeouts, schedules,
  /// ...) or only approximates (worker pools, fork-join, round-robin
  /// balancing, non-exponential FIFO stations), one sentence each.
  std::vector<std::string> notes;

  /// No note and no service saturated: open Poisson workloads, and closed
  /// ones that share no service with another (exact MVA), over a network of processor-sharing,
  /// delay and exponential FIFO stations, where the mean estimates are exact (Jackson; Kelly and
  /// BCMP product form) and should match a simulation's means.
  [[nodiscard]] bool is_analytic_regime() const;
};

/// What to estimate beyond the model's own rates.
struct AnalyzeOptions {
  /// Each workload's `max_rps`: a search that solves the model about a
  /// hundred times per workload. `run` needs only the means and leaves it
  /// out (a model of 2,000 workloads spent 37 s there).
  bool max_rates = true;
};

/// Analyzes a model that loaded without errors (its synchronous call graph is
/// acyclic). Throws `std::runtime_error` when the traffic has no finite
/// solution: a publish loop that sends on at least as many messages as it
/// receives.
[[nodiscard]] Analysis analyze(const model::Model& model, AnalyzeOptions options = {});

}  // namespace tailsim::analytic
