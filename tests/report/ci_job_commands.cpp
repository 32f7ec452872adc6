// Reads a CI job file of docs/ci/ (GitHub Actions or GitLab CI) as YAML and
// prints, as a shell script, what tests/report/check_ci_jobs.sh runs: the
// command lines between the `# tailsim-ci-test: begin` and `end` markers of
// its scripts (every job's, in order), then `expect_junit PATH` for each JUnit
// report it publishes and `expect_artifact PATH` for each artifact it
// uploads. It also checks what makes the file a gate: a `tailsim run` and a
// `tailsim compare`, with the reports published whatever the verdict.
//
// Usage: ci_job_commands FILE. Exit 1, with the reason on stderr, when the
// file is not YAML or lacks any of that.

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace {

constexpr std::string_view begin_marker = "# tailsim-ci-test: begin";
constexpr std::string_view end_marker = "# tailsim-ci-test: end";

struct Job {
  std::vector<std::string> scripts;
  std::vector<std::string> junit_reports;
  std::vector<std::string> artifacts;
  std::vector<std::string> problems;
};

std::string trimmed(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string::npos ? ""
                                    : line.substr(first, line.find_last_not_of(" \t") - first + 1);
}

/// A scalar or a list of scalars, as lines.
std::vector<std::string> lines_of(const YAML::Node& node) {
  std::vector<std::string> out;
  const auto add = [&](const YAML::Node& scalar) {
    std::istringstream text(scalar.as<std::string>());
    for (std::string line; std::getline(text, line);) {
      if (!trimmed(line).empty()) {
        out.push_back(trimmed(line));
      }
    }
  };
  if (node.IsScalar()) {
    add(node);
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      add(item);
    }
  }
  return out;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// A step that publishes must run after a failed gate: `if: always()` or
/// `!cancelled()`.
bool runs_after_failure(const YAML::Node& step) {
  const std::string condition = step["if"] ? step["if"].as<std::string>() : "";
  return condition.find("always()") != std::string::npos ||
         condition.find("!cancelled()") != std::string::npos;
}

void read_github(const YAML::Node& root, Job& job) {
  for (const auto& entry : root["jobs"]) {
    const YAML::Node& steps = entry.second["steps"];
    if (!entry.second["runs-on"] || !steps.IsSequence()) {
      job.problems.push_back("job " + entry.first.as<std::string>() + " lacks runs-on or steps");
      continue;
    }
    for (const auto& step : steps) {
      if (step["run"]) {
        job.scripts.push_back(step["run"].as<std::string>());
      }
      const std::string uses = step["uses"] ? step["uses"].as<std::string>() : "";
      const bool publishes_junit = starts_with(uses, "mikepenz/action-junit-report@");
      const bool uploads = starts_with(uses, "actions/upload-artifact@");
      if (!publishes_junit && !uploads) {
        continue;
      }
      if (!runs_after_failure(step)) {
        job.problems.push_back("step '" + uses + "' does not run when the gate fails");
      }
      auto& into = publishes_junit ? job.junit_reports : job.artifacts;
      for (const auto& path : lines_of(step["with"][publishes_junit ? "report_paths" : "path"])) {
        into.push_back(path);
      }
    }
  }
}

void read_gitlab(const YAML::Node& root, Job& job) {
  for (const auto& entry : root) {
    const YAML::Node& body = entry.second;
    if (!body.IsMap() || !body["script"]) {
      continue;
    }
    const YAML::Node& script = body["script"];
    if (script.IsScalar()) {
      job.scripts.push_back(script.as<std::string>());
    }
    for (const auto& item : script) {
      job.scripts.push_back(item.as<std::string>());
    }
    const YAML::Node& artifacts = body["artifacts"];
    if (!artifacts) {
      continue;
    }
    if (!artifacts["when"] || artifacts["when"].as<std::string>() != "always") {
      job.problems.push_back("job " + entry.first.as<std::string>() +
                             ": artifacts are not kept when the gate fails (when: always)");
    }
    for (auto& path : lines_of(artifacts["reports"]["junit"])) {
      job.junit_reports.push_back(std::move(path));
    }
    for (auto& path : lines_of(artifacts["paths"])) {
      job.artifacts.push_back(std::move(path));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ci_job_commands FILE\n");
    return 2;
  }
  Job job;
  try {
    const YAML::Node root = YAML::LoadFile(argv[1]);
    if (!root.IsMap()) {
      std::fprintf(stderr, "%s: not a map of jobs\n", argv[1]);
      return 1;
    }
    root["jobs"] ? read_github(root, job) : read_gitlab(root, job);
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
    return 1;
  }

  std::vector<std::string> commands;
  for (const auto& script : job.scripts) {
    bool inside = false;
    std::istringstream text(script);
    for (std::string line; std::getline(text, line);) {
      const std::string command = trimmed(line);
      if (command == begin_marker || command == end_marker) {
        inside = command == begin_marker;
      } else if (inside && !command.empty()) {
        commands.push_back(command);
      }
    }
  }
  // Both gates: the model on its SLOs, and the change against the base.
  for (const std::string_view gate : {"tailsim run ", "tailsim compare "}) {
    bool runs = false;
    for (const auto& command : commands) {
      runs = runs || starts_with(command, gate);
    }
    if (!runs) {
      job.problems.push_back("no '" + std::string(gate.substr(0, gate.size() - 1)) +
                             "' between the tailsim-ci-test markers");
    }
  }
  if (job.junit_reports.empty()) {
    job.problems.emplace_back("no JUnit report is published");
  }
  if (job.artifacts.empty()) {
    job.problems.emplace_back("no artifact is uploaded");
  }
  for (const auto& problem : job.problems) {
    std::fprintf(stderr, "%s: %s\n", argv[1], problem.c_str());
  }
  if (!job.problems.empty()) {
    return 1;
  }
  for (const auto& command : commands) {
    std::printf("%s\n", command.c_str());
  }
  for (const auto& path : job.junit_reports) {
    std::printf("expect_junit '%s'\n", path.c_str());
  }
  for (const auto& path : job.artifacts) {
    std::printf("expect_artifact '%s'\n", path.c_str());
  }
  return 0;
}
