/**
 * The live canvas of the streaming assistant message: every position of gen_length, drawn by CanvasGrid.
 * It follows the run store outside React render: a frame writes only the cells its batch committed and
 * the meta line, and nothing re-renders (React renders this only when the run starts, stops or ends).
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { canvasChanges, canvasLabel, canvasMeta, type CanvasState } from '../lib/canvas';
import { CanvasGrid, type ColourMode } from '../lib/canvas-grid';
import { useRunStore } from '../stores/run';
import { CanvasLegend } from './CanvasLegend';

/** Decode order needs the run's total steps, which a live run does not know yet: the replay shows it. */
const LIVE_MODES: readonly ColourMode[] = ['step', 'confidence'];

/** Brings the grid from the canvas it shows (`shown`) to `next`, touching only the cells that changed. */
export function syncGrid(grid: CanvasGrid, shown: CanvasState | null, next: CanvasState): void {
  let changes = canvasChanges(shown, next);
  if (changes === 'all') {
    grid.reset(next.genLength, next.eosToken);
    changes = [];
    for (let i = 0; i < next.tokens.length; i++) if (next.tokens[i]) changes.push(i);
  }
  // The current step first, so the cells set next are painted once, fresh or not.
  grid.setCurrentStep(next.steps - 1);
  for (const pos of changes) grid.set(pos, next.tokens[pos]);
  grid.setActiveBlock(next.blockStart, next.blockEnd);
}

export function CanvasView() {
  const waiting = useRunStore((s) => !s.canvas || s.canvas.phase === 'waiting');
  const stopping = useRunStore((s) => s.active?.stopping ?? false);
  if (waiting) {
    return (
      <div className="canvas canvas-waiting">
        <span className="spinner" /> {stopping ? 'Stopping…' : 'Reading the prompt…'}
      </div>
    );
  }
  return <LiveGrid stopping={stopping} />;
}

function LiveGrid({ stopping }: { stopping: boolean }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const metaRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<CanvasGrid | null>(null);
  const stoppingRef = useRef(stopping);
  const [mode, setMode] = useState<ColourMode>('step');

  // A layout effect: the grid is drawn before the first paint (no empty frame).
  useLayoutEffect(() => {
    const host = hostRef.current!;
    const meta = metaRef.current!;
    const grid = new CanvasGrid(host);
    gridRef.current = grid;
    let shown: CanvasState | null = null;
    const show = (canvas: CanvasState | null) => {
      if (!canvas || canvas === shown || canvas.phase === 'waiting') return;
      syncGrid(grid, shown, canvas);
      shown = canvas;
      meta.textContent = canvasMeta(canvas, stoppingRef.current);
      host.setAttribute('aria-label', canvasLabel(canvas));
    };
    show(useRunStore.getState().canvas);
    const unsubscribe = useRunStore.subscribe((s) => show(s.canvas));
    return () => {
      unsubscribe();
      grid.destroy();
      gridRef.current = null;
    };
  }, []);

  useEffect(() => {
    stoppingRef.current = stopping;
    const canvas = useRunStore.getState().canvas;
    if (canvas && metaRef.current) metaRef.current.textContent = canvasMeta(canvas, stopping);
  }, [stopping]);

  useEffect(() => gridRef.current?.setMode(mode), [mode]);

  return (
    <div className="canvas-wrap">
      <div className="canvas-meta" ref={metaRef} />
      <CanvasLegend mode={mode} onMode={setMode} modes={LIVE_MODES} />
      <div className="canvas" ref={hostRef} role="img" aria-label="Decoding canvas" data-testid="canvas" />
    </div>
  );
}
