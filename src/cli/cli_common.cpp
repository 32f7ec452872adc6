#include "cli_common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "distribution.hpp"
#include "tailsim/model/load_scaling.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/report/progress_text.hpp"
#include "tailsim/study/seed_list.hpp"

namespace tailsim::cli {

CheckedModel load_checked_model(const std::string& path, const std::vector<std::string>& overrides,
                                const std::vector<std::string>& allowed_paths,
                                std::optional<Duration> duration) {
  model::LoadOptions options{overrides, {allowed_paths.begin(), allowed_paths.end()}, duration};
  CheckedModel checked{model::load_file(path, options), std::nullopt};
  if (checked.load.model) {
    checked.graph = graph::build_graph(*checked.load.model, checked.load.diagnostics);
    checked.load.diagnostics.sort();
  }
  return checked;
}

CheckedModel check_model(const std::string& path, const std::vector<std::string>& overrides,
                         const std::vector<std::string>& allowed_paths,
                         std::optional<Duration> duration) {
  CheckedModel checked = load_checked_model(path, overrides, allowed_paths, duration);
  std::fputs(checked.load.diagnostics.format_all().c_str(), stderr);
  return checked;
}

void add_allow_path_option(CLI::App& cmd, std::vector<std::string>& allowed_paths) {
  cmd.add_option("--allow-path", allowed_paths,
                 "A folder outside the model's own that its data files (empirical, trace) may "
                 "be read from (repeatable); by default a model reads files only inside its "
                 "folder")
      ->type_name("DIR")
      ->check(CLI::Validator(CLI::ExistingDirectory).description(""))
      ->allow_extra_args(false);
}

void add_load_option(CLI::App& cmd, std::optional<std::string>& load) {
  cmd.add_option("--load", load,
                 "Scale every workload's traffic (rates, schedules, bursts with them, closed "
                 "users), e.g. 3x for three times the model's")
      ->type_name("FACTOR");
}

bool apply_load(const std::optional<std::string>& load, model::Model& m, std::string_view flag) {
  if (!load) {
    return true;
  }
  const auto factor = model::parse_load_factor(*load);
  if (!factor) {
    fmt::print(stderr, "error: {}: {}\n", flag, model::escape_control(factor.error().message));
    return false;
  }
  if (auto error = model::scale_load(m, *factor)) {
    fmt::print(stderr, "error: {} {}: {}\n", flag, model::escape_control(*load),
               model::escape_control(*error));
    return false;
  }
  return true;
}

std::optional<Duration> duration_flag(const SeedAndDuration& flags) {
  if (!flags.duration) {
    return std::nullopt;
  }
  const auto duration = model::parse_duration(*flags.duration);
  if (!duration || *duration <= Duration::zero()) {
    return std::nullopt;
  }
  return *duration;
}

bool apply_seed_and_duration(const SeedAndDuration& flags, model::Model& m) {
  if (!apply_load(flags.load, m)) {
    return false;
  }
  if (flags.seed) {
    // A range or list (--seed 1..5) seeds the replications; the first is
    // the model's, as the one seed is.
    auto seeds = study::parse_seeds(*flags.seed);
    if (!seeds) {
      fmt::print(stderr, "error: --seed: {}\n", model::escape_control(seeds.error().message));
      return false;
    }
    m.simulation.seed.value = seeds->front();
  }
  if (flags.duration) {
    auto duration = model::parse_duration(*flags.duration);
    if (!duration || *duration <= Duration::zero()) {
      fmt::print(stderr, "error: --duration: {}\n",
                 duration ? std::string("must be above zero") : duration.error().message);
      return false;
    }
    const auto& sim = m.simulation;
    if (auto too_long = model::simulated_time_error(sim.warmup.value, *duration, sim.drain.value)) {
      fmt::print(stderr, "error: --duration: {}\n", *too_long);
      return false;
    }
    m.simulation.duration.value = *duration;
  }
  return true;
}

bool stdout_wants_color(const std::string& color) {
  if (color == "always" || color == "never") {
    return color == "always";
  }
  // Under mpirun with several ranks, rank 0's stdout is mpirun's
  // pseudo-terminal whatever the user's is: no colour unless asked.
  if (mpi_ranks() > 1) {
    return false;
  }
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0') &&
         !(term != nullptr && std::string_view(term) == "dumb");
}

ProgressBar::ProgressBar(bool enabled) {
  const auto kind = report::progress_kind(!enabled, isatty(STDERR_FILENO) != 0);
  enabled_ = kind != report::ProgressKind::none;
  lines_ = kind == report::ProgressKind::lines;
}

ProgressBar::~ProgressBar() {
  if (shown_ && !lines_) {
    std::fputs("\r\033[K", stderr);
  }
}

void ProgressBar::update(double done) {
  if (!enabled_) {
    return;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (lines_) {
    if (report::progress_line_due(elapsed, last_line_s_)) {
      std::fputs(report::progress_line(done, elapsed).c_str(), stderr);
      std::fflush(stderr);
      last_line_s_ = elapsed;
    }
    return;
  }
  if (elapsed < 1.0) {
    return;
  }
  constexpr int width = 30;
  const int filled = std::clamp(static_cast<int>(done * width), 0, width);
  const double left = done > 0 ? elapsed * (1 - done) / done : 0;
  fmt::print(stderr, "\rsimulating [{}{}] {:3.0f}%  {:.0f}s left ", std::string(filled, '#'),
             std::string(width - filled, '.'), done * 100, left);
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace tailsim::cli
