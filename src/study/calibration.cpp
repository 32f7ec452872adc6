#include "tailsim/study/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "tailsim/import/model_writer.hpp"
#include "tailsim/stats/batch_intervals.hpp"

namespace tailsim::study {
namespace {

constexpr double unknown = std::numeric_limits<double>::quiet_NaN();
constexpr double ms_per_ns = 1e-6;
/// Trace timestamps have microseconds (Jaeger, Zipkin): a latency is known
/// to within one, whatever the tolerance says.
constexpr double trace_resolution_ms = 1e-3;

/// The percentile of each latency figure.
constexpr double percentile_of(Figure figure) {
  switch (figure) {
    case Figure::p50:
      return 50;
    case Figure::p90:
      return 90;
    case Figure::p99:
      return 99;
    default:
      return 0;
  }
}

/// Whether the gap between the simulated and the observed value is within
/// their noise: at most the root sum of squares of the half-widths of
/// their intervals that face each other. Each half-width is z standard
/// errors, and so is the root sum of squares of the gap between two
/// independent estimates. An unbounded half-width (a NaN upper end) is.
bool within_noise(const FigureCheck& c) {
  const bool above = c.simulated >= c.observed;
  const double observed_half = above ? c.observed_high - c.observed : c.observed - c.observed_low;
  const double simulated_half =
      above ? c.simulated - c.simulated_low : c.simulated_high - c.simulated;
  if (std::isnan(observed_half) || std::isnan(simulated_half)) {
    return true;
  }
  return std::abs(c.simulated - c.observed) <= std::hypot(observed_half, simulated_half);
}

/// The observed side of a path or an edge: its requests or calls.
struct Observed {
  struct Request {
    std::int64_t start_ns = 0;
    Duration latency{0};  ///< successes only
    bool failed = false;
  };
  std::vector<Request> requests;

