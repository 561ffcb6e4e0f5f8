import { beforeEach, describe, expect, it, vi } from 'vitest';
import { recordTrace } from '../common/trace';
import type { DecodeEvent } from '../common/decode-events';
import type { Events } from '../common/contract';
import { conversationSchema } from '../common/contract';
import type { AppSettings, DecodeSettings } from '../common/models';
import type { AppBridge } from '../renderer/src/bridge';
import { applyEvents, emptyCanvas, type CanvasState, type RunEvent } from '../renderer/src/lib/canvas';
import {
  acceptEdit,
  applyEdit,
  capPrefix,
  capSuffix,
  cursorAtSuggestion,
  editConflicts,
  infillDecoding,
  infillTitle,
  inverseEdit,
  keyAction,
  normalizeMiddleLength,
  runResult,
  replayPace,
} from '../renderer/src/lib/infill';
import {
  canvasItems,
  CLS,
  decorationSpecs,
  livePlan,
  MASK_CHAR,
  planMaskCells,
  suggestionPlan,
  visualColumn,
  type LiveLayout,
} from '../renderer/src/lib/live-insert';
import { validateDecodeSettings } from '../renderer/src/lib/settings';
import { setBridge } from '../renderer/src/services';
import { useConversationsStore } from '../renderer/src/stores/conversations';
import { initialCanvas, routeInfillEvent, useInfillStore } from '../renderer/src/stores/infill';
import { useRunStore } from '../renderer/src/stores/run';
import { useSettingsStore } from '../renderer/src/stores/settings';
import { fakeBridge } from './helpers/fake-bridge';
import { startEvent, startExtras } from './helpers/events';

const decoding: DecodeSettings = {
  steps: 64,
  genLength: 64,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  stopAtEos: true,
};

describe('what an infill sends', () => {
  it('caps each side to the characters nearest the cursor, never splitting a surrogate pair', () => {
    expect(capPrefix('abcdef', 3)).toBe('def');
    expect(capSuffix('abcdef', 3)).toBe('abc');
    expect(capPrefix('abc', 10)).toBe('abc');
    const emoji = '😀'; // two UTF-16 units
    expect(capPrefix(`x${emoji}yz`, 3)).toBe('yz'); // would start at the low surrogate: skipped
    expect(capPrefix(`x${emoji}yz`, 4)).toBe(`${emoji}yz`);
    expect(capSuffix(`ab${emoji}c`, 3)).toBe('ab'); // would end at the high surrogate: dropped
    expect(capSuffix(`ab${emoji}c`, 4)).toBe(`ab${emoji}`);
  });

  it('middle length: whole blocks, one block at least, 8192 at most', () => {
    expect(normalizeMiddleLength(64, 4)).toBe(64);
    expect(normalizeMiddleLength(30, 4)).toBe(32);
    expect(normalizeMiddleLength(0, 4)).toBe(4);
    expect(normalizeMiddleLength(Number.NaN, 4)).toBe(4);
    expect(normalizeMiddleLength(100_000, 4)).toBe(8192);
    expect(normalizeMiddleLength(100, 6)).toBe(102);
    expect(normalizeMiddleLength(9000, 6)).toBe(8190);
  });

  it('decoding settings: gen_length = the middle, steps per block kept (reference: steps = gen_length), always valid', () => {
    const ref = infillDecoding(decoding, 32);
    expect(ref).toEqual({ ...decoding, genLength: 32, steps: 32 });
    // Two steps per block stay two per block.
    expect(infillDecoding({ ...decoding, steps: 32 }, 48)).toMatchObject({ genLength: 48, steps: 24 });
    // Threshold decoding keeps steps per block >= block length.
    const fast = infillDecoding({ ...decoding, threshold: 0.9 }, 17);
    expect(fast).toMatchObject({ genLength: 20, steps: 20 });
    for (const s of [
      ref,
      fast,
      infillDecoding(decoding, 8192),
      infillDecoding({ ...decoding, blockLength: 8, genLength: 64, steps: 8 }, 100),
    ]) {
      expect(validateDecodeSettings(s)).toEqual({});
    }
  });

  it('titles the record by file and place', () => {
    expect(infillTitle('src/a.py', { start: { line: 3, column: 5 }, end: { line: 3, column: 5 } })).toBe(
      'Infill in src/a.py at 3:5',
    );
    expect(infillTitle('a.py', { start: { line: 3, column: 5 }, end: { line: 4, column: 1 } })).toBe(
      'Infill in a.py replacing 3:5–4:1',
    );
  });
});

