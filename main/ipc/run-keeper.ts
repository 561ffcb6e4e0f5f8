/**
 * Main's record of the running run, so it outlives the page that started it: a reloaded page (or a
 * second window) asks generate:active for its progress and follows its generate:event stream (which
 * goes to every client); it can stop it. While the run streams main is the writer of its answer: it
 * saves the partial text into the conversation itself at least every PARTIAL_SAVE_MS, and a page's
 * conversations:save of that conversation gets main's newer copy of the streaming message, so an
 * older renderer copy never clobbers it. A run with no client connected for the grace period is
 * stopped (its partial answer saved as stopped). Main also records the run's decoding trace from the same
 * events (TraceRecorder) and stores it with its message when the run ends.
 */
import type { ActiveRun, EventChannel, Events } from '../../common/contract.js';
import type { CommittedToken } from '../../common/decode-events.js';
import type { Conversation, Message } from '../../common/models.js';
import type { PromptSpec } from '../../common/prompt.js';
import { TraceRecorder } from '../../common/trace.js';
import type { EngineHost, RunEvent } from '../engine-host/engine-host.js';
import type { DecodeParams } from '../engine/params.js';
import type { ConversationStore } from '../persistence/conversation-store.js';
import type { TraceStore } from '../persistence/trace-store.js';

/** A run with no client connected this long is stopped. */
export const DEFAULT_RUN_GRACE_MS = 30_000;
/** Overrides the grace period (milliseconds), e.g. for tests. */
export const RUN_GRACE_ENV = 'DIFFCODER_RUN_GRACE_MS';
/** Main saves the streaming answer at least this often (when it changed). */
export const PARTIAL_SAVE_MS = 2_000;

export interface RunKeeperOptions {
  host: Pick<EngineHost, 'generate' | 'stop'>;
  /** Absent (tests with a bare dispatcher): nothing is saved. */
  conversations?: Pick<ConversationStore, 'get' | 'save'>;
  /** Where a run's trace is stored when it ends (runs with a conversation and message only); absent: none. */
  traces?: Pick<TraceStore, 'save'>;
  /**
   * The user's trace settings, read once as a run starts: whether to record its trace (absent: yes) and whether the
   * trace keeps each commit's top candidates (absent: no).
   */
  traceSettings?: () => { record: boolean; candidates: boolean };
  broadcast<E extends EventChannel>(channel: E, payload: Events[E]): void;
  /** Clients connected now; undefined where the transport cannot tell (then no run is stopped for want of one). */
  clients?: () => number | undefined;
  graceMs?: number;
  saveEveryMs?: number;
  log?: (message: string) => void;
}

interface Kept {
  info: ActiveRun;
  /** Committed tokens by canvas position. */
  tokens: Map<number, CommittedToken>;
  /** Main's copy of the run's conversation (null until read or when it was deleted). */
  conversation: Conversation | null;
  deleted: boolean;
  /** The text last written into the file (null: nothing written yet). */
  savedText: string | null;
  noClientSince: number | null;
  /** Fed every event; null when no trace is kept for this run. */
  recorder: TraceRecorder | null;
  timers: ReturnType<typeof setInterval>[];
}

export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[RUN_GRACE_ENV]);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_RUN_GRACE_MS;
}

export class RunKeeper {
  private run: Kept | null = null;
  /** The conversation saved last (the one a run is about to start on, nearly always): spares reading the folder. */
  private recent: Conversation | null = null;
  private readonly graceMs: number;
  private readonly saveEveryMs: number;
  private readonly log: (m: string) => void;

  constructor(private readonly o: RunKeeperOptions) {
    this.graceMs = o.graceMs ?? DEFAULT_RUN_GRACE_MS;
    this.saveEveryMs = o.saveEveryMs ?? PARTIAL_SAVE_MS;
    this.log = o.log ?? ((m) => console.error(m));
  }

