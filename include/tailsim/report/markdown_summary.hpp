#pragma once
/// A run in GitHub-flavoured Markdown, for the pages CI systems show beside a
/// job: GitHub's job summary (`cat summary.md >> "$GITHUB_STEP_SUMMARY"`) and
/// GitLab's job pages, merge requests and issues.
///
/// A verdict line, a table of the SLO checks, a table of the request paths,
/// and the busiest services. Plain text and tables only, so it renders where
/// images and HTML do not, and stays far below GitHub's 1 MiB per step.

#include <string>

#include "tailsim/report/slo_text.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// The Markdown summary of a run. With a study (`run --replications`,
/// `compare`), each check is stated as mean ± half-width over the
/// replications, with model A's value and the difference in a comparison;
/// the request paths, when `results` has them, are replication 0's.
std::string format_markdown_summary(const stats::Results& results, const SloStudy& study = {});

}  // namespace tailsim::report
