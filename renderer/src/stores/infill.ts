/**
 * The infill run and its pending suggestion (one at a time). `start` sends an infill prompt built by
 * the editor glue (editor/infill-view.ts), records the run in the active conversation, and follows
 * its `generate:event` events into a canvas (lib/canvas.ts, one batch per animation frame). A run
 * that finishes becomes a pending suggestion; the glue shows it and calls `resolve` once the user
 * accepted (after the glue made the one undoable edit) or rejected it. No Monaco here.
 */
import { create } from 'zustand';
import type { DecodeParams } from '../../../common/decode-events';
import { traceEvents } from '../../../common/trace';
import type { ActiveRun, Events } from '../../../common/contract';
import type { InfillRecord, Message } from '../../../common/models';
import {
  applyEvents,
  canvasFromRun,
  canvasText,
  emptyCanvas,
  isFinal,
  type CanvasState,
  type RunEvent,
} from '../lib/canvas';
import { FrameCoalescer, type Scheduler } from '../lib/coalesce';
import { appendMessages, newConversation, updateMessage } from '../lib/conversations';
import { randomId, requestId as newRequestId } from '../lib/ids';
import {
  finishedInfillPatch,
  infillDecoding,
  infillMessages,
  normalizeMiddleLength,
  outcomePatch,
  replayPace,
  runResult,
  type TextRange,
} from '../lib/infill';
import { generationService, traceService } from '../services';
import { useConversationsStore } from './conversations';
import { useEngineStore } from './engine';
import { useSettingsStore } from './settings';
import { isRunning, registerRunProbe } from './engine-runs';
import { useUiStore } from './ui';

export interface InfillRequest {
  /** The open document (ActiveEditor.documentKey). */
  documentKey: string;
  /** How the document is named in the record and the prompt: its workspace path, else its key. */
  file: string;
  language: string;
  prefix: string;
  suffix: string;
  /** The cursor (start = end) or the selection being replaced, 1-based. */
  range: TextRange;
}

export interface InfillSession {
  id: string;
  source: 'infill' | 'chat';
  /** The engine request; null for a suggestion that came from the chat. */
  requestId: string | null;
  documentKey: string;
  file: string;
  language: string;
  range: TextRange;
  phase: 'running' | 'pending';
  stopping: boolean;
  /** The middle to review (pending only). */
  middle: string | null;
  conversationId: string | null;
  messageId: string | null;
  record: InfillRecord | null;
  startedAt: number;
}

interface InfillStore {
  session: InfillSession | null;
  canvas: CanvasState | null;
  /** The pending suggestion's decoding being replayed in place (its trace through the live canvas); null otherwise. */
  replay: CanvasState | null;
  /** Replays the pending suggestion's decoding where it will go (from the trace main stored with its message). */
  replayDecoding(): Promise<void>;
  stopReplay(): void;
  /** The middle length the user set (tokens); null: the settings' gen_length. */
  middleLength: number | null;
  /** Starts an infill run. False (with a notice) when it cannot start. */
  start(req: InfillRequest): Promise<boolean>;
  /** Shows `text` (e.g. a chat answer's code block) as a pending suggestion at a place in a document. */
  suggest(s: { documentKey: string; file: string; language: string; range: TextRange; text: string }): boolean;
  /** Stops the running infill; `reason` is told to the user when it was not their Stop. */
  stop(reason?: string): Promise<void>;
  /** The pending suggestion was accepted (the edit is made) or rejected (the document untouched). */
  resolve(outcome: 'accepted' | 'rejected'): void;
  setMiddleLength(n: number | null): void;
  /**
   * Follows an infill run main is running (generate:active), after a reload or from a second window:
   * the canvas from main's progress, then its events; Stop works. The editor draws it when the document
   * it was started in is the active one (editor/infill-view.ts). False when it is not an infill run.
   */
  attach(run: ActiveRun): boolean;
}

const LENGTH_KEY = 'diffcoder.infill.middleLength';

