/**
 * The renderer's side of runs that outlive their page (issue 10, item 7): runs are started with the
 * conversation and message they write; a page attaches to the run main is running (generate:active)
 * in the chat run store or the infill store, redraws its canvas from main's progress, follows its
 * events, can stop it; while a run streams the page does not save the answer (main does).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ActiveRun, Events } from '../common/contract';
import type { Conversation } from '../common/models';
import { reattach } from '../renderer/src/init';
import { canvasFromRun, canvasText } from '../renderer/src/lib/canvas';
import { setBridge } from '../renderer/src/services';
import { useConversationsStore } from '../renderer/src/stores/conversations';
import { routeInfillEvent, useInfillStore } from '../renderer/src/stores/infill';
import { routeGenerateEvent, useRunStore } from '../renderer/src/stores/run';
import { useSettingsStore } from '../renderer/src/stores/settings';
import { fakeBridge, testSettings } from './helpers/fake-bridge';
import { startEvent } from './helpers/events';

const settings = testSettings;

/** The bridge with main answering generate:active from `active`. */
const reattachBridge = (active: () => ActiveRun | null = () => null) =>
  fakeBridge({ 'generate:active': () => ({ run: active() }) });

const flush = () => new Promise((r) => setTimeout(r, 40));
const start: Events['generate:event']['event'] = startEvent();
const stats = {
  tokens: 4,
  forwards: 3,
  forwardsPerToken: 0.75,
  tokensPerSecond: 40,
  msPerForward: 1,
  prefillMs: 1,
  totalMs: 100,
  provider: 'cpu' as const,
};

/** A chat run main reports mid-way: two tokens committed, "It sets" settled. */
const chatRun = (over: Partial<ActiveRun> = {}): ActiveRun => ({
  requestId: 'r1',
  conversationId: 'c1',
  messageId: 'a1',
  prompt: { kind: 'chat' },
  startedAt: 1000,
  stopping: false,
  start: start as ActiveRun['start'],
  committed: [
    { position: 5, tokenId: 3, text: 'It', confidence: 0.9 },
    { position: 6, tokenId: 4, text: ' sets', confidence: 0.5 },
  ],
  text: 'It sets',
  step: { blockIndex: 0, step: 1, blockStart: 5, blockEnd: 9, forwards: 2, elapsedMs: 20, steps: 2 },
  ...over,
});

/** What a reloaded page loaded from disk: main's partial save of the streaming answer. */
const loaded = (): Conversation => ({
  id: 'c1',
  title: 'Q',
  createdAt: 1,
  updatedAt: 5,
  messages: [
    { id: 'u1', role: 'user', content: 'What does it do?', createdAt: 1 },
    { id: 'a1', role: 'assistant', content: 'It', createdAt: 2, status: 'streaming' },
  ],
});

