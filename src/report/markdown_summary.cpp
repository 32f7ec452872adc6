#include "tailsim/report/markdown_summary.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"
#include "tailsim/report/episode_text.hpp"
#include "tailsim/report/slo_text.hpp"

namespace tailsim::report {
namespace {

// The services table lists the busiest this many.
constexpr std::size_t services_shown = 5;

/// `text` as the content of a table cell, read literally: each character
/// that could start markup inside a line (emphasis, code, links, HTML,
/// entities, strikethrough) and the cell separator `|` is backslash-escaped,
/// as CommonMark allows before any ASCII punctuation; a line break becomes a
/// space, since it would end the row.
std::string cell(std::string_view text) {
  constexpr std::string_view markup = "\\`*_[]<>|&~";
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (markup.find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string slo_section(const stats::Results& r, const SloStudy& study) {
  if (r.slos.empty()) {
    return "No SLOs to check: add an `slos:` section to the model to gate on its results.\n\n";
  }
  const bool compared = !study.baseline.empty();
  std::string out = compared
                        ? "| | path | check | B | A | B - A, verdict |\n| :-: | --- | --- | --: | "
                          "--: | --- |\n"
                        : "| | path | check | measured |\n| :-: | --- | --- | --: |\n";
  for (std::size_t i = 0; i < r.slos.size(); ++i) {
    const stats::SloResult& s = r.slos[i];
    const SloStudyCheck* check = i < study.checks.size() ? &study.checks[i] : nullptr;
    out += fmt::format("| {} | {} | {} | {} |", s.ok ? "✅" : "❌", cell(s.path), cell(s.check.text),
                       check ? cell(format_slo_estimate(s, *check)) : format_slo_measured(r, s));
    if (compared && check) {
      // "A 310.0ms ± 2.1ms, B - A +10.0ms ± 1.5ms: verdict" split into its cells.
      const std::string baseline = format_slo_baseline(s, *check);
      const std::size_t comma = baseline.find(", B - A ");
      out += fmt::format(" {} | {} |", cell(baseline.substr(2, comma - 2)),
                         cell(baseline.substr(comma + 8)));
    }
    out += "\n";
  }
  return out + "\n";
}

std::string path_section(const stats::Results& r, bool replicated) {
  if (r.paths.empty()) {
    return {};
  }
  std::string out = std::string("### Request paths") +
                    (replicated ? " (replication 0, the plain run)" : "") +
                    "\n\n| path | requests | errors | p50 | p99 | throughput |\n"
                    "| --- | --: | --: | --: | --: | --: |\n";
  for (const auto& p : r.paths) {
    const auto latency = [&](double q) {
      return p.latency.count() ? format_ms(stats::latency_ms_at(p, q)) : std::string("–");
    };
    const std::uint64_t failed = p.outcomes.failed();
    out += fmt::format(
        "| {} | {} | {} ({:.2f}%) | {} | {} | {:.1f}/s |\n", cell(p.name), p.requests, failed,
        p.requests ? 100.0 * static_cast<double>(failed) / static_cast<double>(p.requests) : 0.0,
        latency(50), latency(99), p.throughput_rps);
  }
  return out + "\n";
}

std::string service_section(const stats::Results& r) {
  std::vector<const stats::ServiceResult*> busiest;
  for (const auto& s : r.services) {
    if (!s.is_external) {
      busiest.push_back(&s);
    }
  }
  if (busiest.empty()) {
    return {};
  }
  // Stable, so services equally busy keep the model's order.
  std::stable_sort(busiest.begin(), busiest.end(),
                   [](const auto* a, const auto* b) { return a->utilization > b->utilization; });
  busiest.resize(std::min(busiest.size(), services_shown));
  std::string out = fmt::format(
      "### Busiest services\n\n| service | CPU utilization | replicas (mean) | queue (mean) | "
      "rejected |\n| --- | --: | --: | --: | --: |\n");
  for (const auto* s : busiest) {
    out += fmt::format("| {} | {:.1f}% | {:.1f} | {:.2f} | {} |\n", cell(s->name),
                       s->utilization * 100, s->replicas.mean, s->queue_mean, s->rejected);
  }
  if (r.services.size() > busiest.size()) {
    out += "\nThe rest are in results.json and report.html.\n";
  }
  return out + "\n";
}

/// The run's episodes and verdicts, a bullet each (the console's WHAT
/// HAPPENED): what a CI reviewer reads first when a check fails.
std::string episode_section(const stats::Results& r) {
  if (r.episodes.empty()) {
    return {};
  }
  constexpr std::size_t shown = 5;
  std::string out = "### What happened\n\n";
  for (const stats::Episode* e : episodes_to_show(r.episodes, shown)) {
    out += "- " + cell(episode_line(*e)) + "\n";
  }
  for (const stats::MetastableVerdict& v : r.feedback.metastable) {
    out += fmt::format("- {} {}\n", v.recovered ? "✅" : "❌", cell(verdict_line(v)));
  }
  if (r.episodes.size() > shown) {
    out += fmt::format("\n{} more episodes are in results.json and report.html.\n",
                       r.episodes.size() - shown);
  }
  return out + "\n";
}

}  // namespace

std::string format_markdown_summary(const stats::Results& r, const SloStudy& study) {
  const auto failed = static_cast<std::size_t>(
      std::count_if(r.slos.begin(), r.slos.end(), [](const stats::SloResult& s) { return !s.ok; }));
  std::string verdict;
  if (r.slos.empty()) {
    verdict = "✅ tailsim: the run finished; no SLOs to check";
  } else if (failed == 0) {
    verdict = fmt::format("✅ tailsim: all {} SLO checks passed", r.slos.size());
  } else {
    verdict = fmt::format("❌ tailsim: {} of {} SLO checks failed", failed, r.slos.size());
  }
  std::string out = fmt::format(
      "## {}\n\nModel **{}** · seed {} · {} measured after {} warm-up · tailsim {}\n\n", verdict,
      cell(r.model.empty() ? std::string("(unnamed)") : r.model), r.seed,
      format_sim_seconds(r.duration_s), format_sim_seconds(r.warmup_s), TAILSIM_VERSION);
  if (!study.checks.empty()) {
    out += fmt::format(
        "Each check on the mean of {} replications, ± the half-width of its 95% "
        "interval{}.\n\n",
        study.checks.front().replications,
        study.baseline.empty()
            ? std::string()
            : fmt::format("; A is **{}**, compared on the same seeds", cell(study.baseline)));
  }
  out += slo_section(r, study);
  out += path_section(r, !study.checks.empty());
  out += episode_section(r);
  out += service_section(r);
  return out;
}

}  // namespace tailsim::report
