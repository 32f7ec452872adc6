// Traces, the observing pass only, of the requests the first pass chose.
// Spans are kept in creation order (parents first) with their parent's
// index; ids come at the end, from the seed, the path and the request's
// arrival number.

#include <fmt/format.h>

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
std::int32_t Simulation<Observe>::open_span(std::int32_t trace, std::int32_t parent,
                                            stats::SpanKind kind, std::string name,
                                            std::string service, Id endpoint, Id pod) {
  stats::Trace& t = obs_->traces[static_cast<std::size_t>(trace)];
  if (t.spans.size() >= stats::max_spans_per_trace || obs_->spans >= stats::max_trace_spans) {
    ++t.dropped_spans;  // and its subtree: a span never opened has no children
    return -1;
  }
  ++obs_->spans;
  stats::Span span;
  span.parent_span_id = static_cast<std::uint64_t>(parent + 1);  // an index + 1 until the end
  span.name = std::move(name);
  span.kind = kind;
  span.service = std::move(service);
  if (endpoint != no_id) {
    const plan::Endpoint& e = plan_.endpoints[endpoint];
    if (span.service.empty()) {
      span.service = plan_.services[e.service].name;
    }
    span.endpoint = e.name.substr(e.name.find('.') + 1);
  }
  if (pod != no_id) {
    span.pod = fmt::format("{}-{}", plan_.services[fleet_.pods[pod].service].name,
                           fleet_.pods[pod].life.ordinal);
  }
  span.start_ns = (now_ - Time{}).count();
  span.end_ns = -1;  // open
  t.spans.push_back(std::move(span));
  return static_cast<std::int32_t>(t.spans.size() - 1);
}

