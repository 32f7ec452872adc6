#include "tailsim/plan/compiler.hpp"

#include <algorithm>
#include <map>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace tailsim::plan {
namespace {

class Compiler {
 public:
  explicit Compiler(const model::Model& model) : model_(model) {}

  std::optional<Plan> compile();

 private:
  void compile_autoscalers();
  Id compile_policy(const model::CallPolicy& policy, Id edge, const std::string& path);
  Id add_stream(std::string component, std::string purpose);
  Id add_distribution(const model::DistSpec& spec);
  Id compile_block(const std::vector<model::Step>& steps, const model::Service& svc,
                   const std::string& path);
  Op compile_step(const model::Step& step, const model::Service& svc, const std::string& path);
  Id call_site(const model::Step& step, const model::Service& svc, const std::string& path);
  Id edge(Id caller, Id endpoint);
  void compile_workload(const model::Workload& w);
  void compile_faults();
  void compile_caches();
  void compile_queues();

  const model::Model& model_;
  Plan plan_;
  std::vector<Id> first_endpoint_;  ///< per model service: its first plan endpoint
  std::map<std::pair<Id, Id>, Id> edges_;
};

Id Compiler::compile_policy(const model::CallPolicy& policy, Id edge_id, const std::string& path) {
  CallPolicy out;
  if (policy.timeout) {
    out.timeout = policy.timeout->value;
  }
  const auto deadlines =
      policy.deadline ? policy.deadline->value : model_.simulation.deadlines.value;
  out.propagate_deadline = deadlines == model::DeadlineMode::propagate;
  if (policy.retry) {
    const model::RetryPolicy& r = *policy.retry;
    out.attempts = static_cast<std::uint32_t>(r.attempts.value);
    out.backoff = r.backoff.value;
    out.multiplier = r.multiplier.value;
    // Envoy caps the backoff at ten times its base when no cap is given.
    out.max_backoff = r.max_backoff ? r.max_backoff->value : r.backoff.value * 10;
    out.jitter = static_cast<Jitter>(r.jitter.value);
    for (const auto& kind : r.on) {
      // model::ErrorKind timeout..unavailable are Outcome 1..4.
      out.retry_on =
          static_cast<std::uint8_t>(out.retry_on | (1u << (static_cast<unsigned>(kind.value) + 1)));
    }
    if (r.budget) {
      out.budget = r.budget->value;
    }
    out.min_concurrency = static_cast<std::uint32_t>(r.min_concurrency.value);
  }
  if (policy.throttle) {
    out.throttle_max_tokens = policy.throttle->max_tokens.value;
    out.throttle_ratio = policy.throttle->token_ratio.value;
  }
  if (policy.bulkhead) {
    out.bulkhead = static_cast<std::uint32_t>(policy.bulkhead->value);
  }
  if (policy.hedge) {
    out.hedge_after = policy.hedge->after.value;
    out.hedge_max = static_cast<std::uint32_t>(policy.hedge->max.value);
  }
  if (policy.circuit_breaker && plan_.edges[edge_id].breaker == no_id) {
    const model::CircuitBreakerPolicy& cb = *policy.circuit_breaker;
    plan_.breakers.push_back(BreakerSpec{
        static_cast<std::uint32_t>(cb.window.value), static_cast<std::uint32_t>(cb.min_calls.value),
        cb.failure_rate.value, cb.open_for.value, static_cast<std::uint32_t>(cb.half_open.value)});
    plan_.edges[edge_id].breaker = static_cast<Id>(plan_.breakers.size() - 1);
  }
  const bool is_plain = out.timeout == Duration::zero() && !out.propagate_deadline &&
                        out.attempts == 1 && out.throttle_max_tokens == 0 && out.bulkhead == 0 &&
                        out.hedge_max == 0 && plan_.edges[edge_id].breaker == no_id;
  if (!is_plain) {
    plan_.edges[edge_id].is_plain = false;
  }
  out.stream = add_stream(path, "retry");
  plan_.policies.push_back(out);
  return static_cast<Id>(plan_.policies.size() - 1);
}

void Compiler::compile_autoscalers() {
  auto rules = [](const model::ScalingRules& in) {
    ScalingRules out;
    out.stabilization = in.stabilization.value;
    out.select = static_cast<ScaleSelect>(in.select.value);
    for (const auto& p : in.policies) {
      out.policies.push_back(ScalingPolicy{p.is_percent, p.value.value, p.period.value});
    }
    return out;
  };
  for (const auto& a : model_.autoscalers) {
    Autoscaler out;
    out.name = a.name.value;
    out.service = static_cast<Id>(a.service_id);
    out.metric = static_cast<ScaleMetric>(a.metric.value);
    out.queue = a.queue_id == model::no_index ? no_id : static_cast<Id>(a.queue_id);
    out.target = a.target.value;
    out.is_age_target = a.is_age_target;
    out.min = static_cast<std::int32_t>(a.min.value);
    out.max = static_cast<std::int32_t>(a.max.value);
    out.sync_period = a.sync_period.value;
    out.tolerance = a.tolerance.value;
    out.metrics_lag = a.metrics_lag.value;
    out.window = a.window.value;
    if (a.scale_up) {
      out.scale_up = rules(*a.scale_up);
    }
    if (a.scale_down) {
      out.scale_down = rules(*a.scale_down);
    }
    out.stream = add_stream("autoscaler/" + a.name.value, "sync");
    plan_.services[out.service].autoscaler = static_cast<Id>(plan_.autoscalers.size());
    plan_.autoscalers.push_back(std::move(out));
  }
  if (model_.cluster) {
    const model::Cluster& c = *model_.cluster;
    const auto nodes = static_cast<std::uint32_t>(c.nodes.value);
    std::optional<NodeScaleDown> scale_down;
    if (c.scale_down) {
      scale_down = NodeScaleDown{c.scale_down->utilization.value, c.scale_down->unneeded.value};
    }
    plan_.cluster =
        ClusterSpec{nodes,
                    c.node_cores.value,
                    c.provision.value,
                    c.max_nodes ? static_cast<std::uint32_t>(c.max_nodes->value) : nodes,
                    c.node_memory ? c.node_memory->value : 0,
                    scale_down};
    plan_.cluster->pack = c.placement.value == model::Placement::pack;
    if (c.neighbours) {
      plan_.cluster->neighbour_cores = add_distribution(c.neighbours->cores);
      plan_.cluster->neighbour_every = c.neighbours->every.value;
      plan_.cluster->neighbour_stream = add_stream("cluster", "neighbours");
    }
  }
}

void Compiler::compile_queues() {
  for (const auto& q : model_.queues) {
    QueueSpec out;
    out.name = q.name.value;
    out.consumer = first_endpoint_[q.consumer.service_id] + q.consumer.endpoint_id;
    out.edge = static_cast<Id>(plan_.edges.size());
    plan_.edges.push_back(
        Edge{no_id, no_id, static_cast<Id>(plan_.queues.size()), out.consumer, no_id});
    out.policy = compile_policy(model::CallPolicy{}, out.edge, "queue/" + q.name.value);
    out.partitions = static_cast<std::uint32_t>(q.partitions.value);
    out.capacity = q.capacity ? q.capacity->value : -1;
    if (q.redelivery) {
      out.deliveries = static_cast<std::uint32_t>(q.redelivery->attempts.value);
      out.redelivery_delay = q.redelivery->delay.value;
    }
    plan_.queues.push_back(std::move(out));
  }
}

void Compiler::compile_caches() {
  for (const auto& c : model_.caches) {
    CacheSpec out;
    out.name = c.name.value;
    out.shared = c.scope.value == model::CacheScope::shared;
    if (c.hit_ratio) {
      out.hit_ratio = c.hit_ratio->value;
    } else {
      out.keys = static_cast<std::uint64_t>(c.keys->value);
      out.zipf = c.popularity.kind == model::PopularityKind::zipf ? c.popularity.exponent : 0.0;
      out.capacity = c.capacity ? static_cast<std::uint64_t>(c.capacity->value) : out.keys;
    }
    out.ttl = c.ttl ? c.ttl->value : Duration{0};
    out.lookup = c.lookup ? add_distribution(*c.lookup) : no_id;
    out.coalesce = c.coalesce.value;
    plan_.caches.push_back(std::move(out));
  }
}

void Compiler::compile_faults() {
  for (std::size_t i = 0; i < model_.faults.size(); ++i) {
    const model::Fault& f = model_.faults[i];
    Fault out;
    out.at = Time{} + f.at.value;
    if (f.length) {
      out.until = out.at + f.length->value;
    }
    out.service = f.target_id;
    out.other = f.other_id;
    out.pods = static_cast<std::uint32_t>(f.pods.value);
    out.add = f.add ? f.add->value : Duration{0};
    out.factor = f.factor ? f.factor->value : 1.0;
    out.rate = f.rate.value;
    out.blackhole = f.mode.value == model::DownMode::blackhole;
    out.cores = f.set.value;
    switch (f.kind) {
      case model::FaultKind::kill:
        out.kind = FaultKind::kill;
        break;
      case model::FaultKind::slow:
        out.kind = FaultKind::slow;
        break;
      case model::FaultKind::fail:
        out.kind = FaultKind::fail;
        break;
      case model::FaultKind::down:
        out.kind = FaultKind::down;
        break;
      case model::FaultKind::partition:
        out.kind = FaultKind::partition;
        break;
      case model::FaultKind::cpu:
        out.kind = FaultKind::cpu;
        break;
      case model::FaultKind::flush:
        out.kind = FaultKind::flush;
        out.cache = std::exchange(out.service, no_id);  // the target is a cache
        break;
    }
    out.stream = add_stream(fmt::format("fault/{}", i), "fault");
    out.is_named = f.name.has_value();
    out.name = f.name ? f.name->value
               : f.kind == model::FaultKind::partition
                   ? fmt::format("partition {} | {}", f.target.value, f.other.value)
                   : fmt::format("{} {}", model::to_string(f.kind), f.target.value);
    plan_.faults.push_back(std::move(out));
  }
}

Id Compiler::add_stream(std::string component, std::string purpose) {
  plan_.streams.emplace_back(std::move(component), std::move(purpose));
  return static_cast<Id>(plan_.streams.size() - 1);
}

Id Compiler::add_distribution(const model::DistSpec& spec) {
  plan_.distributions.push_back(to_sampler(spec));
  return static_cast<Id>(plan_.distributions.size() - 1);
}

Id Compiler::edge(Id caller, Id endpoint) {
  auto [it, inserted] = edges_.emplace(std::pair{caller, endpoint}, 0);
  if (inserted) {
    it->second = static_cast<Id>(plan_.edges.size());
    plan_.edges.push_back(Edge{caller, no_id, no_id, endpoint, no_id});
  }
  return it->second;
}

Id Compiler::call_site(const model::Step& step, const model::Service& svc,
                       const std::string& path) {
  CallSite site;
  site.caller_service = static_cast<Id>(&svc - model_.services.data());
  site.target_service = step.call.service_id;
  site.target_endpoint = first_endpoint_[step.call.service_id] + step.call.endpoint_id;
  site.optional = step.policy.optional.value;
  site.edge = edge(site.caller_service, site.target_endpoint);
  site.policy = compile_policy(step.policy, site.edge, path);

  // The link between the two services, else the default.
  Link link;
  const model::LinkSpec* spec = nullptr;
  for (const auto& l : model_.network.links) {
    const bool forward = l.a.value == svc.name.value && l.b.value == step.call.service.value;
    const bool backward = l.b.value == svc.name.value && l.a.value == step.call.service.value;
    if (forward || backward) {
      spec = &l;
      break;
    }
  }
  const auto& latency = spec && spec->latency ? spec->latency : model_.network.default_latency;
  if (latency) {
    link.has_latency = true;
    link.latency = to_sampler(*latency);
  }
  link.loss = spec && spec->loss ? spec->loss->value : model_.network.default_loss.value;
  link.stream = add_stream(path, "network");
  site.is_instant = !link.has_latency && link.loss == 0;
  plan_.links.push_back(std::move(link));
  site.link = static_cast<Id>(plan_.links.size() - 1);

  plan_.call_sites.push_back(site);
  return static_cast<Id>(plan_.call_sites.size() - 1);
}

Op Compiler::compile_step(const model::Step& step, const model::Service& svc,
                          const std::string& path) {
  Op op;
  op.probability = step.p ? step.p->value : 1.0;
  op.times_low = static_cast<std::uint32_t>(step.times.value.low);
  op.times_high = static_cast<std::uint32_t>(step.times.value.high);
  op.stream = add_stream(path, "step");
  switch (step.kind) {
    case model::StepKind::cpu:
      op.kind = OpKind::cpu;
      op.dist = add_distribution(step.dist);
      break;
    case model::StepKind::delay:
      op.kind = OpKind::delay;
      op.dist = add_distribution(step.dist);
      break;
    case model::StepKind::call:
      op.kind = OpKind::call;
      op.call = call_site(step, svc, path);
      break;
    case model::StepKind::parallel: {
      op.kind = OpKind::parallel;
      std::vector<Id> children;
      for (std::size_t i = 0; i < step.children.size(); ++i) {
        children.push_back(compile_block({step.children[i]}, svc, fmt::format("{}.{}", path, i)));
      }
      op.first = static_cast<Id>(plan_.child_blocks.size());
      op.count = static_cast<Id>(children.size());
      plan_.child_blocks.insert(plan_.child_blocks.end(), children.begin(), children.end());
      for (const Id child : children) {
        const Block& block = plan_.blocks[child];
        Id plain_call = no_id;
        if (block.end == block.begin + 1) {
          const Op& only = plan_.ops[block.begin];
          if (only.kind == OpKind::call && only.probability >= 1.0 && only.times_low == 1 &&
              only.times_high == 1) {
            plain_call = only.call;
          }
        }
        plan_.child_call_sites.push_back(plain_call);
      }
      break;
    }
    case model::StepKind::branch: {
      op.kind = OpKind::branch;
      std::vector<BranchArm> arms;
      double cumulative = 0;
      for (std::size_t i = 0; i < step.arms.size(); ++i) {
        cumulative += step.arms[i].p.value;
        arms.push_back(BranchArm{
            cumulative, compile_block(step.arms[i].steps, svc, fmt::format("{}.arm{}", path, i))});
      }
      op.first = static_cast<Id>(plan_.arms.size());
      op.count = static_cast<Id>(arms.size());
      plan_.arms.insert(plan_.arms.end(), arms.begin(), arms.end());
      break;
    }
    case model::StepKind::fail:
      op.kind = OpKind::fail;
      op.fail_rate = step.fail_rate.value;
      break;
    case model::StepKind::cache:
      op.kind = OpKind::cache;
      op.cache = step.target_id;
      op.first = compile_block(step.children, svc, fmt::format("{}.miss", path));
      break;
    case model::StepKind::publish:
      op.kind = OpKind::publish;
      op.queue = step.target_id;
      break;
    case model::StepKind::batch:
      op.kind = OpKind::batch;
      op.batch = static_cast<Id>(plan_.batches.size());
      plan_.batches.push_back(BatchStep{static_cast<std::uint32_t>(step.batch.max.value),
                                        step.batch.wait.value, add_distribution(step.batch.fixed),
                                        add_distribution(step.batch.per_item), op.stream,
                                        step.batch.on_gpu});
      plan_.services[static_cast<Id>(&svc - model_.services.data())].has_batch = true;
      break;
  }
  return op;
}

Id Compiler::compile_block(const std::vector<model::Step>& steps, const model::Service& svc,
                           const std::string& path) {
  // Nested blocks are compiled first, so this block's ops stay contiguous.
  std::vector<Op> ops;
  ops.reserve(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    ops.push_back(compile_step(steps[i], svc, fmt::format("{}/{}", path, i)));
  }
  Block block{static_cast<Id>(plan_.ops.size()), 0};
  plan_.ops.insert(plan_.ops.end(), ops.begin(), ops.end());
  block.end = static_cast<Id>(plan_.ops.size());
  plan_.blocks.push_back(block);
  return static_cast<Id>(plan_.blocks.size() - 1);
}

void Compiler::compile_workload(const model::Workload& w) {
  Workload out;
  out.name = w.name.value;
  out.entry = first_endpoint_[w.entry.service_id] + w.entry.endpoint_id;
  out.edge = static_cast<Id>(plan_.edges.size());
  plan_.edges.push_back(
      Edge{no_id, static_cast<Id>(plan_.workloads.size()), no_id, out.entry, no_id});
  out.policy = compile_policy(w.policy, out.edge, "workload/" + w.name.value);
  out.stream = add_stream("workload/" + w.name.value, "arrivals");
  out.burst_stream = add_stream("workload/" + w.name.value, "bursts");
  out.think_stream = add_stream("workload/" + w.name.value, "think");
  switch (w.kind) {
    case model::WorkloadKind::open:
      out.kind = WorkloadKind::open;
      if (w.rate) {
        out.schedule.push_back(RatePoint{Time{}, w.rate->value, Duration{0}});
      }
      for (const auto& point : w.schedule) {
        out.schedule.push_back(RatePoint{Time{} + point.at.value, point.rate.value,
                                         point.ramp ? point.ramp->value : Duration{0}});
      }
      out.arrivals = w.arrivals.value == model::ArrivalProcess::uniform ? Arrivals::uniform
                                                                        : Arrivals::poisson;
      if (w.bursts) {
        out.has_bursts = true;
        out.burst_gap = add_distribution(w.bursts->every);
        out.burst_length = w.bursts->length.value;
        out.burst_factor = w.bursts->factor.value;
      }
      break;
    case model::WorkloadKind::closed:
      out.kind = WorkloadKind::closed;
      out.users = static_cast<std::uint32_t>(w.users->value);
      if (w.think) {
        out.think = add_distribution(*w.think);
      }
      break;
    case model::WorkloadKind::trace:
      out.kind = WorkloadKind::trace;
      for (Duration at : w.trace) {
        out.trace.push_back(Time{} + at);
      }
      break;
  }
  plan_.workloads.push_back(std::move(out));
}

std::optional<Plan> Compiler::compile() {
  const auto& sim = model_.simulation;
  plan_.model_name = model_.name.value;
  plan_.seed = sim.seed.value;
  plan_.warmup = sim.warmup.value;
  plan_.duration = sim.duration.value;
  plan_.drain = sim.drain.value;
  plan_.interval = sim.interval.value;

  Id next_endpoint = 0;
  for (const auto& svc : model_.services) {
    first_endpoint_.push_back(next_endpoint);
    next_endpoint += static_cast<Id>(svc.endpoints.size());
  }
  for (const auto& svc : model_.services) {
    Service out;
    out.name = svc.name.value;
    out.external = svc.external.value;
    out.replicas = static_cast<std::uint32_t>(svc.replicas.value);
    out.cores = svc.pod.cpu.cores.value;
    if (svc.pod.warmup) {
      out.warmup = svc.pod.warmup->duration.value;
      out.warmup_slowdown = svc.pod.warmup->slowdown.value;
    }
    if (svc.pod.cpu.is_cfs) {
      out.cfs = true;
      out.cores = svc.pod.cpu.node_cores.value;
      out.limit = svc.pod.cpu.limit.value;
      out.period = svc.pod.cpu.period.value;
    }
    out.workers = svc.pod.workers ? static_cast<std::uint32_t>(svc.pod.workers->value) : 0;
    out.queue_capacity = svc.pod.queue ? svc.pod.queue->value : -1;
    out.queue_timeout = svc.pod.queue_timeout ? svc.pod.queue_timeout->value : Duration{0};
    out.discipline =
        svc.pod.discipline.value == model::Discipline::lifo ? Discipline::lifo : Discipline::fifo;
    out.async = svc.pod.async.value;
    out.balancer = static_cast<Balancer>(svc.balancer.value);
    out.concurrency = svc.concurrency ? svc.concurrency->value : -1;
    out.balancer_stream = add_stream("service/" + svc.name.value, "balancer");
    out.cpu_request = svc.pod.cpu.requested_cores();
    out.startup_stream = add_stream("service/" + svc.name.value, "startup");
    if (svc.pod.memory) {
      out.has_memory = true;
      out.memory_request = svc.pod.memory->request.value;
      out.memory_limit = svc.pod.memory->limit.value;
      out.memory_base = svc.pod.memory->base.value;
      out.memory_per_request = svc.pod.memory->per_request.value;
    }
    plan_.services.push_back(std::move(out));
  }
  for (const auto& svc : model_.services) {
    const Id service_id = static_cast<Id>(&svc - model_.services.data());
    for (const auto& ep : svc.endpoints) {
      const std::string name = svc.name.value + "." + ep.name.value;
      Endpoint out{name, service_id, compile_block(ep.steps, svc, name)};
      const Block& block = plan_.blocks[out.block];
      if (block.end == block.begin + 1 && !svc.pod.async.value && !svc.external.value) {
        const Op& op = plan_.ops[block.begin];
        if (op.kind == OpKind::cpu && op.probability >= 1.0 && op.times_low == 1 &&
            op.times_high == 1) {
          out.lone_cpu = block.begin;
        }
      }
      plan_.endpoints.push_back(std::move(out));
    }
  }
  for (const auto& w : model_.workloads) {
    compile_workload(w);
  }
  compile_faults();
  compile_caches();
  compile_queues();
  for (const auto& svc : model_.services) {
    plan_.startup.push_back(svc.pod.startup ? add_distribution(*svc.pod.startup) : no_id);
  }
  for (const auto& svc : model_.services) {
    if (svc.pod.gpus) {
      plan_.services[static_cast<Id>(&svc - model_.services.data())].gpus =
          static_cast<std::uint32_t>(svc.pod.gpus->value);
    }
  }
  for (const auto& svc : model_.services) {
    if (svc.pod.gc) {
      Service& out = plan_.services[static_cast<Id>(&svc - model_.services.data())];
      out.gc_every = add_distribution(svc.pod.gc->every);
      out.gc_pause = add_distribution(svc.pod.gc->pause);
      out.gc_stream = add_stream("service/" + svc.name.value, "gc");
    }
  }
  compile_autoscalers();
  for (const auto& set : model_.slos) {
    if (set.workload_id == model::no_index) {
      // A queue path: its results follow the workloads'.
      const auto q =
          std::find_if(model_.queues.begin(), model_.queues.end(),
                       [&](const auto& queue) { return queue.name.value == set.path.value; });
      for (const auto& check : set.checks) {
        plan_.slos.push_back(
            SloSpec{static_cast<Id>(model_.workloads.size() + (q - model_.queues.begin())), check});
      }
      continue;
    }
    for (const auto& check : set.checks) {
      plan_.slos.push_back(SloSpec{set.workload_id, check});
    }
  }
  return std::move(plan_);
}

}  // namespace

