#!/bin/sh
# A study shared among processes writes what one process writes, byte for
# byte: under mpirun (mode mpi), in shards merged in shuffled order (mode
# shards); and `tailsim merge` refuses parts that do not make one study
# (mode refusals). Every output of the same build is compared with the
# single-process run's, never with stored numbers.
# Usage: cluster_checks.sh MODE TAILSIM WORKDIR MM1 BEFORE AFTER [MPIEXEC]
set -u
mode=$1
tailsim=$2
work=$3
mm1=$4
before=$5
after=$6
mpiexec=${7:-}
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The studies' simulated durations; a tenth with TAILSIM_CHECK_SHORT=1 (the
# sanitizer build, where simulating is ten times slower and the shards'
# plumbing, not the figures, is what is checked).
if [ "${TAILSIM_CHECK_SHORT:-0}" = 1 ]; then
  sweep_for=2m compare_for=30s run_for=1m
else
  sweep_for=20m compare_for=5m run_for=10m
fi

# The outputs of one study, by command: options and files.
sweep_study="sweep $mm1 --vary workloads.requests.rate=60..90:10/s --vary services.server.replicas=1,2 --duration $sweep_for -r 2"
sweep_outputs="--csv s.csv --json s.json --report s.html"
sweep_files="s.csv s.json s.html stdout.txt"
compare_study="compare $before $after --duration $compare_for -r 4"
compare_outputs="--json c.json --junit c.xml --summary-md c.md --out out --color never"
compare_files="c.json c.xml c.md out/comparison.json out/junit.xml out/summary.md out/compare.html stdout.txt"
run_study="run $mm1 --duration $run_for -r 5"
run_outputs="--json r.json --summary-md r.md --junit r.xml --out out --traces 5"
precision_study="run $mm1 --duration 2m --precision 10% --max-replications 12"
precision_outputs="--json p.json -q"
precision_files="p.json"
run_files="r.json r.md r.xml out/results.json out/report.html out/summary.md out/junit.xml out/metrics.om out/timeseries.csv out/topology.dot out/traces.otlp.json out/traces.jaeger.json out/traces.chrome.json stdout.txt"

# Wall-clock times differ between any two runs, one process or not: JUnit's
# time attributes and the console's "simulated in ... wall" line.
normalise() {
  sed -e 's/time="[0-9.]*"/time=""/g' -e 's/simulated in [0-9.]*s wall on .*/simulated in (wall)/' "$1"
}

same_outputs() {  # DIR_A DIR_B FILES...
  a=$1
  b=$2
  shift 2
  for f in "$@"; do
    [ -s "$a/$f" ] || fail "$a/$f missing or empty"
    [ -e "$b/$f" ] || fail "$b/$f missing"
    normalise "$a/$f" >"$a/$f.norm"
    normalise "$b/$f" >"$b/$f.norm"
    cmp "$a/$f.norm" "$b/$f.norm" || fail "$b/$f differs from $a/$f"
  done
}

single() {  # DIR STUDY OUTPUTS
  mkdir -p "$1" && (cd "$1" && $tailsim $2 $3 >stdout.txt) || fail "single-process run: $2"
}

check_mpi() {  # NAME
  eval study=\$${1}_study outputs=\$${1}_outputs files=\$${1}_files
  single "one-$1" "$study" "$outputs"
  mkdir -p "mpi-$1"
  (cd "mpi-$1" && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    "$mpiexec" --oversubscribe -np 3 $tailsim $study $outputs >stdout.txt 2>stderr.txt) ||
    { cat "mpi-$1/stderr.txt" >&2; fail "mpirun -np 3 $study"; }
  same_outputs "one-$1" "mpi-$1" $files
  # Rank 0 gathered every simulation; the other ranks ran some of them.
  grep -q "note: 3 MPI ranks ran the study's" "mpi-$1/stderr.txt" || fail "no note of the ranks' shares"
  # (--precision's small batches may all end on rank 0: not checked there.)
  [ "$1" = precision ] || grep -Eq "rank [12] ran [1-9]" "mpi-$1/stderr.txt" ||
    fail "ranks 1 and 2 ran nothing: $(cat "mpi-$1/stderr.txt")"
  # Only rank 0 wrote: no file beyond the single-process run's.
  (cd "one-$1" && find . -type f ! -name stderr.txt | sort) >"one-$1.files"
  (cd "mpi-$1" && find . -type f ! -name stderr.txt | sort) >"mpi-$1.files"
  cmp "one-$1.files" "mpi-$1.files" || fail "the ranks wrote other files"
}

check_shards() {  # NAME
  eval study=\$${1}_study outputs=\$${1}_outputs files=\$${1}_files
  single "one-$1" "$study" "$outputs"
  for k in 1 2 3; do
    $tailsim $study --shard $k/3 --partial "$1.part$k" -q 2>/dev/null || fail "shard $k/3 of $study"
    [ -s "$1.part$k" ] || fail "shard $k/3 wrote no partial results"
  done
  mkdir -p "merged-$1"
  (cd "merged-$1" && $tailsim merge "../$1.part2" "../$1.part3" "../$1.part1" $outputs >stdout.txt) ||
    fail "merge of $1"
  same_outputs "one-$1" "merged-$1" $files
}

