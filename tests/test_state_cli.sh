#!/bin/sh
# test_state_cli.sh HOTCONF - hotconf watch --state and the operator verbs
# (history, show, log, status, stats, rollback) end to end: a real watcher
# process, real files, a real SQLite database; a rollback while the watcher
# runs and with none; a watcher killed with SIGKILL mid-stream and
# restarted; a second watcher refused; a corrupt database; masking.
set -u
H=$1
T=$(mktemp -d)
S="$T/state"
W=""
cleanup() {
  [ -n "$W" ] && kill "$W" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
n=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# check DESC CMD...: CMD must succeed
check() { desc=$1; shift; n=$((n + 1)); "$@" || fail "$desc"; }
# wait_for CMD...: until CMD succeeds (bounded: 20 s, then the check fails)
wait_for() {
  i=0
  while ! "$@" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -ge 400 ] && return 1
    sleep 0.05
  done
}
has() { grep -q -- "$2" "$1"; }
# A watcher's log is emptied before it starts ("CMD >LOG &" truncates LOG
# in the child, maybe after the next line ran): a wait for its "ready"
# must not find the previous watcher's.
out_has() { "$@" >"$T/o" 2>"$T/e" || true; grep -q -- "$PAT" "$T/o"; }
rcof() { "$@" >"$T/o" 2>"$T/e"; echo $?; }

start_watch() {
  : >"$T/w.log"
  "$H" watch "$T/a.json" --state "$S" --events >"$T/w.log" 2>"$T/w.err" &
  W=$!
  wait_for has "$T/w.log" '"event":"ready"' || fail "watcher ready ($(cat "$T/w.err"))"
}
# SIGTERM: a clean exit 0 (the store's thread must not take the signal)
stop_watch() {
  kill "$W"; wait "$W" 2>/dev/null; wrc=$?; W=""; n=$((n + 1))
  [ "$wrc" = 0 ] || fail "watcher exit status $wrc after SIGTERM"
}
nversions() { "$H" history "$T/a.json" --state "$S" --json | grep -o '"version":' | wc -l; }
top() { "$H" history "$T/a.json" --state "$S" --json | sed 's/^\[{"version":\([0-9]*\),.*/\1/'; }

printf '{"port": 1, "db": {"password": "hunter1", "host": "h"}}\n' >"$T/a.json"
start_watch
printf '{"port": 2, "db": {"password": "hunter2", "host": "h"}}\n' >"$T/a.json"
check "v2 recorded" wait_for sh -c "'$H' history '$T/a.json' --state '$S' --json | grep -q '\"version\":2'"
printf '{"port": \n' >"$T/a.json"
check "rejection logged" wait_for sh -c "'$H' log '$T/a.json' --state '$S' | grep -q rejected"

# history --json: the field names scripts rely on
"$H" history "$T/a.json" --state "$S" --json >"$T/h"
check "history fields" grep -q '^\[{"version":2,"live":true,"time":"[0-9T:.-]*Z","trigger":"modify","hash":"[0-9a-f]\{16\}","size":[0-9]*,"changed":2}' "$T/h"
check "history live mark" sh -c "'$H' history '$T/a.json' --state '$S' | grep -q '^\* 2 '"

# log: newest first, error with its position, filters
"$H" log "$T/a.json" --state "$S" --json >"$T/l"
check "log fields" grep -q '^\[{"time":"[^"]*","outcome":"rejected","version":null,"error":"[^"]*a.json:2:1: [^"]*","latency_us":[0-9]*,"changed":\[\]' "$T/l"
check "log applied changed paths" grep -q '"outcome":"applied","version":2,"error":null,"latency_us":[0-9]*,"changed":\["port","db.password"\]' "$T/l"
"$H" log "$T/a.json" --state "$S" --outcome applied --json >"$T/l"
check "log --outcome" sh -c "! grep -q rejected '$T/l' && grep -q applied '$T/l'"
"$H" log "$T/a.json" --state "$S" --since 2999-01-01 --json >"$T/l"
check "log --since future: nothing" grep -qx '\[\]' "$T/l"
check "log --since 1h: all" sh -c "'$H' log '$T/a.json' --state '$S' --since 1h | grep -q initial"
check "log --outcome bad: usage" [ "$(rcof "$H" log "$T/a.json" --state "$S" --outcome nope)" = 2 ]

