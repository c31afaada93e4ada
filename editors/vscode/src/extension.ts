/**
 * The VS Code client: starts `gradus lsp` for `.model` files and hands VS Code its answers.
 * Highlighting, comments and brackets need no code (the grammar and the language configuration
 * are declared in the manifest).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ExtensionContext, window, workspace } from 'vscode';
import { LanguageClient, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

/** The configured command, else the workspace's installed `gradus`, else `gradus` from the PATH. */
function serverCommand(): string[] {
  const configured = workspace.getConfiguration('gradus').get<string[]>('server.command') ?? [];
  if (configured.length > 0) return configured;
  const bin = process.platform === 'win32' ? 'gradus.cmd' : 'gradus';
  for (const folder of workspace.workspaceFolders ?? []) {
    const local = join(folder.uri.fsPath, 'node_modules', '.bin', bin);
    if (existsSync(local)) return [local, 'lsp'];
  }
  return [bin, 'lsp'];
}

export async function activate(context: ExtensionContext): Promise<void> {
  const [command, ...args] = serverCommand();
  const server: ServerOptions = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient('gradus', 'Gradus', server, {
    documentSelector: [
      { scheme: 'file', language: 'gradus' },
      { scheme: 'untitled', language: 'gradus' },
    ],
  });
  context.subscriptions.push({ dispose: () => void client?.stop() });
  try {
    await client.start();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    void window.showErrorMessage(
      `Gradus: could not start the language server (${[command, ...args].join(' ')}): ${why}. ` +
        'Install it with `npm install gradus` in the workspace, or set gradus.server.command.',
    );
  }
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}
