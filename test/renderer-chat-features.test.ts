/**
 * Issue 11's chat features, the pure parts: a chat's own system prompt and settings, the settings a run uses, the
 * greedy-repeat decision, answer versions, the continue prompt, where a run is and why a send is refused, the welcome.
 */
import { describe, expect, it } from 'vitest';
import { conversationSchema, MAX_ANSWER_VERSIONS } from '../common/contract';
import { DEFAULT_DECODE_SETTINGS, type DecodeSettings } from '../common/decoding-settings';
import { promptSchema } from '../common/prompt';
import type { Conversation, Message } from '../common/models';
import {
  ALTERNATIVE_TEMPERATURE,
  applyChatSettings,
  chatSettingsDraft,
  chatSettingsErrors,
  chatSettingsSummary,
  chatSettingsValid,
  customSystemPrompt,
  effectiveDecoding,
  regenerateAdvice,
  regenerateSeed,
} from '../renderer/src/lib/chat-settings';
import { canContinue, continueMessages, promptMessages } from '../renderer/src/lib/conversations';
import { runPlace, runRefusal } from '../renderer/src/lib/run-refusal';
import {
  addVersion,
  allVersions,
  showVersion,
  stableKey,
  switchVersion,
  versionAfterKey,
  versionPosition,
} from '../renderer/src/lib/versions';
import { CHAT_EXAMPLES, INFILL_EXAMPLE, modelNote } from '../renderer/src/lib/welcome';
import { testStats } from './helpers/events';

const global: DecodeSettings = { ...DEFAULT_DECODE_SETTINGS, steps: 128, genLength: 128 };
const user = (id: string, content: string): Message => ({ id, role: 'user', content, createdAt: 1 });
const answer = (id: string, content: string, extra: Partial<Message> = {}): Message => ({
  id,
  role: 'assistant',
  content,
  createdAt: 2,
  status: 'done',
  ...extra,
});
const conv = (messages: Message[], extra: Partial<Conversation> = {}): Conversation => ({
  id: 'c1',
  title: 'T',
  createdAt: 1,
  updatedAt: 1,
  messages,
  ...extra,
});

