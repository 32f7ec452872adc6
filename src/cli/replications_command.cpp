// `run --replications N`, `--precision P%`: the flags every study shares and
// the replicated run.

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "interrupt.hpp"
#include "study_commands.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/study/runner.hpp"
#include "tailsim/study/seed_list.hpp"

namespace tailsim::cli {

void add_replication_flags(CLI::App& cmd, ReplicationFlags& flags, bool with_precision) {
  cmd.add_option("--replications,-r", flags.replications,
                 "Independent replications (seeds derived from --seed), 1 to 100000; a --seed "
                 "range or list sets both")
      ->type_name("N")
      ->default_val(flags.replications)
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}).description(""))
      ->each([&flags](const std::string&) { flags.replications_given = true; });
  cmd.add_option("--jobs,-j", flags.jobs,
                 "Simulations run at once, on threads (default: one per hardware thread; under "
                 "mpirun, 1 per rank); the output is the same whatever the number; 1 to 1024")
      ->type_name("N")
      ->check(CLI::Range(1U, 1024U).description(""));
  cmd.add_option("--max-memory", flags.max_memory,
                 "Memory budget of each simulation, e.g. 2GiB: a run whose live work would "
                 "exceed it stops early with what it has (default: a quarter of physical memory, "
                 "shared among --jobs)")
      ->type_name("SIZE");
  if (with_precision) {
    cmd.add_option("--precision", flags.precision,
                   "Replicate until every path's p99 half-width is within this share of its mean, "
                   "e.g. 5%")
        ->type_name("P%");
    cmd.add_option("--max-replications", flags.max_replications,
                   "The most replications --precision may run, 2 to 100000")
        ->type_name("N")
        ->default_val(flags.max_replications)
        ->check(CLI::Range(std::size_t{2}, std::size_t{100000}).description(""));
  }
}

bool is_replicated(const ReplicationFlags& flags) {
  return flags.replications > 1 || flags.precision.has_value();
}

namespace {

/// Sets the replications to exactly the seeds `--seed` lists (a range or a
/// list); false (after a message) when it is wrong or other flags disagree.
bool apply_listed_seeds(const ReplicationFlags& flags, const std::string& seed,
                        study::ReplicationOptions& options) {
  auto seeds = study::parse_seeds(seed);
  if (!seeds) {
    fmt::print(stderr, "error: --seed: {}\n", model::escape_control(seeds.error().message));
    return false;
  }
  if (seeds->size() == 1) {
    return true;  // one seed: the replications' seeds are derived from it
  }
  const std::string shown = model::escape_control(seed);
  if (flags.replications_given && flags.replications != seeds->size()) {
    fmt::print(stderr,
               "error: --seed {} names the seeds of {} replications, one run each, and "
               "--replications asks for {}: give one of them\n",
               shown, seeds->size(), flags.replications);
    return false;
  }
  if (flags.precision) {
    fmt::print(stderr,
               "error: --seed {} names the seeds of the replications and --precision decides "
               "how many to run: give one of them\n",
               shown);
    return false;
  }
  options.replications = seeds->size();
  options.seeds = std::move(seeds).value();
  return true;
}

}  // namespace

std::optional<study::ReplicationOptions> replication_options(
    const ReplicationFlags& flags, const std::optional<std::string>& seed) {
  study::ReplicationOptions options;
  options.replications = flags.replications;
  options.max_replications = flags.max_replications;
  // Under MPI each rank runs one simulation at a time unless told more: the
  // ranks are the parallelism (mpirun places them on the cores).
  options.jobs = flags.jobs > 0 ? flags.jobs : mpi_ranks() > 1 ? 1U : study::default_jobs();
  options.limits.stop_requested = &stop_flag();
  options.limits.runner = study_runner();
  if (flags.max_memory) {
    const auto bytes = model::parse_size(*flags.max_memory);
    if (!bytes || *bytes <= 0) {
      fmt::print(
          stderr,
          "error: --max-memory takes a size above zero, such as 2GiB or 512MiB, got '{}'{}\n",
          *flags.max_memory, bytes ? "" : ": " + bytes.error().message);
      return std::nullopt;
    }
    options.limits.max_memory_bytes = static_cast<std::uint64_t>(*bytes);
  } else {
    // The ranks may share a machine: the budget is shared among all of them.
    options.limits.max_memory_bytes = components::default_memory_budget(
        options.jobs * static_cast<unsigned>(std::min<std::size_t>(mpi_ranks(), 1024)));
  }
  if (flags.precision) {
    const auto precision = model::parse_fraction(*flags.precision);
    if (!precision || !(*precision > 0) || *precision >= 1) {
      fmt::print(stderr,
                 "error: --precision takes a share of the mean above 0% and below 100%, such as "
                 "5%, got '{}'\n",
                 *flags.precision);
      return std::nullopt;
    }
    options.precision = *precision;
    options.min_replications = std::max(options.min_replications, flags.replications);
  }
  if (seed && !apply_listed_seeds(flags, *seed, options)) {
    return std::nullopt;
  }
  return options;
}

std::string seeds_label(const study::ReplicationOptions& options, std::uint64_t base_seed,
                        const std::optional<std::string>& seed) {
  return options.seeds.empty() || !seed ? fmt::format("seed {}", base_seed)
                                        : "seeds " + model::escape_control(*seed);
}

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    // SIGPIPE is ignored: a reader gone away is an error here, not silence.
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      throw std::runtime_error(fmt::format("cannot write to stdout: {}", std::strerror(errno)));
    }
  } else {
    report::write_file_atomically(path, text);
  }
}

int study_exit_code(std::size_t stopped_runs, int otherwise) {
  if (received_signal() != 0) {
    fmt::print(stderr,
               "note: stopped by {}: the outputs cover the replications that ran before it, the "
               "last of them cut short\n",
               received_signal() == SIGINT ? "SIGINT" : "SIGTERM");
    return 128 + received_signal();  // written what it had; the shell's code for the signal
  }
  if (stopped_runs > 0) {
    fmt::print(stderr,
               "error: {} replication(s) stopped early; their numbers cover only what they "
               "simulated (see the output for why)\n",
               stopped_runs);
    return slo_failed;
  }
  return otherwise;
}

study::ReplicatedRun run_replications(const plan::Plan& plan,
                                      const study::ReplicationOptions& options, bool quiet) {
  ProgressBar progress(!quiet);
  return study::replicate(plan, options, [&](double done) { progress.update(done); });
}

}  // namespace tailsim::cli
