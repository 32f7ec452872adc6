// Runs one scenario: tests/scenarios/NAME/ holds a model.yaml and an
// expected.yaml naming the source of its values (a formula, a paper) and, for
// each checked metric of results.json, the expected value and a tolerance
// derived from the confidence interval of a run of that length (see
// docs/testing.md). Seeds are fixed, so a scenario passes or fails the same
// way every time; it can change only when the code changes the random draws.
//
// Usage: run_scenario DIR [--smoke]   (exit 0: every check holds)
//
// --smoke, for the sanitizer build (where a scenario's million requests take
// half a minute): runs the model for its first 200,000 events and checks
// only that every metric the scenario checks is in results.json. The
// statistics themselves are checked by the optimised build's run.

#include <cmath>
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tailsim/components/simulation.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/json_report.hpp"

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t smoke_events = 200'000;

/// Follows a dotted path through results.json. Keys may hold a dot
/// (`p99.9`), so the longest key that matches wins.
std::optional<double> lookup(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = &root;
  std::size_t pos = 0;
  while (pos < path.size()) {
    bool found = false;
    for (std::size_t end = path.size(); end > pos; --end) {
      if (end != path.size() && path[end] != '.') {
        continue;
      }
      const std::string key = path.substr(pos, end - pos);
      if (node->is_object() && node->contains(key)) {
        node = &(*node)[key];
        pos = end + 1;
        found = true;
        break;
      }
    }
    if (!found) {
      return std::nullopt;
    }
  }
  return node->is_number() ? std::optional<double>(node->get<double>()) : std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc == 3 && std::string(argv[2]) == "--smoke";
  if (argc != 2 && !smoke) {
    fmt::print(stderr, "usage: run_scenario DIR [--smoke]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  auto loaded = tailsim::model::load_file(dir / "model.yaml");
  if (!loaded.ok()) {
    fmt::print(stderr, "{}", loaded.diagnostics.format_all());
    return 1;
  }
  auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
  if (!plan) {
    fmt::print(stderr, "{}", loaded.diagnostics.format_all());
    return 1;
  }
  tailsim::components::RunLimits limits;
  limits.max_events = smoke ? smoke_events : 0;
  const auto results =
      nlohmann::json::parse(tailsim::report::to_json(tailsim::components::simulate(*plan, limits)));
  const YAML::Node expected = YAML::LoadFile((dir / "expected.yaml").string());
  fmt::print("scenario {} (seed {}){}\nsource: {}\n", dir.filename().string(),
             results["seed"].get<std::uint64_t>(),
             smoke ? fmt::format(", smoke run: first {} events", smoke_events) : "",
             expected["source"].as<std::string>("?"));
  int failures = 0;
  for (const auto& check : expected["checks"]) {
    const auto metric = check["metric"].as<std::string>();
    const double want = check["expected"].as<double>();
    // A metric is a path into results.json, or the ratio of two: `A / B`.
    std::optional<double> value;
    if (const auto slash = metric.find(" / "); slash != std::string::npos) {
      const auto top = lookup(results, metric.substr(0, slash));
      const auto bottom = lookup(results, metric.substr(slash + 3));
      if (top && bottom && *bottom != 0) {
        value = *top / *bottom;
      }
    } else {
      value = lookup(results, metric);
    }
    if (!value) {
      fmt::print("  FAIL {}: not in results.json\n", metric);
      ++failures;
      continue;
    }
    if (smoke) {
      fmt::print("  seen {} = {:.6g} (not checked in a smoke run)\n", metric, *value);
      continue;
    }
    double margin = 0;
    std::string band;
    if (check["tolerance"]) {
      const auto text = check["tolerance"].as<std::string>();
      const auto fraction = tailsim::model::parse_fraction(text);
      if (!fraction) {
        fmt::print("  FAIL {}: bad tolerance '{}'\n", metric, text);
        ++failures;
        continue;
      }
      margin = std::abs(want) * *fraction;
      band = text;
    } else {
      margin = check["margin"].as<double>();
      band = fmt::format("{:g}", margin);
    }
    const bool ok = std::abs(*value - want) <= margin;
    failures += ok ? 0 : 1;
    fmt::print("  {} {} = {:.6g}, expected {:g} ± {} (off by {:+.2f}%)\n", ok ? "ok  " : "FAIL",
               metric, *value, want, band, want != 0 ? (*value - want) / want * 100 : 0.0);
  }
  fmt::print("{} passed, {} failed\n", expected["checks"].size() - failures, failures);
  return failures == 0 ? 0 : 1;
}
