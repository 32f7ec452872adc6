#pragma once
/// Loading a model: YAML text to a checked `Model`, or every problem found.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/model.hpp"

namespace tailsim::model {

struct LoadOptions {
  /// `PATH=VALUE` overrides (`--set`), applied to the YAML before validation.
  std::vector<std::string> overrides;
  /// Folders outside the model's own from which its data files (empirical,
  /// trace) may be read (`--allow-path`); see data_file.hpp.
  std::vector<std::filesystem::path> allowed_paths = {};
  /// The measured duration the caller will run instead of the model's
  /// (`--duration`), if any: what the checks that depend on the duration
  /// (an interval longer than the run) compare with.
  std::optional<Duration> duration = std::nullopt;
};

/// The model and every diagnostic of the load. `model` is present whenever
/// the text was YAML, even with errors, so later checks (the dependency graph)
/// can report theirs in the same run; only an `ok()` model may be simulated.
struct LoadResult {
  std::optional<Model> model;
  Diagnostics diagnostics;

  [[nodiscard]] bool ok() const { return model.has_value() && !diagnostics.has_errors(); }
};

/// Reads and checks the model file at `path`. Never throws for bad input.
LoadResult load_file(const std::filesystem::path& path, const LoadOptions& options = {});

/// Reads and checks model text; `source_name` names it in diagnostics and
/// `base_dir` is where relative data files (empirical, trace) are looked up.
LoadResult load_string(std::string_view text, const std::string& source_name,
                       const LoadOptions& options = {}, const std::filesystem::path& base_dir = {});

/// Every key the model format defines, at any level (for `--set` paths and hints).
[[nodiscard]] std::span<const std::string> schema_keys();

}  // namespace tailsim::model
