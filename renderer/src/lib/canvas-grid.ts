/**
 * The diffusion canvas as an imperative DOM grid: one cell per generated position, masks as small grey
 * cells, tokens as text (the host wraps like text: `white-space: pre-wrap`), EOS as a compact chip, the
 * active block outlined. Updates touch only the cells that change, so a frame of a 1024-token run costs
 * O(committed tokens), not O(gen_length) (issue 9, item 7). The live chat canvas (CanvasView) and the
 * replay viewer both draw with it.
 *
 * The colour logic is pure (palettes, buckets, which cells are fresh) and unit tested; the class only
 * applies it to spans. Cells carry data-pos, data-step and data-conf so tests and a hover layer can read
 * them; hovering a token shows its position, step and confidence as a tooltip.
 */

export interface GridCell {
  tokenId: number;
  /** The token's text, special tokens included. */
  text: string;
  /** The run's step that committed it, 0-based over the whole run; -1 when unknown. */
  step: number;
  confidence: number;
}

/**
 * - step: tokens committed at the current step are highlighted ("fresh"), coloured by their confidence;
 * - confidence: every token coloured by its confidence (heat map);
 * - order: every token coloured by when it was committed, step / totalSteps (heat map of the decode order).
 */
export type ColourMode = 'step' | 'confidence' | 'order';

// ---------------------------------------------------------------------------------------------
// Colours. Text colours meet 4.5:1 against the app's dark backgrounds, the active block's tint
// included (test/renderer-canvas-grid.test.ts checks every pair).

/** Backgrounds a canvas is drawn on: --bg, --bg-2 (an assistant message), --bg-3. */
export const CANVAS_BACKGROUNDS = ['#12151a', '#171b21', '#1d222a'] as const;
/** The active block's tint (styles.css `.cg-block`), drawn over those. */
export const BLOCK_TINT = 'rgba(110, 168, 254, 0.08)';

/** Confidence heat map, low to high: red, orange, yellow, lime, green. */
export const CONFIDENCE_PALETTE = ['#ff8a93', '#f5a65f', '#e9d36b', '#b5dc7a', '#74d39a'] as const;
/** Decode-order heat map, first to last: blue, cyan, green, yellow, orange. */
export const ORDER_PALETTE = ['#8ab8ff', '#6fd4e4', '#8edc9f', '#e4d46e', '#f8a170'] as const;

export type ConfidenceLevel = 'low' | 'mid' | 'high';
/** A fresh token's highlight by confidence: the text colour on a tint. */
export const FRESH_LOOK: Record<ConfidenceLevel, { color: string; background: string }> = {
  low: { color: '#ffd6d9', background: 'rgba(224, 108, 117, 0.35)' },
  mid: { color: '#ffe4c6', background: 'rgba(229, 160, 91, 0.3)' },
  high: { color: '#dcf5e1', background: 'rgba(124, 196, 138, 0.25)' },
};

/** Same thresholds as the infill view's confidence classes (lib/canvas.ts confidenceClass). */
export function confidenceLevel(confidence: number): ConfidenceLevel {
  if (confidence < 0.3) return 'low';
  if (confidence < 0.7) return 'mid';
  return 'high';
}

/** Which of `buckets` equal slices of [0, 1] a value falls in (clamped; NaN counts as 0). */
export function heatBucket(value: number, buckets: number): number {
  if (!(value > 0)) return 0;
  return Math.min(buckets - 1, Math.floor(value * buckets));
}

/** The colour of a token, '' for the inherited text colour; fresh: highlighted as the current step's. */
export interface CellLook {
  color: string;
  background: string;
  fresh: boolean;
}

const PLAIN: CellLook = { color: '', background: '', fresh: false };

