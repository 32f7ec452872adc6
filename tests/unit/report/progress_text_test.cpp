#include "tailsim/report/progress_text.hpp"

#include <catch2/catch.hpp>

using tailsim::report::ProgressKind;

TEST_CASE("progress: a bar on a terminal, lines elsewhere, nothing when quiet", "[progress]") {
  CHECK(tailsim::report::progress_kind(/*quiet=*/false, /*stderr_is_terminal=*/true) ==
        ProgressKind::bar);
  CHECK(tailsim::report::progress_kind(false, false) == ProgressKind::lines);
  CHECK(tailsim::report::progress_kind(true, false) == ProgressKind::none);
  CHECK(tailsim::report::progress_kind(true, true) == ProgressKind::none);
}

TEST_CASE("progress: a line every ten seconds, none in a short run", "[progress]") {
  using tailsim::report::progress_line_due;
  CHECK_FALSE(progress_line_due(0.5, 0));
  CHECK_FALSE(progress_line_due(9.99, 0));
  CHECK(progress_line_due(10.0, 0));
  CHECK_FALSE(progress_line_due(19.0, 10.2));
  CHECK(progress_line_due(20.3, 10.2));
}

TEST_CASE("progress: a line says the share done, the time spent and left", "[progress]") {
  CHECK(tailsim::report::progress_line(0.25, 10) == "progress: 25% after 10s, about 30s left\n");
  CHECK(tailsim::report::progress_line(0, 12) == "progress: 0% after 12s\n");
  CHECK(tailsim::report::progress_line(1.5, 40) == "progress: 100% after 40s, about 0s left\n");
}
