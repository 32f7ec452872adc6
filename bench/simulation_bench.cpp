// Simulation speed: events per second, simulated requests per second and peak
// memory for a few reference models, each run in a child process so that its
// peak memory is its own. Also checks that memory does not grow with
// simulated time: the same model for 10x the duration must stay within 10%
// (with the time series at 100 intervals in both runs). Events and requests
// per second are over both runs together.
//
// The models: M/M/1, a chain of 4 services, a 3-way fan-out, and
// examples/quickstart.yaml (a request path through every kind of mechanism:
// network latency, a cache, retries, a queue, an autoscaler).
//
// Last, the yardstick: the same M/M/1 as a minimal hand-written simulation
// (reference_mm1), a rough reading of how fast the machine is right now.
//
// Usage: simulation_bench [SECONDS_OF_SIMULATED_TIME=2000] [REPEATS=1]
//
// With REPEATS > 1 every measurement is taken that many times, the cases
// taking turns, and each rate is the median, with the slowest and fastest
// requests per second beside it: on a shared virtual machine one reading can
// be off by a third. The last line is M/M/1's requests per second over the
// yardstick's, round by round (the median, and the range over the rounds).
// Every run and the yardstick are on the processor the bench starts on
// (pin_to_this_processor): the two of a shared machine can differ by half.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "bench_support.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"

namespace {

struct Case {
  const char* name;
  std::string yaml;
};

const char* const mm1 = R"(version: 1
services:
  server:
    pod: {cpu: 1, workers: 1}
    endpoints: {work: [{cpu: exp(10ms)}]}
workloads:
  main: {entry: server.work, rate: 80/s}
)";

// A chain of 4 services, 4 cores and 4 workers each; each calls the next.
const char* const chain = R"(version: 1
services:
  s1: {pod: {cpu: 4, workers: 4}, endpoints: {work: [{cpu: exp(1ms)}, {call: s2.work}]}}
  s2: {pod: {cpu: 4, workers: 4}, endpoints: {work: [{cpu: exp(1ms)}, {call: s3.work}]}}
  s3: {pod: {cpu: 4, workers: 4}, endpoints: {work: [{cpu: exp(1ms)}, {call: s4.work}]}}
  s4: {pod: {cpu: 4, workers: 4}, endpoints: {work: [{cpu: exp(1ms)}]}}
workloads:
  main: {entry: s1.work, rate: 500/s}
)";

// A front fanning out to 3 back-ends in parallel.
const char* const fanout = R"(version: 1
services:
  front:
    pod: {cpu: 4}
    endpoints:
      work:
        - cpu: exp(0.5ms)
        - parallel: [{call: b1.work}, {call: b2.work}, {call: b3.work}]
  b1: {pod: {cpu: 2, workers: 8}, endpoints: {work: [{cpu: exp(2ms)}]}}
  b2: {pod: {cpu: 2, workers: 8}, endpoints: {work: [{cpu: exp(2ms)}]}}
  b3: {pod: {cpu: 2, workers: 8}, endpoints: {work: [{cpu: exp(2ms)}]}}
workloads:
  main: {entry: front.work, rate: 700/s}
)";

struct Measure {
  double wall_s = 0;
  std::uint64_t events = 0;
  std::uint64_t requests = 0;
  long peak_kib = 0;
};

