#!/usr/bin/env bash
# Builds the libFuzzer target with clang and fuzzes the model loader.
# Usage: tests/fuzz/run-fuzzer.sh [SECONDS=600]
# New inputs go to tests/fuzz/work/corpus (ignored by git); a crash leaves a
# crash-* file in tests/fuzz/work: minimise it and commit it to tests/fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p tests/fuzz/work/corpus
cd tests/fuzz/work
../../../build/fuzz/tests/fuzz/model_fuzz -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -dict=../model.dict -jobs=1 corpus ../corpus ../regressions
