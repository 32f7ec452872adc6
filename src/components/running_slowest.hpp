#pragma once
// The slowest 1% of a path's requests found in the one pass that simulates
// them (docs/semantics.md, "Tail attribution"). The group is the `size`
// slowest successes, the values from the p99's rank up (SlowestGroup), but
// the p99 is known only when the run ends. So the pass keeps what the group
// can need, by latency band (1/32 of a power of two wide):
//
// - below a running bound (the p95 so far, once the path keeps more than
//   half its soft limit; until then the bound only falls) nothing: the
//   request is dropped, and the largest latency dropped is remembered;
// - in the window, the bands around the running p99, each request's ledger:
//   the final cut may fall inside them and split one;
// - in the other bands above the bound each ledger too, until the path keeps
//   more than its soft limit; then the bands farthest below the window, and
//   after them those farthest above it, are folded into one sum each: a band
//   wholly above the final cut belongs to the group whole.
//
// At the end the cut is known (Histogram::bucket_of_rank). What was kept
// covers the group if nothing at or above the cut's bucket was dropped and
// no folded band reaches into that bucket; then the group is exactly the
// replay's (SlowestGroup fed the same ledgers in the same order). A tail that
// moved too far (a load that fell or rose sharply late in the run) is not
// covered, and the caller replays the run with the cut known.
//
// Memory: the soft limit is max(8,192, 1% of the path's requests) ledgers,
// and the bands' sums are a few hundred. Past the hard limit (ties piled up
// inside the window) each band keeps its best-ranked ledgers and sums the
// rest into a tail; the group is covered if it does not reach into a tail.
// If that is not enough, the group gives up and asks for the replay.
//
// The bounds are tuned every eighth more request, and again before any
// fold: an overload that stalls every pod at once (models/ml-inference.yaml)
// sends thousands of requests in a row far above the p99 of the last
// tuning, and folding them as far above a window that was about to move
// into them folded the bands where the final cut fell (the run was then
// replayed, at 3.5 times the plain run's cost instead of 1.25).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "components/critical_path.hpp"
#include "tailsim/stats/histogram.hpp"

namespace tailsim::components {

class RunningSlowest {
 public:
  /// A band's index: 32 bands per power of two, increasing with the value;
  /// values below 32 ns each have their own.
  static std::uint32_t band_of(std::int64_t ns) {
    if (ns < 32) {
      return static_cast<std::uint32_t>(std::max<std::int64_t>(ns, 0));
    }
    const auto v = static_cast<std::uint64_t>(ns);
    const auto e = static_cast<std::uint32_t>(std::bit_width(v)) - 1;  // 5 and up
    return 32 * (e - 4) + static_cast<std::uint32_t>((v >> (e - 5)) & 31U);
  }

  /// A successful measured request finished, in the order they finish.
  /// `so_far`: the path's latencies before it (they tune the bounds).
  void add(const Ledger& ledger, std::int64_t latency, const stats::Histogram& so_far) {
    const std::uint64_t order = seen_++;
    if (seen_ >= next_tune_) {
      tune(so_far);
    }
    if (gave_up_) {
      return;
    }
    if (latency < drop_below_) {
      dropped_max_ = std::max(dropped_max_, latency);
      return;
    }
    const std::uint32_t index = band_of(latency);
    auto at = std::lower_bound(bands_.begin(), bands_.end(), index,
                               [](const Band& b, std::uint32_t i) { return b.index < i; });
    if (at == bands_.end() || at->index != index) {
      Band band;
      band.index = index;
      at = bands_.insert(at, std::move(band));
    }
    at->highest = std::max(at->highest, latency);
    if (at->folded) {
      at->sum.add(ledger, latency);
      return;
    }
    if (at->has_tail && latency <= at->tail_latency) {
      at->tail.add(ledger, latency);  // ranks below the tail's best: below every kept one
      return;
    }
    at->kept.push_back(Kept{.latency = latency, .order = order, .ledger = ledger});
    kept_bytes_ += bytes_of(at->kept.back());
    if (++kept_ > soft_limit(seen_) && kept_ >= shrink_at_) {
      // Fold by where the tail is now: a burst since the last tuning may
      // have moved the p99 into the bands that a stale window would fold.
      // The new bounds may drop enough that nothing needs folding.
      tune(so_far);
      if (!gave_up_ && kept_ > soft_limit(seen_)) {
        shrink();
      }
    }
  }

