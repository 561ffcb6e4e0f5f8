/**
 * The engine process: holds the ORT session and runs decoding, so `session.run()` never blocks
 * main's event loop. Started by Electron's utilityProcess (process.parentPort) or, in browser
 * mode and tests, by Node's child_process.fork (process.send).
 */
import { Engine } from '../engine/engine.js';
import type { FromEngine, ToEngine } from './protocol.js';

interface Port {
  post(msg: FromEngine): void;
  onMessage(listener: (msg: ToEngine) => void): void;
}

function connect(): Port {
  const electronPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (ev: { data: unknown }) => void): void } }).parentPort;
  if (electronPort) return { post: (m) => electronPort.postMessage(m), onMessage: (l) => electronPort.on('message', (ev) => l(ev.data as ToEngine)) };
  if (!process.send) throw new Error('engine-process must be started by the app (no parent port)');
  return { post: (m) => process.send!(m), onMessage: (l) => process.on('message', (m) => l(m as ToEngine)) };
}

const port = connect();
let engine: Engine | null = null;
const running = new Map<string, AbortController>();

async function load(dir: string, provider: Extract<ToEngine, { type: 'load' }>['provider']): Promise<void> {
  for (const c of running.values()) c.abort();
  try {
    const next = await Engine.load(dir, { provider });
    await engine?.dispose();
    engine = next;
    port.post({ type: 'loaded', dir, provider: next.provider, fallbacks: next.fallbacks.map((f) => `${f.provider}: ${f.error}`) });
  } catch (e) {
    port.post({ type: 'load-error', dir, message: (e as Error).message });
  }
}

async function generate(msg: Extract<ToEngine, { type: 'generate' }>): Promise<void> {
  if (!engine) return port.post({ type: 'run-error', requestId: msg.requestId, message: 'no model is loaded' });
  const ac = new AbortController();
  running.set(msg.requestId, ac);
  try {
    for await (const event of engine.generate({ prompt: { messages: msg.messages }, params: msg.params, signal: ac.signal })) {
      port.post({ type: 'event', requestId: msg.requestId, event });
    }
  } catch (e) {
    port.post({ type: 'run-error', requestId: msg.requestId, message: (e as Error).message });
  } finally {
    running.delete(msg.requestId);
  }
}

port.onMessage((msg) => {
  switch (msg.type) {
    case 'load':
      void load(msg.dir, msg.provider);
      break;
    case 'generate':
      void generate(msg);
      break;
    case 'stop':
      running.get(msg.requestId)?.abort();
      break;
  }
});
port.post({ type: 'ready', pid: process.pid });
