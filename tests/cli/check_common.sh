# Sourced by the case scripts of tests/cli (output_checks.sh, study_stops.sh)
# after they set $case_name and $work: how a case fails or is skipped, and
# its fresh work folder, which it then runs in.
# Exit codes: 1 failed; 77 skipped (what the case needs is missing).

fail() {
  echo "FAIL ($case_name): $*" >&2
  exit 1
}
skip() {
  echo "SKIP ($case_name): $*" >&2
  exit 77
}

rm -rf "$work" && mkdir -p "$work" && cd "$work" || fail "cannot make $work"
