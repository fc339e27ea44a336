#!/bin/sh
# run.sh HOTCONF CASE_DIR - one hostile-input regression case: builds the
# input in a temp dir (CASE_DIR/setup, run there; or the case's input.*
# files copied), runs `hotconf ARGS` (CASE_DIR/args, one line; {D} is the
# temp dir) under a timeout, and checks CASE_DIR/expect: line 1 the exit
# status, the other lines substrings that stdout+stderr must contain.
# CASE_DIR/pending (optional) says why the case cannot pass yet; it then
# reports SKIPPED (exit 77) instead of failing, and passes once fixed.
set -u
H=$1; C=$2
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
name=$(basename "$C")
for f in "$C"/input.*; do [ -e "$f" ] && cp "$f" "$D/"; done
if [ -f "$C/setup" ]; then (cd "$D" && sh "$C/setup") || { echo "FAIL: $name: setup"; exit 1; }; fi
args=$(sed "s|{D}|$D|g" "$C/args")
want_rc=$(sed -n 1p "$C/expect")
# A hostile input must never hang the suite: 10 s, then the case fails.
# shellcheck disable=SC2086 # the words of args, split on purpose (no shell)
(cd "$D" && timeout -k 2 10 "$H" $args >"$D/.out" 2>&1 </dev/null); rc=$?
fail() {
  if [ -f "$C/pending" ]; then
    echo "SKIPPED: $name: $*; pending: $(cat "$C/pending")"; exit 77
  fi
  echo "FAIL: $name: $*"; echo "--- output"; cat "$D/.out"; exit 1
}
[ "$rc" = 124 ] || [ "$rc" = 137 ] && fail "hotconf $args hung (killed after 10 s)"
[ "$rc" = "$want_rc" ] || fail "exit $rc, want $want_rc"
sed -n '2,$p' "$C/expect" | while IFS= read -r want; do
  [ -z "$want" ] && continue
  grep -qF -- "$want" "$D/.out" || { echo "$want" >"$D/.missing"; break; }
done
[ -f "$D/.missing" ] && fail "output lacks '$(cat "$D/.missing")'"
[ -f "$C/forbid" ] && [ -e "$D/$(cat "$C/forbid")" ] && fail "$(cat "$C/forbid") was created"
echo "hostile $name: ok"
exit 0
