#!/bin/sh
# engine.sh - the watch engine benchmarks (scripts/bench.sh runs it from
# the top of the tree after `make`): latency per save pattern in-process
# and through `hotconf watch --events`, memory, idle cost, read throughput.
# ENGINE_N=... changes the number of changes per pattern (default 1000);
# B= and HOTCONF= point at another build (default build/bench, build/hotconf).
set -eu
B=${B:-build/bench}
"$B/bench_engine_latency" -n "${ENGINE_N:-1000}" --cli "${HOTCONF:-build/hotconf}"
"$B/bench_engine_memory"
"$B/bench_engine_idle" "${ENGINE_IDLE_SECONDS:-10}"
"$B/bench_engine_reads" "${ENGINE_READ_SECONDS:-2}"
