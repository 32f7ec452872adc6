#pragma once
/// The sampled requests (`Results::traces`) in the three trace formats real
/// viewers open: OTLP/JSON (OpenTelemetry: Grafana Tempo, Jaeger, the OTel
/// Collector), Jaeger's native JSON (the Jaeger UI's file upload, no backend
/// needed) and the Chrome Trace Event Format (Perfetto UI, speedscope).
///
/// Every span carries its service, endpoint, pod (none at external services
/// and the client), attempt, hedge flag and outcome. Ids are the ones the
/// run derived from its seed, so a rerun writes the same bytes. Simulated
/// time 0 is the epoch (`--epoch`, report/epoch.hpp; the same as metrics.om's)
/// in OTLP and Jaeger; the Chrome trace counts from 0 and names the epoch in
/// its `otherData`. docs/semantics.md ("Traces") has the mapping of each
/// format.

#include <cstdint>
#include <string>

#include "tailsim/report/epoch.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// One OTLP `ExportTraceServiceRequest` as JSON: a `resourceSpans` entry per
/// service (`service.name`), scope `tailsim`, ids in lowercase hex, times
/// in Unix nanoseconds as decimal strings, enums as integers.
std::string to_otlp_json(const stats::Results& results,
                         std::int64_t epoch_unix_ns = default_epoch_unix_ns);

/// Jaeger's `GET /api/traces` answer: a `data` entry per trace, with its
/// spans (times in Unix microseconds) and a process per service.
std::string to_jaeger_json(const stats::Results& results,
                           std::int64_t epoch_unix_ns = default_epoch_unix_ns);

/// A Chrome trace (`traceEvents`): a process per trace, its spans as
/// complete (`X`) events in microseconds since the run began, spread over
/// threads ("lanes") so that the events of each thread nest perfectly;
/// `otherData.epoch` is the wall-clock instant of 0 (RFC 3339): Chrome
/// traces count in microseconds as doubles, too coarse for Unix times.
std::string to_chrome_trace(const stats::Results& results,
                            std::int64_t epoch_unix_ns = default_epoch_unix_ns);

}  // namespace tailsim::report
