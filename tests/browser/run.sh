#!/bin/sh
# run.sh HOTCONF OUTDIR - the dashboard's browser test (ctest: test_http_browser).
# Installs puppeteer-core from the lockfile when node_modules is missing;
# prints SKIPPED (exit 77) only when chromium, node or npm cannot be had.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in chromium node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: $tool not installed (scripts/deps.sh installs it)"
    exit 77
  fi
done
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
  if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "SKIPPED: npm ci failed (no registry?)"
    exit 77
  fi
fi
mkdir -p "$2"
exec node "$here/dashboard.test.mjs" "$1" "$2"
