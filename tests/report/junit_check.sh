#!/usr/bin/env bash
# Validates the JUnit files `tailsim run` writes against tests/report/junit.xsd
# (the subset GitLab, Jenkins and GitHub's JUnit actions read) with xmllint:
# for a model whose SLOs pass (exit 0), one whose SLO fails (exit 1) and one
# without SLOs, through --junit and through --out. A broken file must fail
# the schema, so the check is known to bite.
#
# Usage: junit_check.sh TAILSIM XMLLINT SCHEMA MODEL
# Exit 77 (skipped) when xmllint is not installed (Debian: libxml2-utils).
set -euo pipefail
tailsim=$1
xmllint=$2
schema=$3
model=$4
source "$(dirname "$0")/check_common.sh"
require_tool "$xmllint" xmllint libxml2-utils

# run NAME EXPECTED_EXIT [tailsim run flags...]: writes $work/NAME.xml
run() {
  local name=$1 expected=$2
  shift 2
  local code=0
  "$tailsim" run "$model" --duration 10s --quiet --junit "$work/$name.xml" "$@" || code=$?
  ((code == expected)) || fail "$name: tailsim run exited with $code, expected $expected"
  "$xmllint" --noout --schema "$schema" "$work/$name.xml" || fail "$name: not valid JUnit"
}

run passing 0 --set 'slos.main=["p99 < 1s", "errors < 1%"]'
grep -q 'tests="2" failures="0"' "$work/passing.xml" || fail "passing: counts"

run failing 1 --set 'slos.main=["p99 < 1us", "p(99.9) <= 10s", "throughput > 1000/s"]' \
  --out "$work/out"
grep -q 'tests="3" failures="2"' "$work/failing.xml" || fail "failing: counts"
grep -q '<failure message="p99 = [0-9.]*ms, threshold &lt; 1us" type="slo">' \
  "$work/failing.xml" || fail "failing: the failure's message"
"$xmllint" --noout --schema "$schema" "$work/out/junit.xml" || fail "--out: not valid JUnit"
[[ -s $work/out/summary.md ]] || fail "--out wrote no summary.md"

run without_slos 0
grep -q 'tests="0"' "$work/without_slos.xml" || fail "without SLOs: counts"
grep -q '<system-out>' "$work/without_slos.xml" || fail "without SLOs: no system-out"

# The schema rejects what a reader would: a test case without a classname.
sed 's/<testcase classname="[^"]*"/<testcase/' "$work/failing.xml" >"$work/broken.xml"
if "$xmllint" --noout --schema "$schema" "$work/broken.xml" 2>/dev/null; then
  fail "the schema accepted a test case without a classname"
fi
echo "junit: all files valid"
