#!/bin/sh
# test_http_cli.sh HOTCONF - hotconf dashboard --export and
# hotconf watch --dashboard-file / --http, as processes on real files.
set -eu
bin=$1
t=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf '{"name":"<script>alert(1)</script>","db":{"password":"hunter2"}}' > "$t/app.json"
printf 'A=1\nAPI_TOKEN=zzz-secret\n' > "$t/x.env"
printf '{"broken":' > "$t/bad.json"

# export: one self-contained page, escaped, masked; a broken config shown, not fatal
"$bin" dashboard --export "$t/out.html" "$t/app.json" "$t/x.env" "$t/bad.json" 2>"$t/err" ||
  fail "export failed: $(cat "$t/err")"
grep -q 'http-equiv="refresh" content="5"' "$t/out.html" || fail "no refresh"
grep -q '\\u003cscript>alert(1)' "$t/out.html" || fail "value not escaped"
! grep -q '<script>alert(1)' "$t/out.html" || fail "raw markup in the page"
! grep -q 'hunter2\|zzz-secret' "$t/out.html" || fail "secret in the page"
! grep -q 'src="/' "$t/out.html" || fail "page needs a server"
grep -q '"status":"rejected"' "$t/out.html" || fail "broken config not shown"
[ "$(stat -c %a "$t/out.html")" = 644 ] || fail "mode"

# usage errors
"$bin" dashboard "$t/app.json" 2>/dev/null && fail "no --export accepted"
"$bin" dashboard --export "$t/o.html" 2>/dev/null && fail "no config accepted"
"$bin" watch "$t/app.json" --http nope 2>/dev/null && fail "bad --http accepted"
"$bin" watch "$t/app.json" --http-token short 2>/dev/null && fail "short token accepted"

# watch --dashboard-file rewrites the page after a change
# (the token is given: as root the default token file is /var/lib/hotconf's;
# test_http.c covers the file)
"$bin" watch "$t/app.json" --dashboard-file "$t/live.html" \
  --http 127.0.0.1:0 --http-token cli-test-token-0123456789 >/dev/null 2>"$t/watch.err" &
pid=$!
until grep -q 'dashboard on http://127.0.0.1:' "$t/watch.err"; do sleep 0.05; done
grep -q "#token=cli-test-token-0123456789" "$t/watch.err" || fail "token not in URL"
until [ -f "$t/live.html" ] && grep -q '"version":1' "$t/live.html"; do sleep 0.05; done
printf '{"name":"two","db":{"password":"pw"}}' > "$t/app.json"
until grep -q '"version":2' "$t/live.html"; do sleep 0.05; done
kill "$pid"
wait "$pid" || true
pid=
echo "test_http_cli: OK"