describe('edits during a run or a pending suggestion', () => {
  const ins = (at: number, text: string) => ({ rangeOffset: at, rangeLength: 0, text });
  const del = (at: number, n: number) => ({ rangeOffset: at, rangeLength: n, text: '' });

  it('at an insertion point: typing at it or deleting across it conflicts; edits before/after it do not', () => {
    const p = { start: 10, end: 10 };
    expect(editConflicts([ins(10, 'x')], p)).toBe(true);
    expect(editConflicts([del(8, 4)], p)).toBe(true);
    expect(editConflicts([{ rangeOffset: 9, rangeLength: 1, text: 'y' }], p)).toBe(true); // replaces the char touching it
    expect(editConflicts([ins(9, 'x'), ins(11, 'x'), del(0, 3), del(10, 2), del(8, 2)], p)).toBe(false);
  });

  it('over a selection: changes inside it conflict; typing right before or after it does not', () => {
    const r = { start: 10, end: 20 };
    expect(editConflicts([ins(15, 'x')], r)).toBe(true);
    expect(editConflicts([del(19, 3)], r)).toBe(true);
    expect(editConflicts([del(5, 6)], r)).toBe(true);
    expect(editConflicts([ins(10, 'x')], r)).toBe(false);
    expect(editConflicts([ins(20, 'x')], r)).toBe(false);
    expect(editConflicts([del(5, 5), del(20, 4), ins(0, 'abc')], r)).toBe(false);
  });

  it('keys: Escape stops a run; pending: Tab/Enter accept at the suggestion, Escape rejects', () => {
    expect(keyAction('running', 'Escape', true)).toBe('stop');
    expect(keyAction('running', 'Tab', true)).toBeNull();
    expect(keyAction('pending', 'Tab', true)).toBe('accept');
    expect(keyAction('pending', 'Enter', true)).toBe('accept');
    expect(keyAction('pending', 'Tab', false)).toBeNull();
    expect(keyAction('pending', 'Escape', false)).toBe('reject');
    expect(keyAction('idle', 'Escape', true)).toBeNull();
    expect(cursorAtSuggestion({ start: 10, end: 10 }, { start: 10, end: 10 })).toBe(true);
    expect(cursorAtSuggestion({ start: 10, end: 20 }, { start: 10, end: 20 })).toBe(true);
    expect(cursorAtSuggestion({ start: 11, end: 11 }, { start: 10, end: 10 })).toBe(false);
  });
});

describe('accepting and undoing', () => {
  it('accept is one edit: prefix + middle + suffix; its inverse restores the document byte for byte', () => {
    const doc = 'def f(x):\n    \nprint(f(2))\r\n';
    const at = doc.indexOf('    \n') + 4;
    const edit = acceptEdit({ start: at, end: at }, 'return x * 2');
    const after = applyEdit(doc, edit);
    expect(after).toBe(doc.slice(0, at) + 'return x * 2' + doc.slice(at));
    expect(applyEdit(after, inverseEdit(doc, edit))).toBe(doc);
  });

  it('replacing a selection: the old text goes, one inverse brings it back', () => {
    const doc = 'a = old_value\nb = 2\n';
    const edit = acceptEdit({ start: 4, end: 13 }, 'compute(\n  1)');
    const after = applyEdit(doc, edit);
    expect(after).toBe('a = compute(\n  1)\nb = 2\n');
    expect(applyEdit(after, inverseEdit(doc, edit))).toBe(doc);
    // An empty middle deletes the selection; its inverse restores it.
    const del = acceptEdit({ start: 4, end: 13 }, '');
    expect(applyEdit(applyEdit(doc, del), inverseEdit(doc, del))).toBe(doc);
  });

  it('what a finished run becomes', () => {
    expect(runResult({ phase: 'done', stopReason: 'eos' })).toBe('pending');
    expect(runResult({ phase: 'done', stopReason: 'length' })).toBe('pending');
    expect(runResult({ phase: 'done', stopReason: 'cancelled' })).toBe('stopped');
    expect(runResult({ phase: 'error', stopReason: null })).toBe('error');
  });
});

