#!/bin/sh
# test_watch_schema.sh HOTCONF - `hotconf watch --events --schema`: a
# version that fails the schema is rejected with FILE:LINE and the JSON
# pointer, the live version stays, the next valid one is applied; with
# --fill-defaults the filled value shows in the change.
set -u
H=$1
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; echo "--- events"; cat "$T/events"; exit 1; }
# waits (bounded) until the events file has a line matching $1
wait_for() {
  i=0
  while ! grep -q "$1" "$T/events" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 200 ] && fail "no event matching $1"
    sleep 0.05
  done
}
cat >"$T/s.schema.json" <<'J'
{"type": "object", "required": ["service"],
 "properties": {"service": {"type": "object", "properties": {
   "port": {"type": "integer", "minimum": 1024},
   "debug": {"type": "boolean", "default": false}}}}}
J
printf 'service:\n  port: 8080\n' >"$T/app.yaml"
"$H" watch --events --schema "$T/s.schema.json" --fill-defaults "$T/app.yaml" >"$T/events" 2>"$T/err" &
pid=$!
wait_for '"event":"ready"'
grep -q '"event":"applied".*"version":1' "$T/events" || fail "first load not applied"
grep '"version":1' "$T/events" | grep -q '"debug":false' || fail "default not filled in version 1"
printf 'service:\n  port: 80\n' >"$T/tmp.yaml" && mv "$T/tmp.yaml" "$T/app.yaml"
wait_for '"event":"rejected"'
grep '"event":"rejected"' "$T/events" | grep -q 'app.yaml:2:9: /service/port: 80 is less than the minimum of 1024' ||
  fail "rejection lacks FILE:LINE:COL: /pointer: message"
printf 'service:\n  port: 9090\n' >"$T/tmp.yaml" && mv "$T/tmp.yaml" "$T/app.yaml"
wait_for '"version":2'
grep '"version":2' "$T/events" | grep -q '"path":"service.port","op":"changed","old":8080,"new":9090' ||
  fail "version 2 change record"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
"$H" watch --schema "$T/nope.json" "$T/app.yaml" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "missing schema: exit $rc, want 2"
"$H" watch --fill-defaults "$T/app.yaml" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "--fill-defaults without --schema: exit $rc, want 2"
echo "test_watch_schema: ok"
