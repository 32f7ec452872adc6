#!/usr/bin/env bash
# Opens the generated HTML reports (report.html of two runs, compare --out's
# compare.html, and `tailsim run --out`'s report.html of the retry storm) in
# headless Chromium with the network cut
# off (every host name resolves to nothing, and a proxy to a closed port),
# then fails on:
#   - any console message of the page (Chromium's --enable-logging=stderr
#     prints each one as an INFO:CONSOLE line: errors, uncaught exceptions,
#     Content-Security-Policy refusals, console.log alike);
#   - any network request the page made: in the net log (--log-net-log),
#     requests on the page's behalf carry its top frame, file://, in their
#     network isolation key; the browser's own background requests do not;
#   - a page that did not render: no screenshot, or a DOM whose <svg> count
#     differs from the file's.
# On the retry storm's report, check_episodes.py then checks that its episode
# shows (bands in the plot areas, their colour on the screenshot, and not on a
# report without episodes) and that its retries chart has lines.
# First it opens a page that breaks each rule on purpose and checks that the
# checks see it: a check that cannot fail proves nothing. Each page takes one
# browser start: its screenshot and its DOM together.
#
# Usage: check_in_browser.sh GENERATOR OUT_DIR MODEL_FILE TAILSIM STORM_MODEL
# Needs the Debian package `chromium`; $CHROMIUM names another browser binary.
set -euo pipefail

generator=$1
out=$2
model=$3
tailsim=$4
storm_model=$5
here=$(cd "$(dirname "$0")" && pwd)

browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null; then
      browser=$candidate
      break
    fi
  done
fi
if [[ -z $browser ]] || ! command -v "$browser" >/dev/null; then
  echo "FAIL: no Chromium found. The HTML report's browser test needs it:" \
       "apt-get install chromium (Debian 12), or set CHROMIUM=/path/to/chrome." >&2
  exit 1
fi

mkdir -p "$out"
"$generator" "$out" "$model"
rm -rf "$out/storm"
"$tailsim" run "$storm_model" --out "$out/storm" >"$out/storm.console.txt" || {
  echo "FAIL: tailsim run $storm_model --out failed; its output is $out/storm.console.txt" >&2
  exit 1
}
cp "$out/storm/report.html" "$out/storm.html"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

flags=(--headless --disable-gpu --no-sandbox --user-data-dir="$profile" --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-default-apps --disable-extensions --hide-scrollbars
       "--host-resolver-rules=MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9
       --enable-logging=stderr --v=0)

# open NAME HEIGHT: screenshot, DOM, console and net log of OUT/NAME.html, from
# one start of the browser (a start costs more than the page: headless
# Chromium takes both --screenshot and --dump-dom at once).
open_page() {
  local name=$1 height=$2
  rm -f "$out/$name.png" "$out/$name.netlog.json" "$out/$name.dom.html"
  timeout 120 "$browser" "${flags[@]}" --log-net-log="$out/$name.netlog.json" \
    --window-size=1280,"$height" --screenshot="$out/$name.png" --dump-dom \
    "file://$out/$name.html" 2>"$out/$name.stderr.txt" >"$out/$name.dom.html" || {
    echo "FAIL: $browser did not finish on $name.html; its log is $out/$name.stderr.txt" >&2
    exit 1
  }
}

console_messages() { grep -F ':CONSOLE' "$out/$1.stderr.txt" || true; }

page_requests() {
  grep -F '"network_isolation_key":"file://' "$out/$1.netlog.json" |
    grep -o '"url":"[^"]*"' | sort -u || true
}

failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}

# The checks must see a page that breaks the rules.
open_page bad 600
bad_console=$(console_messages bad)
bad_requests=$(page_requests bad)
grep -q 'bad page: console error' <<<"$bad_console" ||
  fail "the console check missed console.error on bad.html (see $out/bad.stderr.txt)"
grep -q 'Uncaught' <<<"$bad_console" ||
  fail "the console check missed an uncaught exception on bad.html"
grep -q 'example.invalid' <<<"$bad_requests" ||
  fail "the net log check missed the image request of bad.html (see $out/bad.netlog.json)"
((failed == 0)) || exit 1

for page in sample:9000 model:5000 compare:3000 storm:4500; do
  name=${page%%:*}
  open_page "$name" "${page##*:}"
  messages=$(console_messages "$name")
  [[ -z $messages ]] || fail "$name.html logged to the console:"$'\n'"$messages"
  requests=$(page_requests "$name")
  [[ -z $requests ]] || fail "$name.html made network requests:"$'\n'"$requests"
  size=$(stat -c %s "$out/$name.png" 2>/dev/null || echo 0)
  ((size > 20000)) || fail "$name.html: no screenshot, or an empty one ($size bytes)"
  in_file=$(grep -o '<svg' "$out/$name.html" | wc -l)
  in_dom=$(grep -o '<svg' "$out/$name.dom.html" | wc -l)
  ((in_file > 0 && in_file == in_dom)) ||
    fail "$name.html has $in_file <svg> elements but the browser's DOM has $in_dom"
  if [[ $name == compare ]]; then  # compare --out's page: a CDF per path, A and B
    grep -q 'latency CDF, A and B</figcaption>' "$out/$name.dom.html" ||
      fail "$name.html: the browser's DOM has no latency CDF of A and B"
  else
    grep -q '<section id="paths">' "$out/$name.dom.html" ||
      fail "$name.html: the browser's DOM has no paths section"
  fi
  echo "$name.html: no console message, no network request, $in_dom charts and pictures;" \
       "screenshot $out/$name.png"
done
# The retry storm's episode and retries; the sample, which has no episode,
# must not show the band's colour.
python3 "$here/check_episodes.py" "$out/storm.dom.html" "$out/storm.png" "$out/sample.png" ||
  fail "storm.html: its episodes or its retries chart do not show (see above)"
exit "$failed"
