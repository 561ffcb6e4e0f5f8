/**
 * The one IPC contract. Every channel between the renderer and main is listed here: its request
 * schema (validated in main, whatever transport carried it), its response type, and the events
 * main pushes. The preload bridge, the WebSocket bridge and main's handlers all import this file.
 */
import { z } from 'zod';
import { EVENT_CHANNEL_NAMES, INVOKE_CHANNEL_NAMES } from './channels.js';
import { decodeSettingsSchema } from './decoding-settings.js';
import type { CommittedToken, DecodeEvent, StartEvent } from './decode-events.js';
import type { Trace } from './trace.js';
import { weightDtypeSchema } from './model-formats.js';
import { promptSchema, textPositionSchema } from './prompt.js';
import { providerChoiceSchema, providerNameSchema } from './providers.js';
import {
  filePathSchema,
  PATHS_LIMIT,
  relativePathSchema,
  saveRequestSchema,
  workspaceStateSchema,
} from './workspace.js';
import type { DirEntry, FileStat, SaveResult, TextFile, Workspace, WorkspaceState } from './workspace.js';
import type {
  AppSettings,
  CheckpointInspection,
  Conversation,
  EngineStatus,
  ImportProgress,
  LoadNotice,
  ModelInfo,
} from './models.js';

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, - and _');
const text = (max: number) => z.string().max(max);

// The decoding settings and their bounds live in decoding-settings.ts (one module for every process).
export { decodeSettingsSchema };

/** Traces are recorded unless the user turns them off; a settings.json from before the setting loads with this. */
export const DEFAULT_RECORD_TRACES = true;
/** Top candidates in traces (the k best tokens at each commit) cost a little per forward: off unless asked for. */
export const DEFAULT_TRACE_CANDIDATES = false;

export const appSettingsSchema = z
  .object({
    decoding: decodeSettingsSchema,
    modelId: z.string().min(1).max(4096),
    provider: providerChoiceSchema,
    recordTraces: z.boolean().default(DEFAULT_RECORD_TRACES),
    traceCandidates: z.boolean().default(DEFAULT_TRACE_CANDIDATES),
  })
  .strict();

const statsSchema = z
  .object({
    tokens: z.number(),
    forwards: z.number(),
    forwardsPerToken: z.number(),
    tokensPerSecond: z.number(),
    msPerForward: z.number(),
    prefillMs: z.number(),
    totalMs: z.number(),
    provider: providerNameSchema,
  })
  .strict();

/** The answer fields of a message, shared by the message and its other versions. */
const answerFields = {
  id,
  content: text(1_000_000),
  createdAt: z.number().int().nonnegative(),
  status: z.enum(['streaming', 'done', 'stopped', 'error']).optional(),
  error: text(10_000).optional(),
  stats: statsSchema.optional(),
  stopReason: z.enum(['eos', 'length', 'cancelled']).optional(),
};

/** A regenerated answer keeps at most this many versions (the oldest are dropped). */
export const MAX_ANSWER_VERSIONS = 50;

const messageSchema = z
  .object({
    ...answerFields,
    role: z.enum(['system', 'user', 'assistant']),
    attachment: z
      .object({ documentId: id, language: text(64), text: text(200_000) })
      .strict()
      .optional(),
    target: z
      .object({ kind: z.literal('editor'), documentId: id })
      .strict()
      .optional(),
    infill: z
      .object({
        file: text(4096),
        range: z.object({ start: textPositionSchema, end: textPositionSchema }).strict(),
        middle: text(1_000_000),
        outcome: z.enum(['accepted', 'rejected', 'stopped', 'error']).optional(),
      })
      .strict()
      .optional(),
    // Message versions (regenerate): the others, oldest first, and where the shown one sits among them.
    versions: z
      .array(z.object(answerFields).strict())
      .max(MAX_ANSWER_VERSIONS - 1)
      .optional(),
    versionIndex: z
      .number()
      .int()
      .min(0)
      .max(MAX_ANSWER_VERSIONS - 1)
      .optional(),
  })
  .strict();

/** A chat's own system prompt may be this long (characters). */
export const SYSTEM_PROMPT_LIMIT = 100_000;

/**
 * What one conversation may weigh as JSON: at most 3 UTF-8 bytes a character, 20 M characters stay under the
 * browser-mode WebSocket frame limit (64 MiB, main/server/http-server.ts), so every valid save can be carried.
 */
export const CONVERSATION_JSON_LIMIT = 20 * 1024 * 1024;

export const conversationSchema = z
  .object({
    id,
    title: text(500),
    createdAt: z.number().int().nonnegative(),
    updatedAt: z.number().int().nonnegative(),
    messages: z.array(messageSchema).max(10_000),
    // A chat's own system prompt and decoding settings (both optional: files from before them load as they were).
    systemPrompt: text(SYSTEM_PROMPT_LIMIT).optional(),
    decoding: decodeSettingsSchema.optional(),
  })
  .strict()
  .refine((c) => JSON.stringify(c).length <= CONVERSATION_JSON_LIMIT, {
    message: `conversation too large to save (over ${CONVERSATION_JSON_LIMIT / 1024 / 1024} M characters of JSON): delete some messages or start a new conversation`,
  });

