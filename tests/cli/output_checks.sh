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

. "$(dirname "$0")/check_common.sh"

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

# A fake Graphviz `dot` on the PATH, from the script given on stdin (a here-document:
# in a pipeline the function would run in a subshell and its PATH be lost).
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
    fake_dot <<'EOF2'
exit 1
EOF2
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
  dot_too_many_services)
    # A chain of 501 one-endpoint services: more than Graphviz is asked to
    # lay out. A fake dot that leaves a mark shows it is never started.
    fake_dot <<'EOF2'
touch dot-ran
cat >/dev/null
echo '<svg/>'
EOF2
    awk 'BEGIN {
           print "version: 1\nname: chain\nsimulation: {duration: 1s, warmup: 0s}\nservices:"
           for (i = 0; i <= 500; i++) {
             printf "  s%d:\n    endpoints:\n      e:\n        - cpu: 1ms\n", i
             if (i < 500) printf "        - call: s%d.e\n", i + 1
           }
           print "workloads:\n  w: {entry: s0.e, rate: 1/s}"
         }' >chain.yaml
    run run chain.yaml --quiet --no-attribution --traces 0 --out out
    [ $code -eq 0 ] || fail "exit $code: $(cat err.txt)"
    grep -q 'topology.svg skipped.*501 services' err.txt || fail "no warning: $(cat err.txt)"
    [ ! -e dot-ran ] || fail "dot was started"
    [ -s out/topology.dot ] && [ ! -e out/topology.svg ] || fail "topology.dot missing or svg written"
    ;;

  # 2. Special files stay special; links are never written through.
  json_onto_device)
    mknod null c 1 3 2>/dev/null || skip "mknod needs root"
    run run "$model" --duration 10s --quiet --json null
    [ $code -eq 0 ] || fail "exit $code: $(cat err.txt)"
    [ -c null ] || fail "the device became a regular file"
    no_temporary_files
    ;;
  json_onto_fifo)
    mkfifo pipe || fail "mkfifo"
    cat pipe >got.json &
    reader=$!
    run run "$model" --duration 10s --quiet --json pipe
    # The reader ends when tailsim has written the FIFO and closed it; if
    # tailsim never opened it, the reader is stopped here.
    [ $code -eq 0 ] && [ -p pipe ] || kill $reader
    wait $reader
    [ $code -eq 0 ] || fail "exit $code: $(cat err.txt)"
    [ -p pipe ] || fail "the FIFO became a regular file"
    grep -q '"stopped_early": false' got.json || fail "the reader did not get results.json"
    ;;
  json_onto_stdout_link)
    ln -s /proc/self/fd/1 stdout-link
    "$tailsim" run "$model" --duration 10s --quiet --json stdout-link 2>err.txt | cat >got.json
    [ -L stdout-link ] || fail "the link was replaced"
    grep -q '"stopped_early": false' got.json || fail "stdout did not get results.json: $(cat err.txt)"
    # stdout redirected to a file: written there, the link kept.
    "$tailsim" run "$model" --duration 10s --quiet --json stdout-link >got2.json 2>err.txt ||
      fail "stdout to a file: $(cat err.txt)"
    [ -L stdout-link ] || fail "the link was replaced"
    grep -q '"stopped_early": false' got2.json || fail "the file stdout went to got no results.json"
    ;;
  planted_temporary_link)
    echo "keep me" >victim
    ln -s victim res.json.tmp
    run run "$model" --duration 10s --quiet --json res.json
    [ $code -eq 0 ] || fail "exit $code: $(cat err.txt)"
    [ "$(cat victim)" = "keep me" ] || fail "the planted link's target was overwritten"
    [ -L res.json.tmp ] || fail "the planted link was removed"
    [ -f res.json ] && [ ! -L res.json ] || fail "res.json is not a regular file"
    grep -q '"engine"' res.json || fail "res.json holds no results"
    ;;
  link_to_regular_file_refused)
    echo "keep me" >real.json
    ln -s real.json link.json
    run run "$model" --duration 10s --quiet --json link.json
    [ $code -eq 2 ] || fail "exit $code"
    grep -q 'error: --json link.json: is a symbolic link' err.txt || fail "message: $(cat err.txt)"
    [ "$(cat real.json)" = "keep me" ] && [ -L link.json ] || fail "the link or its target changed"
    ;;
  replaced_file_keeps_permissions)
    echo "old" >res.json
    chmod 640 res.json
    run run "$model" --duration 10s --quiet --json res.json
    [ $code -eq 0 ] || fail "exit $code"
    [ "$(stat -c %a res.json)" = 640 ] || fail "mode $(stat -c %a res.json), not 640"
    ;;

  # 3. Every output path is checked before simulating: exit 2 with the reason.
  run_outputs_checked)
    mkdir folder && touch file
    for flag in --json --junit --summary-md; do
      run run "$model" "$flag" nodir/x
      [ $code -eq 2 ] || fail "$flag nodir/x: exit $code"
      grep -q "error: $flag nodir/x: no such folder 'nodir'" err.txt || fail "$flag: $(cat err.txt)"
      run run "$model" "$flag" folder
      [ $code -eq 2 ] || fail "$flag folder: exit $code"
      grep -q "error: $flag folder: is a folder" err.txt || fail "$flag folder: $(cat err.txt)"
    done
    run run "$model" --out file
    [ $code -eq 2 ] || fail "--out file: exit $code"
    grep -q "error: --out file: is not a folder" err.txt || fail "--out: $(cat err.txt)"
    run run "$model" --json file/x.json
    [ $code -eq 2 ] || fail "--json file/x.json: exit $code"
    grep -q "error: --json file/x.json: 'file' is not a folder" err.txt || fail "$(cat err.txt)"
    run run "$model" --json same.json --junit ./same.json
    [ $code -eq 2 ] || fail "two outputs in one file: exit $code"
    grep -q "error: --json and --junit both name ./same.json" err.txt || fail "$(cat err.txt)"
    run run "$model" --junit -
    [ $code -eq 2 ] || fail "--junit -: exit $code"
    ;;
  study_outputs_checked)
    mkdir folder
    for flag in --csv --json --report; do
      run sweep "$model" --vary services.server.replicas=1,2 "$flag" folder
      [ $code -eq 2 ] || fail "sweep $flag folder: exit $code"
      grep -q "error: $flag folder: is a folder" err.txt || fail "sweep $flag: $(cat err.txt)"
    done
    run compare "$model" "$model" --json nodir/c.json
    [ $code -eq 2 ] || fail "compare: exit $code"
    grep -q "error: --json nodir/c.json: no such folder 'nodir'" err.txt || fail "compare: $(cat err.txt)"
    run analyze "$model" --json folder
    [ $code -eq 2 ] || fail "analyze: exit $code"
    grep -q "error: --json folder: is a folder" err.txt || fail "analyze: $(cat err.txt)"
    ;;
  permission_denied)
    [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv"
    mkdir locked && chmod 755 locked && chmod 755 .
    setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$tailsim" run "$model" --json locked/r.json 2>err.txt
    code=$?
    [ $code -eq 2 ] || fail "exit $code: $(cat err.txt)"
    grep -q "error: --json locked/r.json: permission denied" err.txt || fail "$(cat err.txt)"
    ;;

  # 4. SIGINT and SIGTERM: the results so far, then 128 + the signal.
  sigint)
    start_long_run
    kill -INT $pid
    wait $pid
    code=$?
    [ $code -eq 130 ] || fail "exit $code: $(cat err.txt)"
    grep -q '"stopped_early": true' r.json || fail "r.json is not marked stopped_early"
    grep -q '"stop_reason": "interrupted"' r.json || fail "r.json has no stop_reason"
    grep -q '"stop_reason": "interrupted"' out/results.json || fail "out/results.json"
    grep -q '</html>' out/report.html || fail "no report.html"
    no_temporary_files
    ;;
  sigterm)
    start_long_run
    kill -TERM $pid
    wait $pid
    code=$?
    [ $code -eq 143 ] || fail "exit $code: $(cat err.txt)"
    grep -q '"stop_reason": "interrupted"' r.json || fail "r.json has no stop_reason"
    no_temporary_files
    ;;
  two_signals_while_simulating)
    start_long_run
    kill -INT $pid
    kill -TERM $pid
    wait $pid
    code=$?
    [ $code -eq 130 ] || [ $code -eq 143 ] || fail "exit $code"
    no_temporary_files
    ;;
  # The second signal comes while a file is being written (a fake `dot`
  # sends both while tailsim waits for it to write topology.svg): tailsim
  # exits at once, and the temporary file of topology.svg is gone.
  two_signals_while_writing)
    fake_dot <<'DOT'
