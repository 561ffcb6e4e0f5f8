/**
 * The message box's decisions, pure: which chat it writes to, what a key does, when a send may go, and its texts
 * (components/Composer.tsx).
 */

/** The chat shown, when it exists (a first send creates one). */
export const shownConversation = (s: { activeId: string | null; conversations: { id: string }[] }): string | null =>
  s.activeId && s.conversations.some((c) => c.id === s.activeId) ? s.activeId : null;

export interface ComposerKeyEvent {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** An IME composition is under way: its Enter picks a candidate, it does not send. */
  isComposing: boolean;
}

/**
 * What a key in the message box does: Escape stops the run of the chat shown (only there: in another chat it stops
 * nothing), Enter or Ctrl/Cmd+Enter sends, Shift+Enter is left to the field (a newline). null: not ours.
 */
export function composerKey(e: ComposerKeyEvent, place: 'here' | 'elsewhere' | 'none'): 'stop' | 'send' | null {
  if (e.key === 'Escape') return place === 'here' ? 'stop' : null;
  if (e.key === 'Enter' && !e.isComposing && (!e.shiftKey || e.ctrlKey || e.metaKey)) return 'send';
  return null;
}

/** A send needs the engine and something to send: text or an attached selection. */
export const canSend = (online: boolean, text: string, attached: boolean): boolean =>
  online && (!!text.trim() || attached);

/** Beside the kept text when a send is refused. */
export const refusedText = (refusal: string) => `Not sent. ${refusal} Your message is kept.`;

export const composerPlaceholder = (online: boolean) =>
  online ? 'Ask for code…  (Enter to send, Shift+Enter for a newline)' : 'Waiting for the engine…';

/** How many lines an attached selection holds (its chip says). */
export const lineCount = (text: string) => text.split('\n').length;
