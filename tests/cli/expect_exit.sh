#!/bin/sh
# Runs a command and passes when it exits with the expected code.
# Usage: expect_exit.sh CODE COMMAND [ARGS...]
expected=$1
shift
"$@"
actual=$?
if [ "$actual" -ne "$expected" ]; then
  echo "expected exit code $expected, got $actual: $*" >&2
  exit 1
fi
exit 0
