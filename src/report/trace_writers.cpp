#include "tailsim/report/trace_writers.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tailsim::report {
namespace {

using ordered_json = nlohmann::ordered_json;
using stats::Outcome;
using stats::outcome_name;
using stats::Span;
using stats::SpanKind;
using stats::Trace;

constexpr std::int64_t ns_per_us = 1'000;
constexpr std::int64_t ns_per_second = 1'000'000'000;
constexpr std::int64_t epoch_ns = trace_epoch_unix_s * ns_per_second;

/// The span kind as OpenTelemetry and Jaeger's `span.kind` tag spell it.
std::string_view kind_name(SpanKind kind) {
  switch (kind) {
    case SpanKind::internal:
      return "internal";
    case SpanKind::server:
      return "server";
    case SpanKind::client:
      return "client";
    case SpanKind::producer:
      return "producer";
    case SpanKind::consumer:
      return "consumer";
  }
  return "?";
}

/// OTLP's `SpanKind` enum (opentelemetry-proto trace.proto): 0 is
/// unspecified.
int otlp_kind(SpanKind kind) {
  switch (kind) {
    case SpanKind::internal:
      return 1;
    case SpanKind::server:
      return 2;
    case SpanKind::client:
      return 3;
    case SpanKind::producer:
      return 4;
    case SpanKind::consumer:
      return 5;
  }
  return 0;
}

/// OTLP's `Status.StatusCode`: 1 ok, 2 error.
constexpr int otlp_status_ok = 1;
constexpr int otlp_status_error = 2;

std::string trace_id_hex(const Trace& trace) {
  assert((trace.trace_id_high | trace.trace_id_low) != 0 &&
         "an all-zero trace id is invalid (W3C Trace Context)");
  return fmt::format("{:016x}{:016x}", trace.trace_id_high, trace.trace_id_low);
}

std::string span_id_hex(std::uint64_t span_id) {
  assert(span_id != 0 && "an all-zero span id is invalid (W3C Trace Context)");
  return fmt::format("{:016x}", span_id);
}

bool is_root(const Span& span) {
  return span.parent_span_id == 0;
}

/// `a / b` rounded toward minus infinity, so that time keeps its order when
/// it is cut to a coarser unit.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// A span's interval in whole microseconds: both ends rounded down, so a
/// child that lies inside its parent in nanoseconds still does.
struct MicroInterval {
  std::int64_t start = 0;
  std::int64_t end = 0;  ///< never before `start`

  [[nodiscard]] std::int64_t duration() const { return end - start; }
};

MicroInterval micro_interval(const Span& span, std::int64_t offset_ns) {
  const std::int64_t start = floor_div(offset_ns + span.start_ns, ns_per_us);
  return {start, std::max(start, floor_div(offset_ns + span.end_ns, ns_per_us))};
}

// ---------------------------------------------------------------------------
// What every format says about a span, written once.

using AttributeValue = std::variant<std::string_view, std::int64_t, bool>;

/// A span's attribute: OTLP attribute, Jaeger tag, Chrome arg.
struct Attribute {
  std::string_view key;  ///< without the `tailsim.` prefix OTLP and Jaeger add
  AttributeValue value;
};

/// Path, endpoint, pod, attempt, hedge and outcome of every span (no
/// endpoint or pod where it has none; each format names the service its own
/// way), and on the root the request's arrival number and why it was kept.
std::vector<Attribute> span_attributes(const Trace& trace, const Span& span) {
  std::vector<Attribute> out;
  out.push_back({"path", trace.path});
  if (!span.endpoint.empty()) {
    out.push_back({"endpoint", span.endpoint});
  }
  if (!span.pod.empty()) {
    out.push_back({"pod", span.pod});
  }
  out.push_back({"attempt", static_cast<std::int64_t>(span.attempt)});
  out.push_back({"hedge", span.is_hedge});
  out.push_back({"outcome", outcome_name(span.outcome)});
  if (is_root(span)) {
    out.push_back({"request", static_cast<std::int64_t>(trace.request)});
    out.push_back({"kept_because", trace.why});
  }
  return out;
}

/// What OpenTelemetry's semantic conventions (and so other tools, `tailsim
/// import` among them) read from a span: the endpoint a server span serves
/// as `rpc.method`, and the service and endpoint a client span calls as
/// `peer.service` and `rpc.method`. The pod is a resource attribute
/// (`k8s.pod.name`), written with the resource.
std::vector<std::pair<std::string_view, std::string_view>> semconv_attributes(const Span& span) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  const std::string_view endpoint = span.endpoint;
  if (span.kind == SpanKind::server && !endpoint.empty()) {
    out.emplace_back("rpc.method", endpoint);
  } else if (span.kind == SpanKind::client) {
    // A client span names its callee as service.endpoint.
    const std::size_t dot = endpoint.find('.');
    if (dot != std::string_view::npos) {
      out.emplace_back("peer.service", endpoint.substr(0, dot));
      out.emplace_back("rpc.method", endpoint.substr(dot + 1));
    }
  }
  return out;
}

