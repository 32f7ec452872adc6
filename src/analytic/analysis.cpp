#include "tailsim/analytic/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <fmt/format.h>

#include "tailsim/analytic/queueing.hpp"

namespace tailsim::analytic {

namespace {

using model::Step;
using model::StepKind;

constexpr double infinity = std::numeric_limits<double>::infinity();

/// One key for the unordered pair of services {a, b}.
std::uint64_t pair_key(std::size_t a, std::size_t b) {
  return (static_cast<std::uint64_t>(std::min(a, b)) << 32U) | std::max(a, b);
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}
double mean_s(const model::DistSpec& d) {
  return d.mean_ns() * 1e-9;
}

/// The mean of `times: a..b` (uniform whole numbers).
double mean_times(const Step& step) {
  return (static_cast<double>(step.times.value.low) + static_cast<double>(step.times.value.high)) /
         2;
}

/// How often a step runs per run of its sequence: its `p` times its mean `times`.
double runs(const Step& step) {
  return (step.p ? step.p->value : 1.0) * mean_times(step);
}

/// Whether a pod holds a worker only while it runs CPU: `async`, or every
/// step of every endpoint is CPU (or takes no time: fail, publish).
bool holds_worker_only_for_cpu(const model::Service& s) {
  if (s.pod.async.value) {
    return true;
  }
  auto cpu_only = [](auto&& self, const std::vector<Step>& steps) -> bool {
    return std::all_of(steps.begin(), steps.end(), [&](const Step& step) {
      switch (step.kind) {
        case StepKind::cpu:
        case StepKind::fail:
        case StepKind::publish:
          return true;
        case StepKind::branch:
          return std::all_of(step.arms.begin(), step.arms.end(),
                             [&](const model::BranchArm& arm) { return self(self, arm.steps); });
        default:
          return false;
      }
    });
  };
  return std::all_of(s.endpoints.begin(), s.endpoints.end(),
                     [&](const model::Endpoint& e) { return cpu_only(cpu_only, e.steps); });
}

/// Whether any endpoint of `s` has a batch step, at any depth.
bool has_batch_step(const model::Service& s) {
  auto any = [](auto&& self, const std::vector<Step>& steps) -> bool {
    return std::any_of(steps.begin(), steps.end(), [&](const Step& step) {
      return step.kind == StepKind::batch || self(self, step.children) ||
             std::any_of(step.arms.begin(), step.arms.end(),
                         [&](const model::BranchArm& arm) { return self(self, arm.steps); });
    });
  };
  return std::any_of(s.endpoints.begin(), s.endpoints.end(),
                     [&](const model::Endpoint& e) { return any(any, e.steps); });
}

/// A cache whose hit ratio the key model gives in closed form: uniform keys
/// and no ttl, where an LRU of C entries over N keys hits with C / N.
bool has_uniform_key_model(const model::Cache& c) {
  return c.has_key_model() && c.popularity.kind == model::PopularityKind::uniform && !c.ttl;
}

/// Whether every `cpu` step of a service draws from an exponential.
bool has_exponential_cpu(const model::Service& s) {
  auto exponential = [](auto&& self, const std::vector<Step>& steps) -> bool {
    return std::all_of(steps.begin(), steps.end(), [&](const Step& step) {
      if (step.kind == StepKind::cpu &&
          !std::holds_alternative<model::ExponentialDist>(step.dist.form)) {
        return false;
      }
      return self(self, step.children) &&
             std::all_of(step.arms.begin(), step.arms.end(),
                         [&](const model::BranchArm& arm) { return self(self, arm.steps); });
    });
  };
  return std::all_of(s.endpoints.begin(), s.endpoints.end(),
                     [&](const model::Endpoint& e) { return exponential(exponential, e.steps); });
}

/// Messages one visit to an endpoint publishes to one queue.
struct Publish {
  std::size_t queue = 0;
  double per_visit = 0;
};

/// What one visit to an endpoint does on average, whatever the traffic.
struct EndpointDemand {
  std::size_t service = 0;
  double cpu_s = 0;                ///< core-seconds per visit
  std::vector<Publish> publishes;  ///< the queues it publishes to, in the order first met
};

/// An endpoint a workload reaches and its visits per request of the workload.
struct Visit {
  std::size_t endpoint = 0;
  double count = 0;
};

/// A service's stations at one set of workload rates.
struct Station {
  double arrival_rps = 0;
  double offered_cores = 0;  ///< CPU core-seconds per second, all pods
  double utilization = 0;
  double cpu_servers = 0;
  double cpu_load = 0;
  double cpu_stretch = 1;
  bool has_worker_pool = false;
  double holding_s = 0;  ///< mean time a visit holds its worker (or, external, is in progress)
  double worker_wait_s = 0;
  double worker_load = 0;
  double load = 0;

  [[nodiscard]] bool is_saturated() const { return !(load < 1); }
};

/// Everything about a model that does not depend on the workload rates: the
/// endpoints, the routing (solved once with Eigen) and the notes.
class Analyzer {
 public:
  explicit Analyzer(const model::Model& m);
  Analysis run(const AnalyzeOptions& options);

 private:
  class Evaluation;

  [[nodiscard]] std::size_t endpoint_id(const model::EndpointRef& ref) const {
    return first_endpoint_[ref.service_id] + ref.endpoint_id;
  }
  double route(const std::vector<Step>& steps, double weight, std::size_t from);
  void callees(const std::vector<Step>& steps, std::vector<std::size_t>& out) const;
  double route_step(const Step& step, double weight, std::size_t from);
  void solve_traffic();
  void solve_visits(std::size_t w, std::vector<std::ptrdiff_t>& local);
  [[nodiscard]] double round_trip_s(std::size_t from, std::size_t to) const;
  void find_rates();
  void add_notes();
  void note_call_policies();
  void note_caches_and_queues();
  void note_services();
  void note_workloads();
  bool solve_closed_exactly(std::size_t w);
  [[nodiscard]] double max_rate(std::size_t w) const;
  void note(std::string text) { notes_.push_back(std::move(text)); }