  /** Starts a run through the host (which throws when it cannot) and keeps its progress. */
  start(req: {
    requestId: string;
    prompt: PromptSpec;
    params: Partial<DecodeParams>;
    conversationId?: string;
    messageId?: string;
  }): Promise<void> {
    const info: ActiveRun = {
      requestId: req.requestId,
      conversationId: req.conversationId ?? null,
      messageId: req.messageId ?? null,
      prompt:
        req.prompt.kind === 'infill'
          ? { kind: 'infill', file: req.prompt.file ?? null, range: req.prompt.range ?? null }
          : req.prompt.continueFinal
            ? // A continued answer: its message keeps the stopped text and the run's text is appended to it.
              { kind: 'chat', continues: req.prompt.messages[req.prompt.messages.length - 1].content }
            : { kind: 'chat' },
      startedAt: Date.now(),
      stopping: false,
      start: null,
      committed: [],
      text: '',
      step: null,
    };
    // Only a run written into a message keeps a trace: the others do not read the settings at all.
    const stored = !!(info.conversationId && info.messageId && this.o.traces);
    const traces = stored ? this.traceSettings() : { record: false, candidates: false };
    const kept: Kept = {
      info,
      tokens: new Map(),
      conversation: null,
      deleted: false,
      savedText: null,
      noClientSince: null,
      recorder: traces.record ? new TraceRecorder() : null,
      timers: [],
    };
    const candidates = kept.recorder !== null && traces.candidates;
    const done = this.o.host.generate(req.requestId, req.prompt, req.params, (ev) => this.onEvent(kept, ev), {
      candidates,
    });
    this.run = kept;
    if (info.conversationId && info.messageId && this.o.conversations)
      kept.timers.push(setInterval(() => this.savePartial(kept), this.saveEveryMs));
    if (this.o.clients)
      kept.timers.push(setInterval(() => this.checkClients(kept), Math.max(10, Math.min(1000, this.graceMs / 4))));
    for (const t of kept.timers) t.unref?.();
    return done;
  }

  stop(requestId: string): boolean {
    const stopped = this.o.host.stop(requestId);
    if (stopped && this.run?.info.requestId === requestId) this.run.info.stopping = true;
    return stopped;
  }

  /** The running run's progress (a copy), or null. */
  active(): ActiveRun | null {
    const k = this.run;
    if (!k) return null;
    return {
      ...k.info,
      committed: [...k.tokens.values()].sort((a, b) => a.position - b.position),
      step: k.info.step && { ...k.info.step },
    };
  }

  /**
   * A page saves a conversation: while the run streams into it, main's copy of the streaming message
   * wins (its text is newer than any page's). Returns what to write.
   */
  mergeSave(c: Conversation): Conversation {
    const k = this.run;
    let out = c;
    if (k && !k.deleted && c.id === k.info.conversationId && k.info.messageId) {
      const id = k.info.messageId;
      if (c.messages.some((m) => m.id === id))
        out = { ...c, messages: c.messages.map((m) => (m.id === id ? this.streaming(k, m) : m)) };
      k.conversation = out;
      k.savedText = k.info.text;
    }
    this.recent = out;
    return out;
  }

  /** The conversation was deleted: the run has nowhere to write, so it is stopped. */
  deleted(conversationId: string): void {
    if (this.recent?.id === conversationId) this.recent = null;
    const k = this.run;
    if (!k || k.info.conversationId !== conversationId) return;
    k.deleted = true;
    k.conversation = null;
    this.stop(k.info.requestId);
  }

  private onEvent(k: Kept, ev: RunEvent): void {
    const info = k.info;
    k.recorder?.add(ev);
    if (ev.type === 'start') info.start = ev;
    else if (ev.type === 'step') {
      for (const c of ev.committed) k.tokens.set(c.position, c);
      info.text += ev.textDelta;
      info.step = {
        blockIndex: ev.blockIndex,
        step: ev.step,
        blockStart: ev.blockStart,
        blockEnd: ev.blockEnd,
        forwards: ev.forwards,
        elapsedMs: ev.elapsedMs,
        steps: (info.step?.steps ?? 0) + 1,
      };
    } else {
      // The end: written before the event goes out, so a page's final save (with what only it knows) lands after.
      this.end(k);
      this.saveFinal(k, ev);
      // Stored before the done event goes out too, so a page can ask for it (traces:get) as soon as it hears.
      this.saveTrace(k);
    }
    this.o.broadcast('generate:event', { requestId: info.requestId, event: ev });
  }

  private traceSettings(): { record: boolean; candidates: boolean } {
    try {
      return this.o.traceSettings?.() ?? { record: true, candidates: false };
    } catch (e) {
      this.log(`could not read the trace settings (recording this run's trace): ${(e as Error).message}`);
      return { record: true, candidates: false };
    }
  }

