#!/bin/sh
# etcd.sh [BUILD_DIR] - starts a throwaway etcd on free loopback ports and
# runs bench_etcd_latency against it (20 watchers, 200 puts).
set -eu
B=${1:-build}
T=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CP=$(port); PP=$(port)
etcd --name b --data-dir "$T/d" --listen-client-urls "http://127.0.0.1:$CP" \
  --advertise-client-urls "http://127.0.0.1:$CP" --listen-peer-urls "http://127.0.0.1:$PP" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PP" --initial-cluster "b=http://127.0.0.1:$PP" \
  >"$T/log" 2>&1 &
PID=$!
trap 'kill -9 $PID 2>/dev/null; rm -rf "$T"' EXIT
until ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:$CP" endpoint health >/dev/null 2>&1; do sleep 0.05; done
"$B/bench/bench_etcd_latency" "etcd://127.0.0.1:$CP/bench.json" "${N:-20}" "${ROUNDS:-200}" "${STATUS:-0}"
