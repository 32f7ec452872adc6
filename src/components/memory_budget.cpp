#include "tailsim/components/memory_budget.hpp"

#include <algorithm>
#include <array>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

namespace tailsim::components {

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string memory_stop_reason(const LiveWork& work, std::uint64_t budget) {
  const std::array<std::pair<std::uint64_t, const char*>, 8> kinds = {{
      {work.pools, "requests, tasks and calls in flight"},
      {work.events, "the event queue"},
      {work.queued, "requests and messages waiting"},
      {work.series, "the time series"},
      {work.traces, "traces"},
      {work.caches, "cache entries"},
      {work.platform, "pods and autoscalers"},
      {work.replay, "the attribution replay's ledgers"},
  }};
  const auto largest = std::max_element(kinds.begin(), kinds.end(),
                                        [](auto a, auto b) { return a.first < b.first; });
  return fmt::format("memory budget: live work reached {} of the {} budget, most of it {} ({})",
                     format_bytes(work.total()), format_bytes(budget), largest->second,
                     format_bytes(largest->first));
}

std::uint64_t default_memory_budget(unsigned jobs) {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) {
    return 0;
  }
  const std::uint64_t physical =
      static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  return physical / 4 / std::max(jobs, 1U);
}

}  // namespace tailsim::components
