#pragma once
/// The trace writers as they were before they wrote their JSON text
/// directly: each document built as an nlohmann::ordered_json tree and
/// dumped. Kept here, in the tests alone, as the oracle the streaming
/// writers (src/report/trace_writers.cpp) must match byte for byte. What the
/// formats say about a span (attributes, ids, lanes) is shared with them
/// (src/report/trace_spans.hpp): only the writing of JSON is compared.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/trace_spans.hpp"
#include "tailsim/report/epoch.hpp"
#include "tailsim/stats/results.hpp"

namespace trace_writers_dom {

using ordered_json = nlohmann::ordered_json;
using namespace tailsim::report::detail;
using tailsim::stats::Outcome;
using tailsim::stats::outcome_name;
using tailsim::stats::Results;
using tailsim::stats::Span;
using tailsim::stats::SpanKind;
using tailsim::stats::Trace;

/// The default epoch the writers use: simulated time 0 in Unix nanoseconds.
inline constexpr std::int64_t epoch_ns = tailsim::report::default_epoch_unix_ns;

/// Ids as the writers formatted them before (not through HexId, which the
/// streaming writers use).
inline std::string trace_id_hex(const Trace& trace) {
  return fmt::format("{:016x}{:016x}", trace.trace_id_high, trace.trace_id_low);
}

inline std::string span_id_hex(std::uint64_t span_id) {
  return fmt::format("{:016x}", span_id);
}

inline ordered_json otlp_value(const Attribute& attribute) {
  struct {
    ordered_json operator()(std::string_view v) const { return {{"stringValue", v}}; }
    ordered_json operator()(std::int64_t v) const { return {{"intValue", std::to_string(v)}}; }
    ordered_json operator()(bool v) const { return {{"boolValue", v}}; }
  } const visitor;
  return std::visit(visitor, attribute.value);
}

inline ordered_json otlp_attribute(std::string_view key, const ordered_json& value) {
  return {{"key", key}, {"value", value}};
}

inline ordered_json otlp_span(const Trace& trace, const Span& span) {
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
  if (span.outcome == Outcome::ok) {
    out["status"] = {{"code", otlp_status_ok}};
  } else {
    out["status"] = {{"code", otlp_status_error}, {"message", outcome_name(span.outcome)}};
  }
  return out;
}

inline ordered_json jaeger_tag(std::string_view key, const AttributeValue& value) {
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

inline ordered_json jaeger_processes(const JaegerProcesses& processes) {
  ordered_json out = ordered_json::object();
  for (const JaegerProcesses::Process& process : processes.processes()) {
    ordered_json tags = ordered_json::array();
    if (!process.second.empty()) {
      tags.push_back(jaeger_tag("k8s.pod.name", std::string_view(process.second)));
    }
    out[processes.id_of(process)] = {{"serviceName", process.first}, {"tags", std::move(tags)}};
  }
  return out;
}

inline ordered_json jaeger_span(const Trace& trace, const Span& span, const std::string& trace_id,
                                const JaegerProcesses& processes) {
  ordered_json out;
  out["traceID"] = trace_id;
  out["spanID"] = span_id_hex(span.span_id);
  out["flags"] = 1;
  out["operationName"] = span.name;
  ordered_json& references = out["references"] = ordered_json::array();
  if (!is_root(span)) {
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

inline ordered_json chrome_metadata(std::string_view name, int pid,
                                    std::optional<std::uint32_t> tid, ordered_json args) {
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

inline ordered_json chrome_args(const Trace& trace, const Span& span) {
  ordered_json out;
  out["service"] = span.service;
  for (const Attribute& a : span_attributes(trace, span)) {
    std::visit([&](auto v) { out[std::string(a.key)] = v; }, a.value);
  }
  out["span_id"] = span_id_hex(span.span_id);
  return out;
}

inline void append_chrome_trace(ordered_json& events, const Trace& trace, int pid) {
  events.push_back(
      chrome_metadata("process_name", pid, std::nullopt, {{"name", chrome_process_label(trace)}}));
  events.push_back(chrome_metadata("process_sort_index", pid, std::nullopt, {{"sort_index", pid}}));
  const std::vector<MicroInterval> at = micro_intervals(trace);
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

inline std::string dump(const ordered_json& document) {
  return document.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::replace) +
         "\n";
}

inline std::string to_otlp_json(const Results& results) {
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

inline std::string to_jaeger_json(const Results& results) {
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
    entry["processes"] = jaeger_processes(processes);
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

inline std::string to_chrome_trace(const Results& results) {
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
                           {"time", "microseconds of simulated time since the run began"},
                           {"epoch", "2000-01-01T00:00:00Z"}};
  return dump(document);
}

}  // namespace trace_writers_dom
