import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ModelFolderError } from './errors.js';
import { formatBytes } from '../../common/format.js';

export { formatBytes };

/**
 * Free bytes an unprivileged process may use on the file system holding `dir`. `dir` need not exist yet (a model
 * folder is created by the conversion): the nearest existing ancestor answers for it.
 */
export function freeDiskBytes(dir: string): number {
  let path = resolve(dir);
  for (;;) {
    try {
      const s = statfsSync(path);
      // bavail, not bfree: blocks reserved for root are not available to the app.
      return s.bavail * s.bsize;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = dirname(path);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path)
        throw new ModelFolderError(dir, `cannot read free disk space (${code ?? (e as Error).message})`);
      path = parent;
    }
  }
}

/** Refuses before a long conversion starts rather than failing many minutes in with a half-written 16 GB file. */
export function checkFreeDisk(dir: string, neededBytes: number): void {
  const free = freeDiskBytes(dir);
  if (free < neededBytes)
    throw new ModelFolderError(
      dir,
      `not enough disk space: needs ${formatBytes(neededBytes)}, ${formatBytes(free)} free`,
    );
}
