#!/bin/sh
# `run --out --epoch`: RFC 3339 and Unix seconds naming the same instant write
# the same metrics.om and trace files; the epoch moves metrics.om's and the
# OTLP trace's times; without --epoch, simulated time 0 is 2000-01-01.
# Usage: check_epoch.sh TAILSIM MODEL
set -eu
tailsim=$1
model=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAILED: $*"
  exit 1
}
run() {
  "$tailsim" run "$model" --duration 10s --quiet --traces 5 "$@"
}
run --out "$work/a" --epoch 2026-01-01T00:00:00Z
run --out "$work/b" --epoch 1767225600
run --out "$work/c"
for f in metrics.om traces.otlp.json traces.jaeger.json traces.chrome.json; do
  cmp "$work/a/$f" "$work/b/$f" || fail "$f differs between the two spellings of one epoch"
done
grep -q '^tailsim_path_arrivals_total{path="main"} [0-9]* 1767225601$' "$work/a/metrics.om" ||
  fail "no arrivals at 2026-01-01T00:00:01Z in metrics.om"
grep -q '^tailsim_path_arrivals_total{path="main"} [0-9]* 946684801$' "$work/c/metrics.om" ||
  fail "no arrivals at 2000-01-01T00:00:01Z in metrics.om by default"
grep -q '"startTimeUnixNano":"17672256' "$work/a/traces.otlp.json" ||
  fail "the OTLP trace does not start in 2026"
grep -q '"startTimeUnixNano":"9466848' "$work/c/traces.otlp.json" ||
  fail "the OTLP trace does not start in 2000 by default"
grep -q '"epoch":"2026-01-01T00:00:00Z"' "$work/a/traces.chrome.json" ||
  fail "the Chrome trace does not name its epoch"
echo "--epoch: metrics.om and traces line up"
