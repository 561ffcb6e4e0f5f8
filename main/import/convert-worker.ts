/**
 * The conversion worker: one process per import, separate from main and from the engine process, so a long
 * convertCheckpoint (synchronous, minutes for an 8B checkpoint) blocks neither the UI nor chat. Started by Electron's
 * utilityProcess (process.parentPort) or by Node's child_process.fork (process.send). Converts once, then exits.
 *
 * Cancel is a kill: the event loop is blocked while converting, so no message could be handled; main then removes
 * `${modelDir}.partial-${pid}`. If main itself dies, the check in onProgress ends the conversion instead (its catch
 * removes the partial folder).
 */
import { readFileSync } from 'node:fs';
import { convertCheckpoint } from '../model/convert.js';
import { PROGRESS_INTERVAL_MS, type FromWorker, type ToWorker } from './protocol.js';

interface Port {
  /** `sent` runs once the message has left this process (process.send is asynchronous). */
  post(msg: FromWorker, sent?: () => void): void;
  onMessage(listener: (msg: ToWorker) => void): void;
}

type ParentPort = { postMessage(m: unknown): void; on(e: 'message', l: (ev: { data: unknown }) => void): void };

function connect(): Port {
  const electronPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (electronPort) {
    // postMessage hands the message to Mojo synchronously.
    return {
      post: (m, sent) => (electronPort.postMessage(m), sent?.()),
      onMessage: (l) => electronPort.on('message', (ev) => l(ev.data as ToWorker)),
    };
  }
  if (!process.send) throw new Error('convert-worker must be started by the app (no parent port)');
  return {
    post: (m, sent) => process.send!(m, undefined, {}, () => sent?.()),
    onMessage: (l) => process.on('message', (m) => l(m as ToWorker)),
  };
}

class ParentGone extends Error {}

/**
 * Whether the process that started this one still runs. process.ppid is read once at start-up, so it cannot tell;
 * Linux names the current parent in /proc (a dead app's children are re-parented), elsewhere the pid is probed.
 */
function parentAlive(parent: number): boolean {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
    }
    process.kill(parent, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Converts, then reports the outcome and exits once that report has been sent. */
function convert(port: Port, msg: ToWorker): void {
  const finish = (m: FromWorker) => port.post(m, () => process.exit(0));
  port.post({ type: 'started', pid: process.pid });
  // Main's death would never reach a blocked event loop as a 'disconnect': ask at each progress tick instead.
  const parent = process.ppid;
  let last = 0;
  let done = { doneBytes: 0, totalBytes: 0 };
  try {
    convertCheckpoint(msg.checkpointDir, msg.modelDir, {
      dtype: msg.dtype,
      onProgress: (doneBytes, totalBytes, tensor) => {
        done = { doneBytes, totalBytes };
        const now = Date.now();
        if (now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        if (!parentAlive(parent)) throw new ParentGone('the app that started this import has exited');
        port.post({ type: 'progress', doneBytes, totalBytes, tensor });
      },
    });
    finish({ type: 'done', ...done });
  } catch (e) {
    if (e instanceof ParentGone) process.exit(1);
    finish({ type: 'error', message: (e as Error).message || String(e) });
  }
}

const port = connect();
port.onMessage((msg) => {
  if (msg?.type === 'convert') convert(port, msg);
});
