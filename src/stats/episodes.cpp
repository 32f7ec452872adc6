// Episodes, their conditions and causes, and the feedback loops behind them
// (docs/semantics.md, "Episodes"). Everything here is read off a finished
// run's Results: its time series, faults and autoscaler syncs, and its
// attribution timeline.

#include "tailsim/stats/episodes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace tailsim::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double mad_to_sigma = 1.4826;  // the MAD of a normal sample is 0.6745 sigma

/// The time series' intervals inside the measured window, inclusive.
struct Window {
  std::size_t first = 1;
  std::size_t last = 0;
  [[nodiscard]] bool empty() const { return first > last; }
  [[nodiscard]] bool contains(std::size_t i) const { return i >= first && i <= last; }
};

/// A series' level over the measured window: its median interval, and the
/// noise around it as a robust standard deviation.
struct Level {
  double median = nan;
  double sigma = 0;
  [[nodiscard]] bool known() const { return std::isfinite(median); }
};

double at(const std::vector<double>* values, std::size_t i) {
  return values != nullptr && i < values->size() ? (*values)[i] : nan;
}

Level level_of(const std::vector<double>* values, Window w) {
  std::vector<double> in;
  for (std::size_t i = w.first; i <= w.last; ++i) {
    if (const double v = at(values, i); std::isfinite(v)) {
      in.push_back(v);
    }
  }
  Level out;
  out.median = median_of(in);
  if (!out.known()) {
    return out;
  }
  for (double& v : in) {
    v = std::abs(v - out.median);
  }
  out.sigma = mad_to_sigma * median_of(std::move(in));
  return out;
}

/// KL(s || b) of two Bernoulli distributions: P(X >= s n) <= exp(-n KL)
/// for X binomial (n, b) and s > b (Chernoff).
double bernoulli_divergence(double s, double b) {
  auto term = [](double x, double y) { return x > 0 ? x * std::log(x / y) : 0.0; };
  return term(s, b) + term(1 - s, 1 - b);
}

/// A normal tail of `sigmas` as a Chernoff exponent: P(Z > z) ~ exp(-z^2 / 2).
double chernoff_exponent(double sigmas) {
  return sigmas * sigmas / 2;
}

/// Finds a run's series by entity and metric.
class SeriesIndex {
 public:
  explicit SeriesIndex(const TimeSeries& ts) {
    for (const Series& s : ts.series) {
      index_.emplace(std::make_pair(s.entity, s.metric), &s.values);
    }
  }
  [[nodiscard]] const std::vector<double>* find(const std::string& entity,
                                                const std::string& metric) const {
    const auto it = index_.find(std::make_pair(entity, metric));
    return it == index_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, const std::vector<double>*> index_;
};

/// "edge/mid->db.query" as people read it: "mid -> db.query".
std::string edge_name(const std::string& entity) {
  std::string name = entity.substr(entity.find('/') + 1);
  if (const auto arrow = name.find("->"); arrow != std::string::npos) {
    name.replace(arrow, 2, " -> ");
  }
  return name;
}

/// One path's counts per interval.
struct PathSeries {
  std::size_t index = 0;
  const std::vector<double>* arrivals = nullptr;
  const std::vector<double>* ok = nullptr;
  const std::vector<double>* p99 = nullptr;
  std::vector<double> errors;  ///< all kinds together
  [[nodiscard]] double finished(std::size_t i) const {
    const double good = at(ok, i);
    const double bad = i < errors.size() ? errors[i] : 0.0;
    return (std::isfinite(good) ? good : 0.0) + bad;
  }
};

/// An edge's retry amplification per interval: its attempts over the
/// arrivals of the paths that reach it.
struct Amplified {
  std::string edge;
  std::vector<std::size_t> paths;  ///< that reach it
  std::vector<double> attempts;
  std::vector<double> arrivals;
  std::vector<double> ratio;  ///< NaN where no request arrived
  Level level;
};

class EpisodeFinder {
 public:
  EpisodeFinder(Results& results, const EpisodeRules& rules)
      : r_(results), ts_(results.timeseries), rules_(rules), index_(results.timeseries) {
    dt_ = ts_.interval_s;
    if (dt_ <= 0 || ts_.intervals == 0) {
      return;
    }
    // Intervals wholly inside the measured window (a run stopped early has
    // fewer intervals than its window).
    const double begin = r_.warmup_s;
    const double end = r_.warmup_s + r_.duration_s;
    window_.first = static_cast<std::size_t>(std::ceil(begin / dt_ - 1e-9));
    const auto past = static_cast<std::size_t>(std::floor(end / dt_ + 1e-9));
    window_.last = std::min(past, ts_.intervals) - 1;
    if (past == 0) {
      window_ = Window{};
      return;
    }
    // The baseline: the window's intervals before its first disturbance
    // (a fault, a change of a workload's rate), when there are enough of
    // them; else the whole window. A collapse that lasts most of the window
    // would otherwise be its own baseline.
    base_ = window_;
    for (const TimeMarker& m : ts_.markers) {
      if (m.t_s > begin) {
        const auto before = static_cast<std::size_t>(std::floor(m.t_s / dt_ + 1e-9));
        if (before >= window_.first + rules_.baseline_intervals) {
          base_.last = std::min(window_.last, before - 1);
        }
        break;
      }
    }
  }

