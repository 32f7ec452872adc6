// Resolves the names one section uses for another and checks what spans sections.

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "section_reader.hpp"
#include "tailsim/core/duration_text.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model::detail {
namespace {

class Resolver {
 public:
  Resolver(Model& model, Diagnostics& diagnostics) : model_(model), diags_(diagnostics) {
    for (std::size_t i = 0; i < model_.services.size(); ++i) {
      service_ids_.emplace(model_.services[i].name.value, static_cast<Index>(i));
      service_names_.push_back(model_.services[i].name.value);
    }
    for (std::size_t i = 0; i < model_.caches.size(); ++i) {
      cache_ids_.emplace(model_.caches[i].name.value, static_cast<Index>(i));
      cache_names_.push_back(model_.caches[i].name.value);
    }
    for (std::size_t i = 0; i < model_.queues.size(); ++i) {
      queue_ids_.emplace(model_.queues[i].name.value, static_cast<Index>(i));
      queue_names_.push_back(model_.queues[i].name.value);
    }
    for (const auto& link : model_.network.links) {
      link_ids_.emplace(link_key(link.a.value, link.b.value), &link);
    }
  }

  void run();

 private:
  Index service_id(const Located<std::string>& name, std::string_view what);
  void resolve(EndpointRef& ref);
  void resolve_steps(std::vector<Step>& steps, const Service& owner);
  /// Warns about a policy that cannot do what it says.
  void check_policy(const CallPolicy& policy);
  /// Warns about a pod that can never use its CPU or never be placed.
  void check_cpu(const Service& svc);
  double link_loss(const std::string& a, const std::string& b) const;
  /// The same key for (a, b) and (b, a), so a link is found in O(1) whichever
  /// side calls.
  static std::string link_key(const std::string& a, const std::string& b) {
    return a < b ? a + '\n' + b : b + '\n' + a;
  }

