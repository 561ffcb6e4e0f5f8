/**
 * Runs benchmark measurements in child processes (bench/bench-child.ts), one per measurement, so
 * each one's memory figures are its own. Children started here are killed if the parent is
 * interrupted; temporary folders registered here are removed on any exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULT_MARK = '@@RESULT ';
const CHILD = fileURLToPath(new URL('./bench-child.ts', import.meta.url));

const active = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];
let installed = false;

/** Runs `cleanup` once when the process exits, however it exits (normal end, error, Ctrl-C, SIGTERM). */
export function onExit(cleanup: () => void): void {
  cleanups.push(cleanup);
  if (installed) return;
  installed = true;
  const runAll = () => {
    for (const c of active) c.kill('SIGKILL');
    active.clear();
    while (cleanups.length) {
      try {
        cleanups.pop()!();
      } catch {
        // keep going: the other cleanups still matter
      }
    }
  };
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      runAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    runAll();
    process.exit(1);
  });
}

/** Removes `dir` (recursively) when the process exits, unless `keep`. */
export function removeOnExit(dir: string, keep = false): void {
  onExit(() => {
    if (keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });
}

/** Runs one measurement in a fresh child process and returns its result. */
export function runChild<T>(mode: string, params: object, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, mode, JSON.stringify(params)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    active.add(child);
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      active.delete(child);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_MARK.length)) as T);
      else
        reject(
          new Error(
            `bench child "${mode}" ${signal ? `was killed by ${signal} (out of memory?)` : `exited with code ${code}`}${out.trim() ? `: ${out.trim().slice(-500)}` : ''}`,
          ),
        );
    });
  });
}
