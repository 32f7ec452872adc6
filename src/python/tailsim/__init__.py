"""tailsim in Python: load a model, run it, sweep and compare it, in a notebook.

    import tailsim
    model = tailsim.load("examples/mm1.yaml", set={"workloads.requests.rate": "90/s"})
    results = model.run(seed=7, duration="2m")
    results["paths"]["requests"]["latency_ms"]["p99"]
    results.timeseries()            # a pandas DataFrame (pandas needed)

Every result is the library's own output parsed: `Model.run` gives
results.json's content (docs/results.md), `sweep`, `compare` and `analyze`
the `--json` documents of `tailsim sweep`, `compare` and `analyze`. A model
with errors raises `ModelError`, whose message is the
`file:line:col: error: ...` text the command line prints. See docs/python.md.
"""

import io
import json
import math
import os
import warnings

from . import _tailsim

__all__ = [
    "ModelError",
    "Model",
    "Results",
    "Sweep",
    "load",
    "sweep",
    "compare",
    "analyze",
    "timeseries_frame",
    "__version__",
]

__version__ = _tailsim.version


class ModelError(ValueError):
    """A model that does not load, validate or compile.

    The message is every error as `file:line:col: error: ...`, one a line.
    `file`, `line` and `column` place the first error (`line` and `column`
    are None when it has no position); `diagnostics` lists every diagnostic,
    warnings included, as dicts with the keys severity, file, line, column,
    message and text.
    """

    def __init__(self, message, file=None, line=None, column=None, diagnostics=()):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.diagnostics = list(diagnostics)


