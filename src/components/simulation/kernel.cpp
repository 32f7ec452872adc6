// The hot unit: the constructor, the run loop and its one switch over the
// event kinds, and the handlers every request takes (workloads, calls and
// their attempts, requests and workers, step programs, CPU), so that the
// compiler inlines them into the loop. A mechanism most runs do not use
// belongs in a cold unit of its own (kernel.hpp lists them).

#include "kernel.hpp"

#include <map>

namespace tailsim::components::sim {

template <bool Observe>
Simulation<Observe>::Simulation(const plan::Plan& plan, const RunLimits& limits,
                                std::unique_ptr<Observation> observe)
    : plan_(plan),
      limits_(limits),
      window_start_(Time{} + plan.warmup),
      window_end_(Time{} + plan.warmup + plan.duration),
      end_(Time{} + plan.warmup + plan.duration + plan.drain),
      recorder_(window_start_, window_end_, plan.workloads.size() + plan.queues.size(),
                plan.services.size(), plan.edges.size(), plan.caches.size()),
      event_limit_(limits.max_events == 0 ? std::numeric_limits<std::uint64_t>::max()
                                          : limits.max_events),
      series_(plan.workloads.size(), window_start_, window_end_),
      obs_(std::move(observe)) {
  if (limits.interval_tallies) {
    recorder_.keep_interval_tallies();
  }
  if (obs_) {
    obs_->all.resize(plan.workloads.size() + plan.queues.size());
    obs_->slowest.resize(plan.workloads.size() + plan.queues.size());
  }
  streams_.reserve(plan.streams.size());
  stream_names_.reserve(plan.streams.size());
  for (const auto& [component, purpose] : plan.streams) {
    streams_.push_back(engine::RandomStream::derive(plan.seed, component, purpose));
    // Finalised once here: site_key XORs the name into a key, and the FNV-1a
    // keys of neighbouring names (`page/1`, `page/2`) differ in a few bits.
    stream_names_.push_back(
        engine::RandomStream::mix_key(engine::RandomStream::name_key(component, purpose), 0));
  }
  request_root_ = engine::RandomStream::mix_key(plan.seed, 0x7265717565737473ULL);  // "requests"
  workload_roots_.reserve(plan.workloads.size());
  for (const plan::Workload& w : plan.workloads) {
    workload_roots_.push_back(
        engine::RandomStream::mix_key(request_root_, stream_names_[w.stream]));
  }
  // An attempt's timeout comes a fixed delay after it starts: the timeouts of
  // one duration are in order already and wait in a lane of the event queue.
  std::map<Duration, std::uint32_t> lanes;
  timeout_lane_.reserve(plan.policies.size());
  for (const plan::CallPolicy& policy : plan.policies) {
    if (policy.timeout <= Duration::zero()) {
      timeout_lane_.push_back(no_lane);
      continue;
    }
    const auto [it, added] = lanes.try_emplace(policy.timeout, 0);
    if (added) {
      it->second = event_queue_.add_lane();
    }
    timeout_lane_.push_back(it->second);
  }
  if (plan.cluster) {
    cluster_.nodes.assign(plan.cluster->nodes, new_node(*plan.cluster));
    recorder_.cluster_start(plan.cluster->nodes, plan.cluster->scale_down.has_value());
    cluster_.shares_cores = true;
    for (Id n = 0; n < cluster_.nodes.size(); ++n) {
      start_node(n);
    }
    for (Id s = 0; s < plan.services.size(); ++s) {
      if (!plan.services[s].external) {
        recorder_.track_contention(s);
      }
    }
  }
  for (const plan::QueueSpec& queue : plan.queues) {
    recorder_.add_queue(queue.name);
  }
  fleet_.services.resize(plan.services.size());
  // The pods a model starts with are made here, before any event: a budget
  // they would outgrow stops the run now, before they take the memory.
  std::uint64_t initial_pods = 0;
  for (const plan::Service& svc : plan.services) {
    initial_pods += svc.external ? 0 : svc.replicas;
  }
  if (LiveWork initial{.platform = initial_pods * pod_bytes};
      limits_.max_memory_bytes != 0 && initial.total() > limits_.max_memory_bytes) {
    stop_reason_ = memory_stop_reason(initial, limits_.max_memory_bytes);
  } else {
    fleet_.pods.reserve(initial_pods);
  }
  for (Id s = 0; s < plan.services.size() && stop_reason_.empty(); ++s) {
    const plan::Service& svc = plan.services[s];
    if (svc.external) {
      continue;
    }
    if (svc.gc_every != no_id) {
      recorder_.track_gc(s);  // gc.cpp's pauses get a time series
    }
    if (svc.gpus > 0) {
      recorder_.track_gpus(s);  // batching.cpp's GPU time gets one
    }
    fleet_.services[s].cores = svc.cfs ? svc.limit : svc.cores;
    if (!svc.async && svc.workers > 0) {
      fleet_.services[s].start_below = svc.workers;
    }
    fleet_.services[s].desired = static_cast<std::int32_t>(svc.replicas);
    for (std::uint32_t r = 0; r < svc.replicas; ++r) {
      create_pod(s, /*is_initial=*/true, svc.startup_stream);
    }
  }
  for (Id f = 0; f < plan.faults.size(); ++f) {
    schedule(plan.faults[f].at, EventKind::fault_start, f);
    if (plan.faults[f].until != Time::max()) {
      schedule(plan.faults[f].until, EventKind::fault_end, f);
    }
  }
  clients_.workloads.resize(plan.workloads.size());
  brokers_.queues.resize(plan.queues.size());
  caches_.shared.resize(plan.caches.size());
  for (const auto& cache : plan.caches) {
    caches_.zipf.emplace_back();
    if (cache.hit_ratio < 0 && cache.zipf > 0) {
      caches_.zipf.back().emplace(cache.keys, cache.zipf);
    }
  }
  for (const auto& policy : plan.policies) {
    calls_.can_abandon = calls_.can_abandon || policy.timeout > Duration::zero() ||
                         policy.hedge_max > 0 || policy.propagate_deadline;
  }
  calls_.edges.resize(plan.edges.size());
  auto may_amplify = [&](Id edge, Id policy) {
    if (edge != no_id && policy != no_id &&
        (plan.policies[policy].attempts > 1 || plan.policies[policy].hedge_max > 0) &&
        !calls_.edges[edge].counts_attempts) {
      calls_.edges[edge].counts_attempts = true;
      recorder_.track_edge(edge);
    }
  };
  for (const plan::CallSite& site : plan.call_sites) {
    may_amplify(site.edge, site.policy);
  }
  for (const plan::Workload& w : plan.workloads) {
    may_amplify(w.edge, w.policy);
  }
  for (Id e = 0; e < plan.edges.size(); ++e) {
    if (plan.edges[e].breaker != no_id) {
      calls_.edges[e].breaker.emplace(plan.breakers[plan.edges[e].breaker]);
    }
  }
}

// ----------------------------------------------------------------- workloads

template <bool Observe>
void Simulation<Observe>::start_workloads() {
  for (Id w = 0; w < plan_.workloads.size(); ++w) {
    const plan::Workload& wl = plan_.workloads[w];
    switch (wl.kind) {
      case plan::WorkloadKind::open:
        clients_.workloads[w].schedule.emplace(wl.schedule);
        if (wl.has_bursts) {
          const Duration gap = plan_.distributions[wl.burst_gap].sample(streams_[wl.burst_stream]);
          schedule(now_ + gap, EventKind::burst_toggle, w);
        }
        schedule_next_arrival(w);
        break;
      case plan::WorkloadKind::closed:
        for (std::uint32_t u = 0; u < wl.users; ++u) {
          const Duration think =
              wl.think == no_id ? Duration{0}
                                : plan_.distributions[wl.think].sample(streams_[wl.think_stream]);
          schedule(now_ + think, EventKind::workload_arrival, w);
        }
        break;
      case plan::WorkloadKind::trace:
        schedule_next_arrival(w);
        break;
    }
  }
}

template <bool Observe>
inline void Simulation<Observe>::schedule_next_arrival(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  WorkloadState& state = clients_.workloads[w];
  if (wl.kind == plan::WorkloadKind::trace) {
    if (state.trace_next < wl.trace.size()) {
      schedule(std::max(now_, wl.trace[state.trace_next++]), EventKind::workload_arrival, w);
    }
    return;
  }
  // Open loop. With bursts, candidates come at `factor` times the rate and
  // those outside a burst are kept with probability 1 / factor (thinning).
  // Evenly spaced arrivals start as soon as the rate is positive; a Poisson
  // process waits an exponential time for its first arrival too.
  engine::RandomStream& rng = streams_[wl.stream];
  double expected = wl.arrivals == plan::Arrivals::poisson ? rng.exponential(1.0)
                    : state.started                        ? 1.0
                                                           : 0.0;
  state.started = true;
  if (wl.has_bursts) {
    expected /= wl.burst_factor;
  }
  if (const Time at = state.schedule->advance(now_, expected); at < window_end_) {
    schedule(at, EventKind::workload_arrival, w);
  }
}

template <bool Observe>
void Simulation<Observe>::on_arrival(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  if (now_ >= window_end_) {
    return;  // the measured window is over: arrivals stop
  }
  bool accepted = true;
  if (wl.kind == plan::WorkloadKind::open && wl.has_bursts && !clients_.workloads[w].burst_on) {
    accepted = streams_[wl.burst_stream].uniform() * wl.burst_factor < 1.0;
  }
  if (wl.kind != plan::WorkloadKind::closed) {
    schedule_next_arrival(w);
  }
  if (accepted) {
    start_client_request(w);
  }
}

template <bool Observe>
void Simulation<Observe>::on_burst_toggle(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  WorkloadState& state = clients_.workloads[w];
  state.burst_on = !state.burst_on;
  const Duration next = state.burst_on
                            ? wl.burst_length
                            : plan_.distributions[wl.burst_gap].sample(streams_[wl.burst_stream]);
  if (now_ + next < window_end_) {
    schedule(now_ + next, EventKind::burst_toggle, w);
  }
}

template <bool Observe>
void Simulation<Observe>::start_client_request(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  const std::uint64_t index = clients_.workloads[w].arrivals++;
  // The request's random numbers: from its workload and arrival number alone.
  const std::uint64_t key = engine::RandomStream::mix_key(workload_roots_[w], index);
  const Id x = make_exchange(ExchangeKind::client_request, /*caller_task=*/no_id, w, /*site=*/no_id,
                             wl.policy, wl.edge, wl.entry,
                             /*joins_parent=*/false, key);
  if (Observe || choose_ != nullptr) [[unlikely]] {
    Observation::at(clients_.arrival_index, x) = index;
    if constexpr (Observe) {
      observe_exchange_start(x);
      if (obs_->tracing) {
        trace_client_request(x, w, index);
      }
    }
  }
  recorder_.path_arrival(w, now_);
  ++clients_.open_requests;
  ++clients_.workloads[w].open;
  if (calls_.exchanges[x].is_plain) {
    start_plain_attempt(x);  // what start_attempt would do first, without its call
  } else {
    start_attempt(x);
  }
}

template <bool Observe>
inline void Simulation<Observe>::finish_client_request(Id x, const Exchange& ex, Outcome outcome) {
  if (Observe || choose_ != nullptr) [[unlikely]] {
    if (choose_ && recorder_.is_measured(ex.started)) {
      choose_->offer(ex.workload, clients_.arrival_index[x], (now_ - ex.started).count(),
                     outcome == Outcome::ok);
    }
    if constexpr (Observe) {
      observe_path(ex.workload, ex.started, outcome);
      if (obs_->tracing && obs_->exchange_refs[x].trace >= 0) {
        stats::Trace& trace = obs_->traces[static_cast<std::size_t>(obs_->exchange_refs[x].trace)];
        trace.outcome = outcome;
        trace.latency_ns = (now_ - ex.started).count();
        close_span(obs_->exchange_refs[x], outcome);
      }
    }
  }
  recorder_.path_finished(ex.workload, ex.started, now_, outcome, ex.attempts);
  --clients_.open_requests;
  --clients_.workloads[ex.workload].open;
  const plan::Workload& wl = plan_.workloads[ex.workload];
  if (wl.kind == plan::WorkloadKind::closed) {
    const Duration think = wl.think == no_id
                               ? Duration{0}
                               : plan_.distributions[wl.think].sample(streams_[wl.think_stream]);
    if (now_ + think < window_end_) {
      schedule(now_ + think, EventKind::workload_arrival, ex.workload);
    }
  }
}

// ---------------------------------------- calls, their attempts, the network

template <bool Observe>
Duration Simulation<Observe>::sample_network(const plan::Link& link, Id from, Id to,
                                             std::uint64_t key) {
  engine::RandomStream rng = keyed_stream(key, link.stream);
  if (link.loss > 0 && rng.uniform() < link.loss) {
    return lost_message;  // never delivered, never answered
  }
  if (!faults_.partitions.empty() && is_partitioned(from, to)) {
    return lost_message;  // a network partition loses everything between the two
  }
  return link.has_latency ? link.latency.sample(rng) : Duration{0};
}

template <bool Observe>
Id Simulation<Observe>::caller_service(const Exchange& ex) const {
  return ex.kind != ExchangeKind::call ? no_id : plan_.call_sites[ex.site].caller_service;
}

template <bool Observe>
void Simulation<Observe>::start_call(Id task, Id site_id, bool joins_parent, std::uint64_t key) {
  const plan::CallSite& site = plan_.call_sites[site_id];
  const Id x = make_exchange(ExchangeKind::call, task, /*workload=*/no_id, site_id, site.policy,
                             site.edge, site.target_endpoint, joins_parent, key);
  if constexpr (Observe) {
    observe_exchange_start(x);
    if (obs_->tracing) {
      trace_call(x, task);
    }
  }
  if (plan_.policies[site.policy].propagate_deadline) {
    calls_.exchanges[x].deadline =
        work_.requests[work_.tasks[task].request].deadline;  // what the caller has left
  }
  start_attempt(x);
}

template <bool Observe>
void Simulation<Observe>::start_attempt(Id x, bool is_hedge) {
  Exchange& ex = calls_.exchanges[x];
  if (ex.is_plain) {
    start_plain_attempt(x);
    return;
  }
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = calls_.edges[ex.edge];
  ++ex.attempts;
  if (edge.counts_attempts) {
    recorder_.edge_attempt(ex.edge, ex.attempts == 1);
  }
  const bool is_retry = ex.attempts > 1 && !is_hedge;
  if (is_retry && ex.kind == ExchangeKind::call) {
    recorder_.service_retry(caller_service(ex), ex.started);
  }
  // The time this attempt may take: its own timeout, and with deadline
  // propagation no more than the caller has left.
  Time deadline = policy.timeout > Duration::zero() ? now_ + policy.timeout : Time::max();
  if (policy.propagate_deadline) {
    deadline = std::min(deadline, ex.deadline);
  }
  auto fail_now = [&](Outcome outcome) {
    if constexpr (Observe) {
      if (obs_->tracing) {
        trace_failed_fast(x, outcome);
      }
    }
    if (ex.holds_retry_slot) {
      ex.holds_retry_slot = false;
      --edge.limits.retries_in_flight;
    }
    attempt_failed(x, outcome);
  };
  if (deadline <= now_) {
    fail_now(Outcome::timeout);  // no time left: fail without calling
    return;
  }
  if (edge.breaker && !edge.breaker->allow(now_)) {
    fail_now(Outcome::unavailable);  // the circuit is open: fail fast
    return;
  }
  Id bulkhead_pod = no_id;
  if (policy.bulkhead > 0 && ex.kind == ExchangeKind::call) {
    bulkhead_pod = work_.requests[work_.tasks[ex.caller_task].request].pod;
    std::uint32_t& in_flight = calls_.bulkheads[(std::uint64_t{bulkhead_pod} << 32) | ex.policy];
    if (in_flight >= policy.bulkhead) {
      fail_now(Outcome::rejected);
      return;
    }
    ++in_flight;
  }
  const Id attempt = calls_.attempts.allocate();
  Attempt& a = calls_.attempts[attempt];
  a.exchange = x;
  a.target_endpoint = ex.target_endpoint;
  a.bulkhead_pod = bulkhead_pod;
  a.sent = now_;
  a.deadline = policy.propagate_deadline ? deadline : Time::max();
  a.is_retry = is_retry;
  a.is_hedge = is_hedge;
  a.key = engine::RandomStream::mix_key(ex.key, ex.attempts);
  a.timeout_event = no_lane_event;
  ex.holds_retry_slot = false;  // the slot passes to the attempt (a.is_retry)
  a.next_copy = ex.first_attempt;
  ex.first_attempt = attempt;
  ++ex.in_flight;
  if (policy.hedge_max > ex.hedges && policy.hedge_after > Duration::zero() && ex.in_flight == 1) {
    schedule(now_ + policy.hedge_after, EventKind::hedge_due, x, calls_.exchanges.generation(x));
  }
  ++edge.limits.active;
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_attempt(x, attempt, is_hedge);
    }
  }
  if (deadline != Time::max()) {
    const std::uint32_t lane = timeout_lane_[ex.policy];
    if (lane != no_lane && deadline == now_ + policy.timeout) {  // not cut short by a deadline
      a.timeout_event = event_queue_.push_lane(
          lane, deadline, static_cast<std::uint32_t>(EventKind::attempt_timeout), attempt,
          calls_.attempts.generation(attempt));
    } else {
      schedule(deadline, EventKind::attempt_timeout, attempt, calls_.attempts.generation(attempt));
    }
  }
  if (ex.kind != ExchangeKind::call) {
    on_request_delivered(attempt);  // the client reaches the entry service directly
  } else {
    send_request(attempt);
  }
}

