#!/usr/bin/env bash
# Runs the CI jobs of docs/ci/ as far as a machine without a CI service can:
# each file must read as YAML with a job that publishes its reports whatever
# the verdict (ci_job_commands checks that), its tailsim command lines run
# against the example model they name and succeed, and the files the job
# publishes exist; the JUnit report validates against junit.xsd when xmllint
# is installed.
#
# Usage: check_ci_jobs.sh CI_JOB_COMMANDS TAILSIM SOURCE_DIR XMLLINT JOB_FILE...
set -euo pipefail
extract=$1
tailsim=$(realpath "$2")
source_dir=$(realpath "$3")
xmllint=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for job_file in "$@"; do
  echo "== $job_file"
  "$extract" "$job_file" >"$work/commands.sh"
  cat "$work/commands.sh"
  run_dir="$work/$(basename "$job_file")"
  mkdir "$run_dir"
  ln -s "$source_dir/examples" "$run_dir/examples"
  (
    cd "$run_dir"
    PATH="$(dirname "$tailsim"):$PATH"
    expect_junit() {
      [[ -s $1 ]] || { echo "FAILED: the job publishes $1, which the run did not write"; exit 1; }
      if [[ -x $xmllint ]]; then
        "$xmllint" --noout --schema "$source_dir/tests/report/junit.xsd" "$1"
      fi
    }
    expect_artifact() {
      [[ -e $1 ]] || { echo "FAILED: the job uploads $1, which the run did not write"; exit 1; }
    }
    # shellcheck source=/dev/null
    source "$work/commands.sh"
  )  # not inside `||`, which would turn off set -e for every command above
done
echo "ci jobs: all commands ran"
