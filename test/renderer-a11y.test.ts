import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../common/models';
import {
  afterRemoval,
  answerStates,
  infillAnnouncement,
  listKey,
  matchesLabel,
  rovingId,
  runAnnouncements,
  searchKey,
  searchPick,
  splitKey,
  type InfillState,
} from '../renderer/src/lib/a11y';

const ids = ['a', 'b', 'c'];

describe('the chat list by keyboard', () => {
  it('moves with ↑/↓/Home/End (stopping at the ends), F2 renames, Delete asks; other keys are not its', () => {
    expect(listKey(ids, 'a', 'ArrowDown')).toEqual({ focus: 'b' });
    expect(listKey(ids, 'c', 'ArrowDown')).toEqual({ focus: 'c' });
    expect(listKey(ids, 'a', 'ArrowUp')).toEqual({ focus: 'a' });
    expect(listKey(ids, 'b', 'Home')).toEqual({ focus: 'a' });
    expect(listKey(ids, 'a', 'End')).toEqual({ focus: 'c' });
    expect(listKey(ids, 'b', 'F2')).toEqual({ rename: 'b' });
    expect(listKey(ids, 'b', 'Delete')).toEqual({ remove: 'b' });
    expect(listKey(ids, 'b', 'Enter')).toBeNull();
    expect(listKey(ids, 'x', 'ArrowDown')).toBeNull();
  });

  it('one tab stop: the chat last focused, else the open one, else the first', () => {
    expect(rovingId(ids, 'c', 'b')).toBe('c');
    expect(rovingId(ids, 'gone', 'b')).toBe('b');
    expect(rovingId(ids, null, 'gone')).toBe('a');
    expect(rovingId([], null, null)).toBeNull();
  });

  it('after a delete the focus goes to the next chat, else the one above, else nowhere', () => {
    expect(afterRemoval(ids, 'a')).toBe('b');
    expect(afterRemoval(ids, 'b')).toBe('c');
    expect(afterRemoval(ids, 'c')).toBe('b');
    expect(afterRemoval(['a'], 'a')).toBeNull();
  });
});

describe('the search box', () => {
  it('↓/↑ move a highlight through the results, within them; Enter takes the highlighted one or the first', () => {
    expect(searchKey(3, -1, 'ArrowDown')).toBe(0);
    expect(searchKey(3, 0, 'ArrowDown')).toBe(1);
    expect(searchKey(3, 2, 'ArrowDown')).toBe(2);
    expect(searchKey(3, 2, 'ArrowUp')).toBe(1);
    expect(searchKey(3, -1, 'ArrowUp')).toBe(0);
    expect(searchKey(0, -1, 'ArrowDown')).toBe(-1);
    expect(searchKey(3, 1, 'Home')).toBeNull();
    expect(searchPick(3, -1)).toBe(0);
    expect(searchPick(3, 2)).toBe(2);
    expect(searchPick(2, 5)).toBe(1);
    expect(searchPick(0, 0)).toBe(-1);
  });

  it('says how many chats match, nothing for an empty query', () => {
    expect(matchesLabel(0, 'x')).toBe('No chat matches.');
    expect(matchesLabel(1, 'x')).toBe('1 chat matches.');
    expect(matchesLabel(4, 'x')).toBe('4 chats match.');
    expect(matchesLabel(4, '  ')).toBe('');
  });
});

describe('the pane divider', () => {
  it('arrows move 5%, PageUp/PageDown 20%, Home/End to the ends, always within 25–80%', () => {
    expect(splitKey(0.5, 'ArrowLeft')).toBe(0.45);
    expect(splitKey(0.5, 'ArrowRight')).toBe(0.55);
    expect(splitKey(0.5, 'PageDown')).toBe(0.7);
    expect(splitKey(0.27, 'ArrowLeft')).toBe(0.25);
    expect(splitKey(0.78, 'PageDown')).toBe(0.8);
    expect(splitKey(0.5, 'Home')).toBe(0.25);
    expect(splitKey(0.5, 'End')).toBe(0.8);
    expect(splitKey(0.5, 'Enter')).toBeNull();
  });
});

const answer = (id: string, patch: Partial<Message> = {}): Message => ({
  id,
  role: 'assistant',
  content: '',
  createdAt: 0,
  ...patch,
});
const conv = (id: string, title: string, messages: Message[]): Conversation =>
  ({ id, title, messages, createdAt: 0, updatedAt: 0 }) as unknown as Conversation;
const stats = (tokens: number) => ({ tokens }) as unknown as Message['stats'];

describe('what the live region says about runs', () => {
  it('a run starting and ending (done with its tokens, stopped, failed); the chat named when not shown', () => {
    const before = answerStates([conv('c1', 'Sums', [answer('m1', { status: 'done' })])]);
    const running = answerStates([
      conv('c1', 'Sums', [answer('m1', { status: 'done' }), answer('m2', { status: 'streaming' })]),
    ]);
    expect(runAnnouncements(before, running, 'c1')).toEqual(['Generating an answer…']);
    expect(runAnnouncements(before, running, 'other')).toEqual(['Generating an answer in “Sums”…']);
    const end = (patch: Partial<Message>) =>
      runAnnouncements(running, answerStates([conv('c1', 'Sums', [answer('m2', patch)])]), 'c1');
    expect(end({ status: 'done', stats: stats(57) })).toEqual(['Answer finished: 57 tokens.']);
    expect(end({ status: 'done', stats: stats(1) })).toEqual(['Answer finished: 1 token.']);
    expect(end({ status: 'stopped', stats: stats(12) })).toEqual(['Answer stopped after 12 tokens.']);
    expect(end({ status: 'stopped' })).toEqual(['Answer stopped.']);
    expect(end({ status: 'error', error: 'the engine process stopped' })).toEqual([
      'Generation failed: the engine process stopped.',
    ]);
    // Nothing changed, nothing said; infill answers are the infill's to tell.
    expect(runAnnouncements(running, running, 'c1')).toEqual([]);
    const infill = answerStates([
      conv('c1', 'Sums', [answer('m3', { status: 'streaming', infill: { file: 'a.py' } as Message['infill'] })]),
    ]);
    expect(runAnnouncements(before, infill, 'c1')).toEqual([]);
  });

  it('an infill running, its suggestion ready, and its end', () => {
    const idle: InfillState = { phase: null, file: null, tokens: null, stopping: false };
    const running: InfillState = { phase: 'running', file: 'a.py', tokens: null, stopping: false };
    expect(infillAnnouncement(idle, running)).toBe('Infill running in a.py. Escape in the editor stops it.');
    expect(infillAnnouncement(running, { ...running, phase: 'pending', tokens: 16 })).toBe(
      'Infill finished: 16 tokens. Suggestion ready: Tab or Enter in the editor accepts it, Escape rejects it.',
    );
    expect(infillAnnouncement({ ...running, stopping: true }, idle)).toBe('Infill stopped.');
    expect(infillAnnouncement(running, idle)).toBe('Infill ended.');
    expect(infillAnnouncement(running, running)).toBeNull();
  });
});
