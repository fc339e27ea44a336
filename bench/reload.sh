#!/bin/sh
# reload.sh - the reload path step by step (bench_reload_steps) for ~10 KB
# JSON, YAML, INI and .env configs. CALLGRIND=1 also prints the
# instructions of each step per round (callgrind), which do not depend on
# the machine's load as times do.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}/bench/bench_reload_steps
"$bin" "$@"
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
  n=50
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT INT TERM
  for f in json yaml ini env; do
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" -n $n \
      --no-engine $f >/dev/null 2>&1
    printf '%-5s instructions per round:' "$f"
    for s in read hash parse reparse positions schema equal diff; do
      ir=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
        sed -n "s/^ *\([0-9,]*\) .*:step_$s .*/\1/p" | head -1 | tr -d ,)
      printf ' %s %s' "$s" "$(( ${ir:-0} / n ))"
    done
    echo
  done
fi