std::string prefixed(std::string_view key) {
  return fmt::format("tailsim.{}", key);
}

// ---------------------------------------------------------------------------
// OTLP/JSON

ordered_json otlp_value(const Attribute& attribute) {
  struct {
    ordered_json operator()(std::string_view v) const { return {{"stringValue", v}}; }
    // int64 is a decimal string in OTLP/JSON (the proto3 JSON mapping).
    ordered_json operator()(std::int64_t v) const { return {{"intValue", std::to_string(v)}}; }
    ordered_json operator()(bool v) const { return {{"boolValue", v}}; }
  } const visitor;
  return std::visit(visitor, attribute.value);
}

ordered_json otlp_attribute(std::string_view key, const ordered_json& value) {
  return {{"key", key}, {"value", value}};
}

ordered_json otlp_span(const Trace& trace, const Span& span) {
  ordered_json out;
  out["traceId"] = trace_id_hex(trace);
  out["spanId"] = span_id_hex(span.span_id);
  if (!is_root(span)) {
    out["parentSpanId"] = span_id_hex(span.parent_span_id);
  }
  out["name"] = span.name;
  out["kind"] = otlp_kind(span.kind);
  out["startTimeUnixNano"] = std::to_string(epoch_ns + span.start_ns);
  out["endTimeUnixNano"] = std::to_string(epoch_ns + std::max(span.start_ns, span.end_ns));
  ordered_json& attributes = out["attributes"] = ordered_json::array();
  for (const auto& [key, value] : semconv_attributes(span)) {
    attributes.push_back(otlp_attribute(key, {{"stringValue", value}}));
  }
  for (const Attribute& a : span_attributes(trace, span)) {
    attributes.push_back(otlp_attribute(prefixed(a.key), otlp_value(a)));
  }
  // The status description is only for errors (OpenTelemetry trace API,
  // "Set Status").
  if (span.outcome == Outcome::ok) {
    out["status"] = {{"code", otlp_status_ok}};
  } else {
    out["status"] = {{"code", otlp_status_error}, {"message", outcome_name(span.outcome)}};
  }
  return out;
}

// ---------------------------------------------------------------------------
// Jaeger native JSON

ordered_json jaeger_tag(std::string_view key, const AttributeValue& value) {
  struct {
    std::string_view operator()(std::string_view) const { return "string"; }
    std::string_view operator()(std::int64_t) const { return "int64"; }
    std::string_view operator()(bool) const { return "bool"; }
  } const type_of;
  ordered_json out;
  out["key"] = key;
  out["type"] = std::visit(type_of, value);
  std::visit([&out](auto v) { out["value"] = v; }, value);
  return out;
}

/// The processes of a trace, one per service and pod, in the order they
/// first appear, each with its Jaeger process id: "p1", "p2", ...
class JaegerProcesses {
 public:
  explicit JaegerProcesses(const Trace& trace) {
    for (const Span& span : trace.spans) {
      const Process process{span.service, span.pod};
      if (ids_.try_emplace(process, fmt::format("p{}", ids_.size() + 1)).second) {
        processes_.push_back(process);
      }
    }
  }

  [[nodiscard]] const std::string& id_of(const Span& span) const {
    return ids_.at(Process{span.service, span.pod});
  }

  [[nodiscard]] ordered_json to_json() const {
    ordered_json out = ordered_json::object();
    for (const Process& process : processes_) {
      ordered_json tags = ordered_json::array();
      if (!process.second.empty()) {
        tags.push_back(jaeger_tag("k8s.pod.name", std::string_view(process.second)));
      }
      out[ids_.at(process)] = {{"serviceName", process.first}, {"tags", std::move(tags)}};
    }
    return out;
  }

 private:
  using Process = std::pair<std::string, std::string>;  ///< service, pod (empty: none)
  std::map<Process, std::string> ids_;
  std::vector<Process> processes_;
};

