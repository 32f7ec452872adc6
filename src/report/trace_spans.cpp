#include "trace_spans.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <numeric>
#include <optional>

#include <fmt/format.h>

namespace tailsim::report::detail {
namespace {

/// `a / b` rounded toward minus infinity, so that time keeps its order when
/// it is cut to a coarser unit.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// 16 lowercase hex digits of `id` at `out`.
void write_hex16(char* out, std::uint64_t id) {
  constexpr std::string_view hex = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = hex[id & 0xF];
    id >>= 4;
  }
}

}  // namespace

std::string_view kind_name(stats::SpanKind kind) {
  using stats::SpanKind;
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

int otlp_kind(stats::SpanKind kind) {
  using stats::SpanKind;
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

HexId::HexId(std::uint64_t id) : size_(16) {
  write_hex16(digits_, id);
}

HexId::HexId(std::uint64_t high, std::uint64_t low) : size_(32) {
  write_hex16(digits_, high);
  write_hex16(digits_ + 16, low);
}

HexId trace_id_of(const stats::Trace& trace) {
  assert((trace.trace_id_high | trace.trace_id_low) != 0 &&
         "an all-zero trace id is invalid (W3C Trace Context)");
  return HexId(trace.trace_id_high, trace.trace_id_low);
}

HexId span_id_of(std::uint64_t span_id) {
  assert(span_id != 0 && "an all-zero span id is invalid (W3C Trace Context)");
  return HexId(span_id);
}

MicroInterval micro_interval(const stats::Span& span, std::int64_t offset_ns) {
  const std::int64_t start = floor_div(offset_ns + span.start_ns, ns_per_us);
  return {start, std::max(start, floor_div(offset_ns + span.end_ns, ns_per_us))};
}

std::vector<MicroInterval> micro_intervals(const stats::Trace& trace) {
  std::vector<MicroInterval> at;
  at.reserve(trace.spans.size());
  for (const stats::Span& span : trace.spans) {
    at.push_back(micro_interval(span, 0));
  }
  return at;
}

std::vector<Attribute> span_attributes(const stats::Trace& trace, const stats::Span& span) {
  std::vector<Attribute> out;
  out.reserve(8);
  out.push_back({"path", trace.path});
  if (!span.endpoint.empty()) {
    out.push_back({"endpoint", span.endpoint});
  }
  if (!span.pod.empty()) {
    out.push_back({"pod", span.pod});
  }
  out.push_back({"attempt", static_cast<std::int64_t>(span.attempt)});
  out.push_back({"hedge", span.is_hedge});
  out.push_back({"outcome", stats::outcome_name(span.outcome)});
  if (is_root(span)) {
    out.push_back({"request", static_cast<std::int64_t>(trace.request)});
    out.push_back({"kept_because", trace.why});
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> semconv_attributes(
    const stats::Span& span) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  const std::string_view endpoint = span.endpoint;
  if (span.kind == stats::SpanKind::server && !endpoint.empty()) {
    out.emplace_back("rpc.method", endpoint);
  } else if (span.kind == stats::SpanKind::client) {
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

JaegerProcesses::JaegerProcesses(const stats::Trace& trace) {
  for (const stats::Span& span : trace.spans) {
    Process process{span.service, span.pod};
    if (ids_.try_emplace(process, fmt::format("p{}", ids_.size() + 1)).second) {
      processes_.push_back(std::move(process));
    }
  }
}

const std::string& JaegerProcesses::id_of(const stats::Span& span) const {
  return ids_.at(Process{span.service, span.pod});
}

// Each lane keeps a stack of the spans still open, each inside the one
// below, so a span fits where it lies inside the top once the spans that
// ended by its start are popped.
Lanes assign_lanes(const stats::Trace& trace, const std::vector<MicroInterval>& at) {
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

std::string chrome_process_label(const stats::Trace& trace) {
  constexpr double ms_per_ns = 1e-6;
  return fmt::format("{} #{} ({}: {:.3f} ms, {})", trace.path, trace.request, trace.why,
                     static_cast<double>(trace.latency_ns) * ms_per_ns,
                     stats::outcome_name(trace.outcome));
}

}  // namespace tailsim::report::detail