describe('runs keyed by conversation: the page side', () => {
  let fb: ReturnType<typeof reattachBridge>;
  let active: ActiveRun | null;
  beforeEach(() => {
    active = null;
    fb = reattachBridge(() => active);
    setBridge(fb.b);
    useSettingsStore.setState({ settings });
    useConversationsStore.setState({ conversations: [], activeId: null, query: '' });
    useRunStore.setState({ active: null, canvas: null });
    useInfillStore.setState({ session: null, canvas: null });
  });

  it('a chat run is started with its conversation and assistant message; streaming is not saved by the page', async () => {
    expect(await useRunStore.getState().send('Explain')).toBe(true);
    const conv = useConversationsStore.getState().conversations[0];
    const req = fb.calls.find((c) => c.channel === 'generate:start')!.request as {
      requestId: string;
      conversationId: string;
      messageId: string;
    };
    expect(req.conversationId).toBe(conv.id);
    expect(req.messageId).toBe(conv.messages[1].id);
    const savesBefore = fb.calls.filter((c) => c.channel === 'conversations:save').length;
    routeGenerateEvent({ requestId: req.requestId, event: start });
    routeGenerateEvent({
      requestId: req.requestId,
      event: {
        type: 'step',
        blockIndex: 0,
        step: 0,
        blockStart: 5,
        blockEnd: 9,
        committed: [{ position: 5, tokenId: 3, text: 'It', confidence: 0.9 }],
        textDelta: 'It',
        forwards: 1,
        elapsedMs: 1,
      },
    });
    await flush();
    await new Promise((r) => setTimeout(r, 900)); // past the old 800 ms debounce
    // The canvas has the text; the conversation's message is not rewritten per frame (issue 9): it gets the
    // final text at the end, and main saves the partial answer meanwhile.
    expect(useRunStore.getState().canvas?.settledText).toBe('It');
    expect(useConversationsStore.getState().conversations[0].messages[1]).toMatchObject({
      content: '',
      status: 'streaming',
    });
    expect(fb.calls.filter((c) => c.channel === 'conversations:save')).toHaveLength(savesBefore);
  });

  it('after a reload the page attaches to the running chat run: its canvas, its next events, Stop, the final save', async () => {
    useConversationsStore.setState({ conversations: [loaded()], activeId: null });
    active = chatRun();
    await reattach(true);
    const s = useRunStore.getState();
    expect(s.active).toMatchObject({ requestId: 'r1', conversationId: 'c1', messageId: 'a1', stopping: false });
    expect(s.canvas).toMatchObject({
      phase: 'running',
      promptLength: 5,
      genLength: 8,
      committed: 2,
      settledText: 'It sets',
      steps: 2,
      forwards: 2,
      blockStart: 0,
      blockEnd: 4,
    });
    expect(canvasText(s.canvas!)).toBe('It sets');
    // The message shows main's text; its conversation is shown.
    expect(useConversationsStore.getState().conversations[0].messages[1]).toMatchObject({
      status: 'streaming',
      content: 'It sets',
    });
    expect(useConversationsStore.getState().activeId).toBe('c1');
    // A second attach to the same run changes nothing; a new chat cannot start meanwhile.
    const canvas = s.canvas;
    await reattach(false);
    expect(useRunStore.getState().canvas).toBe(canvas);
    expect(await useRunStore.getState().send('another')).toBe(false);
    // Its next events apply on top.
    routeGenerateEvent({
      requestId: 'r1',
      event: {
        type: 'step',
        blockIndex: 0,
        step: 2,
        blockStart: 5,
        blockEnd: 9,
        committed: [{ position: 7, tokenId: 5, text: ' x', confidence: 0.9 }],
        textDelta: ' x',
        forwards: 3,
        elapsedMs: 30,
      },
    });
    await flush();
    expect(useRunStore.getState().canvas).toMatchObject({ committed: 3, settledText: 'It sets x', steps: 3 });
    // Stop reaches main with the run's id; the cancelled end is saved by the page with its text.
    await useRunStore.getState().stop();
    expect(fb.calls.find((c) => c.channel === 'generate:stop')?.request).toEqual({ requestId: 'r1' });
    routeGenerateEvent({
      requestId: 'r1',
      event: { type: 'done', eosFill: null, tokenIds: [3, 4, 5, 9], text: 'It sets x', stopReason: 'cancelled', stats },
    });
    expect(useRunStore.getState().active).toBeNull();
    await flush();
    const saves = fb.calls.filter((c) => c.channel === 'conversations:save');
    expect((saves.at(-1)!.request as { conversation: Conversation }).conversation.messages[1]).toMatchObject({
      status: 'stopped',
      content: 'It sets x',
    });
  });

  it('a dropped connection marked the run failed; reconnecting attaches again and clears the error', async () => {
    useConversationsStore.setState({
      conversations: [
        {
          ...loaded(),
          messages: [loaded().messages[0], { ...loaded().messages[1], status: 'error', error: 'disconnected' }],
        },
      ],
      activeId: 'c1',
    });
    active = chatRun({ stopping: true });
    await reattach(false);
    const m = useConversationsStore.getState().conversations[0].messages[1];
    expect(m.status).toBe('streaming');
    expect(m.error).toBeUndefined();
    expect(useRunStore.getState().active?.stopping).toBe(true);
  });

  it('no run in main: nothing attaches', async () => {
    await reattach(true);
    expect(useRunStore.getState().active).toBeNull();
    expect(useInfillStore.getState().session).toBeNull();
  });

  it('an infill run attaches to the infill store with its file, range and record; it ends as a suggestion', async () => {
    const record = {
      file: 'src/a.py',
      range: { start: { line: 2, column: 5 }, end: { line: 2, column: 5 } },
      middle: '',
    };
    useConversationsStore.setState({
      conversations: [
        {
          ...loaded(),
          messages: [
            loaded().messages[0],
            { id: 'a1', role: 'assistant', content: '', createdAt: 2, status: 'streaming', infill: record },
          ],
        },
      ],
      activeId: 'c1',
    });
    active = chatRun({
      prompt: { kind: 'infill', file: 'src/a.py', range: record.range },
      text: '',
      committed: [{ position: 5, tokenId: 3, text: 'x', confidence: 0.9 }],
    });
    await reattach(true);
    expect(useRunStore.getState().active).toBeNull();
    const s = useInfillStore.getState().session!;
    expect(s).toMatchObject({
      requestId: 'r1',
      phase: 'running',
      documentKey: 'src/a.py',
      file: 'src/a.py',
      range: record.range,
      conversationId: 'c1',
      messageId: 'a1',
      record,
    });
    expect(useInfillStore.getState().canvas).toMatchObject({ committed: 1, phase: 'running' });
    routeInfillEvent({
      requestId: 'r1',
      event: { type: 'done', eosFill: null, tokenIds: [3, 2], text: 'x * 2', stopReason: 'eos', stats },
    });
    expect(useInfillStore.getState().session).toMatchObject({ phase: 'pending', middle: 'x * 2' });
    expect(useConversationsStore.getState().conversations[0].messages[1]).toMatchObject({
      status: 'done',
      infill: { middle: 'x * 2' },
    });
  });

  it('an infill run is started with the conversation it is recorded in (created with that id when there is none)', async () => {
    const req = {
      documentKey: 'src/a.py',
      file: 'src/a.py',
      language: 'python',
      prefix: 'def f(x):\n    ',
      suffix: '\n',
      range: { start: { line: 2, column: 5 }, end: { line: 2, column: 5 } },
    };
    expect(await useInfillStore.getState().start(req)).toBe(true);
    const sent = fb.calls.find((c) => c.channel === 'generate:start')!.request as {
      conversationId: string;
      messageId: string;
    };
    expect(sent.conversationId).toMatch(/^c/);
    expect(useConversationsStore.getState().conversations).toHaveLength(0); // written after the masks' first frame
    await flush();
    const conv = useConversationsStore.getState().conversations[0];
    expect(conv.id).toBe(sent.conversationId);
    expect(useConversationsStore.getState().activeId).toBe(conv.id);
    expect(conv.messages[1]).toMatchObject({ id: sent.messageId, role: 'assistant', status: 'streaming' });
  });

  it('canvasFromRun: a run that has not started yet is an empty canvas', () => {
    expect(canvasFromRun({ start: null, committed: [], text: '', step: null }).phase).toBe('waiting');
    expect(canvasFromRun({ ...chatRun(), step: null, committed: [] })).toMatchObject({
      phase: 'running',
      genLength: 8,
      committed: 0,
    });
  });
});
