#include "tailsim/import/model_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cpu_sizing.hpp"
#include "model_writer_k8s.hpp"
#include "tailsim/core/duration_text.hpp"
#include "tailsim/import/fit.hpp"
#include "tailsim/import/one_way.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::import {

namespace {

/// The longest name the model format accepts.
constexpr std::size_t max_name_length = 128;

}  // namespace

namespace detail {

std::string comment_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  }
  return out;
}

std::string unique_name(const std::string& base, std::set<std::string>& used) {
  std::string name = base;
  for (int k = 2; used.count(name) > 0; ++k) {
    const std::string suffix = fmt::format("_{}", k);
    name = base.substr(0, max_name_length - suffix.size()) + suffix;
  }
  used.insert(name);
  return name;
}

std::string decimal_text(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') {
      text.pop_back();
    }
    if (text.back() == '.') {
      text.pop_back();
    }
  }
  return text;
}

}  // namespace detail

namespace {

using detail::comment_safe;
using detail::decimal_text;
using detail::unique_name;

/// A link gets its own latency when at least this many samples show it...
constexpr std::size_t link_min_samples = 20;
/// ...and its median is more than this factor away from the default's
/// median (either way)...
constexpr double link_factor = 2.0;
/// ...and differs from it by at least this much (a factor between two tiny
/// times changes no simulation).
constexpr double link_min_difference_ns = 50'000;
/// A pair that far with fewer samples, at least this many, gets a link when
/// its median also lies beyond the 99th percentile of the other pairs'
/// samples (or below the 1st): the median of 5 samples of theirs does that
/// about once in 10^5 (three of the five beyond it). 19 calls of 20 ms over
/// the internet among 18,000 of 0.3 ms, left in the default, raised its cv
/// (of the raw samples) from 0.64 to 2.8 and its mean by 10%.
constexpr std::size_t link_min_extreme_samples = 5;
/// A pair nearer than link_factor, with at least link_min_samples samples,
/// still gets a link when its median is more than this factor away from the
/// default's (calibrate's tolerance for a latency: a tenth)...
constexpr double link_near_factor = 1.1;
/// ...and beyond the noise: the share of the other pairs' samples at most
/// its median is this many standard errors from a half (0.1% two-sided).
/// DeathStarBench's frontend and profile, 1,000 calls at 0.84 times the
/// median of all 5,000, left in the default, read the edge's mean 11% high.
constexpr double link_near_z = 3.29;
/// The most alternatives a call's counts get (`branch`), the commonest ones.
constexpr std::size_t max_count_branches = 8;
/// Attempts seen giving up before a call gets a `timeout`: fewer may be a
/// failure that merely looked like one.
constexpr std::size_t min_timeouts_seen = 3;
/// Hedged calls seen before a call gets a `hedge`.
constexpr std::size_t min_hedges_seen = 3;
/// Parallel calls made in the same number of invocations, at least this
/// many, are taken as made together (a branch) rather than each by chance.
constexpr std::size_t min_together_invocations = 10;
/// An endpoint's own time is written per call pattern (a branch) only with
/// at most this many patterns...
constexpr std::size_t max_own_time_patterns = 4;
/// ...each of at least this many invocations...
constexpr std::size_t min_pattern_invocations = 20;
/// ...whose own times' medians differ by this factor...
constexpr double pattern_median_factor = 1.5;
/// ...and by at least this much.
constexpr double pattern_min_difference_ns = 200'000;

double median_ns(std::vector<Duration> samples) {
  if (samples.empty()) {
    return 0;
  }
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  return static_cast<double>(middle->count());
}

std::string indent(int n) {
  return std::string(static_cast<std::size_t>(n), ' ');
}

class Writer {
 public:
  Writer(const TraceEvidence& evidence, const Manifests* manifests, const WriterOptions& options)
      : evidence_(evidence), options_(options) {
    if (manifests != nullptr) {
      k8s_.emplace(*manifests, options.manifest_sources, draft_.notes);
    }
  }

  DraftModel run() {
    name_everything();
    out_ += "version: 1\n";
    out_ += fmt::format("name: {}\n", sanitize_model_name(options_.name));
    out_ += fmt::format("description: drafted by tailsim import from {} traces ({} kept)\n",
                        evidence_.counts.traces, evidence_.counts.traces_kept);
    write_simulation();
    write_network();
    write_services();
    write_queues();
    if (k8s_) {
      out_ += k8s_->autoscalers();
    }
    write_workloads();
    draft_.yaml = std::move(out_);
    return std::move(draft_);
  }

 private:
  const TraceEvidence& evidence_;
  const WriterOptions& options_;
  std::string out_;
  DraftModel draft_;
  /// The manifests' part of the model, when there are manifests.
  std::optional<detail::ManifestWriter> k8s_;
  /// The model name of each evidence service, by raw name.
  std::map<std::string, std::string> service_names_;
  /// The model name of each evidence endpoint, by index.
  std::vector<std::string> endpoint_names_;
  std::set<std::string> file_names_;
  /// The model's service names.
  std::set<std::string> used_services_;
  std::int64_t duration_s_ = 60;
  /// The traced window in seconds (0: unknown).
  double window_s_ = 0;
  /// Per model service whose own time is CPU: the factor that turns traced
  /// own times into CPU demand (cpu_sizing.hpp), and the cores it assumes.
  std::map<std::string, std::pair<double, double>> demand_;
  /// The queue each consumer endpoint (by index) reads, for calls made by
  /// PRODUCER spans.
  std::map<std::size_t, std::string> queue_of_;
  std::set<std::string> queue_names_;