ordered_json jaeger_span(const Trace& trace, const Span& span, const std::string& trace_id,
                         const JaegerProcesses& processes) {
  ordered_json out;
  out["traceID"] = trace_id;
  out["spanID"] = span_id_hex(span.span_id);
  out["flags"] = 1;  // sampled
  out["operationName"] = span.name;
  ordered_json& references = out["references"] = ordered_json::array();
  if (!is_root(span)) {
    // A queue's consumer does not hold up its producer: Jaeger's FOLLOWS_FROM.
    references.push_back(
        {{"refType", span.kind == SpanKind::consumer ? "FOLLOWS_FROM" : "CHILD_OF"},
         {"traceID", trace_id},
         {"spanID", span_id_hex(span.parent_span_id)}});
  }
  const MicroInterval at = micro_interval(span, epoch_ns);
  out["startTime"] = at.start;
  out["duration"] = at.duration();
  ordered_json& tags = out["tags"] = ordered_json::array();
  tags.push_back(jaeger_tag("span.kind", kind_name(span.kind)));
  if (span.outcome != Outcome::ok) {
    tags.push_back(jaeger_tag("error", true));
  }
  for (const auto& [key, value] : semconv_attributes(span)) {
    tags.push_back(jaeger_tag(key, value));
  }
  for (const Attribute& a : span_attributes(trace, span)) {
    tags.push_back(jaeger_tag(prefixed(a.key), a.value));
  }
  out["logs"] = ordered_json::array();
  out["processID"] = processes.id_of(span);
  out["warnings"] = nullptr;
  return out;
}

// ---------------------------------------------------------------------------
// Chrome Trace Event Format

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
/// nests, else on a new lane. Each lane keeps a stack of the spans still
/// open, each inside the one below, so a span fits where it lies inside
/// the top once the spans that ended by its start are popped.
Lanes assign_lanes(const Trace& trace, const std::vector<MicroInterval>& at) {
  const std::size_t n = trace.spans.size();
  Lanes out;
  out.order.resize(n);
  std::iota(out.order.begin(), out.order.end(), std::size_t{0});
  std::stable_sort(out.order.begin(), out.order.end(), [&at](std::size_t a, std::size_t b) {
    return at[a].start != at[b].start ? at[a].start < at[b].start : at[a].end > at[b].end;
  });
  out.lane_of.assign(n, 0);

  std::map<std::uint64_t, std::size_t> index_of;
  for (std::size_t i = 0; i < n; ++i) {
    index_of.emplace(trace.spans[i].span_id, i);
  }
  std::vector<bool> is_placed(n, false);
  std::vector<std::vector<MicroInterval>> open;
  for (const std::size_t i : out.order) {
    const MicroInterval span = at[i];
    auto fits = [&span](std::vector<MicroInterval>& stack) {
      while (!stack.empty() && stack.back().end < span.end && stack.back().end <= span.start) {
        stack.pop_back();
      }
      return stack.empty() || span.end <= stack.back().end;
    };
    std::optional<std::uint32_t> lane;
    const auto parent = index_of.find(trace.spans[i].parent_span_id);
    if (parent != index_of.end() && is_placed[parent->second] &&
        fits(open[out.lane_of[parent->second]])) {
      lane = out.lane_of[parent->second];
    }
    for (std::uint32_t l = 0; !lane && l < open.size(); ++l) {
      if (fits(open[l])) {
        lane = l;
      }
    }
    if (!lane) {
      lane = static_cast<std::uint32_t>(open.size());
      open.emplace_back();
    }
    open[*lane].push_back(span);
    out.lane_of[i] = *lane;
    is_placed[i] = true;
  }
  out.count = static_cast<std::uint32_t>(open.size());
  return out;
}

ordered_json chrome_metadata(std::string_view name, int pid, std::optional<std::uint32_t> tid,
                             ordered_json args) {
  ordered_json out;
  out["name"] = name;
  out["ph"] = "M";
  out["pid"] = pid;
  if (tid) {
    out["tid"] = *tid;
  }
  out["args"] = std::move(args);
  return out;
}

ordered_json chrome_args(const Trace& trace, const Span& span) {
  ordered_json out;
  out["service"] = span.service;
  for (const Attribute& a : span_attributes(trace, span)) {
    std::visit([&](auto v) { out[std::string(a.key)] = v; }, a.value);
  }
  out["span_id"] = span_id_hex(span.span_id);
  return out;
}

