#!/bin/sh
# inotifywait-watch.sh - the inotifywait peer, as such scripts are written:
# watch the file's directory (so renames and Kubernetes ..data swaps are
# seen), and on an event for the file or ..data print its content.
# usage: inotifywait-watch.sh FILE
set -eu
f=$1
d=$(dirname -- "$f")
b=$(basename -- "$f")
cat -- "$f"
inotifywait -m -q -e close_write,moved_to,create --format '%f' -- "$d" |
  while IFS= read -r name; do
    case $name in
      "$b" | ..data) cat -- "$f" 2>/dev/null || true ;;
    esac
  done
