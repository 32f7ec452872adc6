#!/bin/sh
# Runs a shipped model briefly. It passes when the run succeeds (exit 0, or 1
# for an SLO missed in so short a run).
# Usage: run_shipped.sh TAILSIM MODEL [OPTION...]   (the options go to `tailsim run`)
tailsim=$1
model=$2
shift 2
output=$("$tailsim" run "$model" --duration 10s --quiet "$@" 2>&1)
code=$?
case $code in
  0|1) exit 0 ;;
esac
printf '%s\n' "$output" >&2
echo "tailsim run $model exited with $code" >&2
exit 1
