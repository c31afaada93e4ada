/**
 * The browser playground in a real browser: the site is built once (vite build), served by
 * `vite preview` on 127.0.0.1, and driven in Debian's Chromium with playwright-core. The page
 * loads without console errors, the shipped spiral model (models/two_layer.model) trains in the
 * worker until its loss is below LOSS_TARGET within TRAIN_LIMIT_MS, the decision regions change as
 * it trains, a typo shows its diagnostic on its line, and a downloaded run is a run directory that
 * the CLI reads. A screenshot is saved under test/artifacts/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'apps/playground');
const ARTIFACTS = join(ROOT, 'test/artifacts');
/** The mean training loss of the last ten steps the spiral run must get below… */
const LOSS_TARGET = 0.45;
/** …within this long after Train is pressed (two CPU cores shared with the rest of the suite). */
const TRAIN_LIMIT_MS = 120_000;

/** The little of the DOM that the functions run in the page touch (the suite is typed without the DOM). */
type Dataset = { readonly dataset: Record<string, string | undefined> };
type Canvas = { toDataURL(): string };
type Doc = { readonly document: { getElementById(id: string): Dataset | null } };

let browser: Browser;
let server: { close(): Promise<void>; resolvedUrls: { local: string[] } | null };
let base: string;
let outDir: string;

