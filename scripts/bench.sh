#!/bin/sh
# bench.sh - run every benchmark program (make bench); paste the output into
# bench/RESULTS.md with the date and machine. BENCH_ONLY=name runs one.
set -eu
B=build/bench
machine="$(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $(date -u +%Y-%m-%d) on $machine"
run() { [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$1" ]; }
if run parse; then echo "## parse"; "$B/bench_parse"; fi
if run schema && [ -x bench/schema.sh ]; then echo "## schema"; sh bench/schema.sh; fi
# the reload path step by step, and through the engine (issue 15's 50 us / 100 us)
if run reload && [ -x "$B/bench_reload_steps" ]; then
  echo "## reload"; "$B/bench_reload_steps" -n 1000 json yaml ini env
  "$B/bench_reload_steps" -n 500 --engine-only --no-schema json yaml
  "$B/bench_reload_steps" -n 500 --engine-only --rewrite json yaml
fi
if run state && [ -x "$B/bench_state" ]; then echo "## state"; "$B/bench_state" -n 1000 --cli build/hotconf; fi
for s in bench/engine*.sh; do
  [ -f "$s" ] || continue
  if run engine; then echo "## $(basename "$s" .sh)"; sh "$s"; fi
done
if run http && [ -f bench/http.sh ]; then echo "## http"; sh bench/http.sh; fi
if run yaml_reuse && [ -f bench/yaml_reuse.sh ]; then echo "## yaml_reuse"; sh bench/yaml_reuse.sh; fi
