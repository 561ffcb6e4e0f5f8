/**
 * One trace's canvas at a replay step, drawn by CanvasGrid: a step change sets only the cells that changed.
 * Cells are focusable one at a time (a roving tabindex: Tab enters at the last focused cell, arrows move,
 * Home/End jump); hovering or focusing a cell reports it (`onInspect`) for the details panel.
 */
import { useLayoutEffect, useRef } from 'react';
import type { ReplayIndex } from '../../../common/trace';
import { CanvasGrid, type ColourMode } from '../lib/canvas-grid';
import { activeBlockAt, applyReplayToGrid, gridCell } from '../lib/replay-grid';

interface Props {
  ix: ReplayIndex;
  step: number;
  mode: ColourMode;
  label: string;
  /** Positions to mark (where two answers differ). */
  diff?: readonly number[];
  onInspect(rel: number | null): void;
  testId?: string;
}

const cellOf = (host: HTMLElement, pos: number) => host.querySelector<HTMLElement>(`.cg-cell[data-pos="${pos}"]`);
const lastCell = (host: HTMLElement) => {
  const all = host.querySelectorAll<HTMLElement>('.cg-cell[data-pos]');
  return all.length ? all[all.length - 1] : null;
};
const posOf = (el: EventTarget | null) => {
  const cell = (el as HTMLElement | null)?.closest?.<HTMLElement>('.cg-cell[data-pos]');
  return cell ? Number(cell.dataset.pos) : null;
};

export function TraceCanvas({ ix, step, mode, label, diff, onInspect, testId = 'trace-canvas' }: Props) {
  const hostRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<CanvasGrid | null>(null);
  const shown = useRef(-1);
  const focusPos = useRef(0);

  const rove = (pos: number, focus: boolean) => {
    const host = hostRef.current;
    if (!host) return;
    // Masked positions past the last one drawn are not cells yet (the grid's tail): stop at the last cell.
    const el = cellOf(host, Math.max(0, Math.min(ix.genLength - 1, pos))) ?? lastCell(host);
    if (!el) return;
    const before = host.querySelector<HTMLElement>('.cg-cell[tabindex]');
    // (Removing the focused cell's own tabindex would blur it.)
    if (before !== el) {
      before?.removeAttribute('tabindex');
      el.tabIndex = 0;
    }
    focusPos.current = Number(el.dataset.pos);
    if (focus) el.focus();
  };

  useLayoutEffect(() => {
    const eosId = ix.trace.model.eosId ?? ix.trace.params.eosId;
    const grid = new CanvasGrid(hostRef.current!, { eosId });
    grid.reset(ix.genLength, eosId);
    gridRef.current = grid;
    shown.current = -1;
    return () => grid.destroy();
    // The grid is rebuilt for a new trace only.
  }, [ix]);

  useLayoutEffect(() => gridRef.current?.setMode(mode, ix.trace.steps.length), [mode, ix]);

  useLayoutEffect(() => {
    const grid = gridRef.current!;
    grid.setCurrentStep(step);
    applyReplayToGrid(grid, ix, shown.current, step);
    shown.current = step;
    const block = activeBlockAt(ix, step);
    grid.setActiveBlock(block?.[0] ?? 0, block?.[1] ?? 0);
    if (!hostRef.current!.querySelector('.cg-cell[tabindex]')) {
      // The grid adds cells as the decoding reaches them: the first is always there to Tab to.
      grid.set(0, gridCell(ix, 0, step));
      rove(0, false);
    }
  }, [ix, step]);

  useLayoutEffect(() => {
    const host = hostRef.current!;
    const marked = (diff ?? []).map((p) => cellOf(host, p)).filter((el): el is HTMLElement => el !== null);
    for (const el of marked) el.dataset.diff = '1';
    return () => marked.forEach((el) => delete el.dataset.diff);
  }, [diff, ix]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const moves: Record<string, number> = {
      ArrowLeft: focusPos.current - 1,
      ArrowRight: focusPos.current + 1,
      ArrowUp: focusPos.current - ix.trace.blockLength,
      ArrowDown: focusPos.current + ix.trace.blockLength,
      Home: 0,
      End: ix.genLength - 1,
    };
    if (!(e.key in moves) || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    e.stopPropagation(); // the viewer's arrows step the replay; inside the canvas they move between tokens
    rove(moves[e.key], true);
  };

  return (
    <div
      className="canvas trace-canvas"
      ref={hostRef}
      role="group"
      aria-roledescription="decoding canvas"
      aria-label={`${label}: step ${step + 1} of ${ix.trace.steps.length}. Arrow keys move between tokens.`}
      data-testid={testId}
      data-step={step}
      onKeyDown={onKeyDown}
      onFocus={(e) => {
        const pos = posOf(e.target);
        if (pos === null) return;
        rove(pos, false);
        onInspect(pos);
      }}
      onMouseOver={(e) => {
        const pos = posOf(e.target);
        if (pos !== null) onInspect(pos);
      }}
      onMouseLeave={() => onInspect(hostRef.current?.contains(document.activeElement) ? focusPos.current : null)}
    />
  );
}
