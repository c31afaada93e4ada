/**
 * `gradus export --onnx` end to end: a model trained a few steps by `gradus train`, exported with
 * its checkpoint, runs in onnxruntime-node with the outputs `gradus predict` and `gradus eval`
 * print for the same rows; and the files it will not write.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx } from 'gradus';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { close, data } from '../packages/backends/src/testing/parity.js';
import { summariseOnnx } from '../packages/dsl/src/emit/onnx/read-proto.js';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Spiral-like rows: 2 features, labels 0–2. */
function rows(n: number): { x: number[][]; y: number[] } {
  const t = data([n, 2], 11);
  return {
    x: Array.from({ length: n }, (_, i) => [t.data[2 * i], t.data[2 * i + 1]]),
    y: Array.from({ length: n }, (_, i) => i % 3),
  };
}

async function runOnnx(file: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(readFileSync(file));
  const out = await session.run(feeds);
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array, Number)]),
  );
}

const f32 = (r: { x: number[][] }) =>
  new ort.Tensor('float32', Float32Array.from(r.x.flat()), [r.x.length, 2]);

function expectClose(got: readonly number[], want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  const bad = got.flatMap((g, i) => (close(g, want[i], 1e-5, 1e-6) ? [] : [`${i}: ${g} vs ${want[i]}`]));
  expect(bad).toEqual([]);
}

/** Trains `model` a few steps into a checkpoint, exports it, and writes `n` rows as a data file. */
function trainAndExport(name: string, steps: number, n: number) {
  const model = repoModel(`${name}.model`);
  const ck = join(tmp, `${name}-ck`);
  expect(cli('train', model, '--steps', String(steps), '--dtype', 'f32', '--checkpoint', ck).code).toBe(0);
  const out = join(tmp, `${name}.onnx`);
  const exported = cli('export', model, '--checkpoint', ck, '--onnx', out);
  const r = rows(n);
  const data = join(tmp, `${name}-rows.json`);
  writeFileSync(data, JSON.stringify(r));
  return { model, ck, out, exported, rows: r, data };
}

describe('gradus export --onnx', () => {
  it('exports a trained checkpoint whose outputs are those of gradus predict', async () => {
    const { model, ck, out, exported: e, rows: r, data: file } = trainAndExport('two_layer', 3, 40);
    expect(e.err).toBe('');
    expect(e.out).toMatch(
      /^wrote .*two_layer\.onnx \([\d.]+ KiB, ONNX opset 17\): TwoLayerNet with checkpoint at step 3; outputs probs\n$/,
    );
    expect(summariseOnnx(readFileSync(out)).metadata).toEqual({
      'gradus.model': 'TwoLayerNet',
      'gradus.params': 'checkpoint at step 3',
    });
    const p = cli('predict', model, '--checkpoint', ck, '--data', file, '--dtype', 'f32', '--json');
    expect(p.code).toBe(0);
    const want = (JSON.parse(p.out) as { probs: number[][] }).probs.flat();
    const got = await runOnnx(out, { x: f32(r) });
    expectClose(got.probs, want);
  });

  it('exports batchnorm with its running statistics: loss and accuracy as gradus eval gives them', async () => {
    const { model, ck, out, exported: e, rows: r, data: file } = trainAndExport('bn_mlp', 4, 30);
    // A model without outputs exports its metrics and loss, which read the labels too.
    expect(e.out).toContain('outputs accuracy, loss');
    const ev = JSON.parse(
      cli('eval', model, '--checkpoint', ck, '--data', file, '--dtype', 'f32', '--json').out,
    ) as {
      loss: number;
      metrics: { accuracy: number };
    };
    const got = await runOnnx(out, {
      x: f32(r),
      y: new ort.Tensor('int32', Int32Array.from(r.y), [r.y.length]),
    });
    expectClose([...got.loss, ...got.accuracy], [ev.loss, ev.metrics.accuracy]);
    // The running statistics moved from their zeros and ones in 4 steps, and the file holds them.
    const ckpt = JSON.parse(readFileSync(join(ck, 'checkpoint.json'), 'utf8')) as {
      variables: Record<string, { data: number[] }>;
    };
    expect(ckpt.variables['gamma1.running_mean'].data.some((v) => v !== 0)).toBe(true);
    const bytes = exportOnnx(model, { checkpoint: ck }).bytes;
    const mean = Float32Array.from(ckpt.variables['gamma1.running_mean'].data);
    expect(Buffer.from(bytes).includes(Buffer.from(mean.buffer))).toBe(true);
  });

  it('chooses results with --outputs and keeps files it did not make', () => {
    const model = repoModel('two_layer.model');
    const out = join(tmp, 'chosen.onnx');
    expect(cli('export', model, '--onnx', out, '--outputs', 'probs,loss').out).toContain(
      'initial params (seed 7); outputs probs, loss',
    );
    // An existing file needs --overwrite; the model itself is never overwritten.
    const again = cli('export', model, '--onnx', out);
    expect(again.code).toBe(1);
    expect(again.err).toContain('chosen.onnx exists');
    expect(cli('export', model, '--onnx', out, '--overwrite').code).toBe(0);
    const self = cli('export', model, '--onnx', model, '--overwrite');
    expect(self.code).toBe(1);
    expect(self.err).toMatch(/refusing to write .*two_layer\.model: it is .*, which the export reads/);
    expect(readFileSync(model, 'utf8')).toContain('model TwoLayerNet');
    expect(cli('export', model).err).toContain('pass --onnx model.onnx');
    // Hyper-parameters as the run had them: maxout_mlp with H = 4 units of K = 2 pieces.
    const maxout = repoModel('maxout_mlp.model');
    const small = join(tmp, 'maxout.onnx');
    expect(cli('export', maxout, '--onnx', small, '--hyper', 'H=4', '--hyper', 'K=2').code).toBe(0);
    const inits = summariseOnnx(readFileSync(small)).initializerDims;
    expect([inits.W1, inits.W2]).toEqual([
      [2, 8],
      [4, 3],
    ]);
    expect(cli('export', maxout, '--onnx', small, '--hyper', 'Q=1').err).toContain(
      "the model has no hyper-parameter 'Q'",
    );
    const unknown = cli('export', model, '--onnx', join(tmp, 'x.onnx'), '--outputs', 'prob');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("there is no result named 'prob'");
    expect(unknown.err).toContain('did you mean probs?');
  });
});