/** Request schemas, by channel. */
export const requests = {
  'app:status': z.object({}).strict(),
  // Documents with unsaved changes, so closing the window can ask (Electron; browser mode uses beforeunload).
  'app:setUnsaved': z.object({ documents: z.array(z.string().max(4096)).max(10_000) }).strict(),
  'conversations:list': z.object({}).strict(),
  'conversations:save': z.object({ conversation: conversationSchema }).strict(),
  'conversations:delete': z.object({ id }).strict(),
  'settings:get': z.object({}).strict(),
  'settings:set': z.object({ settings: appSettingsSchema }).strict(),
  'models:list': z.object({}).strict(),
  'models:add': z.object({ dir: z.string().min(1).max(4096) }).strict(),
  // `purpose` only titles the native dialog.
  'models:pickFolder': z.object({ purpose: z.enum(['model', 'checkpoint']).optional() }).strict(),
  // Paths are checked again in main (absolute, an existing folder) before anything reads them.
  'models:inspectCheckpoint': z.object({ dir: z.string().min(1).max(4096) }).strict(),
  'models:import': z.object({ dir: z.string().min(1).max(4096), dtype: weightDtypeSchema }).strict(),
  'models:importCancel': z.object({ importId: id }).strict(),
  'models:select': z.object({ modelId: z.string().min(1).max(4096), provider: providerChoiceSchema }).strict(),
  // The prompt travels unchanged to the engine: a chat, or an infill (prefix/suffix around the cursor).
  // The handler also refuses settings that break checkDecodeSettings' cross-field rules (decoding-settings.ts).
  // conversationId/messageId: the conversation and the (streaming) assistant message the run writes; main keeps the
  // run's progress under them and saves the partial answer there itself (the app always sends both).
  'generate:start': z
    .object({
      requestId: id,
      prompt: promptSchema,
      settings: decodeSettingsSchema,
      conversationId: id.optional(),
      messageId: id.optional(),
    })
    .strict(),
  // The running run, for a page that (re)loads or a second window: its progress so far; its events keep coming as generate:event.
  'generate:active': z.object({}).strict(),
  'generate:stop': z.object({ requestId: id }).strict(),
  'links:open': z.object({ url: z.string().url().max(2048) }).strict(),
  // Decoding traces main recorded and stored with their messages (main/persistence/trace-store.ts).
  'traces:get': z.object({ conversationId: id, messageId: id }).strict(),
  'traces:usage': z.object({}).strict(),
  'traces:clear': z.object({}).strict(),
  // Workspace and files (common/workspace.ts): every path is workspace-relative; main normalises it, resolves
  // symlinks and refuses anything outside the open folder. The folder itself is checked again in main
  // (absolute, exists, a folder, realpath; in Electron only one picked in the dialog or the last workspace).
  'workspace:get': z.object({}).strict(),
  'workspace:open': z.object({ dir: z.string().min(1).max(4096) }).strict(),
  'workspace:pickFolder': z.object({}).strict(),
  'workspace:list': z.object({ path: relativePathSchema, includeGit: z.boolean().optional() }).strict(),
  'workspace:getState': z.object({}).strict(),
  'workspace:saveState': z.object({ state: workspaceStateSchema }).strict(),
  'files:read': z.object({ path: filePathSchema }).strict(),
  // Text: any line breaks, each written as `eol`; the BOM is added for 'utf8-bom' (see main/workspace/text-codec.ts).
  'files:save': saveRequestSchema,
  'files:stat': z.object({ paths: z.array(filePathSchema).max(PATHS_LIMIT) }).strict(),
  'files:watch': z.object({ paths: z.array(filePathSchema).max(PATHS_LIMIT) }).strict(),
} as const;

export type InvokeChannel = keyof typeof requests;
export type Request<C extends InvokeChannel> = z.infer<(typeof requests)[C]>;

