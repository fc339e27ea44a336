#!/bin/sh
# entr-watch.sh - the entr peer: entr runs cat on the file at start and on
# every change it sees (-n: no tty).
# usage: entr-watch.sh FILE
set -eu
printf '%s\n' "$1" | exec entr -n cat -- "$1"
