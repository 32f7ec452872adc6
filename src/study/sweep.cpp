#include "tailsim/study/sweep.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tailsim/core/text.hpp"
#include "tailsim/model/load_scaling.hpp"
#include "tailsim/report/csv_field.hpp"
#include "tailsim/report/json_numbers.hpp"
#include "tailsim/study/runner.hpp"
#include "tailsim/study/study_text.hpp"

namespace tailsim::study {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
/// Kneedle's threshold here: the knee lies at least this far below the
/// chord, in units of the scaled axes.
constexpr double knee_min_depth = 0.1;
/// A p99 curve must change by at least this share of its highest value for
/// its knee to count, and an error share by at least this many points.
constexpr double p99_min_change = 0.1;
constexpr double errors_min_range = 0.01;

/// A number and the unit after it: `100/s` is {100, "/s", 0 decimals}.
struct Quantity {
  double value = 0;
  std::string unit;
  int decimals = 0;
};

std::optional<Quantity> read_quantity(std::string_view text) {
  text = trim(text);
  Quantity q;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), q.value);
  if (error != std::errc() || end == text.data()) {
    return std::nullopt;
  }
  const std::string_view number(text.data(), static_cast<std::size_t>(end - text.data()));
  if (const auto dot = number.find('.'); dot != std::string_view::npos) {
    q.decimals = static_cast<int>(number.size() - dot - 1);
  }
  q.unit = std::string(text.substr(number.size()));
  return q;
}

/// `A..B:STEP` (or `A..B` of whole numbers, a step of 1) expanded, or an
/// error; nothing when `text` is no range at all. For a `times` path
/// (`counts`), `A..B` is the count range itself, a value.
std::optional<model::ParseResult<std::vector<std::string>>> read_range(std::string_view text,
                                                                       std::size_t offset,
                                                                       bool counts) {
  // A range starts with its number; anything else (a YAML list or map that
  // happens to hold ".." and ":") is a value.
  const auto dots = text.find("..");
  const auto colon = text.find(':', dots == std::string_view::npos ? 0 : dots);
  const bool has_step = colon != std::string_view::npos;
  if (dots == std::string_view::npos || (!has_step && counts) ||
      text.find_first_of("0123456789+-.") != 0) {
    return std::nullopt;
  }
  using Result = model::ParseResult<std::vector<std::string>>;
  const auto a = read_quantity(text.substr(0, dots));
  const auto b = read_quantity(text.substr(dots + 2, has_step ? colon - dots - 2 : text.npos));
  const auto step = has_step ? read_quantity(text.substr(colon + 1)) : Quantity{1, "", 0};
  if (!a || !b || !step) {
    return Result(model::ParseError{
        fmt::format("a range is A..B:STEP with numbers, such as 2..8:2 or 100/s..400/s:100/s "
                    "(A..B alone for whole numbers, such as 1..4); got '{}'",
                    text),
        offset});
  }
  if (!has_step && (a->decimals > 0 || b->decimals > 0 || !a->unit.empty() || !b->unit.empty() ||
                    a->value != std::floor(a->value) || b->value != std::floor(b->value))) {
    return Result(model::ParseError{
        fmt::format("the range '{}' needs a step: write A..B:STEP, such as 100/s..400/s:100/s "
                    "or 0.1..0.5:0.1 (only whole numbers without a unit step by 1)",
                    text),
        offset});
  }
  std::string unit;
  for (const Quantity* q : {&*a, &*b, &*step}) {
    if (!q->unit.empty() && !unit.empty() && q->unit != unit) {
      return Result(model::ParseError{
          fmt::format("the range '{}' mixes units '{}' and '{}'", text, unit, q->unit), offset});
    }
    if (unit.empty()) {
      unit = q->unit;
    }
  }
  if (!(step->value > 0)) {
    return Result(model::ParseError{
        fmt::format("the step of the range '{}' must be above zero", text), offset + colon + 1});
  }
  if (b->value < a->value) {
    return Result(
        model::ParseError{fmt::format("the range '{}' ends below its start", text), offset});
  }
  const double steps = std::floor((b->value - a->value) / step->value + 1e-9);
  if (steps + 1 > static_cast<double>(max_vary_values)) {
    return Result(model::ParseError{
        fmt::format("the range '{}' has more than {} values", text, max_vary_values), offset});
  }
  const int decimals = std::max({a->decimals, b->decimals, step->decimals});
  std::vector<std::string> values;
  for (std::size_t k = 0; k <= static_cast<std::size_t>(steps); ++k) {
    const double v = a->value + static_cast<double>(k) * step->value;
    values.push_back(fmt::format("{:.{}f}{}", v, decimals, unit));
  }
  return Result(std::move(values));
}