  void run() {
    if (window_.empty()) {
      return;
    }
    for (std::size_t p = 0; p < r_.paths.size(); ++p) {
      paths_.push_back(path_series(p));
    }
    amplification();
    for (const PathSeries& path : paths_) {
      find_in(path);
    }
  }

 private:
  PathSeries path_series(std::size_t p) const {
    const std::string entity = "path/" + r_.paths[p].name;
    PathSeries out;
    out.index = p;
    out.arrivals = index_.find(entity, "arrivals");
    out.ok = index_.find(entity, "completions");
    out.p99 = index_.find(entity, "p99_ms");
    out.errors.assign(ts_.intervals, 0.0);
    for (const char* kind :
         {"errors_timeout", "errors_rejected", "errors_error", "errors_unavailable"}) {
      if (const auto* errors = index_.find(entity, kind)) {
        for (std::size_t i = 0; i < errors->size() && i < out.errors.size(); ++i) {
          out.errors[i] += std::isfinite((*errors)[i]) ? (*errors)[i] : 0.0;
        }
      }
    }
    return out;
  }

  /// Every edge the series count attempts at: its amplification per
  /// interval, and over the run (Results::feedback).
  void amplification() {
    for (const EdgeReach& reach : ts_.reach) {
      const auto* attempts = index_.find(reach.entity, "attempts");
      if (attempts == nullptr || reach.paths.empty()) {
        continue;
      }
      Amplified a;
      a.edge = edge_name(reach.entity);
      a.paths = reach.paths;
      a.attempts = *attempts;
      a.arrivals.assign(a.attempts.size(), 0.0);
      for (const std::size_t p : reach.paths) {
        const auto* arrivals = p < paths_.size() ? paths_[p].arrivals : nullptr;
        for (std::size_t i = 0; i < a.arrivals.size(); ++i) {
          const double v = at(arrivals, i);
          a.arrivals[i] += std::isfinite(v) ? v : 0.0;
        }
      }
      a.ratio.resize(a.attempts.size());
      double attempts_in = 0;
      double arrivals_in = 0;
      for (std::size_t i = 0; i < a.ratio.size(); ++i) {
        a.ratio[i] = a.arrivals[i] > 0 ? a.attempts[i] / a.arrivals[i] : nan;
        if (window_.contains(i)) {
          attempts_in += a.attempts[i];
          arrivals_in += a.arrivals[i];
        }
      }
      a.level = level_of(&a.ratio, base_);
      EdgeAmplification out;
      out.edge = a.edge;
      out.baseline = a.level.known() ? a.level.median : 0.0;
      out.mean = arrivals_in > 0 ? attempts_in / arrivals_in : 0.0;
      for (std::size_t i = window_.first; i <= window_.last; ++i) {
        if (std::isfinite(at(&a.ratio, i)) && a.ratio[i] > out.max) {
          out.max = a.ratio[i];
          out.at_s = static_cast<double>(i) * dt_;
        }
      }
      r_.feedback.amplification.push_back(std::move(out));
      amplified_.push_back(std::move(a));
    }
  }

