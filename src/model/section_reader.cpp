#include "section_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tailsim/core/duration_text.hpp"
#include "tailsim/model/slo.hpp"

namespace tailsim::model::detail {
namespace {

/// Steps nested deeper than this (parallel in branch in parallel ...) are refused.
constexpr int max_step_depth = 64;
constexpr std::int64_t max_count = 1'000'000'000;
/// A pod's GPUs and a batch's size: far beyond any real server's.
constexpr std::int64_t max_gpus = 1'024;
constexpr std::int64_t max_batch = 1'000'000;

class SectionReader {
 public:
  SectionReader(YamlReader& reader, Model& model, std::optional<Duration> duration)
      : r_(reader), model_(model), duration_(duration) {}

  void read(const Cursor& root);

 private:
  void read_simulation(const Cursor& c);
  void check_interval(const SourceLoc& loc, bool is_default);
  void read_network(const Cursor& c);
  void read_service(const Located<std::string>& name, const Cursor& c);
  void read_pod(const Cursor& c, PodSpec& pod, const std::string& service);
  void read_gc(const Cursor& c, PodSpec& pod);
  void read_memory(const Cursor& c, PodSpec& pod);
  void read_batch(const Cursor& c, Step& step);
  /// `"A + B*n"`: a batch's cost, A and B durations or distributions.
  bool read_batch_cost(const Cursor& c, std::string_view what, BatchSpec& batch);
  void read_cpu(const Cursor& c, CpuSpec& cpu);
  std::vector<Step> read_steps(const Cursor& c, int depth);
  std::optional<Step> read_step(const Cursor& c, int depth);
  std::optional<EndpointRef> read_endpoint_ref(const Cursor& c, std::string_view what);
  void read_call_policy(const Fields& f, CallPolicy& policy);
  std::optional<RetryPolicy> read_retry(const Cursor& c);
  std::optional<CircuitBreakerPolicy> read_circuit_breaker(const Cursor& c);
  std::optional<ThrottlePolicy> read_throttle(const Cursor& c);
  std::optional<HedgePolicy> read_hedge(const Cursor& c);
  void read_cache(const Located<std::string>& name, const Cursor& c);
  void read_queue(const Located<std::string>& name, const Cursor& c);
  void read_autoscaler(const Located<std::string>& name, const Cursor& c);
  std::optional<ScalingRules> read_scaling_rules(const Cursor& c, std::string_view what);
  void read_cluster(const Cursor& c);
  std::optional<NeighboursSpec> read_neighbours(const Cursor& c);
  void read_workload(const Located<std::string>& name, const Cursor& c);
  void read_slos(const Cursor& c);

