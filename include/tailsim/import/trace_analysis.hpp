#pragma once
/// From spans to evidence for a model: the endpoints, calls, own times,
/// network times, errors, replicas and workloads that the spans of a
/// SpanStore show, as plain aggregates whatever format the spans came in.
/// A writer turns them into model text (distributions fitted with fit.hpp);
/// nothing here writes YAML.
///
/// docs/import.md, "From spans to a model", states the rules as applied:
/// which span is an endpoint's invocation, which is a call, how retries,
/// overlaps and clock skew are read, and which traces are dropped and why.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/import/spans.hpp"

namespace tailsim::import {

/// What the analysis is told beyond the spans.
struct AnalysisOptions {
  /// Traces whose spans all end, but one ends within this much of the last
  /// end time in the store, may have been cut by the end of the capture
  /// (an SDK exports a span when it ends, children before parents): they
  /// are dropped, unless that would drop every trace. 0 keeps them all.
  Duration edge_cut = std::chrono::seconds(5);
  /// The share of requests that were traced (`--sample-rate`), for traces
  /// whose spans give no sampling weight: such a trace stands for
  /// 1 / sample_rate requests. In (0, 1].
  double sample_rate = 1.0;
};

/// What the analysis dropped, waived or met, for the model's comments.
struct AnalysisCounts {
  /// Distinct trace ids in the store.
  std::size_t traces = 0;
  /// Traces analysed: not dropped for any reason below.
  std::size_t traces_kept = 0;
  /// Traces dropped because no span in them lacks a parent id.
  std::size_t rootless_traces = 0;
  /// Traces dropped because a span is its own ancestor through parent ids.
  std::size_t cyclic_traces = 0;
  /// Traces dropped as cut by the end of the capture (AnalysisOptions::edge_cut).
  std::size_t cut_traces = 0;
  /// The traces near the end were kept since every trace was: the capture is
  /// shorter than edge_cut, or all its traces end together.
  bool edge_cut_waived = false;
  /// Kept traces with more than one root span (each root's entry counts).
  std::size_t multi_root_traces = 0;
  /// Spans of kept traces whose parent id names no span of the trace: each
  /// starts a partial subtree, analysed but never an entry point.
  std::size_t orphan_spans = 0;
  /// Spans of kept traces whose span id another span of the trace has too
  /// (children attach to the first of them).
  std::size_t duplicate_span_ids = 0;
  /// Spans of kept traces with no kind (unspecified or a kind the formats do
  /// not define), read by the rules for kindless spans.
  std::size_t kindless_spans = 0;
  /// Root spans from which no endpoint invocation is reached (a client span
  /// to an uninstrumented dependency at the top of a trace).
  std::size_t roots_without_entry = 0;
  /// Invocations in the subtree of a client span beyond the one taken as
  /// its callee (analysed as invocations, not as calls of the caller).
  std::size_t extra_callee_spans = 0;
  /// Client spans with no callee invocation and no peer name: the
  /// dependency is named `unknown`.
  std::size_t unnamed_peers = 0;
  /// Kept traces whose spans give no sampling weight (1 / sample_rate used).
  std::size_t unweighted_traces = 0;
};

/// Another call site whose calls overlapped calls of this one.
struct ParallelPeer {
  /// The other site's callee (TraceEvidence::endpoints index); this site's
  /// own callee when its calls overlap each other (fan-out).
  std::size_t callee = 0;
  /// How many of this site's calls overlapped a call to `callee`.
  std::size_t calls = 0;
};

/// The calls an endpoint makes to one callee endpoint, over all its
/// invocations. A call is one logical request: consecutive attempts of a
/// retry are one call (the last attempt is the one counted in `times`).
struct CallSiteEvidence {
  /// The callee, an index into TraceEvidence::endpoints.
  std::size_t callee = 0;
  /// Caller invocations that made this call at least once.
  std::size_t invocations = 0;
  /// invocations / the caller's invocations: the step's `p`.
  double p = 0;
  /// Logical calls in all (a retried call counts once).
  std::size_t calls = 0;
  /// How many calls an invocation that makes the call makes: the step's `times`.
  std::size_t times_min = 0;
  std::size_t times_max = 0;
  double times_mean = 0;
  /// times_histogram[k]: invocations that made the call k times (index 0 unused).
  std::vector<std::size_t> times_histogram;
  /// Requests sent: every attempt of every call.
  std::size_t attempts = 0;
  /// Attempts that failed as the caller saw them (the client span's error
  /// flag, or the callee invocation's).
  std::size_t failed_attempts = 0;
  /// failed_attempts / attempts: the callee's error share seen by the caller.
  double error_share = 0;
  /// Calls whose last attempt failed.
  std::size_t failed_calls = 0;
  /// Calls made in more than one attempt.
  std::size_t retried_calls = 0;
  /// The most attempts one call took (1 when never retried).
  std::size_t max_attempts = 0;
  /// attempts_histogram[k]: calls made in k attempts (index 0 unused).
  std::vector<std::size_t> attempts_histogram;
  /// The durations of the attempts whose caller gave up first: the client
  /// span failed and ended before its callee's invocation, which succeeded.
  /// Their client spans end at the caller's timeout.
  std::vector<Duration> timed_out;
  /// Hedged calls: a second copy sent while the first was in flight, the
  /// two ending together with one of them failed (the loser, cancelled when
  /// the winner answered: not counted as a failure). The delay of each
  /// hedge after its call's first attempt.
  std::vector<Duration> hedge_after;
  /// The gaps between an attempt's end and the next attempt's start.
  std::vector<Duration> backoff;
  /// Calls seen only as a child invocation in another service, with no
  /// client span (kindless traces): no network time for them.
  std::size_t calls_without_client_span = 0;
  /// Calls made by PRODUCER spans (asynchronous: no network time either).
  std::size_t producer_calls = 0;
  /// One-way network time per successful attempt with both a client and a
  /// server span: (client duration - server duration) / 2, at least 0 (a
  /// failed attempt's client may have stopped waiting at a timeout).
  std::vector<Duration> network;
  /// The latency of each call that succeeded, as the caller saw it: from its
  /// first attempt's start to its last attempt's end (a PRODUCER call's
  /// publish is left out: its caller does not wait for the callee).
  /// `tailsim calibrate` compares these with the model's edge.
  std::vector<Duration> latency;
  /// When each of them started (the first attempt's start, nanoseconds
  /// since the epoch), and when each failed call started: calibrate cuts
  /// the calls, in time order, into batches for its intervals.
  std::vector<std::int64_t> latency_start_ns;
  std::vector<std::int64_t> failure_start_ns;
  /// Calls whose interval overlapped another call of the same invocation.
  std::size_t overlapping_calls = 0;
  /// Whether most calls overlap another one (overlapping_calls * 2 > calls):
  /// the call belongs in a `parallel` step.
  bool parallel = false;
  /// Whose calls this site's calls overlapped, by callee index.
  std::vector<ParallelPeer> parallel_with;
  /// The callees of parallel_with that most of this site's calls overlapped:
  /// the parallel group (this site's callee included when its own calls
  /// run in parallel), ascending.
  std::vector<std::size_t> parallel_group;
  /// Mean time from the invocation's start to the call's first attempt's
  /// start, in nanoseconds: the writer lists calls in this order.
  double mean_start_offset_ns = 0;
  /// Spans that support the site: its client spans and callee invocations.
  std::size_t spans = 0;
};

/// The invocations of an endpoint that called the same set of callees, with
/// their own times: an invocation that does more work calls more, or less,
/// and its own time differs with it (a cache miss queries the database and
/// takes longer before it does).
struct CallPattern {
  /// The callees called (TraceEvidence::endpoints indexes), ascending; empty:
  /// the invocations that called nothing.
  std::vector<std::size_t> callees;
  std::size_t invocations = 0;
  std::vector<Duration> own_time;
};

/// One endpoint: an operation of a service as its invocations show it, or
/// an uninstrumented dependency known only from its callers' client spans.
struct EndpointEvidence {
  /// The service's name as the spans give it (the peer name for a dependency).
  std::string service;
  /// The endpoint's name, normalised (normalize_endpoint_name).
  std::string name;
  /// Known only from client spans (no span of its own).
  bool external = false;
  /// Invocations seen (for a dependency: attempts of calls to it).
  std::size_t invocations = 0;
  /// Invocations whose span failed.
  std::size_t errors = 0;
  /// Failed invocations with no failed call below them: the endpoint's own errors.
  std::size_t own_errors = 0;
  /// One per invocation: its duration minus the time its calls cover
  /// (for a dependency: the client span's duration).
  std::vector<Duration> own_time;
  /// Calls it makes, ordered by mean_start_offset_ns.
  std::vector<CallSiteEvidence> calls;
  /// Its invocations by the callees they called, most invocations first;
  /// empty when there were more than max_call_patterns patterns.
  std::vector<CallPattern> patterns;
  /// Spans that support it: invocation spans and the same-service spans
  /// below them counted as own time (for a dependency: client spans).
  std::size_t spans = 0;
};

/// The most call patterns an endpoint keeps: more, and it keeps none.
inline constexpr std::size_t max_call_patterns = 8;

/// A service: the endpoints of one service name.
struct ServiceEvidence {
  std::string name;
  /// Known only as the peer of client spans.
  bool external = false;
  /// Distinct `instance` values over its spans: its replicas; 0 when the
  /// spans name none.
  std::size_t replicas = 0;
  /// Spans reported by it (0 for an external one).
  std::size_t spans = 0;
};

/// The requests that enter at one endpoint: the entries of traces' roots.
struct WorkloadEvidence {
  /// The entry endpoint, an index into TraceEvidence::endpoints.
  std::size_t endpoint = 0;
  /// Entries seen (one per root of a kept trace that reaches this endpoint first).
  std::size_t traces = 0;
  /// The requests they stand for: the sum of their traces' sampling weights.
  double weighted_traces = 0;
  /// The duration of each entry invocation that succeeded: the latency of the
  /// path as tailsim measures it (arrival to response, successes only).
  std::vector<Duration> latency;
  /// Entries whose invocation failed.
  std::size_t failed = 0;
  /// When each success (parallel to `latency`) and each failure started,
  /// nanoseconds since the epoch: calibrate cuts the requests, in time
  /// order, into batches for its intervals.
  std::vector<std::int64_t> latency_start_ns;
  std::vector<std::int64_t> failure_start_ns;
  /// Entries whose trace gave no weight (1 / sample_rate was used).
  std::size_t unweighted_traces = 0;
  /// The smallest and largest weight used.
  double min_weight = 0;
  double max_weight = 0;
  /// The first and last entry's start, nanoseconds since the epoch.
  std::int64_t first_start_ns = 0;
  std::int64_t last_start_ns = 0;
  /// last_start_ns - first_start_ns.
  Duration window{0};
  /// weighted_traces / window in requests per second; none when the window
  /// is 0 (a single entry, or all at one instant): the rate is unknown.
  std::optional<double> rate_per_s;
};

/// Everything the spans show, for a writer to turn into a model.
struct TraceEvidence {
  /// Ordered by (service, name).
  std::vector<EndpointEvidence> endpoints;
  /// Ordered by name.
  std::vector<ServiceEvidence> services;
  /// Ordered by endpoint.
  std::vector<WorkloadEvidence> workloads;
  AnalysisCounts counts;

  /// The index of endpoint (service, name), if there is one.
  [[nodiscard]] std::optional<std::size_t> find_endpoint(std::string_view service,
                                                         std::string_view name) const;
  /// The endpoint's call site to `callee`, if it makes that call.
  [[nodiscard]] const CallSiteEvidence* find_call(std::size_t caller, std::size_t callee) const;
};

/// An endpoint name as SPEC.md gives it: lowercased, each run of characters
/// other than a-z, 0-9, `_` and `-` turned into one `_`, trimmed of `_` at
/// both ends; `unnamed` when nothing is left.
[[nodiscard]] std::string normalize_endpoint_name(std::string_view text);

/// Analyses the spans of `store` (docs/import.md, "From spans to a model").
/// Time O(n log n), memory O(n) for n spans; never fails on odd spans
/// (cycles, orphans, duplicate ids): it drops or counts them.
[[nodiscard]] TraceEvidence analyze_traces(const SpanStore& store,
                                           const AnalysisOptions& options = {});

}  // namespace tailsim::import
