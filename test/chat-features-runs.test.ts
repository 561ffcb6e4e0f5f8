/**
 * Issue 11's chat features through the stores and main: the default system prompt read from the chat template, the
 * continuation prompt, main saving a continued answer, and the run store's system prompt, per-chat settings,
 * regenerate (new seed, versions, override), continue, refusals across chats and Escape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../common/models';
import type { PromptSpec } from '../common/prompt';
import type { RunEvent } from '../main/engine-host/engine-host';
import { RunKeeper } from '../main/ipc/run-keeper';
import { TextCodec } from '../main/engine/tokenizer';
import { setBridge } from '../renderer/src/services';
import { useConversationsStore } from '../renderer/src/stores/conversations';
import { useEditorStore } from '../renderer/src/stores/editor';
import { escapeStopsRun, routeGenerateEvent, useRunStore } from '../renderer/src/stores/run';
import { useSettingsStore } from '../renderer/src/stores/settings';
import { useUiStore } from '../renderer/src/stores/ui';
import { allVersions, versionPosition } from '../renderer/src/lib/versions';
import { startExtras } from './helpers/events';
import { fakeBridge, testSettings } from './helpers/fake-bridge';
import { byteTokenizerJson, CHAT_TEMPLATE, SPECIAL_TOKENS } from './helpers/tiny-checkpoint';
import { doneEvent } from './helpers/events';

const config = (template: string) => ({
  bos_token: SPECIAL_TOKENS[0],
  eos_token: SPECIAL_TOKENS[2],
  add_bos_token: false,
  chat_template: template,
});

describe('the model default system prompt and the continuation prompt (main/engine/tokenizer.ts)', () => {
  it('is read from the chat template: the text it writes when a chat has no system message', () => {
    expect(new TextCodec(byteTokenizerJson(), config(CHAT_TEMPLATE)).defaultSystemPrompt).toBe(
      'You are a test assistant.',
    );
    // A template that adds no default.
    const plain = CHAT_TEMPLATE.slice(CHAT_TEMPLATE.indexOf('{% endif %}') + '{% endif %}'.length);
    expect(new TextCodec(byteTokenizerJson(), config(plain)).defaultSystemPrompt).toBeNull();
    // No template at all.
    expect(new TextCodec(byteTokenizerJson(), { bos_token: SPECIAL_TOKENS[0] }).defaultSystemPrompt).toBeNull();
  });

  it("the built-in model's is the one its template declares", () => {
    const dir = join('resources', 'models', 'diffcoder-mini');
    if (!existsSync(join(dir, 'tokenizer.json'))) return;
    const tokConfig = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    const codec = new TextCodec(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), tokConfig);
    expect(codec.defaultSystemPrompt).toBe('You are an AI programming assistant.');
    expect(tokConfig.chat_template).toContain(codec.defaultSystemPrompt);
    // Continuing: the prompt before the answer with the generation prompt, then the partial answer, unterminated.
    const msgs = [
      { role: 'user' as const, content: 'Write f' },
      { role: 'assistant' as const, content: 'def f(x):\n    ' },
    ];
    const text = codec.renderContinuation(msgs);
    expect(text).toBe(codec.renderChat(msgs.slice(0, 1)) + 'def f(x):\n    ');
    expect(codec.decode(codec.encodeContinuation(msgs))).toContain('def f(x):\n    ');
    expect(codec.encodeContinuation(msgs).length).toBeGreaterThan(codec.encodeChat(msgs.slice(0, 1)).length);
    expect(() => codec.renderContinuation(msgs.slice(0, 1))).toThrow(/assistant message last/);
  });
});

describe('main saves a continued answer as the stopped text plus the new text (run-keeper.ts)', () => {
  it('while it streams, when it ends, and in generate:active', () => {
    const saved: Conversation[] = [];
    let onEvent: (ev: RunEvent) => void = () => {};
    const keeper = new RunKeeper({
      host: {
        generate: (_id: string, _p: PromptSpec, _params: unknown, cb: (ev: RunEvent) => void) => {
          onEvent = cb;
          return Promise.resolve();
        },
        stop: () => true,
      } as never,
      conversations: { get: () => null, save: (c: Conversation) => void saved.push(c) },
      broadcast: () => {},
      saveEveryMs: 60_000,
    });
    const conv: Conversation = {
      id: 'c1',
      title: 'T',
      createdAt: 1,
      updatedAt: 1,
      messages: [
        { id: 'u1', role: 'user', content: 'q', createdAt: 1 },
        { id: 'a1', role: 'assistant', content: 'def f', createdAt: 2, status: 'streaming' },
      ],
    };
    keeper.mergeSave(conv);
    void keeper.start({
      requestId: 'r1',
      prompt: {
        kind: 'chat',
        continueFinal: true,
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'def f' },
        ],
      },
      params: {},
      conversationId: 'c1',
      messageId: 'a1',
    });
    expect(keeper.active()?.prompt).toEqual({ kind: 'chat', continues: 'def f' });
    onEvent({ type: 'step', textDelta: '(x):', committed: [] } as never);
    // A page's save while it streams gets main's text: the stopped text and the new.
    expect(keeper.mergeSave(conv).messages[1].content).toBe('def f(x):');
    onEvent({ type: 'done', text: '(x):\n    return x', stopReason: 'eos', stats: undefined } as never);
    expect(saved.at(-1)!.messages[1]).toMatchObject({ status: 'done', content: 'def f(x):\n    return x' });
  });
});

type Start = {
  requestId: string;
  prompt: { kind: 'chat'; messages: { role: string; content: string }[]; continueFinal?: boolean };
  settings: typeof testSettings.decoding;
  messageId: string;
};

describe('the run store: system prompt, per-chat settings, regenerate, continue, runs across chats', () => {
  let fb: ReturnType<typeof fakeBridge>;
  const starts = () => fb.calls.filter((c) => c.channel === 'generate:start').map((c) => c.request as Start);
  const finishWith = (text: string, stopReason: 'eos' | 'cancelled' = 'eos') => {
    const rid = useRunStore.getState().active!.requestId;
    routeGenerateEvent({
      requestId: rid,
      event: {
        type: 'start',
        ...startExtras,
        promptLength: 1,
        genLength: 8,
        canvasLength: 9,
        blockLength: 4,
        maskId: 9,
        eosId: 2,
        provider: 'cpu',
      },
    });
    routeGenerateEvent({ requestId: rid, event: doneEvent(text, { stopReason }) });
  };
  const conv = (id: string) => useConversationsStore.getState().conversations.find((c) => c.id === id)!;
  const seed = (id: string, title: string, messages: Message[], extra: Partial<Conversation> = {}) =>
    useConversationsStore.setState((s) => ({
      conversations: [...s.conversations, { id, title, createdAt: 1, updatedAt: 1, messages, ...extra }],
    }));

  beforeEach(() => {
    fb = fakeBridge();
    setBridge(fb.b);
    useSettingsStore.setState({ settings: testSettings });
    useConversationsStore.setState({ conversations: [], activeId: null, query: '', chatSettingsFor: null });
    useRunStore.setState({ active: null, canvas: null });
    useEditorStore.setState({ documents: [], activeId: null, attachment: null, selection: null });
    useUiStore.setState({ notices: [] });
  });

  it("a chat's system prompt leads the prompt and its own settings are the run's", async () => {
    const own = { ...testSettings.decoding, temperature: 0.4, seed: 11 };
    seed('c1', 'Mine', [], { systemPrompt: 'Answer in one line.', decoding: own });
    useConversationsStore.setState({ activeId: 'c1' });
    expect(await useRunStore.getState().send('q')).toBe(true);
    const s = starts()[0];
    expect(s.prompt.messages).toEqual([
      { role: 'system', content: 'Answer in one line.' },
      { role: 'user', content: 'q' },
    ]);
    expect(s.settings).toEqual(own);
    finishWith('A.');
    // Invalid own settings are refused with the reason, before anything is added.
    useConversationsStore.getState().mutate('c1', (c) => ({ ...c, decoding: { ...own, steps: 3 } }), 'none');
    expect(await useRunStore.getState().send('again')).toBe(false);
    expect(useUiStore.getState().notices.at(-1)?.text).toMatch(/this chat's.*steps/);
    expect(conv('c1').messages).toHaveLength(2);
  });

  it('regenerate keeps the previous answer as a version, draws a new seed and applies the override', async () => {
    seed('c1', 'R', []);
    useConversationsStore.setState({ activeId: 'c1' });
    await useRunStore.getState().send('q');
    finishWith('first');
    expect(await useRunStore.getState().regenerate('c1', { temperature: 0.7 })).toBe(true);
    const [, second] = starts();
    expect(second.settings.temperature).toBe(0.7);
    expect(second.settings.seed).not.toBe(testSettings.decoding.seed);
    // The prompt leaves the answer being replaced out.
    expect(second.prompt.messages).toEqual([{ role: 'user', content: 'q' }]);
    finishWith('second');
    const m = conv('c1').messages[1];
    expect(conv('c1').messages).toHaveLength(2);
    expect(m).toMatchObject({ content: 'second', status: 'done', id: second.messageId });
    expect(versionPosition(m)).toEqual({ index: 1, count: 2 });
    expect(allVersions(m).map((v) => v.content)).toEqual(['first', 'second']);
    // A regenerate that cannot start (a run elsewhere) leaves the answer as it was.
    seed('c2', 'Other', [{ id: 'u9', role: 'user', content: 'x', createdAt: 1 }]);
    useConversationsStore.setState({ activeId: 'c2' });
    await useRunStore.getState().send('y');
    expect(await useRunStore.getState().regenerate('c1')).toBe(false);
    expect(conv('c1').messages[1]).toBe(m);
  });

  it('continue runs on from the stopped text and appends to the same message', async () => {
    seed('c1', 'C', []);
    useConversationsStore.setState({ activeId: 'c1' });
    await useRunStore.getState().send('write f');
    finishWith('def f(x):', 'cancelled');
    const stopped = conv('c1').messages[1];
    expect(stopped).toMatchObject({ status: 'stopped', content: 'def f(x):' });
    expect(await useRunStore.getState().continueAnswer('c1', stopped.id)).toBe(true);
    const s = starts()[1];
    expect(s.prompt).toEqual({
      kind: 'chat',
      continueFinal: true,
      messages: [
        { role: 'user', content: 'write f' },
        { role: 'assistant', content: 'def f(x):' },
      ],
    });
    expect(s.messageId).toBe(stopped.id);
    expect(useRunStore.getState().active?.continues).toBe('def f(x):');
    expect(conv('c1').messages[1].status).toBe('streaming');
    finishWith('\n    return x');
    expect(conv('c1').messages).toHaveLength(2);
    expect(conv('c1').messages[1]).toMatchObject({ status: 'done', content: 'def f(x):\n    return x' });
    // A finished answer cannot be continued.
    expect(await useRunStore.getState().continueAnswer('c1', stopped.id)).toBe(false);
  });

  it('a run belongs to its chat: another chat refuses to send (said), Escape stops only where it runs', async () => {
    seed('a', 'Chat A', []);
    seed('b', 'Chat B', []);
    useConversationsStore.setState({ activeId: 'a' });
    await useRunStore.getState().send('long one');
    expect(escapeStopsRun()).toBe(true);
    useConversationsStore.setState({ activeId: 'b' });
    expect(escapeStopsRun()).toBe(false);
    expect(await useRunStore.getState().send('in b')).toBe(false);
    expect(useUiStore.getState().notices.at(-1)?.text).toMatch(/in progress in “Chat A”/);
    expect(conv('b').messages).toHaveLength(0);
    expect(starts()).toHaveLength(1);
    // With the chat settings dialog open, Escape is the dialog's.
    useConversationsStore.setState({ activeId: 'a', chatSettingsFor: 'a' });
    expect(escapeStopsRun()).toBe(false);
    useConversationsStore.setState({ chatSettingsFor: null });
    finishWith('done');
    expect(escapeStopsRun()).toBe(false);
    useConversationsStore.setState({ activeId: 'b' });
    expect(await useRunStore.getState().send('in b')).toBe(true);
  });

  it('a continued run main is running attaches with the text it continues', () => {
    seed('c1', 'C', [
      { id: 'u1', role: 'user', content: 'q', createdAt: 1 },
      { id: 'a1', role: 'assistant', content: 'def f', createdAt: 2, status: 'stopped' },
    ]);
    const attached = useRunStore.getState().attach({
      requestId: 'r9',
      conversationId: 'c1',
      messageId: 'a1',
      prompt: { kind: 'chat', continues: 'def f' },
      startedAt: 1,
      stopping: false,
      start: null,
      committed: [],
      text: '',
      step: null,
    });
    expect(attached).toBe(true);
    expect(useRunStore.getState().active?.continues).toBe('def f');
    expect(conv('c1').messages[1]).toMatchObject({ status: 'streaming', content: 'def f' });
    routeGenerateEvent({ requestId: 'r9', event: doneEvent('(x)') });
    expect(conv('c1').messages[1]).toMatchObject({ status: 'done', content: 'def f(x)' });
  });
});
