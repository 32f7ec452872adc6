// Writes the OpenMetrics text of a small simulated run to stdout, for
// check_openmetrics.sh to hand to promtool. The model has what the writer
// reports: two paths (one with timeouts), a service with pods, an external
// one, a cache and a queue. One path is then renamed to a label value that
// needs every escape (double quote, backslash, line feed) and is not ASCII.

#include <cstdio>
#include <string>

#include "tailsim/components/simulation.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/openmetrics_writer.hpp"

namespace {

constexpr const char* model_text = R"(version: 1
name: promtool-sample
simulation: {duration: 20s, warmup: 2s, seed: 1}
services:
  frontend:
    replicas: 2
    pod: {cpu: 1, workers: 16, queue: 32}
    endpoints:
      checkout:
        - cpu: exp(2ms)
        - cache: cart-cache
          miss:
            - call: bank.authorize
              timeout: 150ms
        - publish: orders
      browse:
        - cpu: exp(1ms)
  bank:
    external: true
    endpoints:
      authorize:
        - delay: lognormal(median=40ms, p99=400ms)
  fulfillment:
    replicas: 1
    pod: {cpu: 1}
    endpoints:
      process:
        - cpu: exp(5ms)
caches:
  cart-cache: {scope: shared, hit_ratio: 50%, lookup: 0.2ms}
queues:
  orders: {consumer: fulfillment.process, partitions: 2}
workloads:
  checkout: {entry: frontend.checkout, rate: 40/s}
  browse: {entry: frontend.browse, rate: 20/s}
)";

}  // namespace

int main() {
  using namespace tailsim;
  auto loaded = model::load_string(model_text, "promtool-sample.yaml");
  if (!loaded.ok()) {
    std::fputs(loaded.diagnostics.format_all().c_str(), stderr);
    return 1;
  }
  const auto plan = plan::compile_plan(*loaded.model, loaded.diagnostics);
  if (!plan) {
    std::fputs(loaded.diagnostics.format_all().c_str(), stderr);
    return 1;
  }
  stats::Results results = components::simulate(*plan);
  // checkout, browse, and orders (a queue's path: publish to processed).
  bool renamed = false;
  for (auto& path : results.paths) {
    if (path.name == "browse" && path.latency.count() > 0) {
      path.name = "br\"ow\\se\n\xC3\xA9t\xC3\xA9 it's";  // "été", and a quote for YAML
      renamed = true;
    }
  }
  if (results.paths.size() != 3 || !renamed) {
    std::fputs("the sample model did not run as expected\n", stderr);
    return 1;
  }
  const std::string text = report::format_openmetrics(results);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
