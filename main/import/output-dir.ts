import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WeightDtype } from '../../common/model-formats.js';

/** A folder-name-safe form of a checkpoint's name: letters, digits, `.`, `_` and `-`, never hidden, never empty. */
export function safeFolderName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
  return cleaned || 'model';
}

/**
 * Where an import writes: `<modelsDir>/<checkpoint>-<dtype>`, or `-2`, `-3`, ... after it. Never a folder that exists,
 * so an import can not overwrite anything (convertCheckpoint replaces its target folder).
 */
export function freshOutputDir(
  modelsDir: string,
  checkpointName: string,
  dtype: WeightDtype,
  exists: (p: string) => boolean = existsSync,
): string {
  const base = `${safeFolderName(checkpointName)}-${dtype}`;
  for (let n = 1; ; n++) {
    const dir = join(modelsDir, n === 1 ? base : `${base}-${n}`);
    if (!exists(dir)) return dir;
  }
}
