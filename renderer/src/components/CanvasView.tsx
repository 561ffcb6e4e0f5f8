/** A streaming assistant message drawn as the diffusion canvas: settled text, masks, the active block, fresh tokens. */
import { type ReactNode } from 'react';
import { canvasSegments, confidenceClass, type CanvasState, type Segment } from '../lib/canvas';

function renderSegment(seg: Segment): ReactNode {
  switch (seg.kind) {
    case 'text':
      return seg.fresh ? (
        <span
          key={seg.key}
          className={`fresh-token ${confidenceClass(seg.confidence)}`}
          title={`confidence ${seg.confidence.toFixed(2)}`}
        >
          {seg.text}
        </span>
      ) : (
        <span key={seg.key}>{seg.text}</span>
      );
    case 'mask':
      return seg.count === 1 ? (
        <span key={seg.key} className="mask-chip" aria-label="masked position" />
      ) : (
        <span key={seg.key} className="mask-chip mask-rest" title={`${seg.count} masked positions`}>
          {seg.count} masked
        </span>
      );
    case 'eos':
      return (
        <span key={seg.key} className="eos-chip" title="end of sequence">
          EOS{seg.count > 1 ? ` ×${seg.count}` : ''}
        </span>
      );
  }
}

export function CanvasView({ canvas, stopping }: { canvas: CanvasState | null; stopping: boolean }) {
  if (!canvas || canvas.phase === 'waiting') {
    return (
      <div className="canvas canvas-waiting">
        <span className="spinner" /> {stopping ? 'Stopping…' : 'Reading the prompt…'}
      </div>
    );
  }
  const segments = canvasSegments(canvas);
  const out: ReactNode[] = [];
  let block: ReactNode[] | null = null;
  for (const seg of segments) {
    if (seg.active) {
      if (!block) block = [];
      block.push(renderSegment(seg));
    } else {
      if (block) {
        out.push(
          <span key={`block-${out.length}`} className="active-block">
            {block}
          </span>,
        );
        block = null;
      }
      out.push(renderSegment(seg));
    }
  }
  if (block)
    out.push(
      <span key={`block-${out.length}`} className="active-block">
        {block}
      </span>,
    );
  const numBlocks = canvas.blockLength > 0 ? Math.ceil(canvas.genLength / canvas.blockLength) : 0;
  return (
    <div className="canvas-wrap">
      <div className="canvas-meta">
        {stopping ? 'stopping · ' : ''}block {canvas.blockIndex + 1}/{numBlocks} · step {canvas.step + 1} ·{' '}
        {canvas.committed}/{canvas.genLength} tokens · {canvas.forwards} forwards
      </div>
      <div className="canvas">{out}</div>
    </div>
  );
}