/// Whether `path` names a `times` key, whose `A..B` is a count range.
bool is_counts_path(std::string_view path) {
  constexpr std::string_view key = "times";
  return path == key || (path.size() > key.size() && path.ends_with(key) &&
                         path[path.size() - key.size() - 1] == '.');
}

/// Splits at commas outside brackets, braces, parentheses and quotes.
std::vector<std::pair<std::string_view, std::size_t>> split_values(std::string_view text) {
  std::vector<std::pair<std::string_view, std::size_t>> parts;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{' || c == '(') {
      ++depth;
    } else if ((c == ']' || c == '}' || c == ')') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      parts.emplace_back(text.substr(start, i - start), start);
      start = i + 1;
    }
  }
  parts.emplace_back(text.substr(start), start);
  return parts;
}

/// A number of sweep.csv: 12 significant digits, as in tailsim's JSON, so
/// no binary noise (63.438846999999996 is 63.438847); empty when not finite.
std::string csv_number(double value) {
  return std::isfinite(value) ? fmt::format("{}", report::round_for_json(value)) : std::string();
}

/// A vary's column in sweep.csv: its header and its values.
struct VaryColumn {
  std::string header;
  std::vector<std::string> cells;  ///< one per value of the vary
};

/// Every value of `values` as the number `read` makes of it, or none when
/// one does not read.
template <class Read>
std::optional<std::vector<double>> read_all(const std::vector<std::string>& values, Read read) {
  std::vector<double> out;
  for (const auto& v : values) {
    const auto parsed = read(trim(v));
    if (!parsed.ok()) {
      return std::nullopt;
    }
    out.push_back(static_cast<double>(*parsed));
  }
  return out;
}

/// A vary's values as numbers in one unit, named in the header
/// (`workloads.main.rate (1/s)`, `load (x)`): rates per second, durations
/// in ms (in s when every value is at least a second), percentages in %,
/// sizes in bytes, bandwidths in bytes per second, plain numbers as they
/// are. Values that are not all of one kind are written as given.
VaryColumn vary_column(const Vary& vary) {
  const auto& values = vary.values;
  const auto as_numbers = [&](std::string unit, const std::vector<double>& numbers) {
    VaryColumn column{unit.empty() ? vary.path : fmt::format("{} ({})", vary.path, unit), {}};
    for (const double x : numbers) {
      column.cells.push_back(csv_number(x));
    }
    return column;
  };
  const bool all_percent = std::all_of(values.begin(), values.end(),
                                       [](const std::string& v) { return trim(v).ends_with('%'); });
  const auto seconds = [](std::string_view v) -> model::ParseResult<double> {
    auto d = model::parse_duration(v);
    if (!d.ok()) {
      return d.error();
    }
    return to_seconds(*d);
  };
  if (vary.path == load_path) {
    if (const auto factors = read_all(values, model::parse_load_factor)) {
      return as_numbers("x", *factors);
    }
  } else if (const auto numbers = read_all(values, model::parse_number)) {
    return as_numbers("", *numbers);
  } else if (const auto shares = read_all(values, model::parse_fraction); all_percent && shares) {
    std::vector<double> percent;
    for (const double x : *shares) {
      percent.push_back(x * 100);
    }
    return as_numbers("%", percent);
  } else if (const auto rates = read_all(values, model::parse_rate)) {
    return as_numbers("1/s", *rates);
  } else if (auto durations = read_all(values, seconds)) {
    const bool at_least_seconds =
        std::all_of(durations->begin(), durations->end(), [](double d) { return d >= 1; });
    for (double& d : *durations) {
      d *= at_least_seconds ? 1 : 1000;
    }
    return as_numbers(at_least_seconds ? "s" : "ms", *durations);
  } else if (const auto sizes = read_all(values, model::parse_size)) {
    return as_numbers("B", *sizes);
  } else if (const auto bandwidths = read_all(values, model::parse_bandwidth)) {
    return as_numbers("B/s", *bandwidths);
  }
  VaryColumn column{vary.path, {}};
  for (const auto& v : values) {
    column.cells.push_back(report::csv_field(v));
  }
  return column;
}

