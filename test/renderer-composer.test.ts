import { describe, expect, it } from 'vitest';
import {
  canSend,
  composerKey,
  composerPlaceholder,
  lineCount,
  refusedText,
  shownConversation,
} from '../renderer/src/lib/composer';

const key = (
  k: string,
  mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; isComposing: boolean }> = {},
) => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  isComposing: false,
  ...mods,
});

describe('the message box', () => {
  it('writes to the chat shown only when it exists', () => {
    expect(shownConversation({ activeId: 'a', conversations: [{ id: 'a' }] })).toBe('a');
    expect(shownConversation({ activeId: 'x', conversations: [{ id: 'a' }] })).toBeNull();
    expect(shownConversation({ activeId: null, conversations: [{ id: 'a' }] })).toBeNull();
  });

  it('sends on Enter and Ctrl/Cmd+Enter, leaves Shift+Enter and an IME Enter to the field', () => {
    expect(composerKey(key('Enter'), 'none')).toBe('send');
    expect(composerKey(key('Enter', { ctrlKey: true }), 'none')).toBe('send');
    expect(composerKey(key('Enter', { shiftKey: true, metaKey: true }), 'none')).toBe('send');
    expect(composerKey(key('Enter', { shiftKey: true }), 'none')).toBeNull();
    expect(composerKey(key('Enter', { isComposing: true }), 'none')).toBeNull();
    expect(composerKey(key('a'), 'none')).toBeNull();
    // A send while a run goes is the send's to refuse, not the key's.
    expect(composerKey(key('Enter'), 'here')).toBe('send');
  });

  it('stops on Escape only the run of the chat shown', () => {
    expect(composerKey(key('Escape'), 'here')).toBe('stop');
    expect(composerKey(key('Escape'), 'elsewhere')).toBeNull();
    expect(composerKey(key('Escape'), 'none')).toBeNull();
  });

  it('sends text or an attachment, only with the engine up', () => {
    expect(canSend(true, 'hi', false)).toBe(true);
    expect(canSend(true, '  \n', false)).toBe(false);
    expect(canSend(true, '', true)).toBe(true);
    expect(canSend(false, 'hi', true)).toBe(false);
  });

  it('says what it did and what it waits for', () => {
    expect(refusedText('A run is in progress.')).toBe('Not sent. A run is in progress. Your message is kept.');
    expect(composerPlaceholder(true)).toBe('Ask for code…  (Enter to send, Shift+Enter for a newline)');
    expect(composerPlaceholder(false)).toBe('Waiting for the engine…');
    expect(lineCount('a')).toBe(1);
    expect(lineCount('a\nb\n')).toBe(3);
  });
});
