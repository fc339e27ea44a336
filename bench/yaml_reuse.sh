#!/bin/sh
# yaml_reuse.sh - bench_yaml_reuse's times, then (with valgrind) the
# instructions per version of each step under callgrind, which unlike
# times do not depend on the machine's load. Arguments go to the program.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}/bench/bench_yaml_reuse
"$bin" "$@"
command -v valgrind >/dev/null 2>&1 || exit 0
n=50
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
for edit in v mid; do
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" -n $n $edit \
    >/dev/null 2>&1
  printf 'edit %-3s instructions per version:' $edit
  for s in full reuse diff_full diff_reuse free_full free_reuse; do
    ir=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null |
      sed -n "s/^ *\([0-9,]*\) .*:step_$s .*/\1/p" | head -1 | tr -d ,)
    printf ' %s %s' "$s" "$(( ${ir:-0} / n ))"
  done
  echo
done
