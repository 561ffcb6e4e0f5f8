/**
 * The running assistant message: one run at a time. `generate:event` events for the active request
 * are buffered and applied once per animation frame (FrameCoalescer) to `canvas`, which the live canvas
 * follows with a store subscription. The streaming message in the conversations store changes only when
 * the run starts, is attached, and ends: the end (done or error) flushes everything and writes the exact
 * final text into the conversation.
 */
import { create } from 'zustand';
import { decodeSettingsProblems } from '../../../common/decoding-settings';
import type { Message } from '../../../common/models';
import type { ActiveRun as MainRun, Events } from '../../../common/contract';
import { applyEvents, canvasFromRun, emptyCanvas, isFinal, type CanvasState, type RunEvent } from '../lib/canvas';
import { FrameCoalescer, type Scheduler } from '../lib/coalesce';
import { appendMessages, chatMessages, truncateBefore, updateMessage } from '../lib/conversations';
import { randomId, requestId as newRequestId } from '../lib/ids';
import { generationService } from '../services';
import { useConversationsStore } from './conversations';
import { useEditorStore } from './editor';
import { useEngineStore } from './engine';
import { useInfillStore } from './infill';
import { useSettingsStore } from './settings';
import { useTracesStore } from './traces';
import { useUiStore } from './ui';

export interface ActiveRun {
  requestId: string;
  conversationId: string;
  messageId: string;
  startedAt: number;
  stopping: boolean;
}

interface RunStore {
  active: ActiveRun | null;
  canvas: CanvasState | null;
  /** Send a new user message (with the pending attachment) and run. Returns false when it cannot start. */
  send(text: string): Promise<boolean>;
  /** Replace the last assistant message with a new run. */
  regenerate(conversationId: string): Promise<boolean>;
  /** Edit a user message, drop everything after it, and run again. */
  editAndResend(conversationId: string, messageId: string, text: string): Promise<boolean>;
  stop(): Promise<void>;
  /**
   * Follows a chat run main is running (generate:active): after a reload, a reconnect, or from a second
   * window. Its canvas is redrawn from main's progress and its next events apply as usual; Stop works.
   * `select` shows its conversation. False when it is not a chat run with a conversation to write.
   */
  attach(run: MainRun, opts?: { select?: boolean }): boolean;
}

/**
 * The canvas is drawn at most every MIN_FRAME_MS, on an animation frame. A frame of a 1024-position canvas
 * costs the browser several ms of CPU (style, layout, paint, commit, raster) whatever changed, CPU the
 * engine needs on a small machine (npm run bench:ui); 20 frames a second still shows every block fill in.
 */
const MIN_FRAME_MS = 50;
let lastFrame = -Infinity;
const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());
const onAnimationFrame = (cb: () => void) =>
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => cb()) : setTimeout(cb, 16);
const raf: Scheduler = (cb) => {
  const draw = () => {
    lastFrame = now();
    cb();
  };
  const wait = lastFrame + MIN_FRAME_MS - now();
  if (wait > 1) setTimeout(() => onAnimationFrame(draw), wait);
  else onAnimationFrame(draw);
};
/** A new run's first events are drawn on the next frame. */
const resetFrames = () => {
  coalescer!.reset();
  lastFrame = -Infinity;
};

let coalescer: FrameCoalescer<RunEvent> | null = null;

function decodingSettings() {
  const s = useSettingsStore.getState().settings;
  if (!s) throw new Error('settings are not loaded yet (is the engine reachable?)');
  const problem = decodeSettingsProblems(s.decoding)[0];
  if (problem) throw new Error(`invalid decoding settings: ${problem.message}`);
  return s.decoding;
}

