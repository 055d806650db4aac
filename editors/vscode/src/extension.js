// perfdsl VS Code extension: starts `perfdsl lsp` over stdio for .perf files.
// The TextMate grammar in syntaxes/ gives highlighting even when the server is not installed.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("perfdsl");
  const command = config.get("server.command", "perfdsl");
  const args = config.get("server.args", ["lsp"]);
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "perfdsl" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.perf"),
    },
  };
  client = new LanguageClient("perfdsl", "perfdsl 语言服务器", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `无法启动 perfdsl 语言服务器（${command} ${args.join(" ")}）：${err.message}。` +
        "请确认已安装：pip install 'perfdsl[lsp]'，或在设置 perfdsl.server.command 中填写 perfdsl 的完整路径。"
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
