// Tail attribution on models whose answer is known by construction: constant
// times, so every request's critical path can be worked out by hand.

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "components/critical_path.hpp"
#include "support/component_models.hpp"
#include "support/simulate.hpp"
#include "tailsim/engine/random_stream.hpp"

namespace stats = tailsim::stats;

namespace {

using tailsim::testing::named;

/// Simulates with attribution and returns the path's.
stats::Attribution attribution(const std::string& yaml, const std::string& path = "w") {
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const auto r = tailsim::testing::simulate_text(yaml, {}, limits);
  const auto& a = named(r.paths, path).attribution;
  REQUIRE(a.is_computed);
  REQUIRE(a.mean.requests > 0);
  // Whatever the model, the parts add up to the mean latency, and no time is
  // left unexplained.
  for (const auto* group : {&a.mean, &a.slowest}) {
    double sum = 0;
    for (const auto& part : group->parts) {
      CHECK(part.what != "unaccounted");
      sum += part.ms;
    }
    CHECK(sum == Approx(group->latency_ms).epsilon(1e-9));
  }
  CHECK(a.mean.latency_ms == Approx(named(r.paths, path).latency.mean() * 1e-6).epsilon(1e-9));
  return a;
}

/// The p99's rank among `n` values: ceil(0.99 n), in integers.
std::uint64_t slowest_rank(std::uint64_t n) {
  return (99 * n + 99) / 100;
}

double ms(const stats::AttributionGroup& group, const std::string& entity,
          const std::string& what) {
  for (const auto& part : group.parts) {
    if (part.entity == entity && part.what == what) {
      return part.ms;
    }
  }
  return 0.0;
}

}  // namespace

