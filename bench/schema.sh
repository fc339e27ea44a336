#!/bin/sh
# schema.sh - validations/s of hotconf's JSON Schema validator and of Ajv
# (npm) on the same schemas and documents, in one run: the 2020-12 schema
# bench/schema/service.schema.json and its draft-07 form
# (service.draft07.schema.json: definitions, dependencies, $ref in allOf),
# bench/schema/service.json (a ~5 KB service config) and a ~1 MB document
# generated from it. Needs a build with bench/schema.cmake (BUILD_DIR,
# default build/) and node + npm (Ajv is installed into bench/ajv/).
# CALLGRIND=1 also prints hotconf's instructions per validation (verdict
# only), which, unlike times, do not depend on the machine's load.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bin=$build/bench/bench_schema
if [ ! -x "$bin" ]; then
  echo "schema.sh: $bin not found; build first (make)" >&2
  exit 1
fi
if [ ! -d "$root/bench/ajv/node_modules/ajv" ]; then
  npm install --prefix "$root/bench/ajv" --no-audit --no-fund --silent
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
schema=$root/bench/schema/service.schema.json
"$bin" --generate "$root/bench/schema/service.json" "$tmp/large-1mb.json" 1048576
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m), $(nproc) cpus, node $(node --version)"
for s in "$schema" "$root/bench/schema/service.draft07.schema.json"; do
  "$bin" "$s" "$root/bench/schema/service.json" "$tmp/large-1mb.json"
  node "$root/bench/ajv/bench.js" "$s" "$root/bench/schema/service.json" "$tmp/large-1mb.json"
done
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
  for doc in "$root/bench/schema/service.json:2000" "$tmp/large-1mb.json:5"; do
    n=${doc##*:}
    f=${doc%:*}
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      --toggle-collect=hc_schema_validate "$bin" --count "$n" "$schema" "$f" \
      2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "hotconf  $(basename "$f"): $((ir / n)) instructions per validation (callgrind)"
  done
fi
