import {
  checkSource,
  readHyperFlags,
  readSource,
  renderDiagnostics,
  type SourceFile,
  UsageError,
} from '@gradus/dsl';
import type { Io } from './output.js';

/**
 * `gradus check FILE...`: 0 when every file is valid, 1 otherwise (all files are checked).
 * `--hyper name=value` flags are checked against each file's hyper-parameters and the file is
 * then checked with those values (a size that changes a shape is checked as such).
 */
export function checkCommand(files: readonly string[], io: Io, hyperTexts: readonly string[] = []): number {
  let failed = 0;
  for (const path of files) {
    let file: SourceFile;
    try {
      file = readSource(path);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.err(`error: ${e.message}`);
      failed++;
      continue;
    }
    let checked = checkSource(file);
    if (checked.lowered && hyperTexts.length > 0) {
      const read = readHyperFlags(hyperTexts, checked.lowered.model.hypers);
      if (!('hypers' in read)) {
        const flag = { name: '--hyper', text: read.text };
        io.err(renderDiagnostics(read.diagnostics, flag, { color: io.tty }));
        failed++;
        continue;
      }
      checked = checkSource(file, { hypers: read.hypers });
    }
    if (checked.diagnostics.length > 0)
      io.err(renderDiagnostics(checked.diagnostics, file, { color: io.tty }));
    if (checked.lowered) {
      const { model, graph } = checked.lowered;
      const count = model.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
      const hypers = model.hypers.map((h) => `${h.name} = ${h.value}`).join(', ');
      io.out(
        `ok: ${path}: model ${model.name}, ${model.params.length} params (${count} numbers), ${graph.nodes.length} graph nodes${hypers ? `; hyper-parameters ${hypers}` : ''}`,
      );
    } else failed++;
  }
  return failed > 0 ? 1 : 0;
}