template <bool Observe>
inline void Simulation<Observe>::start_plain_attempt(Id x) {
  // The one attempt of a call without a policy: no deadline, breaker, bulkhead
  // or hedge to consider and no edge state to keep.
  Exchange& ex = calls_.exchanges[x];
  ex.attempts = 1;
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_attempt(x, no_id, false);
    }
  }
  if (ex.kind != ExchangeKind::call) {
    on_plain_request_delivered(x);  // the client reaches the entry service directly
    return;
  }
  const plan::CallSite& site = plan_.call_sites[ex.site];
  const Duration delay = network_delay(site, site.caller_service, site.target_service,
                                       engine::RandomStream::mix_key(ex.key, 1));
  if (delay == Duration::zero()) {
    on_plain_request_delivered(x);  // no latency: no event needed
  } else if (delay != lost_message) {
    schedule(now_ + delay, EventKind::plain_request_delivered, x, calls_.exchanges.generation(x));
  }
}

template <bool Observe>
void Simulation<Observe>::forget_attempt(Exchange& ex, Id attempt) {
  // Unlink `call` from the exchange's list of outstanding attempts.
  Id* link = &ex.first_attempt;
  while (*link != no_id && *link != attempt) {
    link = &calls_.attempts[*link].next_copy;
  }
  if (*link == attempt) {
    *link = calls_.attempts[attempt].next_copy;
    --ex.in_flight;
  }
}

