#pragma once
// SIGINT and SIGTERM: the first asks the run to stop and keep what it has;
// the command writes its results and exits with 128 + the signal's number.
// A second one ends the process at once, removing the temporary files being
// written (report::remove_files_being_written), so it leaves none behind.

#include <atomic>

namespace tailsim::cli {

/// Installs the handlers of SIGINT and SIGTERM (once, at start), and ignores
/// SIGPIPE: a reader that goes away (`| head`, a `dot` that fails) is a
/// write error to report, not the death of the process.
void install_interrupt_handlers();

/// Set by the first SIGINT or SIGTERM; a run given it stops at its next check.
const std::atomic<bool>& stop_flag();

/// The signal that set stop_flag(), or 0 when none came.
int received_signal();

}  // namespace tailsim::cli