  Model& model_;
  Diagnostics& diags_;
  std::unordered_map<std::string, Index> service_ids_, cache_ids_, queue_ids_;
  std::vector<std::string> service_names_, cache_names_, queue_names_;
  /// The first link stated between each pair of services.
  std::unordered_map<std::string, const LinkSpec*> link_ids_;
};

Index Resolver::service_id(const Located<std::string>& name, std::string_view what) {
  auto it = service_ids_.find(name.value);
  if (it == service_ids_.end()) {
    diags_.error(name.loc, fmt::format("{}unknown service '{}'{}", what, name.value,
                                       did_you_mean(name.value, service_names_)));
    return no_index;
  }
  return it->second;
}

void Resolver::resolve(EndpointRef& ref) {
  if (ref.service.value.empty()) {
    return;  // already reported while reading
  }
  ref.service_id = service_id(ref.service, "");
  if (ref.service_id == no_index) {
    return;
  }
  const Service& svc = model_.services[ref.service_id];
  for (std::size_t i = 0; i < svc.endpoints.size(); ++i) {
    if (svc.endpoints[i].name.value == ref.endpoint.value) {
      ref.endpoint_id = static_cast<Index>(i);
      return;
    }
  }
  // The names for the suggestion only on a miss: a hit copies nothing.
  std::vector<std::string> names;
  for (const auto& endpoint : svc.endpoints) {
    names.push_back(endpoint.name.value);
  }
  diags_.error(ref.endpoint.loc,
               fmt::format("service '{}' has no endpoint '{}'{}", svc.name.value,
                           ref.endpoint.value, did_you_mean(ref.endpoint.value, names)));
}

double Resolver::link_loss(const std::string& a, const std::string& b) const {
  const auto it = link_ids_.find(link_key(a, b));
  if (it != link_ids_.end() && it->second->loss) {
    return it->second->loss->value;
  }
  return model_.network.default_loss.value;
}

void Resolver::resolve_steps(std::vector<Step>& steps, const Service& owner) {
  for (Step& step : steps) {
    switch (step.kind) {
      case StepKind::cpu:
        if (owner.external.value) {
          diags_.error(step.loc, fmt::format("external service '{}' uses no CPU of ours: write "
                                             "its latency as a delay step",
                                             owner.name.value));
        }
        break;
      case StepKind::call:
        resolve(step.call);
        check_policy(step.policy);
        if (step.call.service_id != no_index && !step.policy.timeout &&
            link_loss(owner.name.value, step.call.service.value) > 0) {
          diags_.warning(step.loc, fmt::format("the network between '{}' and '{}' loses "
                                               "messages and this call has no timeout: a lost "
                                               "call waits forever",
                                               owner.name.value, step.call.service.value));
        }
        break;
      case StepKind::cache: {
        if (step.target.value.empty()) {
          break;  // no name given: reported while reading
        }
        auto it = cache_ids_.find(step.target.value);
        if (it == cache_ids_.end()) {
          diags_.error(step.target.loc, fmt::format("unknown cache '{}'{}", step.target.value,
                                                    did_you_mean(step.target.value, cache_names_)));
        } else {
          step.target_id = it->second;
        }
        break;
      }
      case StepKind::publish: {
        if (step.target.value.empty()) {
          break;
        }
        auto it = queue_ids_.find(step.target.value);
        if (it == queue_ids_.end()) {
          diags_.error(step.target.loc, fmt::format("unknown queue '{}'{}", step.target.value,
                                                    did_you_mean(step.target.value, queue_names_)));
        } else {
          step.target_id = it->second;
        }
        break;
      }
      case StepKind::batch:
        if (owner.external.value) {
          diags_.error(step.loc, fmt::format("external service '{}' has no pods to batch on: "
                                             "write its latency as a delay step",
                                             owner.name.value));
        } else if (step.batch.on_gpu && !owner.pod.gpus) {
          diags_.error(step.batch.cost_loc.is_known() ? step.batch.cost_loc : step.loc,
                       fmt::format("a gpu batch step needs GPUs: give the pod of '{}' gpus: N "
                                   "(N batches served at once), or serve the batch with cpu:",
                                   owner.name.value));
        }
        break;
      case StepKind::delay:
      case StepKind::parallel:
      case StepKind::branch:
      case StepKind::fail:
        break;
    }
    resolve_steps(step.children, owner);
    for (auto& arm : step.arms) {
      resolve_steps(arm.steps, owner);
    }
  }
}

void Resolver::check_policy(const CallPolicy& policy) {
  if (policy.hedge && policy.timeout && policy.hedge->after.value >= policy.timeout->value) {
    diags_.warning(policy.hedge->after.loc,
                   fmt::format("hedge after {} is not shorter than the timeout {}: every attempt "
                               "times out before a copy is sent",
                               format_duration(policy.hedge->after.value),
                               format_duration(policy.timeout->value)));
  }
}

void Resolver::check_cpu(const Service& svc) {
  const CpuSpec& cpu = svc.pod.cpu;
  if (cpu.is_cfs && cpu.node_cores.value > 0 && cpu.limit.value > cpu.node_cores.value) {
    diags_.warning(cpu.limit.loc,
                   fmt::format("cpu limit {:g} is above node_cores {:g}: the pod "
                               "can never use more than {:g} cores",
                               cpu.limit.value, cpu.node_cores.value, cpu.node_cores.value));
  }
  if (model_.cluster && model_.cluster->node_cores.loc.is_known() && !svc.external.value &&
      cpu.requested_cores() > model_.cluster->node_cores.value) {
    // A pod left at the default CPU has no `cpu:` to point at: the service's name.
    diags_.warning(
        cpu.loc.is_known() ? cpu.loc : svc.name.loc,
        fmt::format("pods of '{}' request {:g} cores, more than a node has "
                    "({:g}): they stay pending, never placed",
                    svc.name.value, cpu.requested_cores(), model_.cluster->node_cores.value));
  }
  // The kubelet keeps its hard eviction threshold (100Mi) free: a node's
  // allocatable memory is the rest.
  const auto& memory = svc.pod.memory;
  if (memory && model_.cluster && model_.cluster->node_memory &&
      memory->request.value > model_.cluster->node_memory->value - (std::int64_t{100} << 20)) {
    diags_.warning(memory->request.loc,
                   fmt::format("pods of '{}' request more memory than a node can allocate "
                               "(node_memory less the kubelet's 100Mi): they stay pending, "
                               "never placed",
                               svc.name.value));
  }
}

void Resolver::run() {
  for (auto& link : model_.network.links) {
    if (link.a.value.empty()) {
      continue;
    }
    service_id(link.a, "network link: ");
    service_id(link.b, "network link: ");
    if (link.a.value == link.b.value) {
      diags_.error(link.b.loc, "a network link joins two different services");
    }
  }
  for (auto& svc : model_.services) {
    for (auto& ep : svc.endpoints) {
      resolve_steps(ep.steps, svc);
    }
    // A CFS pod's parallelism is its node's cores: written on the pod, or
    // the cluster's nodes'.
    CpuSpec& cpu = svc.pod.cpu;
    if (cpu.is_cfs && cpu.node_cores.value == 0) {
      if (model_.cluster) {
        cpu.node_cores = {model_.cluster->node_cores.value, cpu.loc};
      } else {
        diags_.error(cpu.loc,
                     "cpu needs 'node_cores' (the cores of the node the pod runs on), "
                     "or a cluster section whose nodes' cores it takes");
      }
    }
    check_cpu(svc);
  }
  for (auto& q : model_.queues) {
    resolve(q.consumer);
  }
  std::unordered_map<Index, const Autoscaler*> scaled;
  for (auto& a : model_.autoscalers) {
    if (a.service.value.empty()) {
      continue;
    }
    a.service_id = service_id(a.service, "");
    if (a.service_id == no_index) {
      continue;
    }
    const Service& svc = model_.services[a.service_id];
    if (svc.external.value) {
      diags_.error(a.service.loc, fmt::format("autoscaler '{}' scales external service '{}', "
                                              "which has no pods",
                                              a.name.value, svc.name.value));
    }
    auto [it, inserted] = scaled.emplace(a.service_id, &a);
    if (!inserted) {
      diags_.error(a.service.loc, fmt::format("service '{}' already has autoscaler '{}'",
                                              svc.name.value, it->second->name.value));
    }
    if (a.queue) {
      auto q = queue_ids_.find(a.queue->value);
      if (q == queue_ids_.end()) {
        diags_.error(a.queue->loc, fmt::format("unknown queue '{}'{}", a.queue->value,
                                               did_you_mean(a.queue->value, queue_names_)));
      } else {
        a.queue_id = q->second;
        if (model_.queues[a.queue_id].consumer.service_id != a.service_id) {
          diags_.warning(a.queue->loc, fmt::format("queue '{}' is consumed by another service "
                                                   "than '{}'",
                                                   a.queue->value, svc.name.value));
        }
      }
    }
  }
  for (auto& w : model_.workloads) {
    resolve(w.entry);
    check_policy(w.policy);
  }
  std::map<std::string, SourceLoc, std::less<>> fault_names;
  for (auto& fault : model_.faults) {
    if (fault.name) {
      const auto [first, is_new] = fault_names.emplace(fault.name->value, fault.name->loc);
      if (!is_new) {
        diags_.error(fault.name->loc, fmt::format("two faults are named '{}' (first at line {})",
                                                  fault.name->value, first->second.line));
      }
    }
    if (fault.target.value.empty()) {
      continue;
    }
    if (fault.kind == FaultKind::flush) {
      auto it = cache_ids_.find(fault.target.value);
      if (it == cache_ids_.end()) {
        diags_.error(fault.target.loc, fmt::format("unknown cache '{}'{}", fault.target.value,
                                                   did_you_mean(fault.target.value, cache_names_)));
      } else {
        fault.target_id = it->second;
      }
      continue;
    }
    fault.target_id = service_id(fault.target, "");
    if (fault.kind == FaultKind::partition) {
      fault.other_id = service_id(fault.other, "");
      if (fault.target.value == fault.other.value) {
        diags_.error(fault.other.loc, "a partition separates two different services");
      }
    }
    const bool needs_pods = fault.kind == FaultKind::kill || fault.kind == FaultKind::cpu;
    if (needs_pods && fault.target_id != no_index &&
        model_.services[fault.target_id].external.value) {
      diags_.error(fault.target.loc, fmt::format("a {} fault needs pods; '{}' is external",
                                                 to_string(fault.kind), fault.target.value));
    }
    if (fault.at.value >= model_.simulation.warmup.value + model_.simulation.duration.value) {
      diags_.warning(fault.at.loc, "this fault starts after the simulation ends");
    }
  }
  std::vector<std::string> path_names;
  for (const auto& w : model_.workloads) {
    path_names.push_back(w.name.value);
  }
  for (const auto& q : model_.queues) {
    path_names.push_back(q.name.value);
  }
  std::unordered_map<std::string_view, Index> workload_ids;
  for (std::size_t i = 0; i < model_.workloads.size(); ++i) {
    workload_ids.emplace(model_.workloads[i].name.value, static_cast<Index>(i));
  }
  for (auto& set : model_.slos) {
    if (const auto w = workload_ids.find(set.path.value); w != workload_ids.end()) {
      set.workload_id = w->second;
    } else if (!queue_ids_.count(set.path.value)) {
      diags_.error(set.path.loc,
                   fmt::format("SLOs name unknown path '{}': a path is a workload "
                               "or a queue{}",
                               set.path.value, did_you_mean(set.path.value, path_names)));
    }
  }
  const auto& sim = model_.simulation;
  if (auto too_long = simulated_time_error(sim.warmup.value, sim.duration.value, sim.drain.value)) {
    // Reported where the longest of the three is written: the one to shorten.
    const Located<Duration>& longest =
        sim.warmup.value > sim.duration.value
            ? (sim.warmup.value > sim.drain.value ? sim.warmup : sim.drain)
            : (sim.duration.value > sim.drain.value ? sim.duration : sim.drain);
    diags_.error(longest.loc, *too_long);
  }
  // Divided, not multiplied: a duration near the clock's limit times ten
  // would overflow (the run is refused above, but this check still runs).
  if (sim.warmup.value / 10 >= sim.duration.value && sim.warmup.value > Duration::zero()) {
    diags_.warning(sim.warmup.loc, "the warm-up is more than ten times the measured duration");
  }
}

}  // namespace

void resolve_references(Model& model, Diagnostics& diagnostics) {
  Resolver(model, diagnostics).run();
}

}  // namespace tailsim::model::detail
