/**
 * Exported files in the browser: Chromium (Debian's, driven by playwright-core) loads
 * onnxruntime-web's WebAssembly build from a local server, runs the exported convnet and MLP,
 * and gets the reference interpreter's outputs (f32) on the same rows.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { initVariables, interpret, type Tensor } from '@gradus/autodiff';
import { emitOnnx, loadModel } from '@gradus/dsl';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, data } from '../packages/backends/src/testing/parity.js';
import { repoModel } from './helpers.js';

const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.html': 'text/html',
};
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/ort/ort.wasm.min.js"></script>`;

const models: Record<string, Uint8Array> = {};
let server: Server;
let browser: Browser;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Uint8Array | string | undefined;
    if (url.pathname === '/') body = PAGE;
    else if (url.pathname.startsWith('/models/')) body = models[url.pathname.slice('/models/'.length)];
    else if (url.pathname.startsWith('/ort/')) {
      const file = normalize(join(ORT_DIST, url.pathname.slice('/ort/'.length)));
      if (file.startsWith(ORT_DIST)) body = readFileSync(file);
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(url.pathname) || '.html'] ?? 'application/octet-stream',
    });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => server?.close(ok));
});

describe('exported models run in the browser with onnxruntime-web', () => {
  for (const [name, path, width] of [
    ['two_layer', repoModel('two_layer.model'), 2],
    ['mnist_cnn', new URL('../examples/mnist_cnn.model', import.meta.url).pathname, 784],
  ] as const) {
    it(name, async () => {
      const g = loadModel(path, { floatDtype: 'f32', mode: 'eval' }).lowered.graph;
      const variables = initVariables(g, 5);
      models[`${name}.onnx`] = emitOnnx(g, { variables });
      const x: Tensor = { ...data([3, width], 4), dtype: 'f32' };
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${base}/`);
      const got = await page.evaluate(
        async ({ url, values, dims }) => {
          const ort = (globalThis as unknown as { ort: typeof import('onnxruntime-web') }).ort;
          ort.env.wasm.numThreads = 1;
          ort.env.wasm.wasmPaths = '/ort/';
          const session = await ort.InferenceSession.create(url);
          const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(values), dims) });
          return { dims: [...out.probs.dims], data: Array.from(out.probs.data as Float32Array) };
        },
        { url: `/models/${name}.onnx`, values: Array.from(x.data), dims: [...x.shape] },
      );
      await page.close();
      expect(errors).toEqual([]);
      const [want] = interpret(
        [(g.outputs.get('probs') as { node: Parameters<typeof interpret>[0][0] }).node],
        {
          feeds: { x, ...variables },
          precision: 'f32',
        },
      );
      const t: Tensor = { shape: got.dims, dtype: 'f32', data: Float64Array.from(got.data) };
      expect(compareTensors('probs', t, want, 1e-5, 1e-6)).toEqual([]);
    }, 60_000);
  }
});
