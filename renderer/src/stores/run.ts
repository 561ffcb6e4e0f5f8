/**
 * The running assistant message: one run at a time, belonging to its conversation (other chats say where it is and
 * refuse to start another: lib/run-refusal.ts). `generate:event` events for the active request
 * are buffered and applied once per animation frame (FrameCoalescer) to `canvas`, which the live canvas
 * follows with a store subscription. The streaming message in the conversations store changes only when
 * the run starts, is attached, and ends: the end (done or error) flushes everything and writes the exact
 * final text into the conversation.
 */
import { create } from 'zustand';
import { decodeSettingsProblems, type DecodeSettings } from '../../../common/decoding-settings';
import type { Conversation, Message } from '../../../common/models';
import type { ChatPrompt } from '../../../common/prompt';
import type { ActiveRun as MainRun, Events } from '../../../common/contract';
import { applyEvents, canvasFromRun, emptyCanvas, isFinal, type CanvasState, type RunEvent } from '../lib/canvas';
import { FrameCoalescer, type Scheduler } from '../lib/coalesce';
import { effectiveDecoding, regenerateSeed } from '../lib/chat-settings';
import { appendMessages, continueMessages, promptMessages, truncateBefore, updateMessage } from '../lib/conversations';
import { runRefusal } from '../lib/run-refusal';
import { addVersion } from '../lib/versions';
import { randomId, requestId as newRequestId } from '../lib/ids';
import { generationService } from '../services';
import { useConversationsStore } from './conversations';
import { useEditorStore } from './editor';
import { useEngineStore } from './engine';
import { useSettingsStore } from './settings';
import { isRunning, registerRunProbe } from './engine-runs';
import { useUiStore } from './ui';

export interface ActiveRun {
  requestId: string;
  conversationId: string;
  messageId: string;
  startedAt: number;
  stopping: boolean;
  /** A continued answer: the stopped text it continues (the run's text is appended to it). */
  continues?: string;
}