TEST_CASE("attribution follows a chain of calls: cpu, delay and both network legs",
          "[attribution]") {
  // api: 2 ms of CPU, then a call to db (1 ms each way), where 5 ms of I/O.
  // Requests 100 ms apart never meet: 2 + 1 + 5 + 1 = 9 ms each.
  const auto a = attribution(R"y(version: 1
simulation: {duration: 10s, seed: 1}
network:
  links:
    - {between: [api, db], latency: 1ms}
services:
  api:
    endpoints: {get: [{cpu: 2ms}, {call: db.read}]}
  db:
    endpoints: {read: [{delay: 5ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  CHECK(a.mean.latency_ms == Approx(9.0));
  CHECK(ms(a.mean, "api", "cpu") == Approx(2.0));
  CHECK(ms(a.mean, "db", "network") == Approx(2.0));
  CHECK(ms(a.mean, "db", "delay") == Approx(5.0));
  CHECK(a.mean.parts.size() == 3);
  CHECK(a.slowest.latency_ms == Approx(9.0));
  CHECK(a.slowest.from_ms == Approx(9.0).epsilon(0.01));
}

TEST_CASE("a parallel step is as slow as its slowest child, and only that child counts",
          "[attribution]") {
  const auto a = attribution(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get:
        - parallel:
            - call: fast.x
            - call: slow.x
            - delay: 20ms
  fast:
    endpoints: {x: [{delay: 10ms}]}
  slow:
    endpoints: {x: [{delay: 30ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  CHECK(a.mean.latency_ms == Approx(30.0));
  CHECK(ms(a.mean, "slow", "delay") == Approx(30.0));
  CHECK(ms(a.mean, "fast", "delay") == 0.0);
  CHECK(ms(a.mean, "api", "delay") == 0.0);
}

TEST_CASE("retries: the failed attempts and the backoff between them", "[attribution]") {
  // Three attempts time out after 50 ms with 10 ms backoffs between them: 170 ms,
  // made a success by `optional`.
  const auto a = attribution(tailsim::testing::retried_timeouts_model);
  CHECK(a.mean.latency_ms == Approx(170.0));
  CHECK(ms(a.mean, "slow", "failed_attempts") == Approx(150.0));
  CHECK(ms(a.mean, "slow", "backoff") == Approx(20.0));
}

TEST_CASE("two requests on one core share it: half of each one's time is contention",
          "[attribution]") {
  // Both calls reach db together and get half a core each: each takes 20 ms
  // for 10 ms of CPU.
  const auto a = attribution(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get:
        - parallel:
            - call: db.q
            - call: db.q
  db:
    pod: {cpu: 1}
    endpoints: {q: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  CHECK(a.mean.latency_ms == Approx(20.0));
  CHECK(ms(a.mean, "db", "cpu") == Approx(10.0));
  CHECK(ms(a.mean, "db", "cpu_contention") == Approx(10.0));
}

TEST_CASE("a CFS quota stops the work: the throttled time is its own part", "[attribution]") {
  // 80 ms of CPU under a quota of 50 ms per 100 ms period: it runs 50 ms, is
  // stopped 50 ms, and runs 30 ms more: 130 ms.
  const auto a = attribution(R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api:
    pod: {cpu: {request: 0.5, limit: 0.5, period: 100ms, node_cores: 16}}
    endpoints: {get: [{cpu: 80ms}]}
workloads:
  w: {entry: api.get, rate: 1/s, arrivals: uniform}
)y");
  CHECK(a.mean.latency_ms == Approx(130.0));
  CHECK(ms(a.mean, "api", "cpu") == Approx(80.0));
  CHECK(ms(a.mean, "api", "throttled") == Approx(50.0));
}

TEST_CASE("a new pod's warm-up is its own part; the cpu part stays the demand", "[attribution]") {
  // As in faults_test: the only pod is replaced at 9.9 s and warms up over
  // 10 s from x3. Every request's own demand is 10 ms; what the warm-up adds
  // is apart: (20 x 20 + 40 x 10) / 60 ms of latency on average, of which 10 ms
  // is cpu.
  const auto a = attribution(tailsim::testing::warmup_after_kill_model);
  CHECK(ms(a.mean, "api", "cpu") == Approx(10.0).epsilon(1e-6));
  CHECK(ms(a.mean, "api", "warmup") == Approx(a.mean.latency_ms - 10.0).epsilon(1e-6));
  CHECK(ms(a.mean, "api", "warmup") > 3.0);
  // The slowest 1% ran on the pod just after it turned ready: x2.98.
  CHECK(ms(a.slowest, "api", "warmup") == Approx(19.8).epsilon(0.01));
}

TEST_CASE("M/M/1: the wait for the worker is the queue part, the service time the cpu part",
          "[attribution]") {
  // rho = 0.8, E[S] = 10 ms: the mean response is 50 ms of which 40 ms is the
  // wait (Wq = rho / (mu - lambda)). The cpu part is the mean of the service
  // times: within 4 standard errors of 10 ms (exponential: sd = mean).
  const auto a = attribution(R"y(version: 1
simulation: {duration: 2000s, warmup: 100s, seed: 3}
services:
  api:
    pod: {cpu: 1, workers: 1}
    endpoints: {get: [{cpu: exp(10ms)}]}
workloads:
  w: {entry: api.get, rate: 80/s}
)y");
  const double n = static_cast<double>(a.mean.requests);
  CHECK(std::abs(ms(a.mean, "api", "cpu") - 10.0) < 4 * 10.0 / std::sqrt(n));
  CHECK(ms(a.mean, "api", "queue") == Approx(a.mean.latency_ms - ms(a.mean, "api", "cpu")));
  // The slowest 1% waited far longer than the mean request: the queue is why.
  CHECK(ms(a.slowest, "api", "queue") / a.slowest.latency_ms >
        ms(a.mean, "api", "queue") / a.mean.latency_ms);
  // The slowest 1% is exactly the requests from the p99's rank up.
  CHECK(a.slowest.requests == a.mean.requests - slowest_rank(a.mean.requests) + 1);
}

TEST_CASE("equal latencies: the slowest 1% is the p99's rank count, not every tie",
          "[attribution]") {
  // Deterministic 2 ms of CPU, requests 50 ms apart: every latency is exactly
  // 2 ms. The group is the top n - ceil(0.99 n) + 1 of them (ties in the order
  // they finished), not all n that are >= the p99.
  const auto a = attribution(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 1}
services:
  api:
    endpoints: {get: [{cpu: 2ms}]}
workloads:
  w: {entry: api.get, rate: 20/s, arrivals: uniform}
)y");
  const std::uint64_t n = a.mean.requests;
  REQUIRE(n > 1000);
  CHECK(a.slowest.requests == n - slowest_rank(n) + 1);
  CHECK(a.slowest.requests < n / 50);
  CHECK(a.slowest.from_ms == Approx(2.0).epsilon(1e-12));
  CHECK(a.slowest.latency_ms == Approx(2.0).epsilon(1e-12));
  CHECK(ms(a.slowest, "api", "cpu") == Approx(2.0).epsilon(1e-12));
}

TEST_CASE("ties at the p99's value complete the slowest 1%; they do not shrink it",
          "[attribution]") {
  // 99.5% of requests take exactly 10 ms, 0.5% exactly 30 ms: the p99's rank
  // falls among the 10 ms ties. The group is every 30 ms request and as many
  // 10 ms ones as complete the rank count; the value at the rank is 10 ms.
  const auto a = attribution(R"y(version: 1
simulation: {duration: 200s, warmup: 0s, seed: 4}
services:
  api:
    endpoints:
      get:
        - branch:
            - {p: 0.005, steps: [{delay: 30ms}]}
            - {p: 0.995, steps: [{delay: 10ms}]}
workloads:
  w: {entry: api.get, rate: 50/s, arrivals: uniform}
)y");
  const std::uint64_t n = a.mean.requests;
  const std::uint64_t group = n - slowest_rank(n) + 1;
  CHECK(a.slowest.requests == group);
  CHECK(a.slowest.from_ms == Approx(10.0).epsilon(1e-12));
  // The slow ones: from the mean, (mean - 10) / 20 of all requests.
  const double slow = (a.mean.latency_ms - 10.0) / 20.0 * static_cast<double>(n);
  REQUIRE(slow > 10);
  REQUIRE(slow < static_cast<double>(group));
  CHECK(a.slowest.latency_ms == Approx((30.0 * slow + 10.0 * (static_cast<double>(group) - slow)) /
                                       static_cast<double>(group)));
}

TEST_CASE("a queue's message waits in the broker, then the consumer works", "[attribution]") {
  const auto a = attribution(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints: {post: [{publish: jobs}]}
  worker:
    endpoints: {run: [{delay: 5ms}]}
queues:
  jobs: {consumer: worker.run}
workloads:
  w: {entry: api.post, rate: 10/s, arrivals: uniform}
)y",
                             "jobs");
  CHECK(a.mean.latency_ms == Approx(5.0));
  CHECK(ms(a.mean, "worker", "delay") == Approx(5.0));
}

TEST_CASE("without attribution asked for, a run computes none", "[attribution]") {
  const auto r = tailsim::testing::simulate_text(R"y(version: 1
simulation: {duration: 2s, seed: 1}
services:
  api:
    endpoints: {get: [{cpu: 1ms}]}
workloads:
  w: {entry: api.get, rate: 10/s}
)y");
  CHECK_FALSE(named(r.paths, "w").attribution.is_computed);
}

TEST_CASE("a ledger sum keeps each key once, in key order, only the keys it saw", "[attribution]") {
  using tailsim::components::Ledger;
  using tailsim::components::LedgerSum;
  using tailsim::components::Where;
  Ledger first;
  first.add(7000, Where::cpu, 5);  // a service far down the model: no dense array up to it
  first.add(3, Where::queue, 2);
  Ledger second;
  second.add(3, Where::queue, 4);
  second.add(12, Where::network, 1);
  LedgerSum sum;
  sum.add(first, 10);
  sum.add(second, 6);
  CHECK(sum.requests == 2);
  CHECK(sum.latency_ns == 16);
  REQUIRE(sum.totals.size() == 3);
  const auto key = [](std::uint32_t entity, Where where) {
    return entity * static_cast<std::uint32_t>(tailsim::components::where_count) +
           static_cast<std::uint32_t>(where);
  };
  CHECK(sum.totals[0].key == key(3, Where::queue));
  CHECK(sum.totals[0].ns == 6);
  CHECK(sum.totals[1].key == key(12, Where::network));
  CHECK(sum.totals[1].ns == 1);
  CHECK(sum.totals[2].key == key(7000, Where::cpu));
  CHECK(sum.totals[2].ns == 5);
}

TEST_CASE("a ledger sum's key index agrees with a map through growth, merges and copies",
          "[attribution]") {
  // Ledgers of random keys (many collide in a small index, some are new
  // late), added to a sum, to a copy taken midway, and merged: each key's
  // total must be the reference map's, each key once, in key order.
  using tailsim::components::Ledger;
  using tailsim::components::LedgerSum;
  using tailsim::components::Where;
  tailsim::engine::RandomStream rng(2026);
  LedgerSum sum;
  LedgerSum copy;
  std::map<std::uint32_t, double> expected;
  std::map<std::uint32_t, double> expected_copy;
  for (int request = 0; request < 3000; ++request) {
    Ledger ledger;
    const auto parts = 1 + rng.uniform_int(12);
    for (std::uint64_t i = 0; i < parts; ++i) {
      // Keys spread over 40 entities early, 400 later: the index grows.
      const auto entity = static_cast<std::uint32_t>(rng.uniform_int(request < 1500 ? 40 : 400));
      const auto where = static_cast<Where>(rng.uniform_int(3));
      const auto ns = static_cast<std::int64_t>(1 + rng.uniform_int(1000));
      ledger.add(entity, where, ns);
    }
    sum.add(ledger, ledger.total());
    for (const Ledger::Part& part : ledger.parts()) {
      expected[part.key] += static_cast<double>(part.ns);
    }
    if (request == 1000) {
      copy = sum;  // carries its index with it
      expected_copy = expected;
    }
    if (request > 1000 && request % 2 == 0) {
      copy.add(ledger, ledger.total());
      for (const Ledger::Part& part : ledger.parts()) {
        expected_copy[part.key] += static_cast<double>(part.ns);
      }
    }
    if (request == 2000) {
      LedgerSum other;
      other.add(ledger, ledger.total());
      sum.merge(other);  // positions move: the index is rebuilt
      for (const Ledger::Part& part : ledger.parts()) {
        expected[part.key] += static_cast<double>(part.ns);
      }
    }
  }
  const auto check = [](const LedgerSum& got, const std::map<std::uint32_t, double>& want) {
    REQUIRE(got.totals.size() == want.size());
    auto it = want.begin();
    for (const LedgerSum::Total& total : got.totals) {
      CHECK(total.key == it->first);
      CHECK(total.ns == it->second);
      ++it;
    }
  };
  check(sum, expected);
  check(copy, expected_copy);
  CHECK(sum.bytes() >= sum.totals.size() * sizeof(LedgerSum::Total));
}

TEST_CASE("a ledger absorbed is merged and emptied; an empty one takes its parts whole",
          "[attribution]") {
  using tailsim::components::Ledger;
  using tailsim::components::Where;
  Ledger answer;
  answer.add(4, Where::cpu, 30);
  answer.add(5, Where::network, 7);
  Ledger waiting;
  waiting.absorb(answer);  // empty: by a swap
  CHECK(waiting.total() == 37);
  REQUIRE(waiting.parts().size() == 2);
  CHECK(waiting.parts()[0].ns == 30);
  CHECK(waiting.parts()[1].ns == 7);
  CHECK(answer.total() == 0);
  CHECK(answer.parts().empty());
  Ledger more;
  more.add(6, Where::queue, 3);
  waiting.absorb(more);  // not empty: appended after its own parts
  CHECK(waiting.total() == 40);
  REQUIRE(waiting.parts().size() == 3);
  CHECK(waiting.parts()[2].ns == 3);
  CHECK(more.parts().empty());
  Ledger other;
  other.add(1, Where::delay, 2);
  other.swap(waiting);
  CHECK(other.total() == 40);
  CHECK(waiting.total() == 2);
  CHECK(waiting.parts().size() == 1);
}

TEST_CASE("a ledger's room grows as a vector's, and copies and moves keep its parts",
          "[attribution]") {
  // The memory budget counts a ledger's room: it must be what std::vector's
  // growth gave (doubling from one; a range past the room: size + max(size, n)).
  using tailsim::components::Ledger;
  using tailsim::components::Where;
  Ledger ledger;
  CHECK(ledger.capacity() == 0);
  const std::size_t expected[] = {1, 2, 4, 4, 8, 8, 8, 8, 16};
  for (std::uint32_t i = 0; i < 9; ++i) {
    ledger.add(i, Where::cpu, 1 + i);  // a new key each time: a new part
    CHECK(ledger.capacity() == expected[i]);
  }
  CHECK(ledger.total() == 45);
  Ledger copy(ledger);  // exactly its size
  CHECK(copy.capacity() == 9);
  REQUIRE(copy.parts().size() == 9);
  CHECK(copy.parts()[8].ns == 9);
  Ledger small;
  small.add(100, Where::queue, 5);
  small.merge(copy);  // 1 + 9 > 1: 1 + max(1, 9)
  CHECK(small.capacity() == 10);
  CHECK(small.total() == 50);
  Ledger assigned;
  assigned.add(7, Where::delay, 2);
  assigned = small;  // 10 parts do not fit in 1: exactly 10
  CHECK(assigned.capacity() == 10);
  CHECK(assigned.total() == 50);
  CHECK(assigned.parts()[0].ns == 5);
  Ledger moved(std::move(assigned));
  CHECK(moved.total() == 50);
  CHECK(moved.parts().size() == 10);
  for (std::uint32_t i = 0; i < 40; ++i) {
    moved.add(200 + i, Where::network, 1);  // past 32 parts: compacted by key
  }
  CHECK(moved.total() == 90);
  CHECK(moved.parts().size() == 50);
  for (std::size_t i = 1; i < moved.parts().size(); ++i) {
    CHECK(moved.parts()[i - 1].key < moved.parts()[i].key);
  }
  moved.clear();  // more than 64 parts of room: given back
  CHECK(moved.capacity() == 0);
  CHECK(moved.total() == 0);
}

namespace {

/// The attribution of every path with traces asked for (two passes: a plain
/// one, then the replay) must be the one pass's exactly.
void check_one_pass_is_two_passes(const std::string& yaml) {
  tailsim::components::RunLimits once;
  once.attribution = true;
  tailsim::components::RunLimits twice = once;
  twice.traces = 1;
  const auto a = tailsim::testing::simulate_text(yaml, {}, once);
  const auto b = tailsim::testing::simulate_text(yaml, {}, twice);
  REQUIRE(a.paths.size() == b.paths.size());
  const auto same = [](const stats::AttributionGroup& x, const stats::AttributionGroup& y) {
    CHECK(x.requests == y.requests);
    CHECK(x.latency_ms == y.latency_ms);
    CHECK(x.from_ms == y.from_ms);
    REQUIRE(x.parts.size() == y.parts.size());
    for (std::size_t k = 0; k < x.parts.size(); ++k) {
      CHECK(x.parts[k].entity == y.parts[k].entity);
      CHECK(x.parts[k].what == y.parts[k].what);
      CHECK(x.parts[k].ms == y.parts[k].ms);
    }
  };
  for (std::size_t p = 0; p < a.paths.size(); ++p) {
    const stats::Attribution& x = a.paths[p].attribution;
    const stats::Attribution& y = b.paths[p].attribution;
    REQUIRE(x.is_computed);
    REQUIRE(y.is_computed);
    REQUIRE(x.slowest.requests > 0);
    same(x.mean, y.mean);
    same(x.slowest, y.slowest);
    REQUIRE(x.timeline.size() == y.timeline.size());
    for (std::size_t i = 0; i < x.timeline.size(); ++i) {
      CHECK(x.timeline[i].interval == y.timeline[i].interval);
      same(x.timeline[i].group, y.timeline[i].group);
    }
  }
}

}  // namespace

TEST_CASE("one pass and two passes attribute a steady run alike", "[attribution]") {
  check_one_pass_is_two_passes(R"y(version: 1
simulation: {duration: 120s, warmup: 5s, seed: 11}
services:
  api:
    replicas: 2
    endpoints:
      get:
        - cpu: exp(4ms)
        - parallel:
            - call: db.read
            - {delay: "lognormal(median=2ms, p99=20ms)"}
  db:
    endpoints: {read: [{cpu: exp(2ms)}]}
workloads:
  w: {entry: api.get, rate: 300/s}
  v: {entry: db.read, rate: 50/s}
)y");
}

TEST_CASE("a tail that falls late: the replay finds the slowest 1% the one pass dropped",
          "[attribution]") {
  // 2 s of 200 ms more at the start, then 5 min without: the slowest 1%
  // (about 151 requests) is the 100 slow ones and the slowest of the rest,
  // some of which the one pass dropped while the slow ones were its p95.
  check_one_pass_is_two_passes(R"y(version: 1
simulation: {duration: 300s, warmup: 0s, seed: 5}
services:
  api:
    endpoints: {get: [{cpu: exp(2ms)}, {delay: "lognormal(median=5ms, p99=30ms)"}]}
faults:
  - {at: 0s, for: 2s, slow: api, add: 200ms}
workloads:
  w: {entry: api.get, rate: 50/s}
)y");
}
