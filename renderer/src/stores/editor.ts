/** Editor documents (code blocks opened from the chat, scratch buffers), the active one, the selection and the pending attachment. */
import { create } from 'zustand';
import { randomId } from '../lib/ids';

export interface EditorDocument {
  id: string;
  title: string;
  language: string;
  text: string;
}

export interface EditorSelection {
  documentId: string;
  language: string;
  text: string;
}

interface EditorStore {
  documents: EditorDocument[];
  activeId: string | null;
  selection: EditorSelection | null;
  /** Selection attached to the next chat message. */
  attachment: EditorSelection | null;
  /** Send the next message with the active document as its target. */
  generateIntoEditor: boolean;
  open(doc: Omit<EditorDocument, 'id'> & { id?: string }): string;
  close(id: string): void;
  activate(id: string): void;
  setText(id: string, text: string): void;
  setSelection(sel: EditorSelection | null): void;
  attachSelection(): boolean;
  clearAttachment(): void;
  setGenerateIntoEditor(on: boolean): void;
}

const EXT: Record<string, string> = { python: 'py', javascript: 'js', typescript: 'ts', plaintext: 'txt', json: 'json', markdown: 'md', shell: 'sh', bash: 'sh', rust: 'rs', go: 'go', java: 'java', cpp: 'cpp', c: 'c', html: 'html', css: 'css' };

/** Maps a Markdown fence language to a Monaco language id. */
export function monacoLanguage(lang: string): string {
  const l = lang.toLowerCase();
  const alias: Record<string, string> = { py: 'python', python3: 'python', js: 'javascript', jsx: 'javascript', ts: 'typescript', tsx: 'typescript', sh: 'shell', bash: 'shell', zsh: 'shell', md: 'markdown', 'c++': 'cpp', text: 'plaintext', txt: 'plaintext', '': 'plaintext' };
  return alias[l] ?? l;
}

export const useEditorStore = create<EditorStore>((set, get) => ({
  documents: [],
  activeId: null,
  selection: null,
  attachment: null,
  generateIntoEditor: false,
  open: (doc) => {
    const id = doc.id ?? randomId('d');
    const language = monacoLanguage(doc.language);
    const count = get().documents.filter((d) => d.language === language).length + 1;
    const title = doc.title || `snippet-${count}.${EXT[language] ?? 'txt'}`;
    set((s) => ({ documents: [...s.documents.filter((d) => d.id !== id), { id, title, language, text: doc.text }], activeId: id }));
    return id;
  },
  close: (id) =>
    set((s) => {
      const i = s.documents.findIndex((d) => d.id === id);
      const documents = s.documents.filter((d) => d.id !== id);
      const activeId = s.activeId === id ? (documents[Math.min(i, documents.length - 1)]?.id ?? null) : s.activeId;
      return { documents, activeId, selection: s.selection?.documentId === id ? null : s.selection };
    }),
  activate: (activeId) => set({ activeId }),
  setText: (id, text) => set((s) => ({ documents: s.documents.map((d) => (d.id === id ? { ...d, text } : d)) })),
  setSelection: (selection) => set({ selection }),
  attachSelection: () => {
    const sel = get().selection;
    if (!sel || !sel.text.trim()) return false;
    set({ attachment: { ...sel } });
    return true;
  },
  clearAttachment: () => set({ attachment: null }),
  setGenerateIntoEditor: (generateIntoEditor) => set({ generateIntoEditor }),
}));
