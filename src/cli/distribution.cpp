// Shards (`--shard K/N --partial FILE`) and their merge (`tailsim merge`):
// a study's simulations dealt among processes that share no network, each
// writing the exact measures of its share, merged into the outputs one
// process would have written.

#include "distribution.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "interrupt.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/study/partial_results.hpp"

namespace tailsim::cli {
namespace {

/// The options that choose a command's outputs: a shard takes none (it
/// writes its partial results), a merge takes only these.
struct OutputOptions {
  std::vector<std::string_view> with_value;
  std::vector<std::string_view> flags;
};

OutputOptions output_options(std::string_view command) {
  if (command == "sweep") {
    return {{"--csv", "--json", "--report"}, {}};
  }
  if (command == "compare") {
    return {{"--json", "--junit", "--summary-md", "--out", "--color"}, {}};
  }
  return {{"--json", "--junit", "--summary-md", "--out", "--traces", "--epoch", "--color"},
          {"--no-attribution"}};
}

/// The option an argument names (`--csv` of `--csv=x`), or "".
std::string_view option_name(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') {
    return {};
  }
  return arg.substr(0, arg.find('='));
}

bool lists_option(const std::vector<std::string_view>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

/// The command line a study's shards share: without --shard, --partial,
/// --jobs and --quiet, which do not change its simulations.
std::vector<std::string> study_args(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--quiet" || arg == "-q") {
      continue;
    }
    if (arg == "--shard" || arg == "--partial" || arg == "--jobs" || arg == "-j") {
      ++i;  // and its value
      continue;
    }
    if (arg.starts_with("--shard=") || arg.starts_with("--partial=") ||
        arg.starts_with("--jobs=") || (arg.starts_with("-j") && arg.size() > 2)) {
      continue;
    }
    out.push_back(arg);
  }
  return out;
}

/// The hash of the model files' texts, in order.
std::string models_hash(const std::vector<std::string>& models) {
  std::string hashes;
  for (const auto& path : models) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    hashes += study::text_hash(in ? text.str() : std::string("(unreadable)"));
  }
  return study::text_hash(hashes);
}

std::string shown_args(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& arg : args) {
    out += (out.empty() ? "" : " ") + model::escape_control(arg);
  }
  return out;
}

/// `--shard K/N` read: {K, N}, or nothing.
std::optional<std::pair<std::size_t, std::size_t>> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return std::nullopt;
  }
  std::size_t k = 0;
  std::size_t n = 0;
  const auto digits = [](std::string_view s, std::size_t& v) {
    if (s.empty() || s.size() > 6 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    v = std::stoul(std::string(s));
    return true;
  };
  if (!digits(std::string_view(text).substr(0, slash), k) ||
      !digits(std::string_view(text).substr(slash + 1), n) || k < 1 || k > n || n > 100000) {
    return std::nullopt;
  }
  return std::pair{k, n};
}

/// Runs one shard's share of a study and writes its partial results.
class ShardRunner final : public study::JobRunner {
 public:
  ShardRunner(study::StudyFingerprint study, std::size_t shard, std::size_t shards,
              std::string path)
      : study_(std::move(study)), shard_(shard), shards_(shards), path_(std::move(path)) {}

  std::vector<study::RunMetrics> run(const study::JobBatch& batch) override {
    study::PartialResults partial;
    partial.study = study_;
    partial.shard = shard_;
    partial.shards = shards_;
    partial.jobs = batch.count;
    partial.first_here = batch.first_here;
    for (std::size_t i = 0; i < batch.count; ++i) {
      if (study::shard_of(i, shards_, batch.first_here) == shard_) {
        partial.indexes.push_back(i);
      }
    }
    partial.runs.resize(partial.indexes.size());
    study::run_in_parallel(
        partial.indexes.size(), batch.jobs,
        [&](std::size_t k) { partial.runs[k] = batch.run(partial.indexes[k]); },
        [&](std::size_t finished) {
          if (batch.on_done) {
            batch.on_done(finished * batch.count /
                          std::max<std::size_t>(partial.indexes.size(), 1));
          }
        });
    const bool complete = std::all_of(partial.runs.begin(), partial.runs.end(),
                                      [](const study::RunMetrics& r) { return r.ran; });
    if (received_signal() != 0 || !complete) {
      fmt::print(stderr, "note: stopped by {}: shard {}/{} wrote no partial results\n",
                 received_signal() == SIGINT ? "SIGINT" : "SIGTERM", shard_, shards_);
      throw StudyHandedOff{128 + (received_signal() != 0 ? received_signal() : SIGTERM)};
    }
    report::write_file_atomically(path_, study::format_partial(partial));
    fmt::print(stderr, "shard {}/{}: {} of the study's {} simulations, in {}\n", shard_, shards_,
               partial.indexes.size(), batch.count, path_);
    throw StudyHandedOff{ok};
  }

