#pragma once
/// What one time-series interval held of a path's or an edge's measured
/// requests or calls: how many succeeded in it, the sum of their latencies
/// in ns, and how many failed in it.
/// The stretches of a run that calibrate's batch means group
/// (stats::BatchIntervals::tallied_mean and tallied_share).

#include <cstdint>

namespace tailsim::stats {

struct IntervalTally {
  std::uint64_t count = 0;
  double sum_ns = 0;
  std::uint64_t failed = 0;
};

}  // namespace tailsim::stats