/// The unit-bearing name of a metric in sweep.csv.
std::string csv_metric(Metric m) {
  if (m == Metric::errors) {
    return "errors_share";
  }
  if (m == Metric::throughput) {
    return "throughput_rps";
  }
  return fmt::format("{}_ms", metric_name(m));
}

/// The SLO checks on one path of a point: "✗ errors < 0.5%" for each it
/// fails, "✓" when it passes all, empty without checks.
std::string slo_cell(const SweepPoint& point, const std::string& path) {
  std::string failed;
  bool any = false;
  for (const auto& slo : point.slos) {
    if (slo.path != path) {
      continue;
    }
    any = true;
    if (!slo.ok) {
      failed += fmt::format("{}✗ {}", failed.empty() ? "" : ", ", slo.check.text);
    }
  }
  return !any ? "" : failed.empty() ? "✓" : failed;
}

std::string curve_values(const SweepResult& sweep, const SweepPoint& point, std::size_t from) {
  std::string out;
  for (std::size_t v = from; v < sweep.varies.size(); ++v) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", sweep.varies[v].path, point.values[v]);
  }
  return out;
}

}  // namespace

model::ParseResult<Vary> parse_vary(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty()) {
    return model::ParseError{
        fmt::format("--vary takes PATH=V1,V2,... or PATH=A..B:STEP, got '{}'", text), 0};
  }
  Vary vary;
  vary.path = std::string(trim(text.substr(0, eq)));
  const std::string_view values = text.substr(eq + 1);
  if (trim(values).empty()) {
    return model::ParseError{fmt::format("--vary {}: no values after '='", vary.path), eq + 1};
  }
  for (const auto& [part, at] : split_values(values)) {
    const std::string_view value = trim(part);
    const std::size_t offset = eq + 1 + at;
    if (value.empty()) {
      return model::ParseError{fmt::format("--vary {}: an empty value", vary.path), offset};
    }
    if (auto range = read_range(value, offset, is_counts_path(vary.path))) {
      if (!range->ok()) {
        return range->error();
      }
      vary.values.insert(vary.values.end(), range->value().begin(), range->value().end());
    } else {
      vary.values.emplace_back(value);
    }
  }
  if (vary.values.size() > max_vary_values) {
    return model::ParseError{
        fmt::format("--vary {}: more than {} values", vary.path, max_vary_values), eq + 1};
  }
  return vary;
}

std::vector<std::vector<std::string>> sweep_grid(std::span<const Vary> varies) {
  std::vector<std::vector<std::string>> grid = {{}};
  for (const Vary& vary : varies) {
    std::vector<std::vector<std::string>> next;
    next.reserve(grid.size() * vary.values.size());
    for (const auto& point : grid) {
      for (const auto& value : vary.values) {
        next.push_back(point);
        next.back().push_back(value);
      }
    }
    grid = std::move(next);
  }
  return grid;
}

