import { describe, expect, it } from 'vitest';
import {
  canReplay,
  infillProgress,
  infillRunnable,
  lengthFieldTitle,
  suggestionLabel,
  typedMiddleLength,
} from '../renderer/src/lib/infill-bar';

describe('the infill bar', () => {
  it('shows progress only while a run goes', () => {
    const canvas = { committed: 8, tokens: { length: 64 } };
    expect(infillProgress(canvas, 'running')).toBe('8/64');
    expect(infillProgress(canvas, 'pending')).toBe('');
    expect(infillProgress(null, 'running')).toBe('');
  });

  it('takes a typed middle length only when it is a positive number', () => {
    expect(typedMiddleLength('32')).toBe(32);
    expect(typedMiddleLength(' 48 ')).toBe(48);
    expect(typedMiddleLength('0')).toBeNull();
    expect(typedMiddleLength('-4')).toBeNull();
    expect(typedMiddleLength('')).toBeNull();
    expect(typedMiddleLength('abc')).toBeNull();
  });

  it('runs Infill only in an editor, with an engine that can infill, and no chat run', () => {
    const ok = { editor: true, chatRunning: false, online: true, noFim: false };
    expect(infillRunnable(ok)).toBe(true);
    expect(infillRunnable({ ...ok, editor: false })).toBe(false);
    expect(infillRunnable({ ...ok, chatRunning: true })).toBe(false);
    expect(infillRunnable({ ...ok, online: false })).toBe(false);
    expect(infillRunnable({ ...ok, noFim: true })).toBe(false);
  });

  it('says what a suggestion holds, and offers its replay once it is a chat message with a request', () => {
    expect(suggestionLabel('x')).toBe('Suggestion');
    expect(suggestionLabel('')).toBe('Suggestion (empty)');
    expect(suggestionLabel(null)).toBe('Suggestion (empty)');
    expect(canReplay({ messageId: 'm', requestId: 'r' })).toBe(true);
    expect(canReplay({ messageId: null, requestId: 'r' })).toBe(false);
    expect(canReplay({ messageId: 'm', requestId: null })).toBe(false);
    expect(lengthFieldTitle(4)).toContain('whole blocks of 4');
  });
});