/// The trace as a process: its name says which request, why it was kept
/// and how it ended.
void append_chrome_trace(ordered_json& events, const Trace& trace, int pid) {
  constexpr double ms_per_ns = 1e-6;
  const std::string label =
      fmt::format("{} #{} ({}: {:.3f} ms, {})", trace.path, trace.request, trace.why,
                  static_cast<double>(trace.latency_ns) * ms_per_ns, outcome_name(trace.outcome));
  events.push_back(chrome_metadata("process_name", pid, std::nullopt, {{"name", label}}));
  events.push_back(chrome_metadata("process_sort_index", pid, std::nullopt, {{"sort_index", pid}}));

  std::vector<MicroInterval> at;
  at.reserve(trace.spans.size());
  for (const Span& span : trace.spans) {
    at.push_back(micro_interval(span, 0));
  }
  const Lanes lanes = assign_lanes(trace, at);
  for (std::uint32_t tid = 1; tid <= lanes.count; ++tid) {
    events.push_back(
        chrome_metadata("thread_name", pid, tid, {{"name", fmt::format("lane {}", tid)}}));
    events.push_back(chrome_metadata("thread_sort_index", pid, tid, {{"sort_index", tid}}));
  }
  for (const std::size_t i : lanes.order) {
    const Span& span = trace.spans[i];
    ordered_json event;
    event["name"] = span.name;
    event["cat"] = kind_name(span.kind);
    event["ph"] = "X";
    event["ts"] = at[i].start;
    event["dur"] = at[i].duration();
    event["pid"] = pid;
    event["tid"] = lanes.lane_of[i] + 1;
    event["args"] = chrome_args(trace, span);
    events.push_back(std::move(event));
  }
}

/// One line of JSON (a valid JSON Lines file too), invalid UTF-8 in names
/// replaced rather than thrown on.
std::string dump(const ordered_json& document) {
  return document.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace

std::string to_otlp_json(const stats::Results& results) {
  // Spans grouped by the service and pod they ran at (a resource each, as an
  // OpenTelemetry SDK in each pod reports them), by name; within a resource,
  // in the order of the traces and of their spans.
  std::map<std::pair<std::string, std::string>, std::vector<ordered_json>> spans_of;
  for (const Trace& trace : results.traces) {
    for (const Span& span : trace.spans) {
      spans_of[{span.service, span.pod}].push_back(otlp_span(trace, span));
    }
  }
  ordered_json resource_spans = ordered_json::array();
  for (auto& [resource, spans] : spans_of) {
    const auto& [service, pod] = resource;
    ordered_json scope_spans;
    scope_spans["scope"] = {{"name", "tailsim"}, {"version", TAILSIM_VERSION}};
    scope_spans["spans"] = std::move(spans);
    ordered_json entry;
    ordered_json& attributes = entry["resource"]["attributes"] =
        ordered_json::array({otlp_attribute("service.name", {{"stringValue", service}})});
    if (!pod.empty()) {
      attributes.push_back(otlp_attribute("k8s.pod.name", {{"stringValue", pod}}));
    }
    entry["scopeSpans"] = ordered_json::array({std::move(scope_spans)});
    resource_spans.push_back(std::move(entry));
  }
  ordered_json document;
  document["resourceSpans"] = std::move(resource_spans);
  return dump(document);
}

std::string to_jaeger_json(const stats::Results& results) {
  ordered_json data = ordered_json::array();
  for (const Trace& trace : results.traces) {
    const std::string trace_id = trace_id_hex(trace);
    const JaegerProcesses processes(trace);
    ordered_json entry;
    entry["traceID"] = trace_id;
    ordered_json& spans = entry["spans"] = ordered_json::array();
    for (const Span& span : trace.spans) {
      spans.push_back(jaeger_span(trace, span, trace_id, processes));
    }
    entry["processes"] = processes.to_json();
    entry["warnings"] = nullptr;
    data.push_back(std::move(entry));
  }
  ordered_json document;
  document["data"] = std::move(data);
  document["total"] = 0;
  document["limit"] = 0;
  document["offset"] = 0;
  document["errors"] = nullptr;
  return dump(document);
}

std::string to_chrome_trace(const stats::Results& results) {
  ordered_json events = ordered_json::array();
  int pid = 0;
  for (const Trace& trace : results.traces) {
    append_chrome_trace(events, trace, ++pid);
  }
  ordered_json document;
  document["traceEvents"] = std::move(events);
  document["displayTimeUnit"] = "ms";
  document["otherData"] = {{"generator", "tailsim " TAILSIM_VERSION},
                           {"model", results.model},
                           {"seed", std::to_string(results.seed)},
                           {"time", "microseconds of simulated time since the run began"}};
  return dump(document);
}

}  // namespace tailsim::report