export function cellLook(cell: GridCell, mode: ColourMode, currentStep: number, totalSteps: number): CellLook {
  switch (mode) {
    case 'step':
      return cell.step === currentStep && cell.step >= 0
        ? { ...FRESH_LOOK[confidenceLevel(cell.confidence)], fresh: true }
        : PLAIN;
    case 'confidence':
      return {
        color: CONFIDENCE_PALETTE[heatBucket(cell.confidence, CONFIDENCE_PALETTE.length)],
        background: '',
        fresh: false,
      };
    case 'order':
      if (cell.step < 0 || totalSteps <= 0) return PLAIN;
      return {
        color: ORDER_PALETTE[heatBucket(cell.step / Math.max(1, totalSteps - 1), ORDER_PALETTE.length)],
        background: '',
        fresh: false,
      };
  }
}

/**
 * Whether a token's text is an end-of-sequence special token (`<|endoftext|>`, `<｜end▁of▁sentence｜>`,
 * `<[end▁of▁sentence]>`, `<|im_end|>`, `<|eos|>`). The start event names the EOS id only when the run stops
 * at it (stop-at-EOS on); with it off the EOS is still the EOS, so it is also recognised by its text. The
 * special delimiters keep code such as `<end>` or `<eos>` from matching.
 */
export function isEosText(text: string): boolean {
  return /^<(?:\||｜|\[)[^<>]*(?:end.?of.?(?:sentence|text)|eos|im_end)[^<>]*(?:\||｜|\])>$/i.test(text);
}

/** The tooltip of a cell. */
export function describeCell(pos: number, cell: GridCell | null): string {
  if (!cell) return `position ${pos}: masked`;
  const step = cell.step >= 0 ? `step ${cell.step + 1}` : 'step unknown';
  return `position ${pos} · ${step} · confidence ${cell.confidence.toFixed(3)} · token ${cell.tokenId}`;
}

/** One entry of a colour mode's legend: a sample token drawn as the mode draws it. */
export interface LegendItem {
  label: string;
  color: string;
  background: string;
}

export function legendItems(mode: ColourMode, totalSteps = 0): LegendItem[] {
  switch (mode) {
    case 'step':
      return [
        { label: 'latest step, confidence < 0.3', ...FRESH_LOOK.low },
        { label: '0.3–0.7', ...FRESH_LOOK.mid },
        { label: '≥ 0.7', ...FRESH_LOOK.high },
        { label: 'earlier steps', color: '', background: '' },
      ];
    case 'confidence':
      return CONFIDENCE_PALETTE.map((color, i) => ({
        label: `${(i / CONFIDENCE_PALETTE.length).toFixed(1)}–${((i + 1) / CONFIDENCE_PALETTE.length).toFixed(1)}`,
        color,
        background: '',
      }));
    case 'order': {
      // A ramp from the first step to the last: only its ends are labelled.
      const last = ORDER_PALETTE.length - 1;
      return ORDER_PALETTE.map((color, i) => ({
        label:
          i === 0
            ? totalSteps > 0
              ? 'step 1'
              : 'first'
            : i === last
              ? totalSteps > 0
                ? `step ${totalSteps}`
                : 'last'
              : '',
        color,
        background: '',
      }));
    }
  }
}

// Contrast (WCAG 2): relative luminance of sRGB colours; rgba colours are blended over a background first.

type Rgb = [number, number, number];

export function parseColour(c: string): { rgb: Rgb; alpha: number } {
  const hex = /^#([0-9a-f]{6})$/i.exec(c);
  if (hex) {
    const n = parseInt(hex[1], 16);
    return { rgb: [(n >> 16) & 255, (n >> 8) & 255, n & 255], alpha: 1 };
  }
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(c);
  if (!m) throw new Error(`not a colour: ${c}`);
  return { rgb: [Number(m[1]), Number(m[2]), Number(m[3])], alpha: m[4] === undefined ? 1 : Number(m[4]) };
}

