// The atrun extension: the grammar colours .at files; everything else
// (diagnostics, hover, completion, definition, symbols, formatting) comes
// from `atrun lsp`, the language server built into atrun.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('atrun').get('path') || 'atrun';
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'atrun' },
      { scheme: 'untitled', language: 'atrun' },
    ],
  };
  client = new LanguageClient('atrun', 'atrun', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
