#pragma once
/// The words the graph writers use for what the model says around a call and
/// a service: short ones for DOT labels (`timeout 2s`, `retry 3`), sentences
/// for tooltips, and JSON objects for `tailsim graph --format json`.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/model.hpp"

namespace tailsim::graph::labels {

using Json = nlohmann::ordered_json;

/// The network a call between two services crosses, as the engine samples it
/// (docs/semantics.md, "Calls and the network"): the `network.links` entry
/// for the pair, else `network.default`, each value the link leaves out
/// taken from the default.
struct Network {
  const model::DistSpec* latency = nullptr;  ///< null: no latency
  double loss = 0;
  bool is_link = false;  ///< a `network.links` entry names the pair
  [[nodiscard]] bool is_empty() const { return latency == nullptr && loss == 0; }
};

[[nodiscard]] Network network_between(const model::Model& model, std::string_view a,
                                      std::string_view b);

/// A number in at most three or four significant digits, no trailing zeros:
/// `120`, `35.2`, `0.25`.
[[nodiscard]] std::string short_number(double value);
/// A share as a percentage: `63%`, `0.4%`.
[[nodiscard]] std::string short_percent(double share);
/// Nanoseconds in the largest unit that keeps them at 1 or more: `35.2ms`.
[[nodiscard]] std::string short_duration_ns(double ns);

/// The policy in words for a label: `timeout 2s`, `retry 3`, `breaker`,
/// `hedge 50ms`, `bulkhead 10`, `throttle`, `deadline`, `optional`, in that order.
[[nodiscard]] std::vector<std::string> policy_words(const model::CallPolicy& policy);
/// The policy in full, one sentence per part, for a tooltip.
[[nodiscard]] std::vector<std::string> policy_sentences(const model::CallPolicy& policy);
/// The policy's parts the model sets, as JSON (durations in ms).
[[nodiscard]] Json policy_json(const model::CallPolicy& policy);

/// One call's label: its policy words, then `p 0.3` and `×3` where not 1.
[[nodiscard]] std::string call_words(const CallSite& call);
/// The network in a label: `net 15ms`, `net ~2.1ms` for a distribution of
/// long text, `loss 0.1%`; empty when there is neither latency nor loss.
[[nodiscard]] std::string network_words(const Network& network);
/// The network in a tooltip: `network (link a–b): latency 15ms, loss 0.1%`.
[[nodiscard]] std::string network_sentence(const Network& network);

/// A service's pods in a label: `3 replicas · cpu 2 · 8 workers` (cpu and
/// workers only when the model sets them); empty for an external service.
[[nodiscard]] std::string service_words(const model::Service& service);
/// The autoscalers of service `s` in a label, one each: `autoscale cpu 70% 2..10`.
[[nodiscard]] std::vector<std::string> autoscaler_words(const model::Model& model, std::size_t s);
/// The same in full, for the tooltip.
[[nodiscard]] std::vector<std::string> autoscaler_sentences(const model::Model& model,
                                                            std::size_t s);
/// The service's pods and autoscalers as JSON: `replicas`, `cpu`, `workers`,
/// `autoscalers`.
[[nodiscard]] Json service_json(const model::Model& model, std::size_t s);

}  // namespace tailsim::graph::labels
