/**
 * The canvas grid (renderer/src/lib/canvas-grid.ts): its pure colour logic and freshness bookkeeping,
 * and the DOM class against a minimal fake DOM (no jsdom here) that counts writes, so "a frame touches
 * only the changed cells" is checked, not assumed.
 */
import { describe, expect, it } from 'vitest';
import { confidenceClass } from '../renderer/src/lib/canvas';
import {
  BLOCK_TINT,
  blend,
  CANVAS_BACKGROUNDS,
  CanvasGrid,
  cellLook,
  CONFIDENCE_PALETTE,
  confidenceLevel,
  contrastRatio,
  describeCell,
  FRESH_LOOK,
  heatBucket,
  isEosText,
  legendItems,
  MASK_GLYPH,
  ORDER_PALETTE,
  parseColour,
  StepIndex,
  type GridCell,
} from '../renderer/src/lib/canvas-grid';

const cell = (step: number, confidence = 0.9, tokenId = 10, text = 'x'): GridCell => ({
  tokenId,
  text,
  step,
  confidence,
});

describe('canvas grid colours', () => {
  it('heat buckets split [0, 1] evenly and clamp', () => {
    expect([0, 0.19, 0.2, 0.5, 0.99, 1, 1.5, -1, NaN].map((v) => heatBucket(v, 5))).toEqual([
      0, 0, 1, 2, 4, 4, 4, 0, 0,
    ]);
  });

  it('confidence levels match the infill view classes', () => {
    for (const c of [0, 0.29, 0.3, 0.69, 0.7, 1]) expect(`conf-${confidenceLevel(c)}`).toBe(confidenceClass(c));
  });

  it('step mode highlights only the current step; confidence and order colour every token', () => {
    expect(cellLook(cell(3, 0.2), 'step', 3, 0)).toEqual({ ...FRESH_LOOK.low, fresh: true });
    expect(cellLook(cell(2, 0.2), 'step', 3, 0)).toEqual({ color: '', background: '', fresh: false });
    // Unknown steps (tokens committed before the page attached) are never fresh.
    expect(cellLook(cell(-1), 'step', -1, 0).fresh).toBe(false);
    expect(cellLook(cell(0, 0.05), 'confidence', 0, 0).color).toBe(CONFIDENCE_PALETTE[0]);
    expect(cellLook(cell(0, 0.95), 'confidence', 0, 0).color).toBe(CONFIDENCE_PALETTE[4]);
    expect(cellLook(cell(0), 'order', 0, 100).color).toBe(ORDER_PALETTE[0]);
    expect(cellLook(cell(99), 'order', 0, 100).color).toBe(ORDER_PALETTE[4]);
    expect(cellLook(cell(50), 'order', 0, 100).color).toBe(ORDER_PALETTE[2]);
    expect(cellLook(cell(-1), 'order', 0, 100).color).toBe('');
  });

  it('every text colour has 4.5:1 contrast on the dark backgrounds, in and out of the active block', () => {
    const pairs: [string, [number, number, number]][] = [];
    for (const bg of CANVAS_BACKGROUNDS) {
      const under = [parseColour(bg).rgb, blend(BLOCK_TINT, bg)];
      for (const u of under) {
        for (const c of [...CONFIDENCE_PALETTE, ...ORDER_PALETTE]) pairs.push([c, u]);
        for (const f of Object.values(FRESH_LOOK)) pairs.push([f.color, blend(f.background, u)]);
      }
    }
    for (const [fg, bg] of pairs) expect(contrastRatio(parseColour(fg).rgb, bg), `${fg} on ${bg}`).toBeGreaterThan(4.5);
    // The check itself: white on black is 21, equal colours 1.
    expect(contrastRatio([255, 255, 255], [0, 0, 0])).toBeCloseTo(21);
    expect(contrastRatio([18, 21, 26], [18, 21, 26])).toBe(1);
  });

  it('legends: the fresh levels, five confidence ranges, an order ramp labelled at its ends', () => {
    expect(legendItems('step').map((i) => i.label)).toEqual([
      'latest step, confidence < 0.3',
      '0.3–0.7',
      '≥ 0.7',
      'earlier steps',
    ]);
    expect(legendItems('confidence').map((i) => i.label)).toEqual([
      '0.0–0.2',
      '0.2–0.4',
      '0.4–0.6',
      '0.6–0.8',
      '0.8–1.0',
    ]);
    expect(legendItems('order', 256).map((i) => i.label)).toEqual(['step 1', '', '', '', 'step 256']);
    expect(legendItems('order').map((i) => i.color)).toEqual([...ORDER_PALETTE]);
  });

  it('recognises EOS special tokens by their text (the EOS id is only known with stop-at-EOS on)', () => {
    for (const t of ['<|endoftext|>', '<｜end▁of▁sentence｜>', '<[end▁of▁sentence]>', '<|im_end|>', '<|EOS|>'])
      expect(isEosText(t), t).toBe(true);
    for (const t of ['<end>', '<eos>', '</s>', 'end_of_text', '<[begin▁of▁sentence]>', '<|user|>', '<div class="eos">'])
      expect(isEosText(t), t).toBe(false);
  });

  it('describes a cell for its tooltip', () => {
    expect(describeCell(4, null)).toBe('position 4: masked');
    expect(describeCell(4, cell(2, 0.5, 77))).toBe('position 4 · step 3 · confidence 0.500 · token 77');
    expect(describeCell(4, cell(-1, 0.5, 77))).toContain('step unknown');
  });
});

