import { app, utilityProcess } from 'electron';
import type { Launcher } from '../engine-host/launchers.js';
import type { FromEngine } from '../engine-host/protocol.js';

/** Electron's reasons for a child process going away that mean "the system killed it". */
const KILLED_REASONS = new Set(['oom', 'killed', 'memory-eviction']);

/** Electron's utilityProcess: a Node process owned by the app, off main's event loop. */
export function utilityLauncher(entry: string): Launcher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'DiffCoder engine', stdio: 'inherit' });
    // utilityProcess 'exit' carries only a code; the reason (an OOM kill) arrives on the app's
    // child-process-gone. The host reports SIGKILL as "ran out of memory" and does not retry the load.
    let goneReason: string | null = null;
    const onGone = (_e: unknown, details: { type: string; reason: string; serviceName?: string }) => {
      if (details.type === 'Utility' && details.serviceName === 'DiffCoder engine') goneReason = details.reason;
    };
    app.on('child-process-gone', onGone);
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => child.postMessage(msg),
      onMessage: (l) => child.on('message', (m: unknown) => l(m as FromEngine)),
      onExit: (l) =>
        child.on('exit', (code: number) => {
          // Give child-process-gone, which may be emitted just after, a moment to arrive.
          setTimeout(() => {
            app.off('child-process-gone', onGone);
            l(code, goneReason && KILLED_REASONS.has(goneReason) ? 'SIGKILL' : null);
          }, 50);
        }),
      kill: () => child.kill(),
    };
  };
}