interface RunStore {
  active: ActiveRun | null;
  canvas: CanvasState | null;
  /** Send a new user message (with the pending attachment) and run. Returns false when it cannot start. */
  send(text: string): Promise<boolean>;
  /**
   * A new answer to the last prompt, with a new seed (and `override` for this run only, e.g. a temperature); the
   * previous answer stays as a version of the message.
   */
  regenerate(conversationId: string, override?: Partial<DecodeSettings>): Promise<boolean>;
  /** Continues the stopped last answer: the model writes on from its text, which the new text is appended to. */
  continueAnswer(conversationId: string, messageId: string): Promise<boolean>;
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

/** Why a run of this chat cannot start now (another run, a comparison, an infill), or null. */
export function chatRunRefusal(conversationId: string | null): string | null {
  const conv = useConversationsStore.getState();
  return runRefusal(
    {
      active: useRunStore.getState().active,
      compareRunning: isRunning('compare'),
      infillRunning: isRunning('infill'),
    },
    conversationId,
    (id) => conv.conversations.find((c) => c.id === id)?.title,
  );
}

/** The settings this chat's run uses (its own, else the app's; then `override`), checked. Throws with the reason. */
function decodingSettings(c: Conversation | undefined, override?: Partial<DecodeSettings>): DecodeSettings {
  const s = useSettingsStore.getState().settings;
  if (!s) throw new Error('settings are not loaded yet (is the engine reachable?)');
  const d = effectiveDecoding(s.decoding, c, override);
  const problem = decodeSettingsProblems(d)[0];
  if (problem) throw new Error(`invalid decoding settings${c?.decoding ? " (this chat's)" : ''}: ${problem.message}`);
  return d;
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
      patch = {
        status: 'error',
        error: canvas.error ?? 'the run failed',
        content: (run.continues ?? '') + canvas.settledText,
      };
    } else {
      const stopped = canvas.stopReason === 'cancelled';
      patch = {
        status: stopped ? 'stopped' : 'done',
        content: (run.continues ?? '') + (canvas.text ?? ''),
        stopReason: canvas.stopReason ?? undefined,
        stats: canvas.stats ?? undefined,
      };
      if (canvas.stats) useEngineStore.getState().setLastStats(canvas.stats);
    }
    conv.mutate(run.conversationId, (c) => updateMessage(c, run.messageId, patch), 'now');
    set({ active: null });
  };

  /** Refuses (with the reason, said) or returns the settings to run with. */
  const preflight = (conversationId: string, override?: Partial<DecodeSettings>): DecodeSettings | null => {
    const refusal = chatRunRefusal(conversationId);
    if (refusal) {
      useUiStore.getState().notify('info', refusal);
      return null;
    }
    try {
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      return decodingSettings(c, override);
    } catch (e) {
      useUiStore.getState().notify('error', (e as Error).message);
      return null;
    }
  };

  /** Sends the prompt for `run` (already the active run); a refused start ends it as an error. */
  const launch = async (run: ActiveRun, prompt: ChatPrompt, decoding: DecodeSettings): Promise<boolean> => {
    resetFrames();
    set({ active: run, canvas: emptyCanvas() });
    try {
      if (prompt.messages.length === 0) throw new Error('nothing to send');
      await generationService.start(run.requestId, prompt, decoding, {
        conversationId: run.conversationId,
        messageId: run.messageId,
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

  const newRun = (conversationId: string, messageId: string, continues?: string): ActiveRun => ({
    requestId: newRequestId(),
    conversationId,
    messageId,
    startedAt: Date.now(),
    stopping: false,
    ...(continues !== undefined ? { continues } : {}),
  });

  /**
   * A new assistant answer after the conversation so far (`user` appended first when given). `previous`: the answer
   * it replaces (regenerate), kept as a version of the new one. Chat answers reach the editor only as reviewed
   * suggestions ("Insert at cursor as suggestion" on a code block).
   */
  const begin = async (
    conversationId: string,
    opts: { user?: Message; previous?: Message; override?: Partial<DecodeSettings> } = {},
  ): Promise<boolean> => {
    const decoding = preflight(conversationId, opts.override);
    if (!decoding) return false;
    const fresh: Message = {
      id: randomId('m'),
      role: 'assistant',
      content: '',
      createdAt: Date.now(),
      status: 'streaming',
    };
    const assistant = opts.previous ? addVersion(opts.previous, fresh) : fresh;
    const previousId = opts.previous?.id;
    const updated = useConversationsStore
      .getState()
      .mutate(
        conversationId,
        (c) =>
          appendMessages(
            previousId ? truncateBefore(c, previousId) : c,
            opts.user ? [opts.user, assistant] : [assistant],
          ),
        'now',
      );
    if (!updated) return false;
    const messages = promptMessages(updated, updated.messages.slice(0, -1));
    return launch(newRun(conversationId, assistant.id), { kind: 'chat', messages }, decoding);
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
        ...(run.prompt.continues !== undefined ? { continues: run.prompt.continues } : {}),
      };
      const canvas = canvasFromRun(run);
      resetFrames();
      set({ active: attached, canvas });
      const conv = useConversationsStore.getState();
      // Streaming again (a dropped connection may have marked it failed here), its text main's.
      const streaming = (m: Message): Message => {
        const { error: _dropped, ...rest } = m;
        void _dropped;
        return { ...rest, status: 'streaming', content: (attached.continues ?? '') + canvas.settledText };
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
      const convStore = useConversationsStore.getState();
      const shown =
        convStore.activeId && convStore.conversations.some((c) => c.id === convStore.activeId)
          ? convStore.activeId
          : null;
      // Refused with the reason (the composer also says it beside the kept text), never swallowed.
      const refusal = chatRunRefusal(shown);
      if (refusal) {
        useUiStore.getState().notify('info', refusal);
        return false;
      }
      const conversationId = shown ?? convStore.create();
      const user: Message = {
        id: randomId('m'),
        role: 'user',
        content: text,
        createdAt: Date.now(),
        ...(attachment ? { attachment } : {}),
      };
      const ok = begin(conversationId, { user });
      editor.clearAttachment();
      return ok;
    },
    regenerate: async (conversationId, override = {}) => {
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      const last = c?.messages[c.messages.length - 1];
      if (!c || !last || last.role !== 'assistant') return false;
      // A new seed each time: with sampling or random remasking the settings' seed would give the same answer again.
      return begin(conversationId, { previous: last, override: { seed: regenerateSeed(), ...override } });
    },
    continueAnswer: async (conversationId, messageId) => {
      const decoding = preflight(conversationId);
      if (!decoding) return false;
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      const messages = c && continueMessages(c, messageId);
      const m = c?.messages.find((x) => x.id === messageId);
      if (!messages || !m) return false;
      useConversationsStore
        .getState()
        .mutate(
          conversationId,
          (x) => updateMessage(x, messageId, { status: 'streaming', stopReason: undefined }),
          'now',
        );
      const run = newRun(conversationId, messageId, m.content);
      return launch(run, { kind: 'chat', messages, continueFinal: true }, decoding);
    },
    editAndResend: async (conversationId, messageId, text) => {
      const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
      const msg = c?.messages.find((m) => m.id === messageId);
      if (!c || !msg || msg.role !== 'user' || !text.trim()) return false;
      if (!preflight(conversationId)) return false;
      useConversationsStore.getState().mutate(conversationId, (x) => truncateBefore(x, messageId), 'none');
      return begin(conversationId, { user: { ...msg, id: randomId('m'), content: text, createdAt: Date.now() } });
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

registerRunProbe('chat', () => useRunStore.getState().active !== null);

/**
 * Whether Escape stops the chat run: only while its chat is shown and no chat settings dialog is open (Escape in
 * another chat stops nothing; in a dialog it closes the dialog).
 */
export function escapeStopsRun(): boolean {
  const run = useRunStore.getState().active;
  const conv = useConversationsStore.getState();
  return run !== null && run.conversationId === conv.activeId && conv.chatSettingsFor === null;
}

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