def _yaml_value(value):
    """A Python value as the YAML text of a `--set PATH=VALUE` value.

    A string is YAML text already (`"90/s"`, `"[a, b]"`); numbers, booleans,
    None, lists and dicts are written as YAML (JSON is YAML).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a model value must be a finite number, got {value!r}")
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a model value")


def _overrides(values):
    """`set=` as the CLI's `PATH=VALUE` texts: a dict {path: value}, or an
    iterable of `PATH=VALUE` strings."""
    if values is None:
        return []
    if isinstance(values, dict):
        return [f"{path}={_yaml_value(value)}" for path, value in values.items()]
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


def _seed_text(seed):
    if seed is None:
        return None
    if isinstance(seed, bool):
        raise TypeError("seed: a whole number, or a range '1..5' or list '3,7,11' as text")
    if isinstance(seed, int):
        return str(seed)
    if isinstance(seed, (list, tuple)):
        return ",".join(str(int(s)) for s in seed)
    return str(seed)


def _duration_text(duration):
    """A duration as the model writes it: text ("2m") or seconds (120)."""
    if duration is None:
        return None
    if isinstance(duration, bool):
        raise TypeError("duration: text such as '2m', or seconds")
    if isinstance(duration, (int, float)):
        if not math.isfinite(duration):
            raise ValueError(f"duration: {duration!r} seconds is not a duration")
        return f"{duration:.9f}".rstrip("0").rstrip(".") + "s"
    return str(duration)


def _load_text(load):
    """A load factor as `--load` writes it: text ("1.5x") or a number (1.5)."""
    if load is None:
        return None
    if isinstance(load, (int, float)) and not isinstance(load, bool):
        return f"{load!r}x"
    return str(load)


def _flags(seed=None, duration=None, load=None):
    return _tailsim.RunFlags(_seed_text(seed), _duration_text(duration), _load_text(load))


# The command line's bounds: --replications 1 to 100000, --jobs 1 to 1024.
_COUNT_LIMITS = {"replications": 100_000, "jobs": 1024}


def _count(value, what):
    if value is None:
        return 0
    limit = _COUNT_LIMITS[what]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ValueError(f"{what}: a whole number from 1 to {limit}, got {value!r}")
    return value


def _pandas(what):
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            f"tailsim: {what} needs pandas, which is not installed "
            "(pip install pandas, or apt install python3-pandas); "
            "the results themselves are plain Python data"
        ) from error
    return pandas


def _frame(csv_text, what):
    pandas = _pandas(what)
    return pandas.read_csv(io.StringIO(csv_text))


class Results(dict):
    """results.json's content (docs/results.md), as `json.loads` reads it.

    `timeseries()` gives the time series (timeseries.csv: columns time_s,
    entity, metric, value) as a pandas DataFrame; `timeseries_csv` holds the
    same as CSV text. `warnings` lists what `tailsim run` warns of on stderr
    (services predicted to saturate; a time-series interval longer than the
    `duration` given to `run`).
    """

    def __init__(self, data, timeseries_csv="", warnings_=()):
        super().__init__(data)
        self.timeseries_csv = timeseries_csv
        self.warnings = list(warnings_)

    def timeseries(self):
        """The time series as a DataFrame (long form: time_s, entity,
        metric, value). Raises ImportError without pandas."""
        return _frame(self.timeseries_csv, "Results.timeseries()")

    def path(self, name):
        """The results of the request path `name` (results["paths"][name])."""
        return self["paths"][name]


class Sweep(dict):
    """`tailsim sweep --json`'s document; `frame()` gives sweep.csv (one row
    per point, path and metric) as a DataFrame, `csv` the same as text."""

    def __init__(self, data, csv=""):
        super().__init__(data)
        self.csv = csv

    def frame(self):
        """sweep.csv as a pandas DataFrame. Raises ImportError without pandas."""
        return _frame(self.csv, "Sweep.frame()")


def timeseries_frame(results):
    """The time series of `results` (what `Model.run` returned) as a pandas
    DataFrame. Raises ImportError without pandas."""
    if not isinstance(results, Results):
        raise TypeError("timeseries_frame takes what Model.run returned")
    return results.timeseries()


class Model:
    """A model loaded and checked (use `tailsim.load`).

    `source` is the model's path, or None for a model given as text;
    `overrides` the `PATH=VALUE` texts applied to it.
    """

    def __init__(self, handle, source, text, overrides, allow_paths, name):
        self._handle = handle
        self.source = source
        self._text = text
        self.overrides = list(overrides)
        self.allow_paths = list(allow_paths)
        self._name = name

    def __repr__(self):
        where = self.source if self.source is not None else "text"
        return f"<tailsim.Model {self.name!r} from {where}>"

    @property
    def name(self):
        """The model's `name`."""
        return self._handle.name

    def with_set(self, set=None):  # noqa: A002 (the CLI's word)
        """The model loaded again with more overrides, after its own:
        `model.with_set({"services.api.replicas": 4})`."""
        extra = _overrides(set)
        source = self.source if self.source is not None else self._text
        return load(source, set=self.overrides + extra, allow_paths=self.allow_paths,
                    name=self._name)

    def diagnostics(self):
        """Every diagnostic of the load (warnings; a loaded model has no
        errors), as dicts: severity, file, line, column, message, text."""
        return self._handle.diagnostics()

    def validate(self):
        """Checks the model as `tailsim validate` and `run` do: the load,
        the graph, the plan. Raises ModelError on errors; returns the
        warnings as `file:line:col: warning: ...` texts, and one per service
        the analysis predicts to saturate."""
        return self._handle.validate()

    def graph(self, format="dot"):  # noqa: A002
        """The dependency graph as `tailsim graph` prints it: "dot" or "json"
        (parsed)."""
        text = self._handle.graph(format)
        return json.loads(text) if format == "json" else text

    def run(self, seed=None, duration=None, attribution=True, load=None, replications=None,
            jobs=None):
        """Simulates the model as `tailsim run` does and returns results.json's
        content as a `Results` dict.

        seed: an int (default: the model's), or a range '1..5' / list [3, 7]
        of seeds, one replication each. duration: the measured duration, as
        text ('2m') or seconds. attribution: tail attribution (where the time
        went), which replays the run. load: a factor on every workload's
        traffic ('1.5x' or 1.5). replications: independent replications
        (results.json then has `replications`, as with `--replications`).
        jobs: threads for replications (default: one per hardware thread).
        The GIL is released while it simulates; Ctrl-C stops it and raises
        KeyboardInterrupt.
        """
        text, csv, run_warnings = _tailsim.run(
            self._handle, _flags(seed, duration, load), bool(attribution),
            _count(replications, "replications"), _count(jobs, "jobs"))
        results = Results(json.loads(text), csv, run_warnings)
        engine = results.get("engine", {})
        if engine.get("stopped_early"):
            warnings.warn(
                f"tailsim: the run of '{results.get('model')}' stopped early "
                f"({engine.get('stop_reason')}); its results cover the time simulated",
                RuntimeWarning, stacklevel=2)
        return results

    def analyze(self, load=None):
        """`tailsim analyze --json`: analytic estimates without simulating."""
        return analyze(self, load=load)