template <bool Observe>
void Simulation<Observe>::on_hedge_due(Id x) {
  Exchange& ex = calls_.exchanges[x];
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  if (ex.in_flight == 0 || ex.hedges >= policy.hedge_max) {
    return;  // no attempt waiting (a retry's backoff), or no copies left
  }
  ++ex.hedges;
  if (ex.kind == ExchangeKind::call) {
    recorder_.service_hedge(caller_service(ex), ex.started);
  }
  const std::uint32_t generation = calls_.exchanges.generation(x);
  start_attempt(x, /*is_hedge=*/true);
  if (!calls_.exchanges.is_current(x, generation)) {
    return;  // the copy failed at once and ended the call
  }
  const Exchange& after = calls_.exchanges[x];
  if (after.hedges < policy.hedge_max && after.in_flight > 0) {
    schedule(now_ + policy.hedge_after, EventKind::hedge_due, x, generation);
  }
}

template <bool Observe>
void Simulation<Observe>::attempt_done(Id attempt, Outcome outcome) {
  if constexpr (Observe) {
    if (outcome == Outcome::ok) {
      observe_attempt_won(attempt);
    }
    if (obs_->tracing) {
      close_span(obs_->attempt_refs[attempt], outcome);
    }
  }
  const Attempt a = calls_.attempts[attempt];
  const Id x = a.exchange;
  Exchange& ex = calls_.exchanges[x];
  assert(!ex.is_plain && "a plain call has no Attempt object");
  forget_attempt(ex, attempt);
  cancel_timeout(a, ex.policy);
  calls_.attempts.release(attempt);
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = calls_.edges[ex.edge];
  --edge.limits.active;
  if (a.is_retry) {
    --edge.limits.retries_in_flight;
  }
  if (a.bulkhead_pod != no_id) {
    --calls_.bulkheads[(std::uint64_t{a.bulkhead_pod} << 32) | ex.policy];
  }
  const bool failed = outcome != Outcome::ok;
  if (edge.breaker) {
    edge.breaker->record(now_, failed);
  }
  edge.limits.throttle_record(policy, failed);
  if (!failed) {
    if (a.is_hedge && ex.kind == ExchangeKind::call) {
      recorder_.service_hedge_won(caller_service(ex), ex.started);
    }
    exchange_done(x, outcome);  // the first answer wins
    return;
  }
  if (ex.in_flight > 0) {
    return;  // other copies may still answer
  }
  attempt_failed(x, outcome);
}

