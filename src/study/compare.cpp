#include "tailsim/study/compare.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "tailsim/study/runner.hpp"

namespace tailsim::study {
namespace {

bool is_lower_better(const stats::SloSpec& spec) {
  return spec.check.op == stats::Comparison::less || spec.check.op == stats::Comparison::less_equal;
}

std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string component_label(const ComponentMetrics& c) {
  return fmt::format("{}/{}", component_kind_name(c.kind), c.name);
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::better:
      return "better";
    case Verdict::worse:
      return "worse";
    case Verdict::no_significant_change:
      return "no significant change";
  }
  return "";
}

Verdict judge(const Estimate& difference, bool lower_is_better) {
  if (!difference.has_interval() || !std::isfinite(difference.half_width) ||
      !std::isfinite(difference.mean)) {
    return Verdict::no_significant_change;
  }
  if (difference.low() > 0) {
    return lower_is_better ? Verdict::worse : Verdict::better;
  }
  if (difference.high() < 0) {
    return lower_is_better ? Verdict::better : Verdict::worse;
  }
  return Verdict::no_significant_change;
}

Difference compare_paired(std::span<const double> a, std::span<const double> b,
                          bool lower_is_better) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    d[i] = b[i] - a[i];
  }
  Difference out{estimate_mean(a), estimate_mean(b), estimate_mean(d),
                 Verdict::no_significant_change};
  out.verdict = judge(out.b_minus_a, lower_is_better);
  return out;
}

Difference compare_measured_pairs(std::span<const double> a, std::span<const double> b,
                                  bool lower_is_better) {
  std::vector<double> d;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isnan(a[i]) && !std::isnan(b[i])) {
      d.push_back(b[i] - a[i]);
    }
  }
  Difference out{estimate_measured(a), estimate_measured(b), estimate_mean(d),
                 Verdict::no_significant_change};
  out.verdict = judge(out.b_minus_a, lower_is_better);
  return out;
}

std::string_view component_change(const Difference& difference) {
  switch (judge(difference.b_minus_a, /*lower_is_better=*/true)) {
    case Verdict::worse:
      return "higher";
    case Verdict::better:
      return "lower";
    case Verdict::no_significant_change:
      break;
  }
  return verdict_name(Verdict::no_significant_change);
}

bool Comparison::gate_fails() const {
  return b_stopped_alone > 0 ||
         std::any_of(slos.begin(), slos.end(), [](const SloComparison& s) { return s.fails_gate; });
}

bool Comparison::has_stopped_runs() const {
  return !a_coverage.stopped.empty() || !b_coverage.stopped.empty();
}

namespace {

/// Pairs the components of `a` and `b` (runs of the same seeds) by kind and
/// name into `out`.
void compare_components(std::span<const RunMetrics> a, std::span<const RunMetrics> b,
                        Comparison& out) {
  const auto& a_components = a.front().components;
  const auto& b_components = b.front().components;
  const auto find_in = [](const std::vector<ComponentMetrics>& list, const ComponentMetrics& c) {
    return static_cast<std::size_t>(std::find_if(list.begin(), list.end(),
                                                 [&](const ComponentMetrics& x) {
                                                   return x.kind == c.kind && x.name == c.name;
                                                 }) -
                                    list.begin());
  };
  std::vector<double> xs(a.size());
  std::vector<double> ys(b.size());
  for (std::size_t cb = 0; cb < b_components.size(); ++cb) {
    const ComponentMetrics& component = b_components[cb];
    const std::size_t ca = find_in(a_components, component);
    if (ca == a_components.size()) {
      out.components_only_in_b.push_back(component_label(component));
      continue;
    }
    ComponentComparison c{
        component.kind, component.name, component.is_external && a_components[ca].is_external, {}};
    for (std::size_t m = 0; m < component.values.size(); ++m) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        xs[i] = a[i].components[ca].values[m];
        ys[i] = b[i].components[cb].values[m];
      }
      Difference d = compare_measured_pairs(xs, ys, /*lower_is_better=*/true);
      d.verdict = Verdict::no_significant_change;  // see ComponentComparison
      c.metrics.push_back(d);
    }
    out.components.push_back(std::move(c));
  }
  for (const auto& component : a_components) {
    if (find_in(b_components, component) == b_components.size()) {
      out.components_only_in_a.push_back(component_label(component));
    }
  }
}

}  // namespace

