// How long loading and checking a large model takes: a generated model with N
// services in a layered call graph (each endpoint calls two services of the
// next layer), loaded, resolved and built into the dependency graph.
//
// Usage: model_load_bench [SERVICES=1000] [REPEATS=5]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"

namespace {

std::string generate_model(int services) {
  std::string text = "version: 1\nname: generated\nservices:\n";
  constexpr int width = 20;  // services per layer
  for (int i = 0; i < services; ++i) {
    text += fmt::format(
        "  svc-{0}:\n    replicas: 2\n    pod: {{cpu: 2, workers: 32, queue: 64}}\n"
        "    endpoints:\n      handle:\n        - cpu: exp(1ms)\n",
        i);
    const int next_layer = (i / width + 1) * width;
    for (int k = 0; k < 2; ++k) {
      const int callee = next_layer + (i + k) % width;
      if (callee < services) {
        text += fmt::format(
            "        - call: svc-{}.handle\n          timeout: 200ms\n"
            "          retry: {{attempts: 2, backoff: 10ms}}\n",
            callee);
      }
    }
  }
  text += "workloads:\n";
  for (int i = 0; i < width && i < services; ++i) {
    text += fmt::format("  w{0}: {{entry: svc-{0}.handle, rate: 100/s}}\n", i);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string text = generate_model(services);
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto loaded = tailsim::model::load_string(text, "generated.yaml");
    if (!loaded.ok()) {
      std::fputs(loaded.diagnostics.format_all().c_str(), stderr);
      return 1;
    }
    auto graph = tailsim::graph::build_graph(*loaded.model, loaded.diagnostics);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    if (r == 0) {
      fmt::print("model: {} services, {} bytes of YAML, {} graph vertices\n", services, text.size(),
                 graph.vertices().size());
    }
  }
  fmt::print("load + check + graph: best of {}: {:.3f} s\n", repeats, best);
  return 0;
}
