// The Python module's native half, `tailsim._tailsim`: loading, running and
// studying a model through the library, the results handed back as the
// library's own JSON and CSV texts (results.json, timeseries.csv, sweep.csv,
// the `--json` documents of sweep, compare and analyze). The package
// `tailsim` (src/python/tailsim/__init__.py) turns them into Python data.
//
// Every call that simulates or loads releases the GIL; a simulation polls
// for Ctrl-C (a notebook's interrupt) and stops early when it comes, and the
// call then raises KeyboardInterrupt.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tailsim/analytic/analysis.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/core/duration_text.hpp"
#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/graph/graph_writer.hpp"
#include "tailsim/model/load_scaling.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/timeseries_writer.hpp"
#include "tailsim/study/compare.hpp"
#include "tailsim/study/replications.hpp"
#include "tailsim/study/runner.hpp"
#include "tailsim/study/seed_list.hpp"
#include "tailsim/study/sweep.hpp"
#include "tailsim/study/up_front_analysis.hpp"

namespace py = pybind11;

namespace {

using namespace tailsim;  // NOLINT(google-build-using-namespace): one file, the library's names

/// A model that did not load or compile: its diagnostics, raised in Python
/// as `tailsim.ModelError`.
class ModelFailure : public std::runtime_error {
 public:
  explicit ModelFailure(model::Diagnostics diagnostics)
      : std::runtime_error(error_text(diagnostics)), diagnostics_(std::move(diagnostics)) {}

  [[nodiscard]] const model::Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  /// Every error, one `file:line:col: error: ...` line each.
  static std::string error_text(const model::Diagnostics& diagnostics) {
    std::string text;
    for (const auto& d : diagnostics.all()) {
      if (d.severity == model::Severity::error) {
        text += (text.empty() ? "" : "\n") + diagnostics.format(d);
      }
    }
    return text.empty() ? std::string("the model has errors") : text;
  }

  model::Diagnostics diagnostics_;
};

/// One diagnostic as Python data (the GIL held).
py::dict diagnostic_dict(const model::Diagnostics& diagnostics, const model::Diagnostic& d) {
  py::dict out;
  out["severity"] = d.severity == model::Severity::error ? "error" : "warning";
  out["file"] = diagnostics.source_name(d.loc.file);
  out["line"] = d.loc.line;
  out["column"] = d.loc.col;
  out["message"] = d.message;
  out["text"] = diagnostics.format(d);
  return out;
}

/// Raises `tailsim.ModelError(message, file, line, column, diagnostics)`,
/// placed at the first error.
void raise_model_error(const ModelFailure& failure) {
  const auto& diagnostics = failure.diagnostics();
  py::list all;
  py::object file = py::none();
  py::object line = py::none();
  py::object column = py::none();
  for (const auto& d : diagnostics.all()) {
    all.append(diagnostic_dict(diagnostics, d));
    if (d.severity == model::Severity::error && file.is_none()) {
      file = py::str(diagnostics.source_name(d.loc.file));
      if (d.loc.is_known()) {
        line = py::int_(d.loc.line);
        column = py::int_(d.loc.col);
      }
    }
  }
  const py::object error_type = py::module_::import("tailsim").attr("ModelError");
  const py::object error = error_type(failure.what(), file, line, column, all);
  PyErr_SetObject(error_type.ptr(), error.ptr());
}

/// Ctrl-C while the GIL is released: the library's progress callbacks ask
/// Python whether a signal came (only the main thread handles them; other
/// threads see none), and the simulations stop at their next check.
class InterruptWatch {
 public:
  /// Called by the library without the GIL.
  void poll() {
    if (stop_.load()) {
      return;
    }
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();  // raised again, as KeyboardInterrupt, when the call returns
      stop_.store(true);
    }
  }
  [[nodiscard]] const std::atomic<bool>* flag() const { return &stop_; }
  [[nodiscard]] bool stopped() const { return stop_.load(); }