template <bool Observe>
void Simulation<Observe>::attempt_failed(Id x, Outcome outcome) {
  Exchange& ex = calls_.exchanges[x];
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = calls_.edges[ex.edge];
  const bool retryable = ex.attempts < policy.attempts &&
                         (policy.retry_on >> static_cast<unsigned>(outcome) & 1u) != 0 &&
                         !(policy.propagate_deadline && ex.deadline <= now_);
  if (!retryable) {
    exchange_done(x, outcome);
    return;
  }
  if (!edge.limits.budget_allows(policy) || !edge.limits.throttle_allows(policy)) {
    if (ex.kind == ExchangeKind::call) {
      recorder_.service_retry_refused(caller_service(ex), ex.started);
    }
    exchange_done(x, outcome);  // the call fails with its last error
    return;
  }
  ex.holds_retry_slot = true;
  ++edge.limits.retries_in_flight;
  engine::RandomStream backoff_rng =
      keyed_stream(engine::RandomStream::mix_key(ex.key, ex.attempts), policy.stream);
  const Duration wait = backoff_delay(policy, ex.attempts, ex.previous_backoff_ns, backoff_rng);
  if constexpr (Observe) {
    Observation::at(obs_->backoff_ns, x) += wait.count();
    if (obs_->tracing && obs_->exchange_refs[x].trace >= 0) {
      // The caller waits, not the callee: the span is the caller's (its pod's,
      // or the client's for a workload's own retries).
      const Observation::TraceRef& ref = obs_->exchange_refs[x];
      const bool by_service = ex.kind == ExchangeKind::call;
      const std::int32_t span =
          open_span(ref.trace, std::max(ref.parent, 0), stats::SpanKind::internal, "backoff",
                    by_service ? plan_.services[plan_.call_sites[ex.site].caller_service].name
                               : obs_->traces[static_cast<std::size_t>(ref.trace)].path,
                    ex.target_endpoint,
                    by_service ? work_.requests[work_.tasks[ex.caller_task].request].pod : no_id);
      close_span(ref.trace, span, Outcome::ok, now_ + wait);
    }
  }
  schedule(now_ + wait, EventKind::retry_due, x, calls_.exchanges.generation(x));
}

template <bool Observe>
void Simulation<Observe>::exchange_done(Id x, Outcome outcome) {
  if constexpr (Observe) {
    observe_exchange_done(x, outcome);
    if (obs_->tracing && calls_.exchanges[x].is_plain &&
        calls_.exchanges[x].kind == ExchangeKind::call) {
      close_span(obs_->exchange_refs[x], outcome);  // a plain call's one attempt
    }
  }
  if (calls_.exchanges[x].kind == ExchangeKind::delivery) {
    const Exchange ex = calls_.exchanges[x];
    calls_.exchanges.release(x);
    finish_message(ex, outcome);
    return;
  }
  // Read in place (a copy of 96 bytes per call showed in the profile) and
  // released at the end: nothing below makes an exchange.
  const Exchange& ex = calls_.exchanges[x];
  // Copies still out lose: nobody waits for their answers any more.
  for (Id lost_id = ex.first_attempt; lost_id != no_id;) {
    const Attempt lost = calls_.attempts[lost_id];
    EdgeState& edge = calls_.edges[ex.edge];
    --edge.limits.active;
    if (lost.is_retry) {
      --edge.limits.retries_in_flight;
    }
    if (lost.bulkhead_pod != no_id) {
      --calls_.bulkheads[(std::uint64_t{lost.bulkhead_pod} << 32) | ex.policy];
    }
    if constexpr (Observe) {
      if (obs_->tracing) {
        close_span(obs_->attempt_refs[lost_id], Outcome::unfinished);  // a copy that lost
      }
    }
    cancel_timeout(lost, ex.policy);
    calls_.attempts.release(lost_id);
    lost_id = lost.next_copy;
  }
  if (ex.kind == ExchangeKind::client_request) {
    finish_client_request(x, ex, outcome);
    calls_.exchanges.release(x);
    return;
  }
  // A client's attempts are its path's statistics; a call's, its edge's.
  recorder_.call_finished(ex.edge, ex.started, now_, outcome, ex.attempts);
  const Id caller = ex.caller_task;
  Task& task = work_.tasks[caller];
  if (outcome != Outcome::ok && !plan_.call_sites[ex.site].optional &&
      task.failure == Outcome::ok) {
    task.failure = outcome;
  }
  const bool joins_parent = ex.joins_parent;
  calls_.exchanges.release(x);
  if (joins_parent && --task.pending > 0) {
    return;  // a parallel step waits for its last call
  }
  if constexpr (Observe) {  // the last call to answer is the critical path
    Observation::at(obs_->tasks, caller).absorb(obs_->done);
  }
  ready(caller);
}

template <bool Observe>
void Simulation<Observe>::send_request(Id attempt) {
  const Attempt& a = calls_.attempts[attempt];
  const plan::CallSite& site = plan_.call_sites[calls_.exchanges[a.exchange].site];
  const Duration delay = network_delay(site, site.caller_service, site.target_service, a.key);
  if (delay == Duration::zero()) {
    on_request_delivered(attempt);  // no latency: no event needed
  } else if (delay != lost_message) {
    schedule(now_ + delay, EventKind::request_delivered, attempt,
             calls_.attempts.generation(attempt));
  }
}

template <bool Observe>
void Simulation<Observe>::on_request_delivered(Id attempt) {
  const Attempt& a = calls_.attempts[attempt];
  receive(make_request(attempt, calls_.attempts.generation(attempt), a.target_endpoint, a.deadline,
                       /*is_plain=*/false, a.key, calls_.exchanges[a.exchange]));
}

template <bool Observe>
inline void Simulation<Observe>::on_plain_request_delivered(Id x) {
  // The one attempt's key, as the first of a call with a policy: adding a
  // policy to an edge keeps its first attempts' draws.
  const Exchange& ex = calls_.exchanges[x];
  receive(make_request(x, calls_.exchanges.generation(x), ex.target_endpoint, Time::max(),
                       /*is_plain=*/true, engine::RandomStream::mix_key(ex.key, 1), ex));
}