  const std::string& service_of(std::size_t endpoint) const {
    return service_names_.at(evidence_.endpoints[endpoint].service);
  }

  std::string ref(std::size_t endpoint) const {
    return service_of(endpoint) + "." + endpoint_names_[endpoint];
  }

  /// Gives every service and endpoint a valid, unique name, noting renames.
  void name_everything() {
    std::set<std::string>& used = used_services_;
    for (const auto& service : evidence_.services) {
      const std::string name = unique_name(sanitize_model_name(service.name), used);
      if (name != service.name) {
        draft_.notes.push_back(fmt::format("service '{}' is named '{}' in the model",
                                           comment_safe(service.name), name));
      }
      service_names_[service.name] = name;
    }
    for (const auto& endpoint : evidence_.endpoints) {
      if (service_names_.count(endpoint.service) == 0) {
        service_names_[endpoint.service] = unique_name(sanitize_model_name(endpoint.service), used);
      }
    }
    std::map<std::string, std::set<std::string>> used_endpoints;
    for (const auto& endpoint : evidence_.endpoints) {
      auto& taken = used_endpoints[endpoint.service];
      const std::string name = unique_name(sanitize_model_name(endpoint.name), taken);
      if (name != endpoint.name) {
        draft_.notes.push_back(fmt::format("endpoint '{}' of '{}' is named '{}' in the model",
                                           comment_safe(endpoint.name),
                                           comment_safe(endpoint.service), name));
      }
      endpoint_names_.push_back(name);
    }
  }

  /// Fits `samples` and returns the distribution's text, with `comment` set
  /// to the fit's provenance; an empirical choice adds a file named from `stem`.
  std::string fitted(const std::vector<Duration>& samples, const std::string& stem,
                     std::string& comment) {
    FitOptions fit_options;
    const std::string file = unique_name(stem, file_names_) + ".csv";
    fit_options.empirical_file = file;
    const DistributionFit fit = fit_distribution(samples, fit_options);
    comment = fit_comment(fit);
    if (fit.family == FitFamily::empirical) {
      draft_.files.push_back(EmpiricalFile{file, samples});
    }
    return fit.text;
  }

  /// A one-way network latency from the samples (client - server) / 2. The
  /// model draws a request's and a response's latency independently, so the
  /// one-way law is the one whose sum of two draws is the round trip's, with
  /// the samples' mean (the round trip's halved). Written as a gamma when the
  /// samples' best fit is an exp or a gamma (a sum of two gamma draws is a
  /// gamma: its cv is sqrt(2) times the samples', exactly), else as a
  /// lognormal whose spread comes from the round trip's variance or from its
  /// median, whichever sum is nearer the round trips (one_way.hpp).
  std::string network_fitted(const std::vector<Duration>& halves, std::string& comment) {
    const DistributionFit fit = fit_distribution(halves);
    double sum = 0;
    for (const Duration d : halves) {
      sum += static_cast<double>(d.count());
    }
    const double mean = sum / static_cast<double>(halves.size());
    double squares = 0;
    for (const Duration d : halves) {
      squares += (static_cast<double>(d.count()) - mean) * (static_cast<double>(d.count()) - mean);
    }
    const double cv = mean > 0 ? std::sqrt(squares / static_cast<double>(halves.size())) / mean : 0;
    if (fit.family == FitFamily::constant || cv <= 0) {
      comment = fit_comment(fit);
      return fit.text;
    }
    if (fit.family != FitFamily::exponential && fit.family != FitFamily::gamma) {
      std::vector<Duration> round_trips;
      round_trips.reserve(halves.size());
      for (const Duration d : halves) {
        round_trips.push_back(2 * d);
      }
      if (const auto one_way = fit_one_way_lognormal(round_trips);
          one_way && one_way->spread == OneWaySpread::median) {
        comment = fmt::format(
            "one way: a lognormal whose two draws, a request's and a response's, have the mean "
            "and the median of client - server (KS distance {} of their sum; {} with sqrt(2) "
            "times the cv); the round trip's shape: {}",
            decimal_text(one_way->ks_distance, 3), decimal_text(one_way->variance_ks_distance, 3),
            fit_comment(fit));
        return fmt::format("lognormal(mean={}, cv={})",
                           format_duration(Duration(std::llround(mean))),
                           decimal_text(one_way->cv(), 6));
      }
    }
    const bool gamma = fit.family == FitFamily::exponential || fit.family == FitFamily::gamma;
    comment = fmt::format(
        "one way: the mean of (client - server) / 2 and sqrt(2) times its cv {}, since a request "
        "and its response each draw it; the round trip's shape: {}",
        decimal_text(cv, 4), fit_comment(fit));
    return fmt::format("{}(mean={}, cv={})", gamma ? "gamma" : "lognormal",
                       format_duration(Duration(std::llround(mean))),
                       decimal_text(cv * std::numbers::sqrt2, 6));
  }

