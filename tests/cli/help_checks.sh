#!/bin/sh
# What `tailsim COMMAND --help` promises: every option names its kind of
# value (N, DURATION, SIZE, FILE, ...), never CLI11's TEXT, INT, UINT or
# FLOAT, and the help ends with an example that works on a file in examples/.
# Usage: help_checks.sh CASE TAILSIM SOURCE_DIR WORK_DIR COMMAND
#   CASE typed: COMMAND's help has no untyped placeholder and one Example line.
#   CASE example: runs that Example as written from WORK_DIR (examples/
#   linked into it) and expects exit 0 and the outputs it names.
# Exit 0: passed; 1: failed.

case_name=$1
tailsim=$2
source_dir=$3
work=$4
command=$5

. "$(dirname "$0")/check_common.sh"

"$tailsim" "$command" --help >help.txt 2>&1 || fail "$command --help exits $?"
examples=$(grep -c '^Example: tailsim ' help.txt)
[ "$examples" -eq 1 ] || fail "$command --help has $examples Example lines, not 1"
example=$(sed -n 's/^Example: tailsim //p' help.txt)
case "$example" in
  "$command "*) ;;
  *) fail "the example of $command runs another command: $example" ;;
esac

if [ "$case_name" = typed ]; then
  # An option line: its flags, then the kind of value it takes.
  if grep -E '^ +(-[a-zA-Z],)?-?-?[A-Za-z_][A-Za-z0-9_-]* (TEXT|INT|UINT|FLOAT)\b' help.txt; then
    fail "$command --help shows a CLI11 placeholder instead of a type name"
  fi
  if grep -E '\b(TEXT|UINT|FLOAT)\b' help.txt; then
    fail "$command --help shows a CLI11 placeholder"
  fi
  exit 0
fi

ln -s "$source_dir/examples" examples || fail "cannot link examples/"
# shellcheck disable=SC2086 # the example is split into words as a shell would
"$tailsim" $example >stdout.txt 2>stderr.txt
code=$?
[ "$code" -eq 0 ] || fail "'tailsim $example' exits $code: $(cat stderr.txt)"
# Each file or folder the example asks for is there.
set -- $example
while [ $# -gt 1 ]; do
  case "$1" in
    -o | --out | --csv | --json | --junit | --summary-md | --report)
      [ -e "$2" ] || fail "'tailsim $example' made no $2"
      ;;
  esac
  shift
done
exit 0