template <bool Observe>
inline void Simulation<Observe>::receive(Id r) {
  const Id endpoint = work_.requests[r].endpoint;
  const Id service = plan_.endpoints[endpoint].service;
  const plan::Service& svc = plan_.services[service];
  ServiceState& state = fleet_.services[service];
  recorder_.service_arrival(service, now_);
  if (state.down == ServiceState::Down::refuse) {
    turn_away(r, Outcome::unavailable);  // connection refused
    return;
  }
  if (state.down == ServiceState::Down::blackhole) {
    work_.requests.release(r);
    return;  // swallowed: the caller waits for its timeout
  }

  if (svc.external) {
    if (svc.concurrency >= 0 && state.in_flight >= svc.concurrency) {
      recorder_.service_rejected(service, now_);
      turn_away(r, Outcome::rejected);
      return;
    }
    ++state.in_flight;
    if constexpr (Observe) {
      if (obs_->tracing) {
        trace_request_arrived(r);
      }
    }
    start_request(r);
    return;
  }
  const Id pod_id = choose_pod(service, work_.requests[r].key);
  if (pod_id == no_id) {
    turn_away(r, Outcome::unavailable);  // no pod to take it
    return;
  }
  Pod& pod = fleet_.pods[pod_id];
  work_.requests[r].pod = pod_id;
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_request_arrived(r);
    }
  }
  note_held(pod);
  ++pod.active;
  ++pod.metrics.arrivals;
  if (svc.has_memory && memory_arrival(pod_id, r)) [[unlikely]] {
    return;  // it took the pod above its memory limit: OOMKilled
  }
  if (pod.busy_workers < state.start_below) {
    if (!svc.async) {
      ++pod.busy_workers;
      work_.requests[r].holds_worker = true;
    }
    start_request(r);
    return;
  }
  if (svc.queue_capacity >= 0 &&
      static_cast<std::int64_t>(pod.waiting.size()) >= svc.queue_capacity) {
    --pod.active;
    if constexpr (Observe) {
      if (obs_->tracing) {
        trace_request_done(r, Outcome::rejected);
      }
    }
    recorder_.service_rejected(service, now_);
    work_.requests[r].pod = no_id;
    turn_away(r, Outcome::rejected);
    return;
  }
  enqueue(pod_id, Waiter{r, now_, false});
}

template <bool Observe>
void Simulation<Observe>::respond(const Request& request, Outcome outcome) {
  if (request.is_plain) {
    respond_plain(request, outcome);
    return;
  }
  const Id service = plan_.endpoints[request.endpoint].service;
  if (!calls_.attempts.is_current(request.sender, request.sender_generation)) {
    recorder_.service_answered(service, request.arrived, /*client_waiting=*/false, outcome);
    if constexpr (Observe) {
      obs_->answer.clear();
    }
    return;  // the caller gave up on this attempt: the answer goes nowhere
  }
  if constexpr (Observe) {  // the attempt's ledger: the request's time at the callee
    Observation::at(obs_->attempts, request.sender).swap(obs_->answer);
    obs_->answer.clear();
  }
  // The caller waits; does its client still? (Only asked when someone can give up.)
  recorder_.service_answered(service, request.arrived,
                             /*client_waiting=*/!calls_.can_abandon || !is_orphaned(request),
                             outcome);
  Attempt& a = calls_.attempts[request.sender];
  const Exchange& ex = calls_.exchanges[a.exchange];
  if (ex.kind != ExchangeKind::call) {
    attempt_done(request.sender, outcome);  // the client gets its answer directly
    return;
  }
  a.outcome = outcome;
  const plan::CallSite& site = plan_.call_sites[ex.site];
  const Duration delay = network_delay(site, site.target_service, site.caller_service,
                                       engine::RandomStream::mix_key(request.key, 1));
  if (delay == Duration::zero()) {
    attempt_done(request.sender, outcome);
  } else if (delay != lost_message) {
    schedule(now_ + delay, EventKind::response_delivered, request.sender,
             request.sender_generation);
  }
}

template <bool Observe>
void Simulation<Observe>::respond_plain(const Request& request, Outcome outcome) {
  const Id service = plan_.endpoints[request.endpoint].service;
  const Id x = request.sender;
  const bool caller_waiting = calls_.exchanges.is_current(x, request.sender_generation);
  recorder_.service_answered(
      service, request.arrived,
      /*client_waiting=*/caller_waiting && (!calls_.can_abandon || !is_orphaned(request)), outcome);
  if constexpr (Observe) {
    if (caller_waiting) {
      Observation::at(obs_->exchanges, x).absorb(obs_->answer);
    } else {
      obs_->answer.clear();
    }
  }
  if (!caller_waiting) {
    return;  // the caller's own request is gone (its pod was killed)
  }
  Exchange& ex = calls_.exchanges[x];
  if (ex.kind != ExchangeKind::call) {
    if (!Observe && ex.kind == ExchangeKind::client_request) {
      // The client gets its answer directly: exchange_done's path for it
      // without its call (a plain exchange has no attempts to end, and
      // this pass observes nothing).
      finish_client_request(x, ex, outcome);
      calls_.exchanges.release(x);
      return;
    }
    exchange_done(x, outcome);  // the client (or a queue's consumer) gets its answer directly
    return;
  }
  const plan::CallSite& site = plan_.call_sites[ex.site];
  const Duration delay = network_delay(site, site.target_service, site.caller_service,
                                       engine::RandomStream::mix_key(request.key, 1));
  if (delay == Duration::zero()) {
    exchange_done(x, outcome);
  } else if (delay != lost_message) {
    ex.answer = outcome;
    schedule(now_ + delay, EventKind::plain_response_delivered, x, request.sender_generation);
  }
}

template <bool Observe>
void Simulation<Observe>::on_response_delivered(Id attempt) {
  attempt_done(attempt, calls_.attempts[attempt].outcome);
}

template <bool Observe>
bool Simulation<Observe>::is_orphaned(const Request& request) const {
  // Nobody waits for this work when its attempt was given up on, or when the
  // request that made the call is itself orphaned, however many hops up.
  for (const Request* req = &request;;) {
    if (req->is_plain ? !calls_.exchanges.is_current(req->sender, req->sender_generation)
                      : !calls_.attempts.is_current(req->sender, req->sender_generation)) {
      return true;
    }
    if (req->caller_request == no_id) {
      return false;  // the client, or a queue's consumer: the chain ends here
    }
    req = &work_.requests[req->caller_request];
    if (req->killed) {
      return true;  // it answered `error` already, its caller may not know yet
    }
  }
}

// --------------------------------------------------- pods, workers, requests

template <bool Observe>
inline Id Simulation<Observe>::choose_pod(Id service, std::uint64_t key) {
  ServiceState& state = fleet_.services[service];
  const auto n = static_cast<std::uint32_t>(state.pods.size());
  if (n == 0) {
    return no_id;
  }
  if (n == 1) {
    return state.pods[0];
  }
  const plan::Service& svc = plan_.services[service];
  switch (svc.balancer) {
    case plan::Balancer::round_robin:
      return state.pods[state.round_robin++ % n];
    case plan::Balancer::random:
      return state.pods[keyed_stream(key, svc.balancer_stream).uniform_int(n)];
    case plan::Balancer::least_request: {
      // Power of two choices: two distinct pods at random, the less busy wins.
      engine::RandomStream rng = keyed_stream(key, svc.balancer_stream);
      const auto a = static_cast<std::uint32_t>(rng.uniform_int(n));
      auto b = static_cast<std::uint32_t>(rng.uniform_int(n - 1));
      if (b >= a) {
        ++b;
      }
      const Id pa = state.pods[a];
      const Id pb = state.pods[b];
      return fleet_.pods[pb].active < fleet_.pods[pa].active ? pb : pa;
    }
  }
  return state.pods[0];
}

