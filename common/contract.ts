/**
 * The one IPC contract. Every channel between the renderer and main is listed here: its request
 * schema (validated in main, whatever transport carried it), its response type, and the events
 * main pushes. The preload bridge, the WebSocket bridge and main's handlers all import this file.
 */
import { z } from 'zod';
import { EVENT_CHANNEL_NAMES, INVOKE_CHANNEL_NAMES } from './channels.js';
import type { DecodeEvent } from './decode-events.js';
import { weightDtypeSchema } from './model-formats.js';
import { promptSchema } from './prompt.js';
import { providerChoiceSchema, providerNameSchema } from './providers.js';
import type {
  AppSettings,
  CheckpointInspection,
  Conversation,
  EngineStatus,
  ImportProgress,
  LoadNotice,
  ModelInfo,
} from './models.js';

const id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, - and _');
const text = (max: number) => z.string().max(max);

export const decodeSettingsSchema = z
  .object({
    steps: z.number().int().min(1).max(8192),
    genLength: z.number().int().min(1).max(8192),
    blockLength: z.number().int().min(1).max(256),
    temperature: z.number().min(0).max(10),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    remasking: z.enum(['low_confidence', 'random']),
    threshold: z.number().gt(0).lte(1).nullable(),
    shift: z.boolean(),
    stopAtEos: z.boolean(),
  })
  .strict();


export const appSettingsSchema = z.object({ decoding: decodeSettingsSchema, modelId: z.string().min(1).max(4096), provider: providerChoiceSchema }).strict();

const messageSchema = z
  .object({
    id,
    role: z.enum(['system', 'user', 'assistant']),
    content: text(1_000_000),
    createdAt: z.number().int().nonnegative(),
    status: z.enum(['streaming', 'done', 'stopped', 'error']).optional(),
    error: text(10_000).optional(),
    stats: z
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
      .strict()
      .optional(),
    stopReason: z.enum(['eos', 'length', 'cancelled']).optional(),
    attachment: z.object({ documentId: id, language: text(64), text: text(200_000) }).strict().optional(),
    target: z.object({ kind: z.literal('editor'), documentId: id }).strict().optional(),
  })
  .strict();

export const conversationSchema = z
  .object({
    id,
    title: text(500),
    createdAt: z.number().int().nonnegative(),
    updatedAt: z.number().int().nonnegative(),
    messages: z.array(messageSchema).max(10_000),
  })
  .strict();


/** Request schemas, by channel. */
export const requests = {
  'app:status': z.object({}).strict(),
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
  'generate:start': z.object({ requestId: id, prompt: promptSchema, settings: decodeSettingsSchema }).strict(),
  'generate:stop': z.object({ requestId: id }).strict(),
  'links:open': z.object({ url: z.string().url().max(2048) }).strict(),
} as const;

export type InvokeChannel = keyof typeof requests;
export type Request<C extends InvokeChannel> = z.infer<(typeof requests)[C]>;

/** Response types, by channel. */
export interface Responses {
  'app:status': { engine: EngineStatus; version: string; mode: 'electron' | 'browser' };
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
  'links:open': { opened: boolean };
}
export type Response<C extends InvokeChannel> = Responses[C];

/** Events main pushes to the renderer, by channel. */
export interface Events {
  /** Every event of a run, in order; `error` ends a run that failed (engine crash included). */
  'generate:event': { requestId: string; event: DecodeEvent | { type: 'error'; message: string } };
  'engine:status': EngineStatus;
  /** An import's progress (at most ~10 a second), then its outcome: done (registered, selected), error, cancelled. */
  'models:importProgress': ImportProgress;
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