export const useRunStore = create<RunStore>((set, get) => {
  const applyBatch = (events: RunEvent[]) => {
    const { active, canvas } = get();
    if (!active || !canvas) return;
    const next = applyEvents(canvas, events);
    set({ canvas: next });
    // The conversation is not touched while tokens stream (that re-rendered the sidebar and every
    // conversation subscriber each frame): the canvas shows the text, main saves the partial answer
    // itself (main/ipc/run-keeper.ts), and the exact final text is written once, at the end.
    if (isFinal(events[events.length - 1])) finish(active, next);
  };

  coalescer = new FrameCoalescer<RunEvent>(raf, applyBatch);

  const finish = (run: ActiveRun, canvas: CanvasState) => {
    const conv = useConversationsStore.getState();
    let patch: Partial<Message>;
    if (canvas.phase === 'error') {
      patch = { status: 'error', error: canvas.error ?? 'the run failed', content: canvas.settledText };
    } else {
      const stopped = canvas.stopReason === 'cancelled';
      patch = {
        status: stopped ? 'stopped' : 'done',
        content: canvas.text ?? '',
        stopReason: canvas.stopReason ?? undefined,
        stats: canvas.stats ?? undefined,
      };
      if (canvas.stats) useEngineStore.getState().setLastStats(canvas.stats);
    }
    conv.mutate(run.conversationId, (c) => updateMessage(c, run.messageId, patch), 'now');
    set({ active: null });
  };

  // Chat answers reach the editor only as reviewed suggestions ("Insert at cursor as suggestion" on a code block).
  const begin = async (conversationId: string, userMessage: Message | null): Promise<boolean> => {
    if (get().active) {
      useUiStore.getState().notify('info', 'A generation is already running: stop it first.');
      return false;
    }
    // The engine runs one generation at a time: a send during a comparison run is refused here, with the reason.
    if (useTracesStore.getState().compare?.phase === 'running') {
      useUiStore.getState().notify('info', 'A settings comparison is running: stop it first (or wait for it).');
      return false;
    }
    if (useInfillStore.getState().session?.phase === 'running') {
      useUiStore.getState().notify('info', 'An infill is running in the editor: stop it first (Esc).');
      return false;
    }
    let decoding;
    try {
      decoding = decodingSettings();
    } catch (e) {
      useUiStore.getState().notify('error', (e as Error).message);
      return false;
    }
    const convStore = useConversationsStore.getState();
    const assistant: Message = {
      id: randomId('m'),
      role: 'assistant',
      content: '',
      createdAt: Date.now(),
      status: 'streaming',
    };
    const updated = convStore.mutate(
      conversationId,
      (c) => appendMessages(c, userMessage ? [userMessage, assistant] : [assistant]),
      'now',
    );
    if (!updated) return false;
    const messages = chatMessages(updated.messages.slice(0, -1));
    const run: ActiveRun = {
      requestId: newRequestId(),
      conversationId,
      messageId: assistant.id,
      startedAt: Date.now(),
      stopping: false,
    };
    resetFrames();
    set({ active: run, canvas: emptyCanvas() });
    try {
      if (messages.length === 0) throw new Error('nothing to send');
      await generationService.start(run.requestId, { kind: 'chat', messages }, decoding, {
        conversationId,
        messageId: assistant.id,
      });
    } catch (e) {
      if (get().active?.requestId === run.requestId) {
        coalescer!.reset();
        const canvas = applyEvents(get().canvas ?? emptyCanvas(), [{ type: 'error', message: (e as Error).message }]);
        set({ canvas });
        finish(run, canvas);
      }
      return false;
    }
    return true;
  };

  return {
    active: null,
    canvas: null,
    attach: (run, opts = {}) => {
      if (run.prompt.kind !== 'chat' || !run.conversationId || !run.messageId) return false;
      const cur = get().active;
      if (cur?.requestId === run.requestId) return true; // already following it
      // main runs one run at a time: a different one here ended without this page hearing of it.
      if (cur) failActiveRun('the engine is running another generation; this one ended');
      const attached: ActiveRun = {
        requestId: run.requestId,
        conversationId: run.conversationId,
        messageId: run.messageId,
        startedAt: run.startedAt,
        stopping: run.stopping,
      };
      const canvas = canvasFromRun(run);
      resetFrames();
      set({ active: attached, canvas });
      const conv = useConversationsStore.getState();
      // Streaming again (a dropped connection may have marked it failed here), its text main's.
      const streaming = (m: Message): Message => {
        const { error: _dropped, ...rest } = m;
        void _dropped;
        return { ...rest, status: 'streaming', content: canvas.settledText };
      };
      conv.mutate(
        run.conversationId,
        (c) => ({ ...c, messages: c.messages.map((m) => (m.id === attached.messageId ? streaming(m) : m)) }),
        'none',
      );
      if (opts.select && conv.conversations.some((c) => c.id === run.conversationId)) conv.select(run.conversationId);
      return true;
    },
    send: async (text) => {
      const editor = useEditorStore.getState();
      const attachment = editor.attachment ?? undefined;
      if (!text.trim() && !attachment) return false;
      if (get().active) return false;
      const convStore = useConversationsStore.getState();
      const conversationId =
        convStore.activeId && convStore.conversations.some((c) => c.id === convStore.activeId)
          ? convStore.activeId
          : convStore.create();
      const user: Message = {
        id: randomId('m'),
        role: 'user',
        content: text,
        createdAt: Date.now(),
        ...(attachment ? { attachment } : {}),
      };
      const ok = begin(conversationId, user);
      editor.clearAttachment();
      return ok;
    },
    regenerate: async (conversationId) => {
      if (get().active) return false;
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      const last = c?.messages[c.messages.length - 1];
      if (!c || !last || last.role !== 'assistant') return false;
      useConversationsStore.getState().mutate(conversationId, (x) => truncateBefore(x, last.id), 'none');
      return begin(conversationId, null);
    },
    editAndResend: async (conversationId, messageId, text) => {
      if (get().active) return false;
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      const msg = c?.messages.find((m) => m.id === messageId);
      if (!c || !msg || msg.role !== 'user' || !text.trim()) return false;
      useConversationsStore.getState().mutate(conversationId, (x) => truncateBefore(x, messageId), 'none');
      return begin(conversationId, { ...msg, id: randomId('m'), content: text, createdAt: Date.now() });
    },
    stop: async () => {
      const run = get().active;
      if (!run || run.stopping) return;
      set({ active: { ...run, stopping: true } });
      try {
        const r = await generationService.stop(run.requestId);
        if (!r.stopped) {
          // main knows no such run: its end is on the way or was lost. Give it a moment, then end it here.
          setTimeout(() => {
            if (get().active?.requestId === run.requestId) {
              coalescer!.push({ type: 'error', message: 'the engine no longer knows this run (it was stopped)' });
              coalescer!.flush();
            }
          }, 2000);
        }
      } catch (e) {
        useUiStore.getState().notify('error', `Stop failed: ${(e as Error).message}`);
        set((s) => (s.active?.requestId === run.requestId ? { active: { ...run, stopping: false } } : {}));
      }
    },
  };
});

/** Routes `generate:event` events of the active request into the run store. */
export function routeGenerateEvent(payload: Events['generate:event']): void {
  const run = useRunStore.getState().active;
  if (!run || payload.requestId !== run.requestId || !coalescer) return;
  coalescer.push(payload.event);
  if (isFinal(payload.event)) coalescer.flush();
}

/** When the carrier drops mid-run, the run's events are lost: end it as an error, keeping the partial text. */
export function failActiveRun(message: string): void {
  const { active } = useRunStore.getState();
  if (!active || !coalescer) return;
  coalescer.push({ type: 'error', message });
  coalescer.flush();
}
