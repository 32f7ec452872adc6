#!/usr/bin/env bash
# Runs the CI jobs of docs/ci/ as far as a machine without a CI service can:
# each file must read as YAML with a job that publishes its reports whatever
# the verdict (ci_job_commands checks that), its tailsim command lines run
# against the example model they name and succeed, and the files the job
# publishes exist; the JUnit reports validate against junit.xsd when xmllint
# is installed. The comparison fetches the base branch, `main` here: a
# repository of examples/quickstart.yaml made below, as `origin` of the
# folder each file's commands run in.
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

# The base branch: the example model with 2 frontend replicas instead of 3,
# so that the comparison has a change to judge.
base_repo="$work/base-repo"
git init --quiet --initial-branch=main "$base_repo"
mkdir "$base_repo/examples"
sed 's/^\(    replicas: \)3$/\12/' "$source_dir/examples/quickstart.yaml" >"$base_repo/examples/quickstart.yaml"
if cmp -s "$source_dir/examples/quickstart.yaml" "$base_repo/examples/quickstart.yaml"; then
  echo "FAILED: the base model is the example unchanged; is frontend's 'replicas: 3' gone?"
  exit 1
fi
git -C "$base_repo" add examples
git -C "$base_repo" -c user.name=tailsim -c user.email=tailsim@localhost commit --quiet -m base
export GITHUB_BASE_REF=main CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main

for job_file in "$@"; do
  echo "== $job_file"
  "$extract" "$job_file" >"$work/commands.sh"
  cat "$work/commands.sh"
  run_dir="$work/$(basename "$job_file")"
  mkdir "$run_dir"
  ln -s "$source_dir/examples" "$run_dir/examples"
  git init --quiet "$run_dir"
  git -C "$run_dir" remote add origin "file://$base_repo"
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
