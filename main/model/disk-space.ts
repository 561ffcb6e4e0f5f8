import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ModelFolderError } from './errors.js';

/** Bytes in decimal units, as disk sizes are sold and as file managers show them: "16.4 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
    // 999.96 would print as "1000.0": move to the next unit where rounding would reach 1000.
  } while (value >= 999.95 && unit < units.length - 1);
  return `${value.toFixed(1)} ${units[unit]}`;
}

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
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) throw new ModelFolderError(dir, `cannot read free disk space (${code ?? (e as Error).message})`);
      path = parent;
    }
  }
}

/** Refuses before a long conversion starts rather than failing many minutes in with a half-written 16 GB file. */
export function checkFreeDisk(dir: string, neededBytes: number): void {
  const free = freeDiskBytes(dir);
  if (free < neededBytes) throw new ModelFolderError(dir, `not enough disk space: needs ${formatBytes(neededBytes)}, ${formatBytes(free)} free`);
}