  YamlReader& r_;
  Model& model_;
  std::optional<Duration> duration_;  ///< the run's measured duration, when not the model's
};

void SectionReader::read(const Cursor& root) {
  Fields f(r_, root,
           {"version", "name", "description", "simulation", "network", "services", "caches",
            "queues", "autoscalers", "cluster", "workloads", "faults", "slos"},
           "the model");
  if (!f.is_map()) {
    return;
  }
  if (auto v = f.require("version")) {
    if (auto version = r_.integer(*v, "version", 0, max_count)) {
      if (version->value != 1) {
        r_.error(version->loc, fmt::format("this is tailsim model format version 1; version {} "
                                           "is not known",
                                           version->value));
      }
      model_.version = *version;
    }
  }
  r_.optional_field(f, "name", model_.name, [&](const Cursor& c) { return r_.text(c, "name"); });
  r_.optional_field(f, "description", model_.description, [&](const Cursor& c) {
    return r_.text(c, "description", /*allow_line_breaks=*/true);
  });
  if (auto c = f.get("simulation")) {
    read_simulation(*c);
  } else {
    check_interval(f.loc(), /*is_default=*/true);  // against --duration, at the model's top
  }
  if (auto c = f.get("network")) {
    read_network(*c);
  }
  if (auto c = f.get("services")) {
    for (const auto& [name, value] : r_.named_entries(*c, "services")) {
      read_service(name, value);
    }
  }
  const auto services = f.get("services");
  if (model_.services.empty() && (!services || services->yaml.is_null() ||
                                  (services->yaml.is_map() && services->yaml.size() == 0))) {
    r_.error(f.key_loc("services"), "the model defines no services");
  }
  if (auto c = f.get("caches")) {
    for (const auto& [name, value] : r_.named_entries(*c, "caches")) {
      read_cache(name, value);
    }
  }
  if (auto c = f.get("queues")) {
    for (const auto& [name, value] : r_.named_entries(*c, "queues")) {
      read_queue(name, value);
    }
  }
  if (auto c = f.get("autoscalers")) {
    for (const auto& [name, value] : r_.named_entries(*c, "autoscalers")) {
      read_autoscaler(name, value);
    }
  }
  if (auto c = f.get("cluster")) {
    read_cluster(*c);
  }
  if (auto c = f.get("workloads")) {
    for (const auto& [name, value] : r_.named_entries(*c, "workloads")) {
      read_workload(name, value);
    }
  }
  if (model_.workloads.empty() && !model_.services.empty() && !f.has("workloads")) {
    r_.warning(f.key_loc("workloads"), "the model defines no workloads: nothing sends requests");
  }
  if (auto c = f.get("faults")) {
    for (const Cursor& item : r_.sequence(*c, "faults")) {
      read_fault(r_, item, model_);
    }
  }
  if (auto c = f.get("slos")) {
    read_slos(*c);
  }
}

// ---------------------------------------------------------------- simulation

void SectionReader::read_simulation(const Cursor& c) {
  Fields f(r_, c, {"duration", "warmup", "seed", "interval", "drain", "deadlines"}, "simulation");
  Simulation& s = model_.simulation;
  const Duration one_ns{1};
  r_.optional_field(f, "duration", s.duration,
                    [&](const Cursor& v) { return r_.duration(v, "duration", one_ns); });
  r_.optional_field(f, "warmup", s.warmup,
                    [&](const Cursor& v) { return r_.duration(v, "warmup"); });
  if (auto v = f.get("seed")) {
    if (auto text = r_.scalar(*v, "seed")) {
      if (auto seed = parse_seed(*text)) {
        s.seed = Located<std::uint64_t>{*seed, r_.loc(*v)};
      } else {
        r_.error(r_.loc_at(*v, seed.error().offset), "seed: " + seed.error().message);
      }
    }
  }
  r_.optional_field(f, "interval", s.interval,
                    [&](const Cursor& v) { return r_.duration(v, "interval", one_ns); });
  r_.optional_field(f, "drain", s.drain, [&](const Cursor& v) { return r_.duration(v, "drain"); });
  if (auto v = f.get("deadlines")) {
    if (auto mode = r_.choice(*v, "deadlines", {"none", "propagate"})) {
      s.deadlines = as_enum<DeadlineMode>(*mode);
    }
  }
  check_interval(f.key_loc("interval"), /*is_default=*/false);
}

/// Warns when the time series' interval is longer than the run: the
/// duration given on the command line (--duration), else the model's.
void SectionReader::check_interval(const SourceLoc& loc, bool is_default) {
  const Simulation& s = model_.simulation;
  if (s.interval.value <= duration_.value_or(s.duration.value)) {
    return;
  }
  r_.warning(
      loc, fmt::format(
               "the time-series interval{} is longer than the simulated duration{}",
               is_default ? fmt::format(" ({} by default)", format_duration(s.interval.value)) : "",
               duration_ ? " (--duration)" : ""));
}

// ------------------------------------------------------------------- network

void SectionReader::read_network(const Cursor& c) {
  Network& n = model_.network;
  n.is_present = true;
  n.loc = r_.loc(c);
  Fields f(r_, c, {"default", "links"}, "network");
  if (auto d = f.get("default")) {
    Fields df(r_, *d, {"latency", "loss"}, "network.default");
    if (auto l = df.get("latency")) {
      n.default_latency = r_.distribution(*l, "latency");
    }
    r_.optional_field(df, "loss", n.default_loss,
                      [&](const Cursor& v) { return r_.fraction(v, "loss"); });
  }
  if (auto links = f.get("links")) {
    for (const Cursor& item : r_.sequence(*links, "network.links")) {
      Fields lf(r_, item, {"between", "latency", "loss"}, "a network link");
      LinkSpec link;
      link.loc = lf.loc();
      if (auto b = lf.require("between")) {
        auto ends = r_.sequence(*b, "between");
        if (ends.size() != 2) {
          r_.error(r_.loc(*b), "between names exactly two services: [a, b]");
        } else {
          auto a = r_.string(ends[0], "a service name");
          auto z = r_.string(ends[1], "a service name");
          if (a && z) {
            link.a = *a;
            link.b = *z;
          }
        }
      }
      if (auto l = lf.get("latency")) {
        link.latency = r_.distribution(*l, "latency");
      }
      if (auto v = lf.get("loss")) {
        link.loss = r_.fraction(*v, "loss");
      }
      if (!lf.has("latency") && !lf.has("loss") && !lf.has_unknown_keys()) {
        r_.warning(link.loc, "this link sets neither latency nor loss");
      }
      n.links.push_back(std::move(link));
    }
  }
}

// ------------------------------------------------------------------ services

void SectionReader::read_service(const Located<std::string>& name, const Cursor& c) {
  const std::string what = fmt::format("service '{}'", name.value);
  Fields f(r_, c, {"replicas", "pod", "balancer", "external", "concurrency", "endpoints"}, what);
  Service svc;
  svc.name = name;
  r_.optional_field(f, "external", svc.external,
                    [&](const Cursor& v) { return r_.boolean(v, "external"); });
  if (svc.external.value) {
    for (std::string_view key : {"replicas", "pod", "balancer"}) {
      if (f.has(key)) {
        r_.error(f.key_loc(key), fmt::format("'{}' does not apply to external service '{}': it "
                                             "is a black box with no pods",
                                             key, name.value));
      }
    }
  } else if (f.has("concurrency")) {
    r_.error(f.key_loc("concurrency"),
             fmt::format("'concurrency' applies to external services; limit the pods of '{}' "
                         "with pod.workers and pod.queue",
                         name.value));
  }
  r_.optional_field(f, "replicas", svc.replicas,
                    [&](const Cursor& v) { return r_.integer(v, "replicas", 0, max_replicas); });
  if (auto p = f.get("pod")) {
    read_pod(*p, svc.pod, name.value);
  }
  if (auto b = f.get("balancer")) {
    if (auto choice = r_.choice(*b, "balancer", {"round_robin", "random", "least_request"})) {
      svc.balancer = as_enum<BalancerKind>(*choice);
    }
  }
  if (auto v = f.get("concurrency")) {
    svc.concurrency = r_.integer(*v, "concurrency", 1, max_count);
  }
  if (auto e = f.require("endpoints")) {
    if (e->yaml.is_null() || (e->yaml.is_map() && e->yaml.size() == 0)) {
      r_.error(f.key_loc("endpoints"), fmt::format("service '{}' has no endpoints", name.value));
    }
    for (const auto& [ep_name, steps] : r_.named_entries(*e, what + " endpoints")) {
      Endpoint ep;
      ep.name = ep_name;
      ep.steps = read_steps(steps, 0);
      if (ep.steps.empty() && steps.yaml.is_sequence() && steps.yaml.size() == 0) {
        r_.error(ep_name.loc,
                 fmt::format("endpoint '{}.{}' has no steps", name.value, ep_name.value));
      }
      svc.endpoints.push_back(std::move(ep));
    }
  }
  model_.services.push_back(std::move(svc));
}

void SectionReader::read_pod(const Cursor& c, PodSpec& pod, const std::string& service) {
  const std::string what = fmt::format("the pod of service '{}'", service);
  Fields f(r_, c,
           {"cpu", "workers", "queue", "queue_timeout", "discipline", "startup", "warmup", "async",
            "gc", "memory", "gpus"},
           what);
  pod.loc = f.loc();
  if (auto v = f.get("cpu")) {
    read_cpu(*v, pod.cpu);
  }
  if (auto v = f.get("workers")) {
    pod.workers = r_.integer(*v, "workers", 1, max_count);
  }
  if (auto v = f.get("queue")) {
    pod.queue = r_.integer(*v, "queue", 0, max_count);
  }
  if (auto v = f.get("queue_timeout")) {
    pod.queue_timeout = r_.duration(*v, "queue_timeout", Duration{1});
  }
  if (auto v = f.get("discipline")) {
    if (auto choice = r_.choice(*v, "discipline", {"fifo", "lifo"})) {
      pod.discipline = as_enum<Discipline>(*choice);
    }
  }
  if (auto v = f.get("startup")) {
    pod.startup = r_.distribution(*v, "startup");
  }
  if (auto v = f.get("warmup")) {
    Fields wf(r_, *v, {"for", "slowdown"}, "warmup");
    WarmupSpec w;
    w.loc = wf.loc();
    if (auto d = wf.require("for")) {
      if (auto dur = r_.duration(*d, "warmup 'for'", Duration{1})) {
        w.duration = *dur;
      }
    }
    if (auto s = wf.require("slowdown")) {
      if (auto slow = r_.number(*s, "slowdown", 1.0, 1000.0)) {
        w.slowdown = *slow;
      }
    }
    pod.warmup = w;
  }
  r_.optional_field(f, "async", pod.async, [&](const Cursor& v) { return r_.boolean(v, "async"); });
  if (auto v = f.get("gc")) {
    read_gc(*v, pod);
  }
  if (auto v = f.get("memory")) {
    read_memory(*v, pod);
  }
  r_.optional_field(f, "gpus", pod.gpus,
                    [&](const Cursor& v) { return r_.integer(v, "gpus", 1, max_gpus); });
}

void SectionReader::read_memory(const Cursor& c, PodSpec& pod) {
  Fields f(r_, c, {"request", "limit", "base", "per_request"}, "memory");
  if (!f.is_map()) {
    return;
  }
  MemorySpec m;
  m.loc = f.loc();
  bool ok = true;
  auto read = [&](std::string_view key, Located<std::int64_t>& out, bool required,
                  std::int64_t min) {
    auto v = required ? f.require(key) : f.get(key);
    if (!v) {
      ok = ok && !required;
      return false;
    }
    if (auto size = r_.size(*v, fmt::format("memory {}", key), min)) {
      out = *size;
      return true;
    }
    ok = false;
    return false;
  };
  read("limit", m.limit, /*required=*/true, 1);
  // As in Kubernetes, a pod with a limit and no request requests its limit.
  if (!read("request", m.request, /*required=*/false, 0)) {
    m.request = m.limit;
  }
  read("base", m.base, /*required=*/false, 0);
  read("per_request", m.per_request, /*required=*/false, 0);
  if (!ok) {
    return;
  }
  if (m.request.value > m.limit.value) {
    r_.error(m.request.loc, "memory request must not exceed the limit");
    return;
  }
  if (m.base.value > m.limit.value) {
    r_.error(m.base.loc,
             "memory base must not exceed the limit: the pod would be OOMKilled "
             "as it starts");
    return;
  }
  if (m.base.value == 0 && m.per_request.value == 0) {
    r_.error(m.loc,
             "memory needs 'base' or 'per_request': a pod that uses no memory is never "
             "OOMKilled nor evicted");
    return;
  }
  pod.memory = m;
}

void SectionReader::read_batch(const Cursor& c, Step& step) {
  Fields f(r_, c, {"max", "wait", "cpu", "gpu"}, "batch");
  if (!f.is_map()) {
    return;
  }
  BatchSpec& batch = step.batch;
  if (auto v = f.require("max")) {
    if (auto max = r_.integer(*v, "batch max", 1, max_batch)) {
      batch.max = *max;
    }
  }
  if (auto v = f.require("wait")) {
    if (auto wait = r_.duration(*v, "batch wait")) {
      batch.wait = *wait;
    }
  }
  if (f.has("cpu") && f.has("gpu")) {
    r_.error(f.key_loc("gpu"),
             "a batch is served on the CPU or on a GPU: give 'cpu' or 'gpu', "
             "not both");
    return;
  }
  batch.on_gpu = f.has("gpu");
  if (!f.has("cpu") && !f.has("gpu")) {
    if (!f.has_unknown_keys()) {
      r_.error(f.loc(),
               "a batch step needs its cost: cpu: \"A + B*n\" (or gpu: ...), as in "
               "cpu: \"2ms + 0.25ms*n\"");
    }
    return;
  }
  const std::string_view key = batch.on_gpu ? "gpu" : "cpu";
  read_batch_cost(*f.get(key), batch.on_gpu ? "batch gpu" : "batch cpu", batch);
}

bool SectionReader::read_batch_cost(const Cursor& c, std::string_view what, BatchSpec& batch) {
  const std::string form_hint =
      "write \"A + B*n\", the time of a batch of n, as in "
      "\"2ms + 0.25ms*n\"";
  if (!c.yaml.is_scalar()) {
    r_.error(r_.loc(c), fmt::format("{}: {}", what, form_hint));
    return false;
  }
  const std::string text(c.yaml.scalar());
  batch.cost_loc = r_.loc(c);
  // The last '+' outside parentheses splits A from B*n.
  std::size_t plus = std::string::npos;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
    if (text[i] == '+' && depth == 0) {
      plus = i;
    }
  }
  if (plus == std::string::npos) {
    r_.error(r_.loc(c), fmt::format("{}: '{}' has no '+'; {}", what, text, form_hint));
    return false;
  }
  // A part of the text without the blanks around it: its text and offset.
  auto trimmed = [&](std::size_t begin, std::size_t end) {
    while (begin < end && text[begin] == ' ') {
      ++begin;
    }
    while (end > begin && text[end - 1] == ' ') {
      --end;
    }
    return std::pair{text.substr(begin, end - begin), begin};
  };
  auto [fixed_text, fixed_at] = trimmed(0, plus);
  auto [per_text, per_at] = trimmed(plus + 1, text.size());
  const std::size_t star = per_text.rfind('*');
  const bool ends_in_n =
      star != std::string::npos && trimmed(per_at + star + 1, text.size()).first == "n";
  if (!ends_in_n) {
    r_.error(r_.loc_at(c, per_at),
             fmt::format("{}: the part after '+' must be B*n (B a duration or distribution, n "
                         "the batch's size), got '{}'; {}",
                         what, per_text, form_hint));
    return false;
  }
  auto [item_text, item_at] = trimmed(per_at, per_at + star);
  bool ok = true;
  auto parse = [&](const std::string& part, std::size_t at, DistSpec& out, std::string_view name) {
    if (part.empty()) {
      r_.error(r_.loc_at(c, at), fmt::format("{}: {} is missing; {}", what, name, form_hint));
      ok = false;
      return;
    }
    auto parsed = parse_distribution(part, r_.dist_context());
    if (!parsed) {
      r_.error(r_.loc_at(c, at + parsed.error().offset),
               fmt::format("{}: {}: {}", what, name, parsed.error().message));
      ok = false;
      return;
    }
    out = std::move(parsed).value();
    out.loc = r_.loc_at(c, at);
  };
  parse(fixed_text, fixed_at, batch.fixed, "A (the time of a batch whatever its size)");
  parse(item_text, item_at, batch.per_item, "B (the time each request adds)");
  return ok;
}

void SectionReader::read_gc(const Cursor& c, PodSpec& pod) {
  Fields f(r_, c, {"every", "pause"}, "gc");
  std::optional<DistSpec> every;
  std::optional<DistSpec> pause;
  if (auto v = f.require("every")) {
    every = r_.distribution(*v, "gc every");
    if (every && !(every->mean_ns() >= 1e6)) {
      r_.error(
          every->loc,
          "gc 'every', the time from one pause's start to the next's, must average at least 1ms");
      every.reset();
    }
  }
  if (auto v = f.require("pause")) {
    pause = r_.distribution(*v, "gc pause");
  }
  if (every && pause) {
    pod.gc = GcSpec{std::move(*every), std::move(*pause), f.loc()};
  }
}

void SectionReader::read_cpu(const Cursor& c, CpuSpec& cpu) {
  cpu.loc = r_.loc(c);
  if (!c.yaml.is_map()) {
    if (auto cores = r_.number(c, "cpu", 0.001, 100000)) {
      cpu.cores = *cores;
    }
    return;
  }
  cpu.is_cfs = true;
  Fields f(r_, c, {"request", "limit", "period", "node_cores"}, "cpu");
  if (auto v = f.get("request")) {
    if (auto n = r_.number(*v, "cpu request", 0.001, 100000)) {
      cpu.request = *n;
    }
  }
  if (auto v = f.require("limit")) {
    if (auto n = r_.number(*v, "cpu limit", 0.001, 100000)) {
      cpu.limit = *n;
      cpu.cores = *n;
    }
  }
  if (auto v = f.get("period")) {
    if (auto d = r_.duration(*v, "cpu period", std::chrono::milliseconds(1))) {
      if (d->value > std::chrono::seconds(1)) {
        r_.error(d->loc, "cpu period must be at most 1s, as in Linux CFS");
      } else {
        cpu.period = *d;
      }
    }
  }
  if (auto v = f.get("node_cores")) {  // without it, the cluster's (checked when resolving)
    if (auto n = r_.number(*v, "node_cores", 1, 100000)) {
      cpu.node_cores = *n;
    }
  }
  if (cpu.request.value > 0 && cpu.limit.value > 0 && cpu.request.value > cpu.limit.value) {
    r_.error(cpu.request.loc, "cpu request must not exceed the limit");
  }
}

// --------------------------------------------------------------------- steps

std::vector<Step> SectionReader::read_steps(const Cursor& c, int depth) {
  std::vector<Step> steps;
  if (depth > max_step_depth) {
    r_.error(r_.loc(c), fmt::format("steps are nested more than {} levels deep", max_step_depth));
    return steps;
  }
  if (!c.yaml.is_sequence()) {
    r_.error(r_.loc(c), "steps must be a list, e.g. [{cpu: exp(2ms)}, {call: cart.get}]");
    return steps;
  }
  for (const Cursor& item : r_.sequence(c, "steps")) {
    if (auto step = read_step(item, depth)) {
      steps.push_back(std::move(*step));
    }
  }
  return steps;
}

std::optional<Step> SectionReader::read_step(const Cursor& c, int depth) {
  static constexpr std::string_view kinds[] = {"cpu",   "delay",   "call", "parallel", "branch",
                                               "cache", "publish", "fail", "batch"};
  static constexpr std::string_view call_options[] = {"timeout",  "retry",    "circuit_breaker",
                                                      "optional", "deadline", "throttle",
                                                      "bulkhead", "hedge"};
  Fields f(r_, c, {"cpu",      "delay",    "call",     "parallel", "branch",
                   "cache",    "publish",  "fail",     "batch",    "p",
                   "times",    "miss",     "timeout",  "retry",    "circuit_breaker",
                   "optional", "deadline", "throttle", "bulkhead", "hedge"},
           "a step");
  if (!f.is_map() || c.yaml.is_null()) {
    if (c.yaml.is_null()) {
      r_.error(r_.loc(c), "empty step: a step is a map such as {cpu: exp(2ms)}");
    }
    return std::nullopt;
  }
  std::optional<StepKind> kind;
  std::string_view kind_name;
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    if (!f.has(kinds[i])) {
      continue;
    }
    if (kind) {
      r_.error(f.key_loc(kinds[i]), fmt::format("a step does one thing: it has both '{}' and "
                                                "'{}'; make them two steps",
                                                kind_name, kinds[i]));
      continue;
    }
    kind = static_cast<StepKind>(i);
    kind_name = kinds[i];
  }
  if (!kind) {
    if (!f.has_unknown_keys()) {
      r_.error(f.loc(),
               "a step needs one of cpu, delay, call, parallel, branch, cache, "
               "publish, fail, batch");
    }
    return std::nullopt;
  }
  Step step;
  step.kind = *kind;
  step.loc = f.key_loc(kind_name);
  if (auto v = f.get("p")) {
    step.p = r_.fraction(*v, "p");
  }
  if (auto v = f.get("times")) {
    if (auto t = r_.int_range(*v, "times", 1'000'000)) {
      step.times = *t;
    }
  }
  if (*kind != StepKind::call) {
    for (auto option : call_options) {
      if (f.has(option)) {
        r_.error(f.key_loc(option),
                 fmt::format("'{}' applies to call steps, not to {} steps", option, kind_name));
      }
    }
  }
  if (*kind != StepKind::cache && f.has("miss")) {
    r_.error(f.key_loc("miss"), "'miss' belongs to a cache step");
  }
  const Cursor value = *f.get(kind_name);
  switch (*kind) {
    case StepKind::cpu:
    case StepKind::delay: {
      auto dist = r_.distribution(value, kind_name);
      if (!dist) {
        return std::nullopt;
      }
      step.dist = std::move(*dist);
      break;
    }
    case StepKind::call: {
      auto ref = read_endpoint_ref(value, "call");
      if (!ref) {
        return std::nullopt;
      }
      step.call = std::move(*ref);
      read_call_policy(f, step.policy);
      break;
    }
    case StepKind::parallel:
      step.children = read_steps(value, depth + 1);
      if (value.yaml.is_sequence() && value.yaml.size() == 0) {
        r_.error(step.loc, "parallel needs at least one step");
      }
      break;
    case StepKind::branch: {
      double total = 0;
      for (const Cursor& arm_cursor : r_.sequence(value, "branch")) {
        Fields af(r_, arm_cursor, {"p", "steps"}, "a branch alternative");
        BranchArm arm;
        arm.loc = af.loc();
        if (auto p = af.require("p")) {
          if (auto prob = r_.fraction(*p, "p")) {
            arm.p = *prob;
            total += prob->value;
          }
        }
        if (auto s = af.require("steps")) {
          arm.steps = read_steps(*s, depth + 1);
        }
        step.arms.push_back(std::move(arm));
      }
      if (step.arms.empty()) {
        r_.error(step.loc, "branch needs at least one alternative: [{p: 0.3, steps: [...]}]");
      } else if (total > 1.0 + 1e-9) {
        r_.error(step.loc,
                 fmt::format("the probabilities of a branch add up to {}, more than 1", total));
      }
      break;
    }
    case StepKind::cache: {
      if (auto name = r_.string(value, "cache")) {
        step.target = *name;
      }
      if (auto miss = f.get("miss")) {
        step.children = read_steps(*miss, depth + 1);
      }
      break;
    }
    case StepKind::publish:
      if (auto name = r_.string(value, "publish")) {
        step.target = *name;
      }
      break;
    case StepKind::fail:
      if (auto rate = r_.fraction(value, "fail")) {
        step.fail_rate = *rate;
      }
      break;
    case StepKind::batch:
      read_batch(value, step);
      break;
  }
  return step;
}

