#!/bin/sh
# demo.sh - what `make demo` runs after the build: check and convert the
# example configs, then the live demo (`hotconf demo`) when it is built in.
set -eu
H=build/hotconf
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "hotconf check -v examples/*"
$H check -v examples/service.json examples/service.yaml examples/service.ini examples/service.env
say "hotconf check examples/service.json examples/service.yaml --schema examples/service.schema.json"
$H check examples/service.json examples/service.yaml --schema examples/service.schema.json && echo "valid"
say "a config with port 80 against the same schema"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed 's/8080/80/' examples/service.yaml >"$tmp/service.yaml"
$H check "$tmp/service.yaml" --schema examples/service.schema.json || echo "(exit $?: rejected)"
say "hotconf convert examples/service.yaml --to json"
$H convert examples/service.yaml --to json
say "hotconf convert examples/service.env --env-nest __ --to yaml"
$H convert examples/service.env --env-nest __ --to yaml
say "hotconf get examples/service.json 'labels[\"app.kubernetes.io/name\"]'"
$H get examples/service.json 'labels["app.kubernetes.io/name"]'
say "hotconf diff examples/service.json examples/service.yaml"
$H diff examples/service.json examples/service.yaml || true
if $H --help | grep -q '^  demo '; then
  say "hotconf demo (live)"
  $H demo
fi
