#!/bin/sh
# test_etcd_secure.sh HOTCONF - etcd with auth (root user, simple tokens
# that expire after 1 s, so every later call needs a fresh token) and etcd
# with TLS (a CA, server and client certificates made here with openssl,
# client certificates required): push, history, rollback, watch and the
# rollout report go through both; without the credentials they are
# refused with a clear error.
set -u
H=$1
T=$(mktemp -d)
. "$(dirname "$0")/etcd_lib.sh"
trap etcd_cleanup EXIT
command -v openssl >/dev/null || { echo "SKIPPED: no openssl"; exit 77; }

# ---- auth -------------------------------------------------------------------
etcd_start auth http --auth-token-ttl 1
ctl user add root --new-user-password=s3cret >/dev/null || fail "user add"
ctl role add root >/dev/null && ctl user grant-role root root >/dev/null || fail "root role"
ctl auth enable >/dev/null || fail "auth enable"
URL="etcd://127.0.0.1:$CP/app.json"
printf 's3cret\n' >"$T/pw"; chmod 600 "$T/pw"
printf 'wrong\n' >"$T/badpw"; chmod 600 "$T/badpw"
printf '{"port": 1}\n' >"$T/v1.json"
printf '{"port": 2}\n' >"$T/v2.json"
AUTH="--etcd-user root --etcd-password-file $T/pw"
expect "no credentials" 1 "auth is enabled" -- "$H" push "$T/v1.json" "$URL"
expect "wrong password" 1 "authentication failed" -- \
  "$H" push "$T/v1.json" "$URL" --etcd-user root --etcd-password-file "$T/badpw"
expect "password on the command line" 2 "password-file" -- \
  "$H" push "$T/v1.json" "$URL" --etcd-user root --etcd-password s3cret
expect "password file without user" 2 "needs --etcd-user" -- \
  "$H" push "$T/v1.json" "$URL" --etcd-password-file "$T/pw"
# shellcheck disable=SC2086
expect "push with auth" 0 "" -- "$H" push "$T/v1.json" "$URL" $AUTH
expect "watch with a wrong password fails at once" 2 "authentication failed" -- \
  "$H" watch "$URL" --etcd-user root --etcd-password-file "$T/badpw"
HOTCONF_ETCD_PASSWORD_FILE=$T/pw expect "password file from the environment" 0 "" -- \
  "$H" history "$URL" --etcd-user root
# shellcheck disable=SC2086
"$H" watch "$URL" --events --node a1 $AUTH >"$T/wa.out" 2>"$T/wa.err" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
on_rev() { "$H" rollout status "$URL" $AUTH; }
until_ok 300 on_rev || fail "auth: the watcher did not report"
sleep 1.5 # the watcher's and our tokens expire: the next calls re-authenticate
# shellcheck disable=SC2086
expect "push --wait with auth, after the tokens expired" 0 "" -- \
  "$H" push "$T/v2.json" "$URL" --wait=30 $AUTH
grep -q '"new":2' "$T/wa.out" || fail "auth: the watcher did not apply v2: $(cat "$T/wa.out" "$T/wa.err")"
# shellcheck disable=SC2086
expect "rollback with auth" 0 "" -- "$H" rollback "$URL" $AUTH
[ "$(ctl --user root:s3cret get --print-value-only app.json)" = '{"port": 1}' ] || fail "auth rollback"
n=$((n + 2))
# etcd restarted: every simple token it gave is gone, so the watcher's
# resumed watch and its reporter are refused once and authenticate again.
CTLFLAGS="--user root:s3cret" # etcdctl's health check needs it too now
etcd_restart auth http --auth-token-ttl 1
ctl put app.json '{"port": 5}' >/dev/null
R5=$(ctl get app.json -w json | sed 's/.*"mod_revision":\([0-9]*\).*/\1/')
on_r5() { "$H" rollout status "$URL" --json $AUTH | grep -q "\"node\":\"a1\",\"revision\":$R5,"; }
until_ok 300 on_r5 || fail "auth: after a restart the watcher did not apply and report $R5: $(cat "$T/wa.err")"
grep -q '"new":5' "$T/wa.out" || fail "auth: after a restart: $(cat "$T/wa.out")"
CTLFLAGS=
printf '{"port": 3}\n' >"$T/v3.json"; chmod 644 "$T/pw"
# shellcheck disable=SC2086
expect "a password file others can read is warned about" 0 "readable by others" -- \
  "$H" push "$T/v3.json" "$URL" $AUTH

# ---- TLS --------------------------------------------------------------------
C=$T/certs; mkdir -p "$C"
ssl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1"; }
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.pem" -days 1 -subj /CN=test-ca
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$C/ext"
for who in server client; do
  ssl req -newkey rsa:2048 -nodes -keyout "$C/$who.key" -out "$C/$who.csr" -subj "/CN=$who"
  ssl x509 -req -in "$C/$who.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
    -out "$C/$who.pem" -days 1 -extfile "$C/ext"
done
SCHEME=https CTLFLAGS="--cacert $C/ca.pem --cert $C/client.pem --key $C/client.key"
etcd_start tls https --cert-file "$C/server.pem" --key-file "$C/server.key" \
  --trusted-ca-file "$C/ca.pem" --client-cert-auth
URL="etcd://127.0.0.1:$CP/app.json"
TLS="--etcd-cacert $C/ca.pem --etcd-cert $C/client.pem --etcd-key $C/client.key"
expect "TLS port without TLS" 1 "etcd" -- "$H" push "$T/v1.json" "$URL"
expect "TLS without a client certificate" 1 "etcd" -- \
  "$H" push "$T/v1.json" "$URL" --etcd-cacert "$C/ca.pem"
expect "TLS with an unknown CA" 1 "etcd" -- \
  "$H" push "$T/v1.json" "$URL" --etcd-cacert "$C/client.pem" --etcd-cert "$C/client.pem" --etcd-key "$C/client.key"
expect "key without cert" 2 "needs --etcd-cert" -- "$H" push "$T/v1.json" "$URL" --etcd-key "$C/client.key"
# shellcheck disable=SC2086
expect "push over TLS" 0 "" -- "$H" push "$T/v1.json" "$URL" $TLS
# shellcheck disable=SC2086
"$H" watch "$URL" --events --node t1 $TLS >"$T/wt.out" 2>"$T/wt.err" &
PIDS="$PIDS $!"
# shellcheck disable=SC2086
on_tls() { "$H" rollout status "$URL" $TLS; }
until_ok 300 on_tls || fail "TLS: the watcher did not report"
# shellcheck disable=SC2086
expect "push --wait over TLS" 0 "" -- "$H" push "$T/v2.json" "$URL" --wait=30 $TLS
grep -q '"new":2' "$T/wt.out" || fail "TLS: the watcher did not apply v2: $(cat "$T/wt.out" "$T/wt.err")"
# shellcheck disable=SC2086
expect "history over TLS" 0 "" -- "$H" history "$URL" --json $TLS
[ "$(grep -o '"version"' "$T/out" | wc -l)" = 2 ] || fail "TLS history: $(cat "$T/out")"
done_tests
