#pragma once
/// A study run in shares: the measures of some of a study's simulations in a
/// text file (`--shard K/N --partial FILE`), exact to the bit, so that
/// `tailsim merge` writes the outputs one process would have written; and
/// the same text carries measures between MPI ranks.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/study/metrics.hpp"

namespace tailsim::study {

/// What names a study: the same fingerprint, the same simulations.
struct StudyFingerprint {
  std::string version;  ///< tailsim's
  std::vector<std::string>
      args;            ///< the command line after `tailsim`, as the study's shards share it
  std::string models;  ///< text_hash() of the model files' texts, in order

  bool operator==(const StudyFingerprint&) const = default;
};

/// One shard's share of a study.
struct PartialResults {
  StudyFingerprint study;
  std::size_t shard = 1;   ///< K of --shard K/N, from 1
  std::size_t shards = 1;  ///< N
  std::size_t jobs = 0;    ///< the study's simulations, all shards together
  /// Job 0 is left to the merge (JobBatch::first_here): no shard runs it.
  bool first_here = false;
  std::vector<std::size_t> indexes;  ///< the jobs this shard ran, ascending
  std::vector<RunMetrics> runs;      ///< their measures, one per index
};

/// The shard (1 to `shards`) that runs job `index`: jobs are dealt in
/// turn, so that each shard gets points from all over a sweep's grid. 0 for
/// job 0 when `first_here`: the merge runs it.
std::size_t shard_of(std::size_t index, std::size_t shards, bool first_here);

/// The FNV-1a 64-bit hash of `text`, as 16 hexadecimal digits.
std::string text_hash(std::string_view text);

/// `runs` as text, every number exact (doubles as hexadecimal floats).
std::string format_run_metrics(std::span<const RunMetrics> runs);
/// The runs format_run_metrics() wrote; throws std::runtime_error naming
/// what is wrong when `text` is not such a text.
std::vector<RunMetrics> parse_run_metrics(std::string_view text);

/// The partial results file: a header, the runs and a checksum of all.
std::string format_partial(const PartialResults& partial);
/// The file format_partial() wrote; throws std::runtime_error naming what
/// is wrong when it is not one, or was cut short or changed since.
PartialResults parse_partial(std::string_view text);

}  // namespace tailsim::study
