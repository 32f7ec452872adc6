#pragma once
/// What the three trace formats (trace_writers.cpp) say about a trace and
/// its spans, apart from how each writes it: kinds, ids, times in
/// microseconds, attributes, Jaeger's processes and the Chrome trace's
/// lanes. Private to src/report/.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tailsim/report/trace_writers.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report::detail {

inline constexpr std::int64_t ns_per_us = 1'000;

/// OTLP's `Status.StatusCode`: 1 ok, 2 error.
inline constexpr int otlp_status_ok = 1;
inline constexpr int otlp_status_error = 2;

/// The span kind as OpenTelemetry and Jaeger's `span.kind` tag spell it.
[[nodiscard]] std::string_view kind_name(stats::SpanKind kind);

/// OTLP's `SpanKind` enum (opentelemetry-proto trace.proto): 0 is
/// unspecified.
[[nodiscard]] int otlp_kind(stats::SpanKind kind);

/// A trace id as 32 lowercase hex digits, a span id as 16: the W3C Trace
/// Context form every format uses. Written into a buffer of the caller's,
/// so that a span's ids cost no allocation.
class HexId {
 public:
  explicit HexId(std::uint64_t id);
  HexId(std::uint64_t high, std::uint64_t low);
  [[nodiscard]] std::string_view view() const { return {digits_, size_}; }
  [[nodiscard]] std::string str() const { return std::string(view()); }

 private:
  char digits_[32] = {};
  std::size_t size_ = 0;
};

/// The trace's id (never all zeros: asserted).
[[nodiscard]] HexId trace_id_of(const stats::Trace& trace);
/// A span's id or its parent's (never 0: asserted).
[[nodiscard]] HexId span_id_of(std::uint64_t span_id);

[[nodiscard]] inline bool is_root(const stats::Span& span) {
  return span.parent_span_id == 0;
}

/// A span's interval in whole microseconds: both ends rounded down, so a
/// child that lies inside its parent in nanoseconds still does.
struct MicroInterval {
  std::int64_t start = 0;
  std::int64_t end = 0;  ///< never before `start`

  [[nodiscard]] std::int64_t duration() const { return end - start; }
};

/// The span's interval shifted by `offset_ns`, in microseconds.
[[nodiscard]] MicroInterval micro_interval(const stats::Span& span, std::int64_t offset_ns);

/// Each span's interval in microseconds since the run began (the Chrome
/// trace's times), in span order.
[[nodiscard]] std::vector<MicroInterval> micro_intervals(const stats::Trace& trace);

using AttributeValue = std::variant<std::string_view, std::int64_t, bool>;

/// A span's attribute: OTLP attribute, Jaeger tag, Chrome arg.
struct Attribute {
  std::string_view key;  ///< without the `tailsim.` prefix OTLP and Jaeger add
  AttributeValue value;
};

/// Path, endpoint, pod, attempt, hedge and outcome of every span (no
/// endpoint or pod where it has none; each format names the service its own
/// way), and on the root the request's arrival number and why it was kept.
[[nodiscard]] std::vector<Attribute> span_attributes(const stats::Trace& trace,
                                                     const stats::Span& span);

/// What OpenTelemetry's semantic conventions (and so other tools, `tailsim
/// import` among them) read from a span: the endpoint a server span serves
/// as `rpc.method`, and the service and endpoint a client span calls as
/// `peer.service` and `rpc.method`. The pod is a resource attribute
/// (`k8s.pod.name`), written with the resource.
[[nodiscard]] std::vector<std::pair<std::string_view, std::string_view>> semconv_attributes(
    const stats::Span& span);

/// `key` with the `tailsim.` prefix OTLP attributes and Jaeger tags carry.
[[nodiscard]] std::string prefixed(std::string_view key);

/// The processes of a trace, one per service and pod, in the order they
/// first appear, each with its Jaeger process id: "p1", "p2", ...
class JaegerProcesses {
 public:
  using Process = std::pair<std::string, std::string>;  ///< service, pod (empty: none)

  explicit JaegerProcesses(const stats::Trace& trace);

  [[nodiscard]] const std::string& id_of(const stats::Span& span) const;
  [[nodiscard]] const std::string& id_of(const Process& process) const { return ids_.at(process); }
  /// In order of first appearance.
  [[nodiscard]] const std::vector<Process>& processes() const { return processes_; }

 private:
  std::map<Process, std::string> ids_;
  std::vector<Process> processes_;
};

/// A trace's spans spread over lanes (Chrome threads) so that any two spans
/// of one lane are disjoint or one lies inside the other: Perfetto draws
/// only perfectly nested complete events of a thread right.
struct Lanes {
  std::vector<std::size_t> order;      ///< span indices by start, the longer first at a tie
  std::vector<std::uint32_t> lane_of;  ///< per span index, from 0
  std::uint32_t count = 0;
};

/// Greedy: spans in order of start (the enclosing one first), each on its
/// parent's lane when it nests there, else on the first lane where it
/// nests, else on a new lane. `at` holds each span's interval.
[[nodiscard]] Lanes assign_lanes(const stats::Trace& trace, const std::vector<MicroInterval>& at);

/// The name of the Chrome trace's process for `trace`: which request, why it
/// was kept and how it ended.
[[nodiscard]] std::string chrome_process_label(const stats::Trace& trace);

}  // namespace tailsim::report::detail
