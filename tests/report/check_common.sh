# Shared by the scripts that hand tailsim's output to an outside checker
# (promtool, xmllint): `source` it after `set -euo pipefail`.
#
# require_tool PATH NAME PACKAGE: exit 77 (CTest's skip) when the checker is
# not installed; `work` is a temporary folder removed on exit; `fail` ends
# the check with a message.
require_tool() {
  if [[ ! -x $1 ]]; then
    echo "$2 not found (Debian: apt-get install $3); skipped"
    exit 77
  fi
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAILED: $*"
  exit 1
}
