#!/bin/sh
# Studies (`run --replications`, `sweep`, `compare`) whose replications stop
# early, whose paths are unstable, or that are interrupted (docs/studies.md,
# "Replications that stop early, unstable paths and signals").
# Usage: study_stops.sh CASE TAILSIM MM1_MODEL WORK_DIR
# Exit 0: passed; 1: failed; 77: skipped.
#
# An M/M/1 at 200 requests/s (rho = 2) outgrows a 2 MiB memory budget in
# every replication, within a minute (its backlog grows by 100 requests a
# second, give or take a few hundred over a minute), and over 60 s without
# a budget it is judged unstable in every one; at 50/s (rho = 0.5) a handful
# of requests are ever in flight. No outcome here depends on the draws of
# particular seeds: a scenario at the edge of its budget (rho = 1.03 and
# 2500 KiB, whose backlog after an hour is 10,800 give or take about 900)
# stopped in 1, then 3 of 5 replications as the random numbers changed. The
# budget is counted from the engine's own structures, so these are the same
# on any machine. Every SLO check is `p99 < 1000s`, which the numbers alone
# pass. Replications of which only some stop: tests/unit/study/replications_test.cpp.

case_name=$1
tailsim=$2
mm1=$3
work=$4

. "$(dirname "$0")/check_common.sh"

slo='slos.requests=["p99 < 1000s"]'
all_stop="--set workloads.requests.rate=200/s --duration 1h --max-memory 2MiB"
# In compare, --set applies to both models: B alone is overloaded.
small_budget="--duration 1h --max-memory 2MiB"
# B of a comparison: mm1 at 200/s, the same paths as A.
sed 's|^\(    rate:\) 80/s|\1 200/s|' "$mm1" >overloaded.yaml
grep -q 'rate: 200/s' overloaded.yaml || fail "cannot make overloaded.yaml"

# Runs tailsim with stdout in out.txt, stderr in err.txt, its code in $code.
run() {
  "$tailsim" "$@" >out.txt 2>err.txt
  code=$?
}

expect_code() {
  [ "$code" -eq "$1" ] || fail "exit $code, not $1: $(cat err.txt) $(cat out.txt)"
}

has() {
  grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(cat "$1")"
}

# The JSON value at a Python subscript of FILE, e.g. "['gate']".
json_at() {
  python3 -c "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))$2))" "$1"
}

json_is() {
  got=$(json_at "$1" "$2") || fail "$1 is no JSON"
  [ "$got" = "$3" ] || fail "$1$2 is $got, not $3"
}

# Waits until the study has started simulating: with --jobs 2 its second
# thread exists only while simulations run (it starts after the signal
# handlers, the models and the output paths), so a signal then reaches a
# running study, however long the start took.
wait_until_simulating() {
  tries=0
  while [ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -lt 2 ]; do
    tries=$((tries + 1))
    [ $tries -le 3000 ] || fail "the study never started simulating"
    kill -0 $pid 2>/dev/null || fail "the study ended before simulating: $(cat err.txt)"
    sleep 0.1
  done
}

command -v python3 >/dev/null || skip "needs python3"

