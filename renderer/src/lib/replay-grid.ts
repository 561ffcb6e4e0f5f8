/**
 * Drives a canvas grid (lib/canvas-grid.ts, or anything with its `set`) from a replay: a seek from step a to
 * step b sets only the cells changesBetween names, so a step costs O(its commits) DOM work.
 */
import type { ReplayIndex } from '../../../common/trace';
import type { GridCell } from './canvas-grid';
import { cellView, changesBetween, tokenLabel } from './replay';

export type { GridCell };

/** The part of the grid a replay writes. */
export interface GridSink {
  set(rel: number, cell: GridCell | null): void;
}

/** What cell `rel` shows at step k (null = masked). EOS written by the EOS rule counts as the last step's. */
export function gridCell(ix: ReplayIndex, rel: number, k: number): GridCell | null {
  const c = cellView(ix, rel, k);
  if (c.kind === 'mask') return null;
  const text = tokenLabel(ix.trace, c.tokenId);
  if (c.kind === 'fill') return { tokenId: c.tokenId, text, step: ix.trace.steps.length - 1, confidence: 1 };
  return { tokenId: c.tokenId, text, step: c.step, confidence: c.confidence };
}

/** Moves a grid showing step `from` to step `to`. */
export function applyReplayToGrid(grid: GridSink, ix: ReplayIndex, from: number, to: number): void {
  for (const rel of changesBetween(ix, from, to)) grid.set(rel, gridCell(ix, rel, to));
}

/**
 * The block outlined at step k, relative [start, end): the block of the next step to decode (the first block
 * before any step), none once the last step is shown.
 */
export function activeBlockAt(ix: ReplayIndex, k: number): [number, number] | null {
  const t = ix.trace;
  const next = t.steps[k + 1];
  if (!next) return null;
  const start = Math.max(0, next.block * t.blockLength - t.promptLength);
  return [start, Math.min(ix.genLength, next.block * t.blockLength + t.blockLength - t.promptLength)];
}