  const model::Model& m_;
  std::vector<std::size_t> first_endpoint_;
  std::vector<const model::Endpoint*> endpoints_;
  std::vector<EndpointDemand> demand_;
  /// calls_(from, to): expected calls (or consumed messages) per visit of
  /// `from`. Sparse, row-major: a row lists what one endpoint calls.
  Eigen::SparseMatrix<double, Eigen::RowMajor> calls_;
  std::vector<Eigen::Triplet<double>> call_entries_;  ///< calls_ while routing
  /// Per workload, the endpoints its requests reach, in endpoint order, with
  /// their visits per request; every endpoint not listed has none.
  std::vector<std::vector<Visit>> visits_;
  /// Per service, how many workloads reach one of its endpoints.
  std::vector<std::size_t> workloads_visiting_;
  std::vector<bool> cpu_only_worker_;  ///< per service: holds a worker only for CPU
  std::vector<double> miss_ratio_;     ///< per cache
  /// 2 x the mean latency of the first link stated between two services,
  /// keyed by service indexes (smaller first); other pairs use the default.
  std::unordered_map<std::uint64_t, double> link_round_trip_s_;
  double default_round_trip_s_ = 0;
  std::vector<double> rates_;  ///< per workload, the rate the estimates are for
  /// Per workload: a closed one's mean, from exact MVA where solve_closed_exactly applies.
  std::vector<std::optional<double>> exact_closed_mean_s_;
  std::vector<std::string> notes_;
};

/// The estimates at one set of workload rates: stations first, then the
/// response time of each endpoint, computed on demand along the call graph.
class Analyzer::Evaluation {
 public:
  Evaluation(const Analyzer& a, const std::vector<double>& rates);

  [[nodiscard]] const std::vector<Station>& stations() const { return stations_; }
  /// Mean response time of one visit to endpoint `e`, worker wait included.
  double response_s(std::size_t e);
  /// Mean latency of a workload's requests, or of a queue's messages.
  double workload_mean_s(std::size_t w) {
    return response_s(a_.endpoint_id(a_.m_.workloads[w].entry));
  }
  double queue_mean_s(std::size_t q);
  [[nodiscard]] double queue_rate(std::size_t q) const { return queue_rps_[q]; }

 private:
  enum class State : std::uint8_t { unknown, busy, known };

  double program_s(const std::vector<Step>& steps, std::size_t service);
  void find_program(std::size_t root);
  void settle_if_unknown(std::size_t s) {
    if (pool_state_[s] == State::unknown) {
      settle_worker_pool(s);
    }
  }
  double step_s(const Step& step, std::size_t service);
  void settle_worker_pool(std::size_t s);

