/**
 * Conversation operations as pure functions (the zustand store calls these and saves the result).
 */
import type { Conversation, Message } from '../../../common/models';
import { randomId } from './ids';

export const DEFAULT_TITLE = 'New chat';
const TITLE_MAX = 80;

export function newConversation(now = Date.now()): Conversation {
  return { id: randomId('c'), title: DEFAULT_TITLE, createdAt: now, updatedAt: now, messages: [] };
}

/** A title from the first line of a user message. */
export function titleFrom(content: string): string {
  const line =
    content
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0 && !l.startsWith('```')) ?? '';
  const clean = line.replace(/\s+/g, ' ');
  if (!clean) return DEFAULT_TITLE;
  return clean.length > TITLE_MAX ? clean.slice(0, TITLE_MAX - 1) + '…' : clean;
}

export function renameConversation(c: Conversation, title: string, now = Date.now()): Conversation {
  const t = title.trim().slice(0, 500);
  return { ...c, title: t || DEFAULT_TITLE, updatedAt: now };
}

export function appendMessages(c: Conversation, messages: Message[], now = Date.now()): Conversation {
  let title = c.title;
  if (title === DEFAULT_TITLE) {
    const firstUser = [...c.messages, ...messages].find((m) => m.role === 'user');
    if (firstUser) title = titleFrom(firstUser.content);
  }
  return { ...c, title, messages: [...c.messages, ...messages], updatedAt: now };
}

export function updateMessage(c: Conversation, id: string, patch: Partial<Message>, now = Date.now()): Conversation {
  let found = false;
  const messages = c.messages.map((m) => {
    if (m.id !== id) return m;
    found = true;
    return { ...m, ...patch };
  });
  return found ? { ...c, messages, updatedAt: now } : c;
}

/** Keeps the messages before `id` (exclusive) — for edit-and-resend and regenerate. */
export function truncateBefore(c: Conversation, id: string, now = Date.now()): Conversation {
  const i = c.messages.findIndex((m) => m.id === id);
  if (i < 0) return c;
  return { ...c, messages: c.messages.slice(0, i), updatedAt: now };
}

/** Case-insensitive search over titles and message contents; newest first. */
export function searchConversations(list: readonly Conversation[], query: string): Conversation[] {
  const q = query.trim().toLowerCase();
  const sorted = [...list].sort((a, b) => b.updatedAt - a.updatedAt);
  if (!q) return sorted;
  return sorted.filter(
    (c) =>
      c.title.toLowerCase().includes(q) ||
      c.messages.some(
        (m) => m.content.toLowerCase().includes(q) || (m.attachment?.text.toLowerCase().includes(q) ?? false),
      ),
  );
}

/** A fenced code block whose fence is longer than any backtick run inside the text. */
export function fence(text: string, language = ''): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${language}\n${text.replace(/\n$/, '')}\n${f}`;
}

/** A user message's content as the model sees it: the attachment as a fenced block, then the text. */
export function inlineContent(m: Message): string {
  if (!m.attachment) return m.content;
  return `${fence(m.attachment.text, m.attachment.language)}\n\n${m.content}`;
}

/** The messages sent to `generate:start`: the conversation so far, attachments inlined, empty/failed assistant turns left out. */
export function chatMessages(messages: readonly Message[]): { role: Message['role']; content: string }[] {
  return messages
    .filter((m) => !(m.role === 'assistant' && (m.status === 'streaming' || m.content.trim() === '')))
    .map((m) => ({ role: m.role, content: inlineContent(m) }));
}

/**
 * A chat run's messages: the chat's own system prompt first when it has one (else none, and the model's chat template
 * writes its default), then the conversation so far (chatMessages).
 */
export function promptMessages(
  c: Pick<Conversation, 'systemPrompt'>,
  messages: readonly Message[],
): { role: Message['role']; content: string }[] {
  const system = c.systemPrompt?.trim() ? [{ role: 'system' as const, content: c.systemPrompt }] : [];
  return [...system, ...chatMessages(messages)];
}

/** A stopped chat answer, last in its conversation and with text, can be continued. */
export function canContinue(m: Message, isLast: boolean): boolean {
  return isLast && m.role === 'assistant' && m.status === 'stopped' && !m.infill && m.content.trim() !== '';
}

/**
 * The messages that continue the stopped answer `messageId` (the last message): the prompt before it, then the
 * answer's text as an unfinished assistant turn (sent with `continueFinal`: the model writes what follows it).
 * Null when that message cannot be continued.
 */
export function continueMessages(
  c: Conversation,
  messageId: string,
): { role: Message['role']; content: string }[] | null {
  const i = c.messages.findIndex((m) => m.id === messageId);
  const m = c.messages[i];
  if (!m || !canContinue(m, i === c.messages.length - 1)) return null;
  return [...promptMessages(c, c.messages.slice(0, i)), { role: 'assistant', content: m.content }];
}

/** Saved conversations may hold a message that was streaming when the app stopped: mark it stopped. */
export function normalizeLoaded(c: Conversation): Conversation {
  if (!c.messages.some((m) => m.status === 'streaming')) return c;
  return {
    ...c,
    messages: c.messages.map((m) =>
      m.status === 'streaming' ? { ...m, status: 'stopped' as const, stopReason: 'cancelled' as const } : m,
    ),
  };
}

/** Code blocks in Markdown text, in order (for "Open in editor"). */
export function codeBlocks(markdown: string): { language: string; code: string }[] {
  const out: { language: string; code: string }[] = [];
  const re = /^(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(markdown)) !== null) out.push({ language: m[2] || 'plaintext', code: m[3].replace(/\n$/, '') });
  return out;
}

/**
 * The code part of an answer, for writing into an editor: the inside of the first fenced block
 * (also while its closing fence has not arrived yet); the whole text when there is no fence.
 * Returns the slice bounds so live placeholders can be shifted with it.
 */
export function codeRange(text: string): { start: number; end: number } {
  const open = /^(`{3,}|~{3,})[^\n]*\n/m.exec(text);
  if (!open) return { start: 0, end: text.length };
  const start = open.index + open[0].length;
  const closeRe = new RegExp(`^${open[1][0] === '`' ? '`' : '~'}{${open[1].length},}[ \\t]*$`, 'm');
  const rest = text.slice(start);
  const close = closeRe.exec(rest);
  let end = close ? start + close.index : text.length;
  if (end > start && text[end - 1] === '\n') end -= 1;
  return { start, end };
}

export function extractCode(text: string): string {
  const { start, end } = codeRange(text);
  return text.slice(start, end);
}
