#pragma once
// A study's simulations beyond this process: over MPI ranks (`mpirun -np N
// tailsim sweep ...`, src/cli/mpi_study.cpp), in shards (`--shard K/N
// --partial FILE`) and their merge (`tailsim merge PART...`). The study code
// sees only a study::JobRunner (tailsim/study/runner.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "tailsim/study/runner.hpp"

namespace tailsim::cli {

/// --shard and --partial as given.
struct DistributionFlags {
  std::optional<std::string> shard;  ///< K/N
  std::string partial;               ///< the partial results file a shard writes
};

/// Adds --shard and --partial to a study command.
void add_distribution_flags(CLI::App& cmd, DistributionFlags& flags);

/// Thrown once a shard wrote its partial results (or could not, after a
/// message): the command writes no outputs and exits with `code`.
struct StudyHandedOff {
  int code = 0;
};

/// Prepares where the study's simulations run, before it starts: checks
/// --shard and --partial (refusing output options with them) and installs
/// the shard's runner, or checks that a merge's model files are those its
/// shards ran. `command` is `run`, `sweep` or `compare`; `models` the model
/// files; `args` the command line after `tailsim`. False after a message.
bool begin_study(std::string_view command, const std::vector<std::string>& models,
                 const std::vector<std::string>& args, const DistributionFlags& flags);

/// The runner the study's simulations go to: MPI's, a shard's or a merge's;
/// null to run them on this process's threads.
study::JobRunner* study_runner();

/// The hash of the study's model files' texts, once begin_study() read
/// them: the MPI ranks check they all read the same.
std::string study_models_hash();

/// Whether this process runs one shard of a study (--shard).
bool is_sharded();

/// Whether this process writes the study's outputs: false in MPI ranks
/// other than 0.
bool writes_outputs();

/// `tailsim merge PART... [OPTIONS]` (`args` from "merge" on): the shards'
/// partial results read back and checked, then the study's command run
/// with them instead of simulating; `run_command` runs a command line.
int run_merge(const std::vector<std::string>& args,
              int (*run_command)(const std::vector<std::string>& argv));

/// MPI around the program: started when the program runs under mpirun (or
/// another MPI launcher), finished when it ends. With one rank, or no MPI,
/// it does nothing.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession();
  /// Ends the program's part in MPI with exit code `code`; returns the code
  /// the process exits with: rank 0's in every rank.
  int finish(int code);
};

/// The ranks sharing the study (1 without MPI).
std::size_t mpi_ranks();

/// This process's MPI rank: 0 without MPI.
int mpi_rank();

/// The runner that shares a study's simulations among the MPI ranks; null
/// with one rank or without MPI.
study::JobRunner* mpi_runner();

/// Thrown in a rank other than 0 when rank 0 ended the program while this
/// rank waited for work (it stopped before the study, on bad input).
struct MpiRankZeroLeft {};

}  // namespace tailsim::cli