describe("a chat's system prompt and settings", () => {
  it('the system prompt goes first in the prompt; blank or absent leaves the model default to the template', () => {
    const msgs = [user('u1', 'hi'), answer('a1', 'hello'), user('u2', 'more')];
    expect(promptMessages(conv(msgs, { systemPrompt: 'Answer in Rust.' }), msgs)).toEqual([
      { role: 'system', content: 'Answer in Rust.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'more' },
    ]);
    expect(promptMessages(conv(msgs), msgs)[0]).toEqual({ role: 'user', content: 'hi' });
    expect(promptMessages(conv(msgs, { systemPrompt: '  \n' }), msgs)[0].role).toBe('user');
    expect(customSystemPrompt({ systemPrompt: ' ' })).toBeNull();
    expect(customSystemPrompt({ systemPrompt: 'x' })).toBe('x');
  });

  it("a run uses the chat's settings, else the app's, then the run's own override", () => {
    const own = { ...global, temperature: 0.3, genLength: 64, steps: 64 };
    expect(effectiveDecoding(global, conv([]))).toEqual(global);
    expect(effectiveDecoding(global, conv([], { decoding: own }))).toEqual(own);
    expect(effectiveDecoding(global, conv([], { decoding: own }), { temperature: 0.7, seed: 5 })).toEqual({
      ...own,
      temperature: 0.7,
      seed: 5,
    });
    expect(effectiveDecoding(global, undefined, { seed: 9 })).toEqual({ ...global, seed: 9 });
  });

  it('the dialog draft starts from the chat (else the app settings) and applies back, blank meaning default', () => {
    const c = conv([user('u1', 'q')]);
    const d = chatSettingsDraft(c, global);
    expect(d).toMatchObject({ systemPrompt: '', ownDecoding: false });
    expect(d.form.base).toEqual(global);
    // Unchanged: nothing is added to the conversation.
    const same = applyChatSettings(c, d, 5);
    expect(same).toEqual({ ...c, updatedAt: 5 });
    expect('systemPrompt' in same || 'decoding' in same).toBe(false);

    const own = {
      ...d,
      systemPrompt: 'Be brief.',
      ownDecoding: true,
      form: { ...d.form, raw: { ...d.form.raw, temperature: '0.5' } },
    };
    const applied = applyChatSettings(c, own, 6);
    expect(applied.systemPrompt).toBe('Be brief.');
    expect(applied.decoding).toEqual({ ...global, temperature: 0.5 });
    expect(conversationSchema.safeParse(applied).success).toBe(true);
    // Reopened: the chat's values; going back to the app's settings and a blank prompt removes both.
    const again = chatSettingsDraft(applied, global);
    expect(again).toMatchObject({ systemPrompt: 'Be brief.', ownDecoding: true });
    expect(again.form.base.temperature).toBe(0.5);
    const back = applyChatSettings(applied, { ...again, systemPrompt: ' ', ownDecoding: false }, 7);
    expect(back.systemPrompt).toBeUndefined();
    expect(back.decoding).toBeUndefined();
  });

  it("invalid own settings are errors (the app's rules); following the app's settings never is", () => {
    const d = chatSettingsDraft(conv([]), global);
    const bad = { ...d, ownDecoding: true, form: { ...d.form, raw: { ...d.form.raw, steps: '3' } } };
    expect(chatSettingsValid(chatSettingsErrors(bad))).toBe(false);
    expect(chatSettingsErrors(bad).decoding.steps).toMatch(/multiple/);
    expect(chatSettingsValid(chatSettingsErrors({ ...bad, ownDecoding: false }))).toBe(true);
    expect(chatSettingsErrors({ ...d, systemPrompt: 'x'.repeat(100_001) }).systemPrompt).toMatch(/too long/);
  });

  it('the header says what the chat uses, the default system prompt shown', () => {
    const dflt = 'You are an AI programming assistant.';
    expect(chatSettingsSummary(conv([]), dflt)).toEqual({
      system: `System prompt: the model's default (${dflt})`,
      decoding: 'Decoding: the app settings',
      custom: false,
    });
    const s = chatSettingsSummary(
      conv([], { systemPrompt: 'Use\n  tabs.', decoding: { ...global, temperature: 0.7 } }),
      dflt,
    );
    expect(s.system).toBe('System prompt: Use tabs.');
    expect(s.decoding).toMatch(/this chat's \(temperature 0.7, low_confidence, gen_length 128\)/);
    expect(s.custom).toBe(true);
  });

  it('old conversation files (no system prompt, settings or versions) still validate', () => {
    const old = { id: 'c1', title: 'Old', createdAt: 1, updatedAt: 2, messages: [user('u1', 'q'), answer('a1', 'x')] };
    expect(conversationSchema.safeParse(old).success).toBe(true);
    expect(conversationSchema.safeParse({ ...old, decoding: { ...global, steps: 0 } }).success).toBe(false);
  });
});

describe('regenerate at greedy settings', () => {
  it('temperature 0 with low-confidence remasking repeats whatever the seed; sampling or random remasking do not', () => {
    const advice = regenerateAdvice(global)!;
    expect(advice.reason).toMatch(/same answer/);
    expect(advice.reason).toMatch(/new seed alone changes nothing/);
    expect(advice.alternatives.map((a) => a.patch)).toEqual([
      { temperature: ALTERNATIVE_TEMPERATURE },
      { remasking: 'random' },
    ]);
    // Each alternative makes the next decision "can differ".
    for (const a of advice.alternatives) expect(regenerateAdvice({ ...global, ...a.patch })).toBeNull();
    const withSeed: DecodeSettings = { ...global, seed: 1234 };
    expect(regenerateAdvice(withSeed)).not.toBeNull();
    const withThreshold: DecodeSettings = { ...global, threshold: 0.9 };
    expect(regenerateAdvice(withThreshold)).not.toBeNull();
    expect(regenerateAdvice({ ...global, temperature: 0.1 })).toBeNull();
    expect(regenerateAdvice({ ...global, remasking: 'random' })).toBeNull();
  });

  it('a regenerate draws a new seed within the bounds', () => {
    expect(regenerateSeed(() => 0)).toBe(0);
    expect(regenerateSeed(() => 1 - 2 ** -40)).toBe(2 ** 31 - 1);
    const s = regenerateSeed();
    expect(Number.isInteger(s) && s >= 0 && s <= 2 ** 31 - 1).toBe(true);
  });
});

describe('answer versions', () => {
  const stats = testStats;
  const v1 = answer('a1', 'first', { stats });
  const v2 = answer('a2', 'second', { status: 'stopped', stopReason: 'cancelled' });
  const v3 = answer('a3', 'third');

  it('regenerating keeps the previous answers; the new one is shown, last', () => {
    const two = addVersion(v1, v2);
    expect(two.id).toBe('a2');
    expect(two.content).toBe('second');
    expect(versionPosition(two)).toEqual({ index: 1, count: 2 });
    expect(two.versions?.map((v) => v.id)).toEqual(['a1']);
    expect(two.versionIndex).toBeUndefined();
    const three = addVersion(two, v3);
    expect(allVersions(three).map((v) => v.content)).toEqual(['first', 'second', 'third']);
    expect(versionPosition(three)).toEqual({ index: 2, count: 3 });
  });

  it('switching shows another version with its own fields (and id); the prompt uses the shown one', () => {
    const three = addVersion(addVersion(v1, v2), v3);
    const first = showVersion(three, 0);
    expect(first).toMatchObject({ id: 'a1', content: 'first', status: 'done', stats: { tokens: 1 }, versionIndex: 0 });
    expect(first.stopReason).toBeUndefined();
    expect(allVersions(first).map((v) => v.id)).toEqual(['a1', 'a2', 'a3']);
    const second = showVersion(first, 1);
    expect(second).toMatchObject({ id: 'a2', status: 'stopped', stopReason: 'cancelled', versionIndex: 1 });
    expect(second.stats).toBeUndefined();
    // Back to the newest: versionIndex is dropped again.
    expect(showVersion(second, 2)).toEqual(three);
    expect(stableKey(first)).toBe(stableKey(three));
    expect(stableKey(v1)).toBe('a1');
    // Regenerating while an older version is shown appends after every version.
    expect(allVersions(addVersion(first, answer('a4', 'fourth'))).map((v) => v.id)).toEqual(['a1', 'a2', 'a3', 'a4']);

    const c = conv([user('u1', 'q'), three, user('u2', 'next')]);
    const switched = switchVersion(c, 'a3', 0, 9);
    expect(switched.messages[1].id).toBe('a1');
    expect(switched.updatedAt).toBe(9);
    expect(promptMessages(switched, switched.messages).map((m) => m.content)).toEqual(['q', 'first', 'next']);
    expect(switchVersion(c, 'u1', 0)).toBe(c);
    expect(conversationSchema.safeParse(switched).success).toBe(true);
  });

  it('versions are capped (oldest dropped) and validate', () => {
    let m = answer('a0', 'v0');
    for (let i = 1; i <= MAX_ANSWER_VERSIONS + 5; i++) m = addVersion(m, answer(`a${i}`, `v${i}`));
    expect(versionPosition(m).count).toBe(MAX_ANSWER_VERSIONS);
    expect(allVersions(m)[0].id).toBe('a6');
    expect(conversationSchema.safeParse(conv([user('u', 'q'), m])).success).toBe(true);
  });

  it('arrow keys, Home and End move between versions', () => {
    expect(versionAfterKey(1, 3, 'ArrowLeft')).toBe(0);
    expect(versionAfterKey(0, 3, 'ArrowLeft')).toBe(0);
    expect(versionAfterKey(1, 3, 'ArrowRight')).toBe(2);
    expect(versionAfterKey(2, 3, 'ArrowRight')).toBe(2);
    expect(versionAfterKey(1, 3, 'Home')).toBe(0);
    expect(versionAfterKey(0, 3, 'End')).toBe(2);
    expect(versionAfterKey(0, 3, 'Enter')).toBeNull();
  });
});

describe('continue after stop', () => {
  const stopped = answer('a1', 'def f(x):\n    return', { status: 'stopped', stopReason: 'cancelled' });
  it('a stopped chat answer with text, last, can be continued; others cannot', () => {
    expect(canContinue(stopped, true)).toBe(true);
    expect(canContinue(stopped, false)).toBe(false);
    expect(canContinue({ ...stopped, status: 'done' }, true)).toBe(false);
    expect(canContinue({ ...stopped, content: ' ' }, true)).toBe(false);
    expect(canContinue({ ...stopped, infill: { file: 'a', range: null as never, middle: '' } }, true)).toBe(false);
  });
  it("the prompt ends with the partial answer as an unfinished assistant turn (the chat's system prompt first)", () => {
    const c = conv([user('u1', 'write f'), stopped], { systemPrompt: 'Python only.' });
    const messages = continueMessages(c, 'a1')!;
    expect(messages).toEqual([
      { role: 'system', content: 'Python only.' },
      { role: 'user', content: 'write f' },
      { role: 'assistant', content: 'def f(x):\n    return' },
    ]);
    expect(promptSchema.safeParse({ kind: 'chat', messages, continueFinal: true }).success).toBe(true);
    expect(promptSchema.safeParse({ kind: 'chat', messages: messages.slice(0, 2), continueFinal: true }).success).toBe(
      false,
    );
    expect(continueMessages(conv([user('u1', 'q'), { ...stopped, status: 'done' }]), 'a1')).toBeNull();
    expect(continueMessages(c, 'nope')).toBeNull();
  });
});

describe('runs across chats', () => {
  const titles = (id: string) => ({ a: 'Chat A', b: 'Chat B' })[id];
  const idle = { active: null, compareRunning: false, infillRunning: false };
  it('a run belongs to its chat: elsewhere a send is refused naming where the run is', () => {
    expect(runRefusal(idle, 'b', titles)).toBeNull();
    expect(runRefusal(idle, null, titles)).toBeNull();
    const busy = { ...idle, active: { conversationId: 'a' } };
    expect(runRefusal(busy, 'b', titles)).toMatch(/in progress in “Chat A”/);
    expect(runRefusal(busy, null, titles)).toMatch(/in progress in “Chat A”/);
    expect(runRefusal(busy, 'a', titles)).toMatch(/already running in this chat/);
    expect(runRefusal({ ...busy, active: { conversationId: 'gone' } }, 'b', titles)).toMatch(/another chat/);
    expect(runRefusal({ ...idle, compareRunning: true }, 'a', titles)).toMatch(/comparison is running/);
    expect(runRefusal({ ...idle, infillRunning: true }, 'a', titles)).toMatch(/infill is running/);
  });
  it('the run is here, elsewhere or nowhere', () => {
    expect(runPlace(null, 'a')).toBe('none');
    expect(runPlace({ conversationId: 'a' }, 'a')).toBe('here');
    expect(runPlace({ conversationId: 'a' }, 'b')).toBe('elsewhere');
    expect(runPlace({ conversationId: 'a' }, null)).toBe('elsewhere');
  });
});

describe('first start', () => {
  it('the built-in model is said to be a demo, with where to import a real one; others are named', () => {
    for (const m of [null, undefined, { builtin: true, name: 'diffcoder-mini' }]) {
      const n = modelNote(m);
      expect(n.builtin).toBe(true);
      expect(n.text).toMatch(/5 M parameters/);
      expect(n.text).toMatch(/rarely right/);
      expect(n.text).toMatch(/Stable-DiffCoder-8B: Settings → Model → Import checkpoint/);
    }
    expect(modelNote({ builtin: false, name: 'Stable-DiffCoder-8B' })).toEqual({
      builtin: false,
      text: 'Model: Stable-DiffCoder-8B.',
    });
  });
  it('example prompts exist for chat and infill', () => {
    expect(CHAT_EXAMPLES.length).toBeGreaterThanOrEqual(2);
    expect(INFILL_EXAMPLE.text).toMatch(/Ctrl\+I/);
    expect(INFILL_EXAMPLE.text).toMatch(/\n\n {4}return result/);
  });
});