describe('StepIndex', () => {
  it('moving the current step reports only the old and the new step cells', () => {
    const ix = new StepIndex(10);
    ix.set(0, 0);
    ix.set(1, 0);
    ix.set(2, 1);
    ix.set(3, 2);
    expect(ix.setCurrent(1)).toEqual([2]);
    expect(ix.isFresh(2)).toBe(true);
    expect(ix.setCurrent(2).sort()).toEqual([2, 3]);
    expect(ix.setCurrent(2)).toEqual([]);
    // Backwards (a replay stepping back) works the same.
    expect(ix.setCurrent(0).sort()).toEqual([0, 1, 3]);
    // Re-setting a cell moves it between steps; null removes it.
    ix.set(0, 2);
    expect(ix.isFresh(0)).toBe(false);
    expect(ix.setCurrent(2).sort()).toEqual([0, 1, 3]);
    ix.set(3, null);
    expect(ix.isFresh(3)).toBe(false);
    expect(ix.setCurrent(5)).toEqual([0]);
  });
});

// A minimal DOM: enough for CanvasGrid, counting the writes to cells.
let writes = 0;
class FakeNode {
  parent: FakeNode | null = null;
  children: FakeNode[] = [];
  get firstChild() {
    return this.children[0] ?? null;
  }
  appendChild(n: FakeNode) {
    n.parent?.removeChild(n);
    n.parent = this;
    this.children.push(n);
    return n;
  }
  insertBefore(n: FakeNode, ref: FakeNode) {
    n.parent?.removeChild(n);
    const i = this.children.indexOf(ref);
    if (i < 0) throw new Error('ref is not a child');
    n.parent = this;
    this.children.splice(i, 0, n);
    return n;
  }
  removeChild(n: FakeNode) {
    this.children.splice(this.children.indexOf(n), 1);
    n.parent = null;
  }
  remove() {
    this.parent?.removeChild(this);
  }
  replaceChildren(...ns: FakeNode[]) {
    for (const c of [...this.children]) this.removeChild(c);
    for (const n of ns) {
      if (n instanceof FakeFragment) for (const c of [...n.children]) this.appendChild(c);
      else this.appendChild(n);
    }
  }
}
class FakeFragment extends FakeNode {}
class FakeElement extends FakeNode {
  ownerDocument = fakeDocument;
  dataset: Record<string, string> = {};
  attrs: Record<string, string> = {};
  private cls = '';
  private text = '';
  style = new Proxy({} as Record<string, string>, {
    set: (o, k: string, v: string) => {
      if (o[k] !== v) writes += 1;
      o[k] = v;
      return true;
    },
  });
  classList = { add: (c: string) => (this.cls = `${this.cls} ${c}`.trim()) };
  get className() {
    return this.cls;
  }
  set className(v: string) {
    writes += 1;
    this.cls = v;
  }
  get textContent() {
    return this.text;
  }
  set textContent(v: string) {
    writes += 1;
    this.text = v;
  }
  setAttribute(k: string, v: string) {
    this.attrs[k] = v;
  }
  removeAttribute(k: string) {
    delete this.attrs[k];
  }
  addEventListener() {}
  removeEventListener() {}
}
const fakeDocument = {
  createElement: () => new FakeElement(),
  createDocumentFragment: () => new FakeFragment(),
};
const newGrid = () => {
  const host = new FakeElement();
  return { host, grid: new CanvasGrid(host as unknown as HTMLElement, { eosId: 2 }) };
};
const cellsOf = (host: FakeElement): FakeElement[] =>
  host.children
    .filter((c) => (c as FakeElement).className !== 'cg-tail')
    .flatMap((c) => ((c as FakeElement).className === 'cg-block' ? c.children : [c])) as FakeElement[];