std::vector<std::string> point_overrides(std::span<const Vary> varies,
                                         std::span<const std::string> point) {
  std::vector<std::string> out;
  for (std::size_t v = 0; v < varies.size(); ++v) {
    if (varies[v].path != load_path) {
      out.push_back(varies[v].path + "=" + point[v]);
    }
  }
  return out;
}

std::optional<std::string> point_load(std::span<const Vary> varies,
                                      std::span<const std::string> point) {
  for (std::size_t v = 0; v < varies.size(); ++v) {
    if (varies[v].path == load_path) {
      return point[v];
    }
  }
  return std::nullopt;
}

double leading_number(std::string_view value) {
  const auto q = read_quantity(value);
  return q ? q->value : nan;
}

SweepResult run_sweep(std::span<const plan::Plan> plans, std::vector<Vary> varies,
                      std::size_t replications, unsigned jobs,
                      const std::function<void(double)>& on_progress, const StudyLimits& limits,
                      std::span<const std::uint64_t> seeds) {
  SweepResult sweep;
  sweep.varies = std::move(varies);
  const auto grid = sweep_grid(sweep.varies);
  assert((seeds.empty() || seeds.size() == replications) && "one listed seed per replication");
  sweep.seeds = seeds.empty()
                    ? replication_seeds(plans.empty() ? 1 : plans.front().seed, replications)
                    : std::vector<std::uint64_t>(seeds.begin(), seeds.end());
  std::vector<SimulationJob> simulations;
  simulations.reserve(plans.size() * replications);
  for (const auto& plan : plans) {
    for (const auto seed : sweep.seeds) {
      simulations.push_back({&plan, seed, plan.slos});
    }
  }
  const auto runs = run_jobs(simulations, jobs, on_progress, limits);
  for (std::size_t p = 0; p < plans.size(); ++p) {
    const auto point_runs = std::span(runs).subspan(p * replications, replications);
    const auto ran = runs_that_ran(point_runs);
    SweepPoint point{grid.at(p), estimate_paths(ran), run_coverage(point_runs),
                     estimate_components(ran)};
    if (!ran.empty()) {  // a point the interruption kept from starting judges nothing
      point.slos =
          estimate_slos(plans[p].slos, path_names(plans[p]), ran, point.paths, point.coverage);
    }
    sweep.points.push_back(std::move(point));
  }
  sweep.interrupted = is_stop_requested(limits);
  return sweep;
}

std::vector<std::string> SweepPoint::failed_slos() const {
  std::vector<std::string> out;
  for (const auto& slo : slos) {
    if (!slo.ok) {
      out.push_back(fmt::format("{}: {}", slo.path, slo.check.text));
    }
  }
  return out;
}

bool SweepResult::has_stopped_runs() const {
  return std::any_of(points.begin(), points.end(),
                     [](const SweepPoint& p) { return !p.coverage.stopped.empty(); });
}

std::optional<std::size_t> find_knee(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n < 3 || y.size() != n || !(x.back() > x.front())) {
    return std::nullopt;
  }
  if (std::any_of(y.begin(), y.end(), [](double v) { return !std::isfinite(v); })) {
    return std::nullopt;
  }
  // Plain values, not structured bindings: a lambda may not capture those in
  // clang 14 (the fuzz build's compiler).
  const auto range = std::minmax_element(y.begin(), y.end());
  const double low = *range.first;
  const double high = *range.second;
  if (!(high > low)) {
    return std::nullopt;
  }
  auto scaled_x = [&](std::size_t i) { return (x[i] - x.front()) / (x.back() - x.front()); };
  auto scaled_y = [&](std::size_t i) { return (y[i] - low) / (high - low); };
  std::optional<std::size_t> knee;
  double deepest = knee_min_depth;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double chord = scaled_y(0) + (scaled_y(n - 1) - scaled_y(0)) * scaled_x(i);
    const double depth = chord - scaled_y(i);
    if (depth >= deepest) {
      deepest = depth;
      knee = i;
    }
  }
  return knee;
}