 private:
  std::atomic<bool> stop_{false};
};

/// Raises KeyboardInterrupt when `watch` saw one (the GIL held).
void raise_if_interrupted(const InterruptWatch& watch) {
  if (watch.stopped()) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
}

/// A model as loaded and checked (its graph built), with what loaded it, so
/// that a study can load it again with more overrides.
struct Checked {
  model::LoadResult load;
  std::optional<graph::DependencyGraph> graph;
};

/// `tailsim run`'s --seed, --duration and --load, unparsed (as the Python
/// layer writes them).
struct RunFlags {
  std::optional<std::string> seed;
  std::optional<std::string> duration;
  std::optional<std::string> load;
};

/// Applies the load factor, the seed (the first of a list) and the duration
/// to `m`; std::invalid_argument (ValueError) when one is wrong. Returns the
/// seeds of a range or list (`1..5`), else none.
std::vector<std::uint64_t> apply_run_flags(const RunFlags& flags, model::Model& m) {
  if (flags.load) {
    const auto factor = model::parse_load_factor(*flags.load);
    if (!factor) {
      throw std::invalid_argument(fmt::format("load: {}", factor.error().message));
    }
    if (auto error = model::scale_load(m, *factor)) {
      throw std::invalid_argument(fmt::format("load {}: {}", *flags.load, *error));
    }
  }
  std::vector<std::uint64_t> seeds;
  if (flags.seed) {
    auto parsed = study::parse_seeds(*flags.seed);
    if (!parsed) {
      throw std::invalid_argument(fmt::format("seed: {}", parsed.error().message));
    }
    m.simulation.seed.value = parsed->front();
    if (parsed->size() > 1) {
      seeds = std::move(parsed).value();
    }
  }
  if (flags.duration) {
    const auto duration = model::parse_duration(*flags.duration);
    if (!duration || *duration <= Duration::zero()) {
      throw std::invalid_argument(fmt::format(
          "duration: {}", duration ? std::string("must be above zero") : duration.error().message));
    }
    const auto& sim = m.simulation;
    if (auto too_long = model::simulated_time_error(sim.warmup.value, *duration, sim.drain.value)) {
      throw std::invalid_argument(fmt::format("duration: {}", *too_long));
    }
    m.simulation.duration.value = *duration;
  }
  return seeds;
}

/// The replications of a study: `replications` (0: `fallback`), or as many
/// as a seed list names; std::invalid_argument when both are given and
/// disagree.
std::size_t study_replications(std::size_t replications, std::size_t fallback,
                               const std::vector<std::uint64_t>& seeds) {
  if (seeds.empty()) {
    return replications > 0 ? replications : fallback;
  }
  if (replications > 0 && replications != seeds.size()) {
    throw std::invalid_argument(
        fmt::format("the seed list names the seeds of {} replications and replications asks "
                    "for {}: give one of them",
                    seeds.size(), replications));
  }
  return seeds.size();
}

unsigned jobs_or_default(unsigned jobs) {
  return jobs > 0 ? jobs : study::default_jobs();
}

/// A loaded model: `tailsim.Model`'s native half.
class ModelHandle {
 public:
  ModelHandle(std::string source, bool from_text, std::string name,
              std::vector<std::string> overrides, std::vector<std::string> allowed_paths)
      : source_(std::move(source)),
        from_text_(from_text),
        name_(std::move(name)),
        overrides_(std::move(overrides)),
        allowed_paths_(std::move(allowed_paths)),
        base_dir_(std::filesystem::current_path()) {
    checked_ = check({});
  }

