#!/bin/sh
# Where tailsim's outputs may go, and what happens to them: no shell between
# tailsim and Graphviz, no special file or link replaced, every output path
# checked before simulating, SIGINT/SIGTERM, and an --out folder holding one
# run only. Each case makes its own files in a fresh folder.
# Usage: output_checks.sh CASE TAILSIM MODEL OTHER_MODEL WORK_DIR
# (MODEL has one path, `requests`; OTHER_MODEL one path, `main`.)
# Exit 0: passed; 1: failed; 77: skipped (what the case needs is missing).

case_name=$1
tailsim=$2
model=$3
other_model=$4
work=$5

fail() {
  echo "FAIL ($case_name): $*" >&2
  exit 1
}
skip() {
  echo "SKIP ($case_name): $*" >&2
  exit 77
}

rm -rf "$work" && mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# A model like MODEL whose name is a million letters long.
long_name_model() {
  awk '/^name: / {
         name = "n"
         while (length(name) < 1000000) name = name name
         print "name: " substr(name, 1, 1000000)
         next
       }
       { print }' "$model" >long-name.yaml
}

# A fake Graphviz `dot` on the PATH, from the script given on stdin.
fake_dot() {
  mkdir -p fake-bin
  {
    echo '#!/bin/sh'
    cat
  } >fake-bin/dot
  chmod +x fake-bin/dot
  PATH="$work/fake-bin:$PATH"
  export PATH
}

# Runs tailsim and keeps its exit code in $code and its stderr in err.txt.
run() {
  "$tailsim" "$@" 2>err.txt
  code=$?
}

# Fails unless no temporary file is left under the work folder.
no_temporary_files() {
  left=$(find . -name '*.tmp' -o -name '*.tmp.*' | head -n 3)
  [ -z "$left" ] || fail "temporary files left: $left"
}

# Starts a long run in the background (its pid in $pid) and waits until it
# has created its --out folder, which it does after installing its signal
# handlers and checking its outputs, before simulating.
start_long_run() {
  "$tailsim" run "$model" --duration 100000h --quiet --json r.json --out out "$@" 2>err.txt &
  pid=$!
  tries=0
  while [ ! -d out ]; do
    tries=$((tries + 1))
    [ $tries -le 3000 ] || fail "the run never created its --out folder"
    kill -0 $pid 2>/dev/null || fail "the run ended before its --out folder existed"
    sleep 0.1
  done
}

case $case_name in
  # 1. --out reaches no shell.
  out_quote_injection)
    run run "$model" --duration 10s --quiet --out "x';touch PWNED;echo '"
    [ $code -eq 0 ] || fail "exit $code"
    [ ! -e PWNED ] || fail "a shell ran the text of --out"
    [ -s "x';touch PWNED;echo '/results.json" ] || fail "no results.json"
    if command -v dot >/dev/null; then
      grep -q '<svg' "x';touch PWNED;echo '/topology.svg" || fail "no topology.svg"
    fi
    run run "$model" --duration 10s --quiet --out "o'q"
    [ $code -eq 0 ] || fail "--out with a quote: exit $code"
    grep -q '</html>' "o'q/report.html" || fail "--out with a quote: no report.html"
    ;;
  # A `dot` that fails without reading its input: a warning, not death by SIGPIPE.
  dot_fails_early)
    long_name_model
    echo 'exit 1' | fake_dot
    run run long-name.yaml --duration 10s --quiet --out out
    [ $code -eq 0 ] || fail "exit $code"
    grep -q 'warning: topology.svg skipped' err.txt || fail "no warning: $(cat err.txt)"
    [ -s out/topology.dot ] || fail "topology.dot not kept"
    [ ! -e out/topology.svg ] || fail "topology.svg written"
    grep -q '</html>' out/report.html || fail "no report.html"
    no_temporary_files
    ;;
  # Graphviz itself on a name too long for it.
  dot_long_name)
    command -v dot >/dev/null || skip "Graphviz's dot is not installed"
    long_name_model
    run run long-name.yaml --duration 10s --quiet --out out
    [ $code -eq 0 ] || fail "exit $code"
    grep -q 'warning: topology.svg skipped' err.txt || fail "no warning: $(cat err.txt)"
    [ -s out/topology.dot ] || fail "topology.dot not kept"
    ;;

  *)
    fail "unknown case"
    ;;
esac
exit 0
