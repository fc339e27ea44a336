#!/bin/sh
# test_cli.sh HOTCONF - the CLI contract of check, convert, get and diff,
# end to end on real files: exit codes, output lines, error format.
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

cat >"$T/a.json" <<'J'
{
  "service": {"port": 8080, "host": "api.local", "debug": false},
  "servers": [{"host": "a"}, {"host": "b"}],
  "labels": {"app.kubernetes.io/name": "web"}
}
J
cat >"$T/b.json" <<'J'
{
  "service": {"port": 9090, "host": "api.local", "debug": false, "tls": true},
  "servers": [{"host": "a"}],
  "labels": {"app.kubernetes.io/name": "web"}
}
J
printf '{\n  "a": 1,\n  "b": [1, }\n' >"$T/bad.json"
printf '{"a":1}' >"$T/noext.txt"

# ---- check
expect "check valid file is silent" 0 "" "" -- "$H" check "$T/a.json"
expect "check -v prints a summary" 0 "*" "" -- "$H" check -v "$T/a.json"
grep -q "a.json: ok" "$T/out" || { echo "FAIL: check -v summary"; fails=$((fails + 1)); }
expect "check bad file: FILE:LINE:COL: error:" 1 "" "$T/bad.json:3:" -- "$H" check "$T/bad.json"
grep -Eq "^$T/bad.json:3:[0-9]+: error: " "$T/err" || { echo "FAIL: error line format: $(cat "$T/err")"; fails=$((fails + 1)); }
expect "check several files, one bad" 1 "" "bad.json" -- "$H" check "$T/a.json" "$T/bad.json"
expect "check missing file" 1 "" "nope.json" -- "$H" check "$T/nope.json"
expect "check no file is a usage error" 2 "" "no FILE" -- "$H" check
expect "check unknown option is a usage error" 2 "" "unknown option" -- "$H" check --bogus "$T/a.json"
expect "check bad --format is a usage error" 2 "" "--format" -- "$H" check --format toml "$T/a.json"
expect "check --format overrides the name" 0 "" "" -- "$H" check --format json "$T/noext.txt"
expect "check --help" 0 "*" "" -- "$H" check --help

# ---- get
expect "get integer" 0 "8080" "" -- "$H" get "$T/a.json" service.port
expect "get string raw" 0 "api.local" "" -- "$H" get "$T/a.json" service.host
expect "get bool as JSON" 0 "false" "" -- "$H" get "$T/a.json" service.debug
expect "get array element" 0 "b" "" -- "$H" get "$T/a.json" 'servers[1].host'
expect "get key with dots" 0 "web" "" -- "$H" get "$T/a.json" 'labels["app.kubernetes.io/name"]'
expect "get object as JSON" 0 '{
  "host": "a"
}' "" -- "$H" get "$T/a.json" 'servers[0]'
expect "get missing path" 1 "" "not found" -- "$H" get "$T/a.json" service.nope
expect "get missing path with default" 0 "42" "" -- "$H" get "$T/a.json" service.nope --default 42
expect "get without PATH is a usage error" 2 "" "" -- "$H" get "$T/a.json"
expect "get on a bad file" 1 "" "bad.json:3:" -- "$H" get "$T/bad.json" a

# ---- diff
expect "diff equal files" 0 "" "" -- "$H" diff "$T/a.json" "$T/a.json"
expect "diff lists changes" 1 '~ service.port: 8080 -> 9090
+ service.tls = true
- servers[1] = {"host":"b"}' "" -- "$H" diff "$T/a.json" "$T/b.json"
expect "diff with a bad file is exit 2" 2 "" "bad.json" -- "$H" diff "$T/a.json" "$T/bad.json"
expect "diff needs two files" 2 "" "two files" -- "$H" diff "$T/a.json"

# ---- convert
expect "convert to json keeps order, 2-space indent" 0 '{
  "a": 1
}' "" -- "$H" convert "$T/noext.txt" --format json --to json
expect "convert needs --to" 2 "" "--to" -- "$H" convert "$T/a.json"
expect "convert bad --to" 2 "" "--to" -- "$H" convert "$T/a.json" --to toml
expect "convert bad file" 1 "" "bad.json:3:" -- "$H" convert "$T/bad.json" --to json

# ---- INI and .env through the CLI
printf '; c\nname = svc\n[server]\nport = 8080\nratio = 0.5\n' >"$T/s.ini"
printf 'SERVICE__PORT=8080\nexport SERVICE__HOST=h\nNAME="a b"\n' >"$T/s.env"
printf '[server\nport=1\n' >"$T/bad.ini"
printf 'A=1\nB C\n' >"$T/bad.env"
expect "ini to json" 0 '{
  "name": "svc",
  "server": {
    "port": 8080,
    "ratio": 0.5
  }
}' "" -- "$H" convert "$T/s.ini" --to json
expect "env nested with --env-nest" 0 '{
  "SERVICE": {
    "PORT": 8080,
    "HOST": "h"
  },
  "NAME": "a b"
}' "" -- "$H" convert "$T/s.env" --env-nest __ --to json
expect "env flat by default" 0 "8080" "" -- "$H" get "$T/s.env" SERVICE__PORT
expect "ini parse error has line and column" 1 "" "$T/bad.ini:1:1: error:" -- "$H" check "$T/bad.ini"
expect "env parse error has line and column" 1 "" "$T/bad.env:2:3: error:" -- "$H" check "$T/bad.env"
expect "nested document to ini is exit 1" 1 "" "cannot" -- "$H" convert "$T/a.json" --to ini
expect "nested document to env is exit 1" 1 "" "cannot" -- "$H" convert "$T/s.ini" --to env
"$H" convert "$T/s.ini" --to env --env-nest __ >"$T/back.env" 2>"$T/err"
expect "ini -> env (--env-nest) -> back is equal" 0 "" "" -- "$H" diff --env-nest __ "$T/s.ini" "$T/back.env"
"$H" convert "$T/s.ini" --to ini >"$T/back.ini"
expect "ini -> ini round trip is equal" 0 "" "" -- "$H" diff "$T/s.ini" "$T/back.ini"
expect "diff across formats" 1 '~ server.port: 8080 -> 9090' "" -- sh -c "printf 'name=svc\n[server]\nport=9090\nratio=0.5\n' >'$T/t.ini'; '$H' diff '$T/s.ini' '$T/t.ini'"

