/**
 * What is typed in the composer, per chat (switching chats keeps each one's draft; a refused send keeps its text), and
 * requests to fill it (the welcome's example prompts).
 */
import { create } from 'zustand';

/** The draft of the chat shown, or of the chat a first send creates (no conversation yet). */
export const draftKey = (conversationId: string | null | undefined): string => conversationId ?? '';

interface ComposerStore {
  drafts: Record<string, string>;
  setDraft(key: string, text: string): void;
}

export const useComposerStore = create<ComposerStore>((set) => ({
  drafts: {},
  setDraft: (key, text) =>
    set((s) => {
      const drafts = { ...s.drafts };
      if (text) drafts[key] = text;
      else delete drafts[key];
      return { drafts };
    }),
}));
