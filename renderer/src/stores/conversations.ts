/**
 * Conversations: the list, the active one, search, export; every change is saved through the
 * service (debounced while a run streams, immediately otherwise).
 */
import { create } from 'zustand';
import type { Conversation, LoadNotice } from '../../../common/models';
import { debounce } from '../lib/coalesce';
import { downloadText } from '../lib/download';
import {
  DEFAULT_TITLE,
  newConversation,
  normalizeLoaded,
  renameConversation,
  searchConversations,
} from '../lib/conversations';
import { conversationToMarkdown, exportFileName } from '../lib/markdown-export';
import { conversationService } from '../services';
import { useUiStore } from './ui';

export type SaveMode = 'now' | 'debounced' | 'none';

interface ConversationsStore {
  conversations: Conversation[];
  activeId: string | null;
  query: string;
  loaded: boolean;
  loadError: string | null;
  notices: LoadNotice[];
  /** The conversation whose chat settings dialog is open (ConversationSettings), or null. */
  chatSettingsFor: string | null;
  openChatSettings(id: string | null): void;
  load(): Promise<void>;
  create(): string;
  select(id: string): void;
  rename(id: string, title: string): void;
  remove(id: string): Promise<void>;
  setQuery(q: string): void;
  /** Applies `fn` to a conversation and saves it. */
  mutate(id: string, fn: (c: Conversation) => Conversation, mode?: SaveMode): Conversation | undefined;
  exportMarkdown(id: string): void;
}

const SAVE_DEBOUNCE_MS = 800;
const savers = new Map<string, ReturnType<typeof debounce<[Conversation]>>>();

/** Empty, untitled conversations are not stored until they hold something (messages, a title or their own settings). */
function worthSaving(c: Conversation): boolean {
  return c.messages.length > 0 || c.title !== DEFAULT_TITLE || c.systemPrompt !== undefined || c.decoding !== undefined;
}

async function saveNow(c: Conversation): Promise<void> {
  if (!worthSaving(c)) return;
  try {
    await conversationService.save(c);
  } catch (e) {
    useUiStore.getState().notify('error', `Could not save "${c.title}": ${(e as Error).message}`);
  }
}

function saver(id: string) {
  let s = savers.get(id);
  if (!s) {
    s = debounce((c: Conversation) => void saveNow(c), SAVE_DEBOUNCE_MS);
    savers.set(id, s);
  }
  return s;
}

export const visibleConversations = (s: Pick<ConversationsStore, 'conversations' | 'query'>) =>
  searchConversations(s.conversations, s.query);

export const useConversationsStore = create<ConversationsStore>((set, get) => ({
  conversations: [],
  activeId: null,
  query: '',
  loaded: false,
  loadError: null,
  notices: [],
  chatSettingsFor: null,
  openChatSettings: (chatSettingsFor) => set({ chatSettingsFor }),
  load: async () => {
    try {
      const r = await conversationService.list();
      const conversations = r.conversations.map(normalizeLoaded);
      const keep = get().conversations.filter((c) => !conversations.some((l) => l.id === c.id));
      const all = [...keep, ...conversations];
      const activeId =
        get().activeId && all.some((c) => c.id === get().activeId)
          ? get().activeId
          : ([...all].sort((a, b) => b.updatedAt - a.updatedAt)[0]?.id ?? null);
      set({ conversations: all, activeId, loaded: true, loadError: null, notices: r.notices });
      // Files main could not read (set aside, or left in a read-only folder): said once per load.
      for (const n of r.notices) useUiStore.getState().notify('error', `Conversation file ${n.file} ${n.message}`);
    } catch (e) {
      set({ loaded: true, loadError: (e as Error).message });
    }
  },
  create: () => {
    const active = get().conversations.find((c) => c.id === get().activeId);
    if (active && active.messages.length === 0) return active.id; // reuse the empty one
    const c = newConversation();
    set((s) => ({ conversations: [c, ...s.conversations], activeId: c.id, query: '' }));
    return c.id;
  },
  select: (activeId) => set({ activeId }),
  rename: (id, title) => {
    get().mutate(id, (c) => renameConversation(c, title));
  },
  remove: async (id) => {
    const c = get().conversations.find((x) => x.id === id);
    if (!c) return;
    savers.get(id)?.cancel();
    savers.delete(id);
    set((s) => {
      const conversations = s.conversations.filter((x) => x.id !== id);
      const activeId =
        s.activeId === id ? ([...conversations].sort((a, b) => b.updatedAt - a.updatedAt)[0]?.id ?? null) : s.activeId;
      return { conversations, activeId };
    });
    if (!worthSaving(c)) return;
    try {
      await conversationService.remove(id);
    } catch (e) {
      useUiStore.getState().notify('error', `Could not delete "${c.title}": ${(e as Error).message}`);
    }
  },
  setQuery: (query) => set({ query }),
  mutate: (id, fn, mode = 'now') => {
    const c = get().conversations.find((x) => x.id === id);
    if (!c) return undefined;
    const next = fn(c);
    if (next === c) return c;
    set((s) => ({ conversations: s.conversations.map((x) => (x.id === id ? next : x)) }));
    if (mode === 'debounced') saver(id).call(next);
    else if (mode === 'now') {
      saver(id).cancel();
      void saveNow(next);
    }
    return next;
  },
  exportMarkdown: (id) => {
    const c = get().conversations.find((x) => x.id === id);
    if (!c) return;
    downloadText(exportFileName(c), conversationToMarkdown(c), 'text/markdown;charset=utf-8');
  },
}));
