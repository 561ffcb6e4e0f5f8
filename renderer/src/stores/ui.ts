/** Small UI state shared across panes: dialogs, notices, focus requests. */
import { create } from 'zustand';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

interface UiStore {
  settingsOpen: boolean;
  notices: Notice[];
  /** Bumped to ask the search box to take focus. */
  focusSearch: number;
  focusComposer: number;
  openSettings(open: boolean): void;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
  requestSearchFocus(): void;
  requestComposerFocus(): void;
}

let nextNotice = 1;

export const useUiStore = create<UiStore>((set) => ({
  settingsOpen: false,
  notices: [],
  focusSearch: 0,
  focusComposer: 0,
  openSettings: (settingsOpen) => set({ settingsOpen }),
  notify: (kind, text) => {
    const id = nextNotice++;
    set((s) => ({ notices: [...s.notices.slice(-3), { id, kind, text }] }));
    if (kind === 'info') setTimeout(() => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })), 4000);
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  requestSearchFocus: () => set((s) => ({ focusSearch: s.focusSearch + 1 })),
  requestComposerFocus: () => set((s) => ({ focusComposer: s.focusComposer + 1 })),
}));
