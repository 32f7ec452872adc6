// The slowest 1% in one pass (RunningSlowest) against the replay's answer:
// a SlowestGroup told the final cut and fed the same ledgers. Whenever the
// one pass says it covered the group, the two must agree exactly; where the
// tail moved too far, it must say so rather than answer.

#include "components/running_slowest.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/stats/histogram.hpp"

namespace {

using tailsim::components::Ledger;
using tailsim::components::LedgerSum;
using tailsim::components::RunningSlowest;
using tailsim::components::SlowestGroup;
using tailsim::components::Where;
using tailsim::stats::Histogram;

/// A request's ledger: a queue wait and the rest CPU, at one of five services.
Ledger ledger_of(std::uint64_t i, std::int64_t latency) {
  Ledger ledger;
  const auto service = static_cast<std::uint32_t>(i % 5);
  ledger.add(service, Where::queue, latency / 3);
  ledger.add(service, Where::cpu, latency - latency / 3);
  return ledger;
}

struct Passes {
  std::optional<SlowestGroup> one_pass;
  SlowestGroup replay;
  RunningSlowest running;
};

/// Feeds the latencies `latency(i)` for i < n to the one pass (with the
/// histogram so far, as the engine does) and to the replay told the cut.
Passes feed(std::uint64_t n, const std::function<std::int64_t(std::uint64_t)>& latency) {
  Passes out;
  Histogram so_far;
  std::vector<std::int64_t> values(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    values[i] = latency(i);
    out.running.add(ledger_of(i, values[i]), values[i], so_far);
    so_far.record(values[i]);
  }
  out.one_pass = out.running.finish(so_far);
  const std::uint64_t rank = so_far.rank_at_percentile(99);
  const Histogram::RankBucket cut = so_far.bucket_of_rank(rank);
  out.replay.set_cut(cut.lowest, cut.highest, cut.above, n - rank + 1);
  for (std::uint64_t i = 0; i < n; ++i) {
    out.replay.add(ledger_of(i, values[i]), values[i]);
  }
  return out;
}

/// The same requests, latency and time per key, exactly.
void check_same_sum(const LedgerSum& a, const LedgerSum& b) {
  CHECK(a.requests == b.requests);
  CHECK(a.latency_ns == b.latency_ns);
  REQUIRE(a.totals.size() == b.totals.size());
  for (std::size_t k = 0; k < a.totals.size(); ++k) {
    CHECK(a.totals[k].key == b.totals[k].key);
    CHECK(a.totals[k].ns == b.totals[k].ns);
  }
}

void check_same(const SlowestGroup& got, const SlowestGroup& want) {
  check_same_sum(got.sum(), want.sum());
  CHECK(got.from_ns() == want.from_ns());
}

}  // namespace

TEST_CASE("one pass: bands are monotone in the value, 32 to a factor of 2", "[attribution]") {
  std::uint32_t last = 0;
  for (std::int64_t v = 1; v < (std::int64_t{1} << 40); v += 1 + v / 97) {
    const std::uint32_t band = RunningSlowest::band_of(v);
    CHECK(band >= last);
    last = band;
  }
  CHECK(RunningSlowest::band_of(1 << 20) - RunningSlowest::band_of(1 << 19) == 32);
  CHECK(RunningSlowest::band_of(-5) == 0);
}

TEST_CASE("one pass: a steady tail is covered, and the group is the replay's exactly",
          "[attribution]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lognormal(std::log(20e6), 0.6);  // 20 ms median
  Passes out = feed(300'000, [&](std::uint64_t) { return std::llround(lognormal(rng)); });
  REQUIRE(out.one_pass.has_value());
  CHECK(out.one_pass->sum().requests == 300'000 - (99 * 300'000 + 99) / 100 + 1);
  check_same(*out.one_pass, out.replay);
  // Memory: the kept ledgers stay within the soft limit's share (1% of the
  // requests, here 3,000 ledgers of two parts), not the 5% above the p95.
  CHECK(out.running.bytes() < 3'000 * (sizeof(Ledger) + 2 * sizeof(Ledger::Part) + 16) + 600'000);
}

