import { describe, expect, it } from 'vitest';
import { emptyListText, highlightAnnouncement, highlightFor, searchBoxKey } from '../renderer/src/lib/sidebar';

describe('the sidebar search box', () => {
  it('keeps a highlight only for the query it was made in', () => {
    expect(highlightFor({ query: 'ab', index: 2 }, 'ab')).toBe(2);
    expect(highlightFor({ query: 'ab', index: 2 }, 'abc')).toBe(-1);
  });

  it('clears the query on Escape, and leaves Escape alone when there is none', () => {
    expect(searchBoxKey('Escape', 'x', 3, 0)).toEqual({ clear: true });
    expect(searchBoxKey('Escape', '', 3, 0)).toBeNull();
  });

  it('opens the highlighted result on Enter, else the first; nothing when none matches', () => {
    expect(searchBoxKey('Enter', 'x', 3, 1)).toEqual({ open: 1 });
    expect(searchBoxKey('Enter', 'x', 3, -1)).toEqual({ open: 0 });
    expect(searchBoxKey('Enter', 'x', 0, -1)).toBeNull();
  });

  it('moves the highlight with ↑/↓ and leaves the other keys to the text field', () => {
    expect(searchBoxKey('ArrowDown', 'x', 3, -1)).toEqual({ highlight: 0 });
    expect(searchBoxKey('ArrowDown', 'x', 3, 0)).toEqual({ highlight: 1 });
    expect(searchBoxKey('Home', 'x', 3, 1)).toBeNull();
    expect(searchBoxKey('a', 'x', 3, 1)).toBeNull();
  });

  it('says where the highlight is, and why the list is empty', () => {
    expect(highlightAnnouncement('Sorting', 1, 4)).toBe('Sorting, 2 of 4. Enter opens it.');
    expect(emptyListText('zz', true)).toBe('No chat matches.');
    expect(emptyListText('', true)).toBe('Chats could not be loaded.');
    expect(emptyListText('', false)).toBe('No chats yet.');
  });
});
