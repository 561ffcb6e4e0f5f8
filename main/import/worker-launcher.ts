import { fork } from 'node:child_process';
import type { FromWorker, ToWorker } from './protocol.js';

/** A started conversion worker, whatever started it (Node's fork here, Electron's utilityProcess in main/app). */
export interface WorkerChild {
  readonly pid: number | undefined;
  post(msg: ToWorker): void;
  onMessage(listener: (msg: FromWorker) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Ends the worker at once: it is blocked in a synchronous conversion and could not handle a message. */
  kill(): void;
}

export type WorkerLauncher = () => WorkerChild;

/**
 * Node's child_process.fork: browser mode and tests (`execArgv` lets tests run the .ts entry through tsx).
 * Electron's main must not use this: there `process.execPath` is the app binary, and the packaged app turns the
 * runAsNode fuse off (electron-builder.yml), so ELECTRON_RUN_AS_NODE cannot make it a Node. It uses utilityProcess.
 */
export function nodeWorkerLauncher(entry: string, execArgv: string[] = []): WorkerLauncher {
  return () => {
    const child = fork(entry, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => {
        if (child.connected) child.send(msg);
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
      onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
      kill: () => {
        child.kill('SIGKILL');
      },
    };
  };
}