// A canvas of 8 positions (prompt of 5), block 4, EOS id 2.
const start: RunEvent = startEvent();
const step = (blockStart: number, committed: [number, number, string, number][]): RunEvent => ({
  type: 'step',
  blockIndex: 0,
  step: 0,
  blockStart,
  blockEnd: blockStart + 4,
  committed: committed.map(([position, tokenId, text, confidence]) => ({ position, tokenId, text, confidence })),
  textDelta: '',
  forwards: 1,
  elapsedMs: 1,
});
const layout = (over: Partial<LiveLayout> = {}): LiveLayout => ({
  startColumn: 4,
  columns: 40,
  tabSize: 4,
  restOfLine: '',
  ...over,
});
const texts = (line: { text: string }[]) => line.map((p) => p.text).join('');

describe('live masks in the editor (canvas → decoration specs)', () => {
  it('before the engine answers: every position a mask cell, the first block marked active', () => {
    const c = initialCanvas(8, 4);
    expect(c.phase).toBe('waiting');
    const plan = livePlan(c, layout());
    expect(plan.zone).toEqual([]);
    expect(plan.inline).toEqual([
      { text: MASK_CHAR.repeat(4), className: CLS.maskActive },
      { text: MASK_CHAR.repeat(4), className: CLS.mask },
    ]);
    expect(planMaskCells(plan)).toBe(8);
  });

  it('committed tokens by confidence, the fresh ones highlighted, masks in between; cut at the first EOS', () => {
    let c: CanvasState = applyEvents(emptyCanvas(), [start]);
    c = applyEvents(c, [
      step(5, [
        [5, 3, 'ret', 0.95],
        [7, 4, ' x', 0.5],
      ]),
    ]);
    const items = canvasItems(c);
    expect(items.map((i) => (i.kind === 'mask' ? `m${i.count}${i.active ? 'a' : ''}` : i.text))).toEqual([
      'ret',
      'm1a',
      ' x',
      'm1a',
      'm4',
    ]);
    expect(items[0]).toMatchObject({ className: 'infill-tok conf-high infill-fresh infill-in-block' });
    expect(items[2]).toMatchObject({ className: 'infill-tok conf-mid infill-fresh infill-in-block' });
    // Next frame: the earlier tokens are no longer fresh; an EOS ends what is drawn.
    c = applyEvents(c, [
      step(9, [
        [6, 5, 'urn', 0.2],
        [8, 6, ';', 0.9],
        [9, 2, '', 0.9],
      ]),
    ]);
    const plan = livePlan(c, layout());
    expect(texts(plan.inline)).toBe('return x;');
    expect(plan.inline.find((p) => p.text === 'urn')?.className).toBe('infill-tok conf-low infill-fresh');
    expect(plan.inline.find((p) => p.text === 'ret')?.className).toBe('infill-tok conf-high');
    expect(plan.masks).toBe(0);
    expect(plan.committed).toBe(5);
  });

  it('a multi-line middle: first line inline, the rest in the zone, the rest of the anchor line moved after it', () => {
    let c: CanvasState = applyEvents(emptyCanvas(), [start]);
    c = applyEvents(c, [
      step(5, [
        [5, 3, 'if x:\n', 0.9],
        [6, 4, '\tpass', 0.9],
      ]),
    ]);
    const plan = livePlan(c, layout({ restOfLine: ')  # end' }));
    expect(texts(plan.inline)).toBe('if x:');
    expect(plan.zone).toHaveLength(1);
    expect(texts(plan.zone[0])).toBe(`    pass${MASK_CHAR.repeat(6)})  # end`); // tab expanded at column 0
    expect(plan.hideRest).toBe(true);
    const specs = decorationSpecs(plan, { start: 100, end: 100 }, 108);
    expect(specs.filter((s) => s.after).map((s) => s.after!.text)).toEqual(['if x:']);
    expect(specs.find((s) => s.className === CLS.hidden)).toEqual({ start: 100, end: 108, className: CLS.hidden });
    // Single-line: the rest stays where it is.
    const one = livePlan(initialCanvas(8, 4), layout({ restOfLine: ')' }));
    expect(one.hideRest).toBe(false);
    expect(decorationSpecs(one, { start: 100, end: 100 }, 101).some((s) => s.className === CLS.hidden)).toBe(false);
  });

  it('mask cells wrap at the editor width and are capped with a count', () => {
    const plan = livePlan(initialCanvas(64, 4), layout({ startColumn: 30, columns: 40 }));
    expect(texts(plan.inline)).toHaveLength(10);
    expect(plan.zone.map((l) => texts(l).length)).toEqual([40, 14]);
    expect(planMaskCells(plan)).toBe(64);
    const capped = livePlan(initialCanvas(64, 4), layout({ startColumn: 0, columns: 40, maxMaskCells: 20 }));
    expect(planMaskCells(capped)).toBe(20);
    expect(capped.masks).toBe(64);
    expect(texts(capped.inline)).toBe(`${MASK_CHAR.repeat(20)} +44`);
  });

  it('a selection being replaced is struck through; the pending suggestion is ghost text', () => {
    const plan = suggestionPlan('new_value', layout());
    const specs = decorationSpecs(plan, { start: 4, end: 13 }, 13);
    expect(specs).toEqual([
      { start: 4, end: 13, className: CLS.replaced },
      { start: 13, end: 13, after: { text: 'new_value', className: CLS.ghost } },
    ]);
    expect(suggestionPlan('', layout()).inline).toEqual([]);
    // As a diff: the new text on its own lines under the struck-through selection, indented like it; the rest of the line after it.
    const diff = suggestionPlan('compute(\n  1)', layout({ breakBefore: true, indent: 4, restOfLine: '  # x' }));
    expect(diff.inline).toEqual([]);
    expect(diff.zone.map(texts)).toEqual(['    compute(', '  1)  # x']);
    expect(diff.zone[0][0]).toEqual({ text: '    ', className: CLS.pad });
    expect(diff.hideRest).toBe(true);
    expect(decorationSpecs(diff, { start: 4, end: 13 }, 18)).toEqual([
      { start: 4, end: 13, className: CLS.replaced },
      { start: 13, end: 18, className: CLS.hidden },
    ]);
    // Running over a selection: the masks start under it too.
    expect(texts(livePlan(initialCanvas(8, 4), layout({ breakBefore: true, indent: 2 })).zone[0])).toBe(
      `  ${MASK_CHAR.repeat(8)}`,
    );
  });

  it('visual columns expand tabs', () => {
    expect(visualColumn('\tx = 1', 2, 4)).toBe(4);
    expect(visualColumn('ab\tc', 4, 4)).toBe(4);
    expect(visualColumn('abc', 4, 4)).toBe(3);
  });
});

