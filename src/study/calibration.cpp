#include "tailsim/study/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "tailsim/import/model_writer.hpp"

namespace tailsim::study {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double ms_per_ns = 1e-6;
/// Trace timestamps have microseconds (Jaeger, Zipkin): a latency is known
/// to within one, whatever the tolerance says.
constexpr double trace_resolution_ms = 1e-3;

/// The standard normal distribution's quantile: Acklam's rational
/// approximation (relative error 1.15e-9), refined by one step of Halley's
/// method on erfc, which brings it to the double's precision. 0 < p < 1.
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x = 0;
  if (p < p_low || p > 1 - p_low) {
    const double q = std::sqrt(-2 * std::log(p < p_low ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    x = p < p_low ? x : -x;
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

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

/// The value of rank max(1, ceil(q n)) (1-based) of `sorted`: the nearest-rank
/// percentile, as stats::Histogram reads it.
Duration nearest_rank(std::span<const Duration> sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n - 1e-9)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

/// The distribution-free 95% interval of the q quantile from n sorted
/// samples: the order statistics of ranks n q -+ z sqrt(n q (1 - q)) (the
/// normal approximation of the binomial count of samples below the
/// quantile). A rank beyond the samples leaves that end open (NaN).
std::pair<double, double> quantile_interval_ms(std::span<const Duration> sorted, double q,
                                               double z) {
  const auto n = static_cast<double>(sorted.size());
  const double spread = z * std::sqrt(n * q * (1 - q));
  const double low_rank = std::floor(n * q - spread);
  const double high_rank = std::ceil(n * q + spread) + 1;
  const double low =
      low_rank < 1
          ? 0.0
          : static_cast<double>(sorted[static_cast<std::size_t>(low_rank) - 1].count()) * ms_per_ns;
  const double high =
      high_rank > n ? nan
                    : static_cast<double>(sorted[static_cast<std::size_t>(high_rank) - 1].count()) *
                          ms_per_ns;
  return {low, high};
}

/// The Wilson score interval of a share of `k` in `n`, `z` standard
/// deviations wide.
std::pair<double, double> share_interval(std::size_t k, std::size_t n, double z) {
  if (n == 0) {
    return {nan, nan};
  }
  const auto nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

bool inside(double value, double low, double high) {
  return value >= low && (std::isnan(high) || value <= high);
}

/// The observed side of a path or an edge.
struct Observed {
  std::vector<Duration> latency;  ///< successes
  std::size_t failed = 0;
};

/// The simulated side.
struct Simulated {
  stats::Histogram latency;
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
             const CalibrationTolerance& tolerance, double z);

/// The item for `name`: compared when both sides have it, else with the
/// problem of the side that lacks it.
CalibrationItem make_item(std::string name, Sides& sides, const char* not_in_model,
                          const char* not_in_traces, const CalibrationTolerance& tolerance,
                          double z) {
  CalibrationItem item;
  item.name = std::move(name);
  item.in_traces = sides.traced;
  item.in_model = sides.modelled;
  if (!item.in_model) {
    item.problem = not_in_model;
    item.observed_count = sides.observed.latency.size() + sides.observed.failed;
  } else if (!item.in_traces) {
    item.problem = not_in_traces;
    item.simulated_count = sides.simulated.finished;
  } else {
    compare(item, std::move(sides.observed), sides.simulated, tolerance, z);
  }
  return item;
}

/// Compares one item's figures.
void compare(CalibrationItem& item, Observed observed, const Simulated& simulated,
             const CalibrationTolerance& tolerance, double z) {
  std::sort(observed.latency.begin(), observed.latency.end());
  const std::span<const Duration> sorted(observed.latency);
  const std::size_t n = sorted.size();
  item.observed_count = n + observed.failed;
  item.simulated_count = simulated.finished;

  auto latency_check = [&](Figure figure) {
    FigureCheck check;
    check.figure = figure;
    check.tolerance = figure == Figure::p99 ? tolerance.p99 : tolerance.latency;
    if (n == 0 || simulated.latency.count() == 0) {
      check.verdict = FigureVerdict::no_data;
      check.observed = check.simulated = check.observed_low = check.observed_high = nan;
      if (n > 0) {
        // The traces have successes the model never produces.
        check.observed = static_cast<double>(nearest_rank(sorted, 0.5).count()) * ms_per_ns;
        check.verdict = FigureVerdict::off;
      }
      return check;
    }
    if (figure == Figure::mean) {
      double sum = 0;
      for (const Duration d : sorted) {
        sum += static_cast<double>(d.count());
      }
      const double mean = sum / static_cast<double>(n);
      double squares = 0;
      for (const Duration d : sorted) {
        squares +=
            (static_cast<double>(d.count()) - mean) * (static_cast<double>(d.count()) - mean);
      }
      check.observed = mean * ms_per_ns;
      check.simulated = simulated.latency.mean() * ms_per_ns;
      if (n >= 2) {
        const double half =
            z * std::sqrt(squares / static_cast<double>(n - 1) / static_cast<double>(n)) *
            ms_per_ns;
        check.observed_low = check.observed - half;
        check.observed_high = check.observed + half;
      } else {
        check.observed_low = 0;
        check.observed_high = nan;
      }
    } else {
      const double q = percentile_of(figure) / 100;
      check.observed = static_cast<double>(nearest_rank(sorted, q).count()) * ms_per_ns;
      check.simulated =
          static_cast<double>(simulated.latency.value_at_percentile(percentile_of(figure))) *
          ms_per_ns;
      std::tie(check.observed_low, check.observed_high) = quantile_interval_ms(sorted, q, z);
    }
    const double gap = check.simulated - check.observed;
    check.difference = check.observed > 0 ? gap / check.observed : (gap == 0 ? 0 : nan);
    if (std::abs(gap) <= check.tolerance * check.observed + trace_resolution_ms) {
      check.verdict = FigureVerdict::ok;
    } else if (inside(check.simulated, check.observed_low, check.observed_high)) {
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
    errors.observed = errors.simulated = errors.observed_low = errors.observed_high = nan;
    errors.verdict = item.observed_count > 0 ? FigureVerdict::off : FigureVerdict::no_data;
  } else {
    errors.observed =
        static_cast<double>(observed.failed) / static_cast<double>(item.observed_count);
    errors.simulated =
        static_cast<double>(simulated.failed) / static_cast<double>(simulated.finished);
    std::tie(errors.observed_low, errors.observed_high) =
        share_interval(observed.failed, item.observed_count, z);
    errors.difference = errors.simulated - errors.observed;
    errors.verdict = std::abs(errors.difference) <= errors.tolerance + 1e-12 ? FigureVerdict::ok
                     : inside(errors.simulated, errors.observed_low, errors.observed_high)
                         ? FigureVerdict::in_noise
                         : FigureVerdict::off;
  }
  item.figures.push_back(errors);

  // The CDF keeps evenly spaced order statistics.
  if (n <= max_cdf_samples) {
    item.observed_sorted.assign(sorted.begin(), sorted.end());
  } else {
    item.observed_sorted.reserve(max_cdf_samples);
    for (std::size_t i = 0; i < max_cdf_samples; ++i) {
      item.observed_sorted.push_back(sorted[i * (n - 1) / (max_cdf_samples - 1)]);
    }
  }
  item.simulated = simulated.latency;
}

/// The model's name for an endpoint the traces name: as `tailsim import` writes it.
std::string model_endpoint_name(const import::EndpointEvidence& endpoint) {
  return import::sanitize_model_name(endpoint.service) + "." +
         import::sanitize_model_name(endpoint.name);
}

/// Adds a simulated path's or edge's figures to `sides`. Requests or calls
/// still unfinished at the end have no outcome: they are left out.
void add_simulated(Sides& sides, const stats::Histogram& latency,
                   const stats::OutcomeCounts& outcomes) {
  const std::uint64_t finished = outcomes.total() - outcomes[stats::Outcome::unfinished];
  sides.simulated.latency.merge(latency);
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
    sides.observed.latency.insert(sides.observed.latency.end(), w.latency.begin(), w.latency.end());
    sides.observed.failed += w.failed;
    sides.traced = true;
  }
  for (std::size_t i = 0; i < m.workloads.size() && i < results.paths.size(); ++i) {
    const std::string entry = m.workloads[i].entry.full_name();
    add_simulated(paths[entry], results.paths[i].latency, results.paths[i].outcomes);
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
      sides.observed.latency.insert(sides.observed.latency.end(), site.latency.begin(),
                                    site.latency.end());
      sides.observed.failed += site.failed_calls;
      sides.traced = true;
    }
  }
  for (const auto& edge : results.edges) {
    if (edge.caller.find('/') != std::string::npos) {
      continue;  // a workload's client or a queue's consumer: the paths cover them
    }
    add_simulated(edges[edge.caller + " -> " + edge.target], edge.latency, edge.outcomes);
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
  out.interval_z = normal_quantile(
      1 - tolerance.family_error / (2.0 * static_cast<double>(std::max<std::size_t>(compared, 1))));
  const double z = out.interval_z;
  for (auto& [entry, sides] : paths) {
    CalibrationItem item = make_item(entry, sides, "the model has no workload entering here",
                                     "no trace enters here", tolerance, z);
    item.workload = workload_of[entry];
    out.paths.push_back(std::move(item));
  }

  for (auto& [key, sides] : edges) {
    out.edges.push_back(make_item(key, sides, "the model makes no such call",
                                  "no trace shows this call", tolerance, z));
  }
  return out;
}

}  // namespace tailsim::study