out=/dev/stdout
while [ $# -gt 0 ]; do
  [ "$1" = -o ] && out=$2
  shift
done
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$out"
# tailsim, or the shell between it and us.
parent=$PPID
[ "$(cat /proc/$parent/comm)" = tailsim ] || parent=$(cut -d' ' -f4 /proc/$parent/stat)
touch "$(dirname "$0")/../dot-ran"
# Linux delivers pending signals lowest number first: SIGINT, then SIGTERM.
kill -INT $parent
kill -TERM $parent
exit 0
DOT
    run run "$model" --duration 10s --quiet --out out
    [ -e dot-ran ] || fail "the fake dot did not run"
    [ $code -eq 143 ] || fail "exit $code"
    no_temporary_files
    ;;

  # 5. An --out folder holds one run: what the last run wrote and this one
  # does not is removed; nothing else is.
  out_folder_one_run)
    run run "$other_model" --duration 10s --quiet --out out
    [ $code -eq 0 ] || fail "first run: exit $code"
    [ -s out/main.hgrm ] && [ -s out/traces.otlp.json ] || fail "first run wrote no main.hgrm or traces"
    echo "mine" >out/notes.txt
    echo "mine" >out/mine.hgrm
    run run "$model" --duration 10s --quiet --traces 0 --out out
    [ $code -eq 0 ] || fail "second run: exit $code"
    [ -s out/requests.hgrm ] || fail "no requests.hgrm"
    [ ! -e out/main.hgrm ] || fail "the first run's main.hgrm is still there"
    [ ! -e out/traces.otlp.json ] && [ ! -e out/traces.chrome.json ] || fail "stale traces kept"
    [ "$(cat out/notes.txt)" = mine ] && [ "$(cat out/mine.hgrm)" = mine ] || fail "a file of the user's was touched"
    # A manifest edited to name other files removes none of them.
    printf 'notes.txt\n../victim.hgrm\nmine.hgrm\n' >>out/.tailsim-manifest
    echo "keep" >victim.hgrm
    run run "$model" --duration 10s --quiet --traces 0 --out out
    [ -e out/notes.txt ] && [ -e victim.hgrm ] || fail "a file outside tailsim's names was removed"
    ;;
  # A dot that fails leaves no picture of an earlier model behind.
  out_folder_stale_svg)
    fake_dot <<'DOT'
out=/dev/stdout
while [ $# -gt 0 ]; do
  [ "$1" = -o ] && out=$2
  shift
done
echo '<svg xmlns="http://www.w3.org/2000/svg"><text>earlier</text></svg>' >"$out"
DOT
    run run "$model" --duration 10s --quiet --out out
    grep -q earlier out/topology.svg || fail "the first run wrote no topology.svg"
    echo 'exit 1' >fake-bin/dot
    run run "$model" --duration 10s --quiet --out out
    [ $code -eq 0 ] || fail "exit $code"
    [ ! -e out/topology.svg ] || fail "the earlier run's topology.svg is still there"
    ! grep -q earlier out/report.html || fail "report.html shows the earlier picture"
    ;;

  *)
    fail "unknown case"
    ;;
esac
exit 0
