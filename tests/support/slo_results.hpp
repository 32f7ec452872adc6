#pragma once
// The report's sample results with one more SLO check for the writers of
// checks (console, JUnit, Markdown): a latency check on a path, named with
// XML and Markdown markup, that had no successful request.

#include "report_html/sample_results.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::testing {

inline stats::Results slo_results() {
  stats::Results r = sample_results();
  stats::PathResult search;
  search.name = "search & <browse>";
  search.requests = 5;
  search.outcomes[stats::Outcome::error] = 5;
  r.paths.push_back(search);
  r.slos.push_back(slo_result("search & <browse>", "p(99)<1s", 0, false));
  return r;
}

}  // namespace tailsim::testing
