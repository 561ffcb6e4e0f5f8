/**
 * The editor toolbar's infill bar, as pure decisions: its progress text, when Infill may run, what the length
 * field takes, and its texts (components/InfillBar.tsx and the files beside it).
 */
import { parseNumber } from './settings';

/** "committed/length" while a run goes; empty otherwise. */
export function infillProgress(
  canvas: { committed: number; tokens: { length: number } } | null,
  phase: 'running' | 'pending' | undefined,
): string {
  return canvas && phase === 'running' ? `${canvas.committed}/${canvas.tokens.length}` : '';
}

/** The middle length a typed value asks for, or null: not a positive number (the field then shows the kept one). */
export function typedMiddleLength(draft: string): number | null {
  const n = parseNumber(draft);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** Infill runs in an editor, with the engine up and able to infill, and not while a chat run goes. */
export const infillRunnable = (s: { editor: boolean; chatRunning: boolean; online: boolean; noFim: boolean }) =>
  s.editor && !s.chatRunning && s.online && !s.noFim;

export const lengthFieldTitle = (block: number) =>
  `Tokens the infill writes (whole blocks of ${block}); default: gen_length from the settings`;

/** The pending suggestion's status: it says when the model wrote nothing. */
export const suggestionLabel = (middle: string | null) => (middle ? 'Suggestion' : 'Suggestion (empty)');

/** A suggestion can be replayed once it is stored as a chat message with its request. */
export const canReplay = (s: { messageId?: string | null; requestId?: string | null }) =>
  !!(s.messageId && s.requestId);
