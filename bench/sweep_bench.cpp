// Sweep throughput: grid points per second on one thread and on two, and the
// speedup. A sweep's points and replications are independent simulations,
// run whole on each thread (study::run_jobs), so two cores should give close
// to twice the points per second; the target is at least 1.8x.
//
// The sweep: examples/quickstart.yaml over
// workloads.checkout.rate=40..110:10/s (8 points), each point replicated.
// Each configuration runs three times; the best time counts, since other
// processes on the machine only ever slow a run down.
//
// Usage: sweep_bench [REPLICATIONS=4] [DURATION=2m]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tailsim/model/loader.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/study/sweep.hpp"

namespace {

namespace study = tailsim::study;

std::vector<tailsim::plan::Plan> compile_points(const study::Vary& vary,
                                                tailsim::Duration duration) {
  std::vector<tailsim::plan::Plan> plans;
  for (const auto& point : study::sweep_grid(std::vector{vary})) {
    auto loaded = tailsim::model::load_file(
        TAILSIM_QUICKSTART,
        tailsim::model::LoadOptions{study::point_overrides(std::vector{vary}, point)});
    if (!loaded.ok()) {
      fmt::print(stderr, "{}", loaded.diagnostics.format_all());
      std::exit(1);
    }
    loaded.model->simulation.duration.value = duration;
    auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
    if (!plan) {
      std::exit(1);
    }
    plans.push_back(std::move(*plan));
  }
  return plans;
}

/// The best wall-clock seconds of three sweeps on `jobs` threads.
double best_seconds(const std::vector<tailsim::plan::Plan>& plans, const study::Vary& vary,
                    std::size_t replications, unsigned jobs, std::string& csv) {
  double best = 1e300;
  for (int round = 0; round < 3; ++round) {
    const auto started = std::chrono::steady_clock::now();
    const auto sweep = study::run_sweep(plans, {vary}, replications, jobs);
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    csv = study::sweep_to_csv(sweep);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t replications = argc > 1 ? std::stoul(argv[1]) : 4;
  const auto duration = tailsim::model::parse_duration(argc > 2 ? argv[2] : "2m");
  if (!duration || replications == 0) {
    fmt::print(stderr, "usage: sweep_bench [REPLICATIONS=4] [DURATION=2m]\n");
    return 2;
  }
  const auto vary = study::parse_vary("workloads.checkout.rate=40..110:10/s");
  const auto plans = compile_points(*vary, *duration);
  fmt::print(
      "examples/quickstart.yaml, {} points x {} replications of {} measured; {} hardware "
      "threads\n",
      plans.size(), replications, tailsim::model::format_duration(*duration),
      std::thread::hardware_concurrency());
  std::string csv_one;
  std::string csv_two;
  const double one = best_seconds(plans, *vary, replications, 1, csv_one);
  const double two = best_seconds(plans, *vary, replications, 2, csv_two);
  const auto points = static_cast<double>(plans.size());
  fmt::print("{:>8} {:>12} {:>12}\n", "threads", "seconds", "points/s");
  fmt::print("{:>8} {:>12.3f} {:>12.2f}\n", 1, one, points / one);
  fmt::print("{:>8} {:>12.3f} {:>12.2f}\n", 2, two, points / two);
  fmt::print("speedup {:.2f}x (target 1.8x); same CSV on 1 and 2 threads: {}\n", one / two,
             csv_one == csv_two ? "yes" : "NO");
  return csv_one == csv_two ? 0 : 1;
}
