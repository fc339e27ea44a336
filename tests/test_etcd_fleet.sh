#!/bin/sh
# test_etcd_fleet.sh HOTCONF - against a real etcd (tests/etcd_lib.sh):
# history and rollback on etcd's own revisions (CAS, validation first,
# compaction); fleet rollout status with 5 real `hotconf watch` processes,
# one of which rejects the new version: push --wait --auto-rollback exits
# 1 naming it and the previous value is restored on all of them; a killed
# watcher's report goes with its lease.
set -u
H=$1
T=$(mktemp -d)
. "$(dirname "$0")/etcd_lib.sh"
trap etcd_cleanup EXIT
etcd_start n1 http
URL="etcd://127.0.0.1:$CP/app.json"
value() { ctl get --print-value-only app.json; }

# ---- history and rollback ------------------------------------------------
printf '{"type":"object","properties":{"port":{"type":"integer"}}}\n' >"$T/schema.json"
R1=$(ctl put app.json '{"port": 1}' -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
ctl put app.json '{"port": "bad"}' >/dev/null
ctl put app.json '{"port": 3}' >/dev/null
expect "history" 0 "" -- "$H" history "$URL" --json
[ "$(grep -o '"version"' "$T/out" | wc -l)" = 3 ] || fail "history: want 3 versions: $(cat "$T/out")"
grep -q "\"version\":$R1,\"live\":false,\"time\":null,\"trigger\":\"update\"" "$T/out" ||
  fail "history: version $R1 fields: $(cat "$T/out")"
expect "history text" 0 "" -- "$H" history "$URL"
grep -q '^\* ' "$T/out" || fail "history text: no live mark"
expect "history of a missing key" 1 "no such key" -- "$H" history "etcd://127.0.0.1:$CP/nokey.json"
expect "rollback 1 refused by the schema" 1 "refused" -- "$H" rollback "$URL" --schema "$T/schema.json"
[ "$(value)" = '{"port": 3}' ] || fail "a refused rollback wrote: $(value)"
ctl put broken.json '{"a": ' >/dev/null; ctl put broken.json '{"a": 1}' >/dev/null
expect "rollback to an unparsable version" 1 "broken.json:1:" -- "$H" rollback "etcd://127.0.0.1:$CP/broken.json"
expect "rollback --to R1" 0 "" -- "$H" rollback "$URL" --to "$R1" --schema "$T/schema.json"
[ "$(value)" = '{"port": 1}' ] || fail "rollback --to: $(value)"
expect "rollback 1 (N)" 0 "" -- "$H" rollback "$URL" 1 --json
grep -q "\"config\":\"$URL\",\"from\":[0-9]*,\"to\":[0-9]*,\"version\":[0-9]*}" "$T/out" ||
  fail "rollback --json: $(cat "$T/out")"
[ "$(value)" = '{"port": 3}' ] || fail "rollback 1: $(value)"
expect "rollback --to a revision that is no version" 1 "not a version" -- "$H" rollback "$URL" --to 1
expect "rollback N and --to" 2 "not both" -- "$H" rollback "$URL" 1 --to "$R1"
ctl put new.json '{}' >/dev/null
expect "rollback too far" 1 "only 1 version" -- "$H" rollback "etcd://127.0.0.1:$CP/new.json" 3
REV=$(ctl get app.json -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
ctl compact "$REV" >/dev/null
expect "history after compaction" 0 "compacted" -- "$H" history "$URL"
expect "rollback to a compacted revision" 1 "compacted" -- "$H" rollback "$URL" --to "$R1"
expect "password on the command line" 2 "password-file" -- "$H" history "$URL" --etcd-password=x

# ---- rollout status: 5 watchers, n5 rejects the new version -------------
printf '{"port": 8080}\n' >"$T/v1.json"
printf '{"port": 9090, "extra": true}\n' >"$T/v2.json"
printf '{"type":"object","properties":{"port":{"maximum":9000}}}\n' >"$T/strict.json"
expect "push v1" 0 "" -- "$H" push "$T/v1.json" "$URL"
WPIDS=
for i in 1 2 3 4 5; do
  extra=; [ $i = 5 ] && extra="--schema $T/strict.json"
  [ $i = 4 ] && extra="--state $T/st4"
  # shellcheck disable=SC2086
  "$H" watch "$URL" --events --node "n$i" --status-ttl 2 $extra >"$T/w$i.out" 2>"$T/w$i.err" &
  WPIDS="$WPIDS $!"; PIDS="$PIDS $!"
done
five_live() { "$H" rollout status "$URL" --json >"$T/rs" && [ "$(grep -o '"node":' "$T/rs" | wc -l)" = 5 ]; }
until_ok 300 five_live || fail "5 watchers did not report v1: $(cat "$T/rs")"
expect "rollout status: all on v1" 0 "" -- "$H" rollout status "$URL"
grep -q "5 live nodes" "$T/out" || fail "rollout status text: $(cat "$T/out")"
R_V1=$(ctl get app.json -w json | sed 's/.*"mod_revision":\([0-9]*\).*/\1/')

expect "push --wait: n5 rejects, rolled back" 1 "node n5 rejected revision" -- \
  "$H" push "$T/v2.json" "$URL" --wait=30 --auto-rollback
grep -q "rolled back" "$T/err" || fail "no rollback said: $(cat "$T/err")"
grep -q "maximum" "$T/err" || fail "n5's error not told: $(cat "$T/err")"
[ "$(value)" = '{"port": 8080}' ] || fail "the previous value is not back: $(value)"
until_ok 300 "$H" rollout status "$URL" || fail "not all nodes on the rollback"
"$H" rollout status "$URL" --json >"$T/rs"
[ "$(grep -o '"outcome":"applied"' "$T/rs" | wc -l)" = 5 ] || fail "after rollback: $(cat "$T/rs")"
grep -q "\"revision\":$R_V1," "$T/rs" && fail "a node still reports the pre-push revision: $(cat "$T/rs")"
for i in 1 2 3 4; do
  tail -n 1 "$T/w$i.out" | grep -q '"new":8080' || fail "n$i did not apply the rollback: $(tail -n 2 "$T/w$i.out")"
done
grep -q '"event":"rejected"' "$T/w5.out" || fail "n5 did not reject: $(cat "$T/w5.out")"
grep -q '9090' "$T/w5.out" && grep -q '"event":"applied".*9090' "$T/w5.out" && fail "n5 applied v2"

# The etcd config is in hotconf status like a file.
expect "hotconf status of an etcd config" 0 "" -- "$H" status --state "$T/st4" --json
grep -q "\"config\":\"$URL\".*\"last_outcome\":\"applied\"" "$T/out" || fail "status: $(cat "$T/out")"
R_NOW=$(ctl get app.json -w json | sed 's/.*"mod_revision":\([0-9]*\).*/\1/')
grep -q "\"etcd_revision\":$R_NOW" "$T/out" || fail "status: no etcd_revision $R_NOW: $(cat "$T/out")"
printf '{"port": 8081}\n' >"$T/v3.json"
expect "push --wait: every node applies" 0 "" -- "$H" push "$T/v3.json" "$URL" --wait
grep -q "applied on all 5 live nodes" "$T/out" || fail "push --wait: $(cat "$T/out")"
expect "--auto-rollback needs --wait" 2 "needs --wait" -- "$H" push "$T/v3.json" "$URL" --auto-rollback
expect "rollout usage" 2 "status" -- "$H" rollout "$URL"

# A watcher killed -9 leaves its report until the lease (2 s) runs out.
set -- $WPIDS
kill -9 "$1"
four_live() { "$H" rollout status "$URL" --json >"$T/rs" && [ "$(grep -o '"node":' "$T/rs" | wc -l)" = 4 ]; }
until_ok 100 four_live || fail "the killed node's report stayed: $(cat "$T/rs")"
grep -q '"node":"n1"' "$T/rs" && fail "n1 still listed"
# A watcher stopped cleanly revokes its lease at once.
kill -TERM "$2"; wait "$2" 2>/dev/null
"$H" rollout status "$URL" --json >"$T/rs"
grep -q '"node":"n2"' "$T/rs" && fail "n2's report outlived its clean stop: $(cat "$T/rs")"
n=$((n + 3))
done_tests
