/**
 * The live middle of an infill drawn IN the editor, as plain specs (no Monaco here): the canvas
 * (lib/canvas.ts's state, built from the step events) is laid out as visual lines starting at the
 * cursor's column. The first line is injected inline after the anchor (decorations with `after`
 * content); further lines go in a zone below the anchor line, whose last line ends with the rest of
 * the anchor line (hidden in place, as ghost text does). Mask cells are one column each, wrapped at
 * the editor's width; the active block's masks are marked; committed tokens carry their confidence
 * class, the freshest ones highlighted. The document itself is never edited while this is shown.
 */
import { confidenceClass, type CanvasState } from './canvas';
import type { OffsetRange } from './infill';

export interface LivePiece {
  text: string;
  className: string;
}
export type LiveLine = LivePiece[];

export interface LiveLayout {
  /** Visual column (0-based, tabs expanded) where the middle starts on the anchor line. */
  startColumn: number;
  /** Columns a line has before mask cells wrap (the editor's content width in characters). */
  columns: number;
  tabSize: number;
  /** The rest of the anchor line after the anchor (moved to the end of the middle when it spans several lines). */
  restOfLine: string;
  /** Mask cells drawn at most; the others are counted in one "+N" piece. */
  maxMaskCells?: number;
  /**
   * Start the middle on its own line below the anchor line, indented to `indent` columns: a selection
   * being replaced reads as a diff (the old text struck through, the new one under it).
   */
  breakBefore?: boolean;
  indent?: number;
}

export interface LiveInsertPlan {
  /** The anchor line's part, injected after the anchor, in order. */
  inline: LivePiece[];
  /** The lines below the anchor line (empty when the middle fits on it). */
  zone: LiveLine[];
  /** Whether the rest of the anchor line is hidden in place (it is drawn at the end of the zone's last line). */
  hideRest: boolean;
  /** Masked positions before the first EOS, and how many of them are drawn as cells. */
  masks: number;
  maskCells: number;
  committed: number;
  total: number;
}

export const MASK_CHAR = '·';
export const DEFAULT_MAX_MASK_CELLS = 1024;

export const CLS = {
  mask: 'infill-mask',
  maskActive: 'infill-mask infill-mask-active',
  maskMore: 'infill-mask-more',
  ghost: 'infill-ghost',
  rest: 'infill-rest',
  pad: 'infill-pad',
  replaced: 'infill-replaced',
  hidden: 'infill-hidden',
} as const;

type Item = { kind: 'text'; text: string; className: string } | { kind: 'mask'; count: number; active: boolean };

/** The canvas as text runs and mask runs, in order, cut at the first EOS. */
export function canvasItems(canvas: CanvasState): Item[] {
  const items: Item[] = [];
  const n = canvas.tokens.length;
  for (let i = 0; i < n; i++) {
    const t = canvas.tokens[i];
    const active = i >= canvas.blockStart && i < canvas.blockEnd;
    if (t === null) {
      const last = items[items.length - 1];
      if (last && last.kind === 'mask' && last.active === active) last.count += 1;
      else items.push({ kind: 'mask', count: 1, active });
      continue;
    }
    if (canvas.eosId !== null && t.tokenId === canvas.eosId) break;
    const className = `infill-tok ${confidenceClass(t.confidence)}${t.batch === canvas.batch ? ' infill-fresh' : ''}${active ? ' infill-in-block' : ''}`;
    const last = items[items.length - 1];
    if (last && last.kind === 'text' && last.className === className) last.text += t.text;
    else items.push({ kind: 'text', text: t.text, className });
  }
  return items;
}

class LineBuilder {
  lines: LiveLine[] = [[]];
  col: number;
  constructor(
    startColumn: number,
    private readonly columns: number,
    private readonly tabSize: number,
  ) {
    this.col = startColumn;
  }

  private append(text: string, className: string) {
    if (!text) return;
    const line = this.lines[this.lines.length - 1];
    const last = line[line.length - 1];
    if (last && last.className === className) last.text += text;
    else line.push({ text, className });
  }

  newLine() {
    this.lines.push([]);
    this.col = 0;
  }

  /** Text, with line breaks starting new lines and tabs expanded to the next tab stop. */
  text(text: string, className: string) {
    const parts = text.replace(/\r\n?/g, '\n').split('\n');
    parts.forEach((part, i) => {
      if (i > 0) this.newLine();
      let out = '';
      for (const ch of part) {
        if (ch === '\t') {
          const w = this.tabSize - ((this.col + out.length) % this.tabSize);
          out += ' '.repeat(w);
        } else out += ch;
      }
      this.append(out, className);
      this.col += out.length;
    });
  }

