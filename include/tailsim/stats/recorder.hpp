#pragma once
/// The recorder: components report facts as they happen (a request arrived, a
/// call ended, a pod's CPU was this busy from t0 to t1), and the recorder
/// decides what the measured window keeps. Memory is fixed per path, service
/// and edge: it never grows with simulated time.

#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::stats {

class Recorder {
 public:
  /// Statistics cover arrivals and time in `[window_start, window_end)`.
  Recorder(Time window_start, Time window_end, std::size_t paths, std::size_t services,
           std::size_t edges);

  [[nodiscard]] bool is_measured(Time t) const { return t >= window_start_ && t < window_end_; }

  void path_arrival(std::uint32_t path, Time at);
  /// A request of `path` that arrived at `arrived` ended now with `outcome`.
  void path_finished(std::uint32_t path, Time arrived, Time now, Outcome outcome);
  /// `count` measured requests of `path` were still open when the run ended.
  void path_unfinished(std::uint32_t path, std::uint64_t count) {
    paths_[path].outcomes[Outcome::unfinished] += count;
  }

  void service_arrival(std::uint32_t service, Time at);
  void service_rejected(std::uint32_t service, Time at);
  /// `cores` cores of `service` were busy from `from` to `to`.
  void cpu_busy(std::uint32_t service, Time from, Time to, double cores) {
    add_clipped(services_[service].busy_core_ns, from, to, cores);
  }
  /// `length` requests waited for a worker at `service` from `from` to `to`.
  void queue_length(std::uint32_t service, Time from, Time to, double length) {
    add_clipped(services_[service].queue_ns, from, to, length);
  }
  /// `cores` cores of `service` existed from `from` to `to` (for utilization).
  void cpu_capacity(std::uint32_t service, Time from, Time to, double cores) {
    add_clipped(services_[service].capacity_core_ns, from, to, cores);
  }
  /// `count` ready replicas of `service` from `from` to `to`.
  void replicas(std::uint32_t service, Time from, Time to, double count);

  void call_sent(std::uint32_t edge, Time at);
  void call_finished(std::uint32_t edge, Time sent, Time now, Outcome outcome);

  /// Moves what was measured into `results`, whose names the caller has set
  /// (paths, services, edges sized as at construction).
  void finish(Results& results);

 private:
  struct ServiceTotals {
    std::uint64_t requests = 0;
    std::uint64_t rejected = 0;
    double busy_core_ns = 0;
    double capacity_core_ns = 0;
    double queue_ns = 0;
    double replica_ns = 0;
    double replicas_min = 1e300;
    double replicas_max = 0;
  };
  struct PathTotals {
    std::uint64_t requests = 0;
    OutcomeCounts outcomes;
    Histogram latency;
  };
  struct EdgeTotals {
    std::uint64_t calls = 0;
    OutcomeCounts outcomes;
    Histogram latency;
  };

  /// Adds `level x (overlap of [from, to) with the window)` to `total`.
  void add_clipped(double& total, Time from, Time to, double level) const {
    const Time a = from < window_start_ ? window_start_ : from;
    const Time b = to > window_end_ ? window_end_ : to;
    if (b > a) {
      total += level * static_cast<double>((b - a).count());
    }
  }

  Time window_start_;
  Time window_end_;
  std::vector<PathTotals> paths_;
  std::vector<ServiceTotals> services_;
  std::vector<EdgeTotals> edges_;
};

}  // namespace tailsim::stats
