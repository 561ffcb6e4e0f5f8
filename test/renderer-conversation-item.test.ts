import { describe, expect, it } from 'vitest';
import {
  deleteLabel,
  deleteQuestionLabel,
  exportLabel,
  itemClass,
  itemKey,
  renamedTitle,
  renameKey,
  renameLabel,
  withKeys,
} from '../renderer/src/lib/conversation-item';

const ids = ['a', 'b', 'c'];
const plain = { altKey: false, ctrlKey: false, metaKey: false, shiftKey: false };

describe('a chat in the sidebar list', () => {
  it('takes the list keys only without a modifier (those belong to the app)', () => {
    expect(itemKey(ids, 'a', { ...plain, key: 'ArrowDown' })).toEqual({ focus: 'b' });
    expect(itemKey(ids, 'b', { ...plain, key: 'F2' })).toEqual({ rename: 'b' });
    expect(itemKey(ids, 'b', { ...plain, key: 'Delete' })).toEqual({ remove: 'b' });
    expect(itemKey(ids, 'b', { ...plain, key: 'Enter' })).toBeNull();
    for (const mod of ['altKey', 'ctrlKey', 'metaKey', 'shiftKey'] as const)
      expect(itemKey(ids, 'a', { ...plain, [mod]: true, key: 'ArrowDown' })).toBeNull();
  });

  it('wears a class for each of its states, in a fixed order', () => {
    expect(itemClass({ active: false, highlighted: false, current: false })).toBe('conversation-item');
    expect(itemClass({ active: true, highlighted: true, current: true })).toBe(
      'conversation-item active highlighted current',
    );
    expect(itemClass({ active: false, highlighted: true, current: false })).toBe('conversation-item highlighted');
  });

  it('renames on Enter, drops the edit on Escape, and saves only a new, non-blank title', () => {
    expect(renameKey('Enter')).toBe('keep');
    expect(renameKey('Escape')).toBe('drop');
    expect(renameKey('a')).toBeNull();
    expect(renamedTitle('New', 'Old', true)).toBe('New');
    expect(renamedTitle('New', 'Old', false)).toBeNull();
    expect(renamedTitle('   ', 'Old', true)).toBeNull();
    expect(renamedTitle('Old', 'Old', true)).toBeNull();
    // Kept as typed: the store trims or not, as it always did.
    expect(renamedTitle(' New ', 'Old', true)).toBe(' New ');
  });

  it('names its actions after the chat, and says why Delete is off while it generates', () => {
    expect(renameLabel('T')).toBe('Rename “T”');
    expect(exportLabel('T')).toBe('Export “T” as Markdown');
    expect(deleteLabel('T', false)).toBe('Delete “T”');
    expect(deleteLabel('T', true)).toBe('Delete “T” (not while it is generating)');
    expect(deleteQuestionLabel('T')).toBe('Delete “T”?');
    expect(withKeys('Rename “T”', 'F2')).toBe('Rename “T” (F2)');
    expect(withKeys('Export')).toBe('Export');
  });
});