  /// The group of the run's successes `all` (the path's final histogram),
  /// exactly as the replay would find it; nothing when what was kept does
  /// not cover it.
  [[nodiscard]] std::optional<SlowestGroup> finish(const stats::Histogram& all) const {
    SlowestGroup group;
    const std::uint64_t n = all.count();
    if (n == 0) {
      return group;
    }
    const std::uint64_t rank = all.rank_at_percentile(99);
    const stats::Histogram::RankBucket cut = all.bucket_of_rank(rank);
    group.set_cut(cut.lowest, cut.highest, cut.above, n - rank + 1);
    if (gave_up_ || dropped_max_ >= cut.lowest) {
      return std::nullopt;
    }
    const std::uint32_t lo = band_of(cut.lowest);
    const std::uint32_t hi = band_of(cut.highest);
    std::vector<const Kept*> kept;
    kept.reserve(kept_);
    std::vector<const Band*> split;  // tails the cut's bucket may reach into
    for (const Band& band : bands_) {
      if (!band.folded) {
        for (const Kept& k : band.kept) {
          kept.push_back(&k);
        }
        if (band.has_tail && band.index > hi) {
          group.add_above(band.tail);
        } else if (band.has_tail && band.index >= lo) {
          split.push_back(&band);
        }
      } else if (band.index > hi) {
        group.add_above(band.sum);  // every latency in it above the cut's bucket
      } else if (band.index >= lo) {
        return std::nullopt;  // folded, yet the cut may split it
      }
    }
    std::sort(kept.begin(), kept.end(),
              [](const Kept* a, const Kept* b) { return a->order < b->order; });
    for (const Kept* k : kept) {
      group.add(k->ledger, k->latency, k->order);
    }
    for (const Band* band : split) {
      if (!group.excludes(band->tail_latency, band->tail_order)) {
        return std::nullopt;  // the group reaches past the kept ledgers into the tail
      }
    }
    return group;
  }

  /// The memory the kept ledgers and sums hold, for the run's budget.
  [[nodiscard]] std::uint64_t bytes() const {
    std::uint64_t total = bands_.capacity() * sizeof(Band) + kept_bytes_;
    for (const Band& band : bands_) {
      total += band.sum.bytes() + band.tail.bytes();
    }
    return total;
  }

 private:
  struct Kept {
    std::int64_t latency = 0;
    std::uint64_t order = 0;  ///< among the path's successes, in the order they finished
    Ledger ledger;
  };
  /// What the memory budget counts for a kept ledger.
  static std::uint64_t bytes_of(const Kept& k) {
    return sizeof(Kept) + k.ledger.parts().size() * sizeof(Ledger::Part);
  }
  struct Band {
    std::uint32_t index = 0;
    bool folded = false;
    std::int64_t highest = 0;  ///< the largest latency it saw
    LedgerSum sum;             ///< folded: all its requests
    std::vector<Kept> kept;    ///< not folded: each of its requests ranked above the tail
    /// Not folded but trimmed (ties piled up in the window): the sum of the
    /// requests that rank below every kept one, and the best of them.
    bool has_tail = false;
    LedgerSum tail;
    std::int64_t tail_latency = 0;
    std::uint64_t tail_order = 0;
  };

  /// The ledgers kept before the bands farthest from the window are folded,
  /// after `n` requests: a small share of them.
  static std::uint64_t soft_limit(std::uint64_t n) {
    return std::max<std::uint64_t>(8192, n / 100);
  }
  /// The most ledgers the window's own bands may hold, trimmed to the
  /// `band_limit` best-ranked each: past it the replay is the cheaper way.
  static std::uint64_t hard_limit(std::uint64_t n) {
    return std::max<std::uint64_t>(16384, n / 25);
  }
  /// What a trimmed band of the window keeps: twice the group's size so
  /// far, so that the group can grow by half again before it could need a
  /// trimmed request.
  static std::uint64_t band_limit(std::uint64_t n) { return std::max<std::uint64_t>(1024, n / 50); }

  /// Folds the bands outside the window, the farthest below it first, until
  /// half the soft limit is kept; when the window alone holds more than the
  /// hard limit, trims its bands, and gives up if that is not enough.
  void shrink() {
    std::vector<Band*> outside;
    for (Band& band : bands_) {
      if (!band.folded && (band.index < window_lo_ || band.index > window_hi_)) {
        outside.push_back(&band);
      }
    }
    // Those below the window first: a tail that moves up (a load that
    // grows, a queue that fills) leaves them behind.
    const auto distance = [&](const Band* band) {
      return band->index < window_lo_ ? (std::uint64_t{1} << 32) + window_lo_ - band->index
                                      : std::uint64_t{band->index - window_hi_};
    };
    std::sort(outside.begin(), outside.end(),
              [&](const Band* a, const Band* b) { return distance(a) > distance(b); });
    for (Band* band : outside) {
      if (kept_ <= soft_limit(seen_) / 2) {
        break;
      }
      fold(*band);
    }
    if (kept_ > hard_limit(seen_)) {
      for (Band& band : bands_) {
        if (!band.folded) {
          trim(band, band_limit(seen_));
        }
      }
    }
    if (kept_ > hard_limit(seen_)) {
      give_up();
    }
    shrink_at_ = kept_ + std::max<std::uint64_t>(256, kept_ / 8);  // not again at every add
  }

