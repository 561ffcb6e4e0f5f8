import { openModelFolder, type ModelFolder } from '../model/model-folder.js';
import { ModelFolderError } from '../model/errors.js';
import { MANIFEST_FILE } from '../model/manifest.js';
import { decode } from './decode.js';
import type { DecodeEvent, DecodeResult } from '../../common/decode-events.js';
import { ModelSession, type ForwardModel, type ForwardRequest } from './model-session.js';
import { paramsFromDefaults, type DecodeParams } from './params.js';
import { createSession, sessionOptionsFor, type OpenedSession, type ProviderName } from './providers.js';
import { TextCodec, type ChatMessage } from './tokenizer.js';
import { buildInfillIds, middleIds, type InfillIds } from './fim.js';
import type { PromptSpec } from '../../common/prompt.js';

/** A run's prompt: the app's PromptSpec (chat or infill), or raw text / exact ids (CLI, tests). */
export type Prompt = PromptSpec | { messages: ChatMessage[] } | { text: string } | { ids: number[] };

/** The model has no fill-in-the-middle tokens, so it cannot infill. */
export class InfillUnavailableError extends Error {
  constructor(model: string) {
    super(
      `${model} has no fill-in-the-middle tokens in its tokenizer: infill is not available with this model (chat works)`,
    );
    this.name = 'InfillUnavailableError';
  }
}

export interface GenerateRequest {
  prompt: Prompt;
  /** The prompt's ids when the caller already has them (promptIds(prompt, genLength)): a whole file is not tokenized twice. */
  promptIds?: number[];
  params?: Partial<DecodeParams>;
  signal?: AbortSignal;
  /** Report each committed position's k best candidates (traces with candidates). */
  candidates?: boolean;
  /**
   * Called before every forward of the run, awaited (the engine process reports the forwards that no
   * event follows to the host's watchdog, and its test hooks slow or hang forwards here).
   */
  beforeForward?: (req: ForwardRequest) => void | Promise<void>;
}

/**
 * A loaded model: its folder, tokenizer and one ORT session. The app's engine process, the CLI
 * and the tests all drive decoding through this class.
 */
export class Engine {
  private busy = false;

  private constructor(
    readonly folder: ModelFolder,
    readonly codec: TextCodec,
    private readonly model: ModelSession,
    readonly fallbacks: OpenedSession['fallbacks'],
  ) {}

  static async load(dir: string, opts: { provider?: ProviderName | 'auto' } = {}): Promise<Engine> {
    const folder = openModelFolder(dir);
    const codec = new TextCodec(folder.tokenizerJson, folder.tokenizerConfig);
    let opened: OpenedSession;
    try {
      const threads = intraOpThreads(folder.manifest.externalDataBytes);
      opened = await createSession(folder.graphPath, opts.provider ?? 'auto', (p) => ({
        ...sessionOptionsFor(folder.manifest, p),
        intraOpNumThreads: threads,
      }));
    } catch (e) {
      throw new ModelFolderError(
        folder.manifest.graph,
        `onnxruntime could not load the graph (${(e as Error).message})`,
      );
    }
    if (opened.provider === 'cpu' && folder.manifest.dtype === 'fp16' && process.env[ALLOW_FP16_CPU_ENV] !== '1') {
      await opened.session.release();
      throw new ModelFolderError(MANIFEST_FILE, FP16_ON_CPU);
    }
    checkGraphSignature(folder, opened);
    return new Engine(
      folder,
      codec,
      new ModelSession(opened.session, folder.manifest, opened.provider),
      opened.fallbacks,
    );
  }

  get provider(): ProviderName {
    return this.model.provider;
  }

  get defaults(): DecodeParams {
    return paramsFromDefaults(this.folder.manifest.decoding, this.folder.manifest.tokens.eos);
  }

  /** Whether this model can infill (its tokenizer has FIM tokens). */
  get canInfill(): boolean {
    return this.folder.manifest.fim !== null;
  }

  promptIds(prompt: Prompt, genLength = this.defaults.genLength): number[] {
    if ('ids' in prompt) return prompt.ids;
    if ('text' in prompt) return this.codec.encodeRaw(prompt.text);
    if ('kind' in prompt && prompt.kind === 'infill')
      return this.infillIds(prompt.prefix, prompt.suffix, genLength).ids;
    if ('kind' in prompt && prompt.continueFinal) return this.codec.encodeContinuation(prompt.messages);
    return this.codec.encodeChat(prompt.messages);
  }

  /** The FIM prompt for text around a cursor, trimmed around the cursor to leave room for `genLength` masks. */
  infillIds(prefix: string, suffix: string, genLength: number): InfillIds {
    const { fim, tokens, architecture } = this.folder.manifest;
    if (!fim) throw new InfillUnavailableError(this.folder.name);
    return buildInfillIds(
      this.codec.encodeText(prefix),
      this.codec.encodeText(suffix),
      fim,
      tokens.bos,
      architecture.maxPositions - genLength,
    );
  }

