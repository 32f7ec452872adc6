// The JSON form of a sweep.

#include <nlohmann/json.hpp>

#include "estimate_json.hpp"
#include "tailsim/report/json_numbers.hpp"
#include "tailsim/study/sweep.hpp"

namespace tailsim::study {
namespace {

using ordered_json = nlohmann::ordered_json;

/// A point's values by vary path, in the order of the --vary flags.
ordered_json point_values(const SweepResult& sweep, const SweepPoint& point) {
  ordered_json values = ordered_json::object();
  for (std::size_t v = 0; v < sweep.varies.size(); ++v) {
    values[sweep.varies[v].path] = point.values[v];
  }
  return values;
}

}  // namespace

std::string sweep_to_json(const SweepResult& sweep, const std::string& model_name) {
  ordered_json j;
  j["model"] = model_name;
  j["replications"] = sweep.seeds.size();
  j["seeds"] = sweep.seeds;
  j["interrupted"] = sweep.interrupted;
  ordered_json& varies = j["varies"] = ordered_json::array();
  for (const auto& vary : sweep.varies) {
    varies.push_back(ordered_json{{"path", vary.path}, {"values", vary.values}});
  }
  ordered_json& points = j["points"] = ordered_json::array();
  for (const auto& point : sweep.points) {
    ordered_json paths = ordered_json::object();
    for (const auto& path : point.paths) {
      ordered_json& metrics = paths[path.name];
      for (const Metric m : all_metrics) {
        metrics[std::string(metric_name(m))] = estimate_json(path[m]);
      }
    }
    ordered_json one{{"values", point_values(sweep, point)}};
    add_coverage_json(one, point.coverage);
    // Apart from `paths`, whose keys under a path are all metrics.
    ordered_json& unstable = one["unstable_paths"] = ordered_json::object();
    for (const auto& path : point.paths) {
      if (path.unstable > 0) {
        unstable[path.name] = path.unstable;
      }
    }
    ordered_json& slos = one["slos"] = ordered_json::array();
    for (const auto& slo : point.slos) {
      slos.push_back(ordered_json{{"path", slo.path},
                                  {"check", slo.check.text},
                                  {"mean", slo.value.mean},
                                  {"half_width", slo.value.half_width},
                                  {"n", slo.value.n},
                                  {"ok", slo.ok}});
    }
    one["slos_failed"] = point.failed_slos();
    one["paths"] = std::move(paths);
    add_component_estimates_json(one, point.components);
    points.push_back(std::move(one));
  }
  ordered_json& knees = j["knees"] = ordered_json::array();
  for (const SweepKnee& knee : sweep_knees(sweep)) {
    knees.push_back(ordered_json{{"path", knee.path},
                                 {"metric", metric_name(knee.metric)},
                                 {"shape", knee.rising ? "breaks_away" : "levels_off"},
                                 {"at", point_values(sweep, sweep.points[knee.point])}});
  }
  return report::json_document(std::move(j));
}

}  // namespace tailsim::study
