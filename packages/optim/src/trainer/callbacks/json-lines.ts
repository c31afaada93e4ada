import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { guardedWrite } from '../write-guard.js';

/** Writes one JSON object per line. */
export type LineWriter = (line: object) => void;

/**
 * Prepares a JSON-lines file for a run and returns its line writer. A fresh run starts it empty;
 * a resumed run (`resumeStep`, the checkpoint's step) keeps the lines of steps up to the
 * checkpoint and drops any later ones (written after the checkpoint by the interrupted run, and
 * about to be written again) and the report of the earlier run's end (`end_of_run`), so the file
 * ends up exactly as an uninterrupted run would have left it. Throws the file system's error.
 */
export function openJsonLines(file: string, resumeStep?: number): LineWriter {
  if (resumeStep === undefined || !existsSync(file)) guardedWrite(() => writeFileSync(file, ''));
  else {
    const kept = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => {
        if (line.trim() === '') return false;
        try {
          const { step, end_of_run } = JSON.parse(line) as { step?: unknown; end_of_run?: unknown };
          return typeof step === 'number' && step <= resumeStep && end_of_run !== true;
        } catch {
          return false;
        }
      });
    guardedWrite(() => writeFileSync(file, kept.map((l) => `${l}\n`).join('')));
  }
  return (line: object) => {
    const text = `${JSON.stringify(line)}\n`;
    guardedWrite(() => appendFileSync(file, text));
  };
}