  /// Adds evidence's successes and failures. Evidence without start times
  /// (built by hand) keeps the order given, its failures after its successes.
  void add(std::span<const Duration> latency, std::span<const std::int64_t> latency_start_ns,
           std::size_t failures, std::span<const std::int64_t> failure_start_ns) {
    const bool timed = latency_start_ns.size() == latency.size();
    for (std::size_t i = 0; i < latency.size(); ++i) {
      requests.push_back({timed ? latency_start_ns[i] : 0, latency[i], false});
    }
    const bool failures_timed = failure_start_ns.size() == failures;
    for (std::size_t i = 0; i < failures; ++i) {
      requests.push_back({failures_timed ? failure_start_ns[i] : 0, Duration{0}, true});
    }
  }
};

/// The simulated side.
struct Simulated {
  stats::Histogram latency;
  /// Per time-series interval, the successes and failures that finished in
  /// it: the batches of its intervals (empty when the run kept none).
  std::vector<stats::IntervalTally> tallies;
  std::uint64_t finished = 0;
  std::uint64_t failed = 0;
};

/// Both sides of a path or an edge, as they are gathered.
struct Sides {
  Observed observed;
  Simulated simulated;
  bool traced = false;
  bool modelled = false;
};

void compare(CalibrationItem& item, Observed observed, const Simulated& simulated,
             const CalibrationTolerance& tolerance, const stats::BatchIntervals& intervals);

/// The item for `name`: compared when both sides have it, else with the
/// problem of the side that lacks it.
CalibrationItem make_item(std::string name, Sides& sides, const char* not_in_model,
                          const char* not_in_traces, const CalibrationTolerance& tolerance,
                          const stats::BatchIntervals& intervals) {
  CalibrationItem item;
  item.name = std::move(name);
  item.in_traces = sides.traced;
  item.in_model = sides.modelled;
  if (!item.in_model) {
    item.problem = not_in_model;
    item.observed_count = sides.observed.requests.size();
  } else if (!item.in_traces) {
    item.problem = not_in_traces;
    item.simulated_count = sides.simulated.finished;
  } else {
    compare(item, std::move(sides.observed), sides.simulated, tolerance, intervals);
  }
  return item;
}

/// Compares one item's figures. The observed intervals come from the
/// requests in time order (stats::BatchIntervals); the simulated ones from
/// the histogram, widened by the batch means of the run's intervals when it
/// kept their tallies (BatchIntervals::tallied_mean and tallied_share).
void compare(CalibrationItem& item, Observed observed, const Simulated& simulated,
             const CalibrationTolerance& tolerance, const stats::BatchIntervals& intervals) {
  std::stable_sort(observed.requests.begin(), observed.requests.end(),
                   [](const Observed::Request& a, const Observed::Request& b) {
                     return a.start_ns < b.start_ns;
                   });
  std::vector<double> in_order;  // successes' latencies in ns, in time order
  std::vector<std::uint8_t> failed_in_order;
  failed_in_order.reserve(observed.requests.size());
  std::size_t failed = 0;
  for (const Observed::Request& r : observed.requests) {
    failed_in_order.push_back(r.failed ? 1 : 0);
    if (r.failed) {
      ++failed;
    } else {
      in_order.push_back(static_cast<double>(r.latency.count()));
    }
  }
  std::vector<double> ascending = in_order;
  std::sort(ascending.begin(), ascending.end());
  const std::size_t n = ascending.size();
  item.observed_count = observed.requests.size();
  item.simulated_count = simulated.finished;

  // The simulated side's intervals: its requests taken as independent, or,
  // when the run kept its intervals' tallies, widened by their batch means
  // as far as the run's requests are correlated.
  const stats::BatchIntervals::TalliedMean simulated_mean =
      intervals.tallied_mean(simulated.tallies, simulated.latency.mean(),
                             simulated.latency.stddev(), simulated.latency.count());
  auto latency_check = [&](Figure figure) {
    FigureCheck check;
    check.figure = figure;
    check.tolerance = figure == Figure::p99 ? tolerance.p99 : tolerance.latency;
    if (n == 0 || simulated.latency.count() == 0) {
      check.verdict = FigureVerdict::no_data;
      check.observed = check.simulated = check.observed_low = check.observed_high =
          check.simulated_low = check.simulated_high = unknown;
      if (n > 0) {
        // The traces have successes the model never produces.
        check.observed = stats::nearest_rank(ascending, 0.5) * ms_per_ns;
        check.verdict = FigureVerdict::off;
      }
      return check;
    }
    const stats::Interval interval =
        figure == Figure::mean
            ? intervals.mean(in_order)
            : intervals.quantile(in_order, ascending, percentile_of(figure) / 100);
    const stats::Histogram& sim = simulated.latency;
    stats::Interval simulated_interval;
    if (figure == Figure::mean) {
      double sum = 0;
      for (const double v : in_order) {
        sum += v;
      }
      check.observed = sum / static_cast<double>(n) * ms_per_ns;
      check.simulated = sim.mean() * ms_per_ns;
      simulated_interval = simulated_mean.interval;
    } else {
      const double q = percentile_of(figure) / 100;
      check.observed = stats::nearest_rank(ascending, q) * ms_per_ns;
      check.simulated =
          static_cast<double>(sim.value_at_percentile(percentile_of(figure))) * ms_per_ns;
      // The values of the bounding ranks, read back through their percentiles.
      const auto m = static_cast<double>(sim.count());
      const stats::Interval ranks =
          intervals.quantile_ranks(sim.count(), q, simulated_mean.variance_ratio);
      simulated_interval.low =
          ranks.low < 1 ? 0.0 : static_cast<double>(sim.value_at_percentile(100 * ranks.low / m));
      simulated_interval.high =
          ranks.high > m ? unknown
                         : static_cast<double>(sim.value_at_percentile(100 * ranks.high / m));
    }
    check.observed_low = interval.low * ms_per_ns;
    check.observed_high = interval.high * ms_per_ns;
    check.simulated_low = simulated_interval.low * ms_per_ns;
    check.simulated_high = simulated_interval.high * ms_per_ns;
    const double gap = check.simulated - check.observed;
    check.difference = check.observed > 0 ? gap / check.observed : (gap == 0 ? 0 : unknown);
    if (std::abs(gap) <= check.tolerance * check.observed + trace_resolution_ms) {
      check.verdict = FigureVerdict::ok;
    } else if (within_noise(check)) {
      check.verdict = FigureVerdict::in_noise;
    } else {
      check.verdict = FigureVerdict::off;
    }
    return check;
  };
  for (const Figure figure : {Figure::mean, Figure::p50, Figure::p90, Figure::p99}) {
    item.figures.push_back(latency_check(figure));
  }

  FigureCheck errors;
  errors.figure = Figure::errors;
  errors.tolerance = tolerance.errors;
  if (item.observed_count == 0 || simulated.finished == 0) {
    errors.observed = errors.simulated = errors.observed_low = errors.observed_high =
        errors.simulated_low = errors.simulated_high = unknown;
    errors.verdict = item.observed_count > 0 ? FigureVerdict::off : FigureVerdict::no_data;
  } else {
    errors.observed = static_cast<double>(failed) / static_cast<double>(item.observed_count);
    errors.simulated =
        static_cast<double>(simulated.failed) / static_cast<double>(simulated.finished);
    const stats::Interval interval = intervals.share(failed_in_order);
    errors.observed_low = interval.low;
    errors.observed_high = interval.high;
    const stats::Interval simulated_interval =
        intervals.tallied_share(simulated.tallies, simulated.failed, simulated.finished);
    errors.simulated_low = simulated_interval.low;
    errors.simulated_high = simulated_interval.high;
    errors.difference = errors.simulated - errors.observed;
    errors.verdict = std::abs(errors.difference) <= errors.tolerance + 1e-12 ? FigureVerdict::ok
                     : within_noise(errors) ? FigureVerdict::in_noise
                                            : FigureVerdict::off;
  }
  item.figures.push_back(errors);

  // The CDF keeps evenly spaced order statistics.
  const std::size_t kept = std::min(n, max_cdf_samples);
  item.observed_sorted.reserve(kept);
  for (std::size_t i = 0; i < kept; ++i) {
    item.observed_sorted.emplace_back(
        static_cast<std::int64_t>(ascending[kept == n ? i : i * (n - 1) / (max_cdf_samples - 1)]));
  }
  item.simulated = simulated.latency;
}

/// Requests that entered the system, traced and simulated: what an edge's
/// calls are counted against when the run made none.
struct Exposure {
  std::size_t traced = 0;
  std::uint64_t simulated = 0;
  double alpha = 0.05;  ///< a figure's chance of a false alarm
};

/// Why an edge with `traced` calls in the traces and none in the run is
/// not compared, when that is within the noise: with the same calls per
/// request on both sides, each of the traced + 0 calls falls on the traced
/// side with probability p = T / (T + S) (T traced and S simulated requests,
/// counts taken as Poisson), so all of them do with probability p^traced.
/// None when that is below `alpha`: the run lacks a call the traces make.
std::optional<std::string> too_rare_to_tell(std::size_t traced, const Exposure& exposure) {
  if (traced == 0 || exposure.traced == 0 || exposure.simulated == 0) {
    return std::nullopt;
  }
  const double p = static_cast<double>(exposure.traced) /
                   (static_cast<double>(exposure.traced) + static_cast<double>(exposure.simulated));
  const double chance = std::pow(p, static_cast<double>(traced));
  if (chance < exposure.alpha) {
    return std::nullopt;
  }
  return fmt::format(
      "{} traced call{}, none simulated: too rare to compare ({} requests traced, {} simulated; "
      "a call as rare is missed by the run {:.2g} of the time)",
      traced, traced == 1 ? "" : "s", exposure.traced, exposure.simulated, chance);
}

/// The model's name for an endpoint the traces name: as `tailsim import` writes it.
std::string model_endpoint_name(const import::EndpointEvidence& endpoint) {
  return import::sanitize_model_name(endpoint.service) + "." +
         import::sanitize_model_name(endpoint.name);
}

/// Adds a simulated path's or edge's figures to `sides`. Requests or calls
/// still unfinished at the end have no outcome: they are left out.
void add_simulated(Sides& sides, const stats::Histogram& latency,
                   const std::vector<stats::IntervalTally>& tallies,
                   const stats::OutcomeCounts& outcomes) {
  const std::uint64_t finished = outcomes.total() - outcomes[stats::Outcome::unfinished];
  sides.simulated.latency.merge(latency);
  std::vector<stats::IntervalTally>& sum = sides.simulated.tallies;
  sum.resize(std::max(sum.size(), tallies.size()));
  for (std::size_t i = 0; i < tallies.size(); ++i) {
    sum[i].count += tallies[i].count;
    sum[i].sum_ns += tallies[i].sum_ns;
    sum[i].failed += tallies[i].failed;
  }
  sides.simulated.finished += finished;
  sides.simulated.failed += finished - outcomes[stats::Outcome::ok];
  sides.modelled = true;
}

}  // namespace

const char* figure_name(Figure figure) {
  switch (figure) {
    case Figure::mean:
      return "mean";
    case Figure::p50:
      return "p50";
    case Figure::p90:
      return "p90";
    case Figure::p99:
      return "p99";
    case Figure::errors:
      return "errors";
  }
  return "?";
}

const char* figure_verdict_name(FigureVerdict verdict) {
  switch (verdict) {
    case FigureVerdict::ok:
      return "ok";
    case FigureVerdict::in_noise:
      return "ok (noise)";
    case FigureVerdict::off:
      return "OFF";
    case FigureVerdict::no_data:
      return "no data";
  }
  return "?";
}

bool CalibrationItem::passes() const {
  if (in_traces && !in_model) {
    return false;
  }
  return std::none_of(figures.begin(), figures.end(),
                      [](const FigureCheck& f) { return f.verdict == FigureVerdict::off; });
}

std::size_t Calibration::figures_compared() const {
  std::size_t n = 0;
  for (const auto* items : {&paths, &edges}) {
    for (const auto& item : *items) {
      n += static_cast<std::size_t>(
          std::count_if(item.figures.begin(), item.figures.end(),
                        [](const FigureCheck& f) { return f.verdict != FigureVerdict::no_data; }));
    }
  }
  return n;
}

std::size_t Calibration::failures() const {
  std::size_t n = 0;
  for (const auto* items : {&paths, &edges}) {
    for (const auto& item : *items) {
      if (item.in_traces && !item.in_model) {
        ++n;
      }
      n += static_cast<std::size_t>(
          std::count_if(item.figures.begin(), item.figures.end(),
                        [](const FigureCheck& f) { return f.verdict == FigureVerdict::off; }));
    }
  }
  return n;
}

std::vector<std::string> apply_traced_rates(model::Model& m,
                                            const import::TraceEvidence& evidence) {
  std::map<std::string, const import::WorkloadEvidence*> traced;
  for (const auto& w : evidence.workloads) {
    traced.emplace(model_endpoint_name(evidence.endpoints[w.endpoint]), &w);
  }
  std::vector<std::string> notes;
  for (auto& w : m.workloads) {
    const auto found = traced.find(w.entry.full_name());
    if (found == traced.end()) {
      notes.push_back(fmt::format("workload '{}': no trace enters at {}; its rate is the model's",
                                  w.name.value, w.entry.full_name()));
      continue;
    }
    const import::WorkloadEvidence& evidence_of = *found->second;
    if (!evidence_of.rate_per_s) {
      notes.push_back(fmt::format(
          "workload '{}': the traces' rate is unknown (their entries span no time); its rate is "
          "the model's",
          w.name.value));
      continue;
    }
    if (w.kind != model::WorkloadKind::open || !w.trace.empty()) {
      notes.push_back(fmt::format(
          "workload '{}' is not an open workload at a rate; it runs as the model says (the "
          "traces show {:.4g}/s)",
          w.name.value, *evidence_of.rate_per_s));
      continue;
    }
    const bool had_shape = !w.schedule.empty() || w.bursts.has_value();
    w.rate = model::Located<double>{*evidence_of.rate_per_s, w.entry.loc};
    w.schedule.clear();
    w.bursts.reset();
    notes.push_back(fmt::format("workload '{}' runs at the traced {:.4g}/s{}", w.name.value,
                                *evidence_of.rate_per_s,
                                had_shape ? " (its schedule or bursts set aside)" : ""));
  }
  return notes;
}

Calibration calibrate(const import::TraceEvidence& evidence, const model::Model& m,
                      const stats::Results& results, const CalibrationTolerance& tolerance) {
  Calibration out;
  out.tolerance = tolerance;
  out.traces = evidence.counts.traces_kept;

  // Paths: by entry endpoint. Model workloads that share an entry are one
  // path for the traces, which cannot tell them apart.
  std::map<std::string, Sides> paths;
  std::map<std::string, std::string> workload_of;
  for (const auto& w : evidence.workloads) {
    Sides& sides = paths[model_endpoint_name(evidence.endpoints[w.endpoint])];
    sides.observed.add(w.latency, w.latency_start_ns, w.failed, w.failure_start_ns);
    sides.traced = true;
  }
  for (std::size_t i = 0; i < m.workloads.size() && i < results.paths.size(); ++i) {
    const std::string entry = m.workloads[i].entry.full_name();
    add_simulated(paths[entry], results.paths[i].latency, results.paths[i].interval_tallies,
                  results.paths[i].outcomes);
    std::string& names = workload_of[entry];
    names += (names.empty() ? "" : ", ") + m.workloads[i].name.value;
  }
  // Edges: a caller service's calls to an endpoint, over all its endpoints.
  std::map<std::string, Sides> edges;
  for (const auto& caller : evidence.endpoints) {
    for (const auto& site : caller.calls) {
      if (site.calls > 0 && site.producer_calls == site.calls) {
        continue;  // messages to a queue: the model publishes, the queue's path has them
      }
      Sides& sides = edges[import::sanitize_model_name(caller.service) + " -> " +
                           model_endpoint_name(evidence.endpoints[site.callee])];
      sides.observed.add(site.latency, site.latency_start_ns, site.failed_calls,
                         site.failure_start_ns);
      sides.traced = true;
    }
  }
  for (const auto& edge : results.edges) {
    if (edge.caller.find('/') != std::string::npos) {
      continue;  // a workload's client or a queue's consumer: the paths cover them
    }
    add_simulated(edges[edge.caller + " -> " + edge.target], edge.latency, edge.interval_tallies,
                  edge.outcomes);
  }
  // Each figure's interval is at the level that makes the whole family of
  // figures 95% (Bonferroni): a right model passes every figure 95 times in
  // 100, however many paths and edges it has.
  std::size_t compared = 0;
  for (const auto* sides_of : {&paths, &edges}) {
    for (const auto& [name, sides] : *sides_of) {
      compared += sides.traced && sides.modelled ? figure_count : 0;
    }
  }
  const stats::BatchIntervals intervals(tolerance.family_error /
                                        static_cast<double>(std::max<std::size_t>(compared, 1)));
  out.interval_z = intervals.z();
  out.interval_t = intervals.t();
  // An edge the traces show that the run never called may be one too rare
  // for either side to see reliably: its figures are then unknown, not off.
  // (Counted before the paths' items take their requests.)
  Exposure exposure;
  for (const auto& [entry, sides] : paths) {
    exposure.traced += sides.observed.requests.size();
    exposure.simulated += sides.simulated.finished;
  }
  exposure.alpha = intervals.alpha();
  for (auto& [entry, sides] : paths) {
    CalibrationItem item = make_item(entry, sides, "the model has no workload entering here",
                                     "no trace enters here", tolerance, intervals);
    item.workload = workload_of[entry];
    out.paths.push_back(std::move(item));
  }

  for (auto& [key, sides] : edges) {
    CalibrationItem item = make_item(key, sides, "the model makes no such call",
                                     "no trace shows this call", tolerance, intervals);
    if (item.in_traces && item.in_model && item.simulated_count == 0) {
      if (const auto rare = too_rare_to_tell(item.observed_count, exposure)) {
        item.problem = *rare;
        item.figures.clear();
      }
    }
    out.edges.push_back(std::move(item));
  }
  return out;
}

}  // namespace tailsim::study
