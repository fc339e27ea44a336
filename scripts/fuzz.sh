#!/bin/sh
# fuzz.sh build          build the libFuzzer targets into build-fuzz/
# fuzz.sh smoke SECONDS  build, then run each target for SECONDS
# Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev);
# without them the smoke run says SKIPPED and succeeds.
set -eu
mode=${1:-build}
secs=${2:-20}
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
for fmt in json yaml ini env; do
  name=fuzz_$fmt
  t=build-fuzz/$name
  corpus="fuzz/corpus-$name"
  mkdir -p "$corpus"
  seeds="fuzz/seeds/${name#fuzz_}"
  echo "fuzz: $name for ${secs}s"
  ASAN_OPTIONS=detect_leaks=1 "$t" -max_total_time="$secs" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$corpus" \
    $( [ -d "$seeds" ] && echo "$seeds" ) >"build-fuzz/logs/$name.log" 2>&1 || {
      tail -n 50 "build-fuzz/logs/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
  grep -E '^(#[0-9]+.*DONE|Done)' "build-fuzz/logs/$name.log" | tail -n 1 || true
done
echo "fuzz: smoke passed"