def _looks_like_path(source):
    return "\n" not in source and source.strip().lower().endswith((".yaml", ".yml"))


def load(source, set=None, allow_paths=(), name=None):  # noqa: A002 (the CLI's word)
    """Loads and checks a model; raises ModelError when it has errors.

    source: a path (str or os.PathLike) when it names an existing file, else
    the model's YAML text. set: overrides applied before validation, as the
    CLI's `--set PATH=VALUE`: a dict {path: value} whose values are Python
    data or YAML text ({"services.api.replicas": 4, "workloads.w.rate":
    "300/s"}), or a list of "PATH=VALUE" texts. allow_paths: folders outside
    the model's own its data files may be read from (`--allow-path`).
    name: how errors name a model given as text (default "<string>").
    """
    overrides = _overrides(set)
    allowed = [os.fspath(p) for p in allow_paths]
    for folder in allowed:
        if not os.path.isdir(folder):
            raise ValueError(f"allow_paths: {folder} is not a folder")
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no model file {path}")
        handle = _tailsim.Model(path, False, path, overrides, allowed)
        return Model(handle, path, None, overrides, allowed, name)
    if not isinstance(source, str):
        raise TypeError("load takes a path or the model's YAML text")
    if os.path.isfile(source):
        handle = _tailsim.Model(source, False, source, overrides, allowed)
        return Model(handle, source, None, overrides, allowed, name)
    if _looks_like_path(source):
        raise FileNotFoundError(f"no model file {source}")
    label = name if name is not None else "<string>"
    handle = _tailsim.Model(source, True, label, overrides, allowed)
    return Model(handle, None, source, overrides, allowed, name)


def _model(model, what):
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load(model)
    raise TypeError(f"{what} takes a tailsim.Model (tailsim.load) or a path")


def sweep(model, vary, replications=None, seed=None, duration=None, load=None, jobs=None):
    """`tailsim sweep`: the model over a grid of values, each point
    replicated (3 by default), replication i of every point on the same seed.

    vary: {path: values}, values a list (of Python data or YAML text) or a
    range as the CLI writes it ("2..8:2", "100/s..400/s:100/s"); the path
    `load` scales the traffic ({"load": ["1x", "2x"]}). The grid is every
    combination, the first path varying slowest. Returns the `--json`
    document as a `Sweep` dict ("varies", "seeds", "points", "knees", ...);
    `.frame()` gives sweep.csv as a DataFrame.
    """
    m = _model(model, "sweep")
    if not isinstance(vary, dict) or not vary:
        raise ValueError("vary: a dict {path: [values]} with at least one path")
    varies = []
    for path, values in vary.items():
        if isinstance(values, str):
            parsed_path, parsed = _tailsim.parse_vary(f"{path}={values}")
            varies.append((parsed_path, parsed))
        else:
            values = list(values)
            if path == "load":
                values = [_load_text(v) for v in values]
            varies.append((str(path), [_yaml_value(v) for v in values]))
    text, csv = _tailsim.sweep(m._handle, varies, _flags(seed, duration, load),
                               _count(replications, "replications"), _count(jobs, "jobs"))
    return Sweep(json.loads(text), csv)


def compare(model_a, model_b, replications=None, seed=None, duration=None, load=None, jobs=None):
    """`tailsim compare A B`: paired replications (10 by default) on common
    random numbers; returns the `--json` document ("paths" with each
    metric's a, b, difference and verdict, "slos", "gate", ...)."""
    a = _model(model_a, "compare")
    b = _model(model_b, "compare")
    text = _tailsim.compare(a._handle, b._handle, _flags(seed, duration, load),
                            _count(replications, "replications"), _count(jobs, "jobs"))
    return json.loads(text)


def analyze(model, load=None):
    """`tailsim analyze --json`: utilization, the bottleneck and each path's
    analytic mean, without simulating."""
    m = _model(model, "analyze")
    return json.loads(_tailsim.analyze(m._handle, _load_text(load)))
