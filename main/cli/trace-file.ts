/** `--trace FILE` for generate and infill: the run's trace (common/trace.ts, docs/trace.md) written as JSON at its end. */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DecodeEvent } from '../../common/decode-events.js';
import { TraceRecorder } from '../../common/trace.js';
import { UsageError } from './args.js';

export const TRACE_USAGE =
  '      --trace FILE           write the decoding trace (every step, docs/trace.md) to FILE as JSON';

/** Checks FILE's folder before the run (a long run should not fail at its end), then records every event. */
export function traceFile(file: string | undefined): { add(ev: DecodeEvent): void; write(): string | null } | null {
  if (file === undefined) return null;
  const path = resolve(file);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--trace: no folder ${dir}`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--trace: ${path} is a folder`);
  const recorder = new TraceRecorder();
  return {
    add: (ev) => recorder.add(ev),
    write: () => {
      const trace = recorder.trace();
      if (!trace) return null;
      // Written whole then renamed: an interrupted write never leaves half a trace under the name.
      const tmp = `${path}.partial-${process.pid}`;
      writeFileSync(tmp, `${JSON.stringify(trace)}\n`);
      renameSync(tmp, path);
      return path;
    },
  };
}