  void write_simulation() {
    std::int64_t first = 0;
    std::int64_t last = 0;
    bool any = false;
    for (const auto& workload : evidence_.workloads) {
      first = any ? std::min(first, workload.first_start_ns) : workload.first_start_ns;
      last = any ? std::max(last, workload.last_start_ns) : workload.last_start_ns;
      any = true;
    }
    const std::int64_t window_ns = last - first;
    window_s_ = static_cast<double>(window_ns) * 1e-9;
    const std::int64_t window_s = (window_ns + 999'999'999) / 1'000'000'000;
    duration_s_ = std::max<std::int64_t>(60, window_s);
    out_ += fmt::format(
        "simulation: {{duration: {}s, warmup: 0s, seed: 1}}  # the traced window, {}, rounded "
        "up to whole seconds (at least 60s)\n",
        duration_s_, format_duration(Duration(window_ns)));
  }

  /// A link for each pair of services whose network differs clearly from
  /// the whole: at least link_min_samples samples, a median more than
  /// link_factor times above or below the median of all samples (fewer, at
  /// least link_min_extreme_samples, when the median is also beyond the 99th
  /// or below the 1st percentile of the other pairs' samples) or more than
  /// link_near_factor and beyond the noise (link_near_z), and at least
  /// link_min_difference_ns apart; the default latency fitted to the samples
  /// of every other pair (a slow link to a remote bank must not lengthen
  /// every call in the cluster).
  void write_network() {
    std::vector<Duration> all;
    std::map<std::pair<std::string, std::string>, std::vector<Duration>> pairs;
    for (const auto& endpoint : evidence_.endpoints) {
      for (const auto& call : endpoint.calls) {
        if (call.network.empty()) {
          continue;
        }
        all.insert(all.end(), call.network.begin(), call.network.end());
        std::string a = service_names_.at(endpoint.service);
        std::string b = service_of(call.callee);
        if (b < a) {
          std::swap(a, b);
        }
        auto& samples = pairs[{a, b}];
        samples.insert(samples.end(), call.network.begin(), call.network.end());
      }
    }
    // A dependency known only from client spans has their durations as its
    // delay, network included: its links carry no more.
    std::set<std::pair<std::string, std::string>> external_pairs;
    for (const auto& endpoint : evidence_.endpoints) {
      for (const auto& call : endpoint.calls) {
        if (evidence_.endpoints[call.callee].external && !endpoint.external) {
          std::string a = service_names_.at(endpoint.service);
          std::string b = service_of(call.callee);
          external_pairs.emplace(std::min(a, b), std::max(a, b));
        }
      }
    }
    if (all.empty() && external_pairs.empty()) {
      return;
    }
    if (all.empty()) {
      out_ += "network:\n  links:\n";
      write_external_links(external_pairs);
      return;
    }
    const double all_median = median_ns(all);
    std::vector<Duration> all_sorted = all;
    std::sort(all_sorted.begin(), all_sorted.end());
    // The share of the other pairs' samples at most `value`.
    const auto others_at_most = [&](const std::vector<Duration>& samples, double value) {
      const auto at_most = [value](Duration d) { return static_cast<double>(d.count()) <= value; };
      const auto in_all = std::partition_point(all_sorted.begin(), all_sorted.end(), at_most);
      const auto in_pair = std::count_if(samples.begin(), samples.end(), at_most);
      const std::size_t others = all.size() - samples.size();
      return others == 0 ? 0.5
                         : static_cast<double>((in_all - all_sorted.begin()) - in_pair) /
                               static_cast<double>(others);
    };
    std::vector<std::pair<std::string, std::string>> links;
    std::vector<Duration> rest;
    for (const auto& [pair, samples] : pairs) {
      const double median = median_ns(samples);
      const auto away = [&](double factor) {
        return all_median <= 0 || median > all_median * factor || median * factor < all_median;
      };
      const double below = others_at_most(samples, median);
      const bool extreme = below > 0.99 || below < 0.01;
      // Were the pair's samples drawn as the others' are, `below` would be a
      // half give or take 0.5 sqrt(1/n + 1/m) (its median's rank among them).
      const auto n = static_cast<double>(samples.size());
      const auto m = static_cast<double>(all.size() - samples.size());
      const bool distinct =
          m > 0 && std::abs(below - 0.5) > link_near_z * 0.5 * std::sqrt(1 / n + 1 / m);
      const bool enough =
          (away(link_factor) && (samples.size() >= link_min_samples ||
                                 (samples.size() >= link_min_extreme_samples && extreme))) ||
          (away(link_near_factor) && distinct && samples.size() >= link_min_samples);
      if (pair.first != pair.second && enough &&
          std::abs(median - all_median) >= link_min_difference_ns) {
        links.push_back(pair);
      } else {
        rest.insert(rest.end(), samples.begin(), samples.end());
      }
    }
    std::string comment;
    if (!rest.empty()) {
      const std::string text = network_fitted(rest, comment);
      out_ += "network:\n  default:\n";
      out_ +=
          fmt::format("    latency: {}  # {}; one-way, from {} client/server span pairs{}\n", text,
                      comment, rest.size(), links.empty() ? "" : " (the links below apart)");
    } else {
      out_ += "network:\n";
    }
    if (!links.empty() || !external_pairs.empty()) {
      out_ += "  links:\n";
    }
    write_external_links(external_pairs);
    for (const auto& pair : links) {
      const auto& samples = pairs.at(pair);
      const double median = median_ns(samples);
      const std::string link_text = network_fitted(samples, comment);
      out_ += fmt::format("    - between: [{}, {}]  # median {} against {} overall\n", pair.first,
                          pair.second, format_duration(Duration(std::llround(median))),
                          format_duration(Duration(std::llround(all_median))));
      out_ += fmt::format("      latency: {}  # {}\n", link_text, comment);
    }
  }

