/**
 * Plain data shared by every process: what is stored, sent over IPC and shown. No behaviour.
 */
import type { DecodeStats, StopReason } from './decode-events.js';
import type { DecodeSettings } from './decoding-settings.js';
import type { ProviderChoice, ProviderName } from './providers.js';
import type { WeightDtype } from './model-formats.js';

export type { DecodeStats, ProviderChoice, ProviderName, StopReason, WeightDtype };

/** Decoding parameters as the user sets them: declared, bounded and checked in decoding-settings.ts (presets too). */
export type { DecodeSettings };

export interface AppSettings {
  decoding: DecodeSettings;
  /** Id of the selected model (see ModelInfo.id). */
  modelId: string;
  provider: ProviderChoice;
  /** Keep each run's decoding trace with its message (Settings; main's TraceStore, capped). */
  recordTraces: boolean;
  /** Traces keep the k best candidates of every commit (hover shows the alternatives). */
  traceCandidates: boolean;
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
  /** An infill run recorded in the conversation (on its assistant message). */
  infill?: InfillRecord;
  /**
   * A regenerated chat answer keeps its other versions here, oldest first; the message's own fields are the version
   * shown (and the one the next prompt uses). Each version keeps the message id it ran under (its trace's key).
   */
  versions?: AnswerVersion[];
  /** Where the shown version sits among all of them (0-based); absent: after every entry of `versions` (the newest). */
  versionIndex?: number;
}

/** One version of an assistant answer: the answer fields of a Message. */
export type AnswerVersion = Pick<Message, 'id' | 'content' | 'createdAt' | 'status' | 'error' | 'stats' | 'stopReason'>;

/** What the user did with an infill's middle ('stopped'/'error': the run ended without one to review). */
export type InfillOutcome = 'accepted' | 'rejected' | 'stopped' | 'error';

export interface InfillRecord {
  /** The document: a workspace-relative path, or the scratch buffer's name. */
  file: string;
  /** Where the middle went (1-based, Monaco columns): the cursor, or the selection it replaced. */
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
  /** The middle the model wrote (EOS and masks trimmed). */
  middle: string;
  /** Absent while the run is going or its suggestion is waiting for review. */
  outcome?: InfillOutcome;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messages: Message[];
  /** This chat's system prompt, sent as the first message; absent or blank: the model's default (its chat template's). */
  systemPrompt?: string;
  /** This chat's decoding settings; absent: the app's (Settings → Decoding). */
  decoding?: DecodeSettings;
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
  /** Whether the loaded model has fill-in-the-middle tokens (infill is offered only then). */
  canInfill?: boolean;
  /** Why the state is crashed/error. */
  message?: string;
  /** Providers this machine's onnxruntime can run (from the engine process, once a model loaded). */
  availableProviders?: ProviderName[];
  /** Providers the load tried before the one running, with why each failed ("cuda: ..."). */
  fallbacks?: string[];
  /**
   * The system prompt the loaded model's chat template writes when a chat has none (read from the template in
   * tokenizer_config.json, main/engine/tokenizer.ts); null when its template adds none.
   */
  defaultSystemPrompt?: string | null;
}

/** One weight dtype an imported checkpoint can be converted to, with what it will cost here. */
export interface ImportTarget {
  dtype: WeightDtype;
  /** The model folder's size on disk. */
  diskBytes: number;
  /** Memory the engine needs to run it (weights, KV cache, activations) at `contextLength` tokens. */
  memoryBytes: number;
  /** Whether `memoryBytes` fits the memory available now; null when that is unknown. */
  fitsMemory: boolean | null;
  /** Whether it fits the free GPU memory; null without a GPU we can measure. */
  fitsGpu: boolean | null;
  /** Whether `diskBytes` fits the free space of the models folder; null when that is unknown. */
  fitsDisk: boolean | null;
  /** Runs only on a GPU provider: fp16 has no CPU matrix multiply (the engine refuses it on CPU). */
  gpuOnly: boolean;
}

/** What models:inspectCheckpoint found in a Hugging Face checkpoint folder. */
export interface CheckpointInspection {
  dir: string;
  /** The folder's name, used to name the imported model. */
  name: string;
  /** `architectures[0]` of config.json (or its model_type). */
  architecture: string;
  shape: {
    numLayers: number;
    hiddenSize: number;
    intermediateSize: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    vocabSize: number;
    maxPositions: number;
  };
  parameters: number;
  checkpointBytes: number;
  /** Safetensors dtypes of the weights, e.g. ["BF16"]. */
  sourceDtypes: string[];
  tokenizer: boolean;
  chatTemplate: boolean;
  /** Why converting would fail, each naming the file; empty when it can run. */
  problems: string[];
  /** Context length the memory estimates assume. */
  contextLength: number;
  availableMemoryBytes: number | null;
  gpuFreeBytes: number | null;
  freeDiskBytes: number | null;
  /** Where imported models are written (the app's user data models folder). */
  modelsDir: string;
  targets: ImportTarget[];
}

/** Progress and outcome of an import, pushed as models:importProgress. */
export interface ImportProgress {
  importId: string;
  /** The checkpoint folder's name. */
  checkpoint: string;
  dtype: WeightDtype;
  outputDir: string;
  /** `done` carries the registered (and selected) model, `error` the converter's message verbatim. */
  state: 'running' | 'done' | 'error' | 'cancelled';
  doneBytes: number;
  totalBytes: number;
  /** The checkpoint tensor converted last. */
  tensor: string | null;
  elapsedMs: number;
  model?: ModelInfo;
  message?: string;
}
