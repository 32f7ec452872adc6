#include "labels.hpp"

#include <cmath>

#include <fmt/format.h>

#include "tailsim/core/duration_text.hpp"

namespace tailsim::graph::labels {
namespace {

std::string_view jitter_name(model::Jitter jitter) {
  switch (jitter) {
    case model::Jitter::none:
      return "none";
    case model::Jitter::full:
      return "full";
    case model::Jitter::equal:
      return "equal";
    case model::Jitter::decorrelated:
      return "decorrelated";
  }
  return "?";
}

std::string join_words(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty() && !word.empty()) {
      out += separator;
    }
    out += word;
  }
  return out;
}

/// `×3`, `×1..10`; empty for once.
std::string times_words(const model::IntRange& times) {
  if (times.low == 1 && times.high == 1) {
    return {};
  }
  return times.low == times.high ? fmt::format("×{}", times.low)
                                 : fmt::format("×{}..{}", times.low, times.high);
}

std::string retry_sentence(const model::RetryPolicy& retry) {
  std::string on;
  if (retry.on.empty()) {
    on = "timeout, rejected, unavailable";
  }
  for (const auto& kind : retry.on) {
    on += (on.empty() ? "" : ", ") + std::string(model::to_string(kind.value));
  }
  std::string text =
      fmt::format("retry: {} attempts (the first included), backoff {} ×{}", retry.attempts.value,
                  format_duration(retry.backoff.value), short_number(retry.multiplier.value));
  if (retry.max_backoff) {
    text += " up to " + format_duration(retry.max_backoff->value);
  }
  text += fmt::format(", {} jitter, on {}", jitter_name(retry.jitter.value), on);
  if (retry.budget) {
    text += ", budget " + short_percent(retry.budget->value);
  }
  return text;
}

/// The autoscaler's target in a few words: `cpu 70%`, `rps 50/s per pod`.
std::string target_words(const model::Autoscaler& a) {
  const std::string value = short_number(a.target.value);
  switch (a.metric.value) {
    case model::ScaleMetric::cpu:
      return "cpu " + short_percent(a.target.value);
    case model::ScaleMetric::concurrency:
      return "concurrency " + value + "/pod";
    case model::ScaleMetric::rps:
      return "rps " + value + "/s per pod";
    case model::ScaleMetric::queue_lag:
      return a.is_age_target ? "queue lag " + value + "s" : "queue lag " + value + "/pod";
  }
  return "?";
}

/// Whether the autoscaler scales service `s` (by name: the loader's id may be unset).
bool serves(const model::Autoscaler& a, const model::Model& model, std::size_t s) {
  return a.service.value == model.services[s].name.value;
}

}  // namespace

Network network_between(const model::Model& model, std::string_view a, std::string_view b) {
  Network network;
  const model::LinkSpec* link = nullptr;
  for (const auto& l : model.network.links) {
    if ((l.a.value == a && l.b.value == b) || (l.a.value == b && l.b.value == a)) {
      link = &l;
      break;  // the first, as the engine takes it
    }
  }
  network.is_link = link != nullptr;
  const auto& latency = link && link->latency ? link->latency : model.network.default_latency;
  network.latency = latency ? &*latency : nullptr;
  network.loss = link && link->loss ? link->loss->value : model.network.default_loss.value;
  return network;
}

std::string short_number(double value) {
  if (!std::isfinite(value)) {
    return fmt::format("{}", value);
  }
  const double size = std::fabs(value);
  std::string text = size >= 100 || size == 0 ? fmt::format("{:.0f}", value)
                     : size >= 10             ? fmt::format("{:.1f}", value)
                     : size >= 0.01           ? fmt::format("{:.2f}", value)
                                              : fmt::format("{:.2g}", value);
  if (text.find('.') != std::string::npos && text.find('e') == std::string::npos) {
    while (text.back() == '0') {
      text.pop_back();
    }
    if (text.back() == '.') {
      text.pop_back();
    }
  }
  return text;
}

std::string short_percent(double share) {
  return short_number(share * 100) + "%";
}

std::string short_duration_ns(double ns) {
  const double size = std::fabs(ns);
  if (size >= 1e9) {
    return short_number(ns / 1e9) + "s";
  }
  if (size >= 1e6) {
    return short_number(ns / 1e6) + "ms";
  }
  if (size >= 1e3) {
    return short_number(ns / 1e3) + "us";
  }
  return short_number(ns) + "ns";
}