  void find_in(const PathSeries& path) {
    const Level p99 = level_of(path.p99, base_);
    // A p99's noise is judged on a log scale: an interval's p99 is skewed
    // to the right (a burst of arrivals lengthens it many times over).
    std::vector<double> logs(ts_.intervals, nan);
    for (std::size_t i = 0; i < ts_.intervals; ++i) {
      if (const double v = at(path.p99, i); v > 0) {
        logs[i] = std::log(v);
      }
    }
    const Level log_p99 = level_of(&logs, base_);
    const Level ok = level_of(path.ok, base_);
    std::vector<double> shares(ts_.intervals, nan);
    for (std::size_t i = 0; i < ts_.intervals; ++i) {
      if (const double n = path.finished(i); n > 0) {
        shares[i] = path.errors[i] / n;
      }
    }
    const Level errors = level_of(&shares, base_);
    const double error_baseline = errors.known() ? errors.median : 0.0;
    // The rate the baseline's errors came at, pooled over its intervals (a
    // path that fails one request in a thousand has a median share of 0).
    double base_errors = 0;
    double base_finished = 0;
    for (std::size_t i = base_.first; i <= base_.last; ++i) {
      base_errors += i < path.errors.size() ? path.errors[i] : 0.0;
      base_finished += path.finished(i);
    }
    const double error_rate =
        base_finished > 0
            ? std::max({error_baseline, base_errors / base_finished, 1.0 / base_finished})
            : std::max(error_baseline, 1e-6);
    // An interval departs at strength k = 1 (to start an episode) or
    // k = 1/2 (to keep one going): every margin over the baseline times k.
    const double chance_bound = chernoff_exponent(rules_.tail_sigmas);
    auto departs = [&](std::size_t i, double k) {
      const double n = path.finished(i);
      const double good = at(path.ok, i);
      if (n <= 0 && !(at(path.arrivals, i) > 0)) {
        return false;
      }
      if (!(good > 0)) {  // nothing succeeded in it
        return ok.known() && ok.median >= rules_.no_success_after;
      }
      const double tail = at(path.p99, i);
      if (p99.known() && tail > 0 &&
          std::log(tail) > log_p99.median + k * rules_.tail_sigmas * log_p99.sigma &&
          tail > (1 + k * (rules_.tail_factor - 1)) * p99.median) {
        return true;
      }
      if (n <= 0) {
        return false;
      }
      // Beyond chance: the Chernoff bound on a binomial count that high at
      // the baseline's rate, below the tail of `tail_sigmas` normal sigmas.
      const double share = path.errors[i] / n;
      const double margin = std::max(rules_.sigmas * errors.sigma, rules_.error_floor);
      return share > error_baseline + k * margin && share > error_rate &&
             n * bernoulli_divergence(share, error_rate) > k * k * chance_bound;
    };
    std::optional<std::size_t> open;
    std::size_t last = 0;
    for (std::size_t i = window_.first; i <= window_.last + 1; ++i) {
      const bool flagged = i <= window_.last && departs(i, open ? 0.5 : 1.0);
      if (flagged && !open) {
        open = i;
      }
      if (flagged) {
        last = i;
      }
      if (open && (i > window_.last || (!flagged && i - last > rules_.gap))) {
        episode(path, *open, last, p99, error_baseline);
        open.reset();
      }
    }
  }

  void episode(const PathSeries& path, std::size_t first, std::size_t last, const Level& p99,
               double error_baseline) {
    Episode e;
    e.path = r_.paths[path.index].name;
    e.first_interval = first;
    e.last_interval = last;
    e.start_s = static_cast<double>(first) * dt_;
    e.end_s = static_cast<double>(last + 1) * dt_;
    e.baseline_p99_ms = p99.known() ? p99.median : 0.0;
    e.baseline_error_share = error_baseline;
    double errors = 0;
    double finished = 0;
    for (std::size_t i = first; i <= last; ++i) {
      const double tail = at(path.p99, i);
      if (std::isfinite(tail)) {
        e.p99_ms = std::max(e.p99_ms, tail);
      }
      errors += path.errors[i];
      finished += path.finished(i);
      if (!(at(path.ok, i) > 0) && (path.finished(i) > 0 || at(path.arrivals, i) > 0)) {
        ++e.no_success_intervals;
      }
    }
    e.error_share = finished > 0 ? errors / finished : 0.0;
    conditions(e, path.index);
    const Attribution& attribution = r_.paths[path.index].attribution;
    if (attribution.is_computed) {
      e.causes = attribution_between(attribution, first, last).parts;
    }
    verdict(path, e);
    r_.episodes.push_back(std::move(e));
  }

