#pragma once
/// What a long command shows of its progress on stderr: a bar redrawn in
/// place on a terminal, or, in a CI log or a file, a plain line every ten
/// seconds of wall time (a run that would otherwise print nothing for
/// minutes). The clock is the caller's: these decide and format.

#include <string>

namespace tailsim::report {

enum class ProgressKind { none, bar, lines };

/// Seconds of wall time between two progress lines, and before the first:
/// a run shorter than this prints none.
inline constexpr double progress_line_every_s = 10.0;

/// `quiet`: nothing; stderr a terminal: the bar; otherwise lines.
ProgressKind progress_kind(bool quiet, bool stderr_is_terminal);

/// Whether a line is due at `elapsed_s` when the last was printed at
/// `last_line_s` (0: none yet).
bool progress_line_due(double elapsed_s, double last_line_s);

/// One progress line, newline included: "progress: 42% after 20s, about
/// 28s left". `done` is the share finished, 0 to 1.
std::string progress_line(double done, double elapsed_s);

}  // namespace tailsim::report
