#!/usr/bin/env bash
# Hands the OpenMetrics text of a simulated run to Prometheus' promtool:
#
# 1. `promtool check metrics` (stdin): Prometheus' text-format parser and
#    linter. It reads the text format 0.0.4, where a counter's # TYPE and
#    # HELP name its `_total` sample; OpenMetrics names the family without the
#    suffix, so for each of our counters the linter sees an untyped `X_total`
#    and says "X_total no help text" (prometheus-net/prometheus-net#477 shows
#    the same). Exactly those lines, for X declared `# TYPE X counter` with a
#    `# HELP`, are accepted; anything else fails.
#    The linter reads timestamps as the text format's milliseconds, so it is
#    given the samples without theirs (OpenMetrics' are seconds).
# 2. `promtool tsdb create-blocks-from openmetrics`: Prometheus' strict
#    OpenMetrics parser (# EOF, # UNIT a suffix of the name, escapes, a
#    timestamp on every sample), as used to backfill; every labelled series
#    must become a series of its own, and every sample a sample (a time
#    going back within a series would be dropped silently).
# 3. `promtool test rules`: histogram_quantile(0.99, sum by (le, http_route)
#    (..._bucket)) over the end-of-run buckets must give a number for every
#    path that had a successful request, as a Grafana panel would.
#
# Usage: check_openmetrics.sh SAMPLE_PROGRAM PROMTOOL
# Exit 77 (skipped) when promtool is not installed.
set -euo pipefail
sample=$1
promtool=$2
source "$(dirname "$0")/check_common.sh"
require_tool "$promtool" promtool prometheus

"$sample" >"$work/metrics.om"
samples=$(grep -vc '^#' "$work/metrics.om")
# name{labels} of each sample: all but the value and the timestamp.
grep -v '^#' "$work/metrics.om" | sed -E 's/ [^ ]+ [^ ]+$//' | sort -u >"$work/series.txt"
series_expected=$(wc -l <"$work/series.txt")
echo "$samples samples of $series_expected series"
((series_expected < samples)) || fail "no time series: every series has one sample"
awk '/^#/ { print; next } { $NF = ""; sub(/ $/, ""); print }' "$work/metrics.om" \
  >"$work/untimed.om"

# 1. The linter.
status=0
"$promtool" check metrics <"$work/untimed.om" >"$work/lint.txt" 2>&1 || status=$?
cat "$work/lint.txt"
if ((status != 0 && status != 3)); then  # 3: lint problems, checked below
  fail "promtool check metrics exited with $status"
fi
if ((status == 3)) && [[ ! -s $work/lint.txt ]]; then
  fail "promtool check metrics exited with 3 and said nothing"
fi
while IFS= read -r line; do
  [[ -z $line ]] && continue
  if [[ $line =~ ^([a-zA-Z_:][a-zA-Z0-9_:]*)_total\ no\ help\ text$ ]]; then
    family=${BASH_REMATCH[1]}
    grep -qx "# TYPE $family counter" "$work/metrics.om" &&
      grep -q "^# HELP $family ." "$work/metrics.om" && continue
  fi
  fail "promtool check metrics: $line"
done <"$work/lint.txt"

# 2. The OpenMetrics parser.
"$promtool" tsdb create-blocks-from openmetrics "$work/metrics.om" "$work/blocks" \
  >"$work/blocks.txt" 2>&1 || { cat "$work/blocks.txt"; fail "create-blocks-from openmetrics"; }
cat "$work/blocks.txt"
series=$(awk 'NR == 2 { print $7 }' "$work/blocks.txt")
[[ $series == "$series_expected" ]] || fail "$series_expected series became ${series:-no}"
stored=$(awk 'NR == 2 { print $5 }' "$work/blocks.txt")
[[ $stored == "$samples" ]] || fail "$samples samples became ${stored:-no}"

# 3. histogram_quantile over the buckets, as dashboards query them.
paths_with_requests=$(awk '/^http_server_request_duration_seconds_count/ && $NF > 0' \
  "$work/metrics.om" | wc -l)
((paths_with_requests > 0)) || fail "no path has a successful request"
{
  echo "rule_files: []"
  echo "tests:"
  echo "  - interval: 1m"
  echo "    input_series:"
  # name{labels} value -> a series in single-quoted YAML (' doubled).
  awk -v q="'" '/^http_server_request_duration_seconds_bucket/ {
    sub(/ [^ ]*$/, "")  # the timestamp
    at = match($0, / [^ ]*$/)
    series = substr($0, 1, at - 1)
    gsub(q, q q, series)
    printf "      - series: %s%s%s\n        values: %s%s%s\n", q, series, q, q, substr($0, at + 1), q
  }' "$work/metrics.om"
  cat <<EOF
    promql_expr_test:
      - expr: count(histogram_quantile(0.99, sum by (le, http_route) (http_server_request_duration_seconds_bucket)) >= 0)
        eval_time: 0m
        exp_samples:
          - labels: '{}'
            value: $paths_with_requests
EOF
} >"$work/quantile_test.yml"
"$promtool" test rules "$work/quantile_test.yml" || fail "histogram_quantile over the buckets"
echo "promtool: all checks passed"
