#!/bin/sh
# lint.sh - clang-format (repo's .clang-format) and cppcheck over our C.
# Each tool is skipped with a note when it is not installed.
set -eu
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include cli tests fuzz bench -name '*.[ch]')
status=0
if command -v clang-format >/dev/null 2>&1; then
  bad=""
  for f in $files; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
  done
  if [ -n "$bad" ]; then
    echo "lint: not clang-formatted (run clang-format -i):$bad"; status=1
  else
    echo "lint: clang-format clean"
  fi
else
  echo "lint: clang-format SKIPPED (not installed)"
fi
if command -v cppcheck >/dev/null 2>&1; then
  if cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
      --inline-suppr --suppress=missingIncludeSystem -I include -I src \
      -D__GNUC__ -DHC_BUILDING src cli; then
    echo "lint: cppcheck clean"
  else
    status=1
  fi
else
  echo "lint: cppcheck SKIPPED (not installed)"
fi
# Banned functions (curl's practice): sprintf, strcpy and strcat cannot be
# bounded, atoi cannot report an error. Use snprintf, memcpy with a known
# length, strtol. Comments and string literals are not code, so only
# call sites count (a word followed by '(').
banned=$(grep -rnE '(^|[^A-Za-z0-9_.>])(sprintf|strcpy|strcat|atoi)[[:space:]]*\(' \
  --include='*.c' --include='*.h' src cli | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$banned" ]; then
  echo "lint: banned functions (sprintf, strcpy, strcat, atoi; use snprintf, memcpy, strtol):"
  echo "$banned"
  status=1
else
  echo "lint: no banned functions"
fi
exit $status