  const Analyzer& a_;
  std::vector<double> endpoint_rps_;
  std::vector<double> queue_rps_;
  std::vector<Station> stations_;
  std::vector<double> program_;  ///< per endpoint, its steps' time (no worker wait)
  std::vector<State> program_state_;
  std::vector<State> pool_state_;
};

// ------------------------------------------------------------------ Analyzer

Analyzer::Analyzer(const model::Model& m) : m_(m) {
  for (const auto& s : m.services) {
    cpu_only_worker_.push_back(holds_worker_only_for_cpu(s));
    first_endpoint_.push_back(endpoints_.size());
    for (const auto& e : s.endpoints) {
      endpoints_.push_back(&e);
      demand_.push_back(EndpointDemand{first_endpoint_.size() - 1, 0, {}});
    }
  }
  for (const auto& c : m.caches) {
    double miss = 1;
    if (c.hit_ratio) {
      miss = 1 - c.hit_ratio->value;
    } else if (c.has_key_model() && c.popularity.kind == model::PopularityKind::uniform && !c.ttl) {
      const auto keys = static_cast<double>(c.keys->value);
      const double capacity = c.capacity ? static_cast<double>(c.capacity->value) : keys;
      miss = 1 - std::min(1.0, capacity / keys);
    }
    miss_ratio_.push_back(miss);
  }
  // Links by service pair in one pass, the first stated between a pair
  // counting, instead of a table of every pair (services^2).
  const auto& default_latency = m.network.default_latency;
  default_round_trip_s_ = default_latency ? 2 * mean_s(*default_latency) : 0.0;
  std::unordered_map<std::string_view, std::size_t> service_ids;
  for (std::size_t s = 0; s < m.services.size(); ++s) {
    service_ids.emplace(m.services[s].name.value, s);
  }
  for (const auto& l : m.network.links) {
    const auto a = service_ids.find(l.a.value);
    const auto b = service_ids.find(l.b.value);
    if (a != service_ids.end() && b != service_ids.end()) {
      const auto& latency = l.latency ? l.latency : default_latency;
      link_round_trip_s_.emplace(pair_key(a->second, b->second),
                                 latency ? 2 * mean_s(*latency) : 0.0);
    }
  }
}

double Analyzer::round_trip_s(std::size_t from, std::size_t to) const {
  const auto it = link_round_trip_s_.find(pair_key(from, to));
  return it == link_round_trip_s_.end() ? default_round_trip_s_ : it->second;
}

double Analyzer::route(const std::vector<Step>& steps, double weight, std::size_t from) {
  double survival = 1;
  for (const Step& step : steps) {
    survival *= route_step(step, weight * survival, from);
  }
  return survival;
}

/// Adds what `step` does, run `weight` times per visit of `from`, to the
/// demand and routing of `from`; returns the probability that the step
/// lets its sequence go on (only `fail` steps stop it here).
double Analyzer::route_step(const Step& step, double weight, std::size_t from) {
  const double p = step.p ? step.p->value : 1.0;
  const double times = mean_times(step);
  const double w = weight * p * times;
  double once = 1;  // the probability one run of the step succeeds
  switch (step.kind) {
    case StepKind::cpu:
      demand_[from].cpu_s += w * mean_s(step.dist);
      break;
    case StepKind::batch:  // at its best: full batches share A
      if (!step.batch.on_gpu) {
        demand_[from].cpu_s +=
            w * (mean_s(step.batch.fixed) / static_cast<double>(step.batch.max.value) +
                 mean_s(step.batch.per_item));
      }
      break;
    case StepKind::delay:
      break;
    case StepKind::call:
      call_entries_.emplace_back(static_cast<Eigen::Index>(from),
                                 static_cast<Eigen::Index>(endpoint_id(step.call)), w);
      break;
    case StepKind::parallel:
      for (const Step& child : step.children) {
        once *= route_step(child, w, from);
      }
      break;
    case StepKind::branch: {
      double rest = 1;
      once = 0;
      for (const auto& arm : step.arms) {
        once += arm.p.value * route(arm.steps, w * arm.p.value, from);
        rest -= arm.p.value;
      }
      once += std::max(0.0, rest);
      break;
    }
    case StepKind::cache: {
      const double miss = miss_ratio_[step.target_id];
      once = 1 - miss + miss * route(step.children, w * miss, from);
      break;
    }
    case StepKind::publish: {
      auto& publishes = demand_[from].publishes;
      auto it = std::find_if(publishes.begin(), publishes.end(),
                             [&](const Publish& sent) { return sent.queue == step.target_id; });
      if (it == publishes.end()) {
        publishes.push_back(Publish{step.target_id, 0.0});
        it = publishes.end() - 1;
      }
      it->per_visit += w;
      break;
    }
    case StepKind::fail:
      once = 1 - step.fail_rate.value;
      break;
  }
  // p decides whether the step runs at all, then it runs `times` times.
  return 1 - p + p * std::pow(once, times);
}

void Analyzer::solve_traffic() {
  const auto n = static_cast<Eigen::Index>(endpoints_.size());
  for (std::size_t e = 0; e < endpoints_.size(); ++e) {
    route(endpoints_[e]->steps, 1.0, e);
  }
  // A message published is one visit to its queue's consumer.
  for (std::size_t e = 0; e < endpoints_.size(); ++e) {
    std::vector<Publish> by_queue = demand_[e].publishes;
    std::sort(by_queue.begin(), by_queue.end(),
              [](const Publish& a, const Publish& b) { return a.queue < b.queue; });
    for (const Publish& p : by_queue) {
      call_entries_.emplace_back(
          static_cast<Eigen::Index>(e),
          static_cast<Eigen::Index>(endpoint_id(m_.queues[p.queue].consumer)), p.per_visit);
    }
  }
  calls_.resize(n, n);
  calls_.setFromTriplets(call_entries_.begin(), call_entries_.end());
  call_entries_ = {};
  // Visit ratios: v = e_w + P^T v for each workload w, solved over the
  // endpoints w reaches only, so the work follows what a workload touches.
  std::vector<std::ptrdiff_t> local(endpoints_.size(), -1);
  visits_.resize(m_.workloads.size());
  workloads_visiting_.assign(m_.services.size(), 0);
  std::vector<std::size_t> last_workload(m_.services.size(), m_.workloads.size());
  for (std::size_t w = 0; w < m_.workloads.size(); ++w) {
    solve_visits(w, local);
    for (const Visit& v : visits_[w]) {
      const std::size_t s = demand_[v.endpoint].service;
      if (v.count > 0 && last_workload[s] != w) {
        last_workload[s] = w;
        ++workloads_visiting_[s];
      }
    }
  }
}

/// Solves the traffic equations of workload `w` over the endpoints it
/// reaches (found breadth first along calls_), with Eigen's SparseLU: a
/// direct solver, so no tolerance or iteration count to choose, which takes
/// any invertible set of equations (a publish loop makes it
/// non-triangular) and, under its COLAMD ordering, fills in next to nothing
/// for a call graph (none for a tree or a chain). `local` maps an endpoint to its row in the
/// reduced system; it is all -1 on entry and on return.
void Analyzer::solve_visits(std::size_t w, std::vector<std::ptrdiff_t>& local) {
  std::vector<std::size_t> reached{endpoint_id(m_.workloads[w].entry)};
  local[reached.front()] = 0;
  for (std::size_t i = 0; i < reached.size(); ++i) {
    for (decltype(calls_)::InnerIterator it(calls_, static_cast<Eigen::Index>(reached[i])); it;
         ++it) {
      const auto to = static_cast<std::size_t>(it.col());
      if (local[to] < 0) {
        local[to] = static_cast<std::ptrdiff_t>(reached.size());
        reached.push_back(to);
      }
    }
  }
  std::sort(reached.begin(), reached.end());  // endpoint order, as the results list them
  for (std::size_t i = 0; i < reached.size(); ++i) {
    local[reached[i]] = static_cast<std::ptrdiff_t>(i);
  }
  const auto r = static_cast<Eigen::Index>(reached.size());
  std::vector<Eigen::Triplet<double>> entries;
  for (std::size_t i = 0; i < reached.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    entries.emplace_back(row, row, 1.0);
    for (decltype(calls_)::InnerIterator it(calls_, static_cast<Eigen::Index>(reached[i])); it;
         ++it) {
      entries.emplace_back(static_cast<Eigen::Index>(local[static_cast<std::size_t>(it.col())]),
                           row, -it.value());
    }
  }
  Eigen::SparseMatrix<double> equations(r, r);  // I - P^T over the reached endpoints
  equations.setFromTriplets(entries.begin(), entries.end());
  Eigen::VectorXd entry = Eigen::VectorXd::Zero(r);
  entry(static_cast<Eigen::Index>(local[endpoint_id(m_.workloads[w].entry)])) = 1;
  Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
  lu.compute(equations);
  Eigen::VectorXd visits;
  if (lu.info() == Eigen::Success) {
    visits = lu.solve(entry);
  }
  for (const std::size_t e : reached) {
    local[e] = -1;
  }
  // Only a publish loop can close a cycle (synchronous cycles are model
  // errors); one that multiplies messages has no finite, non-negative solution.
  const bool finite = lu.info() == Eigen::Success && visits.size() == r && visits.allFinite() &&
                      (visits.array() >= -1e-9).all() &&
                      (equations * visits - entry).cwiseAbs().maxCoeff() < 1e-6;
  if (!finite) {
    throw std::runtime_error(
        "the traffic grows without bound: a publish loop sends on as many messages as it "
        "receives, or more, so no service has a finite arrival rate");
  }
  auto& out = visits_[w];
  out.reserve(reached.size());
  for (std::size_t i = 0; i < reached.size(); ++i) {
    out.push_back(Visit{reached[i], std::max(0.0, visits(static_cast<Eigen::Index>(i)))});
  }
}

// ---------------------------------------------------------------- Evaluation

Analyzer::Evaluation::Evaluation(const Analyzer& a, const std::vector<double>& rates)
    : a_(a),
      endpoint_rps_(a.endpoints_.size(), 0.0),
      queue_rps_(a.m_.queues.size(), 0.0),
      stations_(a.m_.services.size()),
      program_(a.endpoints_.size(), 0.0),
      program_state_(a.endpoints_.size(), State::unknown),
      pool_state_(a.m_.services.size(), State::unknown) {
  for (std::size_t w = 0; w < rates.size(); ++w) {
    for (const Visit& v : a.visits_[w]) {
      endpoint_rps_[v.endpoint] += rates[w] * v.count;
    }
  }
  for (std::size_t e = 0; e < endpoint_rps_.size(); ++e) {
    const auto& d = a.demand_[e];
    Station& st = stations_[d.service];
    st.arrival_rps += endpoint_rps_[e];
    st.offered_cores += endpoint_rps_[e] * d.cpu_s;
    for (const Publish& p : d.publishes) {
      queue_rps_[p.queue] += endpoint_rps_[e] * p.per_visit;
    }
  }
  for (std::size_t s = 0; s < stations_.size(); ++s) {
    const model::Service& svc = a.m_.services[s];
    Station& st = stations_[s];
    if (svc.external.value) {
      continue;  // its load needs the response times: settle_worker_pool
    }
    const auto& cpu = svc.pod.cpu;
    const double cores = cpu.is_cfs ? cpu.limit.value : cpu.cores.value;
    const double workers = svc.pod.workers ? static_cast<double>(svc.pod.workers->value) : infinity;
    const auto replicas = static_cast<double>(svc.replicas.value);
    st.cpu_servers = std::min(workers, cores);
    st.has_worker_pool = std::isfinite(workers) && !a.cpu_only_worker_[s];
    if (!(st.offered_cores > 0)) {
      continue;
    }
    if (replicas < 1) {
      st.utilization = st.cpu_load = st.cpu_stretch = st.load = infinity;
      continue;
    }
    const double per_pod = st.offered_cores / replicas;
    st.utilization = per_pod / cores;
    st.cpu_load = per_pod / st.cpu_servers;
    st.cpu_stretch = mean_in_system(per_pod, st.cpu_servers) / per_pod;
    st.load = st.cpu_load;
  }
  for (std::size_t s = 0; s < stations_.size(); ++s) {
    settle_worker_pool(s);
  }
}

/// The worker pool of a thread-per-request pod (an M/M/w station whose
/// service time is the whole time a visit holds its worker), or the
/// concurrency of an external service (requests in progress over the limit).
void Analyzer::Evaluation::settle_worker_pool(std::size_t s) {
  const model::Service& svc = a_.m_.services[s];
  Station& st = stations_[s];
  if (pool_state_[s] != State::unknown) {
    return;
  }
  pool_state_[s] = State::busy;
  if ((st.has_worker_pool || svc.external.value) && st.arrival_rps > 0) {
    double held = 0;
    const std::size_t first = a_.first_endpoint_[s];
    for (std::size_t i = 0; i < svc.endpoints.size(); ++i) {
      const std::size_t e = first + i;
      if (endpoint_rps_[e] > 0) {
        held += endpoint_rps_[e] * response_s(e);
      }
    }
    st.holding_s = held / st.arrival_rps;
    if (svc.external.value) {
      if (svc.concurrency) {
        st.utilization = st.load =
            st.arrival_rps * st.holding_s / static_cast<double>(svc.concurrency->value);
      }
    } else {
      const auto workers = static_cast<double>(svc.pod.workers->value);
      const auto replicas = static_cast<double>(svc.replicas.value);
      const double per_pod = st.arrival_rps / replicas;
      st.worker_load = per_pod * st.holding_s / workers;
      st.worker_wait_s = st.worker_load < 1
                             ? mean_response_time(per_pod, st.holding_s, workers) - st.holding_s
                             : infinity;
      st.load = std::max(st.load, st.worker_load);
    }
  }
  pool_state_[s] = State::known;
}

double Analyzer::Evaluation::response_s(std::size_t e) {
  const std::size_t s = a_.demand_[e].service;
  if (program_state_[e] == State::unknown) {
    find_program(e);
  }
  // A call back into the same service while its pool is being settled counts
  // no wait for a worker (the pool's own holding time is what is being found).
  settle_if_unknown(s);
  const Station& st = stations_[s];
  const double wait = st.has_worker_pool && pool_state_[s] == State::known ? st.worker_wait_s : 0;
  return wait + program_[e];
}

/// Appends the endpoints `steps` call, in the order program_s asks for their
/// response times (steps that never run, branch arms of p 0 and the misses of
/// a cache that always hits are skipped, as there).
void Analyzer::callees(const std::vector<Step>& steps, std::vector<std::size_t>& out) const {
  for (const Step& step : steps) {
    if (!(runs(step) > 0)) {
      continue;
    }
    switch (step.kind) {
      case StepKind::call:
        out.push_back(endpoint_id(step.call));
        break;
      case StepKind::parallel:
        callees(step.children, out);  // program_s's test of runs() is step_s's here
        break;
      case StepKind::branch:
        for (const auto& arm : step.arms) {
          if (arm.p.value > 0) {
            callees(arm.steps, out);
          }
        }
        break;
      case StepKind::cache:
        if (miss_ratio_[step.target_id] > 0) {
          callees(step.children, out);
        }
        break;
      default:
        break;
    }
  }
}

/// Finds program_[root] and that of every endpoint below it not yet known,
/// callees first, with a stack of its own rather than the call stack, so a
/// chain of 100,000 calls does not overflow it. The order of work is the one
/// the plain recursion (program_s asking response_s of each callee in turn)
/// would follow: each endpoint's program once its callees' are known, then
/// its service's worker pool; an endpoint on the way down counts as busy.
void Analyzer::Evaluation::find_program(std::size_t root) {
  struct Frame {
    std::size_t endpoint;
    std::vector<std::size_t> callees;
    std::size_t next = 0;
  };
  std::vector<Frame> stack;
  auto enter = [&](std::size_t e) {
    program_state_[e] = State::busy;
    Frame frame{e, {}, 0};
    a_.callees(a_.endpoints_[e]->steps, frame.callees);
    stack.push_back(std::move(frame));
  };
  enter(root);
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next < top.callees.size()) {
      const std::size_t callee = top.callees[top.next++];
      if (program_state_[callee] == State::unknown) {
        enter(callee);  // invalidates `top`
      } else {
        settle_if_unknown(a_.demand_[callee].service);
      }
      continue;
    }
    const std::size_t e = top.endpoint;
    stack.pop_back();
    program_[e] = program_s(a_.endpoints_[e]->steps, a_.demand_[e].service);
    program_state_[e] = State::known;
    if (!stack.empty()) {
      settle_if_unknown(a_.demand_[e].service);  // the root's: response_s's own
    }
  }
}

