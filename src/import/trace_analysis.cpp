#include "tailsim/import/trace_analysis.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "trace_tree.hpp"

namespace tailsim::import {

namespace {

using detail::TraceTree;
using detail::TreeShape;

constexpr std::uint32_t no_span = TraceTree::none;
/// The endpoint of a span that is no invocation.
constexpr std::size_t no_endpoint = static_cast<std::size_t>(-1);
/// The service of a dependency whose client spans name no peer.
constexpr std::string_view unknown_peer_service = "unknown";

bool is_calling_kind(SpanKind kind) {
  return kind == SpanKind::client || kind == SpanKind::producer;
}

bool is_serving_kind(SpanKind kind) {
  return kind == SpanKind::server || kind == SpanKind::consumer;
}

/// a - b, saturated: the times of a file may lie further apart than int64 holds.
std::int64_t gap_ns(std::int64_t a, std::int64_t b) {
  std::int64_t gap = 0;
  if (__builtin_sub_overflow(a, b, &gap)) {
    return a > b ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return gap;
}

std::int64_t span_duration_ns(const Span& span) {
  return gap_ns(span.end_ns, span.start_ns);
}

/// The words an endpoint is named from (string indexes), and whether it is
/// a dependency known from a client span: the key of a cache of endpoints.
struct EndpointSource {
  std::uint32_t service = 0;
  std::uint32_t route = 0;
  std::uint32_t method = 0;
  std::uint32_t name = 0;
  bool external = false;
  friend bool operator==(const EndpointSource&, const EndpointSource&) = default;
};

struct EndpointSourceHash {
  std::size_t operator()(const EndpointSource& key) const {
    std::uint64_t h = (std::uint64_t{key.service} << 32U) ^ key.route;
    h = h * 0x9E3779B97F4A7C15ULL ^ ((std::uint64_t{key.method} << 32U) ^ key.name);
    h = h * 0x9E3779B97F4A7C15ULL ^ (key.external ? 1U : 0U);
    return static_cast<std::size_t>(h ^ (h >> 29U));
  }
};

/// One request of an invocation to a callee: a client span, the callee's
/// invocation, or both.
struct CallAttempt {
  std::size_t callee = 0;
  std::uint32_t client = no_span;
  std::uint32_t server = no_span;
  /// The client span's times, else (a kindless call) the callee invocation's.
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  bool failed = false;
  /// A hedged call's losing attempt, cut off when the other one answered:
  /// neither a failure nor a measure of the network or of a timeout.
  bool cancelled = false;
};

/// Whether `later`, an attempt to the same callee as `earlier` that started
/// while `earlier` was in flight, is its hedge: a second copy sent after a
/// delay, the two ending together (the loser is cancelled when the winner
/// answers), exactly one of them failed (the loser's span says cancelled).
bool is_hedge_of(const CallAttempt& later, const CallAttempt& earlier) {
  constexpr std::int64_t together_ns = 100'000;  // cancellation reaches the loser at once
  return later.start_ns > earlier.start_ns && later.start_ns < earlier.end_ns &&
         std::abs(later.end_ns - earlier.end_ns) <= together_ns && later.failed != earlier.failed;
}

/// One logical call: attempts_[first, first + count) of one callee.
struct LogicalCall {
  std::size_t callee = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::size_t first = 0;
  std::size_t count = 0;
  bool overlapped = false;
  /// Its second attempt was a hedge sent this long after the first (0: none).
  std::int64_t hedge_after_ns = 0;
};

/// A call site as it is being summed up over the caller's invocations.
struct CallSiteSums {
  CallSiteEvidence site;
  double offset_sum_ns = 0;
  double times_sum = 0;
  /// Callee -> how many of the site's calls overlapped a call to it.
  std::map<std::size_t, std::size_t> parallel;
};

struct ServiceSums {
  std::unordered_set<std::uint32_t> instances;
  std::size_t spans = 0;
};

/// Reads every trace of a store into evidence: one pass to decide which
/// traces to keep, one to analyse them.
class TraceAnalyzer {
 public:
  TraceAnalyzer(const SpanStore& store, const AnalysisOptions& options)
      : store_(store), options_(options) {}

  TraceEvidence run();

 private:
  void analyze_trace();
  void analyze_invocation(std::uint32_t invocation);
  /// Adds a logical call's figures to its site (and a dependency's own figures).
  void record_call(std::size_t caller, std::int64_t invocation_start, const LogicalCall& call);
  /// The own time of an invocation over [start, end]: its duration minus
  /// the time its calls cover, clipped to it. Exact in unsigned arithmetic
  /// (end - start may exceed int64), then saturated.
  std::int64_t own_time_ns(std::int64_t start, std::int64_t end);
  /// Adds the invocation whose calls are calls_ to its endpoint's pattern.
  void record_pattern(std::size_t caller, Duration own_time);
  /// Marks overlapping calls and counts, per call, the callees it overlapped.
  void find_overlaps(std::size_t caller);
  /// The invocation a client span calls, searched below it through spans of
  /// its own service; no_span for an uninstrumented dependency.
  std::uint32_t find_callee(std::uint32_t client);
  /// The first invocation at or below a root, no_span if none.
  std::uint32_t find_entry(std::uint32_t root);
  [[nodiscard]] bool is_invocation(std::uint32_t local) const;
  std::size_t endpoint_for(const Span& span, bool external);
  void finish();

  const SpanStore& store_;
  const AnalysisOptions& options_;
  TraceEvidence evidence_;
  TraceTree tree_;

  std::unordered_map<EndpointSource, std::size_t, EndpointSourceHash> endpoint_cache_;
  std::map<std::pair<std::string_view, std::string>, std::size_t> endpoint_index_;
  /// Per endpoint (creation order): its call sites by callee.
  std::vector<std::map<std::size_t, CallSiteSums>> sites_;
  /// Per endpoint (creation order): its call patterns by callees (creation
  /// indexes), and whether it had too many to keep.
  std::vector<std::map<std::vector<std::size_t>, CallPattern>> patterns_;
  std::vector<bool> too_many_patterns_;
  std::map<std::string_view, ServiceSums> services_;
  std::map<std::size_t, WorkloadEvidence> workloads_;

  // Scratch of the trace being analysed, reused across traces.
  double trace_weight_ = 1;
  bool trace_weighted_ = false;
  std::vector<std::size_t> endpoint_of_;
  std::vector<CallAttempt> attempts_;
  std::vector<LogicalCall> calls_;
  std::vector<std::uint32_t> walk_;
  std::vector<std::uint32_t> pending_;
  std::vector<std::pair<std::int64_t, std::int64_t>> intervals_;
  std::vector<std::pair<std::size_t, std::size_t>> pairs_;
};

TraceEvidence TraceAnalyzer::run() {
  const detail::TraceGroups groups = detail::group_traces(store_);
  AnalysisCounts& counts = evidence_.counts;
  counts.traces = groups.count();
  std::int64_t store_last_end = std::numeric_limits<std::int64_t>::min();
  for (const Span& span : store_.spans()) {
    store_last_end = std::max(store_last_end, span.end_ns);
  }
  const bool cutting = options_.edge_cut > Duration::zero();
  const std::int64_t cut_from = gap_ns(store_last_end, options_.edge_cut.count());

  enum class Verdict : std::uint8_t { keep, drop, near_end };
  std::vector<Verdict> verdicts(groups.count(), Verdict::keep);
  std::size_t whole = 0;
  std::size_t near_end = 0;
  for (std::size_t t = 0; t < groups.count(); ++t) {
    const TreeShape shape = tree_.build(store_, groups.trace(t));
    if (shape == TreeShape::cyclic) {
      ++counts.cyclic_traces;
      verdicts[t] = Verdict::drop;
    } else if (shape == TreeShape::rootless) {
      ++counts.rootless_traces;
      verdicts[t] = Verdict::drop;
    } else {
      ++whole;
      if (cutting && tree_.last_end_ns() >= cut_from) {
        ++near_end;
        verdicts[t] = Verdict::near_end;
      }
    }
  }
  // Dropping every trace would leave nothing to learn from: keep them all.
  const bool waive = near_end > 0 && near_end == whole;
  counts.edge_cut_waived = waive;
  counts.cut_traces = waive ? 0 : near_end;

  for (std::size_t t = 0; t < groups.count(); ++t) {
    if (verdicts[t] == Verdict::drop || (verdicts[t] == Verdict::near_end && !waive)) {
      continue;
    }
    tree_.build(store_, groups.trace(t));
    ++counts.traces_kept;
    analyze_trace();
  }
  finish();
  return std::move(evidence_);
}

bool TraceAnalyzer::is_invocation(std::uint32_t local) const {
  const Span& span = tree_.span(local);
  if (is_serving_kind(span.kind)) {
    return true;
  }
  if (is_calling_kind(span.kind)) {
    return false;
  }
  // Unspecified or internal: an invocation when it has no parent, or its
  // parent is in another service (a kindless RPC is one span in the callee).
  const std::uint32_t parent = tree_.parent(local);
  return parent == no_span || tree_.span(parent).service != span.service;
}

std::size_t TraceAnalyzer::endpoint_for(const Span& span, bool external) {
  const std::uint32_t service = external ? span.peer : span.service;
  const EndpointSource key{service, span.route, span.method, span.name, external};
  if (const auto cached = endpoint_cache_.find(key); cached != endpoint_cache_.end()) {
    return cached->second;
  }
  std::string_view service_name = store_.text(service);
  if (service_name.empty()) {
    service_name = unknown_peer_service;
  }
  // HTTP `{method} {route}`, an RPC method, else the span's name; never a URL path.
  std::string source;
  if (span.route != 0) {
    if (span.method != 0) {
      source.append(store_.text(span.method)).append(" ");
    }
    source.append(store_.text(span.route));
  } else {
    source = store_.text(span.name);
  }
  auto [found, added] =
      endpoint_index_.try_emplace({service_name, normalize_endpoint_name(source)}, 0);
  if (added) {
    found->second = evidence_.endpoints.size();
    EndpointEvidence endpoint;
    endpoint.service = std::string(service_name);
    endpoint.name = found->first.second;
    endpoint.external = true;  // until an invocation of it is seen
    evidence_.endpoints.push_back(std::move(endpoint));
    sites_.emplace_back();
  }
  endpoint_cache_.emplace(key, found->second);
  return found->second;
}

void TraceAnalyzer::analyze_trace() {
  AnalysisCounts& counts = evidence_.counts;
  const std::uint32_t n = tree_.size();
  counts.orphan_spans += tree_.orphans();
  counts.duplicate_span_ids += tree_.duplicate_ids();
  if (tree_.roots().size() > 1) {
    ++counts.multi_root_traces;
  }

  trace_weighted_ = false;
  trace_weight_ = 1.0 / options_.sample_rate;
  endpoint_of_.assign(n, no_endpoint);
  for (std::uint32_t i = 0; i < n; ++i) {
    const Span& span = tree_.span(i);
    ServiceSums& service = services_[store_.text(span.service).empty() ? unknown_peer_service
                                                                       : store_.text(span.service)];
    ++service.spans;
    if (span.instance != 0) {
      service.instances.insert(span.instance);
    }
    if (span.kind == SpanKind::unspecified) {
      ++counts.kindless_spans;
    }
    if (!trace_weighted_ && span.sampling_weight > 0) {
      trace_weighted_ = true;
      trace_weight_ = span.sampling_weight;
    }
    endpoint_of_[i] = is_invocation(i) ? endpoint_for(span, /*external=*/false) : no_endpoint;
  }
  if (!trace_weighted_) {
    ++counts.unweighted_traces;
  }

  for (std::uint32_t i = 0; i < n; ++i) {
    if (endpoint_of_[i] != no_endpoint) {
      analyze_invocation(i);
    }
  }

  for (const std::uint32_t root : tree_.roots()) {
    const std::uint32_t entry = find_entry(root);
    if (entry == no_span) {
      ++counts.roots_without_entry;
      continue;
    }
    const std::size_t endpoint = endpoint_of_[entry];
    const std::int64_t start = tree_.span(entry).start_ns;
    auto [found, added] = workloads_.try_emplace(endpoint);
    WorkloadEvidence& workload = found->second;
    if (added) {
      workload.endpoint = endpoint;
      workload.first_start_ns = start;
      workload.last_start_ns = start;
      workload.min_weight = trace_weight_;
      workload.max_weight = trace_weight_;
    }
    ++workload.traces;
    workload.weighted_traces += trace_weight_;
    workload.unweighted_traces += trace_weighted_ ? 0 : 1;
    workload.min_weight = std::min(workload.min_weight, trace_weight_);
    workload.max_weight = std::max(workload.max_weight, trace_weight_);
    workload.first_start_ns = std::min(workload.first_start_ns, start);
    workload.last_start_ns = std::max(workload.last_start_ns, start);
    const Span& entry_span = tree_.span(entry);
    if (entry_span.error) {
      ++workload.failed;
      workload.failure_start_ns.push_back(start);
    } else {
      workload.latency.emplace_back(span_duration_ns(entry_span));
      workload.latency_start_ns.push_back(start);
    }
  }
}

std::uint32_t TraceAnalyzer::find_callee(std::uint32_t client) {
  const std::uint32_t service = tree_.span(client).service;
  std::uint32_t callee = no_span;
  walk_.assign(tree_.children(client).begin(), tree_.children(client).end());
  // Breadth first, so that the callee is the shallowest invocation, the
  // earliest of its level.
  for (std::size_t next = 0; next < walk_.size(); ++next) {
    const std::uint32_t local = walk_[next];
    if (endpoint_of_[local] != no_endpoint) {
      if (callee == no_span) {
        callee = local;
      } else {
        ++evidence_.counts.extra_callee_spans;
      }
    } else if (tree_.span(local).service == service) {
      const auto children = tree_.children(local);
      walk_.insert(walk_.end(), children.begin(), children.end());
    }
  }
  return callee;
}

std::uint32_t TraceAnalyzer::find_entry(std::uint32_t root) {
  walk_.assign(1, root);
  for (std::size_t next = 0; next < walk_.size(); ++next) {
    const std::uint32_t local = walk_[next];
    if (endpoint_of_[local] != no_endpoint) {
      return local;
    }
    const auto children = tree_.children(local);
    walk_.insert(walk_.end(), children.begin(), children.end());
  }
  return no_span;
}

void TraceAnalyzer::analyze_invocation(std::uint32_t invocation) {
  const Span& span = tree_.span(invocation);
  const std::size_t caller = endpoint_of_[invocation];
  attempts_.clear();
  std::size_t own_spans = 1;

  // Down through the invocation's own spans: a child invocation is a call
  // without a client span, a client or producer span a call; other spans
  // of the service are its own time.
  std::vector<std::uint32_t>& pending = pending_;
  pending.assign(tree_.children(invocation).begin(), tree_.children(invocation).end());
  while (!pending.empty()) {
    const std::uint32_t local = pending.back();
    pending.pop_back();
    const Span& child = tree_.span(local);
    CallAttempt attempt;
    attempt.start_ns = child.start_ns;
    attempt.end_ns = child.end_ns;
    if (endpoint_of_[local] != no_endpoint) {
      attempt.callee = endpoint_of_[local];
      attempt.server = local;
      attempt.failed = child.error;
    } else if (is_calling_kind(child.kind)) {
      attempt.client = local;
      attempt.server = find_callee(local);
      if (attempt.server != no_span) {
        attempt.callee = endpoint_of_[attempt.server];
      } else {
        attempt.callee = endpoint_for(child, /*external=*/true);
      }
      attempt.failed =
          child.error || (attempt.server != no_span && tree_.span(attempt.server).error);
    } else {
      ++own_spans;
      const auto children = tree_.children(local);
      pending.insert(pending.end(), children.begin(), children.end());
      continue;
    }
    attempts_.push_back(attempt);
  }

  // Retries: attempts to one callee, in start order, each after a failed
  // one that it does not overlap, make one call.
  std::sort(attempts_.begin(), attempts_.end(), [](const CallAttempt& a, const CallAttempt& b) {
    if (a.callee != b.callee) {
      return a.callee < b.callee;
    }
    if (a.start_ns != b.start_ns) {
      return a.start_ns < b.start_ns;
    }
    return std::min(a.client, a.server) < std::min(b.client, b.server);
  });
  calls_.clear();
  for (std::size_t i = 0; i < attempts_.size(); ++i) {
    CallAttempt& attempt = attempts_[i];
    if (i > 0 && !calls_.empty() && calls_.back().callee == attempt.callee) {
      CallAttempt& previous = attempts_[i - 1];
      const bool retry = previous.failed && attempt.start_ns >= previous.end_ns;
      const bool hedge = !retry && calls_.back().hedge_after_ns == 0 && calls_.back().count == 1 &&
                         is_hedge_of(attempt, previous);
      if (retry || hedge) {
        LogicalCall& call = calls_.back();
        ++call.count;
        call.end_ns = std::max(call.end_ns, attempt.end_ns);
        if (hedge) {
          call.hedge_after_ns = attempt.start_ns - previous.start_ns;
          CallAttempt& loser = attempt.failed ? attempt : previous;
          loser.failed = false;
          loser.cancelled = true;
        }
        continue;
      }
    }
    calls_.push_back(LogicalCall{attempt.callee, attempt.start_ns, attempt.end_ns, i, 1, false});
  }
  std::sort(calls_.begin(), calls_.end(), [](const LogicalCall& a, const LogicalCall& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.first < b.first;
  });

  EndpointEvidence& endpoint = evidence_.endpoints[caller];
  endpoint.external = false;
  ++endpoint.invocations;
  endpoint.spans += own_spans;
  const Duration own_time(own_time_ns(span.start_ns, span.end_ns));
  endpoint.own_time.emplace_back(own_time);
  record_pattern(caller, own_time);
  bool call_failed = false;
  for (const LogicalCall& call : calls_) {
    call_failed = call_failed || attempts_[call.first + call.count - 1].failed;
  }
  if (span.error) {
    ++endpoint.errors;
    if (!call_failed) {
      ++endpoint.own_errors;
    }
  }

  find_overlaps(caller);
  for (const LogicalCall& call : calls_) {
    record_call(caller, span.start_ns, call);
  }

  // `times`: how many calls to each callee this invocation made.
  pairs_.clear();
  for (const LogicalCall& call : calls_) {
    pairs_.emplace_back(call.callee, 0);
  }
  std::sort(pairs_.begin(), pairs_.end());
  for (std::size_t i = 0; i < pairs_.size();) {
    std::size_t j = i;
    while (j < pairs_.size() && pairs_[j].first == pairs_[i].first) {
      ++j;
    }
    const std::size_t times = j - i;
    CallSiteSums& sums = sites_[caller][pairs_[i].first];
    CallSiteEvidence& site = sums.site;
    site.times_min = site.invocations == 0 ? times : std::min(site.times_min, times);
    site.times_max = std::max(site.times_max, times);
    if (site.times_histogram.size() <= times) {
      site.times_histogram.resize(times + 1, 0);
    }
    ++site.times_histogram[times];
    ++site.invocations;
    sums.times_sum += static_cast<double>(times);
    i = j;
  }
}

void TraceAnalyzer::record_pattern(std::size_t caller, Duration own_time) {
  if (patterns_.size() <= caller) {
    patterns_.resize(caller + 1);
    too_many_patterns_.resize(caller + 1, false);
  }
  if (too_many_patterns_[caller]) {
    return;
  }
  std::vector<std::size_t> callees;
  for (const LogicalCall& call : calls_) {
    callees.push_back(call.callee);
  }
  std::sort(callees.begin(), callees.end());
  callees.erase(std::unique(callees.begin(), callees.end()), callees.end());
  auto& patterns = patterns_[caller];
  auto found = patterns.find(callees);
  if (found == patterns.end()) {
    if (patterns.size() == max_call_patterns) {
      too_many_patterns_[caller] = true;
      patterns.clear();
      return;
    }
    found = patterns.emplace(callees, CallPattern{callees, 0, {}}).first;
  }
  ++found->second.invocations;
  found->second.own_time.push_back(own_time);
}

std::int64_t TraceAnalyzer::own_time_ns(std::int64_t start, std::int64_t end) {
  if (end < start) {
    return gap_ns(end, start);
  }
  intervals_.clear();
  for (const LogicalCall& call : calls_) {
    const std::int64_t from = std::max(call.start_ns, start);
    const std::int64_t to = std::min(call.end_ns, end);
    if (to > from) {
      intervals_.emplace_back(from, to);
    }
  }
  std::sort(intervals_.begin(), intervals_.end());
  const auto unsigned_gap = [](std::int64_t to, std::int64_t from) {
    return static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  };
  std::uint64_t own = unsigned_gap(end, start);
  std::int64_t reached = start;
  for (const auto& [from, to] : intervals_) {
    if (to > reached) {
      own -= unsigned_gap(to, std::max(from, reached));
      reached = to;
    }
  }
  constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(own, most));
}

void TraceAnalyzer::find_overlaps(std::size_t caller) {
  // calls_ is in start order: the calls that overlap call i start before it
  // ends. Time grows with the overlapping pairs; memory only with the
  // distinct (call, callee) pairs, since the list is compacted whenever it
  // doubles (a fan-out of n calls to one callee keeps n pairs, not n^2).
  pairs_.clear();
  std::size_t compacted = 0;
  const auto compact = [this, &compacted] {
    std::sort(pairs_.begin(), pairs_.end());
    pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
    compacted = pairs_.size();
  };
  for (std::size_t i = 0; i < calls_.size(); ++i) {
    for (std::size_t j = i + 1; j < calls_.size() && calls_[j].start_ns < calls_[i].end_ns; ++j) {
      if (calls_[j].end_ns > calls_[i].start_ns) {
        calls_[i].overlapped = true;
        calls_[j].overlapped = true;
        pairs_.emplace_back(i, calls_[j].callee);
        pairs_.emplace_back(j, calls_[i].callee);
        if (pairs_.size() > 2 * compacted + 1024) {
          compact();
        }
      }
    }
  }
  compact();
  for (const auto& [call, other] : pairs_) {
    ++sites_[caller][calls_[call].callee].parallel[other];
  }
}

void TraceAnalyzer::record_call(std::size_t caller, std::int64_t invocation_start,
                                const LogicalCall& call) {
  CallSiteSums& sums = sites_[caller][call.callee];
  CallSiteEvidence& site = sums.site;
  site.callee = call.callee;
  ++site.calls;
  sums.offset_sum_ns += static_cast<double>(gap_ns(call.start_ns, invocation_start));
  if (call.overlapped) {
    ++site.overlapping_calls;
  }
  const CallAttempt* previous = nullptr;
  for (std::size_t i = call.first; i < call.first + call.count; ++i) {
    const CallAttempt& attempt = attempts_[i];
    ++site.attempts;
    if (attempt.failed) {
      ++site.failed_attempts;
    }
    if (previous != nullptr && call.hedge_after_ns == 0) {
      site.backoff.emplace_back(gap_ns(attempt.start_ns, previous->end_ns));
    }
    previous = &attempt;
    site.spans += (attempt.client != no_span ? 1 : 0) + (attempt.server != no_span ? 1 : 0);
    if (attempt.client == no_span) {
      continue;
    }
    const Span& client = tree_.span(attempt.client);
    if (attempt.cancelled) {
      continue;
    }
    if (attempt.server != no_span && client.error && !tree_.span(attempt.server).error &&
        client.kind != SpanKind::producer &&
        span_duration_ns(client) < span_duration_ns(tree_.span(attempt.server))) {
      // The caller gave up while the callee went on and succeeded: a timeout.
      site.timed_out.emplace_back(span_duration_ns(client));
    }
    if (attempt.server != no_span) {
      // A failed attempt's client span may end at a timeout, long before or
      // after its server span: no measure of the network.
      if (client.kind != SpanKind::producer && !attempt.failed) {
        // Both durations are measured on one clock each: skew-free.
        const std::int64_t network =
            span_duration_ns(client) - span_duration_ns(tree_.span(attempt.server));
        site.network.emplace_back(std::max<std::int64_t>(network, 0) / 2);
      }
      continue;
    }
    // An uninstrumented dependency: its client span is all we know of it.
    EndpointEvidence& dependency = evidence_.endpoints[call.callee];
    ++dependency.invocations;
    ++dependency.spans;
    dependency.own_time.emplace_back(span_duration_ns(client));
    if (client.error) {
      ++dependency.errors;
      ++dependency.own_errors;
    }
    if (client.peer == 0) {
      ++evidence_.counts.unnamed_peers;
    }
  }
  const CallAttempt& first = attempts_[call.first];
  if (first.client == no_span) {
    ++site.calls_without_client_span;
  } else if (tree_.span(first.client).kind == SpanKind::producer) {
    ++site.producer_calls;
  }
  const CallAttempt& last = attempts_[call.first + call.count - 1];
  if (last.failed) {
    ++site.failed_calls;
    site.failure_start_ns.push_back(first.start_ns);
  } else if (first.client == no_span || tree_.span(first.client).kind != SpanKind::producer) {
    site.latency.emplace_back(gap_ns(last.end_ns, first.start_ns));
    site.latency_start_ns.push_back(first.start_ns);
  }
  if (call.hedge_after_ns > 0) {
    site.hedge_after.emplace_back(call.hedge_after_ns);
  } else {
    if (call.count > 1) {
      ++site.retried_calls;
    }
    site.max_attempts = std::max(site.max_attempts, call.count);
  }
  if (site.attempts_histogram.size() <= call.count) {
    site.attempts_histogram.resize(call.count + 1, 0);
  }
  ++site.attempts_histogram[call.count];
}

void TraceAnalyzer::finish() {
  std::vector<EndpointEvidence>& endpoints = evidence_.endpoints;
  // endpoint_index_ is ordered by (service, name): its values in order are
  // the creation indexes in the final order.
  std::vector<std::size_t> new_index(endpoints.size());
  std::vector<std::size_t> old_of;
  old_of.reserve(endpoints.size());
  for (const auto& [key, old] : endpoint_index_) {
    new_index[old] = old_of.size();
    old_of.push_back(old);
  }

  std::vector<EndpointEvidence> ordered;
  ordered.reserve(endpoints.size());
  for (const std::size_t old : old_of) {
    EndpointEvidence endpoint = std::move(endpoints[old]);
    for (auto& [callee, sums] : sites_[old]) {
      CallSiteEvidence site = std::move(sums.site);
      site.callee = new_index[callee];
      const auto calls = static_cast<double>(site.calls);
      site.p = endpoint.invocations == 0 ? 0
                                         : static_cast<double>(site.invocations) /
                                               static_cast<double>(endpoint.invocations);
      site.times_mean =
          site.invocations == 0 ? 0 : sums.times_sum / static_cast<double>(site.invocations);
      site.error_share = site.attempts == 0 ? 0
                                            : static_cast<double>(site.failed_attempts) /
                                                  static_cast<double>(site.attempts);
      site.mean_start_offset_ns = site.calls == 0 ? 0 : sums.offset_sum_ns / calls;
      site.parallel = site.overlapping_calls * 2 > site.calls;
      for (const auto& [other, overlapped] : sums.parallel) {
        site.parallel_with.push_back(ParallelPeer{new_index[other], overlapped});
      }
      std::sort(site.parallel_with.begin(), site.parallel_with.end(),
                [](const ParallelPeer& a, const ParallelPeer& b) { return a.callee < b.callee; });
      for (const ParallelPeer& peer : site.parallel_with) {
        if (peer.calls * 2 > site.calls) {
          site.parallel_group.push_back(peer.callee);
        }
      }
      endpoint.calls.push_back(std::move(site));
    }
    if (old < patterns_.size()) {
      for (auto& [key, pattern] : patterns_[old]) {
        for (std::size_t& callee : pattern.callees) {
          callee = new_index[callee];
        }
        std::sort(pattern.callees.begin(), pattern.callees.end());
        endpoint.patterns.push_back(std::move(pattern));
      }
      std::stable_sort(
          endpoint.patterns.begin(), endpoint.patterns.end(),
          [](const CallPattern& a, const CallPattern& b) { return a.invocations > b.invocations; });
    }
    std::sort(endpoint.calls.begin(), endpoint.calls.end(),
              [](const CallSiteEvidence& a, const CallSiteEvidence& b) {
                if (a.mean_start_offset_ns != b.mean_start_offset_ns) {
                  return a.mean_start_offset_ns < b.mean_start_offset_ns;
                }
                return a.callee < b.callee;
              });
    ordered.push_back(std::move(endpoint));
  }
  endpoints = std::move(ordered);

  std::map<std::string_view, ServiceEvidence> services;
  for (const auto& [name, sums] : services_) {
    ServiceEvidence service;
    service.name = std::string(name);
    service.replicas = sums.instances.size();
    service.spans = sums.spans;
    services.emplace(name, std::move(service));
  }
  for (const EndpointEvidence& endpoint : endpoints) {
    if (!services.contains(endpoint.service)) {
      ServiceEvidence service;
      service.name = endpoint.service;
      service.external = true;
      services.emplace(endpoint.service, std::move(service));
    }
  }
  for (auto& [name, service] : services) {
    evidence_.services.push_back(std::move(service));
  }

  for (auto& [old, workload] : workloads_) {
    workload.endpoint = new_index[old];
    workload.window = Duration(gap_ns(workload.last_start_ns, workload.first_start_ns));
    if (workload.window > Duration::zero()) {
      workload.rate_per_s = workload.weighted_traces / to_seconds(workload.window);
    }
    evidence_.workloads.push_back(workload);
  }
  std::sort(
      evidence_.workloads.begin(), evidence_.workloads.end(),
      [](const WorkloadEvidence& a, const WorkloadEvidence& b) { return a.endpoint < b.endpoint; });
}

}  // namespace

std::optional<std::size_t> TraceEvidence::find_endpoint(std::string_view service,
                                                        std::string_view name) const {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i].service == service && endpoints[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

const CallSiteEvidence* TraceEvidence::find_call(std::size_t caller, std::size_t callee) const {
  for (const CallSiteEvidence& site : endpoints.at(caller).calls) {
    if (site.callee == callee) {
      return &site;
    }
  }
  return nullptr;
}

std::string normalize_endpoint_name(std::string_view text) {
  std::string name;
  name.reserve(text.size());
  bool in_run = false;
  for (const char c : text) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool kept = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') ||
                      lower == '_' || lower == '-';
    if (kept) {
      name.push_back(lower);
      in_run = false;
    } else if (!in_run) {
      name.push_back('_');
      in_run = true;
    }
  }
  const std::size_t first = name.find_first_not_of('_');
  if (first == std::string::npos) {
    return "unnamed";
  }
  const std::size_t last = name.find_last_not_of('_');
  return name.substr(first, last - first + 1);
}

TraceEvidence analyze_traces(const SpanStore& store, const AnalysisOptions& options) {
  assert(options.sample_rate > 0 && options.sample_rate <= 1 && "sample_rate is in (0, 1]");
  return TraceAnalyzer(store, options).run();
}

}  // namespace tailsim::import
