import { fork } from 'node:child_process';
import type { FromEngine, ToEngine } from './protocol.js';

/** A started engine process, whatever started it. */
export interface EngineChild {
  readonly pid: number | undefined;
  post(msg: ToEngine): void;
  onMessage(listener: (msg: FromEngine) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type Launcher = () => EngineChild;

/**
 * Node's child_process: browser mode and tests. `execArgv` lets tests run the .ts entry via tsx;
 * `env` (default: this process's) lets them set test hooks for the child alone.
 */
export function nodeLauncher(entry: string, execArgv: string[] = [], env?: NodeJS.ProcessEnv): Launcher {
  return () => {
    const child = fork(entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => {
        if (child.connected) child.send(msg);
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromEngine)),
      onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}
