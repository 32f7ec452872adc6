// The engine's speed on the reference models (models/*.yaml), each at its own
// rates and for its own duration: events per second without attribution, the
// default run's cost (attribution in its one observing pass) against the
// plain run, and the peak memory of each.
//
// Only `simulate` is timed: loading and checking the YAML, compiling the plan
// and writing results are outside the clock (`tailsim run` spends about
// 45 ms on them for models/online-boutique.yaml; model_load_bench measures
// loading). Every run is in a child process, so that its peak memory is its
// own.
//
// Usage: reference_models_bench [REPEATS=3] [MODEL.yaml...]
//
// Without models it runs the four in models/. With REPEATS > 1 the runs take
// turns (each model plain, then attributed, round by round), so that a slow
// stretch of a shared machine falls on all alike, and each figure is the
// median with the range of events per second beside it. Every run is on the
// processor the bench starts on (pin_to_this_processor): the two of a
// shared machine can differ by half, and the ratio of two runs needs both
// on the same one.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <vector>

#include <fmt/format.h>

#include "bench_support.hpp"
#include "tailsim/components/simulation.hpp"

namespace {

struct Measure {
  double cpu_s = 0;  ///< user + system time of the simulation alone
  std::uint64_t events = 0;
  long peak_kib = 0;
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Loads `path`, then times `simulate` alone, in a child process.
Measure measure(const std::string& path, bool attribution) {
  auto [m, peak_kib] =
      tailsim::bench::in_child<Measure>(path.c_str(), [&]() -> std::optional<Measure> {
        auto loaded = tailsim::model::load_file(path);
        const auto plan = tailsim::bench::plan_of(loaded);
        if (!plan) {
          return std::nullopt;
        }
        tailsim::components::RunLimits limits;
        limits.attribution = attribution;
        const double cpu_start = cpu_seconds();
        const auto results = tailsim::components::simulate(*plan, limits);
        Measure out;
        out.cpu_s = cpu_seconds() - cpu_start;
        out.events = results.events;
        return out;
      });
  m.peak_kib = peak_kib;
  return m;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Readings {
  std::vector<double> plain_rate;  ///< events per CPU second, plain
  std::vector<double> ratio;       ///< attributed CPU time over plain, same round
  std::uint64_t events = 0;
  long plain_kib = 0;
  long attributed_kib = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 3;
  if (repeats < 1) {
    std::fprintf(stderr, "usage: reference_models_bench [REPEATS >= 1] [MODEL.yaml...]\n");
    return 2;
  }
  std::vector<std::string> models;
  for (int i = 2; i < argc; ++i) {
    models.emplace_back(argv[i]);
  }
  if (models.empty()) {
    for (const auto& entry : std::filesystem::directory_iterator(TAILSIM_MODELS_DIR)) {
      if (entry.path().extension() == ".yaml") {
        models.push_back(entry.path().string());
      }
    }
    std::sort(models.begin(), models.end());
  }

  tailsim::bench::pin_and_say();
  std::vector<Readings> readings(models.size());
  for (int round = 0; round < repeats; ++round) {
    for (std::size_t i = 0; i < models.size(); ++i) {
      const Measure plain = measure(models[i], false);
      const Measure attributed = measure(models[i], true);
      Readings& r = readings[i];
      r.plain_rate.push_back(static_cast<double>(plain.events) / plain.cpu_s);
      r.ratio.push_back(attributed.cpu_s / plain.cpu_s);
      r.events = plain.events;
      r.plain_kib = std::max(r.plain_kib, plain.peak_kib);
      r.attributed_kib = std::max(r.attributed_kib, attributed.peak_kib);
    }
  }

  fmt::print("{:<28} {:>10} {:>16} {:>22} {:>16} {:>12}\n", "model", "events", "events/CPU s",
             "events/CPU s, range", "attributed/plain", "peak MiB");
  for (std::size_t i = 0; i < models.size(); ++i) {
    const Readings& r = readings[i];
    const auto [slowest, fastest] = std::minmax_element(r.plain_rate.begin(), r.plain_rate.end());
    fmt::print("{:<28} {:>10} {:>16.3g} {:>22} {:>16.2f} {:>12}\n",
               std::filesystem::path(models[i]).filename().string(), r.events, median(r.plain_rate),
               fmt::format("{:.3g} to {:.3g}", *slowest, *fastest), median(r.ratio),
               fmt::format("{:.1f} / {:.1f}", static_cast<double>(r.plain_kib) / 1024,
                           static_cast<double>(r.attributed_kib) / 1024));
  }
  return 0;
}