expect_refusal() {  # MESSAGE COMMAND...: exit 2 with MESSAGE on stderr
  message=$1
  shift
  "$@" >/dev/null 2>err.txt
  code=$?
  [ "$code" -eq 2 ] || fail "exit $code, not 2: $*"
  grep -qF -- "$message" err.txt || fail "no '$message' in: $(cat err.txt)"
}

case $mode in
  mpi)
    check_mpi sweep
    check_mpi compare
    check_mpi run
    # --precision: every rank gets each batch's measures and stops with rank 0.
    check_mpi precision
    # Every rank exits with rank 0's code: 1 when an SLO check fails.
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpiexec" --oversubscribe -np 3 \
      $tailsim run "$mm1" --duration 1m -r 3 --set 'slos.requests=["p99 < 1ms"]' -q >/dev/null 2>&1
    code=$?
    [ "$code" -eq 1 ] || fail "mpirun of a failing SLO check exits $code, not 1"
    # One rank cannot read its model (a node without the file): rank 0
    # stops every rank with exit 2; another rank leaves its share to the
    # others, and the outputs are whole.
    cat >split.sh <<END
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = "\$1" ]; then model=$work/no-such-model.yaml; else model=$mm1; fi
shift
exec $tailsim sweep "\$model" --vary workloads.requests.rate=60/s,80/s --duration 5m -r 2 -q "\$@"
END
    chmod +x split.sh
    for rank in 0 2; do
      OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpiexec" --oversubscribe -np 3 \
        ./split.sh $rank --csv split$rank.csv >/dev/null 2>split$rank.txt
      code=$?
      [ "$code" -eq $((rank == 0 ? 2 : 0)) ] || fail "rank $rank without its model: exit $code"
    done
    [ ! -e split0.csv ] || fail "rank 0 without its model wrote outputs"
    grep -q "warning: MPI rank 2 ended (exit code 2) before it took part" split2.txt ||
      fail "no warning of rank 2's end: $(cat split2.txt)"
    $tailsim sweep "$mm1" --vary workloads.requests.rate=60/s,80/s --duration 5m -r 2 -q --csv split.csv
    cmp split.csv split2.csv || fail "the study without rank 2 differs"
    ;;
  shards)
    check_shards sweep
    check_shards compare
    check_shards run
    ;;
  refusals)
    study="sweep $mm1 --vary workloads.requests.rate=60/s,70/s --duration 10s -r 2"
    for k in 1 2 3; do
      $tailsim $study --shard $k/3 --partial p$k -q 2>/dev/null || fail "shard $k/3"
    done
    $tailsim sweep $mm1 --vary workloads.requests.rate=60/s,80/s --duration 10s -r 2 --shard 2/3 \
      --partial other2 -q 2>/dev/null || fail "shard of another study"
    expect_refusal "error: merge: other2 is a shard of another study than p1: its command line is" \
      $tailsim merge p1 other2 p3
    expect_refusal "error: merge: shard 2/3 is missing: give all 3 parts of the study" \
      $tailsim merge p3 p1
    expect_refusal "error: merge: shard 1/3 is given twice: p1 and p1" $tailsim merge p1 p1 p2 p3
    head -c 300 p2 >cut2
    expect_refusal "error: merge: cut2 is no partial results file of tailsim: cut short" \
      $tailsim merge p1 cut2 p3
    sed 's/0x1\.\([0-9a-f]\)/0x1.f/' p2 >changed2
    cmp -s p2 changed2 && fail "the corruption changed nothing"
    expect_refusal "error: merge: changed2 is no partial results file of tailsim: changed or cut short" \
      $tailsim merge p1 changed2 p3
    echo "not a part" >text2
    expect_refusal "error: merge: text2 is no partial results file of tailsim" $tailsim merge p1 text2 p3
    expect_refusal "error: merge takes the study's output options only" \
      $tailsim merge p1 p2 p3 --duration 20s
    expect_refusal "error: --shard needs --partial FILE" $tailsim $study --shard 1/3
    expect_refusal "error: --partial goes with --shard K/N" $tailsim $study --partial p9
    expect_refusal "error: --shard takes K/N" $tailsim $study --shard 4/3 --partial p9
    expect_refusal "error: --shard writes the partial results file alone: give --csv" \
      $tailsim $study --shard 1/3 --partial p9 --csv s.csv
    expect_refusal "error: --shard shares a study's replications: --precision" \
      $tailsim run $mm1 --duration 10s --precision 5% --shard 1/2 --partial p9
    [ ! -e p9 ] || fail "a refused shard wrote its partial results"
    # The model changed between the shards and the merge.
    cp "$mm1" model.yaml
    for k in 1 2; do
      $tailsim sweep model.yaml --vary workloads.requests.rate=60/s,70/s --duration 10s -r 2 \
        --shard $k/2 --partial m$k -q 2>/dev/null || fail "shard $k/2 of model.yaml"
    done
    echo "# changed" >>model.yaml
    expect_refusal "error: merge: the model files differ from those the shards read" \
      $tailsim merge m1 m2
    # The parts that make one study merge, in any order.
    $tailsim merge p2 p3 p1 --csv merged.csv -q || fail "merge of the good parts"
    $tailsim $study --csv one.csv -q && cmp one.csv merged.csv || fail "merged CSV differs"
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac
echo "ok: $mode"