double Analyzer::Evaluation::program_s(const std::vector<Step>& steps, std::size_t service) {
  double total = 0;
  for (const Step& step : steps) {
    if (const double r = runs(step); r > 0) {
      total += r * step_s(step, service);
    }
  }
  return total;
}

/// The mean time of one run of `step` at `service`. A request that succeeds
/// passed every `fail` step, so those take no time and change nothing.
double Analyzer::Evaluation::step_s(const Step& step, std::size_t service) {
  switch (step.kind) {
    case StepKind::cpu: {
      const double demand = mean_s(step.dist);
      return demand > 0 ? demand * stations_[service].cpu_stretch : 0.0;
    }
    case StepKind::delay:
      return mean_s(step.dist);
    case StepKind::batch:  // at its best: a batch of one, served at once
      return mean_s(step.batch.fixed) + mean_s(step.batch.per_item);
    case StepKind::call:
      return a_.round_trip_s(service, step.call.service_id) + response_s(a_.endpoint_id(step.call));
    case StepKind::parallel: {
      std::vector<double> children;
      for (const Step& child : step.children) {
        if (const double r = runs(child); r > 0) {
          children.push_back(r * step_s(child, service));
        }
      }
      return expected_max_of_exponentials(children);
    }
    case StepKind::branch: {
      double total = 0;
      for (const auto& arm : step.arms) {
        if (arm.p.value > 0) {
          total += arm.p.value * program_s(arm.steps, service);
        }
      }
      return total;
    }
    case StepKind::cache: {
      const model::Cache& cache = a_.m_.caches[step.target_id];
      const double lookup = cache.lookup ? mean_s(*cache.lookup) : 0.0;
      const double miss = a_.miss_ratio_[step.target_id];
      return lookup + (miss > 0 ? miss * program_s(step.children, service) : 0.0);
    }
    case StepKind::publish:
    case StepKind::fail:
      return 0;
  }
  return 0;
}