 private:
  study::StudyFingerprint study_;
  std::size_t shard_;
  std::size_t shards_;
  std::string path_;
};

/// Serves a study's simulations from its shards' partial results; job 0
/// of a batch that keeps it in full runs here.
class MergeRunner final : public study::JobRunner {
 public:
  explicit MergeRunner(std::vector<study::PartialResults> parts) : parts_(std::move(parts)) {}

  std::vector<study::RunMetrics> run(const study::JobBatch& batch) override {
    const study::PartialResults& first = parts_.front();
    if (used_ || batch.count != first.jobs || batch.first_here != first.first_here) {
      throw std::runtime_error(fmt::format(
          "the partial results hold {} simulations and the study has {}: merge parts of this "
          "study, written by this tailsim",
          first.jobs, batch.count));
    }
    used_ = true;
    std::vector<study::RunMetrics> out(batch.count);
    for (auto& part : parts_) {
      for (std::size_t k = 0; k < part.indexes.size(); ++k) {
        out[part.indexes[k]] = std::move(part.runs[k]);
      }
    }
    if (batch.first_here && batch.count > 0) {
      out[0] = batch.run(0);
    }
    if (batch.on_done) {
      batch.on_done(batch.count);
    }
    return out;
  }

  [[nodiscard]] const study::StudyFingerprint& study() const { return parts_.front().study; }

 private:
  std::vector<study::PartialResults> parts_;
  bool used_ = false;
};

/// The hash of the study's model files (begin_study), which the MPI ranks
/// check they share.
std::string& models_key() {
  static std::string key;
  return key;
}

std::unique_ptr<ShardRunner>& shard_runner() {
  static std::unique_ptr<ShardRunner> runner;
  return runner;
}

std::unique_ptr<MergeRunner>& merge_runner() {
  static std::unique_ptr<MergeRunner> runner;
  return runner;
}

constexpr std::string_view merge_help =
    "Combine the partial results of a study's shards into its outputs\n"
    "Usage: tailsim merge PART... [OPTIONS]\n"
    "\n"
    "PART: the partial results files `--shard K/N --partial FILE` wrote, one per shard, in "
    "any order (before, after or among the options).\n"
    "OPTIONS: the study's output options, as its command takes them:\n"
    "  sweep:   --csv FILE, --json FILE, --report FILE, --quiet\n"
    "  compare: --json FILE, --junit FILE, --summary-md FILE, --out DIR, --color WHEN, --quiet\n"
    "  run:     --json FILE, --junit FILE, --summary-md FILE, --out DIR, --traces N, --epoch "
    "TIME, --color WHEN, --no-attribution, --quiet\n"
    "The outputs are those the study's command writes in one process. The model files must be "
    "where, and as, the shards read them. `run --replications` runs replication 0 again here: "
    "its outputs keep it in full.\n"
    "\n"
    "Example: tailsim merge part-1 part-2 part-3 --csv sweep.csv\n";

}  // namespace

void add_distribution_flags(CLI::App& cmd, DistributionFlags& flags) {
  cmd.add_option("--shard", flags.shard,
                 "Run share K of N of the study's simulations (1 <= K <= N) and write them to "
                 "--partial FILE; `tailsim merge` combines the N files into the outputs")
      ->type_name("K/N");
  cmd.add_option("--partial", flags.partial,
                 "With --shard: the partial results file to write, instead of the outputs")
      ->type_name("FILE");
}

