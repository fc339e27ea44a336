#!/bin/sh
# test_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS] - `cmake --install`
# into a temp prefix, then build examples/embed.c against the installed
# header, library and hotconf.pc, and run it: the pkg-config contract.
set -eu
B=$1; S=$2; EXTRA=${3:-}
P=$(mktemp -d)
trap 'rm -rf "$P"' EXIT
cmake --install "$B" --prefix "$P" >/dev/null
for f in include/hotconf.h bin/hotconf; do
  [ -e "$P/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$P" -name hotconf.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: hotconf.pc not installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
ls "$libdir"/libhotconf.so* "$libdir"/libhotconf.a >/dev/null
export PKG_CONFIG_PATH="$(dirname "$pc")"
# the .pc holds the configured prefix; point it at the temp one
sed -i "s|^prefix=.*|prefix=$P|" "$pc"
cc -std=c11 -Wall -Werror $EXTRA -o "$P/embed" "$S/examples/embed.c" \
   $(pkg-config --cflags --libs hotconf)
out=$(LD_LIBRARY_PATH="$libdir" "$P/embed" "$S/examples/service.json" "$S/examples/service.json")
[ "$out" = "port 8080" ] || { echo "FAIL: embed printed '$out'"; exit 1; }
# --static: every archive, ours and the dependencies', as a static build
# links them (the sanitizer runtime and libc stay shared). A program that
# uses the schema pulls xxHash; libfyaml.a has its own XXH128, so linking
# libxxhash.a beside it was "multiple definition of 'XXH128'".
libs=$(pkg-config --static --libs-only-l hotconf | sed 's/-lpthread//g; s/-lm\b//g')
cc -std=c11 -Wall -Werror $EXTRA -o "$P/cookbook_static" "$S/examples/cookbook/watch.c" \
   $(pkg-config --cflags hotconf) $(pkg-config --static --libs-only-L hotconf) \
   -Wl,-Bstatic $libs -Wl,-Bdynamic -lpthread -lm
if ldd "$P/cookbook_static" | grep -Eq 'libhotconf|libfyaml|libxxhash'; then
  echo "FAIL: --static build still links a shared hotconf/libfyaml/libxxhash"; exit 1
fi
printf 'database:\n  host: db1\n  port: 5432\n' >"$P/app.yaml"
printf '{"properties":{"database":{"properties":{"port":{"minimum":1024}}}}}' >"$P/app.schema.json"
out=$("$P/cookbook_static" "$P/app.yaml" "$P/app.schema.json" 0)
case "$out" in
  *"port 5432"*"reloads 0"*) ;;
  *) echo "FAIL: static cookbook printed '$out'"; exit 1 ;;
esac
echo "test_install: installed and linked through pkg-config (shared and --static): ok"
