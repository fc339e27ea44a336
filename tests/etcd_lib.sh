# etcd_lib.sh - sourced by the etcd shell tests: start throwaway etcd
# members on free loopback ports in $T, stop them by PID (SIGKILL), and
# small checks. The caller sets T (a temp dir) and calls etcd_cleanup on
# exit. SKIPPED (77) only when etcd is not installed.
ETCD=/usr/bin/etcd
ETCDCTL=/usr/bin/etcdctl
if [ ! -x "$ETCD" ] || [ ! -x "$ETCDCTL" ]; then
  echo "SKIPPED: etcd-server / etcd-client not installed"; rm -rf "$T"; exit 77
fi
PIDS=
fails=0; n=0
etcd_cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null; rm -rf "$T"
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# etcd_start NAME SCHEME [extra etcd flags...]: sets CP (client port) and
# waits for /health (CTLFLAGS: extra etcdctl flags for the health check).
etcd_start() {
  name=$1; scheme=$2; shift 2
  CP=$(free_port); PP=$(free_port)
  "$ETCD" --name "$name" --data-dir "$T/$name.data" \
    --listen-client-urls "$scheme://127.0.0.1:$CP" --advertise-client-urls "$scheme://127.0.0.1:$CP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "$name=http://127.0.0.1:$PP" "$@" >"$T/$name.log" 2>&1 &
  PIDS="$PIDS $!"; EPID=$!
  etcd_wait "$name"
}
# etcd_restart NAME SCHEME [extra flags]: kill -9 the member etcd_start
# started last and start it again on the same ports and data.
etcd_restart() {
  name=$1; scheme=$2; shift 2
  kill -9 "$EPID"; wait "$EPID" 2>/dev/null
  "$ETCD" --name "$name" --data-dir "$T/$name.data" \
    --listen-client-urls "$scheme://127.0.0.1:$CP" --advertise-client-urls "$scheme://127.0.0.1:$CP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "$name=http://127.0.0.1:$PP" "$@" >>"$T/$name.log" 2>&1 &
  PIDS="$PIDS $!"; EPID=$!
  etcd_wait "$name"
}
etcd_wait() {
  i=0
  until ctl endpoint health >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: etcd did not start"; cat "$T/$1.log"; exit 1; }
    sleep 0.05
  done
}
ctl() { ETCDCTL_API=3 "$ETCDCTL" --endpoints="${SCHEME:-http}://127.0.0.1:$CP" ${CTLFLAGS:-} "$@"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect DESC WANT_RC WANT_STDERR_SUBSTRING -- CMD...
expect() {
  desc=$1; want_rc=$2; want_err=$3; shift 4
  n=$((n + 1))
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  err=$(cat "$T/err")
  if [ "$rc" != "$want_rc" ]; then
    fail "$desc: exit $rc, want $want_rc (stderr: $err)"; return
  fi
  case "$err" in
    *"$want_err"*) ;;
    *) fail "$desc: stderr '$err' lacks '$want_err'" ;;
  esac
}
# until_ok TRIES CMD...: runs CMD every 0.1 s until it succeeds (a bounded
# wait for something asynchronous, not a timing assertion).
until_ok() {
  tries=$1; shift
  while [ "$tries" -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    tries=$((tries - 1)); sleep 0.1
  done
  return 1
}
done_tests() { echo "$((n - fails))/$n passed"; [ $fails -eq 0 ]; }
