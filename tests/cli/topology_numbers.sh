#!/bin/sh
# `run --out`'s topology.dot carries the run's numbers and the model's
# policies: a call edge's rate, p99 and errors under its policy and link, a
# service's utilization and replicas under its pods.
# Usage: topology_numbers.sh TAILSIM MODEL DIR
tailsim=$1
model=$2
dir=$3
rm -rf "$dir"
"$tailsim" run "$model" --duration 10s --quiet --no-attribution --traces 0 --out "$dir"
code=$?
if [ "$code" -gt 1 ]; then
  echo "run failed with exit code $code" >&2
  exit 1
fi
dot="$dir/topology.dot"
fail=0
check() {
  if ! grep -q -- "$1" "$dot"; then
    echo "topology.dot lacks: $1" >&2
    fail=1
  fi
}
# payments.charge -> bank-api.authorize: policy, link latency, then the run.
check '"endpoint:payments.charge" -> "endpoint:bank-api.authorize" \[style=solid, label="timeout 0.3s, retry 3\\nnet 15ms\\n[0-9.]*/s · p99 [0-9.]*m\{0,1\}s · err [0-9.]*%"'
check 'label="frontend\\n3 replicas · cpu 2 · 64 workers\\nautoscale cpu 60% 3..12\\nutil [0-9.]*% · replicas [0-9.]*'
# The workload's edge: its requests, end to end.
check '"workload:checkout" -> "endpoint:frontend.checkout" \[style=solid, label="timeout 5s\\n[0-9.]*/s · p99 '
exit $fail
