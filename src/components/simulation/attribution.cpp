// Tail attribution (docs/semantics.md, "Tail attribution"), the observing
// pass only. Each task keeps a ledger of its time: when it resumes, the
// stretch since it suspended goes to what it waited for (CPU, a delay, a
// cache lookup), less what arrived meanwhile by merging (a call's answer,
// the last child of a parallel step).

#include "kernel.hpp"

namespace tailsim::components::sim {

namespace {

/// std::llround (halves away from zero) without a call into libm, which
/// was 1.6% of an attributed run: x - trunc(x) is exact in doubles, and
/// from 2^53 up every double is whole.
std::int64_t round_ledger_ns(double x) {
  if (!(std::fabs(x) < 0x1p62)) [[unlikely]] {
    return std::llround(x);
  }
  const auto whole = static_cast<std::int64_t>(x);  // toward zero
  const double rest = x - static_cast<double>(whole);
  return whole + static_cast<std::int64_t>(rest >= 0.5) - static_cast<std::int64_t>(rest <= -0.5);
}

/// round_ledger_ns(later - earlier): the growth of one of a pod's running
/// totals over a CPU step. Most pods never pause, throttle or contend, so
/// most of these are exactly zero and skip the rounding.
std::int64_t round_growth_ns(double later, double earlier) {
  const double growth = later - earlier;
  return growth == 0 ? 0 : round_ledger_ns(growth);
}

}  // namespace

template <bool Observe>
void Simulation<Observe>::observe_spawn(Id t, Duration waited) {
  Ledger& ledger = Observation::at(obs_->tasks, t);
  ledger.clear();
  ledger.add(plan_.endpoints[work_.requests[work_.tasks[t].request].endpoint].service, Where::queue,
             waited.count());
  if (obs_->tracing && waited > Duration::zero()) {
    trace_phase(work_.tasks[t].request, "queue", now_ - waited, now_);
  }
  // Until it first runs it waits only for a slow fault's added latency.
  Observation::at(obs_->marks, t) =
      TaskMark{.since = now_, .merged_at = ledger.total(), .what = Where::delay};
}

template <bool Observe>
void Simulation<Observe>::observe_cpu_start(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  mark.cpu_started = now_;
  const PodMetrics& pod = fleet_.pods[work_.requests[work_.tasks[t].request].pod].metrics;
  mark.throttled_at = pod.throttled_ns;
  mark.paused_at = pod.paused_ns;
  mark.contended_at = pod.contended_ns;
}

template <bool Observe>
void Simulation<Observe>::observe_resume(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  if (mark.since == Time::min()) {
    return;
  }
  Ledger& ledger = Observation::at(obs_->tasks, t);
  const Request& request = work_.requests[work_.tasks[t].request];
  const Id service = plan_.endpoints[request.endpoint].service;
  // The stretch since it suspended, less what merged ledgers already cover.
  const Time since = std::exchange(mark.since, Time::min());
  const std::int64_t own = (now_ - since).count() - (ledger.total() - mark.merged_at);
  // A batch step: waiting for the batch to fill, then for a GPU, then served.
  std::int64_t waited_for_batch = 0;
  const bool in_batch = std::exchange(mark.in_batch, false);
  if (in_batch) {
    const std::int64_t before =
        std::clamp<std::int64_t>((mark.cpu_started - since).count(), 0, own);
    waited_for_batch = std::clamp<std::int64_t>((mark.batch_due - since).count(), 0, before);
    if (mark.is_gpu) {
      ledger.add(service, Where::batch_wait, waited_for_batch);
      ledger.add(service, Where::gpu_wait, before - waited_for_batch);
      ledger.add(service, Where::gpu, own - before);
      if (obs_->tracing) {
        trace_phase(work_.tasks[t].request, "batch_wait", since, mark.cpu_started);
        trace_phase(work_.tasks[t].request, "gpu", mark.cpu_started, now_);
      }
      return;
    }
  }
  if (!mark.is_cpu) {
    ledger.add(service, mark.what, own);
    if (obs_->tracing && own > 0 && mark.what != Where::unaccounted) {
      trace_phase(work_.tasks[t].request, where_names[static_cast<std::size_t>(mark.what)].data(),
                  since, now_);
    }
    return;
  }
  // A cpu op: waiting for a worker (async pods), then running. While it runs
  // it is either stopped (by a GC pause, or else by the quota), or
  // progressing: its own demand, and beyond it the time lost to its node's
  // contention, and the rest sharing the pod's cores.
  const std::int64_t waited = std::clamp<std::int64_t>((mark.cpu_started - since).count(), 0, own);
  const std::int64_t ran = own - waited;
  const PodMetrics& pod = fleet_.pods[request.pod].metrics;
  const auto paused =
      std::clamp<std::int64_t>(round_growth_ns(pod.paused_ns, mark.paused_at), 0, ran);
  const auto throttled = std::clamp<std::int64_t>(
      round_growth_ns(pod.throttled_ns, mark.throttled_at), 0, ran - paused);
  const std::int64_t stopped = paused + throttled;
  const std::int64_t demand =
      std::min(ran - stopped, static_cast<std::int64_t>(round_ledger_ns(work_.tasks[t].work_ns)));
  ledger.add(service, Where::batch_wait, waited_for_batch);
  ledger.add(service, Where::queue, waited - waited_for_batch);
  ledger.add(service, Where::gc_pause, paused);
  ledger.add(service, Where::throttled, throttled);
  const auto warmup =
      mark.warmup_share == 0
          ? std::int64_t{0}
          : round_ledger_ns(static_cast<double>(demand) * mark.warmup_share);  // a cold pod
  ledger.add(service, Where::warmup, warmup);
  ledger.add(service, Where::cpu, demand - warmup);
  const auto slowed = std::clamp<std::int64_t>(round_growth_ns(pod.contended_ns, mark.contended_at),
                                               0, ran - stopped - demand);
  ledger.add(service, Where::node_cores, slowed);
  ledger.add(service, Where::cpu_contention, ran - stopped - demand - slowed);
  if (obs_->tracing) {
    if (waited > 0) {
      trace_phase(work_.tasks[t].request, in_batch ? "batch_wait" : "queue", since,
                  mark.cpu_started);
    }
    trace_phase(work_.tasks[t].request, "cpu", mark.cpu_started, now_);
    if (slowed > 0) {
      trace_slowed_op(t, request.pod);  // the stretch the node slowed it, still going on
    }
  }
}

template <bool Observe>
void Simulation<Observe>::observe_attempt_won(Id attempt) {
  // The call's time: before this attempt was sent (backoffs, earlier
  // attempts, a hedge's wait), the callee's ledger, and the network.
  const Attempt& a = calls_.attempts[attempt];
  const Exchange& ex = calls_.exchanges[a.exchange];
  const Id callee = plan_.endpoints[a.target_endpoint].service;
  Ledger& ledger = Observation::at(obs_->exchanges, a.exchange);
  Ledger& answer = Observation::at(obs_->attempts, attempt);
  const std::int64_t before = (a.sent - ex.started).count();
  const std::int64_t backoff = std::min(before, Observation::at(obs_->backoff_ns, a.exchange));
  ledger.clear();
  ledger.add(callee, Where::backoff, backoff);
  ledger.add(callee, Where::failed_attempts, before - backoff);
  const std::int64_t answered = answer.total();
  ledger.absorb(answer);
  ledger.add(callee, Where::network, (now_ - a.sent).count() - answered);
}

template <bool Observe>
void Simulation<Observe>::observe_exchange_done(Id x, Outcome outcome) {
  const Exchange& ex = calls_.exchanges[x];
  const Id callee = plan_.endpoints[ex.target_endpoint].service;
  Ledger& ledger = Observation::at(obs_->exchanges, x);
  const std::int64_t elapsed = (now_ - ex.started).count();
  if (outcome != Outcome::ok) {  // all of it spent on attempts that failed
    const std::int64_t backoff = std::min(elapsed, Observation::at(obs_->backoff_ns, x));
    ledger.clear();
    ledger.add(callee, Where::backoff, backoff);
    ledger.add(callee, Where::failed_attempts, elapsed - backoff);
  } else if (ex.is_plain) {  // the callee's answer is in; the rest was the network
    ledger.add(callee, Where::network, elapsed - ledger.total());
  }
  obs_->done.swap(ledger);
}

template <bool Observe>
void Simulation<Observe>::observe_path(Id path, Time started, Outcome outcome) {
  Ledger& ledger = obs_->done;
  if (outcome == Outcome::ok && recorder_.is_measured(started)) {
    const std::int64_t latency = (now_ - started).count();
    assert(ledger.total() <= latency && "a request's parts cannot exceed its latency");
    ledger.add(0, Where::unaccounted, latency - ledger.total());
    // The timeline: by the interval it finished in, as the time series
    // counts its completion (intervals close before the event at their end).
    // An interval's sum is the difference of the path's sum at its ends:
    // each request is added once (the sums are of whole nanoseconds, exact).
    const std::size_t interval = recorder_.intervals();
    std::vector<Observation::IntervalSum>& timeline = Observation::at(obs_->timeline, path);
    LedgerSum& all = obs_->all[path];
    if (timeline.empty() || timeline.back().interval != interval) {
      LedgerSum& start = Observation::at(obs_->interval_start, path);
      const std::size_t intervals_before = timeline.capacity();
      if (!timeline.empty()) {
        timeline.back().sum = all.minus(start);
        obs_->timeline_bytes += timeline.back().sum.bytes();
      }
      timeline.push_back(Observation::IntervalSum{.interval = interval, .sum = {}});
      obs_->timeline_bytes +=
          (timeline.capacity() - intervals_before) * sizeof(Observation::IntervalSum);
      start = all;  // into the copy's own room: its totals only grow
    }
    all.add(ledger, latency);
    if (obs_->one_pass) {
      Observation::at(obs_->running, path).add(ledger, latency, recorder_.path_latency(path));
    } else {
      obs_->slowest[path].add(ledger, latency);
    }
  }
  ledger.clear();
}

template <bool Observe>
void Simulation<Observe>::attribution_results(stats::Results& results) const {
  auto entity_name = [&](std::size_t entity) -> const std::string& {
    return entity < plan_.services.size() ? plan_.services[entity].name
                                          : plan_.queues[entity - plan_.services.size()].name;
  };
  auto group = [&](const LedgerSum& sum) {
    stats::AttributionGroup out;
    out.requests = sum.requests;
    if (sum.requests == 0) {
      return out;
    }
    const auto n = static_cast<double>(sum.requests);
    out.latency_ms = sum.latency_ns / n * 1e-6;
    // Exactly as many parts as it has: the timeline keeps one group per
    // interval, and a vector's doubling would leave a third of it spare.
    out.parts.reserve(static_cast<std::size_t>(
        std::count_if(sum.totals.begin(), sum.totals.end(),
                      [](const LedgerSum::Total& total) { return total.ns > 0; })));
    for (const auto& [key, ns] : sum.totals) {
      if (ns <= 0) {
        continue;
      }
      const auto where = static_cast<Where>(key % where_count);
      stats::AttributionPart part;
      part.entity = where == Where::unaccounted ? std::string() : entity_name(key / where_count);
      part.what = std::string(where_names[key % where_count]);
      part.ms = ns / n * 1e-6;
      part.share = out.latency_ms > 0 ? part.ms / out.latency_ms : 0.0;
      out.parts.push_back(std::move(part));
    }
    std::stable_sort(out.parts.begin(), out.parts.end(),
                     [](const auto& a, const auto& b) { return a.ms > b.ms; });
    return out;
  };
  for (std::size_t p = 0; p < results.paths.size() && p < obs_->all.size(); ++p) {
    stats::Attribution& attribution = results.paths[p].attribution;
    attribution.is_computed = true;
    attribution.mean = group(obs_->all[p]);
    std::optional<SlowestGroup> finished;
    if (obs_->one_pass) {
      finished = p < obs_->running.size() ? obs_->running[p].finish(results.paths[p].latency)
                                          : SlowestGroup();  // no success measured
    }
    const SlowestGroup* slowest =
        obs_->one_pass ? (finished ? &*finished : nullptr) : &obs_->slowest[p];
    if (slowest == nullptr) {
      obs_->slowest_uncovered = true;  // left empty for a replay to find
    } else {
      attribution.slowest = group(slowest->sum());
      if (attribution.slowest.requests > 0) {
        attribution.slowest.from_ms = static_cast<double>(slowest->from_ns()) * 1e-6;
      }
    }
    if (p < obs_->timeline.size()) {
      const std::vector<Observation::IntervalSum>& timeline = obs_->timeline[p];
      attribution.timeline.reserve(timeline.size());
      for (const Observation::IntervalSum& at : timeline) {
        // The last interval is still open: its sum is what came since it began.
        const bool open = &at == &timeline.back();
        attribution.timeline.push_back(stats::AttributionInterval{
            .interval = at.interval,
            .group = group(open ? obs_->all[p].minus(obs_->interval_start[p]) : at.sum)});
      }
    }
  }
}

template void Simulation<true>::observe_spawn(Id, Duration);
template void Simulation<true>::observe_cpu_start(Id);
template void Simulation<true>::observe_resume(Id);
template void Simulation<true>::observe_attempt_won(Id);
template void Simulation<true>::observe_exchange_done(Id, Outcome);
template void Simulation<true>::observe_path(Id, Time, Outcome);
template void Simulation<true>::attribution_results(stats::Results&) const;

}  // namespace tailsim::components::sim
