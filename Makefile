# hotconf - top-level wrapper around CMake.
#   make          build everything into build/ (CLI: build/hotconf)
#   make test     deps, ASan+UBSan build + every test, TSan threaded tests,
#                 lint, fuzz smoke (when clang's fuzzer runtime is present)
#   make demo     deps, build, run the live demo
#   make install  install library, header, hotconf.pc, CMake package, CLI, man
#                 pages, bash completion, systemd unit (PREFIX=...; ldconfig
#                 runs for /usr/local and /usr)
#   make fuzz     build the libFuzzer targets into build-fuzz/
#   make fuzz-long  run each for FUZZ_SECONDS, keeping a corpus
#   make bench    build and run the benchmarks
#   make bench-peers  hotconf beside inotifywait, entr, chokidar, Viper and a
#                 hash poller (bench/peers/run.sh; VERSIONS=N for more)

PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
FUZZ_RUNS ?= 300000
FUZZ_SECONDS ?= 600

.PHONY: all build deps deps-optional test test-asan test-tsan lint fuzz \
        fuzz-smoke fuzz-long demo install bench bench-peers clean

all: build

deps:
	@scripts/deps.sh

deps-optional:
	@scripts/deps.sh --optional

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build build -j$(JOBS)

test: deps deps-optional test-asan test-tsan lint fuzz-smoke
	@echo "make test: all passed"

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHC_SANITIZE=address \
	      -DHC_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) -LE tsan-only

# Threaded tests again under ThreadSanitizer. setarch -R: TSan cannot map
# its shadow memory under the high ASLR entropy of recent kernels.
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DHC_SANITIZE=thread \
	      -DHC_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  setarch -R ctest --output-on-failure -L threaded

lint:
	@scripts/lint.sh

fuzz:
	@scripts/fuzz.sh build

fuzz-smoke:
	@scripts/fuzz.sh smoke $(FUZZ_RUNS)

fuzz-long:
	@scripts/fuzz.sh long $(FUZZ_SECONDS)

demo: build
	@scripts/demo.sh

install: build
	cmake --install build --prefix $(PREFIX)

bench: build
	@scripts/bench.sh

bench-peers: build
	@sh bench/peers/run.sh

clean:
	rm -rf build build-asan build-tsan build-fuzz
