// The memory a histogram's counts take and the time a record takes, for
// latency shapes a run records: lognormal, exponential, bimodal and uniform,
// each with 10^3 to 10^8 values. bench/README.md ("Histogram memory") gives
// the numbers against the layout before.
//
// Usage: histogram_bench [LARGEST_COUNT=100000000]

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tailsim/engine/random_stream.hpp"
#include "tailsim/stats/histogram.hpp"

namespace {

using tailsim::engine::RandomStream;
using tailsim::stats::Histogram;

struct Shape {
  std::string_view name;
  double (*draw)(RandomStream&, std::uint64_t);  // a value in ns
};

const Shape shapes[] = {
    {"lognormal median 10 ms, sigma 0.5",
     [](RandomStream& rng, std::uint64_t) { return 10e6 * std::exp(0.5 * rng.normal()); }},
    {"lognormal median 10 ms, sigma 1",
     [](RandomStream& rng, std::uint64_t) { return 10e6 * std::exp(1.0 * rng.normal()); }},
    {"lognormal median 50 ms, sigma 0.25",
     [](RandomStream& rng, std::uint64_t) { return 50e6 * std::exp(0.25 * rng.normal()); }},
    {"exponential mean 5 ms",
     [](RandomStream& rng, std::uint64_t) { return rng.exponential(5e6); }},
    {"bimodal 2 ms and 200 ms (1 in 10)",
     [](RandomStream& rng, std::uint64_t i) {
       return (i % 10 == 0 ? 200e6 : 2e6) * std::exp(0.2 * rng.normal());
     }},
    {"uniform 1-100 ms",
     [](RandomStream& rng, std::uint64_t) { return 1e6 + 99e6 * rng.uniform(); }},
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t largest = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000'000;
  fmt::print("| shape | values | bytes of counts | ns per record |\n| --- | --- | --- | --- |\n");
  for (const Shape& shape : shapes) {
    for (std::uint64_t n = 1000; n <= largest; n *= 10) {
      RandomStream rng(42);
      std::vector<std::int64_t> values(std::min<std::uint64_t>(n, 1'000'000));
      Histogram h;
      double seconds = 0;
      for (std::uint64_t done = 0; done < n; done += values.size()) {
        for (std::size_t i = 0; i < values.size(); ++i) {
          values[i] = static_cast<std::int64_t>(shape.draw(rng, done + i));
        }
        const auto start = std::chrono::steady_clock::now();
        for (const std::int64_t v : values) {
          h.record(v);
        }
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      fmt::print("| {} | {} | {} | {:.1f} |\n", shape.name, n, h.stored_bytes(),
                 seconds * 1e9 / static_cast<double>(n));
    }
  }
}
