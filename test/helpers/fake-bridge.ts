/**
 * An in-memory AppBridge for the renderer's store tests: records every invoke, answers from a table
 * the test can extend, and keeps event listeners. The stores run exactly as with the real bridges.
 */
import type { EventChannel, InvokeChannel } from '../../common/contract';
import { DEFAULT_DECODE_SETTINGS } from '../../common/decoding-settings';
import type { AppSettings } from '../../common/models';
import type { AppBridge } from '../../renderer/src/bridge';

export type Answers = Partial<Record<InvokeChannel, (req: unknown) => unknown>>;

/** Settings with short runs (8 masks, one token per step) for the store tests. */
export const testSettings: AppSettings = {
  decoding: { ...DEFAULT_DECODE_SETTINGS, steps: 8, genLength: 8 },
  modelId: 'builtin',
  provider: 'auto',
  recordTraces: true,
  traceCandidates: false,
};

export function fakeBridge(extra: Answers = {}) {
  const calls: { channel: InvokeChannel; request: unknown }[] = [];
  const listeners = new Map<EventChannel, Set<(p: unknown) => void>>();
  const answers: Answers = {
    'generate:start': (r) => ({ requestId: (r as { requestId: string }).requestId }),
    'generate:stop': () => ({ stopped: true }),
    'conversations:save': () => ({ ok: true }),
    'conversations:list': () => ({ conversations: [], notices: [] }),
    ...extra,
  };
  const b: AppBridge = {
    kind: 'electron',
    invoke: (async (channel: InvokeChannel, request: unknown) => {
      calls.push({ channel, request });
      const a = answers[channel];
      if (!a) throw new Error(`no handler for ${channel}`);
      return a(request);
    }) as AppBridge['invoke'],
    on: ((channel: EventChannel, l: (p: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
      return () => listeners.get(channel)!.delete(l);
    }) as AppBridge['on'],
    connection: () => ({ state: 'open' }),
    onConnection: () => () => {},
  };
  return { b, calls, answers };
}
