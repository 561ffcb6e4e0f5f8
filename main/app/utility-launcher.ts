import { utilityProcess } from 'electron';
import type { Launcher } from '../engine-host/launchers.js';
import type { FromEngine } from '../engine-host/protocol.js';

/** Electron's utilityProcess: a Node process owned by the app, off main's event loop. */
export function utilityLauncher(entry: string): Launcher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'DiffCoder engine', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => child.postMessage(msg),
      onMessage: (l) => child.on('message', (m: unknown) => l(m as FromEngine)),
      onExit: (l) => child.on('exit', (code: number) => l(code, null)),
      kill: () => child.kill(),
    };
  };
}