template <bool Observe>
inline void Simulation<Observe>::start_request(Id request) {
  const Request& req = work_.requests[request];
  // Deadlines propagate: a request whose deadline passed while it waited, or
  // whose caller cancelled it (a hedge that lost), is dropped at dequeue.
  const bool cancelled = req.deadline != Time::max() &&
                         !req.is_plain &&  // a plain call names its exchange
                         !calls_.attempts.is_current(req.sender, req.sender_generation);
  if (req.deadline <= now_ || cancelled) {
    // Its deadline passed while it waited: dropped, as a server that checks
    // the deadline of what it dequeues does.
    recorder_.deadline_dropped(plan_.endpoints[req.endpoint].service, now_);
    if constexpr (Observe) {
      obs_->answer.clear();
      obs_->answer.add(plan_.endpoints[req.endpoint].service, Where::queue,
                       (now_ - req.arrived).count());
    }
    finish_request(request, Outcome::timeout);
    return;
  }
  const Id service = plan_.endpoints[req.endpoint].service;
  ServiceState& state = fleet_.services[service];
  const bool fails =
      state.fail_rate > 0 && keyed_stream(req.key, state.fail_stream).uniform() < state.fail_rate;
  const plan::Endpoint& endpoint = plan_.endpoints[req.endpoint];
  if (endpoint.lone_cpu != no_id && !fails && state.extra_delay <= Duration::zero()) {
    start_lone_cpu(request);
    return;
  }
  const Id t = spawn(no_id, request, endpoint.block, req.key, now_ - req.arrived);
  if (fails) {
    work_.tasks[t].failure = Outcome::error;  // an injected failure: it answers error at once...
  }
  if (state.extra_delay > Duration::zero()) {  // ...or after a slow fault's extra latency
    work_.ready.pop_back();  // a slow fault: the request first waits the extra latency
    schedule(now_ + state.extra_delay, EventKind::delay_done, t, work_.tasks.generation(t));
  }
}

template <bool Observe>
void Simulation<Observe>::start_lone_cpu(Id request) {
  // One cpu step on a pod that is not async: started here as the step
  // loop's first turn would start it (the same draw, the same work),
  // without the turn. The loop ends the task when the work is done.
  const Request& req = work_.requests[request];
  const plan::Endpoint& endpoint = plan_.endpoints[req.endpoint];
  const Id t = spawn_unready(no_id, request, endpoint.block, req.key, now_ - req.arrived);
  Task& task = work_.tasks[t];
  task.next = task.end;
  task.current = endpoint.lone_cpu;
  // No observe_resume: the task spawned at this instant has no stretch to
  // account yet (the step loop's call would add nothing), and a second
  // caller would take observe_resume out of line from continue_task.
  const plan::Op& op = plan_.ops[endpoint.lone_cpu];
  task.work_ns = cpu_demand(op, step_key(t, op, 0), fleet_.pods[req.pod]);
  start_cpu(t, req.pod, task.work_ns);
  if constexpr (Observe) {
    observe_suspend(t);
  }
}

template <bool Observe>
inline void Simulation<Observe>::finish_request(Id request, Outcome outcome) {
  const Request req = work_.requests[request];
  if (req.killed) {
    work_.requests.release(request);
    if constexpr (Observe) {
      obs_->answer.clear();
    }
    return;  // its pod is gone and its caller already has its error (and trace)
  }
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_request_done(request, outcome);
    }
  }
  work_.requests.release(request);
  if (req.pod == no_id) {
    --fleet_.services[plan_.endpoints[req.endpoint].service].in_flight;
  } else {
    note_held(fleet_.pods[req.pod]);
    --fleet_.pods[req.pod].active;
    if (req.holds_worker) {
      release_worker(req.pod);
    }
    if (fleet_.pods[req.pod].life.phase == PodPhase::terminating &&
        fleet_.pods[req.pod].active == 0) {
      finish_termination(req.pod);  // its last request is done: the pod exits
    }
  }
  respond(req, outcome);
}

template <bool Observe>
inline void Simulation<Observe>::enqueue(Id pod_id, Waiter waiter) {
  Pod& pod = fleet_.pods[pod_id];
  note_waiting(pod.service, +1);
  pod.waiting.push_back(waiter);
}

template <bool Observe>
void Simulation<Observe>::reject_waiter(Id pod_id, const Waiter& waiter) {
  Pod& pod = fleet_.pods[pod_id];
  // Counted with the requests that arrived in the measured window, as the
  // service's requests and its callers' errors are.
  const Id request = waiter.is_task ? work_.tasks[waiter.id].request : waiter.id;
  recorder_.service_rejected(pod.service, work_.requests[request].arrived);
  if (waiter.is_task) {
    work_.tasks[waiter.id].failure = Outcome::rejected;
    ready(waiter.id);
    return;
  }
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_request_done(waiter.id, Outcome::rejected);
    }
  }
  const Request req = work_.requests[waiter.id];
  work_.requests.release(waiter.id);
  note_held(pod);
  --pod.active;
  if (pod.life.phase == PodPhase::terminating && pod.active == 0) {
    finish_termination(pod_id);
  }
  respond(req, Outcome::rejected);
}

template <bool Observe>
void Simulation<Observe>::start_next_waiter(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  const plan::Service& svc = plan_.services[pod.service];
  while (!pod.waiting.empty()) {
    Waiter waiter;
    if (svc.discipline == plan::Discipline::fifo) {
      waiter = pod.waiting.front();
      pod.waiting.pop_front();
    } else {
      waiter = pod.waiting.back();
      pod.waiting.pop_back();
    }
    note_waiting(pod.service, -1);
    if (svc.queue_timeout > Duration::zero() && now_ - waiter.since > svc.queue_timeout) {
      reject_waiter(pod_id, waiter);  // waited too long: dropped when dequeued
      continue;
    }
    ++pod.busy_workers;
    if (waiter.is_task) {
      Task& task = work_.tasks[waiter.id];
      task.holds_worker = true;
      start_cpu(waiter.id, pod_id, task.work_ns);
    } else {
      work_.requests[waiter.id].holds_worker = true;
      start_request(waiter.id);
    }
    return;
  }
}

// ------------------------------------------------------------- step programs

template <bool Observe>
void Simulation<Observe>::drain_ready() {
  // Continuations run from here, never nested, so a long chain of steps that
  // finish at once cannot grow the stack.
  for (std::size_t i = 0; i < work_.ready.size(); ++i) {
    continue_task(work_.ready[i]);
  }
  work_.ready.clear();
}

