#pragma once
/// The distribution language of the model format (SPEC.md, "Distributions"),
/// parsed into a small value type. Nothing is sampled here: the engine turns a
/// `DistSpec` into a sampler.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model {

struct DistSpec;

/// `3ms`: always the same value.
struct ConstantDist {
  Duration value{};
};
/// `exp(2ms)`.
struct ExponentialDist {
  Duration mean{};
};
/// `uniform(1ms, 3ms)`: low < high.
struct UniformDist {
  Duration low{};
  Duration high{};
};
/// `normal(mean=5ms, sd=1ms)`, truncated at 0 by resampling.
struct NormalDist {
  Duration mean{};
  Duration sd{};
};
/// `lognormal(median=, p99=)` or `lognormal(mean=, cv=)`, stored as the
/// parameters of the underlying normal of ln(nanoseconds).
struct LogNormalDist {
  double mu = 0;
  double sigma = 0;
};
/// `gamma(mean=, cv=)`: shape = 1/cv^2.
struct GammaDist {
  Duration mean{};
  double shape = 1;
};
/// `erlang(k=, mean=)`: the sum of k exponentials.
struct ErlangDist {
  std::int64_t k = 1;
  Duration mean{};
};
/// `pareto(min=, alpha=)`.
struct ParetoDist {
  Duration min{};
  double alpha = 1;
};
/// `weibull(scale=, shape=)`.
struct WeibullDist {
  Duration scale{};
  double shape = 1;
};
/// `empirical(file.csv)`: one duration per line, drawn uniformly.
struct EmpiricalDist {
  std::string path;
  std::vector<Duration> samples;
};
/// `mix(90% exp(1ms), 10% exp(40ms))`: weights sum to 1.
struct MixDist {
  std::vector<double> weights;
  std::vector<DistSpec> parts;
};

/// One parsed distribution: its form, the text it was written as, and where.
struct DistSpec {
  std::variant<ConstantDist, ExponentialDist, UniformDist, NormalDist, LogNormalDist, GammaDist,
               ErlangDist, ParetoDist, WeibullDist, EmpiricalDist, MixDist>
      form;
  std::string text;
  SourceLoc loc;

  /// The mean in nanoseconds (infinite for a Pareto with alpha <= 1).
  [[nodiscard]] double mean_ns() const;
  [[nodiscard]] bool is_constant() const { return std::holds_alternative<ConstantDist>(form); }
};

/// An argument of a distribution: positional when `name` is empty. `text`
/// starts at `offset` in the original string and the name at `name_offset`
/// (for error columns).
struct DistArg {
  std::string name;
  std::string text;
  std::size_t offset = 0;
  std::size_t name_offset = 0;
};

/// What `empirical(...)` needs to read its file; the file's own problems are
/// reported as diagnostics against that file.
struct DistContext {
  /// The model's folder: files are named relative to it, and read only inside it.
  std::filesystem::path base_dir;
  Diagnostics* diagnostics = nullptr;
  /// Folders outside `base_dir` the user allowed files to be read from (`--allow-path`).
  std::vector<std::filesystem::path> allowed_dirs = {};
  /// The values are numbers of cores, not durations: a bare number is that
  /// many cores, kept as that many seconds (one core per second of value).
  bool cores = false;
};

/// Parses the string form: `3ms`, `exp(2ms)`, `lognormal(median=2ms, p99=20ms)`,
/// `mix(90% exp(1ms), 10% exp(40ms))`, `empirical(file.csv)`.
ParseResult<DistSpec> parse_distribution(std::string_view text, const DistContext& context);

/// Builds a distribution from a name and its arguments, checking parameters
/// (lognormal p99 > median, uniform low < high, positive means, ...). Both the
/// string form and the YAML map form (`{lognormal: {median: 2ms, p99: 20ms}}`)
/// end here. For `mix`, each argument's text is `WEIGHT DIST`.
ParseResult<DistSpec> build_distribution(std::string_view name, const std::vector<DistArg>& args,
                                         const DistContext& context);

/// Builds a mixture from already-parsed parts (the YAML map form).
ParseResult<DistSpec> build_mixture(std::vector<double> weights, std::vector<DistSpec> parts);

/// What a file of durations holds: an empirical distribution's samples or a
/// trace workload's arrival times (the word its messages use).
enum class SampleFileKind { empirical, trace };

/// A file of durations that a model named, read.
struct SampleFile {
  std::filesystem::path path;  ///< where it was read, links followed
  std::vector<Duration> samples;
};

/// Reads the file of durations that the model names as `written`: one duration
/// per line, `#` comments and blank lines allowed. The name is relative to the
/// model's folder, and the file must lie inside it or inside an allowed folder
/// (data_file.hpp). Problems of its lines are reported at `FILE:line:col`
/// through the context, quoting at most 40 characters of a line.
ParseResult<SampleFile> read_sample_file(std::string_view written, const DistContext& context,
                                         SampleFileKind kind);

/// The names of every distribution, for did-you-mean hints.
[[nodiscard]] std::span<const std::string> distribution_names();

}  // namespace tailsim::model