bool begin_study(std::string_view command, const std::vector<std::string>& models,
                 const std::vector<std::string>& args, const DistributionFlags& flags) {
  models_key() = models_hash(models);
  if (const auto& merge = merge_runner()) {
    if (models_key() != merge->study().models) {
      fmt::print(stderr,
                 "error: merge: the model files differ from those the shards read; merge where "
                 "the shards' model files are, unchanged\n");
      return false;
    }
    return true;
  }
  if (!flags.shard && flags.partial.empty()) {
    return true;
  }
  if (!flags.shard) {
    fmt::print(stderr, "error: --partial goes with --shard K/N: it is the file a shard writes\n");
    return false;
  }
  if (flags.partial.empty()) {
    fmt::print(stderr,
               "error: --shard needs --partial FILE, the partial results file it writes "
               "instead of the outputs\n");
    return false;
  }
  const auto shard = parse_shard(*flags.shard);
  if (!shard) {
    fmt::print(stderr,
               "error: --shard takes K/N, share K of N (1 <= K <= N <= 100000), such as 2/5, "
               "got '{}'\n",
               model::escape_control(*flags.shard));
    return false;
  }
  if (mpi_ranks() > 1) {
    fmt::print(stderr,
               "error: --shard shares the study among separate processes and mpirun among its "
               "ranks: use one of them\n");
    return false;
  }
  const OutputOptions outputs = output_options(command);
  for (const auto& arg : args) {
    const auto name = option_name(arg);
    if (lists_option(outputs.with_value, name) || lists_option(outputs.flags, name)) {
      fmt::print(stderr,
                 "error: --shard writes the partial results file alone: give {} to `tailsim "
                 "merge` instead\n",
                 name);
      return false;
    }
  }
  if (const auto problem = report::output_file_problem(flags.partial)) {
    fmt::print(stderr, "error: --partial {}: {}\n", flags.partial, *problem);
    return false;
  }
  shard_runner() = std::make_unique<ShardRunner>(
      study::StudyFingerprint{TAILSIM_VERSION, study_args(args), models_key()}, shard->first,
      shard->second, flags.partial);
  return true;
}

std::string study_models_hash() {
  return models_key();
}

bool is_sharded() {
  return shard_runner() != nullptr;
}

study::JobRunner* study_runner() {
  if (shard_runner()) {
    return shard_runner().get();
  }
  if (merge_runner()) {
    return merge_runner().get();
  }
  return mpi_runner();
}

bool writes_outputs() {
  return mpi_rank() == 0;
}