/// A queue with `partitions` consumers: an M/M/c station whose service is
/// one call of the consumer endpoint. At most `partitions` messages are
/// consumed at once, and where to they go decides how they queue:
/// - `random` balancing: each pod gets its Poisson share and queues as an
///   open station (response_s), the partitions a pool on top. Exact for the
///   pods; it calls a queue saturated that random placement cannot drain.
/// - `round_robin` and `least_request` spread the partitions' messages over
///   the pods: taken as one pool of CPU servers. The consumer's own
///   queueing (response_s's CPU stretch and worker wait, worked out for an
///   open stream at the queue's rate) would count the same waiting twice,
///   so the station's service is the consumer's time alone, and the larger
///   of two bounds is taken: the partitions as servers of that time
///   (exact when the consumer waits rather than computes), and its CPU as
///   an M/M/K of the pods' K CPU servers with the rest as a delay (exact
///   when it only computes).
double Analyzer::Evaluation::queue_mean_s(std::size_t q) {
  const model::Queue& queue = a_.m_.queues[q];
  const std::size_t consumer = a_.endpoint_id(queue.consumer);
  const double partitions = static_cast<double>(queue.partitions.value);
  const double rps = queue_rps_[q];
  const double consume = response_s(consumer);
  const std::size_t s = a_.demand_[consumer].service;
  const model::Service& svc = a_.m_.services[s];
  if (svc.external.value || svc.balancer.value == model::BalancerKind::random) {
    return mean_response_time(rps, consume, partitions);
  }
  const Station& st = stations_[s];
  if (!(st.cpu_load < 1)) {
    return infinity;  // its cores cannot keep up with the messages
  }
  const double cpu = a_.demand_[consumer].cpu_s;
  const double wait = st.has_worker_pool && pool_state_[s] == State::known ? st.worker_wait_s : 0;
  const double alone = std::max(consume - wait - cpu * (st.cpu_stretch - 1), cpu);
  const double cpu_servers = static_cast<double>(svc.replicas.value) * st.cpu_servers;
  const double as_partitions = mean_response_time(rps, alone, partitions);
  const double as_cores = alone - cpu + mean_response_time(rps, cpu, cpu_servers);
  return std::max(as_partitions, as_cores);
}

// ------------------------------------------------------------- rates, notes