std::vector<std::string> policy_words(const model::CallPolicy& policy) {
  std::vector<std::string> words;
  if (policy.timeout) {
    words.push_back("timeout " + format_duration(policy.timeout->value));
  }
  if (policy.retry) {
    words.push_back(fmt::format("retry {}", policy.retry->attempts.value));
  }
  if (policy.circuit_breaker) {
    words.emplace_back("breaker");
  }
  if (policy.hedge) {
    words.push_back("hedge " + format_duration(policy.hedge->after.value) +
                    (policy.hedge->max.value > 1 ? fmt::format(" ×{}", policy.hedge->max.value)
                                                 : std::string()));
  }
  if (policy.bulkhead) {
    words.push_back(fmt::format("bulkhead {}", policy.bulkhead->value));
  }
  if (policy.throttle) {
    words.emplace_back("throttle");
  }
  if (policy.deadline && policy.deadline->value == model::DeadlineMode::propagate) {
    words.emplace_back("deadline");
  }
  if (policy.optional.value) {
    words.emplace_back("optional");
  }
  return words;
}

std::vector<std::string> policy_sentences(const model::CallPolicy& policy) {
  std::vector<std::string> out;
  if (policy.timeout) {
    out.push_back("timeout " + format_duration(policy.timeout->value));
  }
  if (policy.retry) {
    out.push_back(retry_sentence(*policy.retry));
  }
  if (const auto& b = policy.circuit_breaker) {
    out.push_back(fmt::format(
        "circuit breaker: opens at {} failures over the last {} calls (at least {}), stays "
        "open {}, then lets {} calls through",
        short_percent(b->failure_rate.value), b->window.value, b->min_calls.value,
        format_duration(b->open_for.value), b->half_open.value));
  }
  if (const auto& h = policy.hedge) {
    out.push_back(fmt::format("hedge: another copy after {}, at most {}",
                              format_duration(h->after.value), h->max.value));
  }
  if (policy.bulkhead) {
    out.push_back(
        fmt::format("bulkhead: at most {} calls in flight per pod", policy.bulkhead->value));
  }
  if (const auto& t = policy.throttle) {
    out.push_back(fmt::format("retry throttle: {} tokens, {} back per success",
                              short_number(t->max_tokens.value),
                              short_number(t->token_ratio.value)));
  }
  if (policy.deadline) {
    out.push_back(policy.deadline->value == model::DeadlineMode::propagate ? "deadline: propagate"
                                                                           : "deadline: none");
  }
  if (policy.optional.value) {
    out.emplace_back("optional: its failure does not fail the caller");
  }
  return out;
}

Json policy_json(const model::CallPolicy& policy) {
  Json out = Json::object();
  if (policy.timeout) {
    out["timeout_ms"] = to_millis(policy.timeout->value);
  }
  if (const auto& r = policy.retry) {
    Json on = Json::array();
    for (const auto& kind : r->on) {
      on.push_back(std::string(model::to_string(kind.value)));
    }
    if (r->on.empty()) {
      on = {"timeout", "rejected", "unavailable"};
    }
    out["retry"] = {
        {"attempts", r->attempts.value},
        {"backoff_ms", to_millis(r->backoff.value)},
        {"multiplier", r->multiplier.value},
        {"max_backoff_ms", r->max_backoff ? Json(to_millis(r->max_backoff->value)) : Json(nullptr)},
        {"jitter", std::string(jitter_name(r->jitter.value))},
        {"on", std::move(on)},
        {"budget", r->budget ? Json(r->budget->value) : Json(nullptr)}};
  }
  if (const auto& b = policy.circuit_breaker) {
    out["circuit_breaker"] = {{"window", b->window.value},
                              {"min_calls", b->min_calls.value},
                              {"failure_rate", b->failure_rate.value},
                              {"open_for_ms", to_millis(b->open_for.value)},
                              {"half_open", b->half_open.value}};
  }
  if (const auto& h = policy.hedge) {
    out["hedge"] = {{"after_ms", to_millis(h->after.value)}, {"max", h->max.value}};
  }
  if (policy.bulkhead) {
    out["bulkhead"] = policy.bulkhead->value;
  }
  if (const auto& t = policy.throttle) {
    out["throttle"] = {{"max_tokens", t->max_tokens.value}, {"token_ratio", t->token_ratio.value}};
  }
  if (policy.deadline) {
    out["deadline"] =
        policy.deadline->value == model::DeadlineMode::propagate ? "propagate" : "none";
  }
  out["optional"] = policy.optional.value;
  return out;
}