bool has_numeric_axis(const SweepResult& sweep) {
  if (sweep.varies.empty()) {
    return false;
  }
  const auto& values = sweep.varies.front().values;
  const auto unit = [](const std::string& v) {
    const auto q = read_quantity(v);
    return q ? std::optional(q->unit) : std::nullopt;
  };
  const auto first_unit = unit(values.front());
  return first_unit &&
         std::all_of(values.begin(), values.end(),
                     [&](const std::string& v) { return unit(v) == first_unit; }) &&
         std::is_sorted(
             values.begin(), values.end(),
             [](const auto& a, const auto& b) { return leading_number(a) < leading_number(b); }) &&
         std::adjacent_find(values.begin(), values.end(), [](const auto& a, const auto& b) {
           return leading_number(a) == leading_number(b);
         }) == values.end();
}

std::vector<SweepCurve> sweep_curves(const SweepResult& sweep) {
  std::vector<SweepCurve> curves;
  if (sweep.varies.empty()) {
    return curves;
  }
  const auto& first = sweep.varies.front().values;
  const bool numeric = has_numeric_axis(sweep);
  // The first vary varies slowest: a curve's points are `others` apart.
  const std::size_t others = sweep.points.size() / std::max<std::size_t>(first.size(), 1);
  for (std::size_t c = 0; c < others; ++c) {
    SweepCurve curve;
    for (std::size_t k = 0; k < first.size(); ++k) {
      const std::size_t p = k * others + c;
      curve.points.push_back(p);
      curve.x.push_back(numeric ? leading_number(first[k]) : static_cast<double>(k));
    }
    curve.label = curve_values(sweep, sweep.points[c], 1);
    curves.push_back(std::move(curve));
  }
  return curves;
}

std::vector<std::string> sweep_paths(const SweepResult& sweep) {
  std::vector<std::string> names;
  for (const auto& point : sweep.points) {
    for (const auto& p : point.paths) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) {
        names.push_back(p.name);
      }
    }
  }
  return names;
}

const PathEstimates* find_path(const SweepPoint& point, const std::string& path) {
  for (const auto& p : point.paths) {
    if (p.name == path) {
      return &p;
    }
  }
  return nullptr;
}

namespace {

/// Whether a curve's means change for real: its lowest and highest points'
/// intervals do not overlap, and they differ by at least `min_change` of
/// the highest (a relative change) or `min_range` (an absolute one). Kneedle
/// scales any curve to [0, 1], so without this it would find a knee in noise.
bool changes_for_real(const std::vector<Estimate>& points, double min_change, double min_range) {
  if (points.empty() || std::any_of(points.begin(), points.end(),
                                    [](const Estimate& e) { return !std::isfinite(e.mean); })) {
    return false;
  }
  const auto [low, high] =
      std::minmax_element(points.begin(), points.end(),
                          [](const Estimate& a, const Estimate& b) { return a.mean < b.mean; });
  const auto half = [](const Estimate& e) {
    return std::isfinite(e.half_width) ? e.half_width : 0.0;
  };
  const double range = high->mean - low->mean;
  return range > half(*low) + half(*high) && range >= min_change * std::abs(high->mean) &&
         range >= min_range;
}

std::vector<double> means_of(const std::vector<Estimate>& points) {
  std::vector<double> out;
  for (const auto& e : points) {
    out.push_back(e.mean);
  }
  return out;
}

}  // namespace

