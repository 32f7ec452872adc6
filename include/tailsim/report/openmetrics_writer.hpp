#pragma once
/// The end state of a run as an OpenMetrics 1.0 text exposition, named and
/// bucketed as production services expose theirs, so that Prometheus and
/// Grafana panels (`histogram_quantile(0.99, sum by (le, http_route) (...))`)
/// read simulated runs unchanged.

#include <string>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// The results as OpenMetrics text, without timestamps, ending in `# EOF`:
///
/// - `http_server_request_duration_seconds` (histogram, unit seconds): each
///   path's successful requests, labelled `path` and `http_route` (both the
///   path's name), in the explicit buckets OpenTelemetry's semantic
///   conventions advise for `http.server.request.duration` (5 ms to 10 s).
///   A bucket counts a value when the whole histogram bucket holding it lies
///   at or below the bound (or the bound is at least the exact max): the
///   reading `value_at_percentile` gives, so counts never flatter a latency.
/// - counters per path: `tailsim_path_requests_total`,
///   `tailsim_path_attempts_total`, and `tailsim_path_errors_total` with a
///   `kind` label (timeout, rejected, error, unavailable, unfinished);
/// - per service: counters `tailsim_service_requests_total` and
///   `tailsim_service_rejected_total`, and, for services with pods, gauges
///   `tailsim_service_utilization_ratio`, `tailsim_service_queue_length_mean`
///   and `tailsim_service_replicas_{mean,min,max}`;
/// - per cache: `tailsim_cache_lookups_total`, `tailsim_cache_hits_total`;
///   per queue: `tailsim_queue_{published,consumed,dead_letters}_total`,
///   gauges `tailsim_queue_depth_max` and `tailsim_queue_lag_max_seconds`.
///
/// Families come in that order, each with `# TYPE`, `# UNIT` (when it has
/// one) and `# HELP`, and only when there is something to report; label
/// values are escaped (backslash, double quote, line feed) as the format
/// requires. Same results, same bytes.
std::string format_openmetrics(const stats::Results& results);

}  // namespace tailsim::report
