#!/bin/sh
# Runs a shipped model, for 10 s after its warm-up or (with --whole first
# among the options) for its own duration. It passes when the run succeeds
# (exit 0, or 1 for an SLO missed) and ran to its end: a run that stopped
# early (exit 1 as well) fails, with its reason.
# Usage: run_shipped.sh TAILSIM MODEL [--whole] [OPTION...]   (the options go to `tailsim run`)
tailsim=$1
model=$2
shift 2
duration="--duration 10s"
if [ "$1" = --whole ]; then
  duration=""
  shift
fi
json=$(mktemp) || exit 1
trap 'rm -f "$json"' EXIT
# shellcheck disable=SC2086 # $duration is empty or two words
output=$("$tailsim" run "$model" $duration --quiet --json "$json" "$@" 2>&1)
code=$?
case $code in
  0|1)
    if grep -q '"stopped_early": false' "$json"; then
      exit 0
    fi
    printf '%s\n' "$output" >&2
    echo "tailsim run $model stopped early" >&2
    exit 1 ;;
esac
printf '%s\n' "$output" >&2
echo "tailsim run $model exited with $code" >&2
exit 1
