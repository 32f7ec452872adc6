// Tail attribution over a stretch of time: the timeline's intervals combined
// (docs/semantics.md, "Tail attribution").

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "tailsim/stats/results.hpp"

namespace tailsim::stats {

AttributionGroup attribution_between(const Attribution& a, std::size_t first, std::size_t last) {
  AttributionGroup out;
  if (first > last) {
    return out;
  }
  // Each interval's parts are means over its requests: weighted by them,
  // they sum back to the milliseconds of all its requests together.
  auto at = std::lower_bound(
      a.timeline.begin(), a.timeline.end(), first,
      [](const AttributionInterval& i, std::size_t interval) { return i.interval < interval; });
  double latency_total_ms = 0;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (entity, what) -> part
  for (; at != a.timeline.end() && at->interval <= last; ++at) {
    const AttributionGroup& group = at->group;
    const auto n = static_cast<double>(group.requests);
    out.requests += group.requests;
    latency_total_ms += group.latency_ms * n;
    for (const AttributionPart& part : group.parts) {
      const auto [found, is_new] =
          index.try_emplace(std::make_pair(part.entity, part.what), out.parts.size());
      if (is_new) {
        out.parts.push_back(AttributionPart{.entity = part.entity, .what = part.what});
      }
      out.parts[found->second].ms += part.ms * n;
    }
  }
  if (out.requests == 0) {
    out.parts.clear();
    return out;
  }
  const auto n = static_cast<double>(out.requests);
  out.latency_ms = latency_total_ms / n;
  for (AttributionPart& part : out.parts) {
    part.ms /= n;
    part.share = out.latency_ms > 0 ? part.ms / out.latency_ms : 0.0;
  }
  std::stable_sort(out.parts.begin(), out.parts.end(),
                   [](const AttributionPart& x, const AttributionPart& y) { return x.ms > y.ms; });
  return out;
}

}  // namespace tailsim::stats