std::string call_words(const CallSite& call) {
  std::vector<std::string> words = policy_words(call.policy);
  if (call.p != 1.0) {
    words.push_back("p " + short_number(call.p));
  }
  words.push_back(times_words(call.times));
  return join_words(words, ", ");
}

std::string network_words(const Network& network) {
  std::vector<std::string> words;
  if (network.latency != nullptr) {
    const std::string& text = network.latency->text;
    words.push_back(!text.empty() && text.size() <= 14
                        ? "net " + text
                        : "net ~" + short_duration_ns(network.latency->mean_ns()));
  }
  if (network.loss > 0) {
    words.push_back("loss " + short_percent(network.loss));
  }
  return join_words(words, ", ");
}

std::string network_sentence(const Network& network) {
  std::string text = network.is_link ? "network (its link): " : "network (the default): ";
  text += "latency " + (network.latency ? network.latency->text : std::string("none"));
  text += ", mean " + (network.latency ? short_duration_ns(network.latency->mean_ns()) : "0");
  text += ", loss " + short_percent(network.loss) + ", each way";
  return text;
}

std::string service_words(const model::Service& service) {
  if (service.external.value) {
    return {};
  }
  std::vector<std::string> words;
  words.push_back(
      fmt::format("{} replica{}", service.replicas.value, service.replicas.value == 1 ? "" : "s"));
  const auto& cpu = service.pod.cpu;
  if (cpu.loc.is_known()) {
    if (!cpu.is_cfs) {
      words.push_back("cpu " + short_number(cpu.cores.value));
    } else if (cpu.request.value > 0 && cpu.limit.value > 0) {
      words.push_back("cpu " + short_number(cpu.request.value) + ".." +
                      short_number(cpu.limit.value));
    } else {
      words.push_back(cpu.limit.value > 0 ? "cpu limit " + short_number(cpu.limit.value)
                                          : "cpu request " + short_number(cpu.request.value));
    }
  }
  if (service.pod.workers) {
    words.push_back(fmt::format("{} workers", service.pod.workers->value));
  }
  return join_words(words, " · ");
}

std::vector<std::string> autoscaler_words(const model::Model& model, std::size_t s) {
  std::vector<std::string> out;
  for (const auto& a : model.autoscalers) {
    if (serves(a, model, s)) {
      out.push_back(fmt::format("autoscale {} {}..{}", target_words(a), a.min.value, a.max.value));
    }
  }
  return out;
}

std::vector<std::string> autoscaler_sentences(const model::Model& model, std::size_t s) {
  std::vector<std::string> out;
  for (const auto& a : model.autoscalers) {
    if (serves(a, model, s)) {
      out.push_back(fmt::format(
          "autoscaler '{}': {}{}, {} to {} pods, sync every {}, tolerance {}", a.name.value,
          target_words(a), a.queue ? " of queue " + a.queue->value : std::string(), a.min.value,
          a.max.value, format_duration(a.sync_period.value), short_percent(a.tolerance.value)));
    }
  }
  return out;
}

Json service_json(const model::Model& model, std::size_t s) {
  const model::Service& service = model.services[s];
  const auto& cpu = service.pod.cpu;
  Json out = Json::object();
  out["name"] = service.name.value;
  out["external"] = service.external.value;
  out["replicas"] = service.replicas.value;
  if (!cpu.loc.is_known()) {
    out["cpu"] = nullptr;
  } else if (cpu.is_cfs) {
    out["cpu"] = {{"request", cpu.request.value}, {"limit", cpu.limit.value}};
  } else {
    out["cpu"] = {{"cores", cpu.cores.value}};
  }
  out["workers"] = service.pod.workers ? Json(service.pod.workers->value) : Json(nullptr);
  Json autoscalers = Json::array();
  for (const auto& a : model.autoscalers) {
    if (!serves(a, model, s)) {
      continue;
    }
    autoscalers.push_back({{"name", a.name.value},
                           {"metric", std::string(model::to_string(a.metric.value))},
                           {"target", a.target.value},
                           {"target_is_age", a.is_age_target},
                           {"queue", a.queue ? Json(a.queue->value) : Json(nullptr)},
                           {"min", a.min.value},
                           {"max", a.max.value}});
  }
  out["autoscalers"] = std::move(autoscalers);
  return out;
}

}  // namespace tailsim::graph::labels
