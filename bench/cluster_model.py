#!/usr/bin/env python3
"""Writes a model of 1,000 pods on a 100-node cluster under contention.

cluster_model.py [--no-cluster] [--nodes N] [--services S] [--replicas R]

S services of R replicas each (default 20 x 50 = 1,000 pods), each pod
requesting 0.5 cores with a limit of 2 under CFS on 8-core nodes; each
service has its own open workload that keeps a pod about 0.45 cores busy: a
node of 10 pods and neighbours wanting 1 to 3 cores often wants more than
its 8 cores, and its pods contend for them. With --no-cluster the same pods
own their cores (no cluster section): the speed of node contention is the
ratio of the two runs' events per second.
"""
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--no-cluster", action="store_true")
parser.add_argument("--nodes", type=int, default=100)
parser.add_argument("--services", type=int, default=20)
parser.add_argument("--replicas", type=int, default=50)
parser.add_argument("--duration", default="20s")
args = parser.parse_args()

node_cores = 8
work_ms = 5.0
busy_cores_per_pod = 0.45
rate = args.replicas * busy_cores_per_pod / (work_ms / 1000.0)

print("version: 1")
print(f"name: cluster-{args.services * args.replicas}-pods")
print(f"simulation: {{duration: {args.duration}, warmup: 2s, seed: 1}}")
if not args.no_cluster:
    print("cluster:")
    print(f"  nodes: {args.nodes}")
    print(f"  node_cores: {node_cores}")
    print("  neighbours: {cores: \"uniform(1, 3)\", every: 5s}")
print("services:")
for s in range(args.services):
    print(f"  svc{s}:")
    print(f"    replicas: {args.replicas}")
    print(f"    pod: {{cpu: {{request: 0.5, limit: 2, node_cores: {node_cores}}}, workers: 8}}")
    print("    endpoints:")
    print(f"      get: [{{cpu: exp({work_ms:g}ms)}}]")
print("workloads:")
for s in range(args.services):
    print(f"  w{s}: {{entry: svc{s}.get, rate: {rate:g}/s}}")
