#include "tailsim/report/episode_text.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"
#include "tailsim/report/result_text.hpp"

namespace tailsim::report {

namespace {

/// The episodes the console lists at most; results.json has them all.
constexpr std::size_t console_episodes = 8;

std::string episode_seconds(double s) {
  return fmt::format("{:g} s", std::round(s * 10) / 10);
}

std::string episode_span(double from, double to) {
  return fmt::format("{:g}-{:g} s", std::round(from * 10) / 10, std::round(to * 10) / 10);
}

/// The called endpoint of "mid -> db.query".
std::string target_of(const std::string& edge) {
  const auto arrow = edge.find(" -> ");
  return arrow == std::string::npos ? edge : edge.substr(arrow + 4);
}

/// How large an episode is: its length, times how far it went.
double size_of(const stats::Episode& e) {
  const double tail = e.baseline_p99_ms > 0 ? std::max(1.0, e.p99_ms / e.baseline_p99_ms) : 1.0;
  const double errors = std::max(0.0, e.error_share - e.baseline_error_share);
  const double none = static_cast<double>(e.no_success_intervals) > 0 ? 10.0 : 0.0;
  return (e.end_s - e.start_s) * (tail + 10 * errors + none);
}

/// `line` broken at its ", " and "; " before column 80, continued lines
/// indented by six.
std::string wrapped(const std::string& line) {
  constexpr std::size_t columns = 80;
  std::string out = "    ";
  std::size_t width = out.size();
  std::size_t from = 0;
  while (from < line.size()) {
    std::size_t cut = line.find_first_of(",;:", from);
    cut = cut == std::string::npos ? line.size() : cut + 1;
    const std::string piece = line.substr(from, cut - from);
    if (width > 6 && width + piece.size() > columns && from > 0) {
      out += "\n      ";
      width = 6;
      out += piece.substr(piece.starts_with(' ') ? 1 : 0);
    } else {
      out += piece;
    }
    width += piece.size();
    from = cut;
  }
  return out + "\n";
}

}  // namespace

std::string episode_title(const stats::Episode& e) {
  return fmt::format("{} {}-{}", e.path, episode_seconds(e.start_s), episode_seconds(e.end_s));
}

std::string condition_text(const stats::EpisodeCondition& c) {
  if (c.kind == "fault") {
    return fmt::format("fault {} ({})", c.name, episode_span(c.start_s, c.end_s));
  }
  if (c.kind == "load_spike") {
    return fmt::format("load spike on {} {:.0f}/s (baseline {:.0f}/s, {})", c.entity, c.value,
                       c.baseline, episode_span(c.start_s, c.end_s));
  }
  if (c.kind == "retry_amplification") {
    return fmt::format("retries to {} x{:.1f}", target_of(c.entity), c.value);
  }
  if (c.kind == "scale_up" || c.kind == "scale_down") {
    return fmt::format("{} of {} {:g} -> {:g} ({})",
                       c.kind == "scale_up" ? "scale-up" : "scale-down", c.entity, c.baseline,
                       c.value,
                       c.start_s == c.end_s ? "at " + episode_seconds(c.start_s)
                                            : episode_span(c.start_s, c.end_s));
  }
  if (c.kind == "pods_starting") {
    return fmt::format("{:g} pod{} of {} starting", c.value, c.value == 1 ? "" : "s", c.entity);
  }
  if (c.kind == "throttling") {
    return fmt::format("{} throttled ({:.2g} pod-s/s)", c.entity, c.value);
  }
  if (c.kind == "node_contention") {
    return fmt::format("{} short of node cores ({:.2g} s/s)", c.entity, c.value);
  }
  if (c.kind == "gc_pauses") {
    return fmt::format("{} GC pauses ({:.2g} pod-s/s)", c.entity, c.value);
  }
  if (c.kind == "oom_kills") {
    return fmt::format("{:g} OOM kill{} of {}", c.value, c.value == 1 ? "" : "s", c.entity);
  }
  if (c.kind == "hit_ratio_drop") {
    return fmt::format("{} hit ratio {:.0f}% (baseline {:.0f}%)", c.entity, 100 * c.value,
                       100 * c.baseline);
  }
  if (c.kind == "queue_lag") {
    return fmt::format("{} lag {}", c.entity, format_ms(c.value * 1000));
  }
  if (c.kind == "breaker_open") {
    return fmt::format("breaker open on {}", c.entity);
  }
  return fmt::format("{} {}", c.kind, c.entity);
}

std::string episode_line(const stats::Episode& e) {
  std::string out = episode_title(e) + ": ";
  if (e.p99_ms > 0) {
    out += fmt::format("p99 {} (baseline {})", format_ms(e.p99_ms), format_ms(e.baseline_p99_ms));
  } else {
    out += fmt::format("no request succeeded (baseline p99 {})", format_ms(e.baseline_p99_ms));
  }
  if (e.error_share >= 0.005 || e.baseline_error_share >= 0.005) {
    out += fmt::format(", {:.0f}% errors", 100 * e.error_share);
    if (e.baseline_error_share >= 0.005) {
      out += fmt::format(" (baseline {:.0f}%)", 100 * e.baseline_error_share);
    }
  }
  if (e.p99_ms > 0 && e.no_success_intervals > 0) {
    out += fmt::format(", {} interval{} without a success", e.no_success_intervals,
                       e.no_success_intervals == 1 ? "" : "s");
  }
  bool first = true;
  for (const stats::EpisodeCondition& c : e.conditions) {
    out += first ? ", during " : ", ";
    out += condition_text(c);
    first = false;
  }
  std::string causes;
  for (const stats::AttributionPart& part : e.causes) {
    if (part.share < 0.1 || part.what == "unaccounted") {
      continue;
    }
    causes +=
        fmt::format("{}{}{}{} {:.0f}%", causes.empty() ? "; " : ", ", part.entity,
                    part.entity.empty() ? "" : " ", attribution_label(part.what), 100 * part.share);
  }
  return out + causes;
}

std::string verdict_line(const stats::MetastableVerdict& v) {
  if (v.recovered) {
    return fmt::format("{} recovered {} after {} ended at {}", v.path,
                       episode_seconds(std::max(0.0, v.recovered_s - v.trigger_end_s)), v.trigger,
                       episode_seconds(v.trigger_end_s));
  }
  return fmt::format("{} did not recover after {} ended at {}: metastable, {}", v.path, v.trigger,
                     episode_seconds(v.trigger_end_s),
                     v.sustained_by.empty() ? "no loop found" : "sustained by " + v.sustained_by);
}

std::vector<const stats::Episode*> episodes_to_show(const std::vector<stats::Episode>& episodes,
                                                    std::size_t most) {
  std::vector<const stats::Episode*> out;
  for (const stats::Episode& e : episodes) {
    out.push_back(&e);
  }
  if (out.size() > most) {
    std::stable_sort(out.begin(), out.end(),
                     [](const auto* a, const auto* b) { return size_of(*a) > size_of(*b); });
    out.resize(most);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* a, const auto* b) { return a->start_s < b->start_s; });
  return out;
}

std::string episodes_section(const stats::Results& r) {
  if (r.episodes.empty()) {
    return {};
  }
  std::string out = "\n  WHAT HAPPENED  (episodes: p99 or errors beyond their baseline's noise)\n";
  for (const stats::Episode* e : episodes_to_show(r.episodes, console_episodes)) {
    out += wrapped(episode_line(*e));
  }
  if (r.episodes.size() > console_episodes) {
    out += fmt::format("    ... and {} shorter or milder episodes in results.json\n",
                       r.episodes.size() - console_episodes);
  }
  for (const stats::MetastableVerdict& v : r.feedback.metastable) {
    out += wrapped(verdict_line(v));
  }
  return out;
}

}  // namespace tailsim::report