function loadLength(): number | null {
  try {
    const v = Number(globalThis.localStorage?.getItem(LENGTH_KEY));
    return Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

function saveLength(n: number | null): void {
  try {
    if (n === null) globalThis.localStorage?.removeItem(LENGTH_KEY);
    else globalThis.localStorage?.setItem(LENGTH_KEY, String(n));
  } catch {
    /* storage unavailable: the length lasts for this session */
  }
}

/** The middle length a run uses: the user's, else the settings' gen_length, in whole blocks. */
export function effectiveMiddleLength(middleLength: number | null): number {
  const d = useSettingsStore.getState().settings?.decoding;
  const block = d?.blockLength ?? 4;
  return normalizeMiddleLength(middleLength ?? d?.genLength ?? 64, block);
}

const PLACEHOLDER_PARAMS: DecodeParams = {
  steps: 0,
  genLength: 0,
  blockLength: 0,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  eosId: null,
  fusedCommit: true,
};

/** All masks of the middle, before the engine has said anything: painted at once when the command runs. */
export function initialCanvas(genLength: number, blockLength: number): CanvasState {
  const c = applyEvents(emptyCanvas(), [
    {
      type: 'start',
      promptLength: 0,
      genLength,
      canvasLength: genLength,
      blockLength,
      maskId: -1,
      eosId: null,
      provider: 'cpu',
      // Placeholders: this canvas only paints masks; the engine's start event replaces it.
      promptIds: [],
      params: { ...PLACEHOLDER_PARAMS, genLength, steps: genLength, blockLength },
      model: { name: '', dtype: '', vocabSize: 0, eosId: null },
    },
  ]);
  return { ...c, phase: 'waiting', provider: null };
}

const raf: Scheduler = (cb) =>
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => cb()) : setTimeout(cb, 16);
/** Runs `cb` once the next frame is painted (the task after it). */
const afterPaint = (cb: () => void) => raf(() => setTimeout(cb, 0));
let coalescer: FrameCoalescer<RunEvent> | null = null;
/**
 * The started run's messages, written into the conversation once its masks are painted (the chat re-renders then,
 * not before). The conversation is chosen when the run starts (main is told where the run writes): the active one,
 * or a new one created with this id at that frame.
 */
let unrecorded: { sessionId: string; conversationId: string; user: Message; assistant: Message } | null = null;

export const useInfillStore = create<InfillStore>((set, get) => {
  const patchMessage = (s: InfillSession, patch: Parameters<typeof updateMessage>[2]) => {
    if (s.conversationId && s.messageId)
      useConversationsStore.getState().mutate(s.conversationId, (c) => updateMessage(c, s.messageId!, patch), 'now');
  };

  /** Writes the run's two messages into the active conversation (a new one when there is none), once. */
  const record = () => {
    const r = unrecorded;
    if (!r) return;
    unrecorded = null;
    const conv = useConversationsStore.getState();
    const { conversationId } = r;
    if (!conv.conversations.some((c) => c.id === conversationId)) {
      useConversationsStore.setState((st) => ({
        conversations: [{ ...newConversation(), id: conversationId }, ...st.conversations],
        activeId: conversationId,
        query: '',
      }));
    }
    if (
      !useConversationsStore.getState().mutate(conversationId, (c) => appendMessages(c, [r.user, r.assistant]), 'now')
    )
      return;
    set((st) =>
      st.session?.id === r.sessionId ? { session: { ...st.session, conversationId, messageId: r.assistant.id } } : {},
    );
  };

  const finish = (started: InfillSession, canvas: CanvasState) => {
    record();
    const s = get().session?.id === started.id ? get().session! : started;
    const result = runResult(canvas);
    const middle = canvas.text ?? canvasText(canvas);
    if (s.record) patchMessage(s, finishedInfillPatch(s.record, canvas, middle, s.language));
    if (canvas.stats) useEngineStore.getState().setLastStats(canvas.stats);
    if (result === 'pending') {
      set({
        session: { ...s, phase: 'pending', stopping: false, middle, record: s.record ? { ...s.record, middle } : null },
        canvas,
      });
      return;
    }
    if (result === 'error') useUiStore.getState().notify('error', `Infill failed: ${canvas.error ?? 'the run failed'}`);
    set({ session: null, canvas: null });
  };

  const applyBatch = (events: RunEvent[]) => {
    const { session, canvas } = get();
    if (!session || session.phase !== 'running' || !canvas) return;
    const next = applyEvents(canvas, events);
    set({ canvas: next });
    if (isFinal(events[events.length - 1])) finish(session, next);
  };
  coalescer = new FrameCoalescer<RunEvent>(raf, applyBatch);

  let replayTimer: ReturnType<typeof setTimeout> | null = null;
  const stopReplay = () => {
    if (replayTimer !== null) clearTimeout(replayTimer);
    replayTimer = null;
    if (get().replay) set({ replay: null });
  };

  return {
    session: null,
    canvas: null,
    replay: null,
    middleLength: loadLength(),
    stopReplay,
    replayDecoding: async () => {
      const s = get().session;
      if (!s || s.phase !== 'pending' || !s.conversationId || !s.messageId) return;
      stopReplay();
      let trace;
      try {
        trace = (await traceService.get(s.conversationId, s.messageId)).trace;
      } catch (e) {
        useUiStore.getState().notify('error', `Could not read the decoding: ${(e as Error).message}`);
        return;
      }
      if (!trace) {
        useUiStore.getState().notify('info', 'No decoding was recorded for this infill (Settings → Traces).');
        return;
      }
      const events = traceEvents(trace);
      const reducedMotion = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
      const { perFrame } = replayPace(events.length - 1, { durationMs: 3000, frameMs: 33, reducedMotion });
      const frameMs = reducedMotion ? 500 : 33;
      let next = 1;
      const tick = () => {
        replayTimer = null;
        const cur = get();
        // The suggestion was accepted, rejected or replaced: the replay has nowhere to draw.
        if (cur.session?.id !== s.id || !cur.replay) return stopReplay();
        const batch = events.slice(next, next + perFrame);
        next += batch.length;
        set({ replay: applyEvents(cur.replay, batch) });
        // The last frame stays a moment, then the suggestion is shown again.
        replayTimer = setTimeout(next < events.length ? tick : stopReplay, next < events.length ? frameMs : 800);
      };
      set({ replay: applyEvents(emptyCanvas(), events.slice(0, 1)) });
      replayTimer = setTimeout(tick, frameMs);
    },
    start: async (req) => {
      const ui = useUiStore.getState();
      const cur = get().session;
      if (cur?.phase === 'running') {
        ui.notify('info', 'An infill is already running: stop it first (Esc).');
        return false;
      }
      if (isRunning('chat')) {
        ui.notify('info', 'A chat answer is being generated: stop it first.');
        return false;
      }
      if (isRunning('compare')) {
        ui.notify('info', 'A settings comparison is running: stop it first (or wait for it).');
        return false;
      }
      const settings = useSettingsStore.getState().settings;
      if (!settings) {
        ui.notify('error', 'Settings are not loaded yet (is the engine reachable?)');
        return false;
      }
      let decoding;
      try {
        decoding = infillDecoding(settings.decoding, effectiveMiddleLength(get().middleLength));
      } catch (e) {
        ui.notify('error', (e as Error).message);
        return false;
      }
      if (cur?.phase === 'pending') get().resolve('rejected');

      const { user, assistant } = infillMessages(req.file, req.range);
      const session: InfillSession = {
        id: randomId('i'),
        source: 'infill',
        requestId: newRequestId(),
        documentKey: req.documentKey,
        file: req.file,
        language: req.language,
        range: req.range,
        phase: 'running',
        stopping: false,
        middle: null,
        conversationId: null,
        messageId: null,
        record: assistant.infill ?? null,
        startedAt: Date.now(),
      };
      const conv = useConversationsStore.getState();
      const conversationId =
        conv.activeId && conv.conversations.some((c) => c.id === conv.activeId) ? conv.activeId : newConversation().id;
      coalescer!.reset();
      unrecorded = { sessionId: session.id, conversationId, user, assistant };
      set({ session, canvas: initialCanvas(decoding.genLength, decoding.blockLength) });
      afterPaint(record);
      try {
        const prompt = {
          kind: 'infill' as const,
          prefix: req.prefix,
          suffix: req.suffix,
          file: req.file,
          range: req.range,
        };
        await generationService.start(session.requestId!, prompt, decoding, {
          conversationId,
          messageId: assistant.id,
        });
      } catch (e) {
        if (get().session?.id === session.id && get().session?.phase === 'running') {
          coalescer!.reset();
          const canvas = applyEvents(get().canvas ?? emptyCanvas(), [{ type: 'error', message: (e as Error).message }]);
          finish(session, canvas);
        }
        return false;
      }
      return true;
    },
    suggest: (s) => {
      const cur = get().session;
      if (cur?.phase === 'running') {
        useUiStore.getState().notify('info', 'An infill is running: stop it first (Esc).');
        return false;
      }
      if (cur?.phase === 'pending') get().resolve('rejected');
      const session: InfillSession = {
        id: randomId('i'),
        source: 'chat',
        requestId: null,
        documentKey: s.documentKey,
        file: s.file,
        language: s.language,
        range: s.range,
        phase: 'pending',
        stopping: false,
        middle: s.text,
        conversationId: null,
        messageId: null,
        record: null,
        startedAt: Date.now(),
      };
      set({ session, canvas: null });
      return true;
    },
    stop: async (reason) => {
      const s = get().session;
      if (!s || s.phase !== 'running' || s.stopping || !s.requestId) return;
      set({ session: { ...s, stopping: true } });
      if (reason) useUiStore.getState().notify('info', reason);
      try {
        const r = await generationService.stop(s.requestId);
        if (!r.stopped) {
          // main knows no such run: its end is on the way or was lost. Give it a moment, then end it here.
          setTimeout(() => {
            const cur = get().session;
            if (cur?.id === s.id && cur.phase === 'running') {
              coalescer!.reset();
              const c = get().canvas ?? emptyCanvas();
              finish(cur, {
                ...c,
                phase: 'done',
                stopReason: 'cancelled',
                text: canvasText(c),
                blockStart: -1,
                blockEnd: -1,
              });
            }
          }, 2000);
        }
      } catch (e) {
        useUiStore.getState().notify('error', `Stop failed: ${(e as Error).message}`);
        set((st) => (st.session?.id === s.id ? { session: { ...st.session, stopping: false } } : {}));
      }
    },
    resolve: (outcome) => {
      if (get().session?.phase !== 'pending') return;
      record();
      const s = get().session!;
      if (s.record) patchMessage(s, outcomePatch(s.record, outcome));
      stopReplay();
      set({ session: null, canvas: null });
    },
    attach: (run) => {
      if (run.prompt.kind !== 'infill') return false;
      const cur = get().session;
      if (cur?.requestId === run.requestId) return true; // already following it
      // main runs one run at a time: a different one here ended without this page hearing of it.
      if (cur?.phase === 'running') failInfillRun('the engine is running another generation; this one ended');
      else if (cur?.phase === 'pending') get().resolve('rejected');
      const conv = useConversationsStore.getState();
      const message =
        run.conversationId && run.messageId
          ? conv.conversations.find((c) => c.id === run.conversationId)?.messages.find((m) => m.id === run.messageId)
          : undefined;
      const file = run.prompt.file ?? message?.infill?.file ?? '';
      const range = run.prompt.range ??
        message?.infill?.range ?? { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
      const session: InfillSession = {
        id: randomId('i'),
        source: 'infill',
        requestId: run.requestId,
        documentKey: file,
        file,
        language: 'plaintext',
        range,
        phase: 'running',
        stopping: run.stopping,
        middle: null,
        conversationId: message ? run.conversationId : null,
        messageId: message ? run.messageId : null,
        record: message?.infill ?? null,
        startedAt: run.startedAt,
      };
      coalescer!.reset();
      unrecorded = null;
      set({ session, canvas: canvasFromRun(run) });
      return true;
    },
    setMiddleLength: (n) => {
      const v = n === null || !Number.isFinite(n) || n <= 0 ? null : Math.floor(n);
      saveLength(v);
      set({ middleLength: v });
    },
  };
});

registerRunProbe('infill', () => useInfillStore.getState().session?.phase === 'running');

/** Routes `generate:event` events of the running infill into the store. */
export function routeInfillEvent(payload: Events['generate:event']): void {
  const s = useInfillStore.getState().session;
  if (!s || s.phase !== 'running' || payload.requestId !== s.requestId || !coalescer) return;
  coalescer.push(payload.event);
  if (isFinal(payload.event)) coalescer.flush();
}

/** When the carrier drops mid-run the run's events are lost: end it as an error. */
export function failInfillRun(message: string): void {
  const s = useInfillStore.getState().session;
  if (!s || s.phase !== 'running' || !coalescer) return;
  coalescer.push({ type: 'error', message });
  coalescer.flush();
}
