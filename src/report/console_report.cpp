#include "tailsim/report/console_report.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/episode_text.hpp"
#include "tailsim/report/result_text.hpp"
#include "tailsim/report/slo_text.hpp"

namespace tailsim::report {
namespace {

using stats::Outcome;

/// A path whose requests failed this often (in percent: failed, timed out,
/// rejected, unavailable or unfinished) gets a warning under its row: its
/// latency, over the successes only, hides what most clients waited for
/// (docs/semantics.md, "Latency over all requests").
constexpr double misleading_error_pct = 10.0;

std::string paint(const ConsoleStyle& style, std::string_view code, std::string_view text) {
  return style.color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
}

/// `name` followed by dot leaders up to `width`, as k6 lays out its metrics.
std::string leader(std::string_view name, std::size_t width) {
  std::string out(name);
  if (out.size() + 1 < width) {
    out += std::string(width - out.size(), '.');
  }
  return out + " ";
}

/// `fields` after `first`, separated by spaces, wrapped before column 80;
/// continued lines start with `indent` (by default as wide as `first`).
std::string wrap_fields(const std::string& first, const std::vector<std::string>& fields,
                        std::string indent = {}) {
  constexpr std::size_t columns = 80;
  if (indent.empty()) {
    indent = std::string(first.size(), ' ');
  }
  std::string out = first;
  std::size_t line = first.size();
  bool line_empty = true;
  for (const auto& field : fields) {
    if (!line_empty && line + 1 + field.size() > columns) {
      out += "\n" + indent;
      line = indent.size();
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++line;
    }
    out += field;
    line += field.size();
    line_empty = false;
  }
  return out + "\n";
}

}  // namespace

std::string attribution_section(const stats::Results& r) {
  constexpr std::size_t rows = 6;
  std::string out;
  for (const auto& p : r.paths) {
    const stats::Attribution& a = p.attribution;
    if (!a.is_computed || a.mean.requests == 0) {
      continue;
    }
    // Parts below half a percent of both groups are left to "everything else".
    const auto table = attribution_table(a, rows, 0.005);
    std::size_t width = 24;
    for (const auto& row : table) {
      width = std::max(width, std::min<std::size_t>(row.label.size(), 40));
    }
    auto cell = [](double ms, double total) {
      return fmt::format("{:>8} {:>3.0f}%", format_ms(ms), total > 0 ? 100 * ms / total : 0.0);
    };
    const bool has_slowest = a.slowest.requests > 0;
    out += fmt::format("    {:<{}}  {:>13}  {:>13}\n", p.name, width + 2, "mean",
                       has_slowest ? "slowest 1%" : "");
    out += fmt::format("    {:<{}}  {:>13}  {:>13}\n", "", width + 2, format_ms(a.mean.latency_ms),
                       has_slowest ? format_ms(a.slowest.latency_ms) : "");
    for (const auto& row : table) {
      out += fmt::format("      {:<{}}  {}  {}\n", row.label.substr(0, width), width,
                         cell(row.mean_ms, a.mean.latency_ms),
                         has_slowest ? cell(row.slowest_ms, a.slowest.latency_ms) : "");
    }
  }
  if (out.empty()) {
    return out;
  }
  return "\n  WHERE THE TIME WENT  (critical path; slowest 1% = at or above p99)\n" + out;
}

std::size_t display_width(std::string_view text) {
  std::size_t points = 0;
  for (const char c : text) {
    points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }
  return points;
}

std::string format_ms(double ms) {
  if (ms < 0.9995) {
    return fmt::format("{:.0f}us", ms * 1000);
  }
  if (ms < 10.0) {
    return fmt::format("{:.2f}ms", ms);
  }
  if (ms < 1000.0) {
    return fmt::format("{:.1f}ms", ms);
  }
  return fmt::format("{:.2f}s", ms / 1000);
}

std::string to_console(const stats::Results& r, const ConsoleStyle& style) {
  std::string out;
  if (r.stopped_early) {
    out += fmt::format("  {} after {:.1f}s simulated: {}\n\n", paint(style, "31", "STOPPED EARLY"),
                       r.simulated_s, r.stop_reason.empty() ? "a run limit" : r.stop_reason);
  }
  if (!r.slos.empty()) {
    // k6 prints its thresholds first, a mark and the measured value on each
    // line; the columns are aligned unless one name is very long, so a line
    // fits 80 columns and a CI log.
    constexpr std::size_t widest_path = 20;
    constexpr std::size_t widest_check = 28;
    std::size_t path_width = 0;
    std::size_t check_width = 0;
    for (const auto& s : r.slos) {
      path_width = std::max(path_width, std::min(s.path.size(), widest_path));
      check_width = std::max(check_width, std::min(s.check.text.size(), widest_check));
    }
    out += "  SLOS\n";
    for (const auto& s : r.slos) {
      out += fmt::format("    {} {:<{}}  {:<{}}  {}\n",
                         s.ok ? paint(style, "32", "✓") : paint(style, "31", "✗"), s.path,
                         path_width, s.check.text, check_width, format_slo_measured(r, s));
    }
    out += "\n";
  }

  // A path some of whose requests failed gets a second row: the latency of
  // all its finished requests, failures at the time they failed.
  constexpr std::string_view all_requests = "  all requests";
  auto has_failures = [](const stats::PathResult& p) {
    return p.latency_all.count() > p.latency.count();
  };
  std::size_t width = 12;
  for (const auto& p : r.paths) {
    width = std::max(width, std::min<std::size_t>(p.name.size() + 2, 24));
    if (has_failures(p)) {
      width = std::max(width, all_requests.size());
    }
  }
  out += fmt::format("  {:<{}} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "PATHS", width + 2, "mean",
                     "p50", "p90", "p99", "p99.9", "max");
  auto latency_row = [&](std::string_view name, const stats::Histogram& h) {
    auto at = [&](double q) {
      return h.count() ? format_ms(static_cast<double>(h.value_at_percentile(q)) * 1e-6)
                       : std::string("-");
    };
    return fmt::format("    {:<{}} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", name, width,
                       h.count() ? format_ms(h.mean() * 1e-6) : "-", at(50), at(90), at(99),
                       at(99.9), h.count() ? format_ms(static_cast<double>(h.max()) * 1e-6) : "-");
  };
  for (const auto& p : r.paths) {
    out += latency_row(p.name, p.latency);
    if (has_failures(p)) {
      out += latency_row(all_requests, p.latency_all);
    }
    const std::uint64_t failed =
        p.requests >= p.outcomes[Outcome::ok] ? p.requests - p.outcomes[Outcome::ok] : 0;
    const double error_pct =
        p.requests ? 100.0 * static_cast<double>(failed) / static_cast<double>(p.requests) : 0.0;
    std::vector<std::string> fields;
    if (p.unstable) {
      fields.push_back(paint(style, "31", "UNSTABLE (its backlog grew without bound):"));
    }
    fields.insert(fields.end(), {fmt::format("requests={}", p.requests),
                                 fmt::format("ok={}", p.outcomes[Outcome::ok]),
                                 fmt::format("errors={} ({:.2f}%)", failed, error_pct)});
    for (auto [kind, name] : stats::error_kinds) {
      if (p.outcomes[kind] > 0) {
        fields.push_back(fmt::format("{}={}", name, p.outcomes[kind]));
      }
    }
    fields.push_back(fmt::format("{:.1f}/s", p.throughput_rps));
    if (p.analytic_mean_ms) {
      fields.push_back(fmt::format("analytic estimate: mean={}", format_ms(*p.analytic_mean_ms)));
    }
    if (p.attempts > p.requests && p.requests > 0) {
      fields.push_back(
          fmt::format("attempts per request={:.2f}",
                      static_cast<double>(p.attempts) / static_cast<double>(p.requests)));
      fields.push_back(fmt::format("retried={:.1f}%", 100.0 * static_cast<double>(p.retried) /
                                                          static_cast<double>(p.requests)));
    }
    out += wrap_fields("      ", fields);
    if (error_pct >= misleading_error_pct) {
      out += fmt::format("      {} {:.1f}% failed; the latency above counts the successes only\n",
                         paint(style, "33", "warning:"), error_pct);
    }
  }

  out += attribution_section(r);
  out += episodes_section(r);

  width = 12;
  for (const auto& s : r.services) {
    width = std::max(width, std::min<std::size_t>(s.name.size() + 2, 24));
  }
  // Every column starts with a space, so the widest values stay apart.
  out += fmt::format("\n  {:<{}} {:>8} {:>7} {:>6} {:>8}  {}\n", "SERVICES", width + 2, "requests",
                     "util", "queue", "rejected", "replicas");
  const std::string indent(6, ' ');
  for (const auto& s : r.services) {
    if (s.is_external) {
      out += fmt::format("    {:<{}} {:>8} {:>7} {:>6} {:>8}  {}\n", s.name, width, s.requests, "-",
                         "-", s.rejected, "external");
      continue;
    }
    const std::string replicas =
        s.replicas.min == s.replicas.max
            ? fmt::format("{:g}", s.replicas.mean)
            : fmt::format("{:.1f} ({:g}-{:g})", s.replicas.mean, s.replicas.min, s.replicas.max);
    out += fmt::format("    {:<{}} {:>8} {:>7} {:>6.2f} {:>8}  {}\n", s.name, width, s.requests,
                       fmt::format("{:.1f}%", s.utilization * 100), s.queue_mean, s.rejected,
                       replicas);
    if (s.has_cfs) {
      out += wrap_fields(indent, {"cpu.stat:", fmt::format("periods={}", s.cfs_periods),
                                  fmt::format("throttled={}", s.cfs_throttled_periods),
                                  fmt::format("throttled time={:.1f}s", s.throttled_s)});
    }
    if (s.has_gc) {
      out += wrap_fields(indent, {"gc:", fmt::format("pauses={}", s.gc_pauses),
                                  fmt::format("paused={:.1f}s", s.gc_pause_s)});
    }
    if (s.contention_s > 0) {
      out += wrap_fields(indent,
                         {"node contention:",
                          fmt::format("{:.1f} request-s waiting for node cores", s.contention_s)});
    }
    if (s.has_memory) {
      out += wrap_fields(indent, {"memory:", fmt::format("oom_kills={}", s.oom_kills),
                                  fmt::format("restarts={}", s.restarts),
                                  fmt::format("evictions={}", s.evictions)});
    }
    if (s.has_batch) {
      std::vector<std::string> fields = {"batching:", fmt::format("batches={}", s.batches),
                                         fmt::format("size mean={:.2f}", s.batch_size_mean)};
      if (s.gpus > 0) {
        fields.push_back(fmt::format("gpus={} busy={:.1f}s", s.gpus, s.gpu_busy_s));
      }
      out += wrap_fields(indent, fields);
    }
    if (s.hedges > 0) {
      out += wrap_fields(
          indent, {fmt::format("hedges sent={}", s.hedges), fmt::format("won={}", s.hedges_won)});
    }
    if (s.has_wasted_work()) {
      out +=
          wrap_fields(indent, {fmt::format("goodput={:.1f}/s", s.goodput_rps),
                               fmt::format("wasted cpu={:.1f}s", s.wasted_cpu_s),
                               fmt::format("orphaned={}", s.orphaned),
                               fmt::format("retries={} (refused {})", s.retries, s.retries_refused),
                               fmt::format("deadline drops={}", s.deadline_drops)});
    }
  }
  if (!r.caches.empty()) {
    out += "\n  CACHES\n";
    for (const auto& c : r.caches) {
      out += wrap_fields("    " + leader(c.name, width),
                         {fmt::format("lookups={}", c.lookups),
                          fmt::format("hit ratio={:.1f}%", c.hit_ratio() * 100)},
                         indent);
    }
  }
  if (!r.queues.empty()) {
    out += "\n  QUEUES\n";
    for (const auto& q : r.queues) {
      out += wrap_fields(
          "    " + leader(q.name, width),
          {fmt::format("published={}", q.published), fmt::format("consumed={}", q.consumed),
           fmt::format("dead letters={}", q.dead_letters), fmt::format("depth max={}", q.depth_max),
           fmt::format("lag max={:.2f}s", q.lag_max_s)},
          indent);
    }
  }
  if (!r.autoscalers.empty()) {
    out += "\n  AUTOSCALERS\n";
    for (const auto& a : r.autoscalers) {
      out += fmt::format("    {}{} on {}: {} scale-ups, {} scale-downs\n", leader(a.name, width),
                         a.metric, a.service, a.scale_ups, a.scale_downs);
      constexpr std::size_t shown = 14;
      const auto changes = scale_changes(a);
      for (std::size_t k = 0; k < changes.size() && k < shown; ++k) {
        const stats::ScaleSample& h = *changes[k];
        out +=
            fmt::format("    {}t={:>6.0f}s  metric={:<6} desired={:<3} ready={:<3} starting={}\n",
                        std::string(width + 1, ' '), h.t_s, format_scale_metric(a, h), h.desired,
                        h.ready, h.starting);
      }
      if (changes.size() > shown) {
        out += fmt::format("    {}... {} more changes in results.json\n",
                           std::string(width + 1, ' '), changes.size() - shown);
      }
    }
  }
  if (r.cluster.is_modelled) {
    const auto& c = r.cluster;
    out += c.scales_down
               ? fmt::format(
                     "\n  CLUSTER\n    nodes: {} at start, {} at least, {} at most "
                     "({} added, {} removed)\n",
                     c.nodes_start, c.nodes_min, c.nodes_max, c.nodes_added, c.nodes_removed)
               : fmt::format("\n  CLUSTER\n    nodes: {} at start, {} at most ({} added)\n",
                             c.nodes_start, c.nodes_max, c.nodes_added);
    out += fmt::format("    pending pods: {} at most, {:.0f} pod-seconds waiting for a node\n",
                       c.pending_max, c.pending_pod_s);
    out += fmt::format("    node cores used: {:.1f}% (pods and neighbours, mean over the nodes)\n",
                       c.node_utilization_mean * 100);
  }
  bool any_breaker = false;
  for (const auto& e : r.edges) {
    if (e.breaker_opens == 0) {
      continue;
    }
    if (!any_breaker) {
      out += "\n  CIRCUIT BREAKERS\n";
      any_breaker = true;
    }
    out += fmt::format("    {} -> {}: opened {} times, open {:.1f}s\n", e.caller, e.target,
                       e.breaker_opens, e.breaker_open_s);
  }
  return out;
}

}  // namespace tailsim::report