  /// The model loaded again with `extra` overrides after its own, its graph
  /// built; ModelFailure when it has errors.
  [[nodiscard]] Checked check(const std::vector<std::string>& extra) const {
    model::LoadOptions options;
    options.overrides = overrides_;
    options.overrides.insert(options.overrides.end(), extra.begin(), extra.end());
    options.allowed_paths.assign(allowed_paths_.begin(), allowed_paths_.end());
    Checked checked{from_text_ ? model::load_string(source_, name_, options, base_dir_)
                               : model::load_file(source_, options),
                    std::nullopt};
    if (checked.load.model) {
      checked.graph = graph::build_graph(*checked.load.model, checked.load.diagnostics);
      checked.load.diagnostics.sort();
    }
    if (!checked.load.ok()) {
      throw ModelFailure(std::move(checked.load.diagnostics));
    }
    return checked;
  }

  /// The model's plan with `flags` applied; `seeds` receives a seed list's.
  /// `extra` overrides (a sweep point's) load the model again.
  [[nodiscard]] plan::Plan compile(const RunFlags& flags, std::vector<std::uint64_t>* seeds,
                                   const std::vector<std::string>& extra = {},
                                   const std::optional<std::string>& point_load = {}) const {
    model::Model m;
    model::Diagnostics diagnostics;
    if (extra.empty()) {
      m = *checked_.load.model;
      diagnostics = checked_.load.diagnostics;
    } else {
      Checked checked = check(extra);
      m = std::move(*checked.load.model);
      diagnostics = std::move(checked.load.diagnostics);
    }
    auto listed = apply_run_flags(flags, m);
    if (point_load) {
      apply_run_flags(RunFlags{std::nullopt, std::nullopt, point_load}, m);
    }
    if (seeds != nullptr) {
      *seeds = std::move(listed);
    }
    auto plan = plan::compile_plan(m, diagnostics);
    if (!plan) {
      throw ModelFailure(std::move(diagnostics));
    }
    return std::move(*plan);
  }

  [[nodiscard]] const model::Model& model() const { return *checked_.load.model; }
  [[nodiscard]] const Checked& checked() const { return checked_; }

 private:
  std::string source_;
  bool from_text_ = false;
  std::string name_;
  std::vector<std::string> overrides_;
  std::vector<std::string> allowed_paths_;
  std::filesystem::path base_dir_;
  Checked checked_;
};

/// The warnings of a model that loads and compiles: the loader's and the
/// graph's, the plan compiler's, and the services the analysis predicts to
/// saturate. ModelFailure when it does not compile.
std::vector<std::string> validate(const ModelHandle& handle) {
  const model::Model& m = handle.model();
  model::Diagnostics diagnostics = handle.checked().load.diagnostics;
  std::vector<std::string> warnings;
  if (!plan::compile_plan(m, diagnostics)) {
    throw ModelFailure(std::move(diagnostics));
  }
  for (const auto& d : diagnostics.all()) {
    if (d.severity == model::Severity::warning) {
      warnings.push_back(diagnostics.format(d));
    }
  }
  const auto analysis = study::analyze_for_run(m);
  warnings.insert(warnings.end(), analysis.warnings.begin(), analysis.warnings.end());
  return warnings;
}

/// What `run` hands back: results.json's text, timeseries.csv's, and the
/// warnings `tailsim run` prints (predicted saturation).
using RunOutput = std::tuple<std::string, std::string, std::vector<std::string>>;

