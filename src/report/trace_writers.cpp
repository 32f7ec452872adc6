#include "tailsim/report/trace_writers.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/json_text.hpp"
#include "trace_spans.hpp"

// Each writer streams its document's JSON text (json_text.hpp) instead of
// building an nlohmann tree and dumping it: the same bytes (a unit test
// keeps the tree-building writers as the oracle), at a fraction of the
// time and memory for runs that keep many traces.
namespace tailsim::report {
namespace {

using namespace detail;
using stats::Outcome;
using stats::outcome_name;
using stats::Span;
using stats::SpanKind;
using stats::Trace;

/// A decimal integer as a JSON string, as OTLP/JSON writes int64 (the
/// proto3 JSON mapping).
void decimal_string(JsonWriter& json, std::int64_t value) {
  const fmt::format_int digits(value);
  json.string(std::string_view(digits.data(), digits.size()));
}

// ---------------------------------------------------------------------------
// OTLP/JSON

void otlp_string_attribute(JsonWriter& json, std::string_view key, std::string_view value) {
  json.begin_object().key("key").string(key);
  json.key("value").begin_object().key("stringValue").string(value).end_object();
  json.end_object();
}

void otlp_attribute(JsonWriter& json, const Attribute& attribute) {
  json.begin_object().key("key").string(prefixed(attribute.key));
  json.key("value").begin_object();
  struct {
    JsonWriter& json;
    void operator()(std::string_view v) const { json.key("stringValue").string(v); }
    void operator()(std::int64_t v) const { decimal_string(json.key("intValue"), v); }
    void operator()(bool v) const { json.key("boolValue").boolean(v); }
  } const visitor{json};
  std::visit(visitor, attribute.value);
  json.end_object().end_object();
}

/// A span in OTLP, simulated time 0 at `epoch_ns` (Unix nanoseconds).
void otlp_span(JsonWriter& json, const Trace& trace, std::string_view trace_id, const Span& span,
               std::int64_t epoch_ns) {
  json.begin_object();
  json.key("traceId").string(trace_id);
  json.key("spanId").string(span_id_of(span.span_id).view());
  if (!is_root(span)) {
    json.key("parentSpanId").string(span_id_of(span.parent_span_id).view());
  }
  json.key("name").string(span.name);
  json.key("kind").number(otlp_kind(span.kind));
  decimal_string(json.key("startTimeUnixNano"), epoch_ns + span.start_ns);
  decimal_string(json.key("endTimeUnixNano"), epoch_ns + std::max(span.start_ns, span.end_ns));
  json.key("attributes").begin_array();
  for (const auto& [key, value] : semconv_attributes(span)) {
    otlp_string_attribute(json, key, value);
  }
  for (const Attribute& a : span_attributes(trace, span)) {
    otlp_attribute(json, a);
  }
  json.end_array();
  // The status description is only for errors (OpenTelemetry trace API,
  // "Set Status").
  json.key("status").begin_object();
  if (span.outcome == Outcome::ok) {
    json.key("code").number(otlp_status_ok);
  } else {
    json.key("code").number(otlp_status_error);
    json.key("message").string(outcome_name(span.outcome));
  }
  json.end_object().end_object();
}

// ---------------------------------------------------------------------------
// Jaeger native JSON

void jaeger_tag(JsonWriter& json, std::string_view key, const AttributeValue& value) {
  json.begin_object().key("key").string(key);
  struct {
    JsonWriter& json;
    void operator()(std::string_view v) const {
      json.key("type").string("string").key("value").string(v);
    }
    void operator()(std::int64_t v) const {
      json.key("type").string("int64").key("value").number(v);
    }
    void operator()(bool v) const { json.key("type").string("bool").key("value").boolean(v); }
  } const visitor{json};
  std::visit(visitor, value);
  json.end_object();
}

void jaeger_processes(JsonWriter& json, const JaegerProcesses& processes) {
  json.begin_object();
  for (const JaegerProcesses::Process& process : processes.processes()) {
    json.key(processes.id_of(process)).begin_object();
    json.key("serviceName").string(process.first);
    json.key("tags").begin_array();
    if (!process.second.empty()) {
      jaeger_tag(json, "k8s.pod.name", std::string_view(process.second));
    }
    json.end_array().end_object();
  }
  json.end_object();
}

void jaeger_span(JsonWriter& json, const Trace& trace, const Span& span, std::string_view trace_id,
                 const JaegerProcesses& processes, std::int64_t epoch_ns) {
  json.begin_object();
  json.key("traceID").string(trace_id);
  json.key("spanID").string(span_id_of(span.span_id).view());
  json.key("flags").number(1);  // sampled
  json.key("operationName").string(span.name);
  json.key("references").begin_array();
  if (!is_root(span)) {
    // A queue's consumer does not hold up its producer: Jaeger's FOLLOWS_FROM.
    json.begin_object();
    json.key("refType").string(span.kind == SpanKind::consumer ? "FOLLOWS_FROM" : "CHILD_OF");
    json.key("traceID").string(trace_id);
    json.key("spanID").string(span_id_of(span.parent_span_id).view());
    json.end_object();
  }
  json.end_array();
  const MicroInterval at = micro_interval(span, epoch_ns);
  json.key("startTime").number(at.start);
  json.key("duration").number(at.duration());
  json.key("tags").begin_array();
  jaeger_tag(json, "span.kind", kind_name(span.kind));
  if (span.outcome != Outcome::ok) {
    jaeger_tag(json, "error", true);
  }
  for (const auto& [key, value] : semconv_attributes(span)) {
    jaeger_tag(json, key, value);
  }
  for (const Attribute& a : span_attributes(trace, span)) {
    jaeger_tag(json, prefixed(a.key), a.value);
  }
  json.end_array();
  json.key("logs").begin_array().end_array();
  json.key("processID").string(processes.id_of(span));
  json.key("warnings").null();
  json.end_object();
}

// ---------------------------------------------------------------------------
// Chrome Trace Event Format

/// A metadata (`M`) event whose args hold one member, written by `arg`.
template <class WriteArg>
void chrome_metadata(JsonWriter& json, std::string_view name, int pid,
                     std::optional<std::uint32_t> tid, WriteArg arg) {
  json.begin_object();
  json.key("name").string(name);
  json.key("ph").string("M");
  json.key("pid").number(pid);
  if (tid) {
    json.key("tid").number(*tid);
  }
  json.key("args").begin_object();
  arg(json);
  json.end_object().end_object();
}

void chrome_args(JsonWriter& json, const Trace& trace, const Span& span) {
  json.begin_object();
  json.key("service").string(span.service);
  for (const Attribute& a : span_attributes(trace, span)) {
    json.key(a.key);
    struct {
      JsonWriter& json;
      void operator()(std::string_view v) const { json.string(v); }
      void operator()(std::int64_t v) const { json.number(v); }
      void operator()(bool v) const { json.boolean(v); }
    } const visitor{json};
    std::visit(visitor, a.value);
  }
  json.key("span_id").string(span_id_of(span.span_id).view());
  json.end_object();
}

/// The trace as a process: its name says which request, why it was kept
/// and how it ended.
void append_chrome_trace(JsonWriter& json, const Trace& trace, int pid) {
  chrome_metadata(json, "process_name", pid, std::nullopt,
                  [&](JsonWriter& j) { j.key("name").string(chrome_process_label(trace)); });
  chrome_metadata(json, "process_sort_index", pid, std::nullopt,
                  [&](JsonWriter& j) { j.key("sort_index").number(pid); });

  const std::vector<MicroInterval> at = micro_intervals(trace);
  const Lanes lanes = assign_lanes(trace, at);
  for (std::uint32_t tid = 1; tid <= lanes.count; ++tid) {
    chrome_metadata(json, "thread_name", pid, tid,
                    [&](JsonWriter& j) { j.key("name").string(fmt::format("lane {}", tid)); });
    chrome_metadata(json, "thread_sort_index", pid, tid,
                    [&](JsonWriter& j) { j.key("sort_index").number(tid); });
  }
  for (const std::size_t i : lanes.order) {
    const Span& span = trace.spans[i];
    json.begin_object();
    json.key("name").string(span.name);
    json.key("cat").string(kind_name(span.kind));
    json.key("ph").string("X");
    json.key("ts").number(at[i].start);
    json.key("dur").number(at[i].duration());
    json.key("pid").number(pid);
    json.key("tid").number(lanes.lane_of[i] + 1);
    json.key("args");
    chrome_args(json, trace, span);
    json.end_object();
  }
}

/// About how many bytes each format writes per span, to reserve the text at once.
constexpr std::size_t otlp_bytes_per_span = 700;
constexpr std::size_t jaeger_bytes_per_span = 850;
constexpr std::size_t chrome_bytes_per_span = 300;

std::size_t span_count(const stats::Results& results) {
  std::size_t n = 0;
  for (const Trace& trace : results.traces) {
    n += trace.spans.size();
  }
  return n;
}

}  // namespace

std::string to_otlp_json(const stats::Results& results, std::int64_t epoch_unix_ns) {
  // Spans grouped by the service and pod they ran at (a resource each, as an
  // OpenTelemetry SDK in each pod reports them), by name; within a resource,
  // in the order of the traces and of their spans.
  std::map<std::pair<std::string_view, std::string_view>,
           std::vector<std::pair<const Trace*, const Span*>>>
      spans_of;
  for (const Trace& trace : results.traces) {
    for (const Span& span : trace.spans) {
      spans_of[{span.service, span.pod}].emplace_back(&trace, &span);
    }
  }
  std::string out;
  out.reserve(span_count(results) * otlp_bytes_per_span);
  JsonWriter json(out);
  json.begin_object().key("resourceSpans").begin_array();
  for (const auto& [resource, spans] : spans_of) {
    const auto& [service, pod] = resource;
    json.begin_object();
    json.key("resource").begin_object().key("attributes").begin_array();
    otlp_string_attribute(json, "service.name", service);
    if (!pod.empty()) {
      otlp_string_attribute(json, "k8s.pod.name", pod);
    }
    json.end_array().end_object();
    json.key("scopeSpans").begin_array().begin_object();
    json.key("scope").begin_object();
    json.key("name").string("tailsim").key("version").string(TAILSIM_VERSION);
    json.end_object();
    json.key("spans").begin_array();
    const Trace* last_trace = nullptr;
    HexId trace_id(0, 0);
    for (const auto& [trace, span] : spans) {
      if (trace != last_trace) {
        trace_id = trace_id_of(*trace);
        last_trace = trace;
      }
      otlp_span(json, *trace, trace_id.view(), *span, epoch_unix_ns);
    }
    json.end_array().end_object().end_array();
    json.end_object();
  }
  json.end_array().end_object();
  out += '\n';
  return out;
}

std::string to_jaeger_json(const stats::Results& results, std::int64_t epoch_unix_ns) {
  std::string out;
  out.reserve(span_count(results) * jaeger_bytes_per_span);
  JsonWriter json(out);
  json.begin_object().key("data").begin_array();
  for (const Trace& trace : results.traces) {
    const HexId trace_id = trace_id_of(trace);
    const JaegerProcesses processes(trace);
    json.begin_object();
    json.key("traceID").string(trace_id.view());
    json.key("spans").begin_array();
    for (const Span& span : trace.spans) {
      jaeger_span(json, trace, span, trace_id.view(), processes, epoch_unix_ns);
    }
    json.end_array();
    json.key("processes");
    jaeger_processes(json, processes);
    json.key("warnings").null();
    json.end_object();
  }
  json.end_array();
  json.key("total").number(0).key("limit").number(0).key("offset").number(0);
  json.key("errors").null();
  json.end_object();
  out += '\n';
  return out;
}

std::string to_chrome_trace(const stats::Results& results, std::int64_t epoch_unix_ns) {
  std::string out;
  out.reserve(span_count(results) * chrome_bytes_per_span);
  JsonWriter json(out);
  json.begin_object().key("traceEvents").begin_array();
  int pid = 0;
  for (const Trace& trace : results.traces) {
    append_chrome_trace(json, trace, ++pid);
  }
  json.end_array();
  json.key("displayTimeUnit").string("ms");
  json.key("otherData").begin_object();
  json.key("generator").string("tailsim " TAILSIM_VERSION);
  json.key("model").string(results.model);
  json.key("seed").string(std::to_string(results.seed));
  json.key("time").string("microseconds of simulated time since the run began");
  json.key("epoch").string(format_rfc3339(epoch_unix_ns));
  json.end_object().end_object();
  out += '\n';
  return out;
}

}  // namespace tailsim::report