/// The rate each workload's estimates are for: the peak of a schedule or a
/// burst, a trace's mean rate, and for closed workloads the fixed point
/// X = N / (Z + R(X)), R the path's mean at X, found by bisection for each
/// closed workload in turn until no rate moves.
void Analyzer::find_rates() {
  std::vector<std::size_t> closed;
  for (std::size_t w = 0; w < m_.workloads.size(); ++w) {
    const model::Workload& wl = m_.workloads[w];
    double rate = 0;
    switch (wl.kind) {
      case model::WorkloadKind::open:
        if (wl.schedule.empty()) {
          rate = wl.rate ? wl.rate->value : 0.0;
        } else {
          for (const auto& point : wl.schedule) {
            rate = std::max(rate, point.rate.value);
          }
        }
        if (wl.bursts) {
          rate *= wl.bursts->factor.value;
        }
        break;
      case model::WorkloadKind::trace: {
        const double span = wl.trace.empty() ? 0.0 : seconds(wl.trace.back());
        const double run = seconds(m_.simulation.warmup.value + m_.simulation.duration.value);
        rate = static_cast<double>(wl.trace.size()) / (span > 0 ? span : run);
        break;
      }
      case model::WorkloadKind::closed:
        closed.push_back(w);
        break;
    }
    rates_.push_back(rate);
  }
  constexpr int max_sweeps = 100;
  constexpr int bisections = 100;
  for (int sweep = 0; sweep < max_sweeps && !closed.empty(); ++sweep) {
    double moved = 0;
    for (std::size_t w : closed) {
      const model::Workload& wl = m_.workloads[w];
      const double users = static_cast<double>(wl.users ? wl.users->value : 0);
      const double think = wl.think ? mean_s(*wl.think) : 0.0;
      // f(X) = X (Z + R(X)) - N grows with X: R does.
      auto excess = [&](double x) {
        std::vector<double> rates = rates_;
        rates[w] = x;
        Evaluation at(*this, rates);
        return x * (think + at.workload_mean_s(w)) - users;
      };
      double lo = 0;
      double hi = std::max(1.0, rates_[w]);
      while (excess(hi) < 0 && hi < 1e15) {
        hi *= 2;
      }
      for (int i = 0; i < bisections && hi - lo > 1e-12 * hi; ++i) {
        const double mid = (lo + hi) / 2;
        (excess(mid) < 0 ? lo : hi) = mid;
      }
      const double x = (lo + hi) / 2;
      moved = std::max(moved, std::abs(x - rates_[w]) / std::max(x, 1e-300));
      rates_[w] = x;
    }
    if (moved < 1e-10) {
      break;
    }
  }
}

void Analyzer::add_notes() {
  note_call_policies();
  note_caches_and_queues();
  note_services();
  // Nothing approximated so far: a closed workload that shares no service
  // with another is a closed product-form network of its own, which exact
  // mean value analysis solves (no note needed).
  exact_closed_mean_s_.assign(m_.workloads.size(), std::nullopt);
  for (std::size_t w = 0; w < m_.workloads.size() && notes_.empty(); ++w) {
    solve_closed_exactly(w);
  }
  note_workloads();
}

/// A closed workload `w` that shares no service with another workload, in a
/// model that needs no approximation otherwise (every station processor
/// sharing, a delay, or FIFO with exponential CPU), is a closed product-form
/// network of its own: exact MVA gives its throughput and mean. The queueing
/// stations are the pods' CPUs (each with 1/replicas of its service's
/// visits); everything else a request does at zero load beyond CPU (delay
/// steps, the network, cache lookups) is a pure delay, added to the think
/// time. False, changing nothing, where MVA does not apply: a station shared
/// with another workload, or a pod whose c = min(workers, cores) is
/// fractional above 1.
bool Analyzer::solve_closed_exactly(std::size_t w) {
  const model::Workload& wl = m_.workloads[w];
  if (wl.kind != model::WorkloadKind::closed) {
    return false;
  }
  const std::uint64_t users = wl.users ? static_cast<std::uint64_t>(wl.users->value) : 0;
  const double think = wl.think ? mean_s(*wl.think) : 0.0;
  Evaluation at_rest(*this, std::vector<double>(m_.workloads.size(), 0.0));
  std::vector<MvaStation> stations;
  double cpu_s = 0;  // CPU per request: the time of its queueing stations when alone
  // Per service, the CPU demand per request and whether w visits it, from the
  // endpoints w reaches (in endpoint order, so services come in model order).
  std::vector<std::pair<std::size_t, double>> visited;  // (service, demand)
  for (const Visit& v : visits_[w]) {
    const std::size_t s = demand_[v.endpoint].service;
    if (visited.empty() || visited.back().first != s) {
      visited.emplace_back(s, 0.0);
    }
    if (v.count > 0 && workloads_visiting_[s] > 1) {
      return false;  // a station shared with another workload: two classes
    }
    visited.back().second += v.count * demand_[v.endpoint].cpu_s;
  }
  for (const auto& [s, demand] : visited) {
    if (!(demand > 0) || m_.services[s].external.value) {
      continue;
    }
    const double c = at_rest.stations()[s].cpu_servers;
    const auto replicas = static_cast<double>(m_.services[s].replicas.value);
    if (c > 1 && c != std::floor(c)) {
      return false;  // 1.5 cores: neither one server nor several whole ones
    }
    // Below one core the pod is one server that slow (its request runs at c).
    stations.push_back(c < 1 ? MvaStation{demand / replicas / c, 1, replicas}
                             : MvaStation{demand / replicas, c, replicas});
    cpu_s += demand;
  }
  const double alone = at_rest.workload_mean_s(w);
  const double delay = think + std::max(0.0, alone - cpu_s);
  const MvaResult exact = mean_value_analysis(stations, delay, users);
  rates_[w] = exact.throughput;
  exact_closed_mean_s_[w] = users > 0 ? exact.response + (delay - think) : alone;
  return true;
}

