// The sweep's numbers arranged for the sweep report.

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "tailsim/study/sweep.hpp"

namespace tailsim::study {
namespace {

/// Every component of `kind` of the sweep, in the order of first appearance.
std::vector<std::string> component_names(const SweepResult& sweep, ComponentKind kind) {
  std::vector<std::string> names;
  for (const auto& point : sweep.points) {
    for (const auto& c : point.components) {
      if (c.kind == kind && !c.is_external &&
          std::find(names.begin(), names.end(), c.name) == names.end()) {
        names.push_back(c.name);
      }
    }
  }
  return names;
}

/// The utilization of every service against the first vary, and the
/// deepest backlog of every queue, each a line per curve with its intervals.
void add_component_charts(const SweepResult& sweep, const std::vector<SweepCurve>& curves,
                          report::SweepReportInputs& page) {
  struct Wanted {
    ComponentKind kind;
    std::string_view metric;
    const char* title;
    const char* y_label;
    bool as_percent;
  };
  for (const Wanted& w :
       {Wanted{ComponentKind::service, "utilization", "Utilization of each service", "utilization",
               true},
        Wanted{ComponentKind::queue, "depth_max", "Most messages waiting in each queue (depth_max)",
               "messages", false}}) {
    report::SweepComponentChart chart{w.title, w.y_label, w.as_percent, {}};
    for (const auto& name : component_names(sweep, w.kind)) {
      for (const auto& curve : curves) {
        report::SweepComponentLine line;
        line.name = curve.label.empty() ? name : fmt::format("{} ({})", name, curve.label);
        line.x = curve.x;
        for (const std::size_t p : curve.points) {
          const ComponentEstimates* c = find_component(sweep.points[p].components, w.kind, name);
          line.values.push_back(
              c ? report::MeanInterval{(*c)[w.metric].mean, (*c)[w.metric].half_width}
                : report::MeanInterval{std::nan(""), std::nan("")});
        }
        chart.lines.push_back(std::move(line));
      }
    }
    if (!chart.lines.empty()) {
      page.components.push_back(std::move(chart));
    }
  }
}

}  // namespace

report::SweepReportInputs sweep_report_inputs(const SweepResult& sweep,
                                              const std::string& model_name,
                                              const std::string& command_line) {
  report::SweepReportInputs page;
  page.model_name = model_name;
  page.command_line = command_line;
  page.points = sweep.points.size();
  page.replications = sweep.seeds.size();
  page.knees = describe_knees(sweep);
  page.table = sweep_table(sweep);
  for (const auto& point : sweep.points) {
    const bool fails = !point.failed_slos().empty();
    page.failing_rows.insert(page.failing_rows.end(), point.paths.size(), fails);
  }
  if (sweep.varies.empty()) {
    return page;
  }
  const Vary& first = sweep.varies.front();
  page.x_label = first.path;
  const auto curves = sweep_curves(sweep);
  if (!has_numeric_axis(sweep)) {
    for (std::size_t k = 0; k < first.values.size(); ++k) {
      page.x_categories.emplace_back(static_cast<double>(k), first.values[k]);
    }
  }
  auto interval = [](const PathEstimates* e, Metric m) {
    return e ? report::MeanInterval{(*e)[m].mean, (*e)[m].half_width}
             : report::MeanInterval{std::nan(""), std::nan("")};
  };
  for (const auto& path : sweep_paths(sweep)) {
    report::SweepPathCharts charts{path, {}};
    for (const auto& curve : curves) {
      report::SweepLine line;
      line.label = curve.label;
      line.x = curve.x;
      for (const std::size_t p : curve.points) {
        const PathEstimates* e = find_path(sweep.points[p], path);
        line.p50_ms.push_back(interval(e, Metric::p50));
        line.p99_ms.push_back(interval(e, Metric::p99));
        line.errors_share.push_back(interval(e, Metric::errors));
      }
      const Knees knees = find_knees(sweep, curve, path);
      if (knees.p99) {
        line.p99_knee_x = curve.x[*knees.p99];
      }
      if (knees.errors) {
        line.errors_knee_x = curve.x[*knees.errors];
      }
      charts.lines.push_back(std::move(line));
    }
    page.paths.push_back(std::move(charts));
  }
  add_component_charts(sweep, curves, page);
  return page;
}

}  // namespace tailsim::study
