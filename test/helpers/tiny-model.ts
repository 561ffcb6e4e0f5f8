import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, type ConvertOptions } from '../../main/model/convert.js';
import { writeTinyCheckpoint } from './tiny-checkpoint.js';

/** Converts a fresh tiny checkpoint with the real graph builder; returns both folders. */
export function buildTinyModel(
  opts: { seed?: number; convert?: ConvertOptions; config?: Record<string, unknown> } = {},
): { checkpoint: string; model: string } {
  const checkpoint = writeTinyCheckpoint({ seed: opts.seed, config: opts.config });
  const model = join(mkdtempSync(join(tmpdir(), 'tiny-model-')), 'model');
  convertCheckpoint(checkpoint, model, opts.convert);
  return { checkpoint, model };
}