/// Client policies on calls and workloads, failures, fork-join and the network.
void Analyzer::note_call_policies() {
  struct Count {
    int timeout = 0, retry = 0, refusing = 0, hedge = 0, deadline = 0, fail = 0, parallel = 0;
    void add(const model::CallPolicy& p) {
      timeout += p.timeout.has_value();
      retry += p.retry.has_value();
      hedge += p.hedge.has_value();
      refusing += p.circuit_breaker.has_value() + p.bulkhead.has_value() + p.throttle.has_value();
      deadline += p.deadline && p.deadline->value == model::DeadlineMode::propagate;
    }
  } count;
  auto walk = [&](auto&& self, const std::vector<Step>& steps) -> void {
    for (const Step& step : steps) {
      count.add(step.policy);
      count.fail += step.kind == StepKind::fail;
      count.parallel += step.kind == StepKind::parallel;
      self(self, step.children);
      for (const auto& arm : step.arms) {
        self(self, arm.steps);
      }
    }
  };
  for (const auto* e : endpoints_) {
    walk(walk, e->steps);
  }
  for (const auto& w : m_.workloads) {
    count.add(w.policy);
  }
  auto sites = [](int n) { return fmt::format("{} call site{}", n, n == 1 ? "" : "s"); };
  const std::pair<int, std::string_view> unmodelled[] = {
      {count.retry, "retries are not modelled: every call counts once ({} with `retry`)"},
      {count.timeout,
       "timeouts are not modelled: every call waits for its answer ({} with `timeout`)"},
      {count.hedge, "hedging is not modelled: every call counts once ({} with `hedge`)"},
      {count.refusing,
       "circuit breakers, bulkheads and retry throttles are not modelled: no call is refused "
       "({})"}};
  for (const auto& [n, text] : unmodelled) {
    if (n > 0) {
      note(fmt::format(fmt::runtime(text), sites(n)));
    }
  }
  if (count.deadline > 0 || m_.simulation.deadlines.value == model::DeadlineMode::propagate) {
    note("deadline propagation is not modelled: no request is dropped");
  }
  bool lossy = m_.network.default_loss.value > 0;
  for (const auto& l : m_.network.links) {
    lossy = lossy || (l.loss && l.loss->value > 0);
  }
  if (lossy) {
    note("network loss is not modelled: every message arrives");
  }
  if (count.fail > 0) {
    note(
        "`fail` steps make the steps after them run less often, but a failed call does not end "
        "its caller's request early here");
  }
  if (count.parallel > 0) {
    note(
        "parallel steps: the slowest child is estimated as the maximum of independent "
        "exponentials with the children's means: a little above the exact fork-join mean of "
        "exponential stations (Nelson and Tantawi 1988), below it for heavier tails");
  }
}

void Analyzer::note_caches_and_queues() {
  for (std::size_t c = 0; c < m_.caches.size(); ++c) {
    const model::Cache& cache = m_.caches[c];
    if (cache.hit_ratio) {
      continue;
    }
    if (has_uniform_key_model(cache)) {
      note(
          fmt::format("cache '{}': hit ratio {:.3g}% = capacity / keys, an LRU's under uniform "
                      "keys once warm; cold starts are not modelled",
                      cache.name.value, 100 * (1 - miss_ratio_[c])));
    } else {
      note(
          fmt::format("cache '{}': its hit ratio cannot be estimated (Zipf keys or a ttl), so "
                      "every lookup counts as a miss",
                      cache.name.value));
    }
  }
  for (const auto& q : m_.queues) {
    if (q.capacity || (q.redelivery && q.redelivery->attempts.value > 1)) {
      note(fmt::format("queue '{}': rejected publishes and redeliveries are not modelled",
                       q.name.value));
    }
  }
}

/// Pods and external services: limits the analysis ignores, and its
/// approximations of worker pools, balancing and FIFO stations.
void Analyzer::note_services() {
  bool uneven_balancing = false;
  for (std::size_t index = 0; index < m_.services.size(); ++index) {
    const model::Service& s = m_.services[index];
    const std::string& name = s.name.value;
    if (s.external.value) {
      if (s.concurrency) {
        note(
            fmt::format("service '{}': calls beyond its concurrency ({}) are rejected; the "
                        "estimates count them as served",
                        name, s.concurrency->value));
      }
      continue;
    }
    uneven_balancing = uneven_balancing ||
                       (s.replicas.value > 1 && s.balancer.value != model::BalancerKind::random);
    if (s.replicas.value < 1) {
      note(
          fmt::format("service '{}' has no replicas: calls to it fail as unavailable; the "
                      "estimates show it saturated",
                      name));
    }
    if (s.pod.queue || s.pod.queue_timeout) {
      note(
          fmt::format("service '{}': rejections by its pod queue's limit or queue_timeout are "
                      "not modelled",
                      name));
    }
    if (s.pod.memory) {
      note(
          fmt::format("service '{}': its memory is not modelled: OOM kills and evictions, which "
                      "fail requests and take pods away, are left out of the estimates",
                      name));
    }
    if (has_batch_step(s)) {
      note(
          fmt::format("service '{}': its batching is not modelled: the estimates take each batch "
                      "step at its best (no wait for a batch to fill, a batch of one's time, "
                      "CPU shared by full batches)",
                      name));
    }
    if (s.pod.gc) {
      note(
          fmt::format("service '{}': its GC pauses are not modelled: the estimates leave out "
                      "the time requests wait for them",
                      name));
    }
    if (s.pod.cpu.is_cfs) {
      note(
          fmt::format("service '{}': its CFS quota counts as {:g} cores of capacity; throttling "
                      "within a period is not modelled",
                      name, s.pod.cpu.limit.value));
    }
    if (!s.pod.workers) {
      continue;  // processor sharing: the mean holds for any CPU demand
    }
    if (!cpu_only_worker_[index]) {
      note(
          fmt::format("service '{}': thread-per-request with {} workers: the wait for a worker "
                      "is M/M/c with the whole time a request holds its worker as service time",
                      name, s.pod.workers->value));
    } else if (!has_exponential_cpu(s)) {
      note(
          fmt::format("service '{}': requests wait for a worker in FIFO order and its CPU "
                      "demand is not exponential: M/M/c is an approximation there",
                      name));
    }
  }
  if (uneven_balancing) {
    note(
        "every pod is taken to receive an equal Poisson share of its service's traffic: exact "
        "for `random` balancing; round_robin and least_request spread it more evenly, so the "
        "queueing part of the estimates is pessimistic (for 2 pods at load 0.5, 2.0 x the "
        "service time instead of 1.62)");
  }
  for (const auto& a : m_.autoscalers) {
    const model::Service& s = m_.services[a.service_id];
    note(
        fmt::format("autoscaler '{}': service '{}' is estimated at its {} replicas; scaling is "
                    "not modelled",
                    a.name.value, s.name.value, s.replicas.value));
  }
  if (m_.cluster) {
    note(
        "the cluster's nodes are not modelled: every pod is taken as placed, with its cores "
        "to itself (no contention for the node's cores, no neighbours)");
  }
  if (!m_.faults.empty()) {
    note(fmt::format("faults are not modelled ({} in the model)", m_.faults.size()));
  }
}

