#!/bin/sh
# test_state_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS] - install into a temp prefix
# and use it as a new user would: find_package(hotconf) from a CMake
# project; a program linked with -Wl,-rpath (the README's line for a
# non-system prefix) starts with no LD_LIBRARY_PATH; the man pages are
# installed and clean under mandoc -Tlint; the completion and the systemd
# unit are installed.
set -eu
B=$1; S=$2; EXTRA=${3:-} # the library's sanitizer flags, if any
P=$(mktemp -d)
trap 'rm -rf "$P"' EXIT
cmake --install "$B" --prefix "$P/usr" >"$P/install.log"
if grep -q ldconfig "$P/install.log"; then
  echo "FAIL: ldconfig ran for a non-system prefix"; exit 1
fi
for f in share/man/man1/hotconf.1 share/man/man3/libhotconf.3 \
         share/bash-completion/completions/hotconf \
         lib/systemd/system/hotconf-watch@.service \
         lib/cmake/hotconf/hotconfConfig.cmake; do
  [ -e "$P/usr/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
if command -v mandoc >/dev/null 2>&1; then
  # side by side, so each page's cross-reference to the other resolves
  cp "$P/usr/share/man/man1/hotconf.1" "$P/usr/share/man/man3/libhotconf.3" "$P"
  (cd "$P" && mandoc -Tlint hotconf.1 libhotconf.3)
else
  echo "mandoc missing: man page lint SKIPPED"
fi
grep -q '^Type=notify' "$P/usr/lib/systemd/system/hotconf-watch@.service"
grep -q "^ExecStart=/.*/hotconf watch --state" "$P/usr/lib/systemd/system/hotconf-watch@.service"
bash -c ". '$P/usr/share/bash-completion/completions/hotconf' && complete -p hotconf" >/dev/null

# find_package(hotconf) in a fresh project
cmake -S "$S/tests/cmake_consumer" -B "$P/consumer" -DCMAKE_PREFIX_PATH="$P/usr" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$EXTRA" -DCMAKE_EXE_LINKER_FLAGS="$EXTRA" \
  >"$P/consumer.log" 2>&1 || { tail -n 30 "$P/consumer.log"; exit 1; }
cmake --build "$P/consumer" >>"$P/consumer.log" 2>&1 || { tail -n 30 "$P/consumer.log"; exit 1; }
printf '{"service": {"port": 8080}}\n' >"$P/c.json"
[ "$("$P/consumer/consumer_static" "$P/c.json")" = "0.1.0 port 8080" ]
# CMake's build tree has an rpath; the shared one must run as built
[ "$("$P/consumer/consumer" "$P/c.json")" = "0.1.0 port 8080" ]

# The README's line for a non-system prefix: pkg-config plus -Wl,-rpath
pc="$P/usr/lib/pkgconfig"
[ -d "$pc" ] || pc=$(dirname "$(find "$P/usr" -name hotconf.pc | head -n 1)")
sed -i "s|^prefix=.*|prefix=$P/usr|" "$pc/hotconf.pc"
libdir=$(PKG_CONFIG_PATH="$pc" pkg-config --variable=libdir hotconf)
cc $EXTRA -o "$P/app" "$S/tests/cmake_consumer/main.c" \
   $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs hotconf) -Wl,-rpath,"$libdir"
out=$(env -u LD_LIBRARY_PATH "$P/app" "$P/c.json")
[ "$out" = "0.1.0 port 8080" ] || { echo "FAIL: rpath program printed '$out'"; exit 1; }
echo "test_state_install: find_package, rpath, man lint, completion, unit: ok"
