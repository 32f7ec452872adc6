#pragma once
/// The SLO checks of a run as JUnit XML, the test report every CI system
/// reads: GitLab (`artifacts: reports: junit`), Jenkins (`junit`), GitHub
/// through a JUnit action.
///
/// One `<testsuite>` per run and one `<testcase>` per SLO check, named so
/// GitLab's test view groups them by path: `classname="slo.<path>"`,
/// `name="<check as written>"`. A failed check carries a `<failure
/// type="slo">` whose message reads "p99 = 512.3ms, threshold < 400ms". Only
/// the attributes the reporters share are written (tests/report/junit.xsd).

#include <string>

#include "tailsim/report/slo_text.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// What the file says beyond `Results`.
struct JunitInputs {
  std::string
      model_path;     ///< the model file: the suite's `file`, and its name if the model has none
  double wall_s = 0;  ///< how long the run took: the suite's `time`, in seconds
};

/// The JUnit XML document of a run's SLO checks. A model without SLOs gives a
/// valid empty suite that says so in its `<system-out>`.
/// A study (`run --replications`, `compare`): each check's value is the
/// mean over the replications, stated with its half-width and count in the
/// failure's message and in each test case's `<system-out>`, with model A's
/// value and the difference in a comparison.
std::string format_junit(const stats::Results& results, const JunitInputs& inputs,
                         const SloStudy& study = {});

}  // namespace tailsim::report
