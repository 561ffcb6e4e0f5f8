import {
  requests,
  type EventChannel,
  type Events,
  type InvokeChannel,
  type InvokeResult,
  type Request,
  type Response,
} from '../../common/contract.js';
import { checkDecodeSettings } from '../../common/decoding-settings.js';
import type { AppSettings } from '../../common/models.js';
import type { EngineHost } from '../engine-host/engine-host.js';
import type { DecodeParams } from '../engine/params.js';
import type { ImportService } from '../import/import-service.js';
import type { ModelRegistry } from '../model-registry/registry.js';
import type { ConversationStore } from '../persistence/conversation-store.js';
import type { SettingsStore } from '../persistence/settings-store.js';
import type { TraceStore } from '../persistence/trace-store.js';
import { isAllowedLink } from '../security/links.js';
import { graceFromEnv, RunKeeper } from './run-keeper.js';
import type { WorkspaceService } from '../workspace/workspace-service.js';

export interface Services {
  host: EngineHost;
  conversations: ConversationStore;
  /** Each run's decoding trace, stored with its message by the run keeper. */
  traces: TraceStore;
  settings: SettingsStore;
  models: ModelRegistry;
  mode: 'electron' | 'browser';
  version: string;
  /** Opens an allowlisted link outside the app; browser mode has none (the page opens it). */
  openExternal?: (url: string) => Promise<void>;
  /** Native folder picker; browser mode has none (the page asks for a path). */
  pickFolder?: (purpose: 'model' | 'checkpoint' | 'workspace') => Promise<string | null>;
  /** The renderer's documents with unsaved changes (Electron asks before closing the window). */
  onUnsaved?: (documents: string[]) => void;
  /** Checkpoint import (conversion in a worker process); absent where no worker entry is given. */
  imports?: ImportService;
  /** The open folder and its files (main/workspace/): every path confined to it. */
  workspace: WorkspaceService;
}

/** Where pushed events go: every window (Electron) or every socket (browser mode). */
export interface EventSink {
  broadcast<E extends EventChannel>(channel: E, payload: Events[E]): void;
  /** Clients connected now (browser mode's sockets); absent where unknown: runs are then never stopped for want of a client. */
  clients?(): number;
}

type Handlers = { [C in InvokeChannel]: (req: Request<C>) => Promise<Response<C>> | Response<C> };

/** The engine's parameters for the user's settings: every field as is; stop-at-EOS off means no EOS id (on keeps the model's). */
export function decodeParams(s: AppSettings['decoding']): Partial<DecodeParams> {
  const { stopAtEos, ...rest } = s;
  return { ...rest, ...(stopAtEos ? {} : { eosId: null }) };
}

const invalidRequest = (channel: InvokeChannel, path: string, message: string) =>
  `invalid request for ${channel}: ${path || '(root)'}: ${message}`;

/**
 * Main's handlers, written once. Transports call the returned function with whatever arrived;
 * it checks the channel and validates the request against the contract before any handler
 * runs, and turns every failure into an `{ ok: false, error }` answer.
 */