const settings: AppSettings = {
  decoding,
  modelId: 'builtin',
  provider: 'auto',
  recordTraces: true,
  traceCandidates: false,
};

/** The shared fake bridge, keeping every saved conversation (validated against the contract). */
function infillBridge() {
  const saved: unknown[] = [];
  const fb = fakeBridge({
    'conversations:save': (r) => {
      saved.push(conversationSchema.parse((r as { conversation: unknown }).conversation));
      return { ok: true };
    },
  });
  return { ...fb, saved };
}

const request = {
  documentKey: 'src/a.py',
  file: 'src/a.py',
  language: 'python',
  prefix: 'def f(x):\n    ',
  suffix: '\n',
  range: { start: { line: 2, column: 5 }, end: { line: 2, column: 5 } },
};

describe('infill store with a fake bridge', () => {
  let fb: ReturnType<typeof infillBridge>;
  beforeEach(() => {
    fb = infillBridge();
    setBridge(fb.b);
    useSettingsStore.setState({ settings });
    useConversationsStore.setState({ conversations: [], activeId: null, query: '' });
    useRunStore.setState({ active: null, canvas: null });
    useInfillStore.setState({ session: null, canvas: null, middleLength: null });
  });

  const startRun = async (middleLength: number | null = 16) => {
    useInfillStore.getState().setMiddleLength(middleLength);
    expect(await useInfillStore.getState().start(request)).toBe(true);
    const req = fb.calls.filter((c) => c.channel === 'generate:start').pop()!.request as {
      requestId: string;
      prompt: unknown;
      settings: DecodeSettings;
    };
    const ev = (event: Events['generate:event']['event']) => routeInfillEvent({ requestId: req.requestId, event });
    return { req, ev };
  };
  const done = (text: string, stopReason: 'eos' | 'cancelled' = 'eos'): Events['generate:event']['event'] => ({
    type: 'done',
    eosFill: null,
    tokenIds: [3, 2],
    text,
    stopReason,
    stats: {
      tokens: 1,
      forwards: 1,
      forwardsPerToken: 1,
      tokensPerSecond: 1,
      msPerForward: 1,
      prefillMs: 1,
      totalMs: 1,
      provider: 'cpu',
    },
  });

  it('replays a pending suggestion’s decoding in place from its stored trace, then shows the suggestion again', async () => {
    const { req, ev } = await startRun(8);
    await new Promise((r) => setTimeout(r, 40));
    // A run's events as the engine sends them: prompt of 4 ids, 8 masks, two tokens per step, then EOS.
    const P = 4;
    const events: DecodeEvent[] = [
      {
        type: 'start',
        ...startExtras,
        promptLength: P,
        genLength: 8,
        canvasLength: P + 8,
        blockLength: 4,
        maskId: 99,
        eosId: 2,
        provider: 'cpu',
      },
    ];
    const ids = [10, 11, 12, 13, 14, 15, 2, 2];
    for (let i = 0; i < 4; i++)
      events.push({
        type: 'step',
        blockIndex: i >> 1,
        step: i & 1,
        blockStart: P + (i >> 1) * 4,
        blockEnd: P + (i >> 1) * 4 + 4,
        committed: [0, 1].map((j) => ({
          position: P + 2 * i + j,
          tokenId: ids[2 * i + j],
          confidence: 0.5,
          text: `t${ids[2 * i + j]}`,
        })),
        textDelta: '',
        forwards: i + 1,
        elapsedMs: i + 1,
      });
    events.push({ ...(done('t10t11t12t13t14t15') as Extract<DecodeEvent, { type: 'done' }>), tokenIds: ids });
    for (const e of events) ev(e);
    expect(useInfillStore.getState().session?.phase).toBe('pending');
    const s = useInfillStore.getState().session!;
    fb.answers['traces:get'] = (r) => {
      expect(r).toEqual({ conversationId: s.conversationId, messageId: s.messageId });
      return { trace: recordTrace(events) };
    };
    vi.useFakeTimers();
    try {
      await useInfillStore.getState().replayDecoding();
      const first = useInfillStore.getState().replay!;
      expect(first.tokens.every((t) => t === null)).toBe(true);
      const seen: number[] = [];
      for (let i = 0; i < 200 && useInfillStore.getState().replay; i++) {
        seen.push(useInfillStore.getState().replay!.committed);
        vi.advanceTimersByTime(40);
      }
      // The replay went through the steps in order, reached the whole middle, then gave way to the suggestion.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(8);
      expect(useInfillStore.getState().replay).toBeNull();
      expect(useInfillStore.getState().session?.phase).toBe('pending');
      // Accepting (or rejecting) during a replay ends it.
      await useInfillStore.getState().replayDecoding();
      expect(useInfillStore.getState().replay).not.toBeNull();
      useInfillStore.getState().resolve('rejected');
      expect(useInfillStore.getState().replay).toBeNull();
    } finally {
      vi.useRealTimers();
    }
    void req;
  });

  it('sends the infill prompt with the middle length; masks are there at once; the run is recorded; done → pending → accepted', async () => {
    const { req, ev } = await startRun(16);
    expect(req.prompt).toEqual({
      kind: 'infill',
      prefix: request.prefix,
      suffix: request.suffix,
      file: 'src/a.py',
      range: request.range,
    });
    expect(req.settings).toMatchObject({ genLength: 16, steps: 16 });
    expect(useInfillStore.getState().canvas?.tokens).toHaveLength(16);
    // The run is written into the conversation after the masks' first frame (the chat re-renders then).
    expect(useConversationsStore.getState().conversations).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(useInfillStore.getState().session?.messageId).toBeTruthy();
    const conv = useConversationsStore.getState().conversations[0];
    expect(conv.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Infill in src/a.py at 2:5', undefined],
      ['assistant', '', 'streaming'],
    ]);
    // Other requests' events are ignored; a chat cannot start meanwhile.
    routeInfillEvent({ requestId: 'other', event: { type: 'error', message: 'nope' } });
    expect(await useRunStore.getState().send('hi')).toBe(false);
    ev(start as Events['generate:event']['event']);
    ev(done('return x * 2'));
    const s = useInfillStore.getState().session!;
    expect(s.phase).toBe('pending');
    expect(s.middle).toBe('return x * 2');
    let a = useConversationsStore.getState().conversations[0].messages[1];
    expect(a).toMatchObject({
      status: 'done',
      content: '```python\nreturn x * 2\n```',
      infill: { file: 'src/a.py', middle: 'return x * 2', range: request.range },
    });
    expect(a.infill?.outcome).toBeUndefined();
    useInfillStore.getState().resolve('accepted');
    expect(useInfillStore.getState().session).toBeNull();
    a = useConversationsStore.getState().conversations[0].messages[1];
    expect(a.infill?.outcome).toBe('accepted');
    // Every save passed the contract's schema (the strict infill field included).
    expect(fb.saved.length).toBeGreaterThan(0);
  });

  it('reject records the outcome; Stop ends as stopped with nothing to review; an error is recorded', async () => {
    let { ev } = await startRun();
    ev(done('x'));
    useInfillStore.getState().resolve('rejected');
    expect(useConversationsStore.getState().conversations[0].messages[1].infill?.outcome).toBe('rejected');

    ({ ev } = await startRun());
    await useInfillStore.getState().stop();
    expect(fb.calls.some((c) => c.channel === 'generate:stop')).toBe(true);
    ev(done('par', 'cancelled'));
    expect(useInfillStore.getState().session).toBeNull();
    let msgs = useConversationsStore.getState().conversations[0].messages;
    expect(msgs[3]).toMatchObject({ status: 'stopped', infill: { middle: 'par', outcome: 'stopped' } });

    ({ ev } = await startRun());
    ev({ type: 'error', message: 'model has no fill-in-the-middle tokens: infill is not available with this model' });
    msgs = useConversationsStore.getState().conversations[0].messages;
    expect(msgs[5]).toMatchObject({ status: 'error', infill: { outcome: 'error' } });
    expect(msgs[5].error).toContain('infill is not available');
  });

  it('one run at a time; a new infill replaces a pending suggestion (rejected); a chat suggestion is pending at once', async () => {
    const { ev } = await startRun();
    expect(await useInfillStore.getState().start(request)).toBe(false);
    ev(done('a'));
    await startRun();
    expect(useConversationsStore.getState().conversations[0].messages[1].infill?.outcome).toBe('rejected');
    await useInfillStore.getState().stop();
    useInfillStore.setState({ session: null, canvas: null });
    expect(
      useInfillStore
        .getState()
        .suggest({ documentKey: 'k', file: 'k', language: 'python', range: request.range, text: 'code' }),
    ).toBe(true);
    expect(useInfillStore.getState().session).toMatchObject({ phase: 'pending', source: 'chat', middle: 'code' });
  });

  it('a rejected start ends as an error, refusing while a chat runs', async () => {
    useRunStore.setState({
      active: { requestId: 'r', conversationId: 'c', messageId: 'm', startedAt: 0, stopping: false },
    });
    expect(await useInfillStore.getState().start(request)).toBe(false);
    useRunStore.setState({ active: null });
    fb.b.invoke = (async () => {
      throw new Error('a generation is already running; stop it first');
    }) as AppBridge['invoke'];
    expect(await useInfillStore.getState().start(request)).toBe(false);
    expect(useInfillStore.getState().session).toBeNull();
    expect(useConversationsStore.getState().conversations[0].messages[1]).toMatchObject({
      status: 'error',
      infill: { outcome: 'error' },
    });
  });
});

describe('replay pacing', () => {
  it('lasts about the duration asked, one event per frame at least; reduced motion jumps a few times', () => {
    expect(replayPace(300, { durationMs: 3000, frameMs: 33, reducedMotion: false })).toEqual({
      perFrame: 4,
      frames: 75,
    });
    expect(replayPace(10, { durationMs: 3000, frameMs: 33, reducedMotion: false })).toEqual({
      perFrame: 1,
      frames: 10,
    });
    expect(replayPace(300, { durationMs: 3000, frameMs: 33, reducedMotion: true })).toEqual({
      perFrame: 50,
      frames: 6,
    });
    expect(replayPace(0, { durationMs: 3000, frameMs: 33, reducedMotion: false }).perFrame).toBe(1);
  });
});