Knees find_knees(const SweepResult& sweep, const SweepCurve& curve, const std::string& path) {
  std::vector<Estimate> p99;
  std::vector<Estimate> errors;
  for (const std::size_t p : curve.points) {
    const PathEstimates* e = find_path(sweep.points[p], path);
    p99.push_back(e ? (*e)[Metric::p99] : Estimate{});
    errors.push_back(e ? (*e)[Metric::errors] : Estimate{});
  }
  Knees knees;
  if (changes_for_real(p99, p99_min_change, 0)) {
    knees.p99 = find_knee(curve.x, means_of(p99));
  }
  if (changes_for_real(errors, 0, errors_min_range)) {
    knees.errors = find_knee(curve.x, means_of(errors));
  }
  return knees;
}

std::string sweep_to_csv(const SweepResult& sweep) {
  std::string out;
  std::vector<VaryColumn> columns;
  for (const auto& vary : sweep.varies) {
    columns.push_back(vary_column(vary));
    out += report::csv_field(columns.back().header) + ",";
  }
  out += "path,component,metric,mean,half_width,n,stopped_early,unstable,slos_failed\n";
  for (const auto& point : sweep.points) {
    std::string prefix;
    for (std::size_t v = 0; v < sweep.varies.size(); ++v) {
      const auto& values = sweep.varies[v].values;
      const auto at = std::find(values.begin(), values.end(), point.values[v]);
      prefix += columns[v].cells.at(static_cast<std::size_t>(at - values.begin())) + ",";
    }
    std::string failed;
    for (const auto& slo : point.failed_slos()) {
      failed += (failed.empty() ? "" : "; ") + slo;
    }
    const std::string suffix = fmt::format("{},", point.coverage.stopped.size());
    const std::string slos_failed = report::csv_field(failed);
    for (const auto& path : point.paths) {
      for (const Metric m : all_metrics) {
        const Estimate& e = path[m];
        out += fmt::format("{}{},,{},{},{},{},{}{},{}\n", prefix, report::csv_field(path.name),
                           csv_metric(m), csv_number(e.mean), csv_number(e.half_width), e.n, suffix,
                           path.unstable, slos_failed);
      }
    }
    for (const auto& c : point.components) {
      const std::string component =
          report::csv_field(fmt::format("{}/{}", component_kind_name(c.kind), c.name));
      const auto specs = component_metrics(c.kind);
      for (std::size_t m = 0; m < specs.size(); ++m) {
        const Estimate& e = c.metrics[m];
        if (e.n == 0) {
          continue;  // results.json has no such number for it
        }
        out += fmt::format("{},{},{},{},{},{},{},{}\n", prefix, component, specs[m].name,
                           csv_number(e.mean), csv_number(e.half_width), e.n, suffix, slos_failed);
      }
    }
  }
  return out;
}

std::vector<SweepKnee> sweep_knees(const SweepResult& sweep) {
  std::vector<SweepKnee> found;
  if (sweep.varies.empty()) {
    return found;
  }
  const auto curves = sweep_curves(sweep);
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const SweepCurve& curve = curves[c];
    for (const auto& path : sweep_paths(sweep)) {
      const Knees knees = find_knees(sweep, curve, path);
      auto add = [&](std::size_t k, Metric m) {
        const PathEstimates* first_point = find_path(sweep.points[curve.points.front()], path);
        const PathEstimates* last_point = find_path(sweep.points[curve.points.back()], path);
        const bool rising =
            first_point && last_point && (*last_point)[m].mean > (*first_point)[m].mean;
        found.push_back(SweepKnee{path, m, rising, c, curve.points[k]});
      };
      if (knees.p99) {
        add(*knees.p99, Metric::p99);
      }
      if (knees.errors) {
        add(*knees.errors, Metric::errors);
      }
    }
  }
  return found;
}

std::vector<std::string> describe_knees(const SweepResult& sweep) {
  std::vector<std::string> lines;
  const auto curves = sweep_curves(sweep);
  for (const SweepKnee& knee : sweep_knees(sweep)) {
    const std::string& label = curves[knee.curve].label;
    lines.push_back(fmt::format("{}: {} {} {}={}{}", knee.path, metric_name(knee.metric),
                                knee.rising ? "breaks away after" : "levels off at",
                                sweep.varies.front().path, sweep.points[knee.point].values.front(),
                                label.empty() ? "" : fmt::format(" (with {})", label)));
  }
  return lines;
}

