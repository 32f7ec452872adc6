#!/bin/sh
# `--seed 1..3` and `--seed 3,7,11`: replications on exactly those seeds
# (docs/studies.md, "Choosing the seeds"). Each replication is the run
# `tailsim run --seed K` alone: results.json names the seeds, replication 0
# is the plain run on the first, and every mean over the replications is the
# mean of the runs alone.
# Usage: seed_ranges.sh CASE TAILSIM MM1_MODEL WORK_DIR
# Exit 0: passed; 1: failed.

case_name=$1
tailsim=$2
mm1=$3
work=$4

. "$(dirname "$0")/check_common.sh"

# Runs `tailsim run MM1 --duration 10s --quiet --json FILE ARGS...`. The
# SLO check is `p99 < 1000s`, which every run passes: the model's own
# `p99 < 300ms` is M/M/1's 230 ms at 80% give or take a lot in 10 s (415 ms
# for seed 2), and the exit code here is to say only that the run worked.
run_json() {
  json=$1
  shift
  "$tailsim" run "$mm1" --duration 10s --quiet --json "$json" \
    --set 'slos.requests=["p99 < 1000s"]' "$@" || fail "run $* exits $?"
}

# Checks that STUDY's replications are the runs alone of the seeds SEEDS...
same_as_alone() {
  study=$1
  shift
  for seed in "$@"; do
    run_json "alone-$seed.json" --seed "$seed"
  done
  python3 - "$study" "$@" <<'PY' || fail "$study: the replications are not the runs alone"
import json, sys
study = json.load(open(sys.argv[1]))
seeds = [int(s) for s in sys.argv[2:]]
alone = [json.load(open(f"alone-{s}.json"))["paths"]["requests"] for s in seeds]
rep = study["replications"]
assert rep["seeds"] == seeds, f"seeds {rep['seeds']}, not {seeds}"
assert rep["n"] == len(seeds), rep["n"]
assert study["seed"] == seeds[0], study["seed"]
# Replication 0 in full: the plain run on the first seed.
assert study["paths"]["requests"]["requests"] == alone[0]["requests"]
assert study["paths"]["requests"]["latency_ms"] == alone[0]["latency_ms"]
# Each mean over the replications: the mean of the runs alone.
counts = {a["requests"] for a in alone}
assert len(counts) == len(seeds), f"the runs alone are alike: {counts}"
means = rep["paths"]["requests"]
for metric in ["mean", "p50", "p99", "max"]:
    want = sum(a["latency_ms"][metric] for a in alone) / len(alone)
    got = means["latency_ms"][metric]["mean"]
    assert abs(got - want) <= 1e-6 * abs(want), f"{metric}: {got} != {want}"
want = sum(a["throughput_rps"] for a in alone) / len(alone)
got = means["throughput_rps"]["mean"]
assert abs(got - want) <= 1e-6 * want, f"throughput {got} != {want}"
PY
}

case $case_name in
  range)
    run_json range.json --seed 1..3
    same_as_alone range.json 1 2 3
    ;;
  list)
    run_json list.json --seed 11,3,7 --replications 3
    same_as_alone list.json 11 3 7
    ;;
  one_seed_derives)
    # One seed keeps its meaning: the replications' seeds derive from it.
    run_json one.json --seed 1 --replications 3
    python3 -c "import json,sys; s=json.load(open('one.json'))['replications']['seeds']; sys.exit(s[0] != 1 or s == [1, 2, 3])" ||
      fail "--seed 1 --replications 3 did not derive its seeds"
    ;;
  sweep)
    "$tailsim" sweep "$mm1" --duration 10s --quiet --vary workloads.requests.rate=60/s,70/s \
      --seed 4..5 --json sweep.json || fail "sweep exits $?"
    python3 -c "import json,sys; j=json.load(open('sweep.json')); sys.exit(j['seeds'] != [4, 5])" ||
      fail "sweep --seed 4..5 did not run on seeds 4 and 5"
    ;;
  compare)
    "$tailsim" compare "$mm1" "$mm1" --duration 10s --quiet --seed 7,9 --json compare.json ||
      fail "compare exits $?"
    python3 -c "import json,sys; j=json.load(open('compare.json')); sys.exit(j['seeds'] != [7, 9])" ||
      fail "compare --seed 7,9 did not run on seeds 7 and 9"
    ;;
  *) fail "no case $case_name" ;;
esac
exit 0
