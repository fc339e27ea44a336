#!/bin/sh
# test_etcd_push.sh HOTCONF - hotconf push against a real etcd: written
# (exit 0), invalid file or schema refused with nothing written (1), a
# compare-and-swap conflict refused and named (1), --force, usage (2).
# etcd runs on free loopback ports in a temp data dir, stopped by PID
# with SIGKILL. SKIPPED (77) only when etcd is not installed.
set -u
H=$1
T=$(mktemp -d)
. "$(dirname "$0")/etcd_lib.sh"
trap etcd_cleanup EXIT
etcd_start n1 http
URL="etcd://127.0.0.1:1,127.0.0.1:$CP/app.json" # the first endpoint is dead
value() { ctl get --print-value-only app.json; }
modrev() { ctl get -w json app.json | sed 's/.*"mod_revision":\([0-9]*\).*/\1/'; }

printf '{"port": 8080}\n' >"$T/good.json"
printf '{"port": 80\n' >"$T/broken.json"
printf '{"port": "http"}\n' >"$T/bad.json"
printf '{"type":"object","properties":{"port":{"type":"integer"}}}\n' >"$T/schema.json"

expect "usage: no url" 2 "needs FILE" -- "$H" push "$T/good.json"
expect "usage: not etcd" 2 "not an etcd" -- "$H" push "$T/good.json" http://x/y
expect "first push" 0 "" -- "$H" push "$T/good.json" "$URL" --schema "$T/schema.json"
[ "$(value)" = '{"port": 8080}' ] || fail "value after push: $(value)"
R1=$(modrev)
expect "parse error refused" 1 "broken.json:2:1" -- "$H" push "$T/broken.json" "$URL"
expect "schema error refused" 1 "bad.json is invalid" -- "$H" push "$T/bad.json" "$URL" --schema "$T/schema.json"
[ "$(modrev)" = "$R1" ] || fail "a refused push wrote"

# CAS conflict: our edit is based on R1, someone else wrote since.
ctl put app.json '{"port": 9090}' >/dev/null
printf '{"port": 7070}\n' >"$T/mine.json"
expect "CAS conflict" 1 "someone else wrote first: expected mod_revision $R1" -- \
  "$H" push "$T/mine.json" "$URL" --expect-revision "$R1"
[ "$(value)" = '{"port": 9090}' ] || fail "conflict overwrote: $(value)"
expect "push on the revision read" 0 "" -- "$H" push "$T/mine.json" "$URL"
expect "force + expect clash" 2 "clash" -- "$H" push "$T/good.json" "$URL" --force --expect-revision 1
expect "force" 0 "" -- "$H" push "$T/good.json" "$URL" --force
expect "new key must not exist" 1 "someone else wrote first" -- \
  "$H" push "$T/good.json" "etcd://127.0.0.1:$CP/app.json" --expect-revision 0

done_tests
