import { startStdioServer } from '@gradus/dsl/lsp';

/**
 * `gradus lsp`: starts the language server and returns at once; the process then lives as long
 * as the editor keeps the connection (the server exits on the protocol's `exit`).
 */
export function lspCommand(version: string): number {
  startStdioServer({ version });
  return 0;
}
