#include "tailsim/report/json_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailsim/report/json_numbers.hpp"
#include "tailsim/report/result_text.hpp"

namespace tailsim::report {
namespace {

using ordered_json = nlohmann::ordered_json;
using stats::Outcome;

/// One group of a path's tail attribution: its requests, mean latency and
/// the parts it is made of, largest first.
ordered_json attribution_group(const stats::AttributionGroup& group, bool slowest) {
  ordered_json out;
  out["requests"] = group.requests;
  out["latency_ms"] = group.latency_ms;
  if (slowest) {
    out["from_ms"] = group.from_ms;
  }
  ordered_json& parts = out["parts"] = ordered_json::array();
  for (const auto& part : group.parts) {
    parts.push_back(
        {{"entity", part.entity}, {"what", part.what}, {"ms", part.ms}, {"share", part.share}});
  }
  return out;
}

/// The smallest share of an interval's latency that gives a part a column of
/// its own in the attribution timeline: the parts that reach it in no
/// interval are summed into one column, what "other".
constexpr double timeline_column_share = 0.01;

/// Milliseconds as the attribution timeline writes them: rounded to the
/// microsecond, 0 as the integer 0.
ordered_json timeline_ms(double ms) {
  const double rounded = std::round(ms * 1000.0) / 1000.0;
  if (rounded == 0) {
    return 0;
  }
  return rounded;
}

/// A path's attribution per time-series interval, in columns: the intervals
/// with requests, their requests and mean latency, and one column of mean
/// milliseconds per (entity, what) part, aligned with the intervals (0 where
/// an interval has none of it), largest over the run first; the parts that
/// never reach `timeline_column_share` of an interval's latency are summed
/// into a last column, what "other".
ordered_json attribution_timeline(const std::vector<stats::AttributionInterval>& timeline,
                                  double interval_s) {
  struct Column {
    std::string entity;
    std::string what;
    double total_ms = 0;  ///< over the run: ms x requests, summed over intervals
    bool is_own = false;  ///< reaches timeline_column_share of some interval
    std::vector<double> ms{};
  };
  // Every part in the order it first appears, then the own ones by their
  // time over the run (ties in that order).
  std::vector<Column> columns;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const stats::AttributionInterval& at : timeline) {
    for (const stats::AttributionPart& part : at.group.parts) {
      const auto [it, is_new] = index.try_emplace({part.entity, part.what}, columns.size());
      if (is_new) {
        columns.push_back(Column{.entity = part.entity, .what = part.what});
      }
      Column& column = columns[it->second];
      column.total_ms += part.ms * static_cast<double>(at.group.requests);
      column.is_own = column.is_own || part.share >= timeline_column_share;
    }
  }
  std::vector<std::size_t> order;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].is_own) {
      order.push_back(c);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return columns[a].total_ms > columns[b].total_ms;
  });
  for (Column& column : columns) {
    if (column.is_own) {
      column.ms.assign(timeline.size(), 0.0);
    }
  }
  std::vector<double> other(timeline.size(), 0.0);
  bool has_other = false;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    for (const stats::AttributionPart& part : timeline[i].group.parts) {
      Column& column = columns[index.at({part.entity, part.what})];
      if (column.is_own) {
        column.ms[i] += part.ms;
      } else {
        other[i] += part.ms;
        has_other = has_other || part.ms != 0;
      }
    }
  }

  // Each column built apart: a reference into `out` would not survive the
  // next key (ordered_json keeps its keys in a vector).
  ordered_json intervals = ordered_json::array();
  ordered_json requests = ordered_json::array();
  ordered_json latency = ordered_json::array();
  for (const stats::AttributionInterval& at : timeline) {
    intervals.push_back(at.interval);
    requests.push_back(at.group.requests);
    latency.push_back(timeline_ms(at.group.latency_ms));
  }
  ordered_json parts = ordered_json::array();
  const auto write_column = [&](const std::string& entity, const std::string& what,
                                const std::vector<double>& ms) {
    ordered_json values = ordered_json::array();
    for (const double v : ms) {
      values.push_back(timeline_ms(v));
    }
    parts.push_back({{"entity", entity}, {"what", what}, {"ms", std::move(values)}});
  };
  for (const std::size_t c : order) {
    write_column(columns[c].entity, columns[c].what, columns[c].ms);
  }
  if (has_other) {
    write_column("", "other", other);
  }
  ordered_json out;
  out["interval_s"] = interval_s;
  out["intervals"] = std::move(intervals);
  out["requests"] = std::move(requests);
  out["latency_ms"] = std::move(latency);
  out["parts"] = std::move(parts);
  return out;
}