TEST_CASE("one pass: every latency equal, the group is the rank count in finishing order",
          "[attribution]") {
  Passes out = feed(12'000, [](std::uint64_t) { return std::int64_t{2'000'000}; });
  REQUIRE(out.one_pass.has_value());
  CHECK(out.one_pass->sum().requests == 12'000 - 11'880 + 1);
  check_same(*out.one_pass, out.replay);
  // Past 16,384 ties in one band the band keeps its 1,024 earliest (those
  // that rank first) and sums the rest: the group, 401, is among them.
  Passes many = feed(40'000, [](std::uint64_t) { return std::int64_t{2'000'000}; });
  REQUIRE(many.one_pass.has_value());
  CHECK(many.one_pass->sum().requests == 40'000 - 39'600 + 1);
  check_same(*many.one_pass, many.replay);
  CHECK(many.running.bytes() < 1'100 * (sizeof(Ledger) + 64 + 2 * sizeof(Ledger::Part)));
}

TEST_CASE("one pass: a tail that grows all run long is covered or refused, never wrong",
          "[attribution]") {
  // A queue that fills: latency grows with the request's index, with noise.
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> noise(1.0 / 5e6);
  Passes out = feed(200'000, [&](std::uint64_t i) {
    return static_cast<std::int64_t>(1e6 + 500.0 * static_cast<double>(i) + noise(rng));
  });
  if (out.one_pass) {
    check_same(*out.one_pass, out.replay);
  }
}

TEST_CASE("one pass: latencies of a few values, ties everywhere: covered or refused, never wrong",
          "[attribution]") {
  // Whole milliseconds from a geometric law: the p99's bucket holds
  // thousands of equal latencies, the window's bands are trimmed, and the
  // group takes the earliest of the ties at its cut.
  for (const std::uint64_t seed : {1, 2, 3}) {
    std::mt19937_64 rng(seed);
    std::geometric_distribution<int> ms(0.3);
    Passes out =
        feed(300'000, [&](std::uint64_t) { return std::int64_t{1'000'000} * (1 + ms(rng)); });
    REQUIRE(out.one_pass.has_value());
    check_same(*out.one_pass, out.replay);
  }
}

TEST_CASE("one pass: ties at the cut past the hard limit: trimmed to the earliest, still exact",
          "[attribution]") {
  // 1 ms for 93.5%, 2 ms for 6%, 5 ms for 0.5%: the slowest 1% is every 5 ms
  // request and the earliest 2 ms ones. The 24,000 ties at 2 ms pass the
  // hard limit (16,384): the band keeps its best-ranked and sums the rest.
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  Passes out = feed(400'000, [&](std::uint64_t) {
    const double x = u(rng);
    return std::int64_t{1'000'000} * (x < 0.935 ? 1 : x < 0.995 ? 2 : 5);
  });
  REQUIRE(out.one_pass.has_value());
  check_same(*out.one_pass, out.replay);
  CHECK(out.one_pass->from_ns() == 2'000'000);
  // Fewer ledgers kept than the 2 ms ties: some were summed into the tail.
  CHECK(out.running.bytes() < 20'000 * (sizeof(Ledger) + 2 * sizeof(Ledger::Part)));
}

TEST_CASE("one pass: a tail that falls late is refused, for the replay to find", "[attribution]") {
  // 5,000 slow requests (100-200 ms), then 500,000 of 1 ms: the slowest 1%
  // (5,051) is every slow one and 51 of the fast, but while the slow ones
  // were the p95 the fast ones were dropped.
  Passes out = feed(505'000, [](std::uint64_t i) {
    return i < 5'000 ? static_cast<std::int64_t>(100'000'000 + 20'000 * i)
                     : std::int64_t{1'000'000};
  });
  CHECK_FALSE(out.one_pass.has_value());
  CHECK(out.replay.sum().requests == 505'000 - 499'950 + 1);
}

TEST_CASE("one pass: a burst above a stale window, which the tail later moves into, is covered",
          "[attribution]") {
  // An overload, as in models/ml-inference.yaml: a steady tail (p99 about
  // 270 ms); right after the bounds were tuned (at 63,765 requests), 7,000
  // requests in a row at 540-740 ms (every pod stalled), which pass the
  // soft limit before the next tuning; then a tail that rises into the
  // burst's latencies and stays (p99 about 670 ms). Folded by the window of
  // the last tuning, the burst's bands were "far above" it, the final cut
  // fell in one of them, and the one pass refused. Tuned again before
  // folding, the window is in the burst, the bands below it are folded,
  // and the group is the replay's exactly.
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> steady(std::log(40e6), 0.8);
  std::uniform_real_distribution<double> burst(540e6, 740e6);
  std::lognormal_distribution<double> risen(std::log(130e6), 0.6);
  Passes out = feed(335'000, [&](std::uint64_t i) {
    const double ns = i < 63'766 ? steady(rng) : i < 70'766 ? burst(rng) : risen(rng);
    return std::llround(ns);
  });
  REQUIRE(out.one_pass.has_value());
  check_same(*out.one_pass, out.replay);
  CHECK(out.one_pass->sum().requests == 335'000 - (99 * 335'000 + 99) / 100 + 1);
  CHECK(out.one_pass->from_ns() > 540'000'000);  // the cut is in the burst's latencies
}

