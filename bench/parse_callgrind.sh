#!/bin/sh
# parse_callgrind.sh - instructions of hc_parse against the bare library
# (jansson's json_loadb; libfyaml's event loop) on bench_parse's small,
# medium and large inputs, counted by callgrind: a ratio that, unlike the
# MB/s of bench_parse, does not depend on the machine's load (it does not
# see cache misses or page faults either: read both).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}/bench/bench_parse
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
incl() {
  callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
    sed -n "s/^ *\([0-9,]*\) .*:$1 .*/\1/p" | head -1 | tr -d ,
}
printf '%-5s %-7s %14s %14s %7s\n' fmt size "hotconf Ir" "bare Ir" ratio
for f in json yaml; do
  for s in 0 1 2; do
    n=$(( s == 0 ? 200 : s == 1 ? 5 : 1 ))
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --count $f $s $n \
      >/dev/null 2>&1
    bare=bare_jansson
    [ $f = yaml ] && bare=bare_fyaml
    a=$(incl ours)
    b=$(incl $bare)
    name=$(echo small medium large | cut -d' ' -f$((s + 1)))
    awk -v f=$f -v s=$name -v a="$a" -v b="$b" -v n=$n 'BEGIN {
      printf "%-5s %-7s %14.0f %14.0f %6.2fx\n", f, s, a / n, b / n, a / b }'
  done
done
