/**
 * Every repository model's training step (forward, backward, Adam) for 20 steps on the wasm
 * backend against the reference interpreter: f64 to 1e-12, f32 to the parity suite's tolerance.
 */
import { isFloat, type Tensor } from '@gradus/autodiff';
import { wasm } from '@gradus/backends';
import { loadModel } from '@gradus/dsl';
import { adam, buildTrainStep, interpretSteps, paramsOf } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { compareTensors, data } from '../packages/backends/src/testing/parity.js';
import { repoModel, repoModels } from './helpers.js';

const BATCH = 8;
const TOL = { f64: { rtol: 1e-12, atol: 0 }, f32: { rtol: 1e-5, atol: 1e-6 } } as const;

describe('every repository model trains 20 steps on wasm as on the interpreter', () => {
  for (const m of repoModels()) {
    for (const dtype of ['f64', 'f32'] as const) {
      it(`${m} [${dtype}]`, () => {
        const { lowered } = loadModel(repoModel(m), { floatDtype: dtype, mode: 'train' });
        const g = lowered.graph;
        const loss = g.loss();
        if (!loss) throw new Error(`${m} has no loss`);
        buildTrainStep(g, g.value(loss), paramsOf(g), adam(1e-2));
        const feeds: Record<string, Tensor> = {};
        [...g.inputs.values()].forEach((x, i) => {
          const name = x.attrs.name as string;
          if (name.startsWith('$')) return;
          const shape = x.shape.map((d) => (typeof d === 'number' ? d : BATCH));
          const t = data(shape, i + 1);
          // Labels: small non-negative integers (every model's classes include 0 and 1).
          feeds[name] = isFloat(x.dtype)
            ? t
            : { ...t, dtype: x.dtype, data: t.data.map((v) => (v > 0 ? 1 : 0)) };
        });
        const seed = 5;
        const want = interpretSteps(g, { steps: 20, feeds, initSeed: seed, precision: dtype });
        const exe = wasm.compile(g, { dtype, seed, threads: 1 });
        const { rtol, atol } = TOL[dtype];
        for (let k = 0; k < 20; k++) {
          const got = exe.run(feeds);
          expect(compareTensors(`loss@${k + 1}`, got.loss, want.history[k].outputs.loss, rtol, atol)).toEqual(
            [],
          );
        }
        for (const v of exe.variables) {
          expect(compareTensors(v, exe.read(v), want.variables[v], rtol, atol)).toEqual([]);
        }
      });
    }
  }
});
