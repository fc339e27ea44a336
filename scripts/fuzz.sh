#!/bin/sh
# fuzz.sh build          build the libFuzzer targets into build-fuzz/
# fuzz.sh smoke RUNS     build, then run each target for RUNS inputs from a
#                        fresh corpus with a fixed seed: the same inputs on
#                        every machine, so `make test` cannot fail at random
# fuzz.sh long SECONDS   run each target for SECONDS, growing fuzz/corpus-*
#                        (random: for hunting, not for CI)
# Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev);
# without them the smoke run says SKIPPED and succeeds. Leaks inside
# libfyaml itself are suppressed (fuzz/lsan.supp); ours are not.
set -eu
mode=${1:-build}
amount=${2:-}
if ! command -v clang >/dev/null 2>&1 ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: SKIPPED (clang's libFuzzer runtime is not installed)"
  exit 0
fi
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
      -DHC_SANITIZE=fuzzer -DHC_FUZZ=ON -DHC_BUILD_TESTS=OFF -DHC_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
[ "$mode" = build ] && { echo "fuzz: targets in build-fuzz/"; exit 0; }
mkdir -p build-fuzz/logs
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS="suppressions=$(pwd)/fuzz/lsan.supp:print_suppressions=0"
# FUZZ_TARGETS="env schema" runs only those
for fmt in ${FUZZ_TARGETS:-json yaml ini env jsonc schema}; do
  name=fuzz_$fmt
  t=build-fuzz/$name
  seeds="fuzz/seeds/$fmt"
  if [ "$mode" = smoke ]; then
    corpus=$(mktemp -d)
    runs=${amount:-100000}
    # the schema target compiles a schema per input (~400 exec/s): a third
    # of the inputs keeps its smoke run at a few minutes
    [ "$fmt" = schema ] && runs=$((runs / 3))
    limit="-runs=$runs -seed=1"
    echo "fuzz: $name, $runs inputs (seed 1)"
  else
    corpus="fuzz/corpus-$name"
    mkdir -p "$corpus"
    limit="-max_total_time=${amount:-60}"
    echo "fuzz: $name for ${amount:-60}s"
  fi
  # shellcheck disable=SC2086
  "$t" $limit -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=0 -artifact_prefix=build-fuzz/ "$corpus" \
    $( [ -d "$seeds" ] && echo "$seeds" ) >"build-fuzz/logs/$name.log" 2>&1 || {
      tail -n 50 "build-fuzz/logs/$name.log"; echo "fuzz: $name FAILED"
      [ "$mode" = smoke ] && rm -rf "$corpus"; exit 1; }
  [ "$mode" = smoke ] && rm -rf "$corpus"
  grep -E '^(#[0-9]+.*DONE|Done)' "build-fuzz/logs/$name.log" | tail -n 1 || true
done
echo "fuzz: $mode passed"
