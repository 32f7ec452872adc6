#pragma once
/// Episodes in words: the console's WHAT HAPPENED block and the labels
/// report.html draws on its time axes (docs/semantics.md, "Episodes").

#include <cstddef>
#include <string>
#include <vector>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// "checkout 62 s-140 s": the path and the stretch of time.
std::string episode_title(const stats::Episode& episode);

/// One line for an episode: its title, how far it departed, what was
/// happening (faults first), then its largest causes: "checkout 62 s-140 s:
/// p99 2.40s (baseline 180.0ms), 71% errors, during fault db-slow (60-70 s),
/// retries to db.query x3.1; db waiting for a worker 64%".
std::string episode_line(const stats::Episode& episode);

/// A condition in a few words: "fault db-slow (60-70 s)", "retries to
/// db.query x3.1", "scale-up of api 2 -> 5".
std::string condition_text(const stats::EpisodeCondition& condition);

/// "checkout did not recover after the load spike on checkout ended at 65
/// s: sustained by mid -> db.query retries", or how long it took to recover.
std::string verdict_line(const stats::MetastableVerdict& verdict);

/// The episodes a summary shows when there are more than `most`: the
/// largest (longest and furthest from their baseline), in time order.
std::vector<const stats::Episode*> episodes_to_show(const std::vector<stats::Episode>& episodes,
                                                    std::size_t most);

/// The console's WHAT HAPPENED block: a line per episode (at most 8) and
/// per metastability verdict; empty when the run had no episode.
std::string episodes_section(const stats::Results& results);

}  // namespace tailsim::report