export function createDispatcher(
  s: Services,
  sink: EventSink,
): (channel: unknown, request: unknown) => Promise<InvokeResult<InvokeChannel>> {
  s.host.onStatus((status) => sink.broadcast('engine:status', status));
  // The running run, kept by main so a reloaded page re-attaches to it (run-keeper.ts).
  const runs = new RunKeeper({
    host: s.host,
    conversations: s.conversations,
    traces: s.traces,
    // Read at each run's start, so turning it off in Settings applies from the next run.
    traceSettings: () => {
      const { recordTraces, traceCandidates } = s.settings.load().settings;
      return { record: recordTraces, candidates: traceCandidates };
    },
    broadcast: (channel, payload) => sink.broadcast(channel, payload),
    clients: sink.clients ? () => sink.clients?.() : undefined,
    graceMs: graceFromEnv(),
  });
  const imports = () => {
    if (!s.imports) throw new Error('importing checkpoints is not available in this build');
    return s.imports;
  };

  const handlers: Handlers = {
    'app:status': () => ({ engine: s.host.status, version: s.version, mode: s.mode }),
    'app:setUnsaved': ({ documents }) => {
      s.onUnsaved?.(documents);
      return { ok: true as const };
    },
    'conversations:list': () => s.conversations.list(),
    // While a run streams into a conversation, main's copy of its answer wins over the page's (run-keeper.ts).
    'conversations:save': ({ conversation }) => (
      s.conversations.save(runs.mergeSave(conversation as never)),
      { ok: true }
    ),
    'conversations:delete': ({ id }) => {
      runs.deleted(id);
      s.conversations.delete(id);
      // The conversation is gone either way: traces left behind would only count against their cap.
      try {
        s.traces.deleteConversation(id);
      } catch (e) {
        console.error(`traces of ${id} not deleted: ${(e as Error).message}`);
      }
      return { ok: true };
    },
    'settings:get': () => s.settings.load(),
    'settings:set': ({ settings }) => {
      // Settings that can never run are refused when saved, not after Send: the rules between fields, and the selected model's positions when it is known.
      const maxPositions = s.models.maxPositions(settings.modelId);
      const problem = checkDecodeSettings(
        settings.decoding,
        maxPositions === undefined ? undefined : { maxPositions },
      )[0];
      if (problem)
        throw new Error(invalidRequest('settings:set', `settings.decoding.${problem.field}`, problem.message));
      s.settings.save(settings);
      return { settings };
    },
    'models:list': () => ({ models: s.models.list() }),
    'models:add': ({ dir }) => ({ model: s.models.add(dir) }),
    'models:pickFolder': async ({ purpose }) => ({ dir: s.pickFolder ? await s.pickFolder(purpose ?? 'model') : null }),
    'models:inspectCheckpoint': async ({ dir }) => ({ inspection: await imports().inspect(dir) }),
    'models:import': ({ dir, dtype }) => imports().start(dir, dtype),
    'models:importCancel': async ({ importId }) => ({ cancelled: await imports().cancel(importId) }),
    'models:select': async ({ modelId, provider }) => {
      const model = s.models.get(modelId);
      if (!model) throw new Error(`unknown model ${modelId}`);
      if (model.error) throw new Error(model.error);
      return { engine: await s.host.load(model, provider) };
    },
    'generate:start': ({ requestId, prompt, settings, conversationId, messageId }) => {
      // The schema checked each field; these are the rules between fields the engine would refuse the run for.
      const problem = checkDecodeSettings(settings)[0];
      if (problem) throw new Error(invalidRequest('generate:start', `settings.${problem.field}`, problem.message));
      void Promise.resolve(
        runs.start({ requestId, prompt, params: decodeParams(settings), conversationId, messageId }),
      ).catch((e: Error) =>
        sink.broadcast('generate:event', { requestId, event: { type: 'error', message: e.message } }),
      );
      return { requestId };
    },
    'generate:stop': ({ requestId }) => ({ stopped: runs.stop(requestId) }),
    'generate:active': () => ({ run: runs.active() }),
    'traces:get': ({ conversationId, messageId }) => ({ trace: s.traces.get(conversationId, messageId) }),
    'traces:usage': () => ({ ...s.traces.usage(), capBytes: s.traces.capBytes }),
    'traces:clear': () => (s.traces.clear(), { ok: true }),
    'workspace:get': () => ({ workspace: s.workspace.current() }),
    'workspace:open': ({ dir }) => ({ workspace: s.workspace.open(dir) }),
    'workspace:pickFolder': async () => ({ dir: await s.workspace.pick() }),
    'workspace:list': ({ path, includeGit }) => s.workspace.list(path, includeGit ?? false),
    'workspace:getState': () => s.workspace.getState(),
    'workspace:saveState': ({ state }) => (s.workspace.saveState(state), { ok: true }),
    'files:read': ({ path }) => s.workspace.read(path),
    'files:save': (req) => s.workspace.save(req),
    'files:stat': ({ paths }) => ({ files: s.workspace.stat(paths) }),
    'files:watch': ({ paths }) => s.workspace.watch(paths),
    'links:open': async ({ url }) => {
      if (!isAllowedLink(url))
        throw new Error(`links to ${safeHost(url)} are not opened from model output (not on the allowlist)`);
      if (!s.openExternal) return { opened: false };
      await s.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK (reviewed: isAllowedLink above, https allowlist)
      return { opened: true };
    },
  };

  // Never rejects: whatever arrived (even a channel like {"toString": 1}, which String() throws on) is answered.
  return async (channel, request) => {
    if (typeof channel !== 'string' || !Object.hasOwn(requests, channel))
      return {
        ok: false,
        error: `unknown channel ${typeof channel === 'string' ? JSON.stringify(channel).slice(0, 80) : `(${channel === null ? 'null' : typeof channel})`}`,
      };
    const c = channel as InvokeChannel;
    try {
      const parsed = requests[c].safeParse(request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: invalidRequest(c, issue.path.join('.'), issue.message) };
      }
      const value = await (handlers[c] as (r: unknown) => unknown)(parsed.data);
      return { ok: true, value: value as Response<InvokeChannel> };
    } catch (e) {
      return { ok: false, error: errorMessage(e) };
    }
  };
}

function errorMessage(e: unknown): string {
  if (e instanceof Error && typeof e.message === 'string' && e.message) return e.message;
  try {
    return `failed: ${String(e)}`;
  } catch {
    return 'failed';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return 'that address';
  }
}