std::optional<EndpointRef> SectionReader::read_endpoint_ref(const Cursor& c,
                                                            std::string_view what) {
  auto text = r_.string(c, what);
  if (!text) {
    return std::nullopt;
  }
  const auto dot = text->value.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text->value.size()) {
    r_.error(text->loc,
             fmt::format("{} names an endpoint as service.endpoint, got '{}'", what, text->value));
    return std::nullopt;
  }
  EndpointRef ref;
  ref.loc = text->loc;
  ref.service = Located<std::string>{text->value.substr(0, dot), text->loc};
  ref.endpoint = Located<std::string>{text->value.substr(dot + 1), r_.loc_at(c, dot + 1)};
  return ref;
}

void SectionReader::read_call_policy(const Fields& f, CallPolicy& policy) {
  if (auto v = f.get("timeout")) {
    policy.timeout = r_.duration(*v, "timeout", Duration{1});
  }
  if (auto v = f.get("retry")) {
    policy.retry = read_retry(*v);
  }
  if (auto v = f.get("circuit_breaker")) {
    policy.circuit_breaker = read_circuit_breaker(*v);
  }
  if (auto v = f.get("throttle")) {
    policy.throttle = read_throttle(*v);
  }
  if (auto v = f.get("bulkhead")) {
    policy.bulkhead = r_.integer(*v, "bulkhead", 1, max_count);
  }
  if (auto v = f.get("hedge")) {
    policy.hedge = read_hedge(*v);
  }
  if (auto v = f.get("deadline")) {
    if (auto mode = r_.choice(*v, "deadline", {"none", "propagate"})) {
      policy.deadline = as_enum<DeadlineMode>(*mode);
    }
  }
  r_.optional_field(f, "optional", policy.optional,
                    [&](const Cursor& v) { return r_.boolean(v, "optional"); });
  if (policy.hedge && policy.retry) {
    r_.warning(policy.hedge->loc,
               "a call with both hedging and retries multiplies its load; "
               "gRPC allows only one of them");
  }
}

