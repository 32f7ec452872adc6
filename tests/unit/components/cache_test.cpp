// Caches in whole simulations (SPEC.md "caches").

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

const stats::CacheResult& cache(const stats::Results& r, const std::string& name) {
  return named(r.caches, name);
}

std::string model(const std::string& cache_spec, const std::string& rate = "100/s",
                  const std::string& simulation = "{duration: 100s, warmup: 20s, seed: 3}") {
  return "version: 1\nsimulation: " + simulation + R"y(
services:
  api:
    endpoints:
      get:
        - cache: c
          miss: [{call: db.read}]
  db:
    endpoints: {read: [{delay: 5ms}]}
caches:
  c: )y" +
         cache_spec + R"y(
workloads:
  w: {entry: api.get, rate: )y" +
         rate + "}\n";
}

}  // namespace

TEST_CASE("the simple model hits with its hit ratio; misses run the miss steps", "[cache]") {
  const auto r = simulate_text(model("{hit_ratio: 90%}"));
  const auto& c = cache(r, "c");
  const double n = static_cast<double>(c.lookups);
  CHECK(c.hit_ratio() == Approx(0.9).margin(4.5 * std::sqrt(0.09 / n)));
  // Each miss calls db once.
  CHECK(named(r.services, "db").requests == c.lookups - c.hits);
}

TEST_CASE("an LRU cache with uniform keys hits with capacity / keys", "[cache]") {
  // Independent uniform requests over N keys, LRU of capacity C: in steady
  // state the cache holds C random keys, so a request hits with C/N.
  const auto r =
      simulate_text(model("{scope: shared, keys: 1000, popularity: uniform, capacity: 250}",
                          "200/s", "{duration: 200s, warmup: 50s, seed: 5}"));
  const auto& c = cache(r, "c");
  const double n = static_cast<double>(c.lookups);
  CHECK(c.hit_ratio() == Approx(0.25).margin(4.5 * std::sqrt(0.25 * 0.75 / n)));
}

TEST_CASE("Zipf popularity with Che's approximation", "[cache]") {
  // Che et al. (2002): an LRU cache of C entries hits key k with probability
  // 1 - exp(-p_k T), where T solves sum_k (1 - exp(-p_k T)) = C.
  const int keys = 1000;
  const int capacity = 100;
  const double s = 0.99;
  std::vector<double> p(keys);
  double norm = 0;
  for (int k = 0; k < keys; ++k) {
    p[k] = std::pow(k + 1.0, -s);
    norm += p[k];
  }
  for (double& x : p) {
    x /= norm;
  }
  auto occupancy = [&](double t) {
    double sum = 0;
    for (double x : p) {
      sum += 1 - std::exp(-x * t);
    }
    return sum;
  };
  double lo = 0;
  double hi = 1e7;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (occupancy(mid) < capacity ? lo : hi) = mid;
  }
  double expected = 0;
  for (double x : p) {
    expected += x * (1 - std::exp(-x * lo));
  }
  const auto r =
      simulate_text(model("{scope: shared, keys: 1000, popularity: zipf(0.99), capacity: 100}",
                          "200/s", "{duration: 200s, warmup: 50s, seed: 6}"));
  // Che's approximation is accurate to about 1% for caches of this size.
  CHECK(cache(r, "c").hit_ratio() == Approx(expected).epsilon(0.03));
}

TEST_CASE("entries expire after their ttl", "[cache]") {
  // One key read every 100 ms, kept for 1 s: one miss then nine hits, again and again.
  const auto uniform = simulate_text(
      "version: 1\nsimulation: {duration: 60s, seed: 1}\n"
      "services:\n  api:\n    endpoints:\n      get:\n        - cache: c\n"
      "          miss: [{delay: 5ms}]\n"
      "caches:\n  c: {scope: shared, keys: 1, ttl: 1s}\n"
      "workloads:\n  w: {entry: api.get, rate: 10/s, arrivals: uniform}\n");
  CHECK(cache(uniform, "c").hit_ratio() == Approx(0.9).margin(0.02));
}

