#pragma once
/// A random stream: xoshiro256** seeded through SplitMix64 from a key derived
/// from (model seed, component name, purpose). Each component and purpose
/// draws from its own stream, so changing one component does not shift the
/// draws of the others (common random numbers).

#include <cmath>
#include <cstdint>
#include <string_view>

namespace tailsim::engine {

class RandomStream {
 public:
  /// The stream of `purpose` for `component` in a run seeded with `seed`. The
  /// key is a stable hash (FNV-1a) of the names, the same on every platform.
  static RandomStream derive(std::uint64_t seed, std::string_view component,
                             std::string_view purpose);

  explicit RandomStream(std::uint64_t key = 0);

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1): safe to take the logarithm of.
  double uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform whole number in [0, n), unbiased (Lemire's method); n > 0.
  std::uint64_t uniform_int(std::uint64_t n);
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform_open()); }
  /// Standard normal (Marsaglia's polar method).
  double normal();
  /// Gamma with the given shape and scale 1 (Marsaglia and Tsang).
  double gamma(double shape);
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4];
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

}  // namespace tailsim::engine