/// The rate each workload is estimated at, where it is not simply its `rate`.
void Analyzer::note_workloads() {
  for (std::size_t w = 0; w < m_.workloads.size(); ++w) {
    const model::Workload& wl = m_.workloads[w];
    const std::string& name = wl.name.value;
    switch (wl.kind) {
      case model::WorkloadKind::open:
        if (!wl.schedule.empty()) {
          note(fmt::format("workload '{}': the estimates are for its peak scheduled rate, {:g}/s",
                           name, rates_[w] / (wl.bursts ? wl.bursts->factor.value : 1.0)));
        }
        if (wl.bursts) {
          note(
              fmt::format("workload '{}': the estimates are for its rate during a burst "
                          "(x{:g}), {:g}/s",
                          name, wl.bursts->factor.value, rates_[w]));
        }
        if (wl.arrivals.value == model::ArrivalProcess::uniform) {
          note(
              fmt::format("workload '{}': evenly spaced arrivals are taken as Poisson, so the "
                          "estimates are pessimistic",
                          name));
        }
        break;
      case model::WorkloadKind::trace:
        note(fmt::format("workload '{}': the trace is taken as Poisson at its mean rate, {:.4g}/s",
                         name, rates_[w]));
        break;
      case model::WorkloadKind::closed:
        if (exact_closed_mean_s_[w]) {
          break;  // exact MVA: nothing approximated
        }
        note(
            fmt::format("workload '{}' is closed ({} users): its rate {:.4g}/s solves "
                        "X = N / (Z + R(X)) with R the open network's mean at X, not mean value "
                        "analysis: near saturation the rate is a few percent low",
                        name, wl.users ? wl.users->value : 0, rates_[w]));
        break;
    }
  }
}

Analysis Analyzer::run(const AnalyzeOptions& options) {
  solve_traffic();
  find_rates();
  add_notes();

  Analysis out;
  out.notes = notes_;
  Evaluation at(*this, rates_);
  double worst = 0;
  for (std::size_t s = 0; s < m_.services.size(); ++s) {
    const Station& st = at.stations()[s];
    ServiceEstimate e;
    e.name = m_.services[s].name.value;
    e.is_external = m_.services[s].external.value;
    e.arrival_rps = st.arrival_rps;
    e.utilization = st.utilization;
    e.load = st.load;
    e.cpu_servers = st.cpu_servers;
    e.cpu_stretch = st.cpu_stretch;
    if (st.has_worker_pool) {
      e.worker_wait_s = st.worker_wait_s;
      e.worker_load = st.worker_load;
    }
    if (st.load > worst) {
      worst = st.load;
      out.bottleneck = s;
    }
    out.services.push_back(std::move(e));
  }
  for (std::size_t w = 0; w < m_.workloads.size(); ++w) {
    PathEstimate p;
    p.name = m_.workloads[w].name.value;
    p.rate_rps = rates_[w];
    p.mean_s = exact_closed_mean_s_[w] ? *exact_closed_mean_s_[w] : at.workload_mean_s(w);
    if (options.max_rates) {
      p.max_rps = max_rate(w);
    }
    out.paths.push_back(std::move(p));
  }
  for (std::size_t q = 0; q < m_.queues.size(); ++q) {
    PathEstimate p;
    p.name = m_.queues[q].name.value;
    p.is_queue = true;
    p.rate_rps = at.queue_rate(q);
    p.mean_s = at.queue_mean_s(q);
    out.paths.push_back(std::move(p));
  }
  return out;
}

/// The largest rate of workload `w`, the others unchanged, at which every
/// service that is not saturated without `w` keeps a load below 1: by
/// doubling, then bisection (every load grows with the rate). 0 when a
/// service it visits is saturated without it.
double Analyzer::max_rate(std::size_t w) const {
  std::vector<double> rates = rates_;
  rates[w] = 0;
  const Evaluation without(*this, rates);
  for (const Visit& v : visits_[w]) {
    if (v.count > 0 && without.stations()[demand_[v.endpoint].service].is_saturated()) {
      return 0;
    }
  }
  auto fits = [&](double x) {
    rates[w] = x;
    const Evaluation at(*this, rates);
    for (std::size_t s = 0; s < m_.services.size(); ++s) {
      if (!without.stations()[s].is_saturated() && at.stations()[s].is_saturated()) {
        return false;
      }
    }
    return true;
  };
  constexpr double unlimited = 1e15;
  double lo = 0;
  double hi = std::max(1.0, rates_[w]);
  while (fits(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > unlimited) {
      return infinity;
    }
  }
  // Down to adjacent doubles: `hi` is then the first rate that saturates,
  // the supremum of those that do not (500 exactly, not 499.99999999998).
  for (double mid = (lo + hi) / 2; mid > lo && mid < hi; mid = (lo + hi) / 2) {
    (fits(mid) ? lo : hi) = mid;
  }
  return lo > 0 ? hi : 0.0;  // no positive rate fits (a service without replicas)
}

}  // namespace

bool Analysis::is_analytic_regime() const {
  return notes.empty() && std::none_of(services.begin(), services.end(),
                                       [](const ServiceEstimate& s) { return s.is_saturated(); });
}

Analysis analyze(const model::Model& model, AnalyzeOptions options) {
  return Analyzer(model).run(options);
}

}  // namespace tailsim::analytic
