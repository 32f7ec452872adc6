#pragma once
// How every study writes an estimate in its JSON (compare, replications,
// sweep). Internal: public headers keep nlohmann-json out.

#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tailsim/study/confidence.hpp"
#include "tailsim/study/metrics.hpp"

namespace tailsim::study {

/// `{"mean", "half_width", "n"}`; NaN (not measured, or no interval) is
/// written as null.
inline nlohmann::ordered_json estimate_json(const Estimate& estimate) {
  return nlohmann::ordered_json{
      {"mean", estimate.mean}, {"half_width", estimate.half_width}, {"n", estimate.n}};
}

/// Adds how completely the replications ran to `out`: `replications_run`,
/// `stopped_early` (how many of them stopped early) and `stops`, each
/// `{"seed", "reason"}`.
inline void add_coverage_json(nlohmann::ordered_json& out, const RunCoverage& coverage) {
  out["replications_run"] = coverage.ran;
  out["stopped_early"] = coverage.stopped.size();
  nlohmann::ordered_json& stops = out["stops"] = nlohmann::ordered_json::array();
  for (const auto& stop : coverage.stopped) {
    stops.push_back(nlohmann::ordered_json{{"seed", stop.seed}, {"reason", stop.reason}});
  }
}

/// Marks a path unstable in `out` as results.json does (`"unstable": true`,
/// absent otherwise), with `unstable_replications`, how many judged it so.
inline void add_unstable_json(nlohmann::ordered_json& out, std::size_t unstable_replications) {
  if (unstable_replications > 0) {
    out["unstable"] = true;
    out["unstable_replications"] = unstable_replications;
  }
}

/// Sets `value` under `name` in `out`, a dotted name as nested keys:
/// "replicas.mean" is out["replicas"]["mean"], as results.json nests it.
inline void set_component_metric(nlohmann::ordered_json& out, std::string_view name,
                                 nlohmann::ordered_json value) {
  nlohmann::ordered_json* at = &out;
  for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.')) {
    at = &(*at)[std::string(name.substr(0, dot))];
    name.remove_prefix(dot + 1);
  }
  (*at)[std::string(name)] = std::move(value);
}

/// Adds `services`, `queues` and `caches` to `out` as results.json names
/// them (`queues` and `caches` only when the model has some): per component
/// its metrics under results.json's keys, each the JSON `metric_json` gives
/// for (component, metric index), left out when it gives none; an external
/// service has `"external": true`.
template <class Component>
void add_components_json(
    nlohmann::ordered_json& out, std::span<const Component> components,
    const std::function<std::optional<nlohmann::ordered_json>(const Component&, std::size_t)>&
        metric_json) {
  for (const ComponentKind kind : all_component_kinds) {
    nlohmann::ordered_json group = nlohmann::ordered_json::object();
    for (const Component& c : components) {
      if (c.kind != kind) {
        continue;
      }
      nlohmann::ordered_json& one = group[c.name] = nlohmann::ordered_json::object();
      if (c.is_external) {
        one["external"] = true;
      }
      const auto specs = component_metrics(kind);
      for (std::size_t m = 0; m < specs.size(); ++m) {
        if (auto value = metric_json(c, m)) {
          set_component_metric(one, specs[m].name, std::move(*value));
        }
      }
    }
    if (kind == ComponentKind::service || !group.empty()) {
      out[std::string(component_kind_key(kind))] = std::move(group);
    }
  }
}

/// Every component's estimates as add_components_json writes them; a
/// metric no replication measured is left out.
inline void add_component_estimates_json(nlohmann::ordered_json& out,
                                         std::span<const ComponentEstimates> components) {
  add_components_json<ComponentEstimates>(
      out, components,
      [](const ComponentEstimates& c, std::size_t m) -> std::optional<nlohmann::ordered_json> {
        if (c.metrics[m].n == 0) {
          return std::nullopt;
        }
        return estimate_json(c.metrics[m]);
      });
}

}  // namespace tailsim::study