/// `tailsim run MODEL [--seed S] [--duration D] [--load F] [--no-attribution]
/// [--replications N] [--jobs J] --json -`, with no traces.
RunOutput run(const ModelHandle& handle, const RunFlags& flags, bool attribution,
              std::size_t replications, unsigned jobs) {
  std::vector<std::uint64_t> seeds;
  const plan::Plan plan = handle.compile(flags, &seeds);
  model::Model m = handle.model();
  apply_run_flags(flags, m);  // the analysis sees the model the plan was made of
  study::RunAnalysis analysis = study::analyze_for_run(m);
  if (flags.duration && m.simulation.interval.value > m.simulation.duration.value) {
    // What `tailsim run --duration` warns of (the load warned against the
    // model's own duration, which this run does not use).
    analysis.warnings.push_back(
        fmt::format("the time-series interval ({}) is longer than the simulated duration "
                    "(duration={})",
                    format_duration(m.simulation.interval.value), *flags.duration));
  }
  InterruptWatch watch;
  const std::size_t n = study_replications(replications, 1, seeds);
  std::string json;
  stats::Results results;
  if (n > 1) {
    study::ReplicationOptions options;
    options.replications = n;
    options.seeds = seeds;
    options.jobs = jobs_or_default(jobs);
    options.attribution = attribution;
    options.limits.max_memory_bytes = components::default_memory_budget(options.jobs);
    options.limits.stop_requested = watch.flag();
    const study::ReplicatedRun replicated =
        study::replicate(plan, options, [&](double) { watch.poll(); });
    results = replicated.first_with_mean_slos();
    analysis.fill(results);
    json = study::replications_to_json(replicated, options);
  } else {
    components::RunLimits limits;
    limits.on_progress = [&](double) { watch.poll(); };
    limits.attribution = attribution;
    limits.stop_requested = watch.flag();
    limits.max_memory_bytes = components::default_memory_budget(1);
    results = components::simulate(plan, limits);
    analysis.fill(results);
    json = report::to_json(results);
  }
  {
    const py::gil_scoped_acquire gil;
    raise_if_interrupted(watch);
  }
  return {std::move(json), report::format_timeseries_csv(results), analysis.warnings};
}

/// `tailsim sweep`'s --vary text, `PATH=V1,V2,...` or `PATH=A..B:STEP`.
std::pair<std::string, std::vector<std::string>> parse_vary(const std::string& text) {
  auto vary = study::parse_vary(text);
  if (!vary) {
    throw std::invalid_argument(fmt::format("vary '{}': {}", text, vary.error().message));
  }
  return {vary->path, vary->values};
}

/// `tailsim sweep MODEL --vary ... --json - --csv -`: the JSON and the CSV.
std::pair<std::string, std::string> sweep(
    const ModelHandle& handle,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& vary,
    const RunFlags& flags, std::size_t replications, unsigned jobs) {
  if (vary.empty()) {
    throw std::invalid_argument("vary: a sweep needs at least one path and its values");
  }
  std::vector<study::Vary> varies;
  for (const auto& [path, values] : vary) {
    if (values.empty() || values.size() > study::max_vary_values) {
      throw std::invalid_argument(
          fmt::format("vary {}: give from 1 to {} values", path, study::max_vary_values));
    }
    for (const auto& v : varies) {
      if (v.path == path) {
        throw std::invalid_argument(fmt::format("vary {} is given twice", path));
      }
    }
    varies.push_back(study::Vary{path, values});
  }
  const auto grid = study::sweep_grid(varies);
  std::vector<plan::Plan> plans;
  plans.reserve(grid.size());
  std::vector<std::uint64_t> seeds;
  for (const auto& point : grid) {
    plans.push_back(handle.compile(flags, &seeds, study::point_overrides(varies, point),
                                   study::point_load(varies, point)));
  }
  const std::size_t n = study_replications(replications, 3, seeds);
  InterruptWatch watch;
  study::StudyLimits limits;
  const unsigned threads = jobs_or_default(jobs);
  limits.max_memory_bytes = components::default_memory_budget(threads);
  limits.stop_requested = watch.flag();
  const study::SweepResult result = study::run_sweep(
      plans, varies, n, threads, [&](double) { watch.poll(); }, limits, seeds);
  {
    const py::gil_scoped_acquire gil;
    raise_if_interrupted(watch);
  }
  return {study::sweep_to_json(result, plans.front().model_name), study::sweep_to_csv(result)};
}

