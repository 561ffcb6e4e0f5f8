/**
 * `npm run cli -- infill`: fill in the middle of a file at a position or over a range, the same
 * code path as the editor (an `infill` prompt through Engine.generate). Without --write the file is
 * untouched and the middle is printed; with --write it is saved atomically as prefix + middle +
 * suffix, byte for byte (BOM and line endings of the rest of the file untouched).
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { InfillPrompt } from '../../common/prompt.js';
import { PositionError, splitAround, type TextPosition } from '../../common/text-position.js';
import { saveFileAtomic } from '../persistence/atomic-file.js';
import { DECODE_FLAGS, decodeParamsFromFlags, int, UsageError } from './args.js';
import { interruptSignal, loadEngine } from './load.js';
import { traceFile, TRACE_USAGE } from './trace-file.js';

export const INFILL_USAGE = `  npm run cli -- infill --file PATH --line L --column C [--end-line L2 --end-column C2] [flags]
      lines and columns are 1-based (columns in UTF-16 code units, line breaks in no column);
      L2:C2 ends a selection to replace (exclusive); without it the middle is inserted at L:C
      --gen-length N --steps N --threshold T ... --model DIR --provider P   as for generate
      --write                save the file as prefix + middle + suffix (atomically)
      --json                 step lines, then {"type":"done","middle",...}
${TRACE_USAGE}`;

/** Text files only: the model reads text, and a save must give back every other byte as it was. */
function readText(path: string): { text: string; bom: boolean; mode: number } {
  let bytes: Buffer;
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--file: ${path} is not a file`);
    mode = st.mode & 0o7777;
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.includes(0)) throw new UsageError(`--file: ${path} is a binary file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new UsageError(`--file: ${path} is not UTF-8 text`);
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  return { text: bom ? text.slice(1) : text, bom, mode };
}

function position(
  values: Record<string, string | boolean | undefined>,
  line: string,
  column: string,
): TextPosition | undefined {
  const l = int(line, values[line] as string | undefined);
  const c = int(column, values[column] as string | undefined);
  if (l === undefined && c === undefined) return undefined;
  if (l === undefined || c === undefined) throw new UsageError(`--${line} and --${column} go together`);
  return { line: l, column: c };
}

export async function infill(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...DECODE_FLAGS,
      file: { type: 'string' },
      line: { type: 'string' },
      column: { type: 'string' },
      'end-line': { type: 'string' },
      'end-column': { type: 'string' },
      write: { type: 'boolean' },
      trace: { type: 'string' },
    },
  });
  if (!values.file) throw new UsageError('infill needs --file PATH');
  const start = position(values, 'line', 'column');
  if (!start) throw new UsageError('infill needs --line and --column');
  const end = position(values, 'end-line', 'end-column') ?? start;
  const file = readText(values.file);
  let parts: ReturnType<typeof splitAround>;
  try {
    parts = splitAround(file.text, start, end, ['--line/--column', '--end-line/--end-column']);
  } catch (e) {
    if (e instanceof PositionError) throw new UsageError(e.message);
    throw e;
  }
  const params = decodeParamsFromFlags(values);
  const trace = traceFile(values.trace);
  const engine = await loadEngine(values.model, values.provider);
  try {
    const prompt: InfillPrompt = {
      kind: 'infill',
      prefix: parts.prefix,
      suffix: parts.suffix,
      file: values.file,
      range: { start, end },
    };
    const promptIds = engine.promptIds(prompt, params.genLength ?? engine.defaults.genLength);
    const json = values.json === true;
    for await (const ev of engine.generate({ prompt, promptIds, params, signal: interruptSignal() })) {
      trace?.add(ev);
      if (ev.type === 'step' && json) process.stdout.write(`${JSON.stringify(ev)}\n`);
      if (ev.type !== 'done') continue;
      if (values.write && ev.stopReason !== 'cancelled') {
        const out = (file.bom ? '\uFEFF' : '') + parts.prefix + ev.text + parts.suffix;
        saveFileAtomic(values.file, Buffer.from(out, 'utf8'), { mode: file.mode });
      }
      if (json) {
        const done = {
          type: 'done',
          middle: ev.text,
          tokenIds: ev.tokenIds,
          promptIds,
          range: { start, end },
          stopReason: ev.stopReason,
          stats: ev.stats,
          written: !!values.write && ev.stopReason !== 'cancelled',
        };
        process.stdout.write(`${JSON.stringify(done)}\n`);
      } else {
        process.stdout.write(`${ev.text}\n`);
        const s = ev.stats;
        process.stderr.write(
          `${ev.stopReason} · ${s.tokens} tokens · ${s.forwards} forwards · ${s.tokensPerSecond.toFixed(1)} tok/s · ${s.provider}${values.write && ev.stopReason !== 'cancelled' ? ` · wrote ${values.file}` : ''}\n`,
        );
      }
    }
    const written = trace?.write();
    if (written) process.stderr.write(`trace: ${written}\n`);
  } finally {
    await engine.dispose();
  }
  return 0;
}
