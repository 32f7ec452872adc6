#include "tailsim/stats/recorder.hpp"

#include <algorithm>
#include <utility>

namespace tailsim::stats {

Recorder::Recorder(Time window_start, Time window_end, std::size_t paths, std::size_t services,
                   std::size_t edges, std::size_t caches)
    : window_start_(window_start),
      window_end_(window_end),
      paths_(paths),
      services_(services),
      edges_(edges),
      caches_(caches) {}

void Recorder::path_arrival(std::uint32_t path, Time at) {
  if (is_measured(at)) {
    ++paths_[path].requests;
  }
}

void Recorder::path_finished(std::uint32_t path, Time arrived, Time now, Outcome outcome,
                             std::uint32_t attempts) {
  if (!is_measured(arrived)) {
    return;
  }
  PathTotals& p = paths_[path];
  ++p.outcomes[outcome];
  p.attempts += attempts;
  p.retried += attempts > 1 ? 1 : 0;
  if (outcome == Outcome::ok) {
    p.latency.record((now - arrived).count());
  }
}

void Recorder::service_arrival(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].requests;
  }
}

void Recorder::service_rejected(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].rejected;
  }
}

void Recorder::replicas(std::uint32_t service, Time from, Time to, double count) {
  ServiceTotals& s = services_[service];
  const Time a = std::max(from, window_start_);
  const Time b = std::min(to, window_end_);
  if (b > a) {
    s.replica_ns += count * static_cast<double>((b - a).count());
    s.replicas_min = std::min(s.replicas_min, count);
    s.replicas_max = std::max(s.replicas_max, count);
  }
}

void Recorder::call_finished(std::uint32_t edge, Time started, Time now, Outcome outcome,
                             std::uint32_t attempts) {
  if (!is_measured(started)) {
    return;
  }
  EdgeTotals& e = edges_[edge];
  ++e.calls;
  e.attempts += attempts;
  ++e.outcomes[outcome];
  if (outcome == Outcome::ok) {
    e.latency.record((now - started).count());
  }
}

void Recorder::call_unfinished(std::uint32_t edge, Time started, std::uint32_t attempts) {
  if (is_measured(started)) {
    ++edges_[edge].calls;
    edges_[edge].attempts += attempts;
  }
}

void Recorder::service_retry(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].retries;
  }
}

void Recorder::service_retry_refused(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].retries_refused;
  }
}

void Recorder::service_hedge(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].hedges;
  }
}

void Recorder::service_hedge_won(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].hedges_won;
  }
}

void Recorder::service_answered(std::uint32_t service, Time arrived, bool caller_waiting,
                                Outcome outcome) {
  if (!is_measured(arrived)) {
    return;
  }
  if (!caller_waiting) {
    ++services_[service].orphaned;
  } else if (outcome == Outcome::ok) {
    ++services_[service].goodput;
  }
}

void Recorder::wasted_cpu(std::uint32_t service, Time at, double work_ns) {
  if (is_measured(at)) {
    services_[service].wasted_cpu_ns += work_ns;
  }
}

void Recorder::deadline_dropped(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].deadline_drops;
  }
}

void Recorder::finish(Results& results) {
  const double window_ns = static_cast<double>((window_end_ - window_start_).count());
  const double window_s = window_ns * 1e-9;
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    PathResult& out = results.paths[i];
    out.requests = paths_[i].requests;
    out.outcomes = paths_[i].outcomes;
    out.latency = std::move(paths_[i].latency);
    out.attempts = paths_[i].attempts;
    out.retried = paths_[i].retried;
    out.throughput_rps =
        window_s > 0 ? static_cast<double>(out.outcomes[Outcome::ok]) / window_s : 0;
  }
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const ServiceTotals& s = services_[i];
    ServiceResult& out = results.services[i];
    out.requests = s.requests;
    out.rejected = s.rejected;
    out.busy_cpu_s = s.busy_core_ns * 1e-9;
    out.utilization = s.capacity_core_ns > 0 ? s.busy_core_ns / s.capacity_core_ns : 0;
    out.queue_mean = window_ns > 0 ? s.queue_ns / window_ns : 0;
    out.retries = s.retries;
    out.retries_refused = s.retries_refused;
    out.hedges = s.hedges;
    out.hedges_won = s.hedges_won;
    out.goodput_rps = window_s > 0 ? static_cast<double>(s.goodput) / window_s : 0;
    out.orphaned = s.orphaned;
    out.deadline_drops = s.deadline_drops;
    out.wasted_cpu_s = s.wasted_cpu_ns * 1e-9;
    out.throttled_s = s.throttled_ns * 1e-9;
    if (s.replicas_max > 0 || s.replica_ns > 0) {
      out.replicas = ReplicaSummary{s.replicas_min, s.replicas_max,
                                    window_ns > 0 ? s.replica_ns / window_ns : 0};
    }
  }
  for (std::size_t i = 0; i < caches_.size() && i < results.caches.size(); ++i) {
    results.caches[i].lookups = caches_[i].lookups;
    results.caches[i].hits = caches_[i].hits;
  }
  for (std::size_t i = 0; i < edges_.size(); ++i) {
    EdgeResult& out = results.edges[i];
    out.calls = edges_[i].calls;
    out.attempts = edges_[i].attempts;
    out.outcomes = edges_[i].outcomes;
    out.latency = std::move(edges_[i].latency);
  }
}

}  // namespace tailsim::stats
