#include "tailsim/report/console_report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tailsim/report/result_text.hpp"

namespace tailsim::report {
namespace {

using stats::Outcome;

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

}  // namespace

std::string format_ms(double ms) {
  if (ms < 1.0) {
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
  if (!r.slos.empty()) {
    out += "  SLOS\n";
    for (const auto& s : r.slos) {
      out += fmt::format("    {} {} '{}' {}={}\n",
                         s.ok ? paint(style, "32", "✓") : paint(style, "31", "✗"), s.path, s.check,
                         slo_term(s.check), format_slo_value(s));
    }
    out += "\n";
  }

  std::size_t width = 12;
  for (const auto& p : r.paths) {
    width = std::max(width, p.name.size() + 4);
  }
  out += "  PATHS\n";
  for (const auto& p : r.paths) {
    const auto& h = p.latency;
    auto at = [&](double q) {
      return h.count() ? format_ms(static_cast<double>(h.value_at_percentile(q)) * 1e-6)
                       : std::string("-");
    };
    const std::uint64_t failed =
        p.requests >= p.outcomes[Outcome::ok] ? p.requests - p.outcomes[Outcome::ok] : 0;
    const double error_pct =
        p.requests ? 100.0 * static_cast<double>(failed) / static_cast<double>(p.requests) : 0.0;
    out +=
        fmt::format("    {}mean={} p50={} p90={} p99={} p99.9={} max={}\n", leader(p.name, width),
                    h.count() ? format_ms(h.mean() * 1e-6) : "-", at(50), at(90), at(99), at(99.9),
                    h.count() ? format_ms(static_cast<double>(h.max()) * 1e-6) : "-");
    std::string error_detail;
    for (auto [kind, name] : {std::pair{Outcome::timeout, "timeout"},
                              {Outcome::rejected, "rejected"},
                              {Outcome::error, "error"},
                              {Outcome::unavailable, "unavailable"},
                              {Outcome::unfinished, "unfinished"}}) {
      if (p.outcomes[kind] > 0) {
        error_detail += fmt::format(" {}={}", name, p.outcomes[kind]);
      }
    }
    out += fmt::format("    {}requests={} ok={} errors={} ({:.2f}%){} {:.1f}/s\n",
                       std::string(width + 1, ' '), p.requests, p.outcomes[Outcome::ok], failed,
                       error_pct, error_detail, p.throughput_rps);
    if (p.analytic_mean_ms) {
      out += fmt::format("    {}analytic estimate: mean={}\n", std::string(width + 1, ' '),
                         format_ms(*p.analytic_mean_ms));
    }
    if (p.attempts > p.requests && p.requests > 0) {
      out += fmt::format("    {}attempts per request={:.2f} retried={:.1f}%\n",
                         std::string(width + 1, ' '),
                         static_cast<double>(p.attempts) / static_cast<double>(p.requests),
                         100.0 * static_cast<double>(p.retried) / static_cast<double>(p.requests));
    }
  }

  width = 12;
  for (const auto& s : r.services) {
    width = std::max(width, s.name.size() + 4);
  }
  out += "\n  SERVICES\n";
  for (const auto& s : r.services) {
    if (s.is_external) {
      out += fmt::format("    {}requests={} rejected={} (external)\n", leader(s.name, width),
                         s.requests, s.rejected);
      continue;
    }
    const std::string replicas =
        s.replicas.min == s.replicas.max
            ? fmt::format("{:g}", s.replicas.mean)
            : fmt::format("{:.1f} ({:g}-{:g})", s.replicas.mean, s.replicas.min, s.replicas.max);
    out += fmt::format(
        "    {}requests={} utilization={:.1f}% queue={:.2f} rejected={} "
        "replicas={}\n",
        leader(s.name, width), s.requests, s.utilization * 100, s.queue_mean, s.rejected, replicas);
    if (s.has_cfs) {
      out += fmt::format("    {}cpu.stat: periods={} throttled={} throttled time={:.1f}s\n",
                         std::string(width + 1, ' '), s.cfs_periods, s.cfs_throttled_periods,
                         s.throttled_s);
    }
    if (s.hedges > 0) {
      out += fmt::format("    {}hedges sent={} won={}\n", std::string(width + 1, ' '), s.hedges,
                         s.hedges_won);
    }
    if (s.retries > 0 || s.orphaned > 0 || s.deadline_drops > 0) {
      out += fmt::format(
          "    {}goodput={:.1f}/s wasted cpu={:.1f}s orphaned={} retries={} (refused {}) "
          "deadline drops={}\n",
          std::string(width + 1, ' '), s.goodput_rps, s.wasted_cpu_s, s.orphaned, s.retries,
          s.retries_refused, s.deadline_drops);
    }
  }
  if (!r.caches.empty()) {
    out += "\n  CACHES\n";
    for (const auto& c : r.caches) {
      out += fmt::format("    {}lookups={} hit ratio={:.1f}%\n", leader(c.name, width), c.lookups,
                         c.hit_ratio() * 100);
    }
  }
  if (!r.queues.empty()) {
    out += "\n  QUEUES\n";
    for (const auto& q : r.queues) {
      out += fmt::format(
          "    {}published={} consumed={} dead letters={} depth max={} lag max={:.2f}s\n",
          leader(q.name, width), q.published, q.consumed, q.dead_letters, q.depth_max, q.lag_max_s);
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
    out += fmt::format(
        "\n  CLUSTER\n    nodes {} at start, {} at most ({} added); pending pods: {} at most, "
        "{:.0f} pod-seconds\n",
        r.cluster.nodes_start, r.cluster.nodes_max, r.cluster.nodes_added, r.cluster.pending_max,
        r.cluster.pending_pod_s);
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
