/**
 * The engine process: holds the ORT session and runs decoding, so `session.run()` never blocks
 * main's event loop. Started by Electron's utilityProcess (process.parentPort) or, in browser
 * mode and tests, by Node's child_process.fork (process.send).
 */
import { Engine } from '../engine/engine.js';
import { availableProviders } from '../engine/providers.js';
import { FORWARD_DELAY_ENV, HANG_AT_FORWARD_ENV, LOAD_DELAY_ENV, type FromEngine, type ToEngine } from './protocol.js';

interface Port {
  post(msg: FromEngine): void;
  onMessage(listener: (msg: ToEngine) => void): void;
}

function connect(): Port {
  const electronPort = (
    process as unknown as {
      parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (ev: { data: unknown }) => void): void };
    }
  ).parentPort;
  if (electronPort)
    return {
      post: (m) => electronPort.postMessage(m),
      onMessage: (l) => electronPort.on('message', (ev) => l(ev.data as ToEngine)),
    };
  if (!process.send) throw new Error('engine-process must be started by the app (no parent port)');
  return { post: (m) => process.send!(m), onMessage: (l) => process.on('message', (m) => l(m as ToEngine)) };
}

const port = connect();
let engine: Engine | null = null;
const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
/** Loads run one after another: each releases what the previous one loaded. */
let loads: Promise<void> = Promise.resolve();

/**
 * Releases the current model before loading the next, so two models are never resident together
 * (an 8B folder next to another can be more than the machine has). The price: a load that fails
 * leaves no model loaded, which the host reports as an error status either way.
 */
async function load(dir: string, provider: Extract<ToEngine, { type: 'load' }>['provider']): Promise<void> {
  try {
    // Runs must leave session.run() before their session is released under them.
    for (const r of running.values()) r.abort.abort();
    await Promise.all([...running.values()].map((r) => r.done));
    if (engine) {
      const old = engine;
      engine = null;
      await old.dispose();
      port.post({ type: 'released', dir: old.folder.dir });
    }
    port.post({ type: 'loading', dir });
    const delay = Number(process.env[LOAD_DELAY_ENV] ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const next = await Engine.load(dir, { provider });
    engine = next;
    port.post({
      type: 'loaded',
      dir,
      provider: next.provider,
      fallbacks: next.fallbacks.map((f) => `${f.provider}: ${f.error}`),
      rss: process.memoryUsage().rss,
      canInfill: next.canInfill,
      defaultSystemPrompt: next.codec.defaultSystemPrompt,
      available: availableProviders(),
    });
  } catch (e) {
    port.post({ type: 'load-error', dir, message: (e as Error).message });
  }
}

const forwardDelayMs = Number(process.env[FORWARD_DELAY_ENV] ?? 0);
const hangAtForward = Number(process.env[HANG_AT_FORWARD_ENV] ?? 0);

async function generate(msg: Extract<ToEngine, { type: 'generate' }>, signal: AbortSignal): Promise<void> {
  if (!engine) return port.post({ type: 'run-error', requestId: msg.requestId, message: 'no model is loaded' });
  let forwards = 0;
  const beforeForward = async (req: { ids: ArrayLike<number>; rows: number }) => {
    // Forwards that return rows end in a step event; the others would look like silence to the watchdog.
    if (req.rows === 0) port.post({ type: 'forward', requestId: msg.requestId, tokens: req.ids.length });
    forwards++;
    if (forwardDelayMs > 0) await new Promise((r) => setTimeout(r, forwardDelayMs));
    if (forwards === hangAtForward) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_600_000);
  };
  try {
    for await (const event of engine.generate({
      prompt: msg.prompt,
      params: msg.params,
      signal,
      beforeForward,
      candidates: msg.candidates === true,
    })) {
      port.post({ type: 'event', requestId: msg.requestId, event });
    }
  } catch (e) {
    port.post({ type: 'run-error', requestId: msg.requestId, message: (e as Error).message });
  }
}

port.onMessage((msg) => {
  switch (msg.type) {
    case 'load':
      loads = loads.then(() => load(msg.dir, msg.provider));
      break;
    case 'generate': {
      const abort = new AbortController();
      // finally() runs a microtask later, so the entry is always set before it is deleted.
      const done = generate(msg, abort.signal).finally(() => running.delete(msg.requestId));
      running.set(msg.requestId, { abort, done });
      break;
    }
    case 'stop':
      running.get(msg.requestId)?.abort.abort();
      break;
  }
});
port.post({ type: 'ready', pid: process.pid, rss: process.memoryUsage().rss });
