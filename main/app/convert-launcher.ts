import { utilityProcess } from 'electron';
import type { FromWorker } from '../import/protocol.js';
import type { WorkerLauncher } from '../import/worker-launcher.js';

/**
 * The conversion worker in Electron: a utilityProcess, like the engine (utility-launcher.ts). Not child_process.fork:
 * that needs ELECTRON_RUN_AS_NODE, which the packaged app's runAsNode fuse switches off (electron-builder.yml).
 */
export function utilityWorkerLauncher(entry: string): WorkerLauncher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'DiffCoder model import', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => child.postMessage(msg),
      onMessage: (l) => child.on('message', (m: unknown) => l(m as FromWorker)),
      onExit: (l) => child.on('exit', (code: number) => l(code, null)),
      // SIGTERM on POSIX; the worker installs no handler, so it ends even while blocked in the conversion.
      kill: () => void child.kill(),
    };
  };
}
