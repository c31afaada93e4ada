import { UsageError } from '@gradus/dsl';
import { exportOnnx, writeOnnx } from '../export-onnx.js';
import type { Io } from './output.js';

export interface ExportOptions {
  readonly onnx?: string;
  readonly checkpoint?: string;
  readonly dtype?: 'f32' | 'f64';
  readonly outputs?: string;
  readonly seed?: number;
  readonly overwrite?: boolean;
  /** Values for the model's hyper-parameters (from `--hyper`). */
  readonly hypers?: Readonly<Record<string, number>>;
}

/** `gradus export FILE --onnx OUT`: the evaluation graph with its params as an ONNX file. */
export function exportCommand(path: string, opts: ExportOptions, io: Io): number {
  if (!opts.onnx) throw new UsageError('nothing to export to', 'pass --onnx model.onnx');
  const outputs = opts.outputs
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const exported = exportOnnx(path, {
    ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}),
    ...(opts.dtype !== undefined ? { dtype: opts.dtype } : {}),
    ...(outputs && outputs.length > 0 ? { outputs } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.hypers !== undefined ? { hypers: opts.hypers } : {}),
  });
  writeOnnx(opts.onnx, exported, { overwrite: opts.overwrite ?? false });
  const kb = (exported.bytes.length / 1024).toFixed(1);
  io.out(
    `wrote ${opts.onnx} (${kb} KiB, ONNX opset 17): ${exported.model} with ${exported.source}; outputs ${exported.outputs.join(', ')}`,
  );
  return 0;
}