engine::Distribution to_sampler(const model::DistSpec& spec) {
  using engine::Distribution;
  return std::visit(
      [](const auto& form) -> Distribution {
        using T = std::decay_t<decltype(form)>;
        if constexpr (std::is_same_v<T, model::ConstantDist>) {
          return Distribution::constant(form.value);
        } else if constexpr (std::is_same_v<T, model::ExponentialDist>) {
          return Distribution::exponential(form.mean);
        } else if constexpr (std::is_same_v<T, model::UniformDist>) {
          return Distribution::uniform(form.low, form.high);
        } else if constexpr (std::is_same_v<T, model::NormalDist>) {
          return Distribution::normal(form.mean, form.sd);
        } else if constexpr (std::is_same_v<T, model::LogNormalDist>) {
          return Distribution::lognormal(form.mu, form.sigma);
        } else if constexpr (std::is_same_v<T, model::GammaDist>) {
          return Distribution::gamma(form.shape, form.mean);
        } else if constexpr (std::is_same_v<T, model::ErlangDist>) {
          return Distribution::erlang(static_cast<int>(form.k), form.mean);
        } else if constexpr (std::is_same_v<T, model::ParetoDist>) {
          return Distribution::pareto(form.min, form.alpha);
        } else if constexpr (std::is_same_v<T, model::WeibullDist>) {
          return Distribution::weibull(form.scale, form.shape);
        } else if constexpr (std::is_same_v<T, model::EmpiricalDist>) {
          return Distribution::empirical(form.samples);
        } else {
          std::vector<Distribution> parts;
          for (const auto& part : form.parts) {
            parts.push_back(to_sampler(part));
          }
          return Distribution::mixture(form.weights, std::move(parts));
        }
      },
      spec.form);
}

std::optional<Plan> compile_plan(const model::Model& model, model::Diagnostics& /*diagnostics*/) {
  return Compiler(model).compile();
}

}  // namespace tailsim::plan
