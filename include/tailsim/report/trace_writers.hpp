#pragma once
/// The sampled requests (`Results::traces`) in the three trace formats real
/// viewers open: OTLP/JSON (OpenTelemetry: Grafana Tempo, Jaeger, the OTel
/// Collector), Jaeger's native JSON (the Jaeger UI's file upload, no backend
/// needed) and the Chrome Trace Event Format (Perfetto UI, speedscope).
///
/// Every span carries its service, endpoint, pod (none at external services
/// and the client), attempt, hedge flag and outcome. Ids are the ones the
/// run derived from its seed, so a rerun writes the same bytes. Simulated
/// time 0 is `trace_epoch_unix_s` in OTLP and Jaeger, and 0 in the Chrome
/// trace. docs/semantics.md ("Traces") has the mapping of each format.

#include <cstdint>
#include <string>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// The wall-clock moment simulated time 0 stands for in OTLP and Jaeger
/// files: 2000-01-01T00:00:00Z. Fixed, so that reruns match byte for byte.
inline constexpr std::int64_t trace_epoch_unix_s = 946'684'800;

/// One OTLP `ExportTraceServiceRequest` as JSON: a `resourceSpans` entry per
/// service (`service.name`), scope `tailsim`, ids in lowercase hex, times
/// in Unix nanoseconds as decimal strings, enums as integers.
std::string to_otlp_json(const stats::Results& results);

/// Jaeger's `GET /api/traces` answer: a `data` entry per trace, with its
/// spans (times in Unix microseconds) and a process per service.
std::string to_jaeger_json(const stats::Results& results);

/// A Chrome trace (`traceEvents`): a process per trace, its spans as
/// complete (`X`) events in microseconds since the run began, spread over
/// threads ("lanes") so that the events of each thread nest perfectly.
std::string to_chrome_trace(const stats::Results& results);

}  // namespace tailsim::report