  /// What was happening during the episode, or in the interval before it
  /// (a cause comes first).
  void conditions(Episode& e, std::size_t path) const {
    const std::size_t from =
        e.first_interval > window_.first ? e.first_interval - 1 : e.first_interval;
    const std::size_t to = e.last_interval;
    const double since = static_cast<double>(from) * dt_;
    const double until = e.end_s;
    for (const FaultWindow& f : ts_.faults) {
      if (f.start_s <= until && f.end_s >= since) {
        EpisodeCondition c;
        c.kind = "fault";
        c.name = f.name;
        c.entity = f.what;
        c.start_s = f.start_s;
        c.end_s = f.end_s;
        e.conditions.push_back(std::move(c));
      }
    }
    for (const PathSeries& other : paths_) {
      if (shares_a_service(path, other.index)) {
        load_spike(e, other, from, to);
      }
    }
    for (const AutoscalerResult& a : r_.autoscalers) {
      scale_events(e, a, since, until);
    }
    for (const ServiceResult& s : r_.services) {
      if (!reaches(s, path)) {
        continue;  // what happens at a service the path never calls is not its condition
      }
      const std::string entity = "service/" + s.name;
      rise(e, "pods_starting", s.name, index_.find(entity, "replicas_starting"), from, to, 1.0,
           1.0);
      rise(e, "throttling", s.name, index_.find(entity, "throttled_s"), from, to, 1.0 / dt_, 0.0);
      rise(e, "node_contention", s.name, index_.find(entity, "contention_s"), from, to, 1.0 / dt_,
           0.0);
      rise(e, "gc_pauses", s.name, index_.find(entity, "gc_pause_s"), from, to, 1.0 / dt_, 0.0);
      oom_kills(e, s.name, index_.find(entity, "oom_kills"), from, to);
    }
    for (const CacheResult& c : r_.caches) {
      hit_ratio_drop(e, c.name, index_.find("cache/" + c.name, "hit_ratio"), from, to);
    }
    for (const QueueResult& q : r_.queues) {
      rise(e, "queue_lag", q.name, index_.find("queue/" + q.name, "lag_s"), from, to, 1.0, 0.0);
    }
    for (const Series& s : ts_.series) {
      if (s.metric == "state" && s.entity.starts_with("breaker/")) {
        breaker_open(e, edge_name(s.entity), s.values, from, to);
      }
    }
    for (const Amplified& a : amplified_) {
      if (std::find(a.paths.begin(), a.paths.end(), path) != a.paths.end()) {
        retry_amplification(e, a, from, to);
      }
    }
    std::stable_sort(e.conditions.begin(), e.conditions.end(),
                     [](const EpisodeCondition& a, const EpisodeCondition& b) {
                       return (a.kind == "fault") > (b.kind == "fault") ||
                              ((a.kind == "fault") == (b.kind == "fault") && a.start_s < b.start_s);
                     });
  }

  /// Whether `path`'s requests can reach service `s` (when the results say
  /// nothing of reach, every service counts).
  static bool reaches(const ServiceResult& s, std::size_t path) {
    return s.reached_by.empty() ||
           std::find(s.reached_by.begin(), s.reached_by.end(), path) != s.reached_by.end();
  }

  /// Whether two paths' requests can meet at a service: a load spike on one
  /// is a condition of the other's episodes.
  [[nodiscard]] bool shares_a_service(std::size_t a, std::size_t b) const {
    const bool has_reach =
        std::any_of(r_.services.begin(), r_.services.end(),
                    [](const ServiceResult& s) { return !s.reached_by.empty(); });
    if (a == b || !has_reach) {
      return true;
    }
    return std::any_of(r_.services.begin(), r_.services.end(), [&](const ServiceResult& s) {
      return !s.reached_by.empty() && reaches(s, a) && reaches(s, b);
    });
  }