/** `top` drawn over the opaque `bottom`. */
export function blend(top: string, bottom: string | Rgb): Rgb {
  const t = parseColour(top);
  const b = typeof bottom === 'string' ? parseColour(bottom).rgb : bottom;
  return [0, 1, 2].map((i) => t.rgb[i] * t.alpha + b[i] * (1 - t.alpha)) as Rgb;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// ---------------------------------------------------------------------------------------------
// Freshness bookkeeping: which cells belong to which step, so moving the current step touches only
// the cells of the old and the new step (never a walk over all cells).

export class StepIndex {
  private stepOf: Int32Array;
  private byStep = new Map<number, Set<number>>();
  private current = -1;

  constructor(size: number) {
    this.stepOf = new Int32Array(size).fill(-1);
  }

  /** Records the step of a cell (null or a negative step: none). */
  set(pos: number, step: number | null): void {
    const old = this.stepOf[pos];
    if (old >= 0) {
      const cells = this.byStep.get(old);
      cells?.delete(pos);
      if (cells?.size === 0) this.byStep.delete(old);
    }
    const s = step === null || step < 0 ? -1 : step;
    this.stepOf[pos] = s;
    if (s < 0) return;
    let cells = this.byStep.get(s);
    if (!cells) this.byStep.set(s, (cells = new Set()));
    cells.add(pos);
  }

  isFresh(pos: number): boolean {
    return this.current >= 0 && this.stepOf[pos] === this.current;
  }

  /** Moves the current step; returns the cells whose freshness changed (the old step's and the new step's). */
  setCurrent(step: number): number[] {
    if (step === this.current) return [];
    const changed = [...(this.byStep.get(this.current) ?? []), ...(this.byStep.get(step) ?? [])];
    this.current = step;
    return changed;
  }
}

// ---------------------------------------------------------------------------------------------
// The DOM grid

/** A mask is this glyph, drawn grey: a small square one character wide, so masks wrap like text. */
export const MASK_GLYPH = '\u25aa';
/**
 * Positions past the last one shown are drawn by one text run of mask glyphs (the tail) rather than one
 * element each: a text run costs the layout and paint of one item, a thousand spans of a thousand. Cells
 * join the DOM in chunks as the decoding (or a `set`) reaches them.
 */
const SHOW_CHUNK = 32;

const MASK_CLASS = 'cg-cell cg-mask';
const TOKEN_CLASS = 'cg-cell cg-tok';
const FRESH_CLASS = 'cg-cell cg-tok cg-fresh';
const EOS_CLASS = 'cg-cell cg-eos';

export class CanvasGrid {
  private cells: HTMLSpanElement[] = [];
  private data: (GridCell | null)[] = [];
  /** Cells [0, shown) are in the DOM; the tail draws the rest. */
  private shown = 0;
  private readonly tail: HTMLSpanElement;
  private index = new StepIndex(0);
  /** Holds the active block's cells, so one outline goes around them (line fragments included). */
  private readonly block: HTMLSpanElement;
  private blockRange: [number, number] = [-1, -1];
  private mode: ColourMode = 'step';
  private totalSteps = 0;
  private currentStep = -1;
  private eosId: number | null;
  private readonly onHover = (e: Event) => {
    const el = (e.target as HTMLElement).closest?.('.cg-cell') as HTMLElement | null;
    if (!el || !this.host.contains(el)) return;
    const pos = Number(el.dataset.pos);
    el.title = describeCell(pos, this.data[pos] ?? null);
  };

  constructor(
    private readonly host: HTMLElement,
    opts: { eosId?: number | null } = {},
  ) {
    this.eosId = opts.eosId ?? null;
    this.block = host.ownerDocument.createElement('span');
    this.block.className = 'cg-block';
    this.block.dataset.testid = 'active-block';
    this.tail = host.ownerDocument.createElement('span');
    this.tail.className = 'cg-tail';
    host.classList.add('cg-grid');
    // Titles are written when hovered, not for every cell on every change.
    host.addEventListener('mouseover', this.onHover);
  }

  /** Draws `genLength` masked positions (everything else is dropped). */
  reset(genLength: number, eosId: number | null = this.eosId): void {
    this.eosId = eosId;
    const doc = this.host.ownerDocument;
    this.cells = new Array<HTMLSpanElement>(genLength);
    for (let i = 0; i < genLength; i++) {
      const el = doc.createElement('span');
      el.className = MASK_CLASS;
      el.textContent = MASK_GLYPH;
      el.dataset.pos = String(i);
      this.cells[i] = el;
    }
    this.data = new Array<GridCell | null>(genLength).fill(null);
    this.index = new StepIndex(genLength);
    this.index.setCurrent(this.currentStep);
    this.blockRange = [-1, -1];
    this.shown = 0;
    this.host.replaceChildren(this.tail);
    this.updateTail();
  }

  get size(): number {
    return this.cells.length;
  }

  /** Sets one position (relative to the start of the generation); only that cell's node changes. */
  set(pos: number, cell: GridCell | null): void {
    if (pos < 0 || pos >= this.cells.length) return;
    this.show(pos + 1);
    this.data[pos] = cell;
    this.index.set(pos, cell?.step ?? null);
    this.paint(pos);
  }

  /** Outlines [start, end) (relative; an empty range: none). Only the old and the new block's cells move. */
  setActiveBlock(start: number, end: number): void {
    const s = Math.max(0, start);
    const e = Math.min(this.cells.length, end);
    const [os, oe] = this.blockRange;
    if (s === os && e === oe) return;
    this.show(e);
    const b = this.block;
    while (b.firstChild) this.host.insertBefore(b.firstChild, b);
    if (s >= e) {
      b.remove();
      this.blockRange = [-1, -1];
      return;
    }
    this.host.insertBefore(b, this.cells[s]);
    for (let i = s; i < e; i++) b.appendChild(this.cells[i]);
    this.blockRange = [s, e];
  }

  /** The step whose tokens are fresh ('step' colouring); repaints only that step's and the previous one's cells. */
  setCurrentStep(step: number): void {
    this.currentStep = step;
    const changed = this.index.setCurrent(step);
    if (this.mode === 'step') for (const pos of changed) this.paint(pos);
  }

  /** Changes the colouring (repaints every token once). `totalSteps`: the run's steps, for 'order'. */
  setMode(mode: ColourMode, totalSteps = this.totalSteps): void {
    if (mode === this.mode && totalSteps === this.totalSteps) return;
    this.mode = mode;
    this.totalSteps = totalSteps;
    for (let i = 0; i < this.cells.length; i++) if (this.data[i]) this.paint(i);
  }

  /** Puts cells [shown, to) into the DOM (rounded up to a chunk), before the tail. */
  private show(to: number): void {
    if (to <= this.shown) return;
    const end = Math.min(this.cells.length, Math.ceil(to / SHOW_CHUNK) * SHOW_CHUNK);
    for (let i = this.shown; i < end; i++) this.host.insertBefore(this.cells[i], this.tail);
    this.shown = end;
    this.updateTail();
  }

  private updateTail(): void {
    const n = this.cells.length - this.shown;
    this.tail.textContent = MASK_GLYPH.repeat(n);
    this.tail.dataset.count = String(n);
  }

  destroy(): void {
    this.host.removeEventListener('mouseover', this.onHover);
    this.host.replaceChildren();
    this.cells = [];
    this.data = [];
    this.shown = 0;
  }

  private paint(pos: number): void {
    const el = this.cells[pos];
    const cell = this.data[pos];
    const style = el.style;
    el.removeAttribute('title');
    if (!cell) {
      el.className = MASK_CLASS;
      el.textContent = MASK_GLYPH;
      delete el.dataset.step;
      delete el.dataset.conf;
      style.color = '';
      style.background = '';
      return;
    }
    el.dataset.step = String(cell.step);
    el.dataset.conf = cell.confidence.toFixed(4);
    if ((this.eosId !== null && cell.tokenId === this.eosId) || isEosText(cell.text)) {
      el.className = EOS_CLASS;
      el.textContent = 'EOS';
      style.color = '';
      style.background = '';
      return;
    }
    const look = cellLook(cell, this.mode, this.currentStep, this.totalSteps);
    el.className = look.fresh ? FRESH_CLASS : TOKEN_CLASS;
    if (el.textContent !== cell.text) el.textContent = cell.text;
    style.color = look.color;
    style.background = look.background;
  }
}
