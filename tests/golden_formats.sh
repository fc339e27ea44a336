#!/bin/sh
# golden_formats.sh HOTCONF CASE_DIR - one golden case of the format rules.
# CASE_DIR holds one input file in.<ext>, optionally "args" (extra flags
# for hotconf convert, one line), and either expect.json (the exact output
# of `hotconf convert in.<ext> --to json`, exit 0) or expect.err (the exact
# error output, exit 1). Run from CASE_DIR so errors name "in.<ext>".
# With HC_GOLDEN_UPDATE=1 the expectation is rewritten from the output.
set -u
hc=$1
cd "$2" || exit 1
in=$(ls in.* 2>/dev/null | head -n 1)
[ -n "$in" ] || { echo "no in.* in $2"; exit 1; }
args=$(cat args 2>/dev/null || true)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086 # args holds flags, split on purpose
"$hc" convert "$in" --to json $args >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ -f expect.json ]; then
  want=expect.json got="$tmp/out" want_rc=0
else
  want=expect.err got="$tmp/err" want_rc=1
fi
if [ "${HC_GOLDEN_UPDATE:-0}" = 1 ]; then
  cp "$got" "$want"
  exit 0
fi
if [ "$rc" -ne "$want_rc" ]; then
  echo "exit status $rc, want $want_rc"; cat "$tmp/out" "$tmp/err"; exit 1
fi
diff -u "$want" "$got" || exit 1