  /// A path's arrivals above its baseline: the whole stretch of them that
  /// meets the episode's intervals.
  void load_spike(Episode& e, const PathSeries& path, std::size_t from, std::size_t to) const {
    const Level level = series_level(path.arrivals);
    if (!level.known() || level.median <= 0) {
      return;
    }
    // Beyond the arrivals' own spread and 20%, and beyond chance for a
    // Poisson count of the baseline's mean (its Chernoff bound, as the
    // error share's): 10 arrivals where 3 are usual is no spike.
    const double chance = chernoff_exponent(rules_.tail_sigmas);
    // The stretch around a spike goes on at half of every margin, as an
    // episode does: a load that rises for an evening is one spike.
    auto high = [&](std::size_t i, double k) {
      const double v = at(path.arrivals, i);
      return std::isfinite(v) && v > level.median + k * rules_.sigmas * level.sigma &&
             v > (1 + 0.2 * k) * level.median &&
             v * std::log(v / level.median) - v + level.median > k * k * chance;
    };
    std::size_t i = from;
    while (i <= to && !high(i, 1.0)) {
      ++i;
    }
    if (i > to) {
      return;
    }
    std::size_t first = i;
    while (first > 0 && high(first - 1, 0.5)) {
      --first;
    }
    std::size_t last = i;
    while (last + 1 < ts_.intervals && high(last + 1, 0.5)) {
      ++last;
    }
    EpisodeCondition c;
    c.kind = "load_spike";
    c.entity = r_.paths[path.index].name;
    c.start_s = static_cast<double>(first) * dt_;
    c.end_s = static_cast<double>(last + 1) * dt_;
    for (std::size_t j = first; j <= last; ++j) {
      c.value = std::max(c.value, at(path.arrivals, j) / dt_);
    }
    c.baseline = level.median / dt_;
    e.conditions.push_back(std::move(c));
  }

  /// An autoscaler's decisions in the episode: one condition per direction.
  static void scale_events(Episode& e, const AutoscalerResult& a, double since, double until) {
    std::optional<EpisodeCondition> up;
    std::optional<EpisodeCondition> down;
    for (std::size_t k = 1; k < a.history.size(); ++k) {
      const ScaleSample& sync = a.history[k];
      const ScaleSample& before = a.history[k - 1];
      if (sync.t_s < since || sync.t_s > until || sync.desired == before.desired) {
        continue;
      }
      std::optional<EpisodeCondition>& c = sync.desired > before.desired ? up : down;
      if (!c) {
        c.emplace();
        c->kind = sync.desired > before.desired ? "scale_up" : "scale_down";
        c->entity = a.service;
        c->name = a.name;
        c->start_s = sync.t_s;
        c->baseline = before.desired;
      }
      c->end_s = sync.t_s;
      c->value = sync.desired;
    }
    for (auto* c : {&up, &down}) {
      if (*c) {
        e.conditions.push_back(std::move(**c));
      }
    }
  }

  /// A series that rose beyond its noise during the episode: the intervals
  /// it did, its highest value and its baseline (both times `scale`).
  void rise(Episode& e, const char* kind, const std::string& entity,
            const std::vector<double>* values, std::size_t from, std::size_t to, double scale,
            double at_least) const {
    if (values == nullptr) {
      return;
    }
    const Level level = series_level(values);
    if (!level.known()) {
      return;
    }
    auto high = [&](double v) {
      return std::isfinite(v) && v > level.median + rules_.sigmas * level.sigma &&
             v > rules_.rise_factor * level.median && v * scale >= at_least && v > 0;
    };
    mark(e, kind, entity, values, from, to, high, level.median, scale, /*highest=*/true);
  }

  void hit_ratio_drop(Episode& e, const std::string& cache, const std::vector<double>* values,
                      std::size_t from, std::size_t to) const {
    const Level level = series_level(values);
    if (!level.known()) {
      return;
    }
    auto low = [&](double v) {
      return std::isfinite(v) && v < level.median - std::max(rules_.sigmas * level.sigma, 0.05);
    };
    mark(e, "hit_ratio_drop", cache, values, from, to, low, level.median, 1.0, /*highest=*/false);
  }