std::optional<RetryPolicy> SectionReader::read_retry(const Cursor& c) {
  Fields f(r_, c,
           {"attempts", "backoff", "multiplier", "max_backoff", "jitter", "on", "budget",
            "min_concurrency"},
           "retry");
  if (!f.is_map()) {
    return std::nullopt;
  }
  RetryPolicy retry;
  retry.loc = f.loc();
  if (auto v = f.require("attempts")) {
    if (auto n = r_.integer(*v, "attempts", 1, 100)) {
      retry.attempts = *n;
    }
  }
  r_.optional_field(f, "backoff", retry.backoff,
                    [&](const Cursor& v) { return r_.duration(v, "backoff"); });
  r_.optional_field(f, "multiplier", retry.multiplier,
                    [&](const Cursor& v) { return r_.number(v, "multiplier", 1.0, 100.0); });
  if (auto v = f.get("max_backoff")) {
    retry.max_backoff = r_.duration(*v, "max_backoff");
    if (retry.max_backoff && retry.max_backoff->value < retry.backoff.value) {
      r_.error(retry.max_backoff->loc, "max_backoff must not be shorter than backoff");
    }
  }
  if (auto v = f.get("jitter")) {
    if (auto j = r_.choice(*v, "jitter", {"none", "full", "equal", "decorrelated"})) {
      retry.jitter = as_enum<Jitter>(*j);
    }
  }
  if (auto v = f.get("on")) {
    for (const Cursor& item : r_.sequence(*v, "on")) {
      if (auto k = r_.choice(item, "a retry condition",
                             {"timeout", "rejected", "error", "unavailable"})) {
        retry.on.push_back(as_enum<ErrorKind>(*k));
      }
    }
  } else {
    for (auto k : {ErrorKind::timeout, ErrorKind::rejected, ErrorKind::unavailable}) {
      retry.on.push_back(Located<ErrorKind>{k, retry.loc});
    }
  }
  if (auto v = f.get("budget")) {
    retry.budget = r_.fraction(*v, "budget", 0.0001, 1.0);
  }
  r_.optional_field(f, "min_concurrency", retry.min_concurrency, [&](const Cursor& v) {
    return r_.integer(v, "min_concurrency", 0, max_count);
  });
  return retry;
}

