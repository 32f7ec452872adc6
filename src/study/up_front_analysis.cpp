#include "tailsim/study/up_front_analysis.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tailsim/report/json_numbers.hpp"

namespace tailsim::study {

namespace {

using nlohmann::ordered_json;

/// A number for JSON: null where it is infinite (a saturated station, a rate
/// nothing limits).
ordered_json finite_or_null(double x) {
  return std::isfinite(x) ? ordered_json(x) : ordered_json();
}

std::string share_text(double x) {
  return std::isfinite(x) ? fmt::format("{:.1f}%", 100 * x) : "-";
}

/// Why a saturated service saturates, in words.
std::string saturation_reason(const analytic::ServiceEstimate& s) {
  if (s.worker_load && !std::isfinite(*s.worker_load)) {
    return "every worker would be held for ever: its requests wait on CPU or a call that "
           "saturates";
  }
  if (s.worker_load && !(*s.worker_load < 1)) {
    return fmt::format("its workers would be busy {} of the time", share_text(*s.worker_load));
  }
  if (s.is_external) {
    return fmt::format("{} of its concurrency would be in use", share_text(s.load));
  }
  return fmt::format("utilization {} at the model's rates", share_text(s.utilization));
}

}  // namespace

std::string analysis_to_json(const analytic::Analysis& analysis, const std::string& model_name) {
  ordered_json j;
  j["model"] = model_name;
  ordered_json& services = j["services"] = ordered_json::object();
  for (const auto& s : analysis.services) {
    ordered_json& out = services[s.name];
    out["arrival_rps"] = finite_or_null(s.arrival_rps);
    out["utilization"] = finite_or_null(s.utilization);
    out["load"] = finite_or_null(s.load);
    out["saturated"] = s.is_saturated();
    if (!s.is_external) {
      out["cpu_servers"] = finite_or_null(s.cpu_servers);
      out["cpu_stretch"] = finite_or_null(s.cpu_stretch);
    }
    if (s.worker_wait_s) {
      out["worker_wait_ms"] = finite_or_null(*s.worker_wait_s * 1e3);
      out["worker_load"] = finite_or_null(*s.worker_load);
    }
  }
  ordered_json& paths = j["paths"] = ordered_json::object();
  for (const auto& p : analysis.paths) {
    ordered_json& out = paths[p.name];
    out["mean_ms"] = finite_or_null(p.mean_s * 1e3);
    out["max_rps"] = p.max_rps ? finite_or_null(*p.max_rps) : ordered_json();
    out["rate_rps"] = finite_or_null(p.rate_rps);
    out["kind"] = p.is_queue ? "queue" : "workload";
  }
  j["bottleneck"] = analysis.bottleneck ? ordered_json(analysis.services[*analysis.bottleneck].name)
                                        : ordered_json();
  j["analytic_regime"] = analysis.is_analytic_regime();
  ordered_json& notes = j["notes"] = ordered_json::array();
  for (const auto& n : analysis.notes) {
    notes.push_back(n);
  }
  return report::json_document(std::move(j));
}

void RunAnalysis::fill(stats::Results& results) const {
  for (auto& path : results.paths) {
    for (const auto& [name, mean_ms] : means_ms) {
      if (name == path.name) {
        path.analytic_mean_ms = mean_ms;
        break;
      }
    }
  }
}

RunAnalysis analyze_for_run(const model::Model& m) {
  RunAnalysis out;
  analytic::Analysis analysis;
  try {
    analysis = analytic::analyze(m, {.max_rates = false});
  } catch (const std::runtime_error& e) {
    out.note = e.what();
    return out;
  }
  for (const auto& s : analysis.services) {
    if (s.is_saturated()) {
      out.warnings.push_back(
          fmt::format("service '{}' is predicted to saturate: {}", s.name, saturation_reason(s)));
    }
  }
  if (analysis.is_analytic_regime()) {
    for (const auto& p : analysis.paths) {
      out.means_ms.emplace_back(p.name, p.mean_s * 1e3);
    }
  }
  return out;
}

}  // namespace tailsim::study
