/** What the polite live region (components/LiveAnnouncer.tsx) says next: the last few announcements, newest last. */
import { create } from 'zustand';

export interface Announcement {
  id: number;
  text: string;
}

interface AnnouncerStore {
  items: Announcement[];
  announce(text: string): void;
}

let nextId = 1;

export const useAnnouncerStore = create<AnnouncerStore>((set) => ({
  items: [],
  // Each announcement is a new node (read as an addition, even when the text repeats); three are kept.
  announce: (text) => text && set((s) => ({ items: [...s.items.slice(-2), { id: nextId++, text }] })),
}));

export const announce = (text: string) => useAnnouncerStore.getState().announce(text);