Comparison compare_runs(std::span<const RunMetrics> a, std::span<const RunMetrics> b,
                        std::span<const stats::SloSpec> b_slos,
                        const std::vector<std::string>& b_path_names) {
  Comparison out;
  for (const auto& run : b) {
    out.seeds.push_back(run.seed);
  }
  out.a_coverage = run_coverage(a);
  out.b_coverage = run_coverage(b);
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    out.b_stopped_alone += b[i].stopped_early && !a[i].stopped_early ? 1 : 0;
  }
  if (a.empty() || b.empty()) {
    return out;
  }
  std::vector<std::string> a_names;
  for (const auto& p : a.front().paths) {
    a_names.push_back(p.name);
  }
  std::vector<double> xs(a.size());
  std::vector<double> ys(b.size());
  for (std::size_t pb = 0; pb < b.front().paths.size(); ++pb) {
    const std::string& name = b.front().paths[pb].name;
    const std::size_t pa = index_of(a_names, name);
    if (pa == a_names.size()) {
      out.only_in_b.push_back(name);
      continue;
    }
    PathComparison path;
    path.name = name;
    for (std::size_t i = 0; i < a.size(); ++i) {
      path.a_unstable += a[i].paths[pa].unstable ? 1 : 0;
      path.b_unstable += b[i].paths[pb].unstable ? 1 : 0;
    }
    for (const Metric m : all_metrics) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        xs[i] = a[i].paths[pa][m];
        ys[i] = b[i].paths[pb][m];
      }
      path.metrics[static_cast<std::size_t>(m)] =
          compare_measured_pairs(xs, ys, is_lower_better(m));
    }
    for (std::size_t k = 0; k < latency_metric_count; ++k) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        xs[i] = a[i].paths[pa].all[k];
        ys[i] = b[i].paths[pb].all[k];
      }
      path.all[k] = compare_measured_pairs(xs, ys, /*lower_is_better=*/true);
    }
    out.paths.push_back(std::move(path));
  }
  for (const auto& name : a_names) {
    if (index_of(b_path_names, name) == b_path_names.size()) {
      out.only_in_a.push_back(name);
    }
  }
  compare_components(a, b, out);
  // b_slos[k] was measured on both (slo_values[k]).
  for (std::size_t k = 0; k < b_slos.size(); ++k) {
    const stats::SloSpec& spec = b_slos[k];
    const std::string& path = b_path_names.at(spec.path);
    for (std::size_t i = 0; i < a.size(); ++i) {
      xs[i] = a[i].slo_values.at(k);
      ys[i] = b[i].slo_values.at(k);
    }
    SloComparison slo{path, spec.check, compare_paired(xs, ys, is_lower_better(spec))};
    const std::size_t pa = index_of(a_names, path);
    for (std::size_t i = 0; i < a.size(); ++i) {
      slo.b_unmeasured += std::isnan(ys[i]) && !std::isnan(xs[i]) ? 1 : 0;
      const bool b_unstable = b[i].paths.at(spec.path).unstable;
      slo.b_unstable += b_unstable ? 1 : 0;
      slo.b_unstable_alone += b_unstable && !a[i].paths.at(pa).unstable ? 1 : 0;
    }
    // As in a plain run, a check on an unstable path or on a run cut short
    // fails whatever its numbers.
    slo.b_ok = stats::slo_holds(slo.difference.b.mean, spec.check.op, spec.check.threshold) &&
               slo.b_unstable == 0 && out.b_coverage.stopped.empty();
    slo.regression = (slo.difference.verdict == Verdict::worse || slo.b_unmeasured > 0 ||
                      slo.b_unstable_alone > 0) &&
                     !slo.b_ok;
    slo.fails_gate = !slo.b_ok;
    out.slos.push_back(std::move(slo));
  }
  return out;
}

Comparison compare_plans(const plan::Plan& a, const plan::Plan& b, std::size_t replications,
                         unsigned jobs, const std::function<void(double)>& on_progress,
                         const StudyLimits& limits, std::span<const std::uint64_t> seeds) {
  // B's checks, measured on A's paths of the same name.
  const std::vector<std::string> a_names = path_names(a);
  const std::vector<std::string> b_names = path_names(b);
  std::vector<stats::SloSpec> a_slos;
  std::vector<stats::SloSpec> b_slos;
  for (const auto& spec : b.slos) {
    const std::size_t pa = index_of(a_names, b_names.at(spec.path));
    if (pa == a_names.size()) {
      continue;  // a path A lacks: nothing to compare with
    }
    stats::SloSpec on_a = spec;
    on_a.path = static_cast<std::uint32_t>(pa);
    a_slos.push_back(on_a);
    b_slos.push_back(spec);
  }
  assert((seeds.empty() || seeds.size() == replications) && "one listed seed per replication");
  const std::vector<std::uint64_t> pair_seeds =
      seeds.empty() ? replication_seeds(a.seed, replications)
                    : std::vector<std::uint64_t>(seeds.begin(), seeds.end());
  std::vector<SimulationJob> simulations;
  for (const auto seed : pair_seeds) {
    simulations.push_back({&a, seed, a_slos});
    simulations.push_back({&b, seed, b_slos});
  }
  const auto runs = run_jobs(simulations, jobs, on_progress, limits);
  // Only pairs where both ran: an interrupted study may have started one
  // model's replication and not the other's.
  std::vector<RunMetrics> a_runs;
  std::vector<RunMetrics> b_runs;
  for (std::size_t i = 0; i + 1 < runs.size(); i += 2) {
    if (runs[i].ran && runs[i + 1].ran) {
      a_runs.push_back(runs[i]);
      b_runs.push_back(runs[i + 1]);
    }
  }
  Comparison out = compare_runs(a_runs, b_runs, b_slos, b_names);
  out.a_coverage.asked = replications;
  out.b_coverage.asked = replications;
  out.interrupted = is_stop_requested(limits);
  return out;
}

}  // namespace tailsim::study
