#!/bin/sh
# deps.sh - make sure every build dependency is present.
# Checks each library with pkg-config and each tool with command -v. When
# something is missing and we are root on Debian, installs it with apt-get
# (after apt-get update); otherwise prints the exact command and fails.
# Usage: scripts/deps.sh [--optional]   (--optional: also clang's fuzzer
# runtime, cppcheck, clang-format and the dashboard's test tools, used by
# make test's extra checks)
set -eu

# pkg-config module : Debian package (libcurl4-openssl-dev brings libcurl4,
# the runtime libcurl.so.4 that libhotconf dlopens on its first etcd call)
LIBS="jansson:libjansson-dev libfyaml:libfyaml-dev libpcre2-8:libpcre2-dev
libxxhash:libxxhash-dev cmocka:libcmocka-dev sqlite3:libsqlite3-dev
libsystemd:libsystemd-dev libcurl:libcurl4-openssl-dev"
# command : Debian package
TOOLS="cmake:cmake cc:gcc make:make pkg-config:pkg-config etcd:etcd-server
etcdctl:etcd-client"
OPTIONAL_TOOLS="clang:clang cppcheck:cppcheck clang-format:clang-format mandoc:mandoc"

# the dashboard (src/http/): libmicrohttpd; its tests (with --optional, as
# make test asks): promtool checks /metrics, chromium + node + npm run the
# browser test (tests/browser, puppeteer-core from npm); without them those
# parts say SKIPPED
LIBS="$LIBS libmicrohttpd:libmicrohttpd-dev"
TEST_TOOLS="promtool:prometheus chromium:chromium node:nodejs npm:npm"

missing=""
if ! command -v pkg-config >/dev/null 2>&1; then
  missing="pkg-config"
fi
for t in $TOOLS; do
  cmd=${t%%:*}; pkg=${t#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
for l in $LIBS; do
  mod=${l%%:*}; pkg=${l#*:}
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$mod"; then
    missing="$missing $pkg"
  fi
done

optional=""
if [ "${1:-}" = "--optional" ]; then
  for t in $OPTIONAL_TOOLS $TEST_TOOLS; do
    cmd=${t%%:*}; pkg=${t#*:}
    command -v "$cmd" >/dev/null 2>&1 || optional="$optional $pkg"
  done
  # libFuzzer's runtime ships in libclang-rt-NN-dev on Debian 12
  if command -v clang >/dev/null 2>&1 || [ -n "$optional" ]; then
    if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
      optional="$optional libclang-rt-14-dev"
    fi
  fi
fi

missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
optional=$(echo $optional | tr ' ' '\n' | sort -u | tr '\n' ' ')
[ -z "${missing# }" ] && [ -z "${optional# }" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing:$missing $optional"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends $missing >/dev/null
  if [ -n "${optional# }" ]; then
    apt-get install -y -q --no-install-recommends $optional >/dev/null ||
      echo "deps: optional packages not installed ($optional): fuzz/lint steps will be skipped"
  fi
  exit 0
fi
if [ -n "${missing# }" ]; then
  echo "deps: missing build dependencies. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
  exit 1
fi
echo "deps: optional tools missing ($optional); fuzz/lint steps will be skipped" >&2
exit 0