  void breaker_open(Episode& e, const std::string& edge, const std::vector<double>& values,
                    std::size_t from, std::size_t to) const {
    auto open = [](double v) { return v == 1.0 || v == 2.0; };  // open, half-open
    mark(e, "breaker_open", edge, &values, from, to, open, 0.0, 1.0, /*highest=*/true);
  }

  void oom_kills(Episode& e, const std::string& service, const std::vector<double>* values,
                 std::size_t from, std::size_t to) const {
    if (values == nullptr) {
      return;
    }
    std::vector<double> kills(values->size(), 0.0);  // per interval, from the running count
    for (std::size_t i = 1; i < values->size(); ++i) {
      kills[i] = std::max(0.0, (*values)[i] - (*values)[i - 1]);
    }
    if (!values->empty()) {
      kills[0] = (*values)[0];
    }
    std::optional<EpisodeCondition> c;
    for (std::size_t i = from; i <= to && i < kills.size(); ++i) {
      if (kills[i] > 0) {
        if (!c) {
          c.emplace();
          c->kind = "oom_kills";
          c->entity = service;
          c->start_s = static_cast<double>(i) * dt_;
        }
        c->end_s = static_cast<double>(i + 1) * dt_;
        c->value += kills[i];
      }
    }
    if (c) {
      e.conditions.push_back(std::move(*c));
    }
  }

  void retry_amplification(Episode& e, const Amplified& a, std::size_t from, std::size_t to) const {
    if (!a.level.known()) {
      return;
    }
    auto high = [&](double v) { return is_amplified(a, v); };
    mark(e, "retry_amplification", a.edge, &a.ratio, from, to, high, a.level.median, 1.0,
         /*highest=*/true);
  }

  [[nodiscard]] bool is_amplified(const Amplified& a, double v) const {
    return std::isfinite(v) && v > a.level.median * rules_.amplification &&
           v > a.level.median + 0.1 && v > a.level.median + rules_.sigmas * a.level.sigma;
  }

  /// A condition over the intervals from..to where `holds` does: from the
  /// first to the last of them, its worst value there.
  template <class Holds>
  void mark(Episode& e, const char* kind, const std::string& entity,
            const std::vector<double>* values, std::size_t from, std::size_t to, Holds holds,
            double baseline, double scale, bool highest) const {
    std::optional<EpisodeCondition> c;
    for (std::size_t i = from; i <= to; ++i) {
      const double v = at(values, i);
      if (!holds(v)) {
        continue;
      }
      if (!c) {
        c.emplace();
        c->kind = kind;
        c->entity = entity;
        c->start_s = static_cast<double>(i) * dt_;
        c->value = v * scale;
        c->baseline = baseline * scale;
      }
      c->end_s = static_cast<double>(i + 1) * dt_;
      c->value = highest ? std::max(c->value, v * scale) : std::min(c->value, v * scale);
    }
    if (c) {
      e.conditions.push_back(std::move(*c));
    }
  }