std::optional<CircuitBreakerPolicy> SectionReader::read_circuit_breaker(const Cursor& c) {
  Fields f(r_, c, {"window", "min_calls", "failure_rate", "open_for", "half_open"},
           "circuit_breaker");
  if (!f.is_map()) {
    return std::nullopt;
  }
  CircuitBreakerPolicy cb;
  cb.loc = f.loc();
  r_.optional_field(f, "window", cb.window,
                    [&](const Cursor& v) { return r_.integer(v, "window", 1, 1'000'000); });
  r_.optional_field(f, "min_calls", cb.min_calls,
                    [&](const Cursor& v) { return r_.integer(v, "min_calls", 1, 1'000'000); });
  r_.optional_field(f, "failure_rate", cb.failure_rate,
                    [&](const Cursor& v) { return r_.fraction(v, "failure_rate", 0.0001, 1.0); });
  r_.optional_field(f, "open_for", cb.open_for,
                    [&](const Cursor& v) { return r_.duration(v, "open_for", Duration{1}); });
  r_.optional_field(f, "half_open", cb.half_open,
                    [&](const Cursor& v) { return r_.integer(v, "half_open", 1, 1'000'000); });
  if (cb.min_calls.value > cb.window.value) {
    r_.error(f.key_loc("min_calls"),
             "min_calls cannot exceed the window: the breaker would never trip");
  }
  return cb;
}

std::optional<ThrottlePolicy> SectionReader::read_throttle(const Cursor& c) {
  Fields f(r_, c, {"max_tokens", "token_ratio"}, "throttle");
  if (!f.is_map()) {
    return std::nullopt;
  }
  ThrottlePolicy t;
  t.loc = f.loc();
  r_.optional_field(f, "max_tokens", t.max_tokens,
                    [&](const Cursor& v) { return r_.number(v, "max_tokens", 1, 1000); });
  r_.optional_field(f, "token_ratio", t.token_ratio,
                    [&](const Cursor& v) { return r_.number(v, "token_ratio", 0.0001, 1000); });
  return t;
}

std::optional<HedgePolicy> SectionReader::read_hedge(const Cursor& c) {
  Fields f(r_, c, {"after", "max"}, "hedge");
  if (!f.is_map()) {
    return std::nullopt;
  }
  HedgePolicy h;
  h.loc = f.loc();
  if (auto v = f.require("after")) {
    if (auto d = r_.duration(*v, "after", Duration{1})) {
      h.after = *d;
    }
  }
  r_.optional_field(f, "max", h.max, [&](const Cursor& v) { return r_.integer(v, "max", 1, 10); });
  return h;
}