# status: live version, last outcome and error, the watcher's pid
"$H" status --state "$S" --json >"$T/s"
check "status fields" grep -q "^\[{\"config\":\"$T/a.json\",\"version\":2,\"since\":\"[^\"]*\",\"last_outcome\":\"rejected\",\"last_error\":\"[^\"]*a.json:2:1: [^\"]*\",\"watcher_pid\":$W}\]" "$T/s"
"$H" stats --state "$S" --json >"$T/st"
check "stats fields" grep -q '^{"files_monitored":1,"total_reloads":1,"failed_validations":1,' "$T/st"

# show: masked, --reveal, --diff in hotconf diff's format, --secret-keys
"$H" show "$T/a.json" 2 --state "$S" >"$T/sh"
check "show masks password" sh -c "grep -q '\"\*\*\*\"' '$T/sh' && ! grep -q hunter '$T/sh'"
check "show --reveal" sh -c "'$H' show '$T/a.json' 2 --state '$S' --reveal | grep -q hunter2"
"$H" show "$T/a.json" 2 --diff --state "$S" >"$T/d"
printf '~ port: 1 -> 2\n~ db.password: "***" -> "***"\n' >"$T/dwant"
check "show --diff" cmp -s "$T/d" "$T/dwant"
check "show --diff OTHER --secret-keys host" sh -c "'$H' show '$T/a.json' 1 --diff 2 --state '$S' --secret-keys port | grep -qx '~ port: \"\*\*\*\" -> \"\*\*\*\"'"
check "show --diff --reveal: real values" sh -c "'$H' show '$T/a.json' 2 --diff --state '$S' --reveal | grep -qx '~ db.password: \"hunter1\" -> \"hunter2\"'"
printf '{"api_token": "t1", "n": 1}\n' >"$T/d1.json"; printf '{"api_token": "t2", "n": 2}\n' >"$T/d2.json"
check "hotconf diff masks" sh -c "'$H' diff '$T/d1.json' '$T/d2.json' | grep -qx '~ api_token: \"\*\*\*\" -> \"\*\*\*\"'"
check "hotconf diff --reveal" sh -c "'$H' diff '$T/d1.json' '$T/d2.json' --reveal | grep -qx '~ api_token: \"t1\" -> \"t2\"'"
check "show missing version: 1" [ "$(rcof "$H" show "$T/a.json" 9 --state "$S")" = 1 ]
check "--events masks secrets" sh -c "grep '\"version\":2' '$T/w.log' | grep -q '\"new\":\"\*\*\*\"' && ! grep -q hunter2 '$T/w.log'"

# rollback while the watcher runs: applied by it, trigger rollback
printf '{"port": 3, "db": {"password": "hunter3", "host": "h"}}\n' >"$T/a.json"
check "v3" wait_for sh -c "'$H' history '$T/a.json' --state '$S' --json | grep -q '\"version\":3'"
check "rollback with watcher: exit 0" [ "$(rcof "$H" rollback "$T/a.json" --state "$S")" = 0 ]
check "rollback rewrote the file" grep -q '"port": 2' "$T/a.json"
check "watcher recorded trigger rollback" sh -c "'$H' history '$T/a.json' --state '$S' --json | grep -q '^\[{\"version\":4,\"live\":true,[^}]*\"trigger\":\"rollback\"'"
check "log rolled_back" sh -c "'$H' log '$T/a.json' --state '$S' --json | grep -q '^\[{[^}]*\"outcome\":\"rolled_back\",\"version\":4'"
check "--events: the watcher's own record says rollback" wait_for sh -c "grep '\"event\":\"applied\"' '$T/w.log' | grep '\"version\":4,' | grep -q '\"trigger\":\"rollback\"'"
check "rollback too far: 1" [ "$(rcof "$H" rollback "$T/a.json" 9 --state "$S")" = 1 ]
check "rollback usage: 2" [ "$(rcof "$H" rollback --state "$S")" = 2 ]
check "rollback N and --to: 2" [ "$(rcof "$H" rollback "$T/a.json" 1 --to 2 --state "$S")" = 2 ]
printf '{"type":"object","properties":{"port":{"maximum":2}}}\n' >"$T/strict.json"
check "rollback refused by schema: 1" [ "$(rcof "$H" rollback "$T/a.json" --to 3 --schema "$T/strict.json" --state "$S")" = 1 ]
check "refusal says why" grep -q "does not validate" "$T/e"
check "refused: file untouched" grep -q '"port": 2' "$T/a.json"

# a second watcher on the same state folder refuses, clearly
check "second watcher refused" [ "$(rcof "$H" watch "$T/a.json" --state "$S")" = 1 ]
check "second watcher message" grep -q "another watcher (pid $W)" "$T/e"

