#include "tailsim/core/time.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include <catch2/catch.hpp>

#include "tailsim/engine/random_stream.hpp"

using tailsim::ceil_ns;

TEST_CASE("ceil_ns rounds up to whole nanoseconds exactly as std::ceil", "[time]") {
  CHECK(ceil_ns(0.0) == 0);
  CHECK(ceil_ns(1e-300) == 1);
  CHECK(ceil_ns(1.0) == 1);
  CHECK(ceil_ns(1.0000000000000002) == 2);
  CHECK(ceil_ns(2.5) == 3);
  // Halves round to even on the way to the nearest whole number, up or down.
  CHECK(ceil_ns(0.5) == 1);
  CHECK(ceil_ns(1.5) == 2);
  CHECK(ceil_ns(std::nextafter(1.5, 2.0)) == 2);
  CHECK(ceil_ns(4503599627370495.0) == 4503599627370495);  // 2^52 - 1
  CHECK(ceil_ns(4503599627370496.0) == 4503599627370496);  // 2^52
  static_assert(ceil_ns(1.25) == 2);
  CHECK(ceil_ns(std::nextafter(3.0, 0.0)) == 3);
  CHECK(ceil_ns(4503599627370495.5) == 4503599627370496);  // 2^52 - 0.5: the last half
  CHECK(ceil_ns(9007199254740993.0) == 9007199254740992);  // rounds to 2^53 on the way in
  // Random values over the whole range the engine meets, from fractions of a
  // nanosecond to centuries, integral and not.
  tailsim::engine::RandomStream rng(42);
  for (int i = 0; i < 200000; ++i) {
    const double scale = std::ldexp(1.0, static_cast<int>(rng.uniform_int(62)));
    double x = rng.uniform() * scale;
    if (i % 4 == 0) {
      x = std::floor(x);  // whole numbers stay as they are
    }
    REQUIRE(ceil_ns(x) == static_cast<std::int64_t>(std::ceil(x)));
  }
}