  void write_services() {
    // Endpoints by model service name, then by model endpoint name.
    std::map<std::string, std::map<std::string, std::size_t>> by_service;
    for (std::size_t i = 0; i < evidence_.endpoints.size(); ++i) {
      by_service[service_of(i)][endpoint_names_[i]] = i;
    }
    std::map<std::string, const ServiceEvidence*> services;
    for (const auto& service : evidence_.services) {
      services[service_names_.at(service.name)] = &service;
    }
    out_ += "services:\n";
    for (const auto& [name, endpoints] : by_service) {
      const std::size_t first = endpoints.begin()->second;
      const std::string& raw = evidence_.endpoints[first].service;
      const bool external = evidence_.endpoints[first].external;
      const auto found = services.find(name);
      const ServiceEvidence* service = found == services.end() ? nullptr : found->second;
      out_ += fmt::format("  {}:", name);
      if (name != raw) {
        out_ += fmt::format("  # '{}' in the spans", comment_safe(raw));
      }
      out_ += "\n";
      if (external) {
        out_ += "    external: true  # no spans of its own: known from its callers' client spans\n";
        if (const Workload* workload = k8s_ ? k8s_->match(raw, name) : nullptr) {
          draft_.notes.push_back(fmt::format(
              "service '{}' has no spans of its own: the model keeps it external, and its {} "
              "'{}' from the manifests sets nothing",
              name, workload->kind == WorkloadKind::deployment ? "Deployment" : "StatefulSet",
              comment_safe(workload->name.value)));
        }
      } else {
        write_replicas(raw, name, service);
      }
      out_ += "    endpoints:\n";
      for (const auto& entry : endpoints) {
        write_endpoint(entry.second);
      }
    }
    for (const auto& [name, service] : services) {
      if (by_service.count(name) == 0) {
        draft_.notes.push_back(
            fmt::format("service '{}' has spans but no endpoint: it is not in the model", name));
      }
    }
    if (k8s_) {
      out_ += k8s_->untraced_services(used_services_);
    }
  }

  /// A link of no latency between each caller and the dependency it calls
  /// that has no spans of its own.
  void write_external_links(const std::set<std::pair<std::string, std::string>>& pairs) {
    for (const auto& [a, b] : pairs) {
      out_ += fmt::format(
          "    - between: [{}, {}]  # the dependency's delay is the client spans' time, network "
          "included\n      latency: 0s\n",
          a, b);
    }
  }

  void write_replicas(const std::string& raw, const std::string& name,
                      const ServiceEvidence* service) {
    const std::size_t traced_replicas = service != nullptr ? service->replicas : 0;
    if (const Workload* workload = k8s_ ? k8s_->match(raw, name) : nullptr) {
      out_ += k8s_->service_lines(*workload, name);
      const std::size_t replicas =
          traced_replicas > 0
              ? traced_replicas
              : static_cast<std::size_t>(std::max<std::int64_t>(1, workload->replicas.value));
      // A pod the manifests give no CPU has the model's default, one core.
      plan_cpu(raw, name, replicas, k8s_->pod_cores(*workload).value_or(1.0), false);
      return;
    }
    if (traced_replicas > 0) {
      out_ += fmt::format("    replicas: {}  # distinct instances in {} spans\n", traced_replicas,
                          service->spans);
    } else {
      out_ += "    replicas: 1  # the spans name no instance\n";
    }
    plan_cpu(raw, name, std::max<std::size_t>(traced_replicas, 1), 0, true);
  }

  /// For a service whose own time is written as CPU: the cores of its pods
  /// (`cores`, or when `choose`, the fewest at which the traced load waits
  /// under 2%, written as its `pod`), and the factor that turns its traced
  /// own times into CPU demand on them (cpu_sizing.hpp).
  void plan_cpu(const std::string& raw, const std::string& name, std::size_t replicas, double cores,
                bool choose) {
    if (options_.own_time != OwnTimeAs::cpu || window_s_ <= 0) {
      return;
    }
    double total_weight = 0;
    double total_traces = 0;
    for (const auto& workload : evidence_.workloads) {
      total_weight += workload.weighted_traces;
      total_traces += static_cast<double>(workload.traces);
    }
    const double scale = total_traces > 0 ? total_weight / total_traces : 1;
    double busy = 0;  // cores kept busy by the traced own times, per pod
    for (const auto& endpoint : evidence_.endpoints) {
      if (endpoint.service != raw || endpoint.external || endpoint.own_time.empty()) {
        continue;
      }
      double sum_ns = 0;
      for (const Duration d : endpoint.own_time) {
        sum_ns += static_cast<double>(std::max<std::int64_t>(d.count(), 0));
      }
      busy += sum_ns * 1e-9 * scale / window_s_;
    }
    busy /= static_cast<double>(replicas);
    if (choose) {
      cores = static_cast<double>(detail::cores_for(busy));
      out_ += fmt::format(
          "    pod:\n      cpu: {}  # cores: not in the traces; the fewest at which the traced "
          "own times ({} cores busy per pod) wait under 2% (set the real number, or give "
          "--k8s)\n",
          cores, decimal_text(busy, 3));
    }
    demand_[name] = {detail::demand_factor(cores, busy), cores};
  }