// -------------------------------------------------------------------- caches

void SectionReader::read_cache(const Located<std::string>& name, const Cursor& c) {
  const std::string what = fmt::format("cache '{}'", name.value);
  Fields f(r_, c,
           {"scope", "hit_ratio", "keys", "popularity", "capacity", "ttl", "lookup", "coalesce"},
           what);
  Cache cache;
  cache.name = name;
  if (auto v = f.get("scope")) {
    if (auto s = r_.choice(*v, "scope", {"pod", "shared"})) {
      cache.scope = as_enum<CacheScope>(*s);
    }
  }
  if (auto v = f.get("hit_ratio")) {
    cache.hit_ratio = r_.fraction(*v, "hit_ratio");
  }
  if (auto v = f.get("keys")) {
    cache.keys = r_.integer(*v, "keys", 1, max_count);
  }
  if (auto v = f.get("popularity")) {
    if (auto text = r_.string(*v, "popularity")) {
      cache.popularity.loc = text->loc;
      const std::string& s = text->value;
      if (s == "uniform") {
        cache.popularity.kind = PopularityKind::uniform;
      } else if (s.rfind("zipf(", 0) == 0 && s.back() == ')') {
        auto exponent = parse_number(std::string_view(s).substr(5, s.size() - 6));
        if (!exponent || *exponent <= 0 || *exponent > 10) {
          r_.error(r_.loc_at(*v, 5), "zipf's exponent must be a number above 0 and at most 10");
        } else {
          cache.popularity.kind = PopularityKind::zipf;
          cache.popularity.exponent = *exponent;
        }
      } else {
        r_.error(text->loc, fmt::format("popularity must be 'uniform' or 'zipf(S)', e.g. "
                                        "zipf(0.99); got '{}'",
                                        s));
      }
    }
  }
  if (auto v = f.get("capacity")) {
    cache.capacity = r_.integer(*v, "capacity", 1, max_count);
  }
  if (auto v = f.get("ttl")) {
    cache.ttl = r_.duration(*v, "ttl", Duration{1});
  }
  if (auto v = f.get("lookup")) {
    cache.lookup = r_.distribution(*v, "lookup");
  }
  r_.optional_field(f, "coalesce", cache.coalesce,
                    [&](const Cursor& v) { return r_.boolean(v, "coalesce"); });
  if (f.is_map()) {
    if (f.has("hit_ratio") && f.has("keys")) {
      r_.error(f.key_loc("hit_ratio"), fmt::format("{} gives both hit_ratio and keys: use the "
                                                   "simple model or the key model, not both",
                                                   what));
    } else if (!f.has("hit_ratio") && !f.has("keys")) {
      r_.error(f.loc(), fmt::format("{} needs hit_ratio (simple model) or keys (key model)", what));
    }
    if (f.has("hit_ratio")) {
      for (std::string_view key : {"popularity", "capacity", "ttl", "coalesce"}) {
        if (f.has(key)) {
          r_.error(f.key_loc(key), fmt::format("'{}' belongs to the key model (keys:); with "
                                               "hit_ratio every lookup hits with that "
                                               "probability",
                                               key));
        }
      }
    }
  }
  model_.caches.push_back(std::move(cache));
}

// -------------------------------------------------------------------- queues

