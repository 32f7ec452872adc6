#pragma once
// `tailsim calibrate` (src/cli/calibrate_command.cpp): a model checked
// against the traces of the system it stands for.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "import_command.hpp"

namespace tailsim::cli {

/// What `tailsim calibrate` was asked for.
struct CalibrateArgs {
  std::string model_path;
  TraceFlags traces;
  std::optional<std::string> tolerance;
  std::optional<std::string> tolerance_p99;
  std::optional<std::string> tolerance_errors;
  std::vector<std::string> overrides;
  std::vector<std::string> allowed_paths;
  SeedAndDuration seed_and_duration;
  std::string json_path;
  std::string out_dir;
  std::string color = "auto";
  bool quiet = false;
};

/// Registers `calibrate` on `app`.
CLI::App* add_calibrate_command(CLI::App& app, CalibrateArgs& args);
/// Exit 0 when every figure passes, 1 when one is off, 2 for bad input.
int run_calibrate(const CalibrateArgs& args, const std::string& command_line);

}  // namespace tailsim::cli
