#!/usr/bin/env bash
# System packages the test suite needs in CI: Debian's headless Chromium for the
# `perfdsl serve` browser tests (tests/test_serve_browser.py, driven by Playwright with
# executable_path=/usr/bin/chromium; `playwright install` is never used) and the CJK fonts
# the forms are drawn with. Idempotent: installs only what is missing; quiet when all is there.
# Other engineers may add their own tools in their own block below (one block per need).
set -euo pipefail

need=()
# --- browser tests (perfdsl serve) ---
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci-deps: need ${need[*]} but not running as root; install them with apt-get" >&2
    exit 1
  fi
  echo "ci-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
