#include "tailsim/components/backlog_watch.hpp"

namespace tailsim::components {

bool backlog_grew(const BacklogSample& from, const BacklogSample& to) {
  if (to.open < from.open + min_backlog_growth) {
    return false;
  }
  const std::uint64_t growth = to.open - from.open;
  const std::uint64_t arrived = to.arrivals - from.arrivals;
  return growth * 10 > arrived;
}

BacklogWatch::BacklogWatch(std::size_t paths, Time window_start, Time window_end)
    : due_{window_start, window_start + (window_end - window_start) / 2, window_end} {
  for (auto& s : samples_) {
    s.resize(paths);
  }
}

void BacklogWatch::take(const std::vector<BacklogSample>& samples) {
  if (taken_ < 3) {
    samples_[taken_++] = samples;
  }
}

bool BacklogWatch::is_unstable(std::size_t p, const BacklogSample& now) const {
  if (taken_ == 3) {
    return backlog_grew(samples_[0][p], samples_[1][p]) &&
           backlog_grew(samples_[1][p], samples_[2][p]);
  }
  return backlog_grew(taken_ == 0 ? BacklogSample{} : samples_[0][p], now);
}

}  // namespace tailsim::components
