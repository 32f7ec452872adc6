#!/usr/bin/env python3
"""Backfills a real run into Prometheus' storage, as docs/semantics.md
("Metrics") tells users to, and reads it back.

1. `tailsim run MODEL --out DIR --epoch 2026-01-01T00:00:00Z`;
2. `promtool tsdb create-blocks-from openmetrics DIR/metrics.om TSDB` must
   succeed (it refuses a sample without a timestamp);
3. `promtool tsdb dump TSDB` must hold (promtool 2.42 silently drops a
   sample whose time goes back within its series, so the samples are
   counted), for the first path and the first
   service of timeseries.csv, one sample per interval at epoch + the
   interval's end (Prometheus keeps milliseconds): the running total of
   `arrivals` as tailsim_path_arrivals_total and each `utilization` as
   tailsim_service_cpu_utilization_ratio; and the end-of-run
   tailsim_path_requests_total at the run's end; and with pods' series,
   each pod's tailsim_pod_cpu_cores from the interval its pod was made in.

Usage: check_backfill.py TAILSIM PROMTOOL MODEL. Exit 77 (skipped) when
promtool is not installed.
"""

import csv
import math
import os
import re
import subprocess
import sys
import tempfile

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def dump(promtool, tsdb, name):
    """{labels text: [(timestamp ms, value)]} of the series named `name`."""
    out = subprocess.run(
        [promtool, "tsdb", "dump", f"--match={{__name__=\"{name}\"}}", tsdb],
        check=True, capture_output=True, text=True).stdout
    series = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(\{.*\}) (\S+) (\d+)", line)
        if not match:
            fail(f"unexpected line of promtool tsdb dump: {line!r}")
        series.setdefault(match[1], []).append((int(match[3]), float(match[2])))
    return series


def labelled(series, label, value):
    """The samples of the one series with label=value."""
    found = [s for key, s in series.items() if f'{label}="{value}"' in key]
    if len(found) != 1:
        fail(f"{len(found)} series with {label}={value!r} in {sorted(series)}")
    return sorted(found[0])


def same(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def main():
    tailsim, promtool, model = sys.argv[1:4]
    if not promtool or not os.access(promtool, os.X_OK):
        print("promtool not found (Debian: apt-get install prometheus); skipped")
        return 77
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "run")
        run = subprocess.run([tailsim, "run", model, "--out", out, "--epoch",
                              "2026-01-01T00:00:00Z", "--traces", "0", "--quiet"])
        if run.returncode not in (0, 1):
            fail(f"tailsim run exited with {run.returncode}")
        tsdb = os.path.join(work, "tsdb")
        blocks = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                                 os.path.join(out, "metrics.om"), tsdb],
                                capture_output=True, text=True)
        print(blocks.stdout + blocks.stderr)
        if blocks.returncode != 0:
            fail("promtool tsdb create-blocks-from openmetrics")
        # promtool 2.42's dump opens the write-ahead log, which backfilled
        # blocks do not have.
        os.makedirs(os.path.join(tsdb, "wal"), exist_ok=True)

        with open(os.path.join(out, "timeseries.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        times = sorted({float(r["time_s"]) for r in rows})
        if len(times) < 3:
            fail(f"only {len(times)} intervals in timeseries.csv")
        interval_ms = round((times[1] - times[0]) * 1000)
        # Every interval's end but the last, which is the run's end.
        ends = [EPOCH_MS + round(t * 1000) + interval_ms for t in times[:-1]]

        def csv_series(kind, metric):
            entity = next(r["entity"] for r in rows
                          if r["entity"].startswith(kind + "/") and r["metric"] == metric)
            values = [float(r["value"]) if r["value"] else math.nan
                      for r in rows if r["entity"] == entity and r["metric"] == metric]
            return entity.split("/", 1)[1], values

        path, arrivals = csv_series("path", "arrivals")
        got = labelled(dump(promtool, tsdb, "tailsim_path_arrivals_total"), "path", path)
        if len(got) != len(times):
            fail(f"{len(got)} arrival samples for {len(times)} intervals")
        total = 0.0
        for (at, value), (want_at, count) in zip(got, zip(ends + [None], arrivals)):
            total += count
            if want_at is not None and at != want_at:
                fail(f"arrivals of {path} at {at}, expected {want_at}")
            if not same(value, total):
                fail(f"arrivals of {path} at {at}: {value}, timeseries.csv sums to {total}")
        run_end = got[-1][0]
        if not ends[-1] < run_end <= ends[-1] + interval_ms:
            fail(f"the last interval ends at {run_end}, after {ends[-1]} by more than one")
        print(f"{path}: {len(got)} arrival totals match timeseries.csv, {total:g} in all")

        service, utilization = csv_series("service", "utilization")
        got = labelled(dump(promtool, tsdb, "tailsim_service_cpu_utilization_ratio"),
                       "service", service)
        if [at for at, _ in got][:-1] != ends or len(got) != len(utilization):
            fail(f"utilization of {service}: timestamps {[at for at, _ in got]}")
        for (at, value), want in zip(got, utilization):
            if not (same(value, want) or (math.isnan(value) and math.isnan(want))):
                fail(f"utilization of {service} at {at}: {value}, timeseries.csv {want}")
        print(f"{service}: {len(got)} utilization values match timeseries.csv")

        # Each pod's series from the interval its pod was made in: a pod
        # made mid-run has its first sample at that interval's end.
        pods = sorted({r["entity"] for r in rows if r["entity"].startswith("pod/")})
        if pods:
            samples = dump(promtool, tsdb, "tailsim_pod_cpu_cores")
            late = 0
            for entity in pods:
                want = [(EPOCH_MS + round(float(r["time_s"]) * 1000) + interval_ms,
                         float(r["value"]))
                        for r in rows if r["entity"] == entity and r["metric"] == "cores"]
                got = labelled(samples, "pod", entity.split("/", 1)[1])
                late += want[0][0] > ends[0]
                if want[-1][0] > ends[-1]:  # the run's last interval ends with the run
                    want[-1] = (run_end, want[-1][1])
                if [at for at, _ in got] != [at for at, _ in want]:
                    fail(f"cores of {entity} at {[at for at, _ in got]}, expected "
                         f"{[at for at, _ in want]}")
                for (at, value), (_, expected) in zip(got, want):
                    if not same(value, expected):
                        fail(f"cores of {entity} at {at}: {value}, timeseries.csv {expected}")
            if not late:
                fail("no pod made after the first interval: the model does not test it")
            print(f"{len(pods)} pods' cores match timeseries.csv, {late} made mid-run")

        got = labelled(dump(promtool, tsdb, "tailsim_path_requests_total"), "path", path)
        if len(got) != 1 or got[0][0] != run_end:
            fail(f"tailsim_path_requests_total of {path}: {got}, expected one at {run_end}")
        print("promtool: the backfilled run reads back as timeseries.csv says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