/// A condition of an episode, with the keys its kind has.
ordered_json episode_condition(const stats::EpisodeCondition& c) {
  ordered_json out;
  out["kind"] = c.kind;
  if (c.kind == "fault") {
    out["name"] = c.name;
    out["what"] = c.entity;
  } else if (c.kind == "retry_amplification" || c.kind == "breaker_open") {
    out["edge"] = c.entity;
  } else {
    out["entity"] = c.entity;
  }
  if (c.kind == "scale_up" || c.kind == "scale_down") {
    out["autoscaler"] = c.name;
  }
  out["start_s"] = c.start_s;
  out["end_s"] = c.end_s;
  if (c.kind == "retry_amplification") {
    out["factor"] = c.value;
  }
  if (c.kind != "fault") {
    out["value"] = c.value;
    out["baseline"] = c.baseline;
  }
  return out;
}

/// results.json's `episodes` and `feedback` (docs/results.md).
void write_episodes(ordered_json& j, const stats::Results& r) {
  ordered_json& episodes = j["episodes"] = ordered_json::array();
  for (const stats::Episode& e : r.episodes) {
    ordered_json out;
    out["path"] = e.path;
    out["start_s"] = e.start_s;
    out["end_s"] = e.end_s;
    out["p99_ms"] = e.p99_ms;
    out["baseline_p99_ms"] = e.baseline_p99_ms;
    out["error_share"] = e.error_share;
    out["baseline_error_share"] = e.baseline_error_share;
    out["no_success_intervals"] = e.no_success_intervals;
    ordered_json& conditions = out["conditions"] = ordered_json::array();
    for (const stats::EpisodeCondition& c : e.conditions) {
      conditions.push_back(episode_condition(c));
    }
    ordered_json& causes = out["causes"] = ordered_json::array();
    for (const stats::AttributionPart& part : e.causes) {
      causes.push_back({{"where", part.entity},
                        {"cause", std::string(attribution_label(part.what))},
                        {"what", part.what},
                        {"ms", part.ms},
                        {"share", part.share}});
    }
    episodes.push_back(std::move(out));
  }
  ordered_json& feedback = j["feedback"] = ordered_json::object();
  ordered_json& amplification = feedback["amplification"] = ordered_json::array();
  for (const stats::EdgeAmplification& a : r.feedback.amplification) {
    amplification.push_back({{"edge", a.edge},
                             {"baseline", a.baseline},
                             {"max", a.max},
                             {"at_s", a.at_s},
                             {"mean", a.mean}});
  }
  ordered_json& metastable = feedback["metastable"] = ordered_json::array();
  for (const stats::MetastableVerdict& v : r.feedback.metastable) {
    ordered_json out = {{"path", v.path},
                        {"trigger", v.trigger},
                        {"trigger_end_s", v.trigger_end_s},
                        {"recovered", v.recovered}};
    if (v.recovered) {
      out["recovered_s"] = v.recovered_s;
    } else {
      out["sustained_by"] = v.sustained_by.empty() ? ordered_json() : ordered_json(v.sustained_by);
    }
    metastable.push_back(std::move(out));
  }
}

ordered_json latency_ms(const stats::Histogram& h) {
  auto at = [&](double p) {
    return h.count() ? static_cast<double>(h.value_at_percentile(p)) * 1e-6 : 0.0;
  };
  ordered_json j;
  j["mean"] = h.count() ? h.mean() * 1e-6 : 0.0;
  j["p50"] = at(50);
  j["p90"] = at(90);
  j["p99"] = at(99);
  j["p99.9"] = at(99.9);
  j["max"] = h.count() ? static_cast<double>(h.max()) * 1e-6 : 0.0;
  return j;
}

ordered_json errors(const stats::OutcomeCounts& c) {
  ordered_json j;
  j["timeout"] = c[Outcome::timeout];
  j["rejected"] = c[Outcome::rejected];
  j["error"] = c[Outcome::error];
  j["unavailable"] = c[Outcome::unavailable];
  j["unfinished"] = c[Outcome::unfinished];
  return j;
}

}  // namespace