void SectionReader::read_queue(const Located<std::string>& name, const Cursor& c) {
  const std::string what = fmt::format("queue '{}'", name.value);
  Fields f(r_, c, {"consumer", "partitions", "capacity", "redelivery"}, what);
  Queue q;
  q.name = name;
  if (auto v = f.require("consumer")) {
    if (auto ref = read_endpoint_ref(*v, "consumer")) {
      q.consumer = std::move(*ref);
    }
  }
  r_.optional_field(f, "partitions", q.partitions,
                    [&](const Cursor& v) { return r_.integer(v, "partitions", 1, 100'000); });
  if (auto v = f.get("capacity")) {
    q.capacity = r_.integer(*v, "capacity", 1, max_count);
  }
  if (auto v = f.get("redelivery")) {
    Fields rf(r_, *v, {"attempts", "delay"}, "redelivery");
    Redelivery rd;
    rd.loc = rf.loc();
    r_.optional_field(rf, "attempts", rd.attempts,
                      [&](const Cursor& a) { return r_.integer(a, "attempts", 1, 100); });
    r_.optional_field(rf, "delay", rd.delay,
                      [&](const Cursor& d) { return r_.duration(d, "delay"); });
    q.redelivery = rd;
  }
  model_.queues.push_back(std::move(q));
}

// --------------------------------------------------------------- autoscalers

void SectionReader::read_autoscaler(const Located<std::string>& name, const Cursor& c) {
  const std::string what = fmt::format("autoscaler '{}'", name.value);
  Fields f(r_, c,
           {"service", "metric", "queue", "target", "min", "max", "sync_period", "tolerance",
            "metrics_lag", "window", "scale_up", "scale_down"},
           what);
  Autoscaler a;
  a.name = name;
  if (auto v = f.require("service")) {
    if (auto s = r_.string(*v, "service")) {
      a.service = *s;
    }
  }
  if (auto v = f.get("metric")) {
    if (auto m = r_.choice(*v, "metric", {"cpu", "concurrency", "rps", "queue_lag"})) {
      a.metric = as_enum<ScaleMetric>(*m);
    }
  }
  if (auto v = f.get("queue")) {
    a.queue = r_.string(*v, "queue");
    if (a.metric.value != ScaleMetric::queue_lag) {
      r_.error(f.key_loc("queue"), "'queue' goes with metric: queue_lag");
    }
  } else if (a.metric.value == ScaleMetric::queue_lag && f.is_map()) {
    r_.error(a.metric.loc, "metric queue_lag needs 'queue': the queue whose backlog is measured");
  }
  if (auto v = f.require("target")) {
    std::optional<Located<double>> target;
    switch (a.metric.value) {
      case ScaleMetric::cpu:
        target = r_.fraction(*v, "target", 0.01, 10.0);
        break;
      case ScaleMetric::rps:
        target = v->yaml.is_scalar() && v->yaml.scalar().find('/') != std::string::npos
                     ? r_.rate(*v, "target")
                     : r_.number(*v, "target", 0.001, 1e12);
        break;
      case ScaleMetric::concurrency:
        target = r_.number(*v, "target", 0.001, 1e12);
        break;
      case ScaleMetric::queue_lag:
        if (v->yaml.is_scalar() && parse_duration(v->yaml.scalar())) {
          if (auto age = r_.duration(*v, "target", std::chrono::milliseconds(1))) {
            target = Located<double>{to_seconds(age->value), age->loc};
            a.is_age_target = true;
          }
        } else {
          target = r_.number(*v, "target", 0.001, 1e12);
        }
        break;
    }
    if (target) {
      if (target->value <= 0) {
        r_.error(target->loc, "target must be above zero");
      }
      a.target = *target;
    }
  }
  r_.optional_field(f, "min", a.min,
                    [&](const Cursor& v) { return r_.integer(v, "min", 1, max_replicas); });
  if (auto v = f.require("max")) {
    if (auto n = r_.integer(*v, "max", 1, max_replicas)) {
      a.max = *n;
      if (a.max.value < a.min.value) {
        r_.error(a.max.loc, fmt::format("max ({}) is below min ({})", a.max.value, a.min.value));
      }
    }
  }
  r_.optional_field(f, "sync_period", a.sync_period, [&](const Cursor& v) {
    return r_.duration(v, "sync_period", std::chrono::milliseconds(1));
  });
  r_.optional_field(f, "tolerance", a.tolerance,
                    [&](const Cursor& v) { return r_.fraction(v, "tolerance", 0.0, 1.0); });
  r_.optional_field(f, "metrics_lag", a.metrics_lag,
                    [&](const Cursor& v) { return r_.duration(v, "metrics_lag"); });
  r_.optional_field(f, "window", a.window, [&](const Cursor& v) {
    return r_.duration(v, "window", std::chrono::seconds(1));
  });
  if (auto v = f.get("scale_up")) {
    a.scale_up = read_scaling_rules(*v, "scale_up");
  }
  if (auto v = f.get("scale_down")) {
    a.scale_down = read_scaling_rules(*v, "scale_down");
  }
  model_.autoscalers.push_back(std::move(a));
}

std::optional<ScalingRules> SectionReader::read_scaling_rules(const Cursor& c,
                                                              std::string_view what) {
  Fields f(r_, c, {"stabilization", "policies", "select"}, what);
  if (!f.is_map()) {
    return std::nullopt;
  }
  ScalingRules rules;
  rules.loc = f.loc();
  if (what == "scale_down") {
    // Kubernetes' --horizontal-pod-autoscaler-downscale-stabilization.
    rules.stabilization.value = std::chrono::seconds(300);
  }
  r_.optional_field(f, "stabilization", rules.stabilization,
                    [&](const Cursor& v) { return r_.duration(v, "stabilization"); });
  if (rules.stabilization.value > std::chrono::hours(1)) {
    r_.error(rules.stabilization.loc, "stabilization must be at most 1h, as in Kubernetes");
  }
  if (auto v = f.get("select")) {
    if (auto s = r_.choice(*v, "select", {"max", "min", "disabled"})) {
      rules.select = as_enum<SelectPolicy>(*s);
    }
  }
  if (auto v = f.get("policies")) {
    for (const Cursor& item : r_.sequence(*v, "policies")) {
      Fields pf(r_, item, {"pods", "percent", "period"}, "a scaling policy");
      if (!pf.is_map()) {
        continue;
      }
      ScalingPolicy p;
      p.loc = pf.loc();
      if (pf.has("pods") == pf.has("percent")) {
        if (!pf.has_unknown_keys()) {
          r_.error(pf.loc(), "a scaling policy gives either pods or percent");
        }
        continue;
      }
      if (auto pods = pf.get("pods")) {
        if (auto n = r_.integer(*pods, "pods", 1, max_replicas)) {
          p.value = Located<double>{static_cast<double>(n->value), n->loc};
        }
      } else if (auto pct = r_.fraction(*pf.get("percent"), "percent", 0.01, 100.0)) {
        p.is_percent = true;
        p.value = *pct;
      }
      if (auto period = pf.require("period")) {
        if (auto d = r_.duration(*period, "period", std::chrono::seconds(1))) {
          if (d->value > std::chrono::minutes(30)) {
            r_.error(d->loc, "a policy period must be at most 30m, as in Kubernetes");
          }
          p.period = *d;
        }
      }
      rules.policies.push_back(p);
    }
  }
  return rules;
}

// ------------------------------------------------------------------- cluster

void SectionReader::read_cluster(const Cursor& c) {
  Fields f(r_, c,
           {"nodes", "node_cores", "provision", "max_nodes", "placement", "neighbours",
            "node_memory", "scale_down"},
           "cluster");
  if (!f.is_map()) {
    return;
  }
  Cluster cl;
  cl.loc = f.loc();
  r_.optional_field(f, "nodes", cl.nodes,
                    [&](const Cursor& v) { return r_.integer(v, "nodes", 1, 100'000); });
  if (auto v = f.require("node_cores")) {
    if (auto n = r_.number(*v, "node_cores", 0.001, 100'000)) {
      cl.node_cores = *n;
    }
  }
  r_.optional_field(f, "provision", cl.provision,
                    [&](const Cursor& v) { return r_.duration(v, "provision"); });
  if (auto v = f.get("max_nodes")) {
    cl.max_nodes = r_.integer(*v, "max_nodes", 1, 100'000);
    if (cl.max_nodes && cl.max_nodes->value < cl.nodes.value) {
      r_.error(cl.max_nodes->loc, fmt::format("max_nodes ({}) is below nodes ({})",
                                              cl.max_nodes->value, cl.nodes.value));
    }
  }
  if (auto v = f.get("placement")) {
    if (auto choice = r_.choice(*v, "placement", {"spread", "pack"})) {
      cl.placement = as_enum<Placement>(*choice);
    }
  }
  if (auto v = f.get("neighbours")) {
    cl.neighbours = read_neighbours(*v);
  }
  if (auto v = f.get("node_memory")) {
    cl.node_memory = r_.size(*v, "node_memory");
    if (cl.node_memory && cl.node_memory->value <= (std::int64_t{100} << 20)) {
      r_.error(cl.node_memory->loc,
               "node_memory must be more than 100Mi, the kubelet's hard eviction threshold, "
               "which it keeps free of pods");
      cl.node_memory.reset();
    }
  }
  if (auto v = f.get("scale_down")) {
    Fields sf(r_, *v, {"utilization", "unneeded"}, "cluster scale_down");
    ClusterScaleDown down;
    down.loc = sf.loc();
    r_.optional_field(sf, "utilization", down.utilization, [&](const Cursor& u) {
      return r_.fraction(u, "scale_down utilization", 0.01, 1.0);
    });
    r_.optional_field(sf, "unneeded", down.unneeded,
                      [&](const Cursor& u) { return r_.duration(u, "scale_down unneeded"); });
    cl.scale_down = down;
  }
  model_.cluster = cl;
}

std::optional<NeighboursSpec> SectionReader::read_neighbours(const Cursor& c) {
  Fields f(r_, c, {"cores", "every"}, "cluster neighbours");
  if (!f.is_map()) {
    return std::nullopt;
  }
  NeighboursSpec out;
  out.loc = f.loc();
  std::optional<DistSpec> cores;
  if (auto v = f.require("cores")) {
    cores = r_.core_distribution(*v, "neighbours cores");
  }
  if (auto v = f.get("every")) {
    if (auto every = r_.duration(*v, "neighbours every")) {
      if (every->value < std::chrono::milliseconds(1)) {
        r_.error(every->loc,
                 "neighbours 'every', how often their demand is drawn again, must be "
                 "at least 1ms");
      }
      out.every = *every;
    }
  }
  if (!cores) {
    return std::nullopt;
  }
  out.cores = std::move(*cores);
  return out;
}

// ----------------------------------------------------------------- workloads

void SectionReader::read_workload(const Located<std::string>& name, const Cursor& c) {
  const std::string what = fmt::format("workload '{}'", name.value);
  Fields f(r_, c,
           {"entry", "rate", "schedule", "arrivals", "bursts", "users", "think", "trace", "timeout",
            "retry", "circuit_breaker", "deadline", "throttle", "hedge"},
           what);
  Workload w;
  w.name = name;
  if (auto v = f.require("entry")) {
    if (auto ref = read_endpoint_ref(*v, "entry")) {
      w.entry = std::move(*ref);
    }
  }
  std::vector<std::string_view> sources;
  for (std::string_view key : {"rate", "schedule", "users", "trace"}) {
    if (f.has(key)) {
      sources.push_back(key);
    }
  }
  if (sources.empty() && f.is_map()) {
    r_.error(f.loc(), fmt::format("{} needs one of rate (open loop), schedule, users (closed "
                                  "loop) or trace",
                                  what));
  } else if (sources.size() > 1) {
    r_.error(f.key_loc(sources[1]),
             fmt::format("{} gives both '{}' and '{}'; choose one", what, sources[0], sources[1]));
  }
  if (auto v = f.get("rate")) {
    w.rate = r_.rate(*v, "rate");
  }
  if (auto v = f.get("schedule")) {
    for (const Cursor& item : r_.sequence(*v, "schedule")) {
      Fields sf(r_, item, {"at", "rate", "ramp"}, "a schedule point");
      SchedulePoint point;
      point.loc = sf.loc();
      if (auto at = sf.require("at")) {
        if (auto d = r_.duration(*at, "at")) {
          point.at = *d;
          if (!w.schedule.empty() && point.at.value <= w.schedule.back().at.value) {
            r_.error(point.at.loc, "schedule points must be in increasing order of 'at'");
          }
        }
      }
      if (auto rate = sf.require("rate")) {
        if (auto rt = r_.rate(*rate, "rate")) {
          point.rate = *rt;
        }
      }
      if (auto ramp = sf.get("ramp")) {
        point.ramp = r_.duration(*ramp, "ramp");
      }
      w.schedule.push_back(point);
    }
    if (w.schedule.empty() && v->yaml.is_sequence()) {
      r_.error(r_.loc(*v), "schedule needs at least one point: [{at: 0s, rate: 100/s}]");
    }
  }
  if (auto v = f.get("arrivals")) {
    if (auto a = r_.choice(*v, "arrivals", {"poisson", "uniform"})) {
      w.arrivals = as_enum<ArrivalProcess>(*a);
    }
  }
  if (auto v = f.get("bursts")) {
    Fields bf(r_, *v, {"every", "for", "factor"}, "bursts");
    if (bf.is_map()) {
      Bursts b;
      b.loc = bf.loc();
      bool ok = true;
      if (auto every = bf.require("every")) {
        auto dist = r_.distribution(*every, "every");
        ok = dist.has_value();
        if (dist) {
          b.every = std::move(*dist);
        }
      }
      if (auto len = bf.require("for")) {
        if (auto d = r_.duration(*len, "for", Duration{1})) {
          b.length = *d;
        }
      }
      if (auto factor = bf.require("factor")) {
        if (auto n = r_.number(*factor, "factor", 0.0, 1000.0)) {
          b.factor = *n;
        }
      }
      if (ok) {
        w.bursts = std::move(b);
      }
    }
  }
  if (auto v = f.get("users")) {
    w.users = r_.integer(*v, "users", 1, 10'000'000);
    w.kind = WorkloadKind::closed;
  }
  if (auto v = f.get("think")) {
    w.think = r_.distribution(*v, "think");
    if (!f.has("users")) {
      r_.error(f.key_loc("think"), "'think' is the pause of closed-loop users: it needs 'users'");
    }
  }
  if (auto v = f.get("trace")) {
    w.kind = WorkloadKind::trace;
    if (auto path = r_.string(*v, "trace")) {
      w.trace_path = *path;
      auto read = read_sample_file(path->value, r_.dist_context(), SampleFileKind::trace);
      if (!read) {
        r_.error(path->loc, fmt::format("trace: {}", read.error().message));
      } else {
        w.trace = std::move(read).value().samples;
        if (!std::is_sorted(w.trace.begin(), w.trace.end())) {
          r_.error(path->loc, "trace: arrival times must not decrease from one line to the next");
        }
      }
    }
  }
  if (w.kind != WorkloadKind::open) {
    for (std::string_view key : {"arrivals", "bursts"}) {
      if (f.has(key)) {
        r_.error(f.key_loc(key),
                 fmt::format("'{}' shapes open-loop traffic (rate or schedule)", key));
      }
    }
  }
  read_call_policy(f, w.policy);
  model_.workloads.push_back(std::move(w));
}

// ---------------------------------------------------------------------- slos

void SectionReader::read_slos(const Cursor& c) {
  for (const auto& [path, list] : r_.named_entries(c, "slos")) {
    SloSet set;
    set.path = path;
    std::vector<Cursor> items;
    if (list.yaml.is_scalar()) {
      items.push_back(list);
    } else {
      items = r_.sequence(list, "an SLO list");
    }
    for (const Cursor& item : items) {
      auto text = r_.string(item, "an SLO check");
      if (!text) {
        continue;
      }
      auto check = parse_slo_check(text->value);
      if (!check) {
        r_.error(r_.loc_at(item, check.error().offset),
                 fmt::format("SLO '{}': {}", text->value, check.error().message));
        continue;
      }
      const SloCheck& parsed = *check;
      if (parsed.metric == SloMetric::errors && text->value.find('%') == std::string::npos &&
          parsed.threshold >= 0.1) {
        r_.warning(text->loc, fmt::format("SLO '{}' reads the error threshold as a fraction: "
                                          "{}%; write '{}%' if you meant a percentage",
                                          text->value, parsed.threshold * 100, parsed.threshold));
      }
      set.checks.push_back(std::move(check).value());
    }
    model_.slos.push_back(std::move(set));
  }
}

}  // namespace

void read_model(YamlReader& reader, const Cursor& root, Model& model,
                std::optional<Duration> duration) {
  SectionReader(reader, model, duration).read(root);
}

}  // namespace tailsim::model::detail
