#pragma once
/// A random stream: xoshiro256** seeded through SplitMix64 from a key derived
/// from (model seed, component name, purpose). Each component and purpose
/// draws from its own stream, so changing one component does not shift the
/// draws of the others (common random numbers). A request's draws come from
/// streams keyed by the request itself (`mix_key` of its workload, arrival
/// number and step; docs/semantics.md, "Random numbers per request"), so a
/// change that reorders requests does not hand draws to other requests.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tailsim::engine {

class RandomStream {
 public:
  /// The stream of `purpose` for `component` in a run seeded with `seed`. The
  /// key is a stable hash (FNV-1a) of the names, the same on every platform.
  static RandomStream derive(std::uint64_t seed, std::string_view component,
                             std::string_view purpose);

  /// The key of a stream's names alone, without a seed: what RandomStream::derive
  /// mixes with the seed. Stable across models that name the same component
  /// and purpose.
  static std::uint64_t name_key(std::string_view component, std::string_view purpose);

  /// A key derived from `key` and `part`: SplitMix64's finaliser (Steele, Lea
  /// and Flood, OOPSLA 2014) of key + golden ratio x (part + 1). Distinct
  /// parts give keys as far apart as independent random numbers.
  static constexpr std::uint64_t mix_key(std::uint64_t key, std::uint64_t part) {
    std::uint64_t z = key + 0x9e3779b97f4a7c15ULL * (part + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// The key of a draw site's stream: the key of what draws (a task, a
  /// request, an attempt) with the site's name key (`name_key`) XORed in.
  /// No finaliser of its own: the stream made from it finalises it (word i
  /// is mix_key(key, i)), and what draws has a key already as good as random
  /// (a finaliser's output), so distinct sites of one key give unrelated
  /// streams. A draw then waits on one finaliser, not three in a row.
  static constexpr std::uint64_t site_key(std::uint64_t key, std::uint64_t name) {
    return key ^ name;
  }
  /// The key of the `part`-th repetition or child of a site keyed `key`: the
  /// part's multiple of an odd constant added. The constant is far from every
  /// small multiple of SplitMix64's increment (for parts up to 4,096 apart,
  /// more than 10^15 increments), so two parts' streams share no word.
  static constexpr std::uint64_t part_key(std::uint64_t key, std::uint64_t part) {
    return key + (part + 1) * part_stride;
  }
  static constexpr std::uint64_t part_stride = 0xd1b54a32d192ed03ULL;

  /// The stream of `key`: xoshiro256**'s state from SplitMix64 of the key
  /// (word i is mix_key(key, i)). Made lazily: the first number needs only
  /// word 1 and the second only words 0 to 2 (most of the streams a
  /// request's steps make are asked for one number, an exponential or a
  /// uniform, and many of the rest for two: a gamma, a balancer's two
  /// choices), so the whole state is worked out only when a third number is
  /// drawn. The numbers are those of the whole state made at once.
  explicit RandomStream(std::uint64_t key = 0) : key_(key) {}

  [[gnu::always_inline]] std::uint64_t next_u64() {
    if (seeding_ != Seeding::done) [[unlikely]] {
      if (seeding_ == Seeding::none) {  // the first number: word 1 alone
        seeding_ = Seeding::first_drawn;
        return scramble(mix_key(key_, 1));
      }
      return later_u64();
    }
    return step();
  }

  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1): safe to take the logarithm of.
  double uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform whole number in [0, n), unbiased (Lemire's method); n > 0.
  std::uint64_t uniform_int(std::uint64_t n);
  /// Exponential with the given mean.
  [[gnu::always_inline]] double exponential(double mean) { return mean * standard_exponential(); }
  /// Exponential with mean 1, by Marsaglia and Tsang's ziggurat ("The
  /// Ziggurat Method for Generating Random Variables", J. Stat. Software 5(8),
  /// 2000) with 256 layers: exact, and 98.9% of draws take one 64-bit number,
  /// a multiplication and a comparison, with no logarithm.
  [[gnu::always_inline]] double standard_exponential() {
    const std::uint64_t bits = next_u64();
    const std::size_t layer = bits & 0xff;            // the low 8 bits pick the layer...
    const double x = exponential_point(bits, layer);  // ...the top 53 the point in it
    if (x < exponential_layers.x[layer + 1]) [[likely]] {
      return x;  // inside the layer's rectangle, under the density
    }
    return exponential_beyond(layer, x);
  }
  /// Standard normal, by the ziggurat of the half-normal density with 256
  /// layers (Marsaglia and Tsang 2000, as standard_exponential) and a random
  /// sign: exact, and 98.8% of draws take one 64-bit number, a
  /// multiplication and a comparison. No state beyond the generator's, so a
  /// stream made for one step's draws wastes nothing.
  double normal() {
    const std::uint64_t bits = next_u64();
    const std::size_t layer = bits & 0xff;              // the low 8 bits pick the layer,
    const std::uint64_t sign = (bits >> 8 & 1U) << 63;  // the 9th the sign bit,
    const double x = normal_point(bits, layer);         // the top 53 the point in it
    if (x < normal_layers.x[layer + 1]) [[likely]] {
      // Inside the layer's rectangle, under the density. The sign goes in as
      // a bit, -x exactly when it is set: a branch on it would be
      // mispredicted half the time (0.4 per event on online-boutique).
      return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ sign);
    }
    return normal_beyond(layer, sign != 0, x);
  }
  /// Gamma with the given shape and scale 1 (Marsaglia and Tsang).
  double gamma(double shape);
  bool bernoulli(double p) { return uniform() < p; }

 private:
  /// The ziggurat's layers for exp(-x): layer i spans [0, x[i]) at heights
  /// between f[i] = exp(-x[i]) and f[i + 1]; x[1] = r, the start of the tail;
  /// x[0] = v / f(r) makes the base layer (rectangle plus tail) as large as
  /// the others; x[256] = 0.
  struct ExponentialLayers {
    double x[257];
    double f[257];
  };
  static const ExponentialLayers exponential_layers;
  static ExponentialLayers make_exponential_layers();
  /// The same for the half-normal exp(-x^2 / 2): x[1] = r, the tail's start.
  static const ExponentialLayers normal_layers;
  static ExponentialLayers make_normal_layers();
  /// A half-normal draw beyond r (Marsaglia 1964): out of line, 0.03% of draws.
  double normal_tail();
  /// The rest of normal() for a point x of `layer` outside its rectangle
  /// (1.2% of draws), as exponential_beyond is standard_exponential()'s: out
  /// of line, so that the common case inlines where a lognormal draws.
  [[gnu::noinline]] double normal_beyond(std::size_t layer, bool negative, double x);
  /// The half-normal ziggurat's point in `layer` from a draw's top 53 bits.
  static double normal_point(std::uint64_t bits, std::size_t layer) {
    return static_cast<double>(bits >> 11) * 0x1.0p-53 * normal_layers.x[layer];
  }
  /// The rest of standard_exponential() for a point x of `layer` outside its
  /// rectangle (1.1% of draws): the tail, or the wedge's test, and if that
  /// rejects the point, the draws that follow. Out of line, so that the
  /// ziggurat's common case inlines where a step draws.
  [[gnu::noinline]] double exponential_beyond(std::size_t layer, double x);
  /// The exponential ziggurat's point in `layer` from a draw's top 53 bits.
  static double exponential_point(std::uint64_t bits, std::size_t layer) {
    return static_cast<double>(bits >> 11) * 0x1.0p-53 * exponential_layers.x[layer];
  }
  /// For a point x of layer i outside the rectangle: does a uniform height in
  /// the wedge between f[i] and f[i + 1] fall under exp(-x)?
  bool is_under_wedge(std::size_t layer, double x) {
    const double* f = exponential_layers.f;
    return f[layer + 1] + uniform() * (f[layer] - f[layer + 1]) < std::exp(-x);
  }

  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  /// xoshiro256**'s output for a state whose word 1 is `s1`.
  static std::uint64_t scramble(std::uint64_t s1) { return rotl(s1 * 5, 7) * 9; }
  /// The state of key_: word i is SplitMix64's (i + 1)th number from the
  /// key, which is mix_key(key_, i).
  void seed() {
    for (std::uint64_t i = 0; i < 4; ++i) {
      s_[i] = mix_key(key_, i);
    }
    seeding_ = Seeding::done;
  }
  /// The second number or the third. The second is word 1 after one step,
  /// s1 ^ s2 ^ s0, scrambled: three words of the state. The third makes the
  /// whole state and steps it past the first two. Out of line: next_u64()
  /// stays small enough to inline, and most streams made from a key draw once.
  [[gnu::noinline]] std::uint64_t later_u64();
  /// One step of xoshiro256**: its output, and the state moved on.
  std::uint64_t step() {
    const std::uint64_t result = scramble(s_[1]);
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  std::uint64_t s_[4] = {};
  std::uint64_t key_;
  /// How much of the state is made: none (nothing drawn), none but the first
  /// number or the first two drawn, or all of it.
  enum class Seeding : std::uint8_t {
    none,
    first_drawn,
    second_drawn,
    done
  } seeding_ = Seeding::none;
};

}  // namespace tailsim::engine