TEST_CASE("coalescing: concurrent misses on a key wait for one fill", "[cache]") {
  // One key, kept 1 s, refilled by a 100 ms database read; 100 lookups per
  // second. Without coalescing every lookup during a refill misses and reads
  // the database too; with it one read serves them all.
  auto run = [](bool coalesce) {
    return simulate_text(std::string("version: 1\nsimulation: {duration: 60s, seed: 1}\n") +
                         "services:\n  api:\n    endpoints:\n      get:\n        - cache: c\n"
                         "          miss: [{call: db.read}]\n"
                         "  db:\n    endpoints: {read: [{delay: 100ms}]}\n"
                         "caches:\n  c: {scope: shared, keys: 1, ttl: 1s, coalesce: " +
                         (coalesce ? "true" : "false") +
                         "}\n"
                         "workloads:\n  w: {entry: api.get, rate: 100/s, arrivals: uniform}\n");
  };
  const auto plain = run(false);
  const auto coalesced = run(true);
  // A fill every 1.1 s or so: about 55 in 60 s.
  CHECK(named(coalesced.services, "db").requests <= 60);
  CHECK(named(plain.services, "db").requests >= 8 * named(coalesced.services, "db").requests);
}

TEST_CASE("a flush empties the cache", "[cache]") {
  const auto r = simulate_text(std::string("version: 1\nsimulation: {duration: 20s, seed: 1}\n") +
                               "services:\n  api:\n    endpoints:\n      get:\n"
                               "        - cache: c\n          miss: [{delay: 5ms}]\n"
                               "caches:\n  c: {scope: shared, keys: 1}\n"
                               "workloads:\n  w: {entry: api.get, rate: 10/s, arrivals: uniform}\n"
                               "faults:\n  - {at: 10.05s, flush: c}\n");
  // One miss at the start, one after the flush: 198 hits of 200.
  CHECK(cache(r, "c").lookups == 200);
  CHECK(cache(r, "c").hits == 198);
}

TEST_CASE("a flush empties its own cache and no other", "[cache]") {
  // Two shared caches of one key each, looked up by every request; only c
  // is flushed. c misses twice (at the start and after the flush), d once.
  const auto r = simulate_text(std::string("version: 1\nsimulation: {duration: 20s, seed: 1}\n") +
                               "services:\n  api:\n    endpoints:\n      get:\n"
                               "        - cache: c\n          miss: [{delay: 5ms}]\n"
                               "        - cache: d\n          miss: [{delay: 5ms}]\n"
                               "caches:\n  c: {scope: shared, keys: 1}\n"
                               "  d: {scope: shared, keys: 1}\n"
                               "workloads:\n  w: {entry: api.get, rate: 10/s, arrivals: uniform}\n"
                               "faults:\n  - {at: 10.05s, flush: c}\n");
  CHECK(cache(r, "c").lookups == 200);
  CHECK(cache(r, "c").hits == 198);
  CHECK(cache(r, "d").lookups == 200);
  CHECK(cache(r, "d").hits == 199);
}

TEST_CASE("Che's approximation at 100 000 Zipf keys of exponent 1", "[cache]") {
  // Che's approximation gives 0.506 for a capacity of 1% of the keys and
  // 0.737 for 10%; it is within about 1% of exact LRU at these sizes.
  auto hit_ratio = [](const std::string& capacity) {
    const auto r = simulate_text(
        model("{scope: shared, keys: 100000, popularity: zipf(1.0), capacity: " + capacity + "}",
              "2000/s", "{duration: 100s, warmup: 50s, seed: 8}"));
    return cache(r, "c").hit_ratio();
  };
  CHECK(hit_ratio("1000") == Approx(0.506).epsilon(0.03));
  CHECK(hit_ratio("10000") == Approx(0.737).epsilon(0.03));
}

TEST_CASE("a coalesced fill whose filler's pod is killed fails its waiters and frees the key",
          "[cache]") {
  // The only api pod is killed at 0.05 s, in the middle of the first fill
  // (0.01 s to 0.11 s). The fill dies with its request; left registered, it
  // would hold every later miss of the key for ever (the whole run
  // unfinished, as it was).
  const auto r =
      simulate_text(std::string("version: 1\nsimulation: {duration: 20s, warmup: 0s, seed: 1}\n") +
                    "services:\n  api:\n    endpoints:\n      get:\n        - cache: c\n"
                    "          miss: [{call: db.read}]\n"
                    "  db:\n    endpoints: {read: [{delay: 100ms}]}\n"
                    "caches:\n  c: {scope: shared, keys: 1, ttl: 1s, coalesce: true}\n"
                    "workloads:\n  w: {entry: api.get, rate: 100/s, arrivals: uniform}\n"
                    "faults:\n  - {at: 0.05s, kill: api}\n");
  const auto& w = named(r.paths, "w");
  CHECK(w.outcomes[tailsim::stats::Outcome::unfinished] == 0);
  // Errors: the 5 requests on the pod when it died, and the 5 that reached
  // its replacement before 0.11 s and waited for the dead fill.
  CHECK(w.outcomes[tailsim::stats::Outcome::error] == 10);
  CHECK(w.outcomes[tailsim::stats::Outcome::ok] >= w.requests - 10);
}
