/**
 * A minimal LSP client for tests: starts `gradus lsp` as a child process and speaks JSON-RPC to it
 * over its standard input and output, framed with `Content-Length` headers, as an editor does.
 * Written by hand, not with the protocol library the server uses, so the tests check the bytes
 * on the wire.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

interface Message {
  readonly jsonrpc: '2.0';
  readonly id?: number;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Message) => void>();
  private readonly notifications: Message[] = [];
  private readonly listeners: (() => void)[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[] = ['lsp', '--stdio']) {
    this.child = spawn(TSX, ['packages/gradus/src/bin.ts', ...args], { cwd: ROOT, stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      if (!Number.isFinite(length)) throw new Error(`bad header from the server: ${header}`);
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const message = JSON.parse(this.buffer.subarray(start, start + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(start + length);
      if (message.id !== undefined && message.method === undefined) {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      } else if (message.id !== undefined && message.method !== undefined) {
        // A request from the server (such as workspace/configuration): answer it emptily.
        this.write({ jsonrpc: '2.0', id: message.id, result: null });
      } else {
        this.notifications.push(message);
        for (const l of this.listeners.splice(0)) l();
      }
    }
  }

  private write(m: Message): void {
    const body = Buffer.from(JSON.stringify(m), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  /** Sends a request; resolves with the whole response (result or error). */
  request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    const answer = new Promise<Message>((resolve) => this.waiting.set(id, resolve));
    this.write({ jsonrpc: '2.0', id, method, params });
    return answer;
  }

  /** Sends a request and returns its result; a response error fails. */
  async call<T = unknown>(method: string, params: unknown): Promise<T> {
    const m = await this.request(method, params);
    if (m.error) throw new Error(`${method}: ${m.error.message}`);
    return m.result as T;
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** The first notification (received or still to come) for which `match` holds; it is consumed. */
  async notification<T = unknown>(method: string, match: (params: T) => boolean = () => true): Promise<T> {
    for (;;) {
      const i = this.notifications.findIndex((n) => n.method === method && match(n.params as T));
      if (i >= 0) return this.notifications.splice(i, 1)[0].params as T;
      await new Promise<void>((resolve) => this.listeners.push(resolve));
    }
  }

  kill(): void {
    this.child.kill();
  }
}
