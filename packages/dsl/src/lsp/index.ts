/** `@gradus/dsl/lsp`: the language server (a separate entry, so browsers never load Node's streams). */
export { type ServerOptions, serveLanguage, toLsp } from './server.js';
export { startStdioServer } from './stdio.js';
