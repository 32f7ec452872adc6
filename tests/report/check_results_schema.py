#!/usr/bin/env python3
"""results.json of real runs against docs/results.schema.json.

Usage: check_results_schema.py TAILSIM SOURCE_DIR WORK_DIR

Runs tailsim on models that between them produce every optional key (caches,
queues, autoscalers, the cluster, breakers, cpu_stat, the analytic mean,
replications with a precision target, a run stopped early by its memory
budget), validates each results.json, and checks that the schema refuses a
key it does not describe. Exit 77 (skipped) without python3-jsonschema.
"""
import copy
import json
import os
import subprocess
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("skipped: python3-jsonschema is not installed")
    sys.exit(77)

tailsim, source, work = sys.argv[1:4]
schema = json.load(open(os.path.join(source, "docs", "results.schema.json")))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
os.makedirs(work, exist_ok=True)

ex = os.path.join(source, "examples")
models = os.path.join(source, "models")
runs = {
    "quickstart": [os.path.join(ex, "quickstart.yaml"), "--duration", "20s"],
    "cpu-throttling": [os.path.join(ex, "cpu-throttling.yaml"), "--duration", "20s"],
    "mm1": [os.path.join(ex, "mm1.yaml"), "--duration", "20s"],
    "ml-inference": [os.path.join(models, "ml-inference.yaml"), "--duration", "20s"],
    "payments": [os.path.join(models, "payments-platform.yaml"), "--no-attribution"],
    "replicated": [os.path.join(ex, "mm1.yaml"), "--duration", "5s", "-r", "3",
                   "--precision", "50%", "--max-replications", "4"],
    # Replicated estimates of every kind of component: services (one
    # external), queues, caches, and a pod under a CFS quota (cpu_stat).
    "replicated-components": [os.path.join(ex, "quickstart.yaml"), "--duration", "5s",
                              "-r", "2", "--no-attribution"],
    "replicated-quota": [os.path.join(ex, "cpu-throttling.yaml"), "--duration", "5s",
                         "-r", "2", "--no-attribution"],
    # A pod with GC pauses (gc_pause_s, gc_pauses), alone and replicated.
    "gc": [os.path.join(ex, "gc-pauses.yaml"), "--duration", "20s"],
    "replicated-gc": [os.path.join(ex, "gc-pauses.yaml"), "--duration", "5s", "-r", "2",
                      "--no-attribution"],
    # Pods with memory that are OOMKilled (oom_kills, restarts, evictions),
    # alone and replicated.
    "memory": [os.path.join(ex, "memory-oom.yaml"), "--no-attribution"],
    "replicated-memory": [os.path.join(ex, "memory-oom.yaml"), "--duration", "5s", "-r", "2",
                          "--no-attribution"],
    # A cluster that removes nodes (nodes_min, nodes_removed).
    "cluster-scale-down": [os.path.join(ex, "cluster-scale-down.yaml"), "--no-attribution"],
    # Batch steps on GPUs (batch_size_mean, batches, gpus, gpu_busy_s), alone and replicated.
    "batching": [os.path.join(ex, "batching.yaml"), "--duration", "10s"],
    "replicated-batching": [os.path.join(ex, "batching.yaml"), "--duration", "5s", "-r", "2",
                            "--no-attribution"],
    # Episodes of every kind of verdict: the storm (metastable, sustained by
    # retries), defended (recovered); an autoscaler's late scale-up; a fault
    # with OOM kills, attributed (causes).
    "storm": [os.path.join(ex, "retry-storm.yaml")],
    "storm-deadlines": [os.path.join(ex, "retry-storm.yaml"), "--no-attribution",
                        "--set", "simulation.deadlines=propagate"],
    "hpa-lag": [os.path.join(ex, "hpa-lag.yaml"), "--no-attribution"],
    "memory-attributed": [os.path.join(ex, "memory-oom.yaml")],
    "stopped": [os.path.join(ex, "mm1.yaml"), "--set", "workloads.requests.rate=200/s",
                "--set", "simulation.duration=100h", "--max-memory", "2MiB"],
}
failures = 0
documents = {}
for name, args in runs.items():
    out = os.path.join(work, name + ".json")
    if os.path.exists(out):
        os.remove(out)
    code = subprocess.run([tailsim, "run", *args, "--json", out, "-q", "-j", "1"]).returncode
    if code not in (0, 1) or not os.path.exists(out):
        print(f"{name}: tailsim exited {code} without results.json")
        failures += 1
        continue
    document = json.load(open(out))
    documents[name] = document
    for error in validator.iter_errors(document):
        print(f"{name}: {list(error.absolute_path)}: {error.message[:300]}")
        failures += 1

# Between them the runs show every optional key, so none goes unchecked.
seen = set()
def walk(value, path):
    if isinstance(value, dict):
        for key, child in value.items():
            seen.add(key)
            walk(child, path + [key])
    elif isinstance(value, list):
        for child in value:
            walk(child, path)
for document in documents.values():
    walk(document, [])
for key in ["caches", "queues", "autoscalers", "cluster", "breaker", "cpu_stat",
            "analytic_mean_ms", "replications", "precision", "stop_reason", "unstable",
            "attribution", "timeline", "external", "metric", "gc_pause_s", "gc_pauses", "oom_kills",
            "restarts", "evictions", "batch_size_mean", "batches", "gpus", "gpu_busy_s",
            "episodes", "conditions", "causes", "factor", "autoscaler", "what", "edge",
            "amplification", "metastable", "sustained_by", "recovered_s"]:
    if key not in seen:
        print(f"no run wrote '{key}': the schema's description of it went untested")
        failures += 1

# The estimates of components, likewise.
seen_replicated = set()
def walk_replicated(value):
    if isinstance(value, dict):
        for key, child in value.items():
            seen_replicated.add(key)
            walk_replicated(child)
for name in ("replicated-components", "replicated-quota", "replicated-memory"):
    if name in documents:
        walk_replicated(documents[name]["replications"])
for key in ["services", "queues", "caches", "external", "cpu_stat", "replicas", "hit_ratio",
            "lag_max_s", "oom_kills"]:
    if key not in seen_replicated:
        print(f"no replicated run estimated '{key}': the schema's description went untested")
        failures += 1

# A key the schema does not describe is refused, at the top and deep inside.
if "quickstart" in documents:
    for where in ([], ["paths"]):
        changed = copy.deepcopy(documents["quickstart"])
        target = changed
        for key in where:
            target = next(iter(target[key].values()))
        target["undocumented_key"] = 1
        if validator.is_valid(changed):
            print(f"the schema took an undocumented key under {where or 'the top'}")
            failures += 1

print(f"{len(documents)} results.json checked, {failures} problem(s)")
sys.exit(1 if failures else 0)