# ---- YAML through the CLI
printf 'base: &b\n  retries: 3\nservice:\n  <<: *b\n  port: 8080\n  name: "8080"\n' >"$T/s.yaml"
printf 'a: 1\nb: c: d\n' >"$T/bad.yaml"
printf 'a: 1\n---\nb: 2\n' >"$T/multi.yaml"
expect "yaml merge key and quoted number" 0 '{
  "base": {
    "retries": 3
  },
  "service": {
    "retries": 3,
    "port": 8080,
    "name": "8080"
  }
}' "" -- "$H" convert "$T/s.yaml" --to json
expect "yaml parse error has line and column" 1 "" "$T/bad.yaml:2:" -- "$H" check "$T/bad.yaml"
expect "yaml multi-document stream is an error" 1 "" "document" -- "$H" check "$T/multi.yaml"
"$H" convert "$T/a.json" --to yaml >"$T/a.yaml"
expect "json -> yaml -> equal" 0 "" "" -- "$H" diff "$T/a.json" "$T/a.yaml"
expect "get through yaml" 0 "8080" "" -- "$H" get "$T/s.yaml" service.name

# ---- top level
expect "--version" 0 "*" "" -- "$H" --version
grep -Eq '^hotconf [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || { echo "FAIL: --version output"; fails=$((fails + 1)); }
expect "unknown verb" 2 "" "unknown verb" -- "$H" frobnicate
for v in check convert get diff; do
  expect "$v --help" 0 "*" "" -- "$H" "$v" --help
done

# ---- issue 8: what a new user tripped over
printf '{"type":"object","properties":{"port":{"type":"integer","minimum":1024}}}' >"$T/p.schema.json"
printf 'name: x\nport: 80\n' >"$T/p.yaml"
expect "check --schema prints FILE:LINE:COL: /pointer: message" 1 "" \
  "$T/p.yaml:2:7: /port: 80 is less than the minimum of 1024" -- "$H" check --schema "$T/p.schema.json" "$T/p.yaml"
mkdir -p "$T/conf.d"
# issue 14: folders and globs are read; one that names no config says so
expect "check an empty directory: says so" 1 "" "no config file matches" -- "$H" check "$T/conf.d"
expect "check a glob matching nothing: says so" 1 "" "no config file matches" -- "$H" check "$T/*.toml"
printf '{"a":1}' >"$T/lit*.json"
expect "check a file literally named with '*' is read" 0 "" "" -- "$H" check "$T/lit*.json"
printf '[s]\nv = 1\n' >"$T/p.ini"
expect "check --format names the files after it only" 0 "" "" -- "$H" check "$T/p.ini" --format yaml "$T/noext.txt"
expect "check --format after the last file is a usage error" 2 "" "none follows" -- "$H" check "$T/noext.txt" --format json
expect "help VERB shows that verb's help" 0 "*" "" -- "$H" help watch
grep -q "^usage: hotconf watch" "$T/out" || { echo "FAIL: help watch: $(head -1 "$T/out")"; fails=$((fails + 1)); }
expect "help VERB for each verb" 0 "*" "" -- "$H" help check
grep -q "^usage: hotconf check" "$T/out" || { echo "FAIL: help check"; fails=$((fails + 1)); }
expect "help on an unknown verb suggests" 2 "" "did you mean 'diff'?" -- "$H" help dif
expect "unknown verb suggests the closest" 2 "" "unknown verb 'wacth' (did you mean 'watch'?)" -- "$H" wacth x.json
expect "unknown verb far from all: no suggestion" 2 "" "unknown verb 'frobnicate'" -- "$H" frobnicate
grep -q "did you mean" "$T/err" && { echo "FAIL: suggestion for frobnicate"; fails=$((fails + 1)); }
expect "unknown option suggests the closest" 2 "" "unknown option '--shcema' (did you mean '--schema'?)" -- "$H" check --shcema s.json "$T/a.json"
expect "operator verbs suggest the closest option too" 2 "" "unknown option '--jsn' (did you mean '--json'?)" -- "$H" history --jsn x
expect "push suggests the closest option" 2 "" "unknown option '--forse' (did you mean '--force'?)" -- "$H" push --forse
expect "unknown watch option suggests" 2 "" "did you mean '--events'?" -- "$H" watch --evnets "$T/a.json"
expect "unknown get option suggests" 2 "" "did you mean '--default'?" -- "$H" get --defualt 1 "$T/a.json" a

echo "test_cli: $((n - fails))/$n passed"
[ "$fails" = 0 ]