template <bool Observe>
void Simulation<Observe>::close_span(std::int32_t trace, std::int32_t span, Outcome outcome,
                                     Time end) {
  if (trace < 0 || span < 0) {
    return;
  }
  stats::Span& s =
      obs_->traces[static_cast<std::size_t>(trace)].spans[static_cast<std::size_t>(span)];
  if (s.end_ns < 0) {
    s.end_ns = (end - Time{}).count();
    s.outcome = outcome;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_client_request(Id x, Id w, std::uint64_t index) {
  Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  ref = {};
  const auto& chosen = obs_->chosen[w];
  const auto it =
      std::lower_bound(chosen.begin(), chosen.end(), index,
                       [](const auto& entry, std::uint64_t i) { return entry.first < i; });
  if (it == chosen.end() || it->first != index) {
    return;
  }
  if (obs_->spans >= stats::max_trace_spans) {
    ++obs_->traces_dropped;
    return;
  }
  stats::Trace trace;
  trace.path = plan_.workloads[w].name;
  trace.request = index;
  trace.why = it->second;
  trace.outcome = Outcome::unfinished;
  obs_->traces.push_back(std::move(trace));
  ref.trace = static_cast<std::int32_t>(obs_->traces.size() - 1);
  ref.span = open_span(ref.trace, -1, stats::SpanKind::client, plan_.workloads[w].name,
                       plan_.workloads[w].name, no_id, no_id);
  obs_->traces.back().spans.back().endpoint = plan_.endpoints[plan_.workloads[w].entry].name;
}

template <bool Observe>
void Simulation<Observe>::trace_call(Id x, Id task) {
  const Observation::TraceRef caller =
      Observation::at(obs_->request_refs, work_.tasks[task].request);
  Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  ref = {};
  if (caller.trace >= 0) {
    ref.trace = caller.trace;
    ref.parent = caller.span;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_attempt(Id x, Id attempt, bool is_hedge) {
  // An attempt: a client span at the caller (none for the client's own
  // attempts, which reach the entry service directly); the server span at
  // the callee hangs under it.
  Observation::TraceRef& exchange_ref = Observation::at(obs_->exchange_refs, x);
  Observation::TraceRef ref{exchange_ref.trace, exchange_ref.parent, -1};
  const Exchange& ex = calls_.exchanges[x];
  if (ref.trace >= 0) {
    if (ex.kind != ExchangeKind::call) {
      ref.span = exchange_ref.span;  // the root
    } else {
      const plan::CallSite& site = plan_.call_sites[ex.site];
      const Id caller_pod = work_.requests[work_.tasks[ex.caller_task].request].pod;
      ref.span = open_span(ref.trace, ref.parent, stats::SpanKind::client,
                           fmt::format("{} → {}", plan_.services[site.caller_service].name,
                                       plan_.endpoints[ex.target_endpoint].name),
                           plan_.services[site.caller_service].name, no_id, caller_pod);
      if (ref.span < 0) {
        ref = {};  // dropped: the attempt and what it leads to go untraced
      } else {
        stats::Span& span = obs_->traces[static_cast<std::size_t>(ref.trace)]
                                .spans[static_cast<std::size_t>(ref.span)];
        span.endpoint = plan_.endpoints[ex.target_endpoint].name;
        span.attempt = ex.attempts;
        span.is_hedge = is_hedge;
      }
    }
  }
  if (attempt == no_id) {
    exchange_ref.span = ref.span;  // a plain call's one attempt is its exchange
  } else {
    Observation::at(obs_->attempt_refs, attempt) = ref;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_failed_fast(Id x, Outcome outcome) {
  const Exchange& ex = calls_.exchanges[x];
  const Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  if (ref.trace < 0 || ex.kind != ExchangeKind::call) {
    return;
  }
  // An attempt refused before it left (open circuit, full bulkhead, no time
  // left): an instant client span with its outcome.
  const plan::CallSite& site = plan_.call_sites[ex.site];
  const std::int32_t span =
      open_span(ref.trace, ref.parent, stats::SpanKind::client,
                fmt::format("{} → {}", plan_.services[site.caller_service].name,
                            plan_.endpoints[ex.target_endpoint].name),
                plan_.services[site.caller_service].name, no_id,
                work_.requests[work_.tasks[ex.caller_task].request].pod);
  if (span < 0) {
    return;
  }
  stats::Span& s =
      obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(span)];
  s.endpoint = plan_.endpoints[ex.target_endpoint].name;
  s.attempt = ex.attempts + 1;
  close_span(ref.trace, span, outcome, now_);
}

template <bool Observe>
void Simulation<Observe>::trace_request_arrived(Id r) {
  const Request& req = work_.requests[r];
  const Observation::TraceRef from = req.is_plain ? Observation::at(obs_->exchange_refs, req.sender)
                                                  : Observation::at(obs_->attempt_refs, req.sender);
  Observation::TraceRef& ref = Observation::at(obs_->request_refs, r);
  ref = {};
  if (from.trace < 0) {
    return;
  }
  ref.trace = from.trace;
  ref.span = open_span(ref.trace, from.span >= 0 ? from.span : std::max(from.parent, 0),
                       stats::SpanKind::server, plan_.endpoints[req.endpoint].name, std::string(),
                       req.endpoint, req.pod);
  if (ref.span < 0) {
    ref = {};
    return;
  }
  const Exchange& ex =
      calls_.exchanges[req.is_plain ? req.sender : calls_.attempts[req.sender].exchange];
  stats::Span& span =
      obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(ref.span)];
  span.attempt = ex.attempts;
  span.is_hedge = !req.is_plain && calls_.attempts[req.sender].is_hedge;
  if (req.pod != no_id && plan_.services[fleet_.pods[req.pod].service].gc_every != no_id) {
    obs_->at_pods.push_back({req.pod, r, ref});  // it may meet the pod's GC pauses
  }
}

template <bool Observe>
void Simulation<Observe>::trace_request_done(Id r, Outcome outcome) {
  const Observation::TraceRef ref = Observation::at(obs_->request_refs, r);
  auto at = std::find_if(obs_->at_pods.begin(), obs_->at_pods.end(), [&](const auto& entry) {
    return entry.request == r && obs_->is_current(entry);
  });
  if (at != obs_->at_pods.end()) {
    if (at->pod < gc_.pause_started.size()) {
      trace_gc_pause_of(*at, gc_.pause_started[at->pod], now_);  // answered during a pause
    }
    obs_->at_pods.erase(at);
  }
  close_span(ref, outcome);
}

template <bool Observe>
void Simulation<Observe>::trace_gc_pause(Id pod, Time started) {
  std::erase_if(obs_->at_pods, [&](const Observation::TracedAtPod& at) {
    if (!obs_->is_current(at)) {
      return true;  // answered without a trace_request_done: nothing to record
    }
    if (at.pod == pod) {
      trace_gc_pause_of(at, started, now_);
    }
    return false;
  });
}

template <bool Observe>
void Simulation<Observe>::trace_gc_pause_of(const Observation::TracedAtPod& at, Time started,
                                            Time end) {
  // The pause clipped to the request's time at the pod: from its server
  // span's start (it arrived during the pause) to `end` (it was answered
  // during the pause, or the pause ended).
  const stats::Span& server = obs_->traces[static_cast<std::size_t>(at.ref.trace)]
                                  .spans[static_cast<std::size_t>(at.ref.span)];
  const Time start = std::max(started, Time{} + Duration{server.start_ns});
  if (start < end) {
    trace_phase(at.request, "gc pause", start, end);
  }
}

template <bool Observe>
void Simulation<Observe>::trace_phase(Id request, const char* name, Time start, Time end) {
  const Observation::TraceRef ref = Observation::at(obs_->request_refs, request);
  if (ref.trace < 0) {
    return;
  }
  const Request& req = work_.requests[request];
  const std::int32_t span = open_span(ref.trace, ref.span, stats::SpanKind::internal, name,
                                      std::string(), req.endpoint, req.pod);
  if (span < 0) {
    return;
  }
  obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(span)].start_ns =
      (start - Time{}).count();
  close_span(ref.trace, span, Outcome::ok, end);
}

template <bool Observe>
void Simulation<Observe>::trace_results(stats::Results& results, Time finished) {
  for (const Observation::TracedAtPod& at : obs_->at_pods) {  // pauses still going on
    if (at.pod < gc_.pause_started.size() && gc_.pause_started[at.pod] < finished &&
        fleet_.pods[at.pod].life.phase != PodPhase::gone && obs_->is_current(at)) {
      trace_gc_pause_of(at, gc_.pause_started[at.pod], finished);
    }
  }
  for (stats::Trace& trace : obs_->traces) {
    Id w = 0;
    while (plan_.workloads[w].name != trace.path) {
      ++w;
    }
    // Ids from the seed, the path and the arrival number: a rerun matches.
    const std::uint64_t key = splitmix64(plan_.seed ^ splitmix64(w + 1) ^ (trace.request << 1));
    trace.trace_id_high = splitmix64(key);
    trace.trace_id_low = splitmix64(key + 1);
    if (trace.trace_id_high == 0 && trace.trace_id_low == 0) {
      trace.trace_id_low = 1;
    }
    for (std::size_t k = 0; k < trace.spans.size(); ++k) {
      stats::Span& span = trace.spans[k];
      span.span_id = splitmix64(trace.trace_id_low + k + 1);
      span.span_id = span.span_id == 0 ? 1 : span.span_id;
      if (span.end_ns < 0) {  // still open when the run ended
        span.end_ns = (finished - Time{}).count();
        span.outcome = Outcome::unfinished;
      }
    }
    for (stats::Span& span : trace.spans) {
      span.parent_span_id =
          span.parent_span_id == 0 ? 0 : trace.spans[span.parent_span_id - 1].span_id;
    }
  }
  results.traces = std::move(obs_->traces);
  results.traces_dropped = obs_->traces_dropped;
  std::stable_sort(results.traces.begin(), results.traces.end(),
                   [](const stats::Trace& a, const stats::Trace& b) {
                     return a.path != b.path ? a.path < b.path
                                             : a.spans.front().start_ns < b.spans.front().start_ns;
                   });
}

template std::int32_t Simulation<true>::open_span(std::int32_t, std::int32_t, stats::SpanKind,
                                                  std::string, std::string, Id, Id);
template void Simulation<true>::close_span(std::int32_t, std::int32_t, Outcome, Time);
template void Simulation<true>::trace_client_request(Id, Id, std::uint64_t);
template void Simulation<true>::trace_call(Id, Id);
template void Simulation<true>::trace_attempt(Id, Id, bool);
template void Simulation<true>::trace_failed_fast(Id, Outcome);
template void Simulation<true>::trace_request_arrived(Id);
template void Simulation<true>::trace_request_done(Id, Outcome);
template void Simulation<true>::trace_phase(Id, const char*, Time, Time);
template void Simulation<true>::trace_gc_pause(Id, Time);
template void Simulation<true>::trace_gc_pause_of(const Observation::TracedAtPod&, Time, Time);
template void Simulation<true>::trace_results(stats::Results&, Time);

}  // namespace tailsim::components::sim
