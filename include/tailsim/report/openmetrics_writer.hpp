#pragma once
/// The end state of a run and its time series as an OpenMetrics 1.0 text
/// exposition, named and bucketed as production services expose theirs and
/// timestamped, so that Prometheus can backfill a run (`promtool tsdb
/// create-blocks-from openmetrics`) and Grafana panels
/// (`histogram_quantile(0.99, sum by (le, http_route) (...))`) read it
/// beside production.

#include <cstdint>
#include <string>

#include "tailsim/report/epoch.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// The results as OpenMetrics text, every sample timestamped, ending in
/// `# EOF`. Timestamps are Unix seconds, exact to the nanosecond, with
/// simulated time 0 at `epoch_unix_ns` (`--epoch`, report/epoch.hpp).
///
/// First the end of the run, every sample stamped with the run's end (drain
/// included; the end of the last interval):
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
/// Then the time series of timeseries.csv (`results.timeseries`), one
/// sample per interval stamped with the interval's end: a series counted in
/// the interval (arrivals, completions, errors, rejected, retries, throttled
/// and wasted CPU seconds) as a counter, its running total from simulated
/// time 0; the others as gauges with the interval's value (NaN where it is
/// undefined); milliseconds as seconds. Each entity is labelled by its kind
/// (`path`, `service`, `cache`, `queue`, `autoscaler`, `breaker`); a path's
/// `errors_<kind>` are one family, `tailsim_path_failures`, with a `kind`
/// label. docs/semantics.md ("Metrics") lists the families.
///
/// Families come in that order, each with `# TYPE`, `# UNIT` (when it has
/// one) and `# HELP`, and only when there is something to report; a
/// family's samples are together, each series' in time order; label values
/// are escaped (backslash, double quote, line feed) as the format requires.
/// Same results and epoch, same bytes.
std::string format_openmetrics(const stats::Results& results,
                               std::int64_t epoch_unix_ns = default_epoch_unix_ns);

}  // namespace tailsim::report