# files are 0600
check "state.db 0600" [ "$(stat -c %a "$S/state.db")" = 600 ]

# kill -9 mid-stream, restart: database intact, numbering continues
(for i in $(seq 10 40); do
   printf '{"port": %s, "db": {"password": "p", "host": "h"}}\n' "$i" >"$T/a.json.tmp"
   mv "$T/a.json.tmp" "$T/a.json"; sleep 0.01
 done) &
WR=$!
sleep 0.15
kill -9 "$W"; wait "$W" 2>/dev/null; W=""
wait "$WR"
before=$(top)
start_watch
check "after kill -9: history readable" [ -n "$before" ]
after=$(top)
check "restart: one new version for the new content ($before -> $after)" [ "$after" = $((before + 1)) ]
check "restart: numbers strictly decreasing" sh -c "'$H' history '$T/a.json' --state '$S' --json | grep -o '\"version\":[0-9]*' | cut -d: -f2 | awk 'NR>1 && \$1>=p {exit 1} {p=\$1}'"
check "status after restart: new pid" sh -c "'$H' status '$T/a.json' --state '$S' --json | grep -q '\"watcher_pid\":$W'"

# unchanged content across a restart makes no new version
stop_watch
check "no watcher: watcher_pid null" sh -c "'$H' status '$T/a.json' --state '$S' --json | grep -q '\"watcher_pid\":null'"
c1=$(nversions); t1=$(top)
start_watch
stop_watch
check "unchanged content: no new version" [ "$(top)" = "$t1" ]

# rollback with no watcher: recorded by the CLI, the next watcher goes on
check "rollback without watcher: exit 0" [ "$(rcof "$H" rollback "$T/a.json" --state "$S")" = 0 ]
check "no-watcher rollback recorded" sh -c "'$H' history '$T/a.json' --state '$S' --json | grep -q '^\[{\"version\":$((t1 + 1)),\"live\":true,[^}]*\"trigger\":\"rollback\"'"
start_watch
check "watcher after CLI rollback: no new version" [ "$(top)" = $((t1 + 1)) ]
stop_watch

# a corrupt database is moved aside, the watcher starts afresh
head -c 8192 /dev/urandom >"$S/state.db"
rm -f "$S/state.db-wal" "$S/state.db-shm"
start_watch
check "corrupt: warned" grep -q "corrupt" "$T/w.err"
check "corrupt: moved aside" sh -c "ls '$S' | grep -q 'state.db.corrupt-'"
check "corrupt: fresh history" [ "$(top)" = 1 ]
stop_watch

# writeOnly in the watcher's schema masks too (show finds the schema)
printf '{"type":"object","properties":{"db":{"type":"object","properties":{"host":{"writeOnly":true}}}}}\n' >"$T/wo.json"
printf '{"port": 5, "db": {"host": "internal.example"}}\n' >"$T/b.json"
: >"$T/w2.log"
"$H" watch "$T/b.json" --state "$T/s2" --schema "$T/wo.json" --events >"$T/w2.log" 2>&1 &
W=$!
check "watcher 2 ready" wait_for has "$T/w2.log" '"event":"ready"'
check "writeOnly masked in show" sh -c "'$H' show '$T/b.json' 1 --state '$T/s2' | grep -q '\"host\": \"\*\*\*\"'"
check "writeOnly: --reveal shows it" sh -c "'$H' show '$T/b.json' 1 --state '$T/s2' --reveal | grep -q internal.example"
stop_watch

# the watcher's (compiled) schema has the last word: a rollback it rejects
# exits 1 even when the CLI's own check passed
printf '{"port": 4, "db": {"host": "internal.example"}}\n' >"$T/b.json"
printf '{"type":"object","properties":{"port":{"maximum":4}}}\n' >"$T/max4.json"
printf '{}\n' >"$T/any.json"
: >"$T/w2.log" # not watcher 2's "ready"
"$H" watch "$T/b.json" --state "$T/s2" --schema "$T/max4.json" --events >"$T/w2.log" 2>&1 &
W=$!
check "watcher 3 ready" wait_for has "$T/w2.log" '"event":"ready"'
check "rollback the watcher rejects: 1" [ "$(rcof "$H" rollback "$T/b.json" --to 1 --schema "$T/any.json" --state "$T/s2")" = 1 ]
check "rollback rejected: says so" grep -q "the watcher refused it" "$T/e"
stop_watch
# the watcher's schema stays recorded after it stops: a rollback with no
# watcher and no --schema is still checked against it
check "rollback against the recorded schema: 1" [ "$(rcof "$H" rollback "$T/b.json" --to 1 --state "$T/s2")" = 1 ]
check "recorded schema named" grep -q "does not validate against .*max4.json" "$T/e"

