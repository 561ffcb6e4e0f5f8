/**
 * Decoding traces in the renderer: each message's trace (fetched from main when its decoding is first shown,
 * then cached), which messages show their decoding, a trace opened from a file, and the side-by-side session
 * (a second run of an answer's prompt with other settings, recorded here from its generate:event stream and
 * written nowhere).
 */
import { create } from 'zustand';
import type { Events } from '../../../common/contract';
import { parseTraceText, TraceRecorder, type Trace } from '../../../common/trace';
import { compareChoices, promptBefore, type CompareChoiceId } from '../lib/compare';
import { requestId as newRequestId } from '../lib/ids';
import { traceFileName, traceFileText } from '../lib/replay';
import { bridge, traceService } from '../services';
import { useConversationsStore } from './conversations';
import { isRunning, registerRunProbe } from './engine-runs';
import { useSettingsStore } from './settings';
import { useUiStore } from './ui';
import { downloadText } from '../lib/download';

export type TraceEntry =
  { status: 'loading' } | { status: 'ready'; trace: Trace } | { status: 'none' } | { status: 'error'; error: string };

export interface CompareSession {
  requestId: string;
  title: string;
  base: Trace;
  /** The second settings, as chosen ("Fast", ...). */
  label: string;
  phase: 'running' | 'done' | 'error';
  stopping: boolean;
  other: Trace | null;
  error: string | null;
  /** Positions committed so far by the comparison run. */
  committed: number;
  genLength: number;
}

interface TracesStore {
  byMessage: Record<string, TraceEntry>;
  /** Messages showing their decoding instead of the answer. */
  decoding: Record<string, boolean>;
  /** A trace opened from a file. */
  opened: { trace: Trace; name: string } | null;
  compare: CompareSession | null;
  showDecoding(messageId: string, on: boolean): void;
  /** Fetches a message's trace unless it is cached (a missing one is asked for again). */
  load(conversationId: string, messageId: string): Promise<void>;
  openFile(file: File): Promise<boolean>;
  closeOpened(): void;
  startCompare(conversationId: string, messageId: string, base: Trace, choice: CompareChoiceId): Promise<boolean>;
  stopCompare(): Promise<void>;
  closeCompare(): void;
}

let recorder: TraceRecorder | null = null;
let committedSoFar = 0;
let progressQueued = false;

/** Downloads a trace as `<title>-trace.json`. */
export function exportTrace(trace: Trace, title: string): void {
  downloadText(traceFileName(title), traceFileText(trace), 'application/json');
}