int run_merge(const std::vector<std::string>& args,
              int (*run_command)(const std::vector<std::string>& argv)) {
  if (std::any_of(args.begin(), args.end(),
                  [](const std::string& a) { return a == "--help" || a == "-h"; })) {
    fmt::print("{}", merge_help);
    return ok;
  }
  // The parts, and the options with their values, in any order.
  std::vector<std::string> paths;
  std::vector<std::string> options;
  const OutputOptions any_output = output_options("run");
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (!args[i].starts_with('-') || args[i] == "-") {
      paths.push_back(args[i]);
      continue;
    }
    options.push_back(args[i]);
    const auto name = option_name(args[i]);
    const bool takes_value = lists_option(any_output.with_value, name) ||
                             lists_option(output_options("sweep").with_value, name);
    if (!takes_value && !lists_option(any_output.flags, name) && name != "--quiet" &&
        name != "-q") {
      fmt::print(stderr,
                 "error: merge takes the study's output options only (tailsim merge --help), "
                 "got '{}': the shards fixed the rest\n",
                 model::escape_control(args[i]));
      return bad_input;
    }
    if (takes_value && args[i] == name && i + 1 < args.size()) {
      options.push_back(args[++i]);
    }
  }
  if (paths.empty()) {
    fmt::print(stderr,
               "error: merge needs the partial results files of a study's shards: tailsim merge "
               "PART... [OPTIONS] (tailsim merge --help)\n");
    return bad_input;
  }
  std::vector<study::PartialResults> parts;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      fmt::print(stderr, "error: merge: cannot read {}\n", model::escape_control(path));
      return bad_input;
    }
    try {
      parts.push_back(study::parse_partial(text.str()));
    } catch (const std::runtime_error& e) {
      fmt::print(stderr, "error: merge: {} is no partial results file of tailsim: {}\n",
                 model::escape_control(path), e.what());
      return bad_input;
    }
  }
  const study::PartialResults& first = parts.front();
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const study::PartialResults& part = parts[p];
    std::string differs;
    if (part.study.version != first.study.version) {
      differs = fmt::format("tailsim {} wrote it, tailsim {} the other", part.study.version,
                            first.study.version);
    } else if (part.study.args != first.study.args) {
      differs = fmt::format("its command line is '{}', the other's '{}'",
                            shown_args(part.study.args), shown_args(first.study.args));
    } else if (part.study.models != first.study.models) {
      differs = "the model files it read differ";
    } else if (part.shards != first.shards || part.jobs != first.jobs ||
               part.first_here != first.first_here) {
      differs = fmt::format("it is shard {}/{}, the other of {} shards", part.shard, part.shards,
                            first.shards);
    }
    if (!differs.empty()) {
      fmt::print(stderr, "error: merge: {} is a shard of another study than {}: {}\n",
                 model::escape_control(paths[p]), model::escape_control(paths[0]), differs);
      return bad_input;
    }
  }
  std::vector<std::size_t> owner(first.shards + 1, paths.size());
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const std::size_t k = parts[p].shard;
    if (owner[k] != paths.size()) {
      fmt::print(stderr, "error: merge: shard {}/{} is given twice: {} and {}\n", k, first.shards,
                 model::escape_control(paths[owner[k]]), model::escape_control(paths[p]));
      return bad_input;
    }
    owner[k] = p;
    std::vector<std::size_t> expected;
    for (std::size_t j = 0; j < first.jobs; ++j) {
      if (study::shard_of(j, first.shards, first.first_here) == k) {
        expected.push_back(j);
      }
    }
    if (parts[p].indexes != expected) {
      fmt::print(stderr,
                 "error: merge: {} is no partial results file of tailsim: shard {}/{} does not "
                 "hold its share of the simulations\n",
                 model::escape_control(paths[p]), k, first.shards);
      return bad_input;
    }
  }
  std::vector<std::string> missing;
  for (std::size_t k = 1; k <= first.shards; ++k) {
    if (owner[k] == paths.size()) {
      missing.push_back(fmt::format("{}/{}", k, first.shards));
    }
  }
  if (!missing.empty()) {
    fmt::print(stderr, "error: merge: shard{} {} {} missing: give all {} parts of the study\n",
               missing.size() == 1 ? "" : "s", fmt::join(missing, ", "),
               missing.size() == 1 ? "is" : "are", first.shards);
    return bad_input;
  }
  const std::string command = first.study.args.empty() ? "" : first.study.args.front();
  const OutputOptions outputs = output_options(command);
  for (std::size_t o = 0; o < options.size(); ++o) {
    const std::string& arg = options[o];
    const auto name = option_name(arg);
    if (arg == "--quiet" || arg == "-q" || lists_option(outputs.flags, arg)) {
      continue;
    }
    if (lists_option(outputs.with_value, name)) {
      if (arg == name && ++o == options.size()) {
        fmt::print(stderr, "error: merge: {} needs a value\n", name);
        return bad_input;
      }
      continue;
    }
    fmt::print(stderr,
               "error: merge takes the study's output options only ({} takes {}{}, --quiet), "
               "got '{}': the shards fixed the rest\n",
               command, fmt::join(outputs.with_value, ", "),
               outputs.flags.empty() ? "" : ", " + std::string(outputs.flags.front()),
               model::escape_control(arg));
    return bad_input;
  }
  std::vector<std::string> argv{"tailsim"};
  argv.insert(argv.end(), first.study.args.begin(), first.study.args.end());
  argv.insert(argv.end(), options.begin(), options.end());
  merge_runner() = std::make_unique<MergeRunner>(std::move(parts));
  return run_command(argv);
}

}  // namespace tailsim::cli
