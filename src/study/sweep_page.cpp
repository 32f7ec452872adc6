// The sweep's numbers arranged for the sweep report.

#include <cmath>

#include "tailsim/study/sweep.hpp"

namespace tailsim::study {

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
  return page;
}

}  // namespace tailsim::study