export const useTracesStore = create<TracesStore>((set, get) => ({
  byMessage: {},
  decoding: {},
  opened: null,
  compare: null,
  showDecoding: (messageId, on) => set((s) => ({ decoding: { ...s.decoding, [messageId]: on } })),
  load: async (conversationId, messageId) => {
    const cur = get().byMessage[messageId];
    if (cur && (cur.status === 'ready' || cur.status === 'loading')) return;
    const put = (e: TraceEntry) => set((s) => ({ byMessage: { ...s.byMessage, [messageId]: e } }));
    put({ status: 'loading' });
    try {
      const { trace } = await traceService.get(conversationId, messageId);
      put(trace ? { status: 'ready', trace } : { status: 'none' });
    } catch (e) {
      put({ status: 'error', error: (e as Error).message });
    }
  },
  openFile: async (file) => {
    const notify = useUiStore.getState().notify;
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      notify('error', `Could not read ${file.name}: ${(e as Error).message}`);
      return false;
    }
    const r = parseTraceText(text);
    if (!r.ok) {
      notify('error', `${file.name} is not a trace this app can replay: ${r.error}`);
      return false;
    }
    set({ opened: { trace: r.trace, name: file.name.replace(/(-trace)?\.json$/i, '') || file.name } });
    return true;
  },
  closeOpened: () => set({ opened: null }),
  startCompare: async (conversationId, messageId, base, choice) => {
    const notify = useUiStore.getState().notify;
    if (isRunning('chat') || isRunning('infill')) {
      notify('info', 'A generation is running: the engine runs one at a time. Compare once it has finished.');
      return false;
    }
    if (get().compare?.phase === 'running') {
      notify('info', 'A comparison is already running.');
      return false;
    }
    const conv = useConversationsStore.getState().conversations.find((c) => c.id === conversationId);
    const prompt = conv ? promptBefore(conv.messages, messageId) : null;
    if (!conv || !prompt) {
      notify('error', 'Only a chat answer can be compared: its prompt is the conversation before it.');
      return false;
    }
    const c = compareChoices(base, useSettingsStore.getState().settings?.decoding ?? null).find((x) => x.id === choice);
    if (!c || c.problem) {
      notify('error', `These settings cannot run: ${c?.problem?.message ?? 'unknown choice'}`);
      return false;
    }
    const requestId = newRequestId();
    recorder = new TraceRecorder();
    committedSoFar = 0;
    set({
      compare: {
        requestId,
        title: conv.title,
        base,
        label: c.label,
        phase: 'running',
        stopping: false,
        other: null,
        error: null,
        committed: 0,
        genLength: c.settings.genLength,
      },
    });
    try {
      // No conversation or message: main keeps nothing of this run, and nothing is written to the conversation.
      await bridge().invoke('generate:start', { requestId, prompt, settings: c.settings });
    } catch (e) {
      endCompare(requestId, { type: 'error', message: (e as Error).message });
      return false;
    }
    return true;
  },
  stopCompare: async () => {
    const c = get().compare;
    if (!c || c.phase !== 'running' || c.stopping) return;
    set({ compare: { ...c, stopping: true } });
    try {
      const r = await bridge().invoke('generate:stop', { requestId: c.requestId });
      if (!r.stopped) endCompare(c.requestId, { type: 'error', message: 'the engine no longer knows this run' });
    } catch (e) {
      useUiStore.getState().notify('error', `Stop failed: ${(e as Error).message}`);
    }
  },
  closeCompare: () => {
    void get().stopCompare();
    set({ compare: null });
  },
}));

registerRunProbe('compare', () => useTracesStore.getState().compare?.phase === 'running');

function endCompare(requestId: string, ev: { type: 'error'; message: string } | { type: 'done' }): void {
  const c = useTracesStore.getState().compare;
  if (!c || c.requestId !== requestId || c.phase !== 'running') return;
  const other = ev.type === 'done' ? (recorder?.trace() ?? null) : null;
  recorder = null;
  const error = ev.type === 'error' ? ev.message : other ? null : 'the run left no trace';
  useTracesStore.setState({ compare: { ...c, phase: error ? 'error' : 'done', other, error, stopping: false } });
}

/** Routes `generate:event` events of the comparison run into its recorder (other runs are left alone). */
export function routeCompareEvent(payload: Events['generate:event']): void {
  const c = useTracesStore.getState().compare;
  if (!c || payload.requestId !== c.requestId || c.phase !== 'running' || !recorder) return;
  const ev = payload.event;
  recorder.add(ev);
  if (ev.type === 'step') {
    committedSoFar += ev.committed.length; // shown once per frame
    if (!progressQueued) {
      progressQueued = true;
      requestAnimationFrame(() => {
        progressQueued = false;
        const now = useTracesStore.getState().compare;
        if (now?.requestId === c.requestId && now.phase === 'running')
          useTracesStore.setState({ compare: { ...now, committed: committedSoFar } });
      });
    }
  } else if (ev.type === 'done' || ev.type === 'error') {
    endCompare(c.requestId, ev.type === 'done' ? { type: 'done' } : ev);
  }
}

/** The carrier dropped: the comparison's events are lost. */
export function failCompareRun(message: string): void {
  const c = useTracesStore.getState().compare;
  if (c) endCompare(c.requestId, { type: 'error', message });
}
