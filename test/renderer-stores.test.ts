import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Events } from '../common/contract';
import { backoffMs, DISCONNECTED, WebSocketBridge, type SocketLike } from '../renderer/src/bridge/websocket';
import { setBridge } from '../renderer/src/services';
import { useConversationsStore } from '../renderer/src/stores/conversations';
import { useEditorStore } from '../renderer/src/stores/editor';
import { routeGenerateEvent, useRunStore } from '../renderer/src/stores/run';
import { useSettingsStore } from '../renderer/src/stores/settings';
import { fakeBridge, testSettings } from './helpers/fake-bridge';
import { startEvent, startExtras, testStats } from './helpers/events';
import { useUiStore } from '../renderer/src/stores/ui';
import { useTracesStore } from '../renderer/src/stores/traces';

const settings = testSettings;

const flush = () => new Promise((r) => setTimeout(r, 30));

describe('run store with a fake bridge', () => {
  let fb: ReturnType<typeof fakeBridge>;
  beforeEach(() => {
    fb = fakeBridge();
    setBridge(fb.b);
    useSettingsStore.setState({ settings });
    useConversationsStore.setState({ conversations: [], activeId: null, query: '' });
    useRunStore.setState({ active: null, canvas: null });
    useEditorStore.setState({ documents: [], activeId: null, attachment: null, selection: null });
  });

  it('send starts a run with the conversation so far, streams, and ends with the exact final text', async () => {
    useEditorStore.setState({ attachment: { documentId: 'd1', language: 'python', text: 'x = 1' } });
    expect(await useRunStore.getState().send('Explain')).toBe(true);
    const start = fb.calls.find((c) => c.channel === 'generate:start')!.request as {
      requestId: string;
      prompt: { kind: string; messages: { role: string; content: string }[] };
      settings: unknown;
    };
    expect(start.requestId).toMatch(/^[A-Za-z0-9]+$/);
    expect(start.prompt.kind).toBe('chat');
    expect(start.prompt.messages).toEqual([{ role: 'user', content: '```python\nx = 1\n```\n\nExplain' }]);
    expect(start.settings).toEqual(settings.decoding);
    expect(useEditorStore.getState().attachment).toBeNull();

    const conv = useConversationsStore.getState().conversations[0];
    expect(conv.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', undefined],
      ['assistant', 'streaming'],
    ]);
    expect(conv.messages[0].attachment?.text).toBe('x = 1');

    // Events for another request are ignored.
    routeGenerateEvent({ requestId: 'other', event: { type: 'error', message: 'nope' } });
    const ev = (event: Events['generate:event']['event']) => routeGenerateEvent({ requestId: start.requestId, event });
    ev(startEvent());
    ev({
      type: 'step',
      blockIndex: 0,
      step: 0,
      blockStart: 5,
      blockEnd: 9,
      committed: [{ position: 5, tokenId: 3, text: 'It', confidence: 0.9 }],
      textDelta: 'It',
      forwards: 1,
      elapsedMs: 1,
    });
    ev({
      type: 'step',
      blockIndex: 0,
      step: 1,
      blockStart: 5,
      blockEnd: 9,
      committed: [{ position: 6, tokenId: 4, text: ' sets', confidence: 0.5 }],
      textDelta: ' sets',
      forwards: 2,
      elapsedMs: 2,
    });
    // Coalesced: nothing applied until the frame runs.
    expect(useRunStore.getState().canvas?.phase).toBe('waiting');
    await flush();
    const canvas = useRunStore.getState().canvas!;
    expect(canvas.phase).toBe('running');
    expect(canvas.batch).toBe(1); // both steps in one batch
    expect(canvas.settledText).toBe('It sets');

    ev({
      type: 'step',
      blockIndex: 0,
      step: 2,
      blockStart: 5,
      blockEnd: 9,
      committed: [{ position: 7, tokenId: 5, text: ' x', confidence: 0.9 }],
      textDelta: ' x',
      forwards: 3,
      elapsedMs: 3,
    });
    ev({
      type: 'done',
      eosFill: null,
      tokenIds: [3, 4, 5, 2],
      text: 'It sets x to 1.',
      stopReason: 'eos',
      stats: {
        tokens: 4,
        forwards: 3,
        forwardsPerToken: 0.75,
        tokensPerSecond: 40,
        msPerForward: 1,
        prefillMs: 1,
        totalMs: 100,
        provider: 'cpu',
      },
    });
    // The end is applied at once, not on the next frame.
    expect(useRunStore.getState().active).toBeNull();
    const m = useConversationsStore.getState().conversations[0].messages[1];
    expect(m).toMatchObject({ content: 'It sets x to 1.', status: 'done', stopReason: 'eos' });
    expect(m.stats?.tokensPerSecond).toBe(40);
    // Saved at the end with the final text.
    await flush();
    const saves = fb.calls.filter((c) => c.channel === 'conversations:save');
    const last = saves[saves.length - 1].request as {
      conversation: { messages: { content: string; status?: string }[] };
    };
    expect(last.conversation.messages[1]).toMatchObject({ content: 'It sets x to 1.', status: 'done' });
  });

  it('only one run at a time; stop then a cancelled done marks the message stopped with its partial text', async () => {
    await useRunStore.getState().send('one');
    expect(await useRunStore.getState().send('two')).toBe(false);
    expect(fb.calls.filter((c) => c.channel === 'generate:start')).toHaveLength(1);
    const rid = useRunStore.getState().active!.requestId;
    await useRunStore.getState().stop();
    expect(fb.calls.find((c) => c.channel === 'generate:stop')?.request).toEqual({ requestId: rid });
    routeGenerateEvent({
      requestId: rid,
      event: {
        type: 'done',
        eosFill: null,
        tokenIds: [3, 9, 9],
        text: 'par',
        stopReason: 'cancelled',
        stats: testStats,
      },
    });
    const m = useConversationsStore.getState().conversations[0].messages[1];
    expect(m).toMatchObject({ status: 'stopped', content: 'par', stopReason: 'cancelled' });
  });

  it('an error event keeps partial text; a rejected start marks the message as an error', async () => {
    await useRunStore.getState().send('q');
    const rid = useRunStore.getState().active!.requestId;
    routeGenerateEvent({
      requestId: rid,
      event: {
        type: 'start',
        ...startExtras,
        promptLength: 1,
        genLength: 4,
        canvasLength: 5,
        blockLength: 4,
        maskId: 9,
        eosId: null,
        provider: 'cpu',
      },
    });
    routeGenerateEvent({
      requestId: rid,
      event: {
        type: 'step',
        blockIndex: 0,
        step: 0,
        blockStart: 1,
        blockEnd: 5,
        committed: [{ position: 1, tokenId: 1, text: 'ab', confidence: 1 }],
        textDelta: 'ab',
        forwards: 1,
        elapsedMs: 1,
      },
    });
    routeGenerateEvent({ requestId: rid, event: { type: 'error', message: 'engine crashed' } });
    let m = useConversationsStore.getState().conversations[0].messages[1];
    expect(m).toMatchObject({ status: 'error', error: 'engine crashed', content: 'ab' });

    fb.answers['generate:start'] = () => {
      throw new Error('no model loaded');
    };
    expect(await useRunStore.getState().regenerate(useConversationsStore.getState().activeId!)).toBe(false);
    const msgs = useConversationsStore.getState().conversations[0].messages;
    expect(msgs).toHaveLength(2); // the old answer was replaced, not added to
    m = msgs[1];
    expect(m).toMatchObject({ status: 'error', error: 'no model loaded' });
    expect(useRunStore.getState().active).toBeNull();
  });

  it('edit-and-resend truncates after the edited message', async () => {
    const conv = useConversationsStore.getState();
    const id = conv.create();
    conv.mutate(
      id,
      (c) => ({
        ...c,
        messages: [
          { id: 'u1', role: 'user', content: 'first', createdAt: 1 },
          { id: 'a1', role: 'assistant', content: 'A', createdAt: 2, status: 'done' },
          { id: 'u2', role: 'user', content: 'second', createdAt: 3 },
          { id: 'a2', role: 'assistant', content: 'B', createdAt: 4, status: 'done' },
        ],
      }),
      'none',
    );
    expect(await useRunStore.getState().editAndResend(id, 'u1', 'first, edited')).toBe(true);
    const msgs = useConversationsStore.getState().conversations.find((c) => c.id === id)!.messages;
    expect(msgs.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first, edited'],
      ['assistant', ''],
    ]);
    const start = fb.calls.find((c) => c.channel === 'generate:start')!.request as { prompt: { messages: unknown[] } };
    expect(start.prompt.messages).toEqual([{ role: 'user', content: 'first, edited' }]);
  });

  it('refuses to start with invalid settings', async () => {
    useSettingsStore.setState({ settings: { ...settings, decoding: { ...settings.decoding, steps: 3 } } });
    expect(await useRunStore.getState().send('q')).toBe(false);
    expect(fb.calls.some((c) => c.channel === 'generate:start')).toBe(false);
  });

  it('a send during a settings comparison run is refused with the reason, not swallowed', async () => {
    useTracesStore.setState({ compare: { phase: 'running' } as never });
    try {
      expect(await useRunStore.getState().send('q')).toBe(false);
      expect(useUiStore.getState().notices.at(-1)?.text).toMatch(/comparison is running/);
      expect(fb.calls.some((c) => c.channel === 'generate:start')).toBe(false);
    } finally {
      useTracesStore.setState({ compare: null });
    }
  });
});

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}

