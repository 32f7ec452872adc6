#include "tailsim/engine/random_stream.hpp"

namespace tailsim::engine {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

RandomStream::ExponentialLayers RandomStream::make_exponential_layers() {
  // Marsaglia and Tsang (2000), 256 layers of equal area v; the tail starts at r.
  constexpr double r = 7.69711747013104972;
  constexpr double v = 0.0039496598225815571993;
  ExponentialLayers layers{};
  layers.x[0] = v / std::exp(-r);
  layers.x[1] = r;
  for (std::size_t i = 1; i < 256; ++i) {
    // Layer i's top edge: f(x[i + 1]) = f(x[i]) + v / x[i].
    const double height = std::exp(-layers.x[i]) + v / layers.x[i];
    layers.x[i + 1] = height < 1.0 ? -std::log(height) : 0.0;
  }
  layers.x[256] = 0.0;
  for (std::size_t i = 0; i <= 256; ++i) {
    layers.f[i] = std::exp(-layers.x[i]);
  }
  return layers;
}

const RandomStream::ExponentialLayers RandomStream::exponential_layers =
    RandomStream::make_exponential_layers();

RandomStream::ExponentialLayers RandomStream::make_normal_layers() {
  // Marsaglia and Tsang (2000), 256 layers of equal area v under the
  // half-normal exp(-x^2 / 2) (unnormalised); the tail starts at r.
  constexpr double r = 3.6541528853610088;
  constexpr double v = 0.00492867323399;
  const auto f = [](double x) { return std::exp(-0.5 * x * x); };
  ExponentialLayers layers{};
  layers.x[0] = v / f(r);
  layers.x[1] = r;
  for (std::size_t i = 1; i < 256; ++i) {
    const double height = f(layers.x[i]) + v / layers.x[i];
    layers.x[i + 1] = height < 1.0 ? std::sqrt(-2.0 * std::log(height)) : 0.0;
  }
  layers.x[256] = 0.0;
  for (std::size_t i = 0; i <= 256; ++i) {
    layers.f[i] = f(layers.x[i]);
  }
  return layers;
}

const RandomStream::ExponentialLayers RandomStream::normal_layers =
    RandomStream::make_normal_layers();

std::uint64_t RandomStream::name_key(std::string_view component, std::string_view purpose) {
  const std::uint64_t hash = fnv1a(0xcbf29ce484222325ULL, component);
  return fnv1a(hash ^ 0xff, purpose);  // a separator: ("ab","c") differs from ("a","bc")
}

RandomStream RandomStream::derive(std::uint64_t seed, std::string_view component,
                                  std::string_view purpose) {
  std::uint64_t state = seed;
  RandomStream stream(splitmix64(state) ^ name_key(component, purpose));
  stream.seed();  // a component's stream draws many numbers: its state at once
  return stream;
}

std::uint64_t RandomStream::later_u64() {
  if (seeding_ == Seeding::first_drawn) {
    // One step moves word 1 to s1 ^ (s2 ^ s0): the second number's word.
    seeding_ = Seeding::second_drawn;
    return scramble(mix_key(key_, 1) ^ mix_key(key_, 2) ^ mix_key(key_, 0));
  }
  seed();
  step();  // the first two numbers, drawn from three of its words
  step();
  return step();
}

double RandomStream::exponential_beyond(std::size_t layer, double x) {
  for (;;) {
    if (layer == 0) {
      return exponential_layers.x[1] - std::log(uniform_open());  // the tail, memoryless
    }
    if (is_under_wedge(layer, x)) {
      return x;
    }
    // Rejected: draw again, as standard_exponential() does.
    const std::uint64_t bits = next_u64();
    layer = bits & 0xff;
    x = exponential_point(bits, layer);
    if (x < exponential_layers.x[layer + 1]) {
      return x;
    }
  }
}

std::uint64_t RandomStream::uniform_int(std::uint64_t n) {
  // Lemire, "Fast random integer generation in an interval" (2019).
  __extension__ using u128 = unsigned __int128;  // GCC and clang on 64-bit targets
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double RandomStream::normal_beyond(std::size_t layer, bool negative, double x) {
  const double* f = normal_layers.f;
  for (;;) {
    if (layer == 0) {
      const double tail = normal_tail();
      return negative ? -tail : tail;
    }
    if (f[layer + 1] + uniform() * (f[layer] - f[layer + 1]) < std::exp(-0.5 * x * x)) {
      return negative ? -x : x;  // under the density in the layer's wedge
    }
    // Rejected: draw again, as normal() does.
    const std::uint64_t bits = next_u64();
    layer = bits & 0xff;
    negative = ((bits >> 8) & 1U) != 0;
    x = normal_point(bits, layer);
    if (x < normal_layers.x[layer + 1]) {
      return negative ? -x : x;
    }
  }
}

double RandomStream::normal_tail() {
  // Marsaglia's tail method: x = -ln(u1) / r, y = -ln(u2), accept r + x when
  // 2y > x^2.
  const double r = normal_layers.x[1];
  for (;;) {
    const double x = -std::log(uniform_open()) / r;
    const double y = -std::log(uniform_open());
    if (2.0 * y > x * x) {
      return r + x;
    }
  }
}

double RandomStream::gamma(double shape) {
  if (shape < 1.0) {
    // Boost: G(a) = G(a + 1) U^(1/a).
    return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x;
    double v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open();
    if (u < 1.0 - 0.0331 * x * x * x * x ||
        std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) {
      return d * v;
    }
  }
}

}  // namespace tailsim::engine