  /** Mask cells, wrapped at the line width. */
  masks(count: number, className: string) {
    let left = count;
    while (left > 0) {
      let room = this.columns - this.col;
      if (room <= 0) {
        this.newLine();
        room = this.columns;
      }
      const k = Math.min(left, room);
      this.append(MASK_CHAR.repeat(k), className);
      this.col += k;
      left -= k;
    }
  }
}

function planFrom(items: Item[], layout: LiveLayout, totals: { committed: number; total: number }): LiveInsertPlan {
  const columns = Math.max(8, Math.floor(layout.columns));
  const b = new LineBuilder(Math.max(0, layout.startColumn), columns, Math.max(1, layout.tabSize));
  if (layout.breakBefore && items.length > 0) {
    b.newLine();
    b.text(' '.repeat(Math.max(0, layout.indent ?? 0)), CLS.pad);
  }
  const maxCells = layout.maxMaskCells ?? DEFAULT_MAX_MASK_CELLS;
  let masks = 0;
  let cells = 0;
  let hiddenMasks = 0;
  for (const it of items) {
    if (it.kind === 'mask') masks += it.count;
    if (hiddenMasks > 0 || (it.kind === 'mask' && cells + it.count > maxCells)) {
      // Past the cap: count what is left instead of drawing it.
      if (it.kind === 'mask') {
        const drawn = hiddenMasks > 0 ? 0 : Math.max(0, maxCells - cells);
        if (drawn > 0) b.masks(drawn, it.active ? CLS.maskActive : CLS.mask);
        cells += drawn;
        hiddenMasks += it.count - drawn;
      }
      continue;
    }
    if (it.kind === 'mask') {
      b.masks(it.count, it.active ? CLS.maskActive : CLS.mask);
      cells += it.count;
    } else b.text(it.text, it.className);
  }
  if (hiddenMasks > 0) b.text(` +${hiddenMasks}`, CLS.maskMore);
  const hideRest = b.lines.length > 1 && layout.restOfLine.length > 0;
  if (hideRest) b.text(layout.restOfLine, CLS.rest);
  const [inline, ...zone] = b.lines;
  return { inline, zone, hideRest, masks, maskCells: cells, committed: totals.committed, total: totals.total };
}

/** The running middle: masks, the active block, committed tokens by confidence. */
export function livePlan(canvas: CanvasState, layout: LiveLayout): LiveInsertPlan {
  return planFrom(canvasItems(canvas), layout, { committed: canvas.committed, total: canvas.tokens.length });
}

/** A finished middle waiting for review: ghost text only. */
export function suggestionPlan(text: string, layout: LiveLayout): LiveInsertPlan {
  return planFrom(text ? [{ kind: 'text', text, className: CLS.ghost }] : [], layout, { committed: 0, total: 0 });
}

/** A decoration as plain data: a range (document offsets) with a class, or a collapsed point with injected content. */
export interface DecorationSpec {
  start: number;
  end: number;
  className?: string;
  after?: LivePiece;
}

/**
 * The decorations for a plan: the replaced selection struck through, the inline pieces after the
 * anchor's end (in order), the rest of the anchor line hidden when it moves below.
 * `restEnd` is the offset of the anchor line's end.
 */
export function decorationSpecs(plan: LiveInsertPlan, target: OffsetRange, restEnd: number): DecorationSpec[] {
  const out: DecorationSpec[] = [];
  if (target.end > target.start) out.push({ start: target.start, end: target.end, className: CLS.replaced });
  for (const p of plan.inline) out.push({ start: target.end, end: target.end, after: p });
  if (plan.hideRest && restEnd > target.end) out.push({ start: target.end, end: restEnd, className: CLS.hidden });
  return out;
}

/** Visual column (tabs expanded) of a position in a line: `column` is 1-based like Monaco's. */
export function visualColumn(lineText: string, column: number, tabSize: number): number {
  let col = 0;
  for (let i = 0; i < column - 1 && i < lineText.length; i++)
    col = lineText[i] === '\t' ? col + tabSize - (col % tabSize) : col + 1;
  return col;
}

/** Mask cells drawn by a plan (what the e2e test counts in the DOM). */
export function planMaskCells(plan: LiveInsertPlan): number {
  let n = 0;
  for (const line of [plan.inline, ...plan.zone])
    for (const p of line) if (p.className.startsWith(CLS.mask) && p.className !== CLS.maskMore) n += p.text.length;
  return n;
}
