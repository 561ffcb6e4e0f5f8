/**
 * Whether a chat can start a run now, and if not why, in words. The engine runs one generation at a time, and a
 * chat run belongs to its conversation: another chat says where the run is instead of offering its Stop, and a send
 * there is refused with this message (the composer keeps the text), never swallowed.
 */
export interface RunsNow {
  /** The chat run going on, by conversation. */
  active: { conversationId: string } | null;
  compareRunning: boolean;
  infillRunning: boolean;
}

export function runRefusal(
  s: RunsNow,
  conversationId: string | null,
  titleOf: (id: string) => string | undefined,
): string | null {
  if (s.active) {
    if (s.active.conversationId === conversationId)
      return 'A generation is already running in this chat: stop it first.';
    return `A run is in progress in “${titleOf(s.active.conversationId) ?? 'another chat'}”: one run at a time, so wait for it to finish or stop it there.`;
  }
  if (s.compareRunning) return 'A settings comparison is running: stop it first (or wait for it).';
  if (s.infillRunning) return 'An infill is running in the editor: stop it first (Esc).';
  return null;
}

/** Where the chat run is, seen from the chat shown: here, in another chat, or nowhere. */
export function runPlace(
  active: { conversationId: string } | null,
  shownId: string | null,
): 'here' | 'elsewhere' | 'none' {
  if (!active) return 'none';
  return active.conversationId === shownId ? 'here' : 'elsewhere';
}