std::string number_arrays_on_one_line(const std::string& text) {
  const auto is_number_char = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  const auto skip_space = [&](std::size_t k) {
    while (k < text.size() && (text[k] == ' ' || text[k] == '\n')) {
      ++k;
    }
    return k;
  };
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  std::string joined;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out += c;
    if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '[') {
      continue;
    }
    // Numbers separated by commas up to the closing bracket, or leave it be.
    joined.clear();
    std::size_t k = i + 1;
    bool is_numbers = false;
    while (true) {
      k = skip_space(k);
      const std::size_t start = k;
      while (k < text.size() && is_number_char(text[k])) {
        ++k;
      }
      if (k == start) {
        break;
      }
      if (!joined.empty()) {
        joined += ", ";
      }
      joined.append(text, start, k - start);
      k = skip_space(k);
      if (k < text.size() && text[k] == ',') {
        ++k;
        continue;
      }
      is_numbers = k < text.size() && text[k] == ']';
      break;
    }
    if (is_numbers) {
      out += joined;
      out += ']';
      i = k;
    }
  }
  return out;
}

std::string to_json(const stats::Results& r) {
  ordered_json j;
  j["schema_version"] = results_schema_version;
  j["tailsim_version"] = TAILSIM_VERSION;
  j["model"] = r.model;
  j["seed"] = r.seed;
  j["duration_s"] = r.duration_s;
  j["warmup_s"] = r.warmup_s;
  ordered_json& paths = j["paths"] = ordered_json::object();
  for (const auto& p : r.paths) {
    ordered_json& out = paths[p.name];
    out["requests"] = p.requests;
    out["ok"] = p.outcomes[Outcome::ok];
    out["errors"] = errors(p.outcomes);
    out["throughput_rps"] = p.throughput_rps;
    out["latency_ms"] = latency_ms(p.latency);
    out["latency_all_ms"] = latency_ms(p.latency_all);
    if (p.analytic_mean_ms) {
      out["analytic_mean_ms"] = *p.analytic_mean_ms;
    }
    if (p.unstable) {
      out["unstable"] = true;
    }
    out["attempts_per_request"] =
        p.requests ? static_cast<double>(p.attempts) / static_cast<double>(p.requests) : 0.0;
    out["retried_share"] =
        p.requests ? static_cast<double>(p.retried) / static_cast<double>(p.requests) : 0.0;
    if (p.attribution.is_computed) {
      out["attribution"] = {
          {"mean", attribution_group(p.attribution.mean, false)},
          {"slowest_1pct", attribution_group(p.attribution.slowest, true)},
          {"timeline", attribution_timeline(p.attribution.timeline, r.timeseries.interval_s)}};
    }
  }
  ordered_json& services = j["services"] = ordered_json::object();
  for (const auto& s : r.services) {
    ordered_json& out = services[s.name];
    out["requests"] = s.requests;
    if (s.is_external) {
      out["external"] = true;
      out["rejected"] = s.rejected;
      continue;
    }
    out["utilization"] = s.utilization;
    out["queue_mean"] = s.queue_mean;
    out["rejected"] = s.rejected;
    out["replicas"] = {{"min", s.replicas.min}, {"max", s.replicas.max}, {"mean", s.replicas.mean}};
    out["busy_cpu_s"] = s.busy_cpu_s;
    out["goodput_rps"] = s.goodput_rps;
    out["wasted_cpu_s"] = s.wasted_cpu_s;
    out["orphaned"] = s.orphaned;
    out["deadline_drops"] = s.deadline_drops;
    out["throttled_s"] = s.throttled_s;
    if (s.has_cfs) {
      out["cpu_stat"] = {{"nr_periods", s.cfs_periods},
                         {"nr_throttled", s.cfs_throttled_periods},
                         {"throttled_s", s.throttled_s}};
    }
    if (s.has_gc) {
      out["gc_pause_s"] = s.gc_pause_s;
      out["gc_pauses"] = s.gc_pauses;
    }
    if (s.has_contention) {
      out["contention_s"] = s.contention_s;
    }
    if (s.has_memory) {
      out["oom_kills"] = s.oom_kills;
      out["restarts"] = s.restarts;
      out["evictions"] = s.evictions;
    }
    if (s.has_batch) {
      out["batch_size_mean"] = s.batch_size_mean;
      out["batches"] = s.batches;
    }
    if (s.gpus > 0) {
      out["gpus"] = s.gpus;
      out["gpu_busy_s"] = s.gpu_busy_s;
    }
    out["retries"] = s.retries;
    out["retries_refused"] = s.retries_refused;
    out["hedges"] = s.hedges;
    out["hedges_won"] = s.hedges_won;
  }
  ordered_json& edges = j["edges"] = ordered_json::array();
  for (const auto& e : r.edges) {
    ordered_json out;
    out["caller"] = e.caller;
    out["target"] = e.target;
    out["calls"] = e.calls;
    out["attempts"] = e.attempts;
    out["ok"] = e.outcomes[Outcome::ok];
    out["errors"] = errors(e.outcomes);
    out["latency_ms"] = latency_ms(e.latency);
    if (e.breaker_opens > 0 || e.breaker_open_s > 0) {
      out["breaker"] = {{"opens", e.breaker_opens}, {"open_s", e.breaker_open_s}};
    }
    edges.push_back(std::move(out));
  }
  if (!r.caches.empty()) {
    ordered_json& caches = j["caches"] = ordered_json::object();
    for (const auto& c : r.caches) {
      caches[c.name] = {{"lookups", c.lookups}, {"hit_ratio", c.hit_ratio()}};
    }
  }
  if (!r.queues.empty()) {
    ordered_json& queues = j["queues"] = ordered_json::object();
    for (const auto& q : r.queues) {
      queues[q.name] = {{"published", q.published},
                        {"consumed", q.consumed},
                        {"dead_letters", q.dead_letters},
                        {"depth_max", q.depth_max},
                        {"lag_max_s", q.lag_max_s}};
    }
  }
  if (!r.autoscalers.empty()) {
    ordered_json& scalers = j["autoscalers"] = ordered_json::object();
    for (const auto& a : r.autoscalers) {
      ordered_json history = ordered_json::array();
      for (const auto& h : a.history) {
        ordered_json sample = {{"t_s", h.t_s}};
        if (h.has_metric) {
          sample["metric"] = h.metric;
        }
        sample["recommended"] = h.recommended;
        sample["desired"] = h.desired;
        sample["ready"] = h.ready;
        sample["starting"] = h.starting;
        history.push_back(std::move(sample));
      }
      scalers[a.name] = {{"service", a.service},
                         {"metric", a.metric},
                         {"scale_ups", a.scale_ups},
                         {"scale_downs", a.scale_downs},
                         {"history", std::move(history)}};
    }
  }
  if (r.cluster.is_modelled) {
    ordered_json& cluster = j["cluster"];
    cluster["nodes_start"] = r.cluster.nodes_start;
    if (r.cluster.scales_down) {
      cluster["nodes_min"] = r.cluster.nodes_min;
    }
    cluster["nodes_max"] = r.cluster.nodes_max;
    cluster["nodes_added"] = r.cluster.nodes_added;
    if (r.cluster.scales_down) {
      cluster["nodes_removed"] = r.cluster.nodes_removed;
    }
    cluster["pending_max"] = r.cluster.pending_max;
    cluster["pending_pod_s"] = r.cluster.pending_pod_s;
    cluster["node_utilization_mean"] = r.cluster.node_utilization_mean;
  }
  ordered_json& slos = j["slos"] = ordered_json::array();
  for (const auto& s : r.slos) {
    slos.push_back({{"path", s.path}, {"check", s.check.text}, {"value", s.value}, {"ok", s.ok}});
  }
  write_episodes(j, r);
  j["engine"] = {{"events", r.events},
                 {"simulated_s", r.simulated_s},
                 {"stopped_early", r.stopped_early},
                 {"peak_requests", r.peak_requests},
                 {"peak_tasks", r.peak_tasks}};
  if (r.stopped_early) {
    j["engine"]["stop_reason"] = r.stop_reason;
  }
  if (!r.attribution_skipped.empty()) {
    j["engine"]["attribution_skipped"] = r.attribution_skipped;
  }
  std::uint64_t dropped_spans = 0;
  for (const auto& trace : r.traces) {
    dropped_spans += trace.dropped_spans;
  }
  if (dropped_spans > 0 || r.traces_dropped > 0) {  // the caps of stats::Trace were reached
    j["engine"]["traces_dropped"] = r.traces_dropped;
    j["engine"]["trace_spans_dropped"] = dropped_spans;
  }
  return number_arrays_on_one_line(json_document(std::move(j)));
}

}  // namespace tailsim::report
