#pragma once
/// `tailsim compare --out DIR`'s compare.html: models A and B overlaid on one
/// self-contained page (no script, nothing fetched). Per request path both
/// models have, the latency CDF and the p99 per interval of replication 0 of
/// each, which ran on the same seed; above them B's SLO checks with their
/// intervals over the replications and A's side, and the services, queues
/// and caches of both with B - A.

#include <string>
#include <vector>

#include "tailsim/report/slo_text.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// What the page says beyond the two runs.
struct CompareReportInputs {
  std::string a_file;  ///< model A's file, as the user gave it
  std::string b_file;
  std::size_t replications = 0;
  std::string gate;  ///< "pass" or "fail"
  /// The services, queues and caches over the replications, as text: a
  /// header row (component, metric, A, B, B - A, change), then a row per
  /// metric. Empty: no table.
  std::vector<std::vector<std::string>> components = {};
};

/// The page as HTML text. `a` and `b` are replication 0 of each model in
/// full; `b_checks` and `study` B's SLO checks over the replications (see
/// format_junit). Same inputs, same bytes.
std::string format_compare_report(const stats::Results& a, const stats::Results& b,
                                  const stats::Results& b_checks, const SloStudy& study,
                                  const CompareReportInputs& inputs);

}  // namespace tailsim::report
