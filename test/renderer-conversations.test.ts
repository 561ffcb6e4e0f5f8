import { describe, expect, it } from 'vitest';
import { conversationSchema } from '../common/contract';
import type { Conversation, Message } from '../common/models';
import {
  appendMessages,
  chatMessages,
  codeBlocks,
  DEFAULT_TITLE,
  fence,
  newConversation,
  normalizeLoaded,
  renameConversation,
  searchConversations,
  titleFrom,
  truncateBefore,
  updateMessage,
} from '../renderer/src/lib/conversations';
import { requestId } from '../renderer/src/lib/ids';
import { conversationToMarkdown, exportFileName } from '../renderer/src/lib/markdown-export';

const msg = (id: string, role: Message['role'], content: string, extra: Partial<Message> = {}): Message => ({
  id,
  role,
  content,
  createdAt: 1,
  ...extra,
});

describe('conversation operations', () => {
  it('a new conversation is valid for the contract and titled from the first user message', () => {
    const c = newConversation(1000);
    expect(conversationSchema.safeParse(c).success).toBe(true);
    expect(c.title).toBe(DEFAULT_TITLE);
    const c2 = appendMessages(
      c,
      [
        msg('m1', 'user', '\n  Write a quicksort   in Python\nplease'),
        msg('m2', 'assistant', '', { status: 'streaming' }),
      ],
      2000,
    );
    expect(c2.title).toBe('Write a quicksort in Python');
    expect(c2.messages).toHaveLength(2);
    expect(c2.updatedAt).toBe(2000);
    expect(c.messages).toHaveLength(0); // not mutated
    expect(conversationSchema.safeParse(c2).success).toBe(true);
  });

  it('keeps a custom title when messages are appended', () => {
    const c = renameConversation(newConversation(), '  My chat ');
    expect(c.title).toBe('My chat');
    expect(appendMessages(c, [msg('m1', 'user', 'hello')]).title).toBe('My chat');
    expect(renameConversation(c, '   ').title).toBe(DEFAULT_TITLE);
  });

  it('titles are shortened', () => {
    expect(titleFrom('x'.repeat(200)).length).toBeLessThanOrEqual(80);
    expect(titleFrom('```python\nprint(1)\n```')).toBe('print(1)');
  });

  it('updates one message and truncates for edit-and-resend / regenerate', () => {
    const c = appendMessages(newConversation(), [
      msg('a', 'user', 'q1'),
      msg('b', 'assistant', 'a1'),
      msg('c', 'user', 'q2'),
      msg('d', 'assistant', 'a2'),
    ]);
    const u = updateMessage(c, 'd', { content: 'A2', status: 'done' });
    expect(u.messages[3]).toMatchObject({ content: 'A2', status: 'done' });
    expect(updateMessage(c, 'zzz', { content: 'x' })).toBe(c);
    expect(truncateBefore(c, 'c').messages.map((m) => m.id)).toEqual(['a', 'b']);
    expect(truncateBefore(c, 'nope')).toBe(c);
  });

  it('search matches titles and contents, case-insensitively, newest first', () => {
    const a: Conversation = {
      ...newConversation(1),
      id: 'a',
      title: 'Sorting',
      updatedAt: 1,
      messages: [msg('1', 'user', 'bubble sort')],
    };
    const b: Conversation = {
      ...newConversation(2),
      id: 'b',
      title: 'Parsing',
      updatedAt: 5,
      messages: [msg('2', 'assistant', 'use a RECURSIVE descent parser')],
    };
    const c: Conversation = {
      ...newConversation(3),
      id: 'c',
      title: 'Other',
      updatedAt: 3,
      messages: [
        msg('3', 'user', 'x', {
          attachment: { documentId: 'd1', language: 'python', text: 'def recursive_thing(): pass' },
        }),
      ],
    };
    expect(searchConversations([a, b, c], '').map((x) => x.id)).toEqual(['b', 'c', 'a']);
    expect(searchConversations([a, b, c], 'sort').map((x) => x.id)).toEqual(['a']);
    expect(searchConversations([a, b, c], 'recursive').map((x) => x.id)).toEqual(['b', 'c']);
    expect(searchConversations([a, b, c], 'nothing')).toEqual([]);
  });

  it('inlines attachments as fenced code before the question and skips empty assistant turns', () => {
    const messages = [
      msg('1', 'user', 'What does this do?', {
        attachment: { documentId: 'd', language: 'python', text: 'print("```")' },
      }),
      msg('2', 'assistant', '', { status: 'error', error: 'x' }),
      msg('3', 'assistant', 'It prints.', { status: 'done' }),
      msg('4', 'user', 'Thanks'),
    ];
    const out = chatMessages(messages);
    expect(out).toHaveLength(3);
    expect(out[0].content).toBe('````python\nprint("```")\n````\n\nWhat does this do?');
    expect(out.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('fence is longer than any backtick run inside', () => {
    expect(fence('a', 'js')).toBe('```js\na\n```');
    expect(fence('x ````` y')).toBe('``````\nx ````` y\n``````');
  });

  it('marks a message saved while streaming as stopped when loaded', () => {
    const c = appendMessages(newConversation(), [
      msg('1', 'user', 'q'),
      msg('2', 'assistant', 'part', { status: 'streaming' }),
    ]);
    const n = normalizeLoaded(c);
    expect(n.messages[1]).toMatchObject({ status: 'stopped', content: 'part' });
    expect(normalizeLoaded(n)).toBe(n);
  });

  it('finds code blocks for "Open in editor"', () => {
    const md = 'Here:\n\n```python\ndef f():\n    return 1\n```\n\ntext\n\n~~~\nplain\n~~~\n';
    expect(codeBlocks(md)).toEqual([
      { language: 'python', code: 'def f():\n    return 1' },
      { language: 'plaintext', code: 'plain' },
    ]);
  });

  it('request ids are letters and digits only and differ', () => {
    const a = requestId();
    expect(a).toMatch(/^[A-Za-z0-9]+$/);
    expect(requestId()).not.toBe(a);
  });
});

describe('Markdown export', () => {
  it('exports roles, attachments, stopped and error markers', () => {
    const c: Conversation = {
      id: 'c1',
      title: 'Quick Sort: in Python!',
      createdAt: 0,
      updatedAt: Date.UTC(2026, 0, 2),
      messages: [
        msg('1', 'user', 'Explain', { attachment: { documentId: 'd', language: 'python', text: 'x = 1' } }),
        msg('2', 'assistant', 'Partial answer', { status: 'stopped' }),
        msg('3', 'user', 'Again'),
        msg('4', 'assistant', '', { status: 'error', error: 'engine crashed' }),
      ],
    };
    const md = conversationToMarkdown(c);
    expect(md).toContain('# Quick Sort: in Python!');
    expect(md).toContain('## User\n\n```python\nx = 1\n```\n\nExplain');
    expect(md).toContain('## Assistant\n\nPartial answer\n\n_(stopped)_');
    expect(md).toContain('_(error: engine crashed)_');
    expect(md).toContain('2026-01-02');
    expect(exportFileName(c)).toBe('quick-sort-in-python.md');
    expect(exportFileName({ ...c, title: '!!!' })).toBe('conversation.md');
  });

  it('exports a bare-code answer fenced with its language, as the screen shows it', () => {
    const c = {
      ...newConversation(1),
      messages: [
        msg('u', 'user', 'def f(): pass'),
        msg('a', 'assistant', 'def add(a, b):\n    return a + b\n'),
        msg('b', 'assistant', 'const x = 1;'),
        msg('p', 'assistant', 'Use `sum(xs)`.'),
      ],
    };
    const md = conversationToMarkdown(c);
    expect(md).toContain('## User\n\ndef f(): pass\n');
    expect(md).toContain('## Assistant\n\n```python\ndef add(a, b):\n    return a + b\n```\n');
    expect(md).toContain('```javascript\nconst x = 1;\n```');
    expect(md).toContain('## Assistant\n\nUse `sum(xs)`.');
    expect(md).not.toContain('System prompt');
    const own = conversationToMarkdown({ ...c, systemPrompt: '  Answer in Rust.  ' });
    expect(own).toContain('_\n\n## System prompt\n\nAnswer in Rust.\n\n## User');
  });
});

describe('code extraction for editor targets', () => {
  it('takes the inside of the first fenced block, closed or still open, else the whole text', async () => {
    const { extractCode, codeRange } = await import('../renderer/src/lib/conversations');
    expect(extractCode('Here:\n```python\ndef f():\n    pass\n```\nmore')).toBe('def f():\n    pass');
    expect(extractCode('Here:\n```python\ndef f(')).toBe('def f(');
    expect(extractCode('just code()')).toBe('just code()');
    const text = 'Intro\n```js\nx()\n```';
    const r = codeRange(text);
    expect(text.slice(r.start, r.end)).toBe('x()');
  });
});
