#!/bin/sh
# CI recipe for a pull request that changes .perf declarations (see docs/review.md).
#   scripts/ci-review.sh [BASE_REV] [PATH...]
# Writes perfdsl.sarif (upload it to code scanning) and perfdsl-diff.md (post it as a
# pull-request comment). Exit code: 1 when check finds errors or files are not formatted.
set -u
BASE="${1:-origin/main}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- .
PERFDSL="${PERFDSL:-perfdsl}"
OUT="${OUT_DIR:-.}"
status=0

"$PERFDSL" check --format sarif "$@" > "$OUT/perfdsl.sarif" || status=1
"$PERFDSL" fmt --check "$@" || status=1
if git rev-parse --verify --quiet "$BASE^{commit}" > /dev/null; then
  "$PERFDSL" diff --format markdown "$BASE" > "$OUT/perfdsl-diff.md" || status=1
else
  echo "perfdsl：找不到基准版本 $BASE，跳过 diff" >&2
  echo "（找不到基准版本 $BASE）" > "$OUT/perfdsl-diff.md"
fi
cat "$OUT/perfdsl-diff.md"
exit "$status"
