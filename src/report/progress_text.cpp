#include "tailsim/report/progress_text.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tailsim::report {

ProgressKind progress_kind(bool quiet, bool stderr_is_terminal) {
  if (quiet) {
    return ProgressKind::none;
  }
  return stderr_is_terminal ? ProgressKind::bar : ProgressKind::lines;
}

bool progress_line_due(double elapsed_s, double last_line_s) {
  return elapsed_s - last_line_s >= progress_line_every_s;
}

std::string progress_line(double done, double elapsed_s) {
  const double share = std::clamp(done, 0.0, 1.0);
  if (share <= 0) {
    return fmt::format("progress: 0% after {:.0f}s\n", elapsed_s);
  }
  return fmt::format("progress: {:.0f}% after {:.0f}s, about {:.0f}s left\n", share * 100,
                     elapsed_s, elapsed_s * (1 - share) / share);
}

}  // namespace tailsim::report