TEST_CASE("one pass: a slow start does not drop what the final cut needs", "[attribution]") {
  // examples/mm1.yaml at 80%: the run begins in a busy period, and the p95
  // of its first 128 requests is far above the final p99. Dropping below
  // that early p95 would lose requests above the final cut and refuse; the
  // bound drops nothing while the path keeps less than half its soft limit.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> busy(250e6, 320e6);
  std::lognormal_distribution<double> steady(std::log(40e6), 0.7);
  Passes out = feed(
      24'000, [&](std::uint64_t i) { return std::llround(i < 128 ? busy(rng) : steady(rng)); });
  REQUIRE(out.one_pass.has_value());
  check_same(*out.one_pass, out.replay);
  CHECK(out.one_pass->from_ns() < 250'000'000);  // the cut is below the slow start's latencies
}

TEST_CASE("one pass: no requests, an empty group", "[attribution]") {
  RunningSlowest running;
  const std::optional<SlowestGroup> group = running.finish(Histogram());
  REQUIRE(group.has_value());
  CHECK(group->sum().requests == 0);
}

TEST_CASE("ledger sums merge as if each ledger were added", "[attribution]") {
  LedgerSum a;
  LedgerSum b;
  LedgerSum both;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const Ledger ledger = ledger_of(i * 7, static_cast<std::int64_t>(1000 + i * 13));
    (i % 3 == 0 ? a : b).add(ledger, static_cast<std::int64_t>(1000 + i * 13));
    both.add(ledger, static_cast<std::int64_t>(1000 + i * 13));
  }
  a.merge(b);
  check_same_sum(a, both);
}

TEST_CASE("a ledger sum less its earlier copy is the sum of the ledgers added since",
          "[attribution]") {
  LedgerSum all;
  LedgerSum since;
  for (std::uint64_t i = 0; i < 60; ++i) {
    const auto latency = static_cast<std::int64_t>(2000 + i * 31);
    all.add(ledger_of(i % 3, latency), latency);  // services 0 to 2 only, at first
  }
  const LedgerSum earlier = all;
  for (std::uint64_t i = 0; i < 25; ++i) {
    const auto latency = static_cast<std::int64_t>(5000 + i * 17);
    all.add(ledger_of(2 + i, latency), latency);  // all five services: two of them new
    since.add(ledger_of(2 + i, latency), latency);
  }
  check_same_sum(all.minus(earlier), since);
  CHECK(all.minus(all).totals.empty());
}