check "verbs with no database: 1" [ "$(rcof "$H" history "$T/a.json" --state "$T/none")" = 1 ]

# last known good: the watcher restarted on an invalid file starts on the
# stored live version (the engine's store), and reports the error
printf '{"port": 7}\n' >"$T/c.json"
: >"$T/w3.log"
"$H" watch "$T/c.json" --state "$T/s3" --events >"$T/w3.log" 2>"$T/w3.err" &
W=$!
check "watcher 4 ready" wait_for has "$T/w3.log" '"event":"ready"'
stop_watch
printf '{"port": \n' >"$T/c.json"
: >"$T/w3.log" # not watcher 4's "ready"
"$H" watch "$T/c.json" --state "$T/s3" --events >"$T/w3.log" 2>"$T/w3.err" &
W=$!
check "lkg: ready" wait_for has "$T/w3.log" '"event":"ready"'
check "lkg: the error is reported" grep -q '"event":"rejected",.*c.json:2:1: ' "$T/w3.log"
check "lkg: version 1 live with trigger last_known_good" grep -q '"event":"applied","file":"[^"]*c.json","version":1,"trigger":"last_known_good"' "$T/w3.log"
check "lkg: log shows it" sh -c "'$H' log '$T/c.json' --state '$T/s3' --json | grep -q '^\[{[^}]*\"outcome\":\"applied\",\"version\":1,[^}]*\"trigger\":\"last_known_good\"'"
check "lkg: no new version" sh -c "'$H' history '$T/c.json' --state '$T/s3' --json | grep -q '^\[{\"version\":1,\"live\":true'"
check "lkg: status keeps the error" sh -c "'$H' status '$T/c.json' --state '$T/s3' --json | grep -q '\"version\":1,[^}]*\"last_error\":\"[^\"]*c.json:2:1: '"
stop_watch

# a secret value quoted in an error message is masked: --events, log,
# status and the dashboard (a schema error at /db/password, a parse error
# on the password's line)
printf '{"type":"object","properties":{"db":{"type":"object","properties":{"password":{"type":"integer"}}}}}\n' >"$T/pwint.json"
printf '{"db": {"password": 1}}\n' >"$T/m.json"
: >"$T/w4.log"
"$H" watch "$T/m.json" --state "$T/s4" --schema "$T/pwint.json" --events --dashboard-file "$T/dash.html" >"$T/w4.log" 2>"$T/w4.err" &
W=$!
check "watcher 5 ready" wait_for has "$T/w4.log" '"event":"ready"'
# every thread of the watcher (engine, store, dashboard) blocks SIGTERM:
# the signalfd gets it, never a thread's default action
term_blocked() {
  for st in /proc/"$1"/task/*/status; do
    b=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$st")
    [ -z "$b" ] && continue # the thread ended meanwhile
    [ $((0x${b#????????????} & 0x4000)) != 0 ] || return 1
  done
}
check "every watcher thread blocks SIGTERM" term_blocked "$W"
printf '{"db": {"password": "hunter9"}}\n' >"$T/m.json"
check "schema error reported" wait_for has "$T/w4.log" 'is not of type'
check "events: schema error masked" grep -qF '/db/password: \"***\" is not of type integer' "$T/w4.log"
check "dashboard: error masked" wait_for grep -q 'is not of type' "$T/dash.html"
check "dashboard: no secret" sh -c "! grep -q hunter '$T/dash.html'"
printf '{"db": {"password": hunter9}}\n' >"$T/m.json"
check "parse error reported" wait_for has "$T/w4.log" 'invalid token'
check "events: parse error masked" grep -qF "invalid token near '***'" "$T/w4.log"
check "events: no secret" sh -c "! grep -q hunter '$T/w4.log'"
"$H" log "$T/m.json" --state "$T/s4" >"$T/l4"
check "log: both masked" sh -c "grep -qF '\"***\" is not of type' '$T/l4' && grep -qF \"near '***'\" '$T/l4' && ! grep -q hunter '$T/l4'"
"$H" status "$T/m.json" --state "$T/s4" --json >"$T/s4o"
check "status: last error masked" sh -c "grep -qF \"near '***'\" '$T/s4o' && ! grep -q hunter '$T/s4o'"
stop_watch

echo "$n checks, $fails failed"
[ "$fails" = 0 ]