template <bool Observe>
inline std::uint32_t Simulation<Observe>::draw_count(Id t, const plan::Op& op) {
  if (op.probability < 1.0 || op.times_low != op.times_high) {
    engine::RandomStream rng = keyed_stream(work_.tasks[t].key, op.stream);
    if (op.probability < 1.0 && rng.uniform() >= op.probability) {
      return 0;
    }
    if (op.times_low != op.times_high) {
      return op.times_low +
             static_cast<std::uint32_t>(rng.uniform_int(op.times_high - op.times_low + 1));
    }
  }
  return op.times_low;
}

template <bool Observe>
void Simulation<Observe>::continue_task(Id t) {
  if (faults_.has_killed_pods && work_.requests[work_.tasks[t].request].killed) {
    finish_killed_task(
        t);  // the pod it ran on is gone: it ends, and its parent with its last child
    return;
  }
  if constexpr (Observe) {
    observe_resume(t);
  }
  for (;;) {
    if (work_.tasks[t].cache_phase != 0) {
      if (continue_cache(t)) {
        if constexpr (Observe) {
          observe_suspend(t);
        }
        return;
      }
    }
    Task& task = work_.tasks[t];
    if (task.failure != Outcome::ok) {
      finish_task(t);
      return;
    }
    if (task.remaining > 0) {
      --task.remaining;
    } else {
      if (task.next == task.end) {
        finish_task(t);
        return;
      }
      const Id op = task.next++;
      const std::uint32_t count = draw_count(t, plan_.ops[op]);
      if (count == 0) {
        continue;
      }
      task.current = op;
      task.remaining = count - 1;
    }
    if (execute(t)) {
      if constexpr (Observe) {
        observe_suspend(t);
      }
      return;  // suspended: an event or a child resumes it
    }
  }
}

template <bool Observe>
bool Simulation<Observe>::execute(Id t) {
  const plan::Op& op = plan_.ops[work_.tasks[t].current];
  // This repetition's own draws, and the key of what it makes (a call, a
  // child): the same for this request whichever order requests come in.
  const std::uint64_t key = step_key(t, op, work_.tasks[t].remaining);
  switch (op.kind) {
    case plan::OpKind::cpu: {
      const Id pod_id = work_.requests[work_.tasks[t].request].pod;
      Pod& pod = fleet_.pods[pod_id];
      const plan::Service& svc = plan_.services[pod.service];
      const double scaled = cpu_demand(op, key, pod);
      work_.tasks[t].work_ns = scaled;
      if (!svc.async || svc.workers == 0) {
        start_cpu(t, pod_id, scaled);
        return true;
      }
      if (pod.busy_workers < svc.workers) {
        ++pod.busy_workers;
        work_.tasks[t].holds_worker = true;
        start_cpu(t, pod_id, scaled);
        return true;
      }
      if (svc.queue_capacity >= 0 &&
          static_cast<std::int64_t>(pod.waiting.size()) >= svc.queue_capacity) {
        recorder_.service_rejected(pod.service, work_.requests[work_.tasks[t].request].arrived);
        work_.tasks[t].failure = Outcome::rejected;
        return false;
      }
      enqueue(pod_id, Waiter{t, now_, true});
      return true;
    }
    case plan::OpKind::delay: {
      engine::RandomStream rng(key);
      schedule(now_ + plan_.distributions[op.dist].sample(rng), EventKind::delay_done, t,
               work_.tasks.generation(t));
      return true;
    }
    case plan::OpKind::call:
      start_call(t, op.call, /*joins_parent=*/false, key);
      return true;
    case plan::OpKind::parallel: {
      if (op.count == 0) {
        return false;
      }
      work_.tasks[t].pending = op.count;
      const Id request = work_.tasks[t].request;
      for (Id i = 0; i < op.count; ++i) {
        const Id site = plan_.child_call_sites[op.first + i];
        if (site != no_id) {
          // The common fan-out: the parent makes the call itself and counts
          // the answer as a finished child, without a task of its own.
          start_call(t, site, /*joins_parent=*/true, engine::RandomStream::mix_key(key, i));
        } else {
          spawn(t, request, plan_.child_blocks[op.first + i],
                engine::RandomStream::mix_key(key, i));
        }
      }
      return true;
    }
    case plan::OpKind::branch: {
      const double u = engine::RandomStream(key).uniform();
      for (Id i = 0; i < op.count; ++i) {
        const plan::BranchArm& arm = plan_.arms[op.first + i];
        if (u < arm.cumulative) {
          work_.tasks[t].pending = 1;
          spawn(t, work_.tasks[t].request, arm.block, engine::RandomStream::mix_key(key, i));
          return true;
        }
      }
      return false;  // the remainder: no alternative runs
    }
    case plan::OpKind::fail:
      if (engine::RandomStream(key).uniform() < op.fail_rate) {
        work_.tasks[t].failure = Outcome::error;
      }
      return false;
    case plan::OpKind::cache: {
      engine::RandomStream rng(key);
      return start_cache(t, op, rng);
    }
    case plan::OpKind::publish:
      return publish(t, op.queue);
    case plan::OpKind::batch:
      return join_batch(t, op.batch);
  }
  return false;
}

template <bool Observe>
inline double Simulation<Observe>::cpu_demand(const plan::Op& op, std::uint64_t key,
                                              const Pod& pod) {
  engine::RandomStream rng(key);
  const double work = static_cast<double>(plan_.distributions[op.dist].sample(rng).count());
  return work * fleet_.services[pod.service].cpu_factor * warmup_factor(pod);
}

template <bool Observe>
void Simulation<Observe>::finish_killed_task(Id t) {
  Task& task = work_.tasks[t];
  if (task.cache_phase == 2) {
    abandon_fill(t);  // it was filling a cache key others may wait for
  }
  finish_task(t);
}

template <bool Observe>
inline void Simulation<Observe>::finish_task(Id t) {
  // The three fields it needs, not a copy of the task: its step counter was
  // just written, and a wide load across that narrow store waits for it to
  // land (perf).
  const Id request = work_.tasks[t].request;
  const Id parent_id = work_.tasks[t].parent;
  const Outcome failure = work_.tasks[t].failure;
  work_.tasks.release(t);
  if (parent_id == no_id) {
    if constexpr (Observe) {  // the request's time, on its way to the caller
      obs_->answer.swap(Observation::at(obs_->tasks, t));
    }
    finish_request(request, failure);
    return;
  }
  Task& parent = work_.tasks[parent_id];
  if (failure != Outcome::ok && parent.failure == Outcome::ok) {
    parent.failure = failure;
  }
  if (--parent.pending == 0) {
    if constexpr (Observe) {  // the last child to finish is the critical path
      Observation::at(obs_->tasks, parent_id).absorb(Observation::at(obs_->tasks, t));
    }
    ready(parent_id);  // fork-join: the parent goes on once every child is done
  }
}

// ----------------------------------------------------------------------- CPU

template <bool Observe>
inline void Simulation<Observe>::start_cpu(Id t, Id pod_id, double work_ns) {
  touch_cpu(pod_id);
  fleet_.pods[pod_id].cpu.add(now_, work_ns, t);
  if constexpr (Observe) {
    observe_cpu_start(t);
  }
}