  void write_endpoint(std::size_t index) {
    const EndpointEvidence& endpoint = evidence_.endpoints[index];
    out_ += fmt::format("      {}:  # from {} spans, {} invocations\n", endpoint_names_[index],
                        endpoint.spans, endpoint.invocations);
    const std::string stem = service_of(index) + "_" + endpoint_names_[index];
    bool any_step = false;
    if (conditions_own_time(endpoint)) {
      write_patterns(index, stem);
      any_step = true;
    } else {
      if (!endpoint.own_time.empty()) {
        any_step = write_own_time(index, endpoint.own_time, stem, 8, endpoint.calls.empty());
      }
      any_step = write_calls(index, 8, nullptr) || any_step;
    }
    if (endpoint.own_errors > 0 && endpoint.invocations > 0) {
      const double share =
          static_cast<double>(endpoint.own_errors) / static_cast<double>(endpoint.invocations);
      const std::string percent = decimal_text(share * 100, 3);
      if (percent != "0") {
        out_ += fmt::format(
            "        - fail: {}%  # {} of {} invocations failed with no failed call below them\n",
            percent, endpoint.own_errors, endpoint.invocations);
        any_step = true;
      }
    }
    if (!any_step) {
      out_ += "        - delay: 0s  # no own time and no calls seen\n";
    }
  }

  /// The calls of endpoint `index` as steps at column `base`, in the order
  /// they started, calls that overlapped as `parallel` steps; only those to
  /// the callees in `only` (ascending), each then made for sure (the
  /// pattern's branch holds its share), when `only` is given. Whether it
  /// wrote a step.
  bool write_calls(std::size_t index, int base, const std::vector<std::size_t>* only) {
    const EndpointEvidence& endpoint = evidence_.endpoints[index];
    bool any_step = false;
    std::vector<bool> written(endpoint.calls.size(), false);
    if (only != nullptr) {
      for (std::size_t i = 0; i < endpoint.calls.size(); ++i) {
        written[i] = !std::binary_search(only->begin(), only->end(), endpoint.calls[i].callee);
      }
    }
    for (std::size_t i = 0; i < endpoint.calls.size(); ++i) {
      if (written[i]) {
        continue;
      }
      const CallSiteEvidence& call = endpoint.calls[i];
      std::vector<std::size_t> group;
      if (call.parallel) {
        for (std::size_t j = i; j < endpoint.calls.size(); ++j) {
          const auto& members = call.parallel_group;
          if (!written[j] &&
              std::binary_search(members.begin(), members.end(), endpoint.calls[j].callee)) {
            group.push_back(j);
          }
        }
        if (std::find(group.begin(), group.end(), i) == group.end()) {
          group.insert(group.begin(), i);
        }
      }
      const bool fans_out =
          call.parallel &&
          std::binary_search(call.parallel_group.begin(), call.parallel_group.end(), call.callee);
      if (group.size() <= 1 && !fans_out) {
        write_call(call, base, 1, /*with_p=*/only == nullptr);
        written[i] = true;
        any_step = true;
        continue;
      }
      // Calls made in the same invocations (as many, each fewer than all):
      // made together, so one branch holds them all, not a chance each. A
      // call pattern's branch already holds their share.
      const auto& first = endpoint.calls[group.front()];
      const bool together = only == nullptr && group.size() > 1 &&
                            first.invocations >= min_together_invocations &&
                            first.invocations < endpoint.invocations &&
                            std::all_of(group.begin(), group.end(), [&](std::size_t j) {
                              return endpoint.calls[j].invocations == first.invocations;
                            });
      int column = base;
      if (together) {
        out_ += fmt::format(
            "{}- branch:  # the calls below were made together, in {} of {} invocations\n"
            "{}    - p: {}\n{}      steps:\n",
            indent(base), first.invocations, endpoint.invocations, indent(base),
            decimal_text(std::max(std::round(first.p * 1000) / 1000, 0.001), 3), indent(base));
        column = base + 8;
      }
      out_ += fmt::format("{}- parallel:  # the calls overlapped in most invocations\n",
                          indent(column));
      for (const std::size_t j : group) {
        const auto& member = endpoint.calls[j];
        const bool self = std::binary_search(member.parallel_group.begin(),
                                             member.parallel_group.end(), member.callee);
        std::size_t copies = 1;
        if (self && member.times_min == member.times_max && member.times_max <= 64) {
          copies = member.times_max;
        } else if (self) {
          draft_.notes.push_back(fmt::format(
              "{} calls {} {}..{} times at once: the model makes those calls one after another",
              ref(index), ref(member.callee), member.times_min, member.times_max));
        }
        for (std::size_t k = 0; k < copies; ++k) {
          write_call(member, column + 4, copies, /*with_p=*/!together && only == nullptr);
        }
        written[j] = true;
      }
      any_step = true;
    }
    return any_step;
  }