describe('WebSocket bridge', () => {
  it('queues until open, resolves by id, rejects errors, dispatches events', async () => {
    const sockets: FakeSocket[] = [];
    const wb = new WebSocketBridge('ws://x/ws?token=t', () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    });
    wb.connect();
    const p1 = wb.invoke('app:status', {});
    const p2 = wb.invoke('models:add', { dir: '/nope' });
    expect(sockets[0].sent).toHaveLength(0);
    sockets[0].open();
    expect(sockets[0].sent).toEqual([
      { kind: 'invoke', id: 1, channel: 'app:status', request: {} },
      { kind: 'invoke', id: 2, channel: 'models:add', request: { dir: '/nope' } },
    ]);
    const seen: unknown[] = [];
    wb.on('engine:status', (s) => seen.push(s));
    sockets[0].receive({ kind: 'result', id: 2, result: { ok: false, error: 'not a model folder' } });
    sockets[0].receive({ kind: 'result', id: 1, result: { ok: true, value: { version: '1' } } });
    sockets[0].receive({ kind: 'event', channel: 'engine:status', payload: { state: 'ready' } });
    // Several events in one frame (the server batches a run's steps) reach the listeners one by one, in order.
    sockets[0].receive({
      kind: 'events',
      events: [
        { channel: 'engine:status', payload: { state: 'loading' } },
        { channel: 'files:changed', payload: { path: 'a' } },
        { channel: 'engine:status', payload: { state: 'ready' } },
      ],
    });
    await expect(p2).rejects.toThrow('not a model folder');
    await expect(p1).resolves.toEqual({ version: '1' });
    expect(seen).toEqual([{ state: 'ready' }, { state: 'loading' }, { state: 'ready' }]);
  });

  it('on close rejects pending invokes, reports disconnected, and reconnects with backoff', async () => {
    vi.useFakeTimers();
    try {
      const sockets: FakeSocket[] = [];
      const wb = new WebSocketBridge('ws://x/ws', () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      });
      const states: string[] = [];
      wb.onConnection((c) => states.push(c.state));
      wb.connect();
      sockets[0].open();
      const p = wb.invoke('app:status', {});
      sockets[0].drop();
      await expect(p).rejects.toThrow(DISCONNECTED);
      expect(wb.connection()).toMatchObject({ state: 'closed', retryInMs: backoffMs(1) });
      await expect(wb.invoke('app:status', {})).rejects.toThrow(DISCONNECTED);
      vi.advanceTimersByTime(backoffMs(1));
      expect(sockets).toHaveLength(2);
      sockets[1].drop(); // never opened: the backoff grows
      expect(wb.connection()).toMatchObject({ state: 'closed', retryInMs: backoffMs(2) });
      expect(backoffMs(2)).toBeGreaterThan(backoffMs(1));
      vi.advanceTimersByTime(backoffMs(2));
      sockets[2].open();
      expect(wb.connection().state).toBe('open');
      expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'open']);
      wb.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