/// `tailsim compare A B --json -`.
std::string compare(const ModelHandle& a, const ModelHandle& b, const RunFlags& flags,
                    std::size_t replications, unsigned jobs) {
  std::vector<std::uint64_t> seeds;
  const plan::Plan plan_a = a.compile(flags, &seeds);
  const plan::Plan plan_b = b.compile(flags, nullptr);
  const std::size_t n = study_replications(replications, 10, seeds);
  if (n < 2) {
    throw std::invalid_argument("compare needs at least 2 replications for an interval");
  }
  InterruptWatch watch;
  study::StudyLimits limits;
  const unsigned threads = jobs_or_default(jobs);
  limits.max_memory_bytes = components::default_memory_budget(threads);
  limits.stop_requested = watch.flag();
  const study::Comparison comparison = study::compare_plans(
      plan_a, plan_b, n, threads, [&](double) { watch.poll(); }, limits, seeds);
  {
    const py::gil_scoped_acquire gil;
    raise_if_interrupted(watch);
  }
  return study::comparison_to_json(comparison);
}

/// `tailsim analyze MODEL [--load F] --json -`.
std::string analyze(const ModelHandle& handle, const std::optional<std::string>& load) {
  model::Model m = handle.model();
  apply_run_flags(RunFlags{std::nullopt, std::nullopt, load}, m);
  analytic::Analysis analysis;
  try {
    analysis = analytic::analyze(m);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  return study::analysis_to_json(analysis, m.name.value);
}

/// `tailsim graph MODEL --format dot|json`.
std::string graph_text(const ModelHandle& handle, const std::string& format) {
  const Checked& checked = handle.checked();
  if (format == "json") {
    return graph::write_json(*checked.graph, *checked.load.model);
  }
  if (format == "dot") {
    return graph::write_dot(*checked.graph, *checked.load.model);
  }
  throw std::invalid_argument(fmt::format("graph format '{}': dot or json", format));
}

}  // namespace

PYBIND11_MODULE(_tailsim, module) {
  module.doc() = "tailsim's native module; use the package `tailsim` instead";
  module.attr("version") = TAILSIM_VERSION;

  py::register_exception_translator([](std::exception_ptr caught) {
    try {
      if (caught) {
        std::rethrow_exception(caught);
      }
    } catch (const ModelFailure& failure) {
      raise_model_error(failure);
    }
  });

  using release = py::call_guard<py::gil_scoped_release>;
  py::class_<RunFlags>(module, "RunFlags")
      .def(py::init<std::optional<std::string>, std::optional<std::string>,
                    std::optional<std::string>>(),
           py::arg("seed") = py::none(), py::arg("duration") = py::none(),
           py::arg("load") = py::none());

  py::class_<ModelHandle>(module, "Model")
      .def(py::init<std::string, bool, std::string, std::vector<std::string>,
                    std::vector<std::string>>(),
           py::arg("source"), py::arg("from_text"), py::arg("name"), py::arg("overrides"),
           py::arg("allowed_paths"), release())
      .def_property_readonly("name", [](const ModelHandle& h) { return h.model().name.value; })
      .def("diagnostics",
           [](const ModelHandle& h) {
             py::list out;
             const auto& diagnostics = h.checked().load.diagnostics;
             for (const auto& d : diagnostics.all()) {
               out.append(diagnostic_dict(diagnostics, d));
             }
             return out;
           })
      .def("validate", &validate, release())
      .def("graph", &graph_text, py::arg("format"), release());

  module.def("run", &run, py::arg("model"), py::arg("flags"), py::arg("attribution"),
             py::arg("replications"), py::arg("jobs"), release());
  module.def("parse_vary", &parse_vary, py::arg("text"));
  module.def("sweep", &sweep, py::arg("model"), py::arg("vary"), py::arg("flags"),
             py::arg("replications"), py::arg("jobs"), release());
  module.def("compare", &compare, py::arg("a"), py::arg("b"), py::arg("flags"),
             py::arg("replications"), py::arg("jobs"), release());
  module.def("analyze", &analyze, py::arg("model"), py::arg("load"), release());
}