/// Runs one model in a child process and returns what it measured.
Measure measure(const std::string& yaml, double seconds) {
  auto [m,
        peak_kib] = tailsim::bench::in_child<Measure>("a model", [&]() -> std::optional<Measure> {
    auto loaded = tailsim::model::load_string(
        yaml, "bench.yaml",
        tailsim::model::LoadOptions{{fmt::format("simulation.duration={}s", seconds),
                                     "simulation.warmup=0s",
                                     // A time series of 100 intervals whatever the duration: the
                                     // series grow with their intervals by design, and the check
                                     // here is that the engine's own state does not grow with time.
                                     fmt::format("simulation.interval={}s", seconds / 100)}});
    const auto plan = tailsim::bench::plan_of(loaded);
    if (!plan) {
      return std::nullopt;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto results = tailsim::components::simulate(*plan);
    Measure out;
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.events = results.events;
    for (const auto& p : results.paths) {
      out.requests += p.requests;
    }
    return out;
  });
  m.peak_kib = peak_kib;
  return m;
}

/// The yardstick: M/M/1 at the same load as a minimal hand-written heap
/// simulation (a binary heap of (time, kind) events, one FIFO, nothing
/// recorded but the mean). On a shared virtual machine, whose speed varies
/// by tens of percent, it tells a slow hour from a good one; it is not a
/// factor to scale by (its time goes to libm and a binary heap, and it has
/// moved by 26% while the engine moved by 5%).
Measure reference_mm1(double seconds) {
  struct Ev {
    std::int64_t at;
    std::uint64_t seq;
    bool is_arrival;
    bool operator>(const Ev& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> events;
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> interarrival(80.0 / 1e9);  // 80/s, in ns
  std::exponential_distribution<double> service(100.0 / 1e9);      // 10 ms
  const auto end = static_cast<std::int64_t>(seconds * 1e9);
  std::deque<std::int64_t> waiting;
  std::uint64_t seq = 0;
  double total_ns = 0;
  Measure m;
  const auto start = std::chrono::steady_clock::now();
  events.push({static_cast<std::int64_t>(interarrival(rng)), seq++, true});
  while (!events.empty() && events.top().at < end) {
    const Ev e = events.top();
    events.pop();
    ++m.events;
    if (e.is_arrival) {
      events.push({e.at + static_cast<std::int64_t>(interarrival(rng)), seq++, true});
      waiting.push_back(e.at);
      if (waiting.size() == 1) {
        events.push({e.at + static_cast<std::int64_t>(service(rng)), seq++, false});
      }
    } else {
      total_ns += static_cast<double>(e.at - waiting.front());
      waiting.pop_front();
      ++m.requests;
      if (!waiting.empty()) {
        events.push({e.at + static_cast<std::int64_t>(service(rng)), seq++, false});
      }
    }
  }
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (m.requests == 0 || total_ns < 0) {
    std::fprintf(stderr, "the reference simulation finished nothing\n");
    std::exit(1);
  }
  return m;
}

}  // namespace

std::string read_file(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// What one row prints: the rates over both runs (a run of 2,000 s of M/M/1
/// is 25 ms of work, short enough for a neighbour on a shared machine to
/// move it by half) and the peak memory of each run.
struct Reading {
  double events_per_s = 0;
  double requests_per_s = 0;
  long peak_kib = 0;
  long longer_peak_kib = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2000.0;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 1;
  if (!(seconds > 0) || repeats < 1) {
    std::fprintf(stderr, "usage: simulation_bench [SECONDS > 0] [REPEATS >= 1]\n");
    return 2;
  }
  tailsim::bench::pin_and_say();
  const Case cases[] = {{"M/M/1 (rho 0.8)", mm1},
                        {"chain of 4 services", chain},
                        {"3-way fan-out", fanout},
                        {"examples/quickstart", read_file(TAILSIM_QUICKSTART)}};
  constexpr std::size_t case_count = std::size(cases);
  // Round by round, each case once and then the yardstick, so that a slow
  // stretch of the machine falls on every case alike.
  std::vector<std::vector<Reading>> readings(case_count + 1);
  for (int round = 0; round < repeats; ++round) {
    for (std::size_t i = 0; i < case_count; ++i) {
      const Measure m = measure(cases[i].yaml, seconds);
      const Measure longer = measure(cases[i].yaml, seconds * 10);
      const double wall = m.wall_s + longer.wall_s;
      readings[i].push_back(Reading{static_cast<double>(m.events + longer.events) / wall,
                                    static_cast<double>(m.requests + longer.requests) / wall,
                                    m.peak_kib, longer.peak_kib});
    }
    const Measure reference = reference_mm1(seconds * 11);  // as long as both runs
    readings[case_count].push_back(
        Reading{static_cast<double>(reference.events) / reference.wall_s,
                static_cast<double>(reference.requests) / reference.wall_s, 0, 0});
  }

  const bool ranges = repeats > 1;
  fmt::print("{:<22} {:>12} {:>14} {:>16} {:>10} {:>12}{}\n", "model", "sim time",
             ranges ? "events/s (med)" : "events/s", ranges ? "requests/s (med)" : "requests/s",
             "peak MiB", "10x: MiB", ranges ? fmt::format("  requests/s, {} runs", repeats) : "");
  auto rates = [&](std::size_t i) {
    std::vector<double> events;
    std::vector<double> requests;
    for (const Reading& r : readings[i]) {
      events.push_back(r.events_per_s);
      requests.push_back(r.requests_per_s);
    }
    const auto [slowest, fastest] = std::minmax_element(requests.begin(), requests.end());
    return std::tuple{
        median(events), median(requests),
        ranges ? fmt::format("  {:.3g} to {:.3g}", *slowest, *fastest) : std::string{}};
  };
  for (std::size_t i = 0; i < case_count; ++i) {
    const auto [events, requests, range] = rates(i);
    long peak = 0;
    long longer_peak = 0;
    for (const Reading& r : readings[i]) {
      peak = std::max(peak, r.peak_kib);
      longer_peak = std::max(longer_peak, r.longer_peak_kib);
    }
    fmt::print("{:<22} {:>11.0f}s {:>14.3g} {:>16.3g} {:>10.1f} {:>12.1f}{}{}\n", cases[i].name,
               seconds, events, requests, static_cast<double>(peak) / 1024,
               static_cast<double>(longer_peak) / 1024, range,
               longer_peak > peak * 11 / 10 ? "  (memory grew!)" : "");
  }
  const auto [events, requests, range] = rates(case_count);
  fmt::print(
      "{:<22} {:>11.0f}s {:>14.3g} {:>16.3g} {:>10} {:>12}{}  (M/M/1 by hand: the "
      "machine's yardstick)\n",
      "reference M/M/1", seconds, events, requests, "", "", range);
  // The target is a ratio of two rates measured in the same run: each
  // round's M/M/1 against the yardstick right after it, so that a slow
  // stretch of the machine falls on both sides of the ratio.
  std::vector<double> ratios;
  for (int round = 0; round < repeats; ++round) {
    ratios.push_back(readings[0][round].requests_per_s /
                     readings[case_count][round].requests_per_s);
  }
  const auto [lowest, highest] = std::minmax_element(ratios.begin(), ratios.end());
  fmt::print("M/M/1 / yardstick, requests/s in the same round: {:.3f}{}\n", median(ratios),
             ranges ? fmt::format(" (median of {}; {:.3f} to {:.3f})", repeats, *lowest, *highest)
                    : std::string{});
  return 0;
}
