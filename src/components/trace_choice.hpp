#pragma once
// Which requests a run keeps as traces (docs/semantics.md, "Traces"). The
// first pass offers every finished client request; the replay records the
// spans of those chosen. The sample leans toward what users open traces for:
// the slowest successes, the failures, and a few ordinary requests to compare
// them with.

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tailsim::components {

/// SplitMix64: one step of a well-mixed 64-bit sequence.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class TraceChoice {
 public:
  /// `traces` requests over `paths` paths, each path a fair share of them:
  /// up to a quarter failures (reservoir-sampled), half its slowest
  /// successes (plus the failures' unused places), the rest a uniform sample
  /// of all its requests. `seed` drives the sampling
  /// alone: the simulation's random streams are not touched.
  TraceChoice(std::uint32_t traces, std::size_t paths, std::uint64_t seed)
      : paths_(paths), total_(traces) {
    share_ = paths == 0 ? 0 : (traces + paths - 1) / paths;
    for (std::size_t p = 0; p < paths; ++p) {
      paths_[p].rng = splitmix64(seed ^ (0x7472616365ULL + p));
    }
  }

  /// A measured client request of `path` finished: its arrival number, its
  /// latency, and whether it succeeded.
  void offer(std::size_t path, std::uint64_t index, std::int64_t latency, bool ok) {
    PathChoice& c = paths_[path];
    if (ok && share_ > 0) {
      auto later = [](const Candidate& a, const Candidate& b) { return a.latency > b.latency; };
      if (c.slowest.size() < share_) {
        c.slowest.push_back({index, latency});
        std::push_heap(c.slowest.begin(), c.slowest.end(), later);
      } else if (latency > c.slowest.front().latency) {
        std::pop_heap(c.slowest.begin(), c.slowest.end(), later);
        c.slowest.back() = {index, latency};
        std::push_heap(c.slowest.begin(), c.slowest.end(), later);
      }
    }
    if (!ok) {
      sample(c, c.failed, c.failed_seen, share_ / 4, index);
    }
    sample(c, c.sampled, c.sampled_seen, share_, index);
  }

  /// Per path, the chosen arrival numbers in order with why each was kept
  /// ("slowest", "failed" or "sampled"), at most `traces` in all.
  [[nodiscard]] std::vector<std::vector<std::pair<std::uint64_t, std::string>>> chosen() const {
    std::vector<std::vector<std::pair<std::uint64_t, std::string>>> out(paths_.size());
    std::size_t kept = 0;
    for (std::size_t p = 0; p < paths_.size(); ++p) {
      auto& mine = out[p];
      auto add = [&](std::uint64_t index, const char* why, std::size_t up_to) {
        const bool seen = std::any_of(mine.begin(), mine.end(),
                                      [&](const auto& entry) { return entry.first == index; });
        if (!seen && mine.size() < up_to && kept < total_) {
          mine.emplace_back(index, why);
          ++kept;
        }
      };
      for (std::uint64_t index : paths_[p].failed) {
        add(index, "failed", share_ / 4);
      }
      const std::size_t failed = mine.size();
      auto slowest = paths_[p].slowest;
      std::sort(slowest.begin(), slowest.end(),
                [](const Candidate& a, const Candidate& b) { return a.latency > b.latency; });
      for (const Candidate& c : slowest) {
        add(c.index, "slowest", std::max<std::size_t>(1, share_ / 2) + (share_ / 4 - failed));
      }
      for (std::uint64_t index : paths_[p].sampled) {
        add(index, "sampled", share_);
      }
      std::sort(mine.begin(), mine.end());
    }
    return out;
  }

 private:
  struct Candidate {
    std::uint64_t index = 0;
    std::int64_t latency = 0;
  };
  struct PathChoice {
    std::vector<Candidate> slowest;  ///< a min-heap on latency
    std::vector<std::uint64_t> failed;
    std::vector<std::uint64_t> sampled;
    std::uint64_t failed_seen = 0;
    std::uint64_t sampled_seen = 0;
    std::uint64_t rng = 0;
  };

  /// Reservoir sampling (Vitter's algorithm R): every offered index is kept
  /// with the same probability, quota / seen.
  static void sample(PathChoice& c, std::vector<std::uint64_t>& kept, std::uint64_t& seen,
                     std::size_t quota, std::uint64_t index) {
    if (quota == 0) {
      return;
    }
    ++seen;
    if (kept.size() < quota) {
      kept.push_back(index);
      return;
    }
    c.rng = splitmix64(c.rng);
    const std::uint64_t slot = c.rng % seen;
    if (slot < quota) {
      kept[slot] = index;
    }
  }

  std::vector<PathChoice> paths_;
  std::size_t share_ = 0;  ///< traces per path
  std::size_t total_ = 0;
};

}  // namespace tailsim::components
