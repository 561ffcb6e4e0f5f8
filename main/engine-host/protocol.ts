/** Messages between main and the engine process. Plain JSON: both carriers clone it. */
import type { DecodeEvent, ProviderName } from '../../common/decode-events.js';
import type { ChatMessage } from '../engine/tokenizer.js';
import type { DecodeParams } from '../engine/params.js';
import type { ProviderChoice } from '../../common/models.js';

export type ToEngine =
  | { type: 'load'; dir: string; provider: ProviderChoice }
  | { type: 'generate'; requestId: string; messages: ChatMessage[]; params: Partial<DecodeParams> }
  | { type: 'stop'; requestId: string };

export type FromEngine =
  | { type: 'ready'; pid: number }
  | { type: 'loaded'; dir: string; provider: ProviderName; fallbacks: string[] }
  | { type: 'load-error'; dir: string; message: string }
  | { type: 'event'; requestId: string; event: DecodeEvent }
  | { type: 'run-error'; requestId: string; message: string };