/** Response types, by channel. */
export interface Responses {
  'app:status': { engine: EngineStatus; version: string; mode: 'electron' | 'browser' };
  'app:setUnsaved': { ok: true };
  'conversations:list': { conversations: Conversation[]; notices: LoadNotice[] };
  'conversations:save': { ok: true };
  'conversations:delete': { ok: true };
  'settings:get': { settings: AppSettings; notices: LoadNotice[] };
  'settings:set': { settings: AppSettings };
  'models:list': { models: ModelInfo[] };
  'models:add': { model: ModelInfo };
  /** A native folder dialog (Electron); null when cancelled or in browser mode. */
  'models:pickFolder': { dir: string | null };
  'models:select': { engine: EngineStatus };
  'models:inspectCheckpoint': { inspection: CheckpointInspection };
  /** Answers once the conversion process has started; progress and the outcome come as models:importProgress. */
  'models:import': { importId: string; outputDir: string };
  /** False when that import is not running (already finished, or unknown). */
  'models:importCancel': { cancelled: boolean };
  'generate:start': { requestId: string };
  'generate:stop': { stopped: boolean };
  /** The run main is running (whoever started it), or null. */
  'generate:active': { run: ActiveRun | null };
  'links:open': { opened: boolean };
  /** The message's trace (common/trace.ts); null when none was recorded, it was pruned, or it did not read. */
  'traces:get': { trace: Trace | null };
  /** What the stored traces weigh on disk, and the cap past which the oldest are removed. */
  'traces:usage': { bytes: number; count: number; capBytes: number };
  'traces:clear': { ok: true };
  /** The open workspace, or null (none yet: ask for a folder). */
  'workspace:get': { workspace: Workspace | null };
  /** Replaces the open workspace (one at a time); also pushed as workspace:changed. */
  'workspace:open': { workspace: Workspace };
  /** A native folder dialog (Electron); null when cancelled or in browser mode. Open the answer with workspace:open. */
  'workspace:pickFolder': { dir: string | null };
  /** Folders first; hidden files listed; the contents of .git folders are not (gitHidden) unless includeGit. */
  'workspace:list': { path: string; entries: DirEntry[]; gitHidden: boolean; truncated: boolean };
  /** The open workspace's saved tabs and unsaved buffers (null: none saved yet). */
  'workspace:getState': { state: WorkspaceState | null; notices: LoadNotice[] };
  'workspace:saveState': { ok: true };
  /** Refused (an error naming why): binary, over FILE_SIZE_LIMIT, a directory, missing, unreadable, outside the workspace. */
  'files:read': TextFile;
  /** Not saved (and nothing written) when the file changed on disk since `expected`, or exists when `expected` is null, without `force`. */
  'files:save': SaveResult;
  /** One answer per path, in order, carrying the path as asked. */
  'files:stat': { files: FileStat[] };
  /** Watches exactly these files for files:changed (replacing the previous set); `watching` lists those watched. */
  'files:watch': { watching: string[]; supported: boolean };
}
export type Response<C extends InvokeChannel> = Responses[C];

/**
 * A running run as main keeps it (main/ipc/run-keeper.ts): enough to redraw its canvas where a page
 * (re)attaches. Its later events arrive as generate:event like any run's.
 */
export interface ActiveRun {
  requestId: string;
  /** Where the answer is written (null for a run started without them: nothing is saved by main). */
  conversationId: string | null;
  messageId: string | null;
  /**
   * A chat answer (`continues`: the stopped answer it continues, which its text is appended to), or an infill with
   * where its middle goes (the prompt's file and range).
   */
  prompt:
    | { kind: 'chat'; continues?: string }
    | {
        kind: 'infill';
        file: string | null;
        range: { start: { line: number; column: number }; end: { line: number; column: number } } | null;
      };
  startedAt: number;
  /** Stop was asked for. */
  stopping: boolean;
  /** The run's start event; null until the engine sent it. */
  start: StartEvent | null;
  /** Every canvas position committed so far (its latest token), by position. */
  committed: CommittedToken[];
  /** The settled text so far (the steps' textDelta joined). */
  text: string;
  /** The latest step's place and counters, and how many steps ran; null before the first step. */
  step: {
    blockIndex: number;
    step: number;
    blockStart: number;
    blockEnd: number;
    forwards: number;
    elapsedMs: number;
    steps: number;
  } | null;
}

/** Events main pushes to the renderer, by channel. */
export interface Events {
  /** Every event of a run, in order; `error` ends a run that failed (engine crash included). */
  'generate:event': { requestId: string; event: DecodeEvent | { type: 'error'; message: string } };
  'engine:status': EngineStatus;
  /** An import's progress (at most ~10 a second), then its outcome: done (registered, selected), error, cancelled. */
  'models:importProgress': ImportProgress;
  /** Another window, or the command line at start, opened a workspace. */
  'workspace:changed': { workspace: Workspace | null };
  /** A watched file (files:watch) may have changed on disk, our own saves included: compare hashes with files:stat. */
  'files:changed': { path: string };
}
export type EventChannel = keyof Events;
export const EVENT_CHANNELS: readonly EventChannel[] = EVENT_CHANNEL_NAMES;
export const INVOKE_CHANNELS: readonly InvokeChannel[] = INVOKE_CHANNEL_NAMES;

// Compile-time proof that the name lists and the schemas/events agree, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _invokeNames: Same<(typeof INVOKE_CHANNEL_NAMES)[number], InvokeChannel> = true;
const _eventNames: Same<(typeof EVENT_CHANNEL_NAMES)[number], EventChannel> = true;
void _invokeNames;
void _eventNames;

/** What an invoke answers on the wire: errors travel as data, never as thrown transport errors. */
export type InvokeResult<C extends InvokeChannel> = { ok: true; value: Response<C> } | { ok: false; error: string };

/**
 * The API the renderer sees, whatever carries it (Electron preload or WebSocket).
 * `invoke` rejects with an Error whose message is main's explanation.
 */
export interface Bridge {
  invoke<C extends InvokeChannel>(channel: C, request: Request<C>): Promise<Response<C>>;
  on<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): () => void;
}
