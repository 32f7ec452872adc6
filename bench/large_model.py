#!/usr/bin/env python3
"""Writes a large tailsim model to standard output, for measuring how `run`,
`validate` and `analyze` scale with the number of services (bench/README.md,
"Large models").

    bench/large_model.py SHAPE N [--duration D] > model.yaml

SHAPE is one of
  chain   N one-endpoint services, each calling the next; one workload enters
          the first, so every service is visited once per request.
  tree    N one-endpoint services in a binary tree: service i calls 2i+1 and
          2i+2 (where they exist); one workload enters the root.
  sparse  N one-endpoint services of which one workload reaches only a few:
          svc-0 calls svc-1 and svc-2; the other services call nothing and
          nothing calls them (each is reported as unreached).
  wide    N one-endpoint services, each with a workload of its own that calls
          it directly: N workloads, each reaching one service.

Every service has one pod with 1 core and a `cpu: exp(...)` step; the rates
keep every service below load 0.5, so the model is valid and stable.
"""

import argparse
import sys


def service(name, callees, cpu="exp(1ms)"):
    lines = [f"  {name}:", "    replicas: 1", "    pod: {cpu: 1}", "    endpoints:",
             "      handle:", f"        - cpu: {cpu}"]
    lines += [f"        - call: {c}.handle" for c in callees]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shape", choices=["chain", "tree", "sparse", "wide"])
    parser.add_argument("n", type=int, help="number of services (at least 3)")
    parser.add_argument("--duration", default="2s", help="simulated duration (default 2s)")
    args = parser.parse_args()
    n = max(3, args.n)
    out = sys.stdout
    out.write(f"version: 1\nname: {args.shape}-{n}\n")
    out.write(f"simulation: {{duration: {args.duration}, warmup: 0s, seed: 1}}\n")
    out.write("services:\n")
    for i in range(n):
        if args.shape == "chain":
            callees = [f"svc-{i + 1}"] if i + 1 < n else []
        elif args.shape == "tree":
            callees = [f"svc-{c}" for c in (2 * i + 1, 2 * i + 2) if c < n]
        elif args.shape == "sparse":
            callees = ["svc-1", "svc-2"] if i == 0 else []
        else:
            callees = []
        out.write(service(f"svc-{i}", callees))
    out.write("workloads:\n")
    if args.shape == "wide":
        for i in range(n):
            out.write(f"  w{i}: {{entry: svc-{i}.handle, rate: 1/s}}\n")
    else:
        out.write("  requests: {entry: svc-0.handle, rate: 10/s}\n")


if __name__ == "__main__":
    main()
