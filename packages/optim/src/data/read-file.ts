import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a file could not be read: missing, a directory, not a regular file, too large, or an I/O error. */
export class UnreadableFile extends Error {
  constructor(
    readonly reason: 'missing' | 'directory' | 'special' | 'too-large' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableFile';
  }
}

/**
 * Reads a regular file of at most `limit` bytes, reading no more than `limit + 1` bytes whatever
 * the file claims: a device (`/dev/zero`), a FIFO with no writer, a socket, or a symlink to one
 * of them is refused at once instead of being read forever or blocking. `what` names the file
 * in messages ("a .model file", "a data file").
 */
export function readRegularFile(path: string, limit: number, what: string): Buffer {
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO that no one writes returns instead of waiting.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UnreadableFile('missing', `no such file: ${path}`);
    if (code === 'EISDIR') throw new UnreadableFile('directory', `${path} is a directory, not ${what}`);
    throw new UnreadableFile('io', `cannot read ${path}: ${code ?? String(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UnreadableFile('directory', `${path} is a directory, not ${what}`);
    if (!st.isFile())
      throw new UnreadableFile(
        'special',
        `${path} is not a regular file (a device, pipe or socket), not ${what}`,
      );
    const tooLarge = () =>
      new UnreadableFile('too-large', `${path} is larger than ${limit} bytes, the limit for ${what}`);
    if (st.size > limit) throw tooLarge();
    const buf = Buffer.alloc(Math.min(limit + 1, st.size + 1));
    let total = 0;
    for (;;) {
      if (total === buf.length) throw tooLarge();
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
    }
    return buf.subarray(0, total);
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw new UnreadableFile('io', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    closeSync(fd);
  }
}
