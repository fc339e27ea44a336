#!/bin/sh
# test_etcd_push.sh HOTCONF - hotconf push against a real etcd: written
# (exit 0), invalid file or schema refused with nothing written (1), a
# compare-and-swap conflict refused and named (1), --force, usage (2).
# etcd runs on free loopback ports in a temp data dir, stopped by PID
# with SIGKILL. SKIPPED (77) only when etcd is not installed.
set -u
H=$1
ETCD=/usr/bin/etcd
ETCDCTL=/usr/bin/etcdctl
if [ ! -x "$ETCD" ] || [ ! -x "$ETCDCTL" ]; then
  echo "SKIPPED: etcd-server / etcd-client not installed"; exit 77
fi
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
CP=$(free_port); PP=$(free_port)
"$ETCD" --name n1 --data-dir "$T/data" \
  --listen-client-urls "http://127.0.0.1:$CP" --advertise-client-urls "http://127.0.0.1:$CP" \
  --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
  --initial-cluster "n1=http://127.0.0.1:$PP" >"$T/etcd.log" 2>&1 &
PID=$!
ctl() { ETCDCTL_API=3 "$ETCDCTL" --endpoints="http://127.0.0.1:$CP" "$@"; }
i=0
until ctl endpoint health >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "FAIL: etcd did not start"; cat "$T/etcd.log"; exit 1; }
  sleep 0.05
done
URL="etcd://127.0.0.1:1,127.0.0.1:$CP/app.json" # the first endpoint is dead
fails=0; n=0

# expect DESC WANT_RC WANT_STDERR_SUBSTRING -- CMD...
expect() {
  desc=$1; want_rc=$2; want_err=$3; shift 4
  n=$((n + 1))
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  err=$(cat "$T/err")
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL: $desc: exit $rc, want $want_rc (stderr: $err)"; fails=$((fails + 1)); return
  fi
  case "$err" in
    *"$want_err"*) ;;
    *) echo "FAIL: $desc: stderr '$err' lacks '$want_err'"; fails=$((fails + 1)) ;;
  esac
}
value() { ctl get --print-value-only app.json; }
modrev() { ctl get -w json app.json | sed 's/.*"mod_revision":\([0-9]*\).*/\1/'; }

printf '{"port": 8080}\n' >"$T/good.json"
printf '{"port": 80\n' >"$T/broken.json"
printf '{"port": "http"}\n' >"$T/bad.json"
printf '{"type":"object","properties":{"port":{"type":"integer"}}}\n' >"$T/schema.json"

expect "usage: no url" 2 "needs FILE" -- "$H" push "$T/good.json"
expect "usage: not etcd" 2 "not an etcd" -- "$H" push "$T/good.json" http://x/y
expect "first push" 0 "" -- "$H" push "$T/good.json" "$URL" --schema "$T/schema.json"
[ "$(value)" = '{"port": 8080}' ] || { echo "FAIL: value after push: $(value)"; fails=$((fails + 1)); }
R1=$(modrev)
expect "parse error refused" 1 "broken.json:2:1" -- "$H" push "$T/broken.json" "$URL"
expect "schema error refused" 1 "bad.json is invalid" -- "$H" push "$T/bad.json" "$URL" --schema "$T/schema.json"
[ "$(modrev)" = "$R1" ] || { echo "FAIL: a refused push wrote"; fails=$((fails + 1)); }

# CAS conflict: our edit is based on R1, someone else wrote since.
ctl put app.json '{"port": 9090}' >/dev/null
printf '{"port": 7070}\n' >"$T/mine.json"
expect "CAS conflict" 1 "someone else wrote first: expected mod_revision $R1" -- \
  "$H" push "$T/mine.json" "$URL" --expect-revision "$R1"
[ "$(value)" = '{"port": 9090}' ] || { echo "FAIL: conflict overwrote: $(value)"; fails=$((fails + 1)); }
expect "push on the revision read" 0 "" -- "$H" push "$T/mine.json" "$URL"
expect "force + expect clash" 2 "clash" -- "$H" push "$T/good.json" "$URL" --force --expect-revision 1
expect "force" 0 "" -- "$H" push "$T/good.json" "$URL" --force
expect "new key must not exist" 1 "someone else wrote first" -- \
  "$H" push "$T/good.json" "etcd://127.0.0.1:$CP/app.json" --expect-revision 0

echo "$((n - fails))/$n passed"
[ $fails -eq 0 ]