std::vector<std::vector<std::string>> sweep_table(const SweepResult& sweep) {
  std::vector<std::string> header;
  for (const auto& vary : sweep.varies) {
    header.push_back(vary.path);
  }
  for (const char* h : {"path", "p50", "p99", "errors", "throughput", "busiest service", "SLOs"}) {
    header.emplace_back(h);
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& point : sweep.points) {
    for (const auto& path : point.paths) {
      std::vector<std::string> row = point.values;
      // The marks a plain run's console shows, per point and path.
      std::string name = path.name;
      if (path.unstable > 0) {
        name += fmt::format(" UNSTABLE ({} of {})", path.unstable, point.coverage.ran);
      }
      if (!point.coverage.stopped.empty()) {
        name += fmt::format(" STOPPED EARLY ({} of {})", point.coverage.stopped.size(),
                            point.coverage.ran);
      }
      row.push_back(std::move(name));
      for (const Metric m : {Metric::p50, Metric::p99, Metric::errors, Metric::throughput}) {
        row.push_back(format_estimate(m, path[m], sweep.seeds.size()));
      }
      // The point's busiest service, once per point (on its first path).
      const ComponentEstimates* busiest = busiest_service(point.components);
      row.push_back(busiest != nullptr && &path == &point.paths.front()
                        ? fmt::format("{} {}", busiest->name,
                                      format_component_estimate(ComponentUnit::share,
                                                                (*busiest)["utilization"]))
                        : "");
      row.push_back(slo_cell(point, path.name));
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string sweep_to_console(const SweepResult& sweep) {
  auto rows = sweep_table(sweep);
  // A vary whose values are long (a schedule, a list of steps) is shown as
  // #1, #2, ... (its values' order), written out in full under the table.
  constexpr std::size_t long_value = 24;
  std::string legend;
  for (std::size_t v = 0; v < sweep.varies.size(); ++v) {
    const Vary& vary = sweep.varies[v];
    if (std::none_of(vary.values.begin(), vary.values.end(),
                     [&](const std::string& s) { return display_width(s) > long_value; })) {
      continue;
    }
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto at = std::find(vary.values.begin(), vary.values.end(), rows[r][v]);
      rows[r][v] = fmt::format("#{}", at - vary.values.begin() + 1);
    }
    for (std::size_t k = 0; k < vary.values.size(); ++k) {
      legend += fmt::format("    {} #{}: {}\n", vary.path, k + 1, vary.values[k]);
    }
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out = fmt::format("  SWEEP  {} points x {} replications, mean ± 95% half-width\n",
                                sweep.points.size(), sweep.seeds.size());
  for (const auto& row : rows) {
    std::string line = "   ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += " " + pad(row[c], widths[c]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  if (!legend.empty()) {
    out += "\n" + legend;
  }
  std::string stops;
  std::size_t not_started = 0;
  for (const auto& point : sweep.points) {
    if (point.coverage.ran == 0) {
      ++not_started;
      continue;
    }
    for (const auto& line : describe_coverage(point.coverage)) {
      stops += fmt::format("    {}: {}\n", curve_values(sweep, point, 0), line);
    }
  }
  if (!stops.empty()) {
    out += "\n  STOPPED EARLY  the estimates include what the stopped replications simulated\n" +
           stops;
  }
  if (sweep.interrupted) {
    out += fmt::format("\n  INTERRUPTED  {} of {} points had no replication started\n", not_started,
                       sweep.points.size());
  }
  const auto knees = describe_knees(sweep);
  if (!knees.empty()) {
    out += "\n  KNEES  (Kneedle on the means)\n";
    for (const auto& k : knees) {
      out += "    " + k + "\n";
    }
  }
  return out;
}

}  // namespace tailsim::study