const tailOf = (host: FakeElement) => host.children[host.children.length - 1] as FakeElement;

describe('CanvasGrid (fake DOM)', () => {
  it('draws every position as a mask, then tokens, EOS chips and the outlined block', () => {
    const { host, grid } = newGrid();
    grid.reset(8);
    // Masks not reached yet are one text run of mask glyphs.
    expect(host.children).toHaveLength(1);
    expect(tailOf(host)).toMatchObject({ className: 'cg-tail', textContent: MASK_GLYPH.repeat(8) });
    expect(tailOf(host).dataset.count).toBe('8');
    grid.setActiveBlock(0, 4);
    // Reaching a position brings its chunk of cells into the DOM, masks each.
    expect(tailOf(host).dataset.count).toBe('0');
    expect(cellsOf(host).every((c) => c.className === 'cg-cell cg-mask' && c.textContent === MASK_GLYPH)).toBe(true);
    expect(cellsOf(host).map((c) => c.dataset.pos)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(host.children).toHaveLength(6);
    expect((host.children[0] as FakeElement).className).toBe('cg-block');
    expect(host.children[0].children).toHaveLength(4);
    grid.setCurrentStep(0);
    grid.set(1, cell(0, 0.2, 10, 'def'));
    grid.set(6, cell(0, 0.9, 2, '<eos>'));
    // With stop-at-EOS off the id is unknown (null): the text says it.
    grid.set(7, cell(0, 0.9, 7, '<[end▁of▁sentence]>'));
    const cells = cellsOf(host);
    expect(cells[1]).toMatchObject({ className: 'cg-cell cg-tok cg-fresh', textContent: 'def' });
    expect(cells[1].dataset).toMatchObject({ step: '0', conf: '0.2000' });
    expect(cells[1].style.background).toBe(FRESH_LOOK.low.background);
    expect(cells[6]).toMatchObject({ className: 'cg-cell cg-eos', textContent: 'EOS' });
    expect(cells[7]).toMatchObject({ className: 'cg-cell cg-eos', textContent: 'EOS' });
    // Next block: the old block's cells go back in place, in order.
    grid.setActiveBlock(4, 8);
    expect(host.children).toHaveLength(6);
    expect(cellsOf(host).map((c) => c.dataset.pos)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(host.children[4].children).toHaveLength(4);
    grid.setActiveBlock(-1, -1);
    expect(host.children).toHaveLength(9);
    grid.destroy();
    expect(host.children).toHaveLength(0);
  });

  it('a step touches only its cells and the previous step cells', () => {
    const { host, grid } = newGrid();
    grid.reset(1024);
    grid.set(40, cell(-1));
    // Cells join in chunks of 32: a set far ahead shows the cells up to its chunk, the tail draws the rest.
    expect(cellsOf(host)).toHaveLength(64);
    expect(tailOf(host).dataset.count).toBe(String(1024 - 64));
    for (let step = 0; step < 100; step++) {
      grid.setCurrentStep(step);
      grid.set(step, cell(step));
    }
    writes = 0;
    grid.setCurrentStep(100);
    grid.set(100, cell(100));
    // The new cell (class, text, colours) and the previous step's one cell losing its highlight: a handful of
    // writes, whatever the grid's size.
    expect(writes).toBeLessThanOrEqual(8);
    expect(cellsOf(host)[99].className).toBe('cg-cell cg-tok');
    expect(cellsOf(host)[100].className).toBe('cg-cell cg-tok cg-fresh');
    // Switching the colouring repaints every token once.
    writes = 0;
    grid.setMode('order', 101);
    expect(cellsOf(host)[0].style.color).toBe(ORDER_PALETTE[0]);
    expect(cellsOf(host)[100].style.color).toBe(ORDER_PALETTE[4]);
    expect(writes).toBeGreaterThan(100);
    // Setting a cell back to a mask clears it.
    grid.set(5, null);
    expect(cellsOf(host)[5]).toMatchObject({ className: 'cg-cell cg-mask', textContent: MASK_GLYPH });
    expect(cellsOf(host)[5].dataset.step).toBeUndefined();
  });
});
