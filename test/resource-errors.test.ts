/**
 * Errors of the machine rather than of Gradus (memory, a full or read-only disk) are reported as
 * what they are, exit 1, not as an internal error (exit 2) that blames Gradus.
 */
import { describe, expect, it } from 'vitest';
import { reportError } from '../packages/gradus/src/cli/output.js';

function report(e: unknown): { code: number; err: string } {
  let err = '';
  const code = reportError(e, { out: () => {}, err: (t) => (err += `${t}\n`), tty: false });
  return { code, err };
}

const errno = (code: string, path: string) =>
  Object.assign(new Error(`${code}: failed, write '${path}'`), { code, path, syscall: 'write' });

describe('resource errors', () => {
  it('an allocation that fails is "out of memory", exit 1, with what to change', () => {
    for (const e of [
      new RangeError('Array buffer allocation failed'),
      new RangeError('Invalid typed array length: 1000000000000'),
      new RangeError('WebAssembly.Memory(): could not allocate memory'),
    ]) {
      const r = report(e);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error: out of memory: ${e.message}`);
      expect(r.err).toContain('--batch');
    }
  });

  it('a full, over-quota or read-only disk names the file and the cause, exit 1', () => {
    expect(report(errno('ENOSPC', 'runs/m/1/log.jsonl'))).toEqual({
      code: 1,
      err: 'error: cannot write runs/m/1/log.jsonl: no space left on the device (ENOSPC)\n  = hint: free some space, or write somewhere else, and run again\n',
    });
    expect(report(errno('EROFS', 'out.ts')).err).toContain('out.ts: the file system is read-only (EROFS)');
    expect(report(errno('EDQUOT', 'ck')).code).toBe(1);
  });

  it('other errors stay internal errors (exit 2): they are bugs', () => {
    expect(report(new RangeError('Maximum call stack size exceeded')).code).toBe(2);
    expect(report(errno('EBADF', 'x')).code).toBe(2);
    expect(report(new TypeError('x is undefined')).err).toContain('internal error: x is undefined');
  });
});
