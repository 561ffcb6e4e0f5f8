/** Messages between main and the engine process. Plain JSON: both carriers clone it. */
import type { DecodeEvent, ProviderName } from '../../common/decode-events.js';
import type { PromptSpec } from '../../common/prompt.js';
import type { DecodeParams } from '../engine/params.js';
import type { ProviderChoice } from '../../common/models.js';

export type ToEngine =
  | { type: 'load'; dir: string; provider: ProviderChoice }
  | {
      type: 'generate';
      requestId: string;
      prompt: PromptSpec;
      params: Partial<DecodeParams>;
      /** Report each commit's top candidates (traces with candidates). */
      candidates?: boolean;
    }
  | { type: 'stop'; requestId: string };

/**
 * `rss` (bytes) on `ready` and `loaded` lets main credit the memory a model frees when the next
 * load releases it. A load posts `released` (old model disposed, if there was one), then
 * `loading`, then `loaded` or `load-error`: two models are never resident together.
 */
export type FromEngine =
  | { type: 'ready'; pid: number; rss: number }
  | { type: 'released'; dir: string }
  | { type: 'loading'; dir: string }
  | {
      type: 'loaded';
      dir: string;
      provider: ProviderName;
      fallbacks: string[];
      rss: number;
      canInfill: boolean;
      /** The system prompt the model's chat template writes when a chat has none (null: none). */
      defaultSystemPrompt: string | null;
      /** Providers this onnxruntime build can run here (the settings dialog marks the others). */
      available: ProviderName[];
    }
  | { type: 'load-error'; dir: string; message: string }
  | { type: 'event'; requestId: string; event: DecodeEvent }
  /** Before a forward that no event follows (prompt prefill chunks, a separate commit): the watchdog's heartbeat, with its size. */
  | { type: 'forward'; requestId: string; tokens: number }
  | { type: 'run-error'; requestId: string; message: string };

/**
 * Test-only: the engine process waits this many milliseconds after `loading` before it loads, so a
 * test can kill it while a load is pending (as the OOM killer would) without racing a fast load.
 */
export const LOAD_DELAY_ENV = 'DIFFCODER_TEST_LOAD_DELAY_MS';

/** Test-only: the engine process sleeps this many milliseconds before every forward, so runs last long enough to act mid-run. */
export const FORWARD_DELAY_ENV = 'DIFFCODER_TEST_FORWARD_DELAY_MS';

/**
 * Test-only: the Nth forward (from 1) of every run blocks the engine process's thread for an hour, as a
 * native call that never returns would: Stop cannot get through, and only the host's watchdog ends it.
 */
export const HANG_AT_FORWARD_ENV = 'DIFFCODER_TEST_HANG_AT_FORWARD';