  /// The own time of endpoint `index` as a `cpu` (deflated by its pod's
  /// sharing at the traced load) or `delay` step at `column`; none when it
  /// is all zero and `even_zero` is false. Whether it wrote a step.
  bool write_own_time(std::size_t index, const std::vector<Duration>& samples,
                      const std::string& stem, int column, bool even_zero) {
    const EndpointEvidence& endpoint = evidence_.endpoints[index];
    const bool is_cpu = !endpoint.external && options_.own_time == OwnTimeAs::cpu;
    const auto demand = demand_.find(service_of(index));
    const double factor = is_cpu && demand != demand_.end() ? demand->second.first : 1.0;
    std::vector<Duration> own_time = samples;
    if (factor < 1) {
      for (Duration& d : own_time) {
        d = Duration(std::llround(static_cast<double>(d.count()) * factor));
      }
    }
    const bool is_zero =
        std::all_of(own_time.begin(), own_time.end(), [](Duration d) { return d.count() <= 0; });
    if (is_zero && !even_zero) {
      return false;
    }
    std::string comment;
    const std::string text = fitted(own_time, stem, comment);
    if (factor < 0.9995) {
      comment += fmt::format(
          "; x{} of the traced own time: the rest was sharing the pod's {} cores at the traced "
          "load",
          decimal_text(factor, 3), decimal_text(demand->second.second, 3));
    }
    out_ += fmt::format("{}- {}: {}  # own time: {}\n", indent(column), is_cpu ? "cpu" : "delay",
                        text, comment);
    return true;
  }

  /// Whether the own time of `endpoint` is written per call pattern: 2 to
  /// max_own_time_patterns patterns, each of at least min_pattern_invocations
  /// invocations, whose own times' medians differ by a factor of at least
  /// pattern_median_factor (and by pattern_min_difference_ns): the work
  /// differs with what is called, and drawing the two apart would pair a
  /// long own time with the wrong calls.
  [[nodiscard]] static bool conditions_own_time(const EndpointEvidence& endpoint) {
    const auto& patterns = endpoint.patterns;
    if (endpoint.external || patterns.size() < 2 || patterns.size() > max_own_time_patterns) {
      return false;
    }
    double low = std::numeric_limits<double>::infinity();
    double high = 0;
    for (const CallPattern& pattern : patterns) {
      if (pattern.invocations < min_pattern_invocations) {
        return false;
      }
      const double median = median_ns(pattern.own_time);
      low = std::min(low, median);
      high = std::max(high, median);
    }
    return high >= low * pattern_median_factor && high - low >= pattern_min_difference_ns;
  }

  /// A `branch` with one alternative per call pattern, each with its share
  /// of the invocations, its own time and its calls.
  void write_patterns(std::size_t index, const std::string& stem) {
    const EndpointEvidence& endpoint = evidence_.endpoints[index];
    out_ += fmt::format(
        "        - branch:  # own time and calls by the callees an invocation called ({} "
        "patterns; their own times differ)\n",
        endpoint.patterns.size());
    double given = 0;
    for (std::size_t k = 0; k < endpoint.patterns.size(); ++k) {
      const CallPattern& pattern = endpoint.patterns[k];
      double share = std::round(static_cast<double>(pattern.invocations) /
                                static_cast<double>(endpoint.invocations) * 1e4) /
                     1e4;
      if (k + 1 == endpoint.patterns.size()) {
        share = std::max(0.0001, std::min(share, 1.0 - given));  // the shares add up to 1 at most
      }
      given += share;
      std::string called;
      for (const std::size_t callee : pattern.callees) {
        called += (called.empty() ? "" : ", ") + ref(callee);
      }
      out_ +=
          fmt::format("            - p: {}  # {} invocations called {}\n", decimal_text(share, 4),
                      pattern.invocations, called.empty() ? std::string("nothing") : called);
      out_ += "              steps:\n";
      const bool own = write_own_time(index, pattern.own_time, fmt::format("{}_{}", stem, k + 1),
                                      16, pattern.callees.empty());
      const bool calls = write_calls(index, 16, &pattern.callees);
      if (!own && !calls) {
        out_ += "                - delay: 0s\n";
      }
    }
  }

  /// A `call` step at `column`; `copies` > 1: one of that many parallel
  /// copies (the times are the copies, not a `times:`). A count that varied
  /// in a way `times: A..B` (uniform) would misstate becomes a `branch` with
  /// the counts seen, in a call pattern or a branch of calls made together
  /// (`with_p` false: made for sure there) as anywhere else.
  void write_call(const CallSiteEvidence& call, int column, std::size_t copies,
                  bool with_p = true) {
    if (call.calls > 0 && call.producer_calls == call.calls) {
      write_publish(call, column, with_p);
      return;
    }
    if (copies == 1 && call.times_min != call.times_max && !uniform_times_fit(call)) {
      write_call_counts(call, column, with_p);
      return;
    }
    std::string comment = fmt::format("from {} spans", call.spans);
    if (call.failed_attempts > 0) {
      comment += fmt::format(", {}% of attempts failed", decimal_text(call.error_share * 100, 2));
    }
    out_ += fmt::format("{}- call: {}  # {}\n", indent(column), ref(call.callee), comment);
    const std::string keys = indent(column + 2);
    write_share_and_times(call, keys, with_p, /*with_times=*/copies == 1);
    write_call_policy(call, keys);
  }