  /// Moves the bounds to the latencies so far: drop below their p95; the
  /// window, the bands that keep their ledgers whatever the soft limit, is
  /// around their p99 (within a share of requests that narrows as their
  /// number grows).
  void tune(const stats::Histogram& so_far) {
    next_tune_ = seen_ + std::max<std::uint64_t>(64, seen_ / 8);
    const std::uint64_t n = so_far.count();
    if (gave_up_ || n < 64) {
      return;
    }
    const double w = std::clamp(20.0 / std::sqrt(static_cast<double>(n)), 0.2, 1.0);
    // The p95 so far drops requests only when the kept ledgers ask for it
    // (more than half the soft limit); until then the bound only falls. An
    // early p95 may stand far above the run's final p99: M/M/1 at 80%
    // (examples/mm1.yaml) began in a busy period whose first 128 requests
    // put it at 296 ms, and the final cut was at 239 ms.
    const std::int64_t p95 = so_far.bucket_of_rank(so_far.rank_at_percentile(95)).lowest;
    drop_below_ = kept_ > soft_limit(seen_) / 2 ? p95 : std::min(drop_below_, p95);
    window_lo_ = band_of(so_far.bucket_of_rank(so_far.rank_at_percentile(99 - w)).lowest);
    window_hi_ = band_of(so_far.bucket_of_rank(so_far.rank_at_percentile(99 + w)).highest);
    std::erase_if(bands_, [&](const Band& band) {
      if (band.highest >= drop_below_) {
        return false;
      }
      dropped_max_ = std::max(dropped_max_, band.highest);
      if (!band.folded) {
        kept_ -= band.kept.size();
        for (const Kept& k : band.kept) {
          kept_bytes_ -= bytes_of(k);
        }
      }
      return true;
    });
  }

  /// Keeps a band's `limit` best-ranked ledgers (slower, or as slow and
  /// earlier) and sums the rest into its tail: equal latencies (ties) that
  /// piled up, of which the group takes the earliest.
  void trim(Band& band, std::uint64_t limit) {
    if (band.kept.size() <= limit) {
      return;
    }
    std::sort(band.kept.begin(), band.kept.end(), [](const Kept& a, const Kept& b) {
      return a.latency != b.latency ? a.latency > b.latency : a.order < b.order;
    });
    for (std::size_t i = limit; i < band.kept.size(); ++i) {
      const Kept& k = band.kept[i];
      band.tail.add(k.ledger, k.latency);
      kept_bytes_ -= bytes_of(k);
    }
    // Every kept one ranks above every request of the tail, the new best of
    // which is the first moved.
    band.has_tail = true;
    band.tail_latency = band.kept[limit].latency;
    band.tail_order = band.kept[limit].order;
    kept_ -= band.kept.size() - limit;
    band.kept.resize(limit);
  }

  void fold(Band& band) {
    band.folded = true;
    if (band.has_tail) {
      band.sum.merge(band.tail);
      band.tail = LedgerSum();
      band.has_tail = false;
    }
    for (const Kept& k : band.kept) {
      band.sum.add(k.ledger, k.latency);
      kept_bytes_ -= bytes_of(k);
    }
    kept_ -= band.kept.size();
    std::vector<Kept>().swap(band.kept);
  }

  void give_up() {
    gave_up_ = true;
    std::vector<Band>().swap(bands_);
    kept_ = 0;
    kept_bytes_ = 0;
  }

  std::uint64_t seen_ = 0;
  std::uint64_t next_tune_ = 64;
  std::int64_t drop_below_ = 0;
  std::int64_t dropped_max_ = std::numeric_limits<std::int64_t>::min();
  std::uint32_t window_lo_ = 0;
  std::uint32_t window_hi_ = std::numeric_limits<std::uint32_t>::max();
  std::vector<Band> bands_;  ///< by index, those with requests above drop_below_
  std::uint64_t kept_ = 0;
  std::uint64_t shrink_at_ = 0;
  std::uint64_t kept_bytes_ = 0;
  bool gave_up_ = false;
};

}  // namespace tailsim::components
