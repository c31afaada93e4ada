import type { Callback } from '../callback.js';
import type { LineWriter } from './json-lines.js';

/**
 * One JSON line per step: the loss before the step, the learning rate it used and, when the loop
 * reads them back (`traceParams`), the params after it, as plain arrays.
 */
export function stepTrace(write: LineWriter): Callback {
  return {
    name: 'stepTrace',
    onStep(e) {
      write({
        step: e.step,
        loss: e.loss,
        ...(e.lr !== undefined ? { lr: e.lr } : {}),
        ...(e.params
          ? { params: Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, Array.from(v)])) }
          : {}),
      });
    },
  };
}