case $case_name in
  # 1. A replication that stopped early is counted, said, and fails the run.
  replications_stopped)
    run run "$mm1" $all_stop -r 5 --jobs 2 --no-attribution --set "$slo" --json r.json
    expect_code 1
    has out.txt "STOPPED EARLY  5 of 5 replications stopped early: memory budget (5); the first (seed 1): memory budget: live work reached"
    has err.txt "5 replication(s) stopped early"
    json_is r.json "['replications']['stopped_early']" 5
    json_is r.json "['replications']['stops'][0]['seed']" 1  # replication 0: the base seed
    json_is r.json "['replications']['stops'][4]['reason'][:14]" '"memory budget:"'
    json_is r.json "['replications']['slos'][0]['ok']" false
    json_is r.json "['slos'][0]['ok']" false
    json_is r.json "['engine']['stopped_early']" true  # replication 0's own run
    ;;
  sweep_stopped)
    # Neither point's outcome is at an edge: none of 50/s stops, all of 200/s do.
    run sweep "$mm1" --vary workloads.requests.rate=50/s,200/s --duration 1h \
      --max-memory 2MiB -r 5 --jobs 2 --csv s.csv --json s.json --report s.html
    expect_code 1
    has out.txt "workloads.requests.rate=200/s: 5 of 5 replications stopped early: memory budget (5)"
    has out.txt "STOPPED EARLY (5 of 5)"
    has s.html "STOPPED EARLY (5 of 5)"
    has s.csv "workloads.requests.rate (1/s),path,component,metric,mean,half_width,n,stopped_early,unstable,slos_failed"
    grep -q '^50,requests,,p99_ms,.*,5,0,0,$' s.csv || fail "s.csv: $(cat s.csv)"
    # A check fails on a point with replications cut short, whatever its numbers.
    grep -q '^200,requests,,p99_ms,.*,5,5,5,requests: p99 < 300ms$' s.csv || fail "s.csv: $(cat s.csv)"
    grep -q '^200,,service/server,utilization,.*,5,5,,requests: p99 < 300ms$' s.csv ||
      fail "s.csv: $(cat s.csv)"
    json_is s.json "['points'][0]['stopped_early']" 0
    json_is s.json "['points'][1]['stopped_early']" 5
    json_is s.json "['points'][1]['stops'][0]['reason'][:14]" '"memory budget:"'
    ;;
  # compare: B stopped early fails B's gate, as `run B -r 3` fails its checks
  # on runs cut short; the console says whether A stopped too.
  compare_b_stopped_alone)
    run compare "$mm1" overloaded.yaml $small_budget -r 3 --jobs 2 --set "$slo" --json c.json
    expect_code 1
    has out.txt "STOPPED EARLY  B: 3 of 3 replications stopped early: memory budget (3)"
    has out.txt "gate: fail (B stopped early where A did not)"
    json_is c.json "['gate']" '"fail"'
    json_is c.json "['b_stopped_alone']" 3
    json_is c.json "['a']['stopped_early']" 0
    json_is c.json "['b']['stopped_early']" 3
    ;;
  compare_both_stopped)
    run compare overloaded.yaml overloaded.yaml $small_budget -r 3 --jobs 2 --set "$slo" --json c.json
    expect_code 1
    has err.txt "6 replication(s) stopped early"
    has out.txt "B never stopped where A did not: not the change's doing, but B's checks fail on runs cut short"
    json_is c.json "['gate']" '"fail"'
    json_is c.json "['slos'][0]['regression']" false
    json_is c.json "['b_stopped_alone']" 0
    json_is c.json "['a']['stopped_early']" 3
    json_is c.json "['slos'][0]['b_ok']" false
    ;;

  # 2. A path unstable in any replication is flagged, and its checks fail.
  replications_unstable)
    run run "$mm1" --set workloads.requests.rate=200/s --duration 60s -r 3 --jobs 2 \
      --no-attribution --set "$slo" --json r.json
    expect_code 1
    has out.txt "UNSTABLE in 3 of 3 replications"
    json_is r.json "['replications']['stopped_early']" 0
    json_is r.json "['replications']['paths']['requests']['unstable_replications']" 3
    json_is r.json "['replications']['slos'][0]['ok']" false
    json_is r.json "['paths']['requests']['unstable']" true
    ;;
  sweep_unstable)
    run sweep "$mm1" --vary workloads.requests.rate=50/s,200/s --duration 60s -r 2 --jobs 2 \
      --csv s.csv --json s.json
    expect_code 0  # a sweep explores: an unstable point is news, not a failure
    has out.txt "requests UNSTABLE (2 of 2)"
    grep -q '^200,requests,,p99_ms,.*,2,0,2,requests: p99 < 300ms$' s.csv || fail "s.csv: $(cat s.csv)"
    json_is s.json "['points'][0]['unstable_paths']" '{}'
    json_is s.json "['points'][1]['unstable_paths']['requests']" 2
    ;;
  compare_b_unstable)
    run compare "$mm1" overloaded.yaml --duration 60s -r 3 --jobs 2 --set "$slo" --json c.json
    expect_code 1
    has out.txt "UNSTABLE in B: 3 of 3 replications"
    has out.txt "unstable in 3 of 3 replications where A was stable, and failing"
    json_is c.json "['gate']" '"fail"'
    json_is c.json "['unstable_paths']['requests']" '{"a": 0, "b": 3}'
    json_is c.json "['slos'][0]['b_unstable_alone']" 3
    ;;

  # 3. SIGINT and SIGTERM: no new replication starts, the running ones stop,
  # what ran is written and said, then 128 + the signal.
  sweep_sigint)
    "$tailsim" sweep "$mm1" --vary workloads.requests.rate=50/s,60/s,70/s --duration 100000h \
      -r 4 --jobs 2 --csv s.csv --json s.json >out.txt 2>err.txt &
    pid=$!
    wait_until_simulating
    kill -INT $pid
    wait $pid
    code=$?
    expect_code 130
    has err.txt "note: stopped by SIGINT"
    has out.txt "INTERRUPTED"
    json_is s.json "['interrupted']" true
    # At most the two replications running at the signal ran, and each of
    # them stopped early, interrupted; no other started.
    python3 - s.json <<'PY' || fail "s.json: $(cat s.json)"
import json, sys
points = json.load(open(sys.argv[1]))["points"]
ran = sum(p["replications_run"] for p in points)
stops = [s["reason"] for p in points for s in p["stops"]]
assert ran <= 2 and len(stops) == ran and set(stops) <= {"interrupted"}, (ran, stops)
assert points[2]["replications_run"] == 0
assert points[2]["slos"] == [] and points[2]["slos_failed"] == [], points[2]  # nothing judged
PY
    has s.csv "path,component,metric"
    ;;
  compare_sigterm)
    "$tailsim" compare "$mm1" "$mm1" --duration 100000h -r 4 --jobs 2 --json c.json \
      >out.txt 2>err.txt &
    pid=$!
    wait_until_simulating
    kill -TERM $pid
    wait $pid
    code=$?
    expect_code 143
    has err.txt "note: stopped by SIGTERM"
    json_is c.json "['interrupted']" true
    # Replication 0 of A and B were running (or had not begun: then neither
    # counts); they stopped, interrupted, and no later pair started.
    python3 - c.json <<'PY' || fail "c.json: $(cat c.json)"
import json, sys
c = json.load(open(sys.argv[1]))
for side in ("a", "b"):
    assert c[side]["replications_run"] <= 1, c[side]
    assert c[side]["stopped_early"] == c[side]["replications_run"], c[side]
    assert all(s["reason"] == "interrupted" for s in c[side]["stops"]), c[side]
PY
    ;;
  replications_sigint)
    "$tailsim" run "$mm1" --duration 100000h -r 4 --jobs 2 --no-attribution --json r.json \
      >out.txt 2>err.txt &
    pid=$!
    wait_until_simulating
    kill -INT $pid
    wait $pid
    code=$?
    expect_code 130
    has err.txt "note: stopped by SIGINT"
    has out.txt "STOPPED EARLY  interrupted:"
    json_is r.json "['replications']['interrupted']" true
    json_is r.json "['engine']['stop_reason']" '"interrupted"'
    ;;
  *)
    fail "no such case"
    ;;
esac
exit 0
