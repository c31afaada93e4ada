/**
 * `gradus lsp`: the language server on standard input and output, as editors start it. Nothing
 * else may write to standard output while it runs: that stream carries the protocol.
 */
import { createConnection } from 'vscode-languageserver/node';
import { type ServerOptions, serveLanguage } from './server.js';

export function startStdioServer(options: ServerOptions = {}): void {
  serveLanguage(createConnection(process.stdin, process.stdout), options);
}