template <bool Observe>
void Simulation<Observe>::on_cpu_done(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  pod.scheduled = Time::max();
  touch_cpu(pod_id);
  while (auto t = pod.cpu.pop_done()) {
    if (*t >= BatchState::job_bit) [[unlikely]] {
      finish_batch(*t & ~BatchState::job_bit);
      continue;
    }
    Task& task = work_.tasks[*t];
    if (calls_.can_abandon && is_orphaned(work_.requests[task.request])) {
      recorder_.wasted_cpu(pod.service, now_, task.work_ns);
    }
    if (task.holds_worker) {  // async pods hold a worker for the cpu op only
      task.holds_worker = false;
      release_worker(pod_id);
    }
    ready(*t);
  }
}

template <bool Observe>
void Simulation<Observe>::reschedule_dirty_pods() {
  for (std::size_t i = 0; i < cpu_.dirty_pods.size(); ++i) {
    const Id pod_id = cpu_.dirty_pods[i];
    Pod& pod = fleet_.pods[pod_id];
    pod.dirty = false;
    if (cluster_.shares_cores) [[unlikely]] {
      node_wants_changed(pod_id);  // may slow others on its node: they join this list
    }
    // Time::max() for none: one comparison, where two optionals take two.
    const Time next = pod.cpu.next_completion().value_or(Time::max());
    if (next == pod.scheduled) {
      continue;  // the event in the queue is still right
    }
    pod.scheduled = next;
    if (next != Time::max()) {  // a pod's timer is its id: the pending completion moves
      event_queue_.set_timer(pod_id, next, static_cast<std::uint32_t>(EventKind::cpu_done), pod_id);
    } else {
      event_queue_.cancel_timer(pod_id);
    }
  }
  cpu_.dirty_pods.clear();
}

// -------------------------------------------------------------- the run loop

template <bool Observe>
stats::Results Simulation<Observe>::run() {
  start_autoscalers();
  start_cluster_autoscaler();
  start_workloads();
  start_memory();
  start_series();
  series_.next_due = std::min(series_.next_interval, series_.backlog.next_due());
  if (!stop_reason_.empty()) {
    event_queue_.clear();  // stopped before its first event (its pods over the memory budget)
  }
  while (!event_queue_.empty()) {
    const engine::Event event = event_queue_.pop();
    if (event.at > end_) {
      break;
    }
    if (event.at >= series_.next_due) [[unlikely]] {
      catch_up(event.at);
    }
    now_ = event.at;
    ++event_count_;
    switch (static_cast<EventKind>(event.kind)) {
      case EventKind::workload_arrival:
        on_arrival(event.target);
        break;
      case EventKind::burst_toggle:
        on_burst_toggle(event.target);
        break;
      case EventKind::request_delivered:
        if (calls_.attempts.is_current(event.target, event.generation)) {
          on_request_delivered(event.target);
        }
        break;
      case EventKind::response_delivered:
        if (calls_.attempts.is_current(event.target, event.generation)) {
          on_response_delivered(event.target);
        }
        break;
      case EventKind::plain_request_delivered:
        if (calls_.exchanges.is_current(event.target, event.generation)) {
          on_plain_request_delivered(event.target);
        }
        break;
      case EventKind::plain_response_delivered:
        if (calls_.exchanges.is_current(event.target, event.generation)) {
          exchange_done(event.target, calls_.exchanges[event.target].answer);
        }
        break;
      case EventKind::cpu_done:
        on_cpu_done(event.target);
        break;
      case EventKind::delay_done:
        if (work_.tasks.is_current(event.target, event.generation)) {
          ready(event.target);
        }
        break;
      case EventKind::attempt_timeout:
        if (calls_.attempts.is_current(event.target, event.generation)) {
          attempt_done(event.target, Outcome::timeout);
        }
        break;
      case EventKind::retry_due:
        if (calls_.exchanges.is_current(event.target, event.generation)) {
          start_attempt(event.target);
        }
        break;
      case EventKind::hedge_due:
        if (calls_.exchanges.is_current(event.target, event.generation)) {
          on_hedge_due(event.target);
        }
        break;
      case EventKind::redeliver:
        on_redeliver(event.target);
        break;
      case EventKind::fault_start:
        on_fault(event.target, /*starts=*/true);
        break;
      case EventKind::fault_end:
        on_fault(event.target, /*starts=*/false);
        break;
      case EventKind::pod_ready:
        on_pod_ready(event.target);
        break;
      case EventKind::pod_grace_end:
        on_grace_end(event.target);
        break;
      case EventKind::autoscaler_sync:
        on_autoscaler_sync(event.target);
        break;
      case EventKind::metrics_snapshot:
        on_snapshot(event.target);
        break;
      case EventKind::node_ready:
        on_node_ready();
        break;
      case EventKind::gc_toggle:
        on_gc_toggle(event.target);
        break;
      case EventKind::neighbours_change:
        on_neighbours_change(event.target);
        break;
      case EventKind::pod_restart:
        on_pod_restart(event.target);
        break;
      case EventKind::eviction_check:
        on_eviction_check();
        break;
      case EventKind::cluster_scan:
        on_cluster_scan();
        break;
      case EventKind::batch_due:
        on_batch_due(event.target);
        break;
      case EventKind::batch_done:
        finish_batch(event.target);
        break;
    }
    drain_ready();
    reschedule_dirty_pods();
    if (now_ >= window_end_ && clients_.open_requests == 0 && brokers_.open_messages == 0) {
      break;  // arrivals have stopped and every request is answered
    }
    // Every 2^16 events (progress every 2^20, should_stop), or at the event
    // limit (which ready_full() may lower to end the run): two tests per
    // event where there were three.
    if ((event_count_ & 0xFFFF) == 0 || event_count_ >= event_limit_) [[unlikely]] {
      if ((event_count_ & 0xFFFFF) == 0 && limits_.on_progress) {
        limits_.on_progress(to_seconds(now_ - Time{}) / to_seconds(end_ - Time{}));
      }
      if (event_count_ >= event_limit_) {
        if (stop_reason_.empty()) {
          stop_reason_ = "event limit";
        }
        break;
      }
      if ((event_count_ & 0xFFFF) == 0 && should_stop()) {
        break;
      }
    }
  }
  const Time finished =
      stop_reason_.empty() ? std::min(std::max(now_, window_end_), end_) : std::min(now_, end_);
  finish_series(finished);
  return results(finished, !stop_reason_.empty());
}

template Simulation<false>::Simulation(const plan::Plan&, const RunLimits&,
                                       std::unique_ptr<Observation>);
template Simulation<true>::Simulation(const plan::Plan&, const RunLimits&,
                                      std::unique_ptr<Observation>);
TAILSIM_SIMULATION_MEMBER(void, start_attempt(Id, bool));
TAILSIM_SIMULATION_MEMBER(void, respond(const Request&, Outcome));
TAILSIM_SIMULATION_MEMBER(stats::Results, run());

}  // namespace tailsim::components::sim