  /// A step's `p` (when `with_p` and less than 1, three decimals) and its
  /// `times` (when `with_times` and more than once: `A..B` when it varied).
  void write_share_and_times(const CallSiteEvidence& call, const std::string& keys, bool with_p,
                             bool with_times) {
    const double p = std::round(call.p * 1000) / 1000;
    if (with_p && p < 1) {
      out_ += fmt::format("{}p: {}  # {} of the caller's invocations\n", keys,
                          decimal_text(std::max(p, 0.001), 3), call.invocations);
    }
    if (!with_times || call.times_max <= 1) {
      return;
    }
    out_ += call.times_min == call.times_max
                ? fmt::format("{}times: {}\n", keys, call.times_max)
                : fmt::format("{}times: {}..{}  # mean {}\n", keys,
                              std::max<std::size_t>(1, call.times_min), call.times_max,
                              decimal_text(call.times_mean, 2));
  }

  /// Calls made by PRODUCER spans: messages to a queue that the callee
  /// consumes; the caller goes on without waiting.
  void write_publish(const CallSiteEvidence& call, int column, bool with_p) {
    auto [found, added] = queue_of_.try_emplace(call.callee);
    if (added) {
      found->second = unique_name(sanitize_model_name(service_of(call.callee) + "_" +
                                                      endpoint_names_[call.callee] + "_queue"),
                                  queue_names_);
    }
    out_ += fmt::format(
        "{}- publish: {}  # from {} spans: PRODUCER spans, the caller does not wait for {}\n",
        indent(column), found->second, call.spans, ref(call.callee));
    write_share_and_times(call, indent(column + 2), with_p, /*with_times=*/true);
  }

  /// A queue for each endpoint that consumes messages, its partitions (how
  /// many it processes at once, which the traces do not say) the fewest at
  /// which the traced messages would wait under 2% (cpu_sizing.hpp).
  void write_queues() {
    if (queue_of_.empty()) {
      return;
    }
    out_ += "queues:\n";
    for (const auto& [consumer, name] : queue_of_) {
      const EndpointEvidence& endpoint = evidence_.endpoints[consumer];
      double busy = 0;
      if (window_s_ > 0) {
        for (const Duration d : endpoint.own_time) {
          busy += static_cast<double>(std::max<std::int64_t>(d.count(), 0)) * 1e-9 / window_s_;
        }
      }
      out_ += fmt::format("  {}:  # the messages of PRODUCER spans to {}\n", name, ref(consumer));
      out_ += fmt::format("    consumer: {}\n", ref(consumer));
      out_ += fmt::format(
          "    partitions: {}  # not in the traces; the fewest at which the traced messages "
          "({} processed at once on average) wait under 2%\n",
          detail::cores_for(busy), decimal_text(busy, 3));
    }
  }

  /// Whether `times: min..max`, a uniform count, has about the mean seen
  /// (within 5%): then it stands for the counts.
  static bool uniform_times_fit(const CallSiteEvidence& call) {
    const double uniform = static_cast<double>(call.times_min + call.times_max) / 2;
    return std::abs(uniform - call.times_mean) <= 0.05 * call.times_mean;
  }

  /// The call as a `branch` with one alternative per count seen, each with
  /// its share of the caller's invocations (up to max_count_branches counts;
  /// rarer ones go to the nearest kept count); `with_p` false: its share of
  /// the invocations that made the call (it is made for sure where it is
  /// written: the counts' shares add up to 1).
  void write_call_counts(const CallSiteEvidence& call, int column, bool with_p) {
    const auto& histogram = call.times_histogram;
    std::vector<std::pair<std::size_t, std::size_t>> counts;  // (invocations, count), most first
    for (std::size_t k = 1; k < histogram.size(); ++k) {
      if (histogram[k] > 0) {
        counts.emplace_back(histogram[k], k);
      }
    }
    std::sort(counts.rbegin(), counts.rend());
    std::map<std::size_t, std::size_t> kept;  // count -> invocations
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (i < max_count_branches) {
        kept[counts[i].second] += counts[i].first;
        continue;
      }
      auto nearest = kept.lower_bound(counts[i].second);
      if (nearest == kept.end() ||
          (nearest != kept.begin() &&
           counts[i].second - std::prev(nearest)->first < nearest->first - counts[i].second)) {
        --nearest;
      }
      nearest->second += counts[i].first;
    }
    const double per_invocation =
        (with_p ? call.p : 1.0) / static_cast<double>(std::max<std::size_t>(call.invocations, 1));
    out_ += fmt::format(
        "{}- branch:  # {} called {} to {} times per invocation (mean {}): each count as often as "
        "seen\n",
        indent(column), ref(call.callee), call.times_min, call.times_max,
        decimal_text(call.times_mean, 2));
    const std::string option = indent(column + 4);
    double given = 0;
    std::size_t written = 0;
    for (const auto& [count, invocations] : kept) {
      double share = std::max(
          std::round(per_invocation * static_cast<double>(invocations) * 1e4) / 1e4, 0.0001);
      if (++written == kept.size()) {
        // Shares rounded each on its own can add up to more than 1 (3 of 32
        // is 0.0938, twice, beside 0.25, 0.25 and 0.3125): the last takes
        // what is left at most, as a call pattern's last share does.
        share = std::max(0.0001, std::min(share, 1.0 - given));
      }
      given += share;
      out_ +=
          fmt::format("{}- p: {}  # {} invocations\n", option, decimal_text(share, 4), invocations);
      out_ += fmt::format("{}  steps:\n", option);
      out_ +=
          fmt::format("{}    - call: {}  # from {} spans\n", option, ref(call.callee), call.spans);
      const std::string keys = option + "      ";
      if (count > 1) {
        out_ += fmt::format("{}times: {}\n", keys, count);
      }
      write_call_policy(call, keys);
    }
  }

