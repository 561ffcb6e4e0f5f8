/**
 * Plain data shared by every process: what is stored, sent over IPC and shown. No behaviour.
 */
import type { DecodeStats, ProviderName, StopReason } from './decode-events.js';

export type { DecodeStats, ProviderName, StopReason };

/** Decoding parameters as the user sets them (the engine's DecodeParams minus internals). */
export interface DecodeSettings {
  steps: number;
  genLength: number;
  blockLength: number;
  temperature: number;
  seed: number;
  remasking: 'low_confidence' | 'random';
  threshold: number | null;
  shift: boolean;
  stopAtEos: boolean;
}

export const PRESETS: Record<'reference' | 'fast', Partial<DecodeSettings>> = {
  /** The model card's settings: one token per step, no threshold. */
  reference: { blockLength: 4, threshold: null, temperature: 0, remasking: 'low_confidence', shift: false },
  /** Threshold decoding: several confident tokens per step. */
  fast: { blockLength: 4, threshold: 0.9, temperature: 0, remasking: 'low_confidence', shift: false },
};

export type ProviderChoice = ProviderName | 'auto';

export interface AppSettings {
  decoding: DecodeSettings;
  /** Id of the selected model (see ModelInfo.id). */
  modelId: string;
  provider: ProviderChoice;
}

export interface ModelInfo {
  /** 'builtin' for the shipped model; otherwise the folder path. */
  id: string;
  name: string;
  dir: string;
  builtin: boolean;
  /** Set when the folder no longer validates. */
  error?: string;
}

export type Role = 'system' | 'user' | 'assistant';

/** Where generated text is going besides the chat: an editor buffer (infill comes later). */
export interface EditorTarget {
  kind: 'editor';
  /** Editor document id (a code block opened from the chat, later a file). */
  documentId: string;
}

export type MessageStatus = 'streaming' | 'done' | 'stopped' | 'error';

export interface Message {
  id: string;
  role: Role;
  content: string;
  createdAt: number;
  /** Assistant messages only. */
  status?: MessageStatus;
  error?: string;
  stats?: DecodeStats;
  stopReason?: StopReason;
  /** Editor selection attached to a user message as context. */
  attachment?: { documentId: string; language: string; text: string };
  target?: EditorTarget;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messages: Message[];
}

/** A problem met while loading saved state; the rest still loaded. */
export interface LoadNotice {
  file: string;
  message: string;
}

export type EngineState = 'starting' | 'loading' | 'ready' | 'crashed' | 'error';

export interface EngineStatus {
  state: EngineState;
  model: ModelInfo | null;
  provider: ProviderName | null;
  /** Why the state is crashed/error. */
  message?: string;
}