  /** The finished run's trace, with its message; a failed run (error) has none. Never throws into the run. */
  private saveTrace(k: Kept): void {
    const trace = k.recorder?.trace();
    k.recorder = null;
    const { conversationId, messageId } = k.info;
    if (!trace || k.deleted || !conversationId || !messageId || !this.o.traces) return;
    try {
      this.o.traces.save(conversationId, messageId, trace);
    } catch (e) {
      this.log(`run ${k.info.requestId}: could not store its trace: ${(e as Error).message}`);
    }
  }

  private end(k: Kept): void {
    for (const t of k.timers) clearInterval(t);
    k.timers = [];
    if (this.run === k) this.run = null;
  }

  private checkClients(k: Kept): void {
    const n = this.o.clients?.();
    if (n === undefined || n > 0) {
      k.noClientSince = null;
      return;
    }
    const now = Date.now();
    k.noClientSince ??= now;
    if (now - k.noClientSince < this.graceMs || k.info.stopping) return;
    this.log(
      `run ${k.info.requestId}: no client connected for ${this.graceMs / 1000} s; stopping it (its partial answer is kept)`,
    );
    this.stop(k.info.requestId);
  }

  /** The streaming message with main's progress. */
  private streaming(k: Kept, m: Message): Message {
    const text = k.info.text;
    if (k.info.prompt.kind === 'infill')
      return {
        ...m,
        status: 'streaming',
        content: text ? fence(text) : '',
        ...(m.infill ? { infill: { ...m.infill, middle: text } } : {}),
      };
    return { ...m, status: 'streaming', content: continued(k) + text };
  }

  /** Main's copy of the run's conversation: the page's last save, else the file. */
  private conversation(k: Kept): Conversation | null {
    if (k.deleted || !this.o.conversations) return null;
    if (k.conversation) return k.conversation;
    const id = k.info.conversationId;
    if (this.recent?.id === id) return (k.conversation = this.recent);
    // One file, not a scan of every conversation: this runs again every 2 s until the message is there.
    return (k.conversation = id ? this.o.conversations.get(id) : null);
  }

  private write(k: Kept, patch: (m: Message) => Message): void {
    const c = this.conversation(k);
    const id = k.info.messageId;
    // The message may not be written yet (an infill records its messages after its first frame): next time.
    if (!c || !id || !c.messages.some((m) => m.id === id)) {
      k.conversation = null;
      return;
    }
    const next: Conversation = {
      ...c,
      updatedAt: Math.max(c.updatedAt, Date.now()),
      messages: c.messages.map((m) => (m.id === id ? patch(m) : m)),
    };
    try {
      this.o.conversations!.save(next);
      k.conversation = next;
      if (this.recent?.id === next.id) this.recent = next;
    } catch (e) {
      this.log(`run ${k.info.requestId}: could not save the answer so far: ${(e as Error).message}`);
    }
  }

  private savePartial(k: Kept): void {
    if (this.run !== k || k.info.text === k.savedText) return;
    k.savedText = k.info.text;
    this.write(k, (m) => this.streaming(k, m));
  }

  /** The outcome, saved by main too: a page may not be there to save it (reloading, or gone for good). */
  private saveFinal(k: Kept, ev: Exclude<RunEvent, { type: 'start' | 'step' }>): void {
    if (!k.info.conversationId || !k.info.messageId || !this.o.conversations) return;
    const infill = k.info.prompt.kind === 'infill';
    this.write(k, (m) => {
      if (ev.type === 'error') {
        const partial = k.info.text;
        return {
          ...m,
          status: 'error',
          error: ev.message.slice(0, 10_000),
          content: infill ? (partial ? fence(partial) : '') : continued(k) + partial,
          ...(infill && m.infill ? { infill: { ...m.infill, middle: partial, outcome: 'error' as const } } : {}),
        };
      }
      const stopped = ev.stopReason === 'cancelled';
      const base: Message = { ...m, status: stopped ? 'stopped' : 'done', stopReason: ev.stopReason, stats: ev.stats };
      if (!infill) return { ...base, content: continued(k) + ev.text };
      return {
        ...base,
        content: ev.text ? fence(ev.text) : '',
        ...(m.infill
          ? { infill: { ...m.infill, middle: ev.text, ...(stopped ? { outcome: 'stopped' as const } : {}) } }
          : {}),
      };
    });
  }
}

/** The text a continued chat answer had before this run (empty for other runs). */
function continued(k: Kept): string {
  return k.info.prompt.kind === 'chat' ? (k.info.prompt.continues ?? '') : '';
}

/** A code block around `text` (the renderer's fence, without a language: main does not know the editor's). */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}\n${text.replace(/\n$/, '')}\n${f}`;
}