beforeAll(async () => {
  const vite = await import('vite');
  outDir = mkdtempSync(join(tmpdir(), 'gradus-playground-'));
  await vite.build({ root: APP, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = (await vite.preview({
    root: APP,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  })) as unknown as typeof server;
  base = server.resolvedUrls!.local[0];
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** A fresh page with every console error and uncaught exception collected. */
async function open(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base);
  await page.waitForSelector('#problems[data-count="0"]', { timeout: 30_000 });
  return { page, errors };
}

const status = (page: Page) =>
  page.$eval('#status', (el) => ({
    state: (el as unknown as Dataset).dataset.state,
    step: Number((el as unknown as Dataset).dataset.step ?? 0),
    loss: Number((el as unknown as Dataset).dataset.loss ?? Number.NaN),
    text: el.textContent ?? '',
  }));

/** The files of a ZIP archive whose entries are stored (as the playground writes them). */
function unzipStored(bytes: Buffer): Record<string, string> {
  const files: Record<string, string> = {};
  let at = 0;
  while (bytes.readUInt32LE(at) === 0x04034b50) {
    expect(bytes.readUInt16LE(at + 8)).toBe(0); // stored, not deflated
    const size = bytes.readUInt32LE(at + 18);
    const nameLength = bytes.readUInt16LE(at + 26);
    const extra = bytes.readUInt16LE(at + 28);
    const name = bytes.toString('utf8', at + 30, at + 30 + nameLength);
    const start = at + 30 + nameLength + extra;
    files[name] = bytes.toString('utf8', start, start + size);
    at = start + size;
  }
  return files;
}

async function setSpeed(page: Page, stepsPerSecond: number): Promise<void> {
  await page.selectOption('#speed', String(stepsPerSecond));
}

describe('the playground in Chromium', () => {
  it('loads with no console errors and the spiral model checks', async () => {
    const { page, errors } = await open();
    expect(await page.textContent('#problems')).toContain('No problems');
    expect(await page.$eval('#editor', (el) => el.textContent)).toContain('model TwoLayerNet');
    // Highlighting from the lexer's tokens: keywords get CodeMirror's keyword class.
    expect(await page.$$eval('#editor .cm-line span', (s) => s.length)).toBeGreaterThan(20);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it(`trains the shipped spiral model below a loss of ${LOSS_TARGET}, redrawing the decision regions`, async () => {
    const { page, errors } = await open();
    await page.click('#train');
    await page.waitForSelector('#picture[data-version]', { timeout: 60_000 });
    const early = await page.$eval('#picture', (c) => (c as unknown as Canvas).toDataURL());
    const started = Date.now();
    await page.waitForFunction(
      (target) =>
        Number((globalThis as unknown as Doc).document.getElementById('status')?.dataset.loss) < target,
      LOSS_TARGET,
      {
        timeout: TRAIN_LIMIT_MS,
        polling: 250,
      },
    );
    const took = Date.now() - started;
    const s = await status(page);
    expect(s.loss).toBeLessThan(LOSS_TARGET);
    expect(s.step).toBeGreaterThan(0);
    expect(took).toBeLessThan(TRAIN_LIMIT_MS);
    // The backend is named on the page.
    expect(await page.textContent('#backend')).toMatch(/backend: (wasm|js)/);
    const later = await page.$eval('#picture', (c) => (c as unknown as Canvas).toDataURL());
    expect(later).not.toEqual(early);
    expect(Number(await page.getAttribute('#picture', 'data-version'))).toBeGreaterThan(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });
    await page.click('#pause');
    await page.waitForFunction(
      () => (globalThis as unknown as Doc).document.getElementById('status')?.dataset.state === 'paused',
    );
    await page.close();
    expect(errors).toEqual([]);
  }, 240_000);

  it('shows a typo’s diagnostic on its line, in the editor and below it', async () => {
    const { page, errors } = await open();
    const text = readFileSync(join(ROOT, 'models/two_layer.model'), 'utf8');
    const broken = text.replace('relu(dense(x, W1, b1))', 'relux(dense(x, W1, b1))');
    expect(broken).not.toEqual(text);
    const line = broken.slice(0, broken.indexOf('relux(')).split('\n').length;
    await page.evaluate((t) => {
      const pg = (globalThis as unknown as { playground: { editor(): { setText(t: string): void } } })
        .playground;
      pg.editor().setText(t);
    }, broken);
    const problem = await page.waitForSelector('#problems .problem.error', { timeout: 30_000 });
    expect(await problem.getAttribute('data-line')).toBe(String(line));
    expect(await problem.textContent()).toMatch(
      new RegExp(`^line ${line}, column \\d+: error\\[E\\d+\\]: .*relux`),
    );
    // CodeMirror marks the span on that line of the editor.
    const marked = await page.$$eval('#editor .cm-line', (lines) =>
      lines.map((l, i) => (l.querySelector('.cm-lintRange-error') ? i + 1 : 0)).filter((i) => i > 0),
    );
    expect(marked).toEqual([line]);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('downloads a run directory that gradus eval reads', async () => {
    const { page, errors } = await open();
    await setSpeed(page, 0);
    await page.click('#train');
    await page.waitForFunction(
      () => (globalThis as unknown as Doc).document.getElementById('status')?.dataset.state === 'done',
      null,
      {
        timeout: TRAIN_LIMIT_MS,
      },
    );
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('TwoLayerNet-run1.zip');
    const files = unzipStored(readFileSync((await download.path())!));
    expect(Object.keys(files).sort()).toEqual([
      'TwoLayerNet-run1/TwoLayerNet.model',
      'TwoLayerNet-run1/checkpoint.json',
      'TwoLayerNet-run1/log.jsonl',
      'TwoLayerNet-run1/settings.json',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'gradus-playground-run-'));
    try {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const run = join(dir, 'TwoLayerNet-run1');
      const settings = JSON.parse(files['TwoLayerNet-run1/settings.json']);
      expect(settings).toMatchObject({ model: 'TwoLayerNet', batch: 64, steps: 1600, step: 1600 });
      const log = files['TwoLayerNet-run1/log.jsonl']
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(log.filter((l) => l.eval === undefined)).toHaveLength(1600);
      expect(log.filter((l) => l.eval === 'validation').length).toBeGreaterThan(0);
      // The CLI reads the checkpoint: the trained params score far better than the initial ones.
      const trained = cli('eval', join(run, 'TwoLayerNet.model'), '--checkpoint', run, '--json');
      expect(trained.err).toBe('');
      expect(trained.code).toBe(0);
      const fresh = cli('eval', join(run, 'TwoLayerNet.model'), '--json');
      const got = JSON.parse(trained.out.trim().split('\n').at(-1)!);
      const before = JSON.parse(fresh.out.trim().split('\n').at(-1)!);
      expect(got.metrics.accuracy).toBeGreaterThan(0.9);
      expect(got.loss).toBeLessThan(before.loss / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await page.close();
    expect(errors).toEqual([]);
  }, 240_000);
});
