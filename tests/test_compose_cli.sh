#!/bin/sh
# test_compose_cli.sh HOTCONF - layer options of get and check end to end:
# --defaults, --env, --set, folders and globs, --explain, errors at the
# layer file's line:col.
set -u
H=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

# expect DESC WANT_RC WANT_STDOUT WANT_STDERR_SUBSTRING -- CMD...
expect() {
  desc=$1; want_rc=$2; want_out=$3; want_err=$4; shift 5
  n=$((n + 1))
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  out=$(cat "$T/out"); err=$(cat "$T/err")
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL: $desc: exit $rc, want $want_rc (stderr: $err)"; fails=$((fails + 1)); return
  fi
  if [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then
    printf 'FAIL: %s: stdout\n--- got\n%s\n--- want\n%s\n' "$desc" "$out" "$want_out"; fails=$((fails + 1)); return
  fi
  case "$err" in
    *"$want_err"*) ;;
    *) echo "FAIL: $desc: stderr '$err' lacks '$want_err'"; fails=$((fails + 1)); return ;;
  esac
}

cd "$T" || exit 1
mkdir conf.d
printf 'service:\n  port: 80\n  host: a\nlog: info\n' >d.yaml
printf 'service:\n  port: 8080\nlist: [1, 2]\n' >config.yaml
printf 'service:\n  name: x\n' >conf.d/10-a.yaml
printf 'log: debug\n' >conf.d/20-b.yaml
printf 'log: [broken\n' >conf.d/.20-b.yaml.swp
printf 'log: [broken\n' >'conf.d/#20-b.yaml#'
cat >s.json <<'J'
{"type":"object","properties":{"service":{"type":"object","properties":{"port":{"type":"integer","maximum":65535}}}}}
J

expect "4 layers, env over the file" 0 "9090
from env:APP_SERVICE__PORT" "" -- \
  env APP_SERVICE__PORT=9090 "$H" get --defaults d.yaml --env APP_ config.yaml 'conf.d/*.yaml' service.port --explain
expect "file over defaults, explained with line:col" 0 "8080
from config.yaml:2:9" "" -- \
  "$H" get --defaults d.yaml config.yaml conf.d service.port --explain
expect "defaults named defaults" 0 "a
from defaults (d.yaml:3:9)" "" -- \
  "$H" get --defaults d.yaml config.yaml conf.d service.host --explain
expect "conf.d in lexical order, swap files ignored" 0 "debug
from conf.d/20-b.yaml:1:6" "" -- \
  "$H" get config.yaml conf.d log --explain
expect "--set over everything" 0 "warn
from override" "" -- \
  env APP_LOG=error "$H" get --env APP --set log=warn config.yaml conf.d log --explain
expect "--env-sep" 0 "7" "" -- \
  env APP_SERVICE_PORT=7 "$H" get --env APP_ --env-sep _ config.yaml service.port
expect "an object's contributors" 0 '{
  "port": 8080,
  "host": "a",
  "name": "x"
}
from conf.d/10-a.yaml:2:3
  and config.yaml:2:3
  and defaults (d.yaml:2:3)' "" -- \
  "$H" get --defaults d.yaml config.yaml conf.d service --explain
expect "layers only, no file" 0 "3" "" -- \
  env APP_A=3 "$H" get --env APP_ a
expect "a missing path" 1 "" "path 'nope' not found" -- \
  "$H" get config.yaml conf.d nope
expect "--set without =" 2 "" "--set needs PATH=VALUE" -- \
  "$H" get --set nope config.yaml x
printf 'a: [1\n' >conf.d/30-bad.yaml
expect "a layer's parse error at its file:line:col" 1 "" "conf.d/30-bad.yaml:1:4: error:" -- \
  "$H" get config.yaml conf.d a
rm conf.d/30-bad.yaml

expect "check: merged, schema error in the env layer" 1 "" \
  "env:APP_SERVICE__PORT: /service/port: 99999 is greater than the maximum of 65535" -- \
  env APP_SERVICE__PORT=99999 "$H" check --schema s.json --defaults d.yaml --env APP_ config.yaml conf.d
printf 'service:\n  port: 70000\n' >conf.d/30-c.yaml
expect "check --merge: the error at the layer file" 1 "" \
  "conf.d/30-c.yaml:2:9: /service/port: 70000 is greater than the maximum of 65535" -- \
  "$H" check --schema s.json --merge config.yaml conf.d
expect "check: a folder checks its files one by one" 0 "conf.d/10-a.yaml: ok (yaml, object with 1 entries)
conf.d/20-b.yaml: ok (yaml, object with 1 entries)
conf.d/30-c.yaml: ok (yaml, object with 1 entries)" "" -- \
  "$H" check -v conf.d
expect "check: each file alone against the schema" 1 "" "conf.d/30-c.yaml:2:9:" -- \
  "$H" check --schema s.json conf.d
rm conf.d/30-c.yaml
expect "check: merged and valid" 0 "(merged): ok (object with 3 entries)" "" -- \
  "$H" check -v --schema s.json --defaults d.yaml config.yaml conf.d
expect "check: override of the wrong type" 1 "" 'override: /service/port: "x" is not of type integer' -- \
  "$H" check --schema s.json --set service.port=x config.yaml

# ---- watch: folders, globs and merged layers
# wait_for FILE TEXT: until FILE holds TEXT (10 s at most)
wait_for() {
  i=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05; i=$((i + 1))
  done
  n=$((n + 1))
  grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2':"; cat "$1"; fails=$((fails + 1)); }
}
mkdir w.d
printf 'a: 1\n' >w.d/10-a.yaml
"$H" watch --events 'w.d/*.yaml' >w.out 2>w.err &
wpid=$!
wait_for w.out '"event":"ready","files":["w.d/10-a.yaml"]'
printf 'x: [\n' >w.d/.20-b.yaml.swp
printf 'b: 1\n' >w.d/20-b.yaml
wait_for w.out '{"event":"added","file":"w.d/20-b.yaml"}'
wait_for w.out '"file":"w.d/20-b.yaml","version":1'
rm w.d/10-a.yaml
wait_for w.out '{"event":"removed","file":"w.d/10-a.yaml"}'
kill $wpid; wait $wpid 2>/dev/null
n=$((n + 1))
if grep -q 'swp' w.out; then echo "FAIL: a swap file was watched"; fails=$((fails + 1)); fi

APP_SERVICE__PORT=9090 "$H" watch --events --schema s.json --defaults d.yaml --env APP_ \
  --merged-file "$T/merged.json" config.yaml 'conf.d/*.yaml' >m.out 2>m.err &
wpid=$!
wait_for m.out "\"event\":\"ready\",\"files\":[\"$T/merged.json\"]"
printf 'log: trace\n' >conf.d/30-c.yaml
wait_for m.out '"version":2,"trigger":"rename","layer":"conf.d/30-c.yaml"'
printf 'port: 80\n' >d.yaml
wait_for m.out '"version":3,"trigger":"rename","layer":"defaults"'
printf 'log: [\n' >conf.d/40-d.yaml
wait_for m.out '"event":"rejected"'
wait_for m.out '"error":"conf.d/40-d.yaml:1:'
rm conf.d/40-d.yaml conf.d/30-c.yaml
kill $wpid; wait $wpid 2>/dev/null

echo "$((n - fails))/$n passed"
[ "$fails" -eq 0 ]