  /// The caller's timeout, when at least min_timeouts_seen attempts gave up
  /// after about the same time: their median, if the middle 80% of them lie
  /// within 10% of it (a timer fires at a fixed time; attempts given up for
  /// other reasons, a hedged call's loser cancelled, vary).
  static std::optional<Duration> seen_timeout(const CallSiteEvidence& call) {
    if (call.timed_out.size() < min_timeouts_seen) {
      return std::nullopt;
    }
    std::vector<Duration> sorted = call.timed_out;
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) {
      return static_cast<double>(
          sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))].count());
    };
    const double median = at(0.5);
    if (at(0.9) - at(0.1) > 0.1 * median) {
      return std::nullopt;
    }
    return Duration(std::llround(median));
  }

  /// The call's `timeout` (when callers were seen giving up) and `retry`
  /// (when calls were seen retried), as keys at `keys`.
  void write_call_policy(const CallSiteEvidence& call, const std::string& keys) {
    if (const auto timeout = seen_timeout(call)) {
      out_ += fmt::format("{}timeout: {}  # {} attempts gave up while the callee went on\n", keys,
                          format_duration(*timeout), call.timed_out.size());
    }
    if (call.hedge_after.size() >= min_hedges_seen) {
      out_ += fmt::format("{}hedge: {{after: {}, max: 1}}  # {} of {} calls hedged\n", keys,
                          format_duration(Duration(std::llround(median_ns(call.hedge_after)))),
                          call.hedge_after.size(), call.calls);
    }
    if (call.retried_calls > 0 && call.max_attempts > 1) {
      const double backoff = median_ns(call.backoff);
      std::string retry = fmt::format("{{attempts: {}", call.max_attempts);
      if (backoff > 0) {
        retry += fmt::format(", backoff: {}, multiplier: 1, jitter: none",
                             format_duration(Duration(std::llround(backoff))));
      }
      // Traces say that an attempt failed, not how: every failure is retried.
      retry += ", on: [timeout, error, rejected, unavailable]";
      out_ += fmt::format("{}retry: {}}}  # {} of {} calls retried; backoff: median gap\n", keys,
                          retry, call.retried_calls, call.calls);
    }
  }

  void write_workloads() {
    if (evidence_.workloads.empty()) {
      draft_.notes.push_back(
          "no trace reaches an endpoint from its root: the model has no workload");
      return;
    }
    out_ += "workloads:\n";
    std::set<std::string> used;
    for (const auto& workload : evidence_.workloads) {
      const std::string name = unique_name(sanitize_model_name(service_of(workload.endpoint) + "_" +
                                                               endpoint_names_[workload.endpoint]),
                                           used);
      double rate = 0;
      std::string comment;
      if (workload.rate_per_s) {
        rate = *workload.rate_per_s;
        comment = fmt::format("{} requests from {} traces over {}",
                              decimal_text(workload.weighted_traces, 1), workload.traces,
                              format_duration(workload.window));
      } else {
        rate = workload.weighted_traces / static_cast<double>(duration_s_);
        comment = fmt::format("rate unknown (all entries at one instant): {} requests over {}s",
                              decimal_text(workload.weighted_traces, 1), duration_s_);
        draft_.notes.push_back(fmt::format(
            "the rate of {} is unknown (its entries span no time): the model spreads its {} "
            "requests over {}s",
            ref(workload.endpoint), decimal_text(workload.weighted_traces, 1), duration_s_));
      }
      out_ += fmt::format("  {}:\n    entry: {}\n", name, ref(workload.endpoint));
      out_ += fmt::format("    rate: {}/s  # {}\n", decimal_text(std::max(rate, 1e-9), 9), comment);
    }
  }
};

}  // namespace

std::string sanitize_model_name(std::string_view text) {
  std::string name = normalize_endpoint_name(text);
  const auto start = name.find_first_not_of("-_");
  name = start == std::string::npos ? std::string() : name.substr(start);
  if (name.size() > max_name_length) {
    name.resize(max_name_length);
  }
  if (name == "null") {
    return "null_";  // YAML reads a plain `null` key as no name at all
  }
  return name.empty() ? std::string("unnamed") : name;
}

DraftModel write_model(const TraceEvidence& evidence, const Manifests* manifests,
                       const WriterOptions& options) {
  return Writer(evidence, manifests, options).run();
}

}  // namespace tailsim::import