  /** Streams a run. One run at a time per engine: the KV cache belongs to the run. */
  async *generate(req: GenerateRequest): AsyncGenerator<DecodeEvent, DecodeResult> {
    if (this.busy) throw new Error('the engine is already running a generation');
    this.busy = true;
    try {
      const params = { ...this.defaults, ...req.params };
      const infill = 'kind' in req.prompt && req.prompt.kind === 'infill';
      const { mask, eos } = this.folder.manifest.tokens;
      const result = yield* decode(
        req.beforeForward ? withHook(this.model, req.beforeForward) : this.model,
        req.promptIds ?? this.promptIds(req.prompt, params.genLength),
        params,
        {
          maskId: mask,
          signal: req.signal,
          detokenize: (ids) => this.codec.decode(ids),
          label: (id) => this.codec.tokenLabel(id),
          // A per-head bias is heads x larger: keep prefill chunks small.
          prefillChunk: this.folder.manifest.attentionBias === 'per-head' ? 128 : 512,
          modelName: this.folder.name,
          candidates: req.candidates,
        },
      );
      // The middle of an infill ends at the first EOS (even with stop-at-EOS off); masks left by Stop are dropped.
      return infill ? { ...result, text: this.codec.decode(middleIds(result.tokenIds, eos, mask)) } : result;
    } finally {
      this.busy = false;
    }
  }

  /** Runs to the end and returns the result, for callers that do not stream. */
  async run(req: GenerateRequest): Promise<DecodeResult> {
    const it = this.generate(req);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/** The same model, calling `hook` before each forward. */
function withHook(model: ForwardModel, hook: NonNullable<GenerateRequest['beforeForward']>): ForwardModel {
  return {
    get manifest() {
      return model.manifest;
    },
    get provider() {
      return model.provider;
    },
    get cacheLength() {
      return model.cacheLength;
    },
    reset: (capacity) => model.reset(capacity),
    forward: async (r) => {
      await hook(r);
      return model.forward(r);
    },
  };
}

/** Experts who accept the cost can still run fp16 folders on CPU. */
export const ALLOW_FP16_CPU_ENV = 'DIFFCODER_ALLOW_FP16_CPU';

/**
 * Measured with the 8B-shaped bench (README): ORT's CPU MatMul has no fp16 kernel, so every fp16
 * weight is cast to fp32 per forward and the arena keeps the casts: resident memory grows to about
 * 2.5x the folder after the first forward, and forwards run at 12-14% of memory bandwidth.
 */
export const FP16_ON_CPU =
  'fp16 weights cannot run on the CPU without an fp32 copy (onnxruntime has no fp16 matrix multiply on CPU: about 2.5x the memory and 8x slower than int8); convert the checkpoint to int8 (quality) or int4 (speed and size) for CPU, or choose a GPU provider';

/**
 * A small model's forward over a 4-token block is microseconds of arithmetic per op: thread-pool
 * hand-offs cost more than they save (measured on the built-in model: 2.6 vs 6.1 ms/forward on
 * 2 cores), so small models run single-threaded. DIFFCODER_THREADS overrides (0 = ORT's choice).
 */
function intraOpThreads(weightBytes: number): number {
  const env = process.env.DIFFCODER_THREADS;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return weightBytes < 256 * 2 ** 20 ? 1 : 0;
}

/** The graph must expose what the manifest promises, or decoding would fail mid-run. */
function checkGraphSignature(folder: ModelFolder, opened: OpenedSession): void {
  const { io, architecture } = folder.manifest;
  const inputs = new Set(opened.session.inputNames);
  const outputs = new Set(opened.session.outputNames);
  const needIn = [
    io.inputs.inputIds,
    io.inputs.blockLength,
    io.inputs.logitsKeep,
    ...(io.inputs.kvKeep ? [io.inputs.kvKeep] : []),
  ];
  const needOut = [io.outputs.logits, io.outputs.topToken, io.outputs.topProb];
  for (let i = 0; i < architecture.numLayers; i++) {
    needIn.push(io.inputs.pastKey.replace('{layer}', String(i)), io.inputs.pastValue.replace('{layer}', String(i)));
    needOut.push(
      io.outputs.presentKey.replace('{layer}', String(i)),
      io.outputs.presentValue.replace('{layer}', String(i)),
    );
  }
  const missingIn = needIn.filter((n) => !inputs.has(n));
  const missingOut = needOut.filter((n) => !outputs.has(n));
  if (missingIn.length || missingOut.length) {
    throw new ModelFolderError(
      folder.manifest.graph,
      `graph does not match diffcoder.json: missing ${[...missingIn.map((n) => `input ${n}`), ...missingOut.map((n) => `output ${n}`)].slice(0, 3).join(', ')}`,
    );
  }
}
