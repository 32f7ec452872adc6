#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and fuzzes one of them.
# Usage: tests/fuzz/run-fuzzer.sh [SECONDS=600] [TARGET=model]
#   TARGET: model (the loader), set (--set overrides), datafile (empirical and
#   trace files), output (the report writers) or traces (the trace reader).
# New inputs go to tests/fuzz/work/TARGET (ignored by git); a crash leaves a
# crash-* file in tests/fuzz/work: minimise it and commit it to
# tests/fuzz/regressions/TARGET/. To grow the committed corpus, merge:
#   build/fuzz/tests/fuzz/TARGET_fuzz -merge=1 tests/fuzz/corpus/TARGET tests/fuzz/work/TARGET
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
target=${2:-model}
case "$target" in model | set | datafile | output | traces) ;; *)
  echo "run-fuzzer.sh: unknown target '$target' (model, set, datafile, output or traces)" >&2
  exit 2
  ;;
esac
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p "tests/fuzz/work/$target" tests/fuzz/regressions/"$target"
cd tests/fuzz/work
dict=()
[[ $target == model || $target == output ]] && dict=(-dict=../model.dict)
[[ $target == traces ]] && dict=(-dict=../traces.dict)
"../../../build/fuzz/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=8192 \
  -timeout=10 -rss_limit_mb=2048 "${dict[@]}" -jobs=1 "$target" "../corpus/$target" \
  "../regressions/$target"
