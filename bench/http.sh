#!/bin/sh
# http.sh - the dashboard benchmark (scripts/bench.sh runs it after make):
# requests/s of /api/stats, /metrics, /api/configs; detect-to-callback
# p50/p99 with no SSE client and with 10. HTTP_N= changes, HTTP_SECONDS=.
set -eu
B=${B:-build/bench}
[ -x "$B/bench_http" ] || { echo "bench_http not built (HC_WITH_HTTP=OFF)"; exit 0; }
"$B/bench_http" -n "${HTTP_N:-300}" -s "${HTTP_SECONDS:-3}"