  /// Did the path come back once the condition that started the episode
  /// had ended? (Results::feedback.metastable)
  void verdict(const PathSeries& path, const Episode& e) {
    const double window_end = static_cast<double>(window_.last + 1) * dt_;
    const EpisodeCondition* trigger = nullptr;
    for (const EpisodeCondition& c : e.conditions) {
      const bool can_trigger = c.kind == "fault" || c.kind == "load_spike";
      if (!can_trigger) {
        continue;
      }
      if (c.end_s >= window_end) {
        return;  // it still holds at the end: nothing to judge
      }
      if (c.start_s <= e.start_s + dt_ && (trigger == nullptr || c.end_s > trigger->end_s)) {
        trigger = &c;
      }
    }
    if (trigger == nullptr) {
      return;
    }
    const auto after = static_cast<std::size_t>(std::ceil(trigger->end_s / dt_ - 1e-9));
    if (after + rules_.back_for > window_.last + 1) {
      return;  // too little of the window left to tell
    }
    // Goodput relative to the load offered: successes per arrival.
    std::vector<double> goodput(ts_.intervals, nan);
    for (std::size_t i = 0; i < ts_.intervals; ++i) {
      const double arrived = at(path.arrivals, i);
      if (arrived > 0) {
        goodput[i] = std::max(0.0, at(path.ok, i)) / arrived;
      }
    }
    const Level level = level_of(&goodput, base_);
    const Level arrivals = series_level(path.arrivals);
    if (!level.known() || !arrivals.known() || arrivals.median <= 0) {
      return;
    }
    const double binomial =
        std::sqrt(std::max(level.median * (1 - level.median), 0.0) / arrivals.median);
    const double floor = level.median - rules_.sigmas * std::max(level.sigma, binomial);
    auto back = [&](std::size_t i) {
      const double g = at(&goodput, i);
      return !std::isfinite(g) || g >= floor;  // an interval without arrivals is no evidence
    };
    for (const MetastableVerdict& seen : r_.feedback.metastable) {
      if (seen.path == e.path && seen.trigger_end_s == trigger->end_s) {
        return;  // judged at an earlier episode of the same trigger
      }
    }
    MetastableVerdict v;
    v.path = e.path;
    v.trigger = trigger->kind == "fault" ? trigger->name : "load spike on " + trigger->entity;
    v.trigger_end_s = trigger->end_s;
    for (std::size_t i = after; i + rules_.back_for <= window_.last + 1; ++i) {
      std::size_t n = 0;
      while (n < rules_.back_for && back(i + n)) {
        ++n;
      }
      if (n == rules_.back_for) {
        v.recovered = true;
        v.recovered_s = static_cast<double>(i) * dt_;
        break;
      }
    }
    if (!v.recovered) {
      v.sustained_by = loop_after(after);
    }
    r_.feedback.metastable.push_back(std::move(v));
  }

  /// What kept the path down after the trigger: the edge whose retries
  /// stayed furthest above their baseline, else a queue whose lag did.
  [[nodiscard]] std::string loop_after(std::size_t after) const {
    std::string best;
    double best_ratio = 0;
    for (const Amplified& a : amplified_) {
      std::vector<double> tail;
      for (std::size_t i = after; i <= window_.last; ++i) {
        tail.push_back(at(&a.ratio, i));
      }
      const double typical = median_of(tail);
      if (is_amplified(a, typical) && typical / a.level.median > best_ratio) {
        best_ratio = typical / a.level.median;
        best = a.edge + " retries";
      }
    }
    if (!best.empty()) {
      return best;
    }
    for (const QueueResult& q : r_.queues) {
      const auto* lag = index_.find("queue/" + q.name, "lag_s");
      const Level level = series_level(lag);
      std::vector<double> tail;
      for (std::size_t i = after; i <= window_.last; ++i) {
        tail.push_back(at(lag, i));
      }
      const double typical = median_of(tail);
      if (level.known() && typical > rules_.rise_factor * level.median &&
          typical > level.median + rules_.sigmas * level.sigma) {
        return q.name + " backlog";
      }
    }
    return {};
  }

  /// The baseline level of one of the run's series, computed once: an
  /// episode's conditions read every service's series.
  const Level& series_level(const std::vector<double>* values) const {
    const auto [it, added] = levels_.try_emplace(values);
    if (added) {
      it->second = level_of(values, base_);
    }
    return it->second;
  }

  Results& r_;
  const TimeSeries& ts_;
  EpisodeRules rules_;
  SeriesIndex index_;
  double dt_ = 0;
  Window window_;
  Window base_;  ///< the intervals the baselines are read from
  std::vector<PathSeries> paths_;
  std::vector<Amplified> amplified_;
  mutable std::unordered_map<const std::vector<double>*, Level> levels_;
};

}  // namespace

double median_of(std::vector<double> values) {
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  if (values.empty()) {
    return nan;
  }
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) {
    return upper;
  }
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

void find_episodes(Results& results, const EpisodeRules& rules) {
  results.episodes.clear();
  results.feedback = {};
  EpisodeFinder finder(results, rules);
  finder.run();
}

}  // namespace tailsim::stats
