// libFuzzer target for `--set PATH=VALUE` (model::LoadOptions::overrides):
// each line of the input is one override applied to a fixed model that uses
// most sections of the format. Whatever the paths and values, the load
// answers with positioned diagnostics, and a model that loads runs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

constexpr std::string_view fixed_model = R"(version: 1
name: shop
simulation: {duration: 1m, warmup: 5s, seed: 1, interval: 1s}
network:
  default: {latency: 0.5ms}
services:
  frontend:
    replicas: 2
    pod: {cpu: 2, workers: 16, queue: 64, startup: 1s}
    balancer: least_request
    endpoints:
      checkout:
        - cpu: exp(2ms)
        - call: cart.get
          timeout: 200ms
          retry: {attempts: 3, backoff: 10ms, jitter: full}
        - publish: orders
      browse:
        - cpu: exp(1ms)
        - call: cart.get
          optional: true
  cart:
    pod: {cpu: 1, workers: 8}
    endpoints:
      get:
        - cache: cart-cache
          miss:
            - delay: lognormal(median=3ms, p99=20ms)
  fulfillment:
    pod: {cpu: 1, workers: 4}
    endpoints:
      process:
        - cpu: exp(5ms)
caches:
  cart-cache: {scope: pod, keys: 1000, ttl: 10s}
queues:
  orders: {consumer: fulfillment.process}
workloads:
  buy: {entry: frontend.checkout, rate: 50/s}
  look: {entry: frontend.browse, rate: 100/s}
autoscalers:
  frontend: {service: frontend, metric: cpu, target: 60%, min: 1, max: 4}
slos:
  buy: ["p99 < 300ms", "errors < 1%"]
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  tailsim::model::LoadOptions options;
  std::size_t start = 0;
  while (start <= input.size()) {
    const auto end = std::min(input.find('\n', start), input.size());
    options.overrides.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  auto loaded = tailsim::model::load_string(fixed_model, "model.yaml", options);
  (void)tailsim::fuzz::load_and_run(loaded);
  return 0;
}
