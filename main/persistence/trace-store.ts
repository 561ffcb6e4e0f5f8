import { readdirSync, readFileSync, rmdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packTrace, parseTrace, unpackTrace, type PackedTrace, type Trace } from '../../common/trace.js';
import { removeStaleTemps } from './atomic-file.js';
import { saveJson } from './json-store.js';

/** The contract's id rule: a name made of these never leaves the folder it is joined to. */
const ID = /^[A-Za-z0-9_-]{1,128}$/;

/** All traces together may weigh this much on disk before the oldest are removed. */
export const DEFAULT_TRACE_CAP_BYTES = 64 * 1024 * 1024;

export interface TraceStoreOptions {
  capBytes?: number;
  log?: (message: string) => void;
}

interface StoredFile {
  path: string;
  bytes: number;
  mtimeNs: bigint;
}

/**
 * Decoding traces (common/trace.ts), one packed JSON file per message under
 * <userData>/traces/<conversationId>/<messageId>.json: a conversation's traces are one folder, so deleting
 * the conversation deletes them with one rm. Traces are derived data (a run can be made again), so the
 * store is capped: after each save the oldest files (by write time) go until the total fits, and a file
 * that does not read is removed rather than set aside (it would only count against the cap).
 */
export class TraceStore {
  readonly capBytes: number;
  private readonly dir: string;
  private readonly log: (m: string) => void;

  constructor(userData: string, opts: TraceStoreOptions = {}) {
    this.dir = join(userData, 'traces');
    this.capBytes = opts.capBytes ?? DEFAULT_TRACE_CAP_BYTES;
    this.log = opts.log ?? ((m) => console.error(m));
    mkdirSync(this.dir, { recursive: true });
    for (const c of this.conversationDirs()) removeStaleTemps(join(this.dir, c), (t) => t.endsWith('.json'));
  }

  /**
   * Stores (or replaces) a message's trace, then prunes the oldest traces past the cap. A trace that alone
   * is over the cap is not stored (logged). Throws when the file cannot be written (the caller logs it).
   */
  save(conversationId: string, messageId: string, trace: Trace): void {
    checkId(conversationId);
    checkId(messageId);
    const json = JSON.stringify(packTrace(trace));
    const bytes = Buffer.byteLength(json);
    if (bytes > this.capBytes) {
      this.log(
        `trace of ${conversationId}/${messageId} not stored: ${bytes} bytes is over the traces' cap (${this.capBytes} bytes)`,
      );
      return;
    }
    const folder = join(this.dir, conversationId);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${messageId}.json`);
    saveJson(path, json, 'trace');
    this.prune(path);
  }

  /** A message's trace; null when there is none or it does not read (a damaged file is removed). */
  get(conversationId: string, messageId: string): Trace | null {
    if (!ID.test(conversationId) || !ID.test(messageId)) return null;
    const path = join(this.dir, conversationId, `${messageId}.json`);
    let text: string;
    try {
      if (!statSync(path).isFile()) return null;
      text = readFileSync(path, 'utf8');
    } catch {
      return null;
    }
    let problem: string;
    try {
      const packed: unknown = JSON.parse(text);
      if (!isPacked(packed)) problem = 'not a packed trace';
      else {
        const r = parseTrace(unpackTrace(packed));
        if (r.ok) return r.trace;
        problem = r.error;
      }
    } catch (e) {
      problem = (e as Error).message;
    }
    this.log(`trace ${conversationId}/${messageId} could not be read (${problem}); removed`);
    rmSync(path, { force: true });
    return null;
  }

  deleteConversation(conversationId: string): void {
    checkId(conversationId);
    rmSync(join(this.dir, conversationId), { recursive: true, force: true });
  }

  /** Removes every trace. */
  clear(): void {
    for (const c of this.conversationDirs()) rmSync(join(this.dir, c), { recursive: true, force: true });
  }

  usage(): { bytes: number; count: number } {
    const files = this.files();
    return { bytes: files.reduce((n, f) => n + f.bytes, 0), count: files.length };
  }

  /** Oldest first until the total fits the cap; `keep` (just written, and within the cap) is never removed. */
  private prune(keep: string): void {
    const files = this.files();
    let total = files.reduce((n, f) => n + f.bytes, 0);
    if (total <= this.capBytes) return;
    files.sort((a, b) => (a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : a.path < b.path ? -1 : 1));
    for (const f of files) {
      if (total <= this.capBytes) break;
      if (f.path === keep) continue;
      try {
        rmSync(f.path, { force: true });
        total -= f.bytes;
      } catch (e) {
        this.log(`could not remove the old trace ${f.path}: ${(e as Error).message}`);
      }
      // Its conversation's folder, when that was its last trace (fails, harmlessly, while others remain).
      try {
        rmdirSync(join(f.path, '..'));
      } catch {
        // not empty
      }
    }
  }

  private conversationDirs(): string[] {
    try {
      return readdirSync(this.dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && ID.test(d.name))
        .map((d) => d.name);
    } catch {
      return [];
    }
  }

  /** Every stored trace file (temp files of a save in progress and foreign names are not counted). */
  private files(): StoredFile[] {
    const out: StoredFile[] = [];
    for (const c of this.conversationDirs()) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, c));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith('.json') || !ID.test(name.slice(0, -'.json'.length))) continue;
        const path = join(this.dir, c, name);
        try {
          const st = statSync(path, { bigint: true });
          if (st.isFile()) out.push({ path, bytes: Number(st.size), mtimeNs: st.mtimeNs });
        } catch {
          // removed meanwhile
        }
      }
    }
    return out;
  }
}

function checkId(id: string): void {
  if (!ID.test(id)) throw new Error(`invalid id ${JSON.stringify(id.slice(0, 40))}: ids are letters, digits, - and _`);
}

/**
 * Enough of the packed shape for unpackTrace to run on it (consistent column lengths, counts that are small
 * non-negative integers, so a damaged file cannot make it loop for ever); parseTrace then checks the trace.
 */
function isPacked(v: unknown): v is PackedTrace {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  if (p.format !== 'diffcoder-trace-packed' || p.version !== 1 || !p.head || typeof p.head !== 'object') return false;
  const numbers = (k: string) => Array.isArray(p[k]) && (p[k] as unknown[]).every((x) => typeof x === 'number');
  const counts = (k: string) => (p[k] as number[]).every((x) => Number.isSafeInteger(x) && x >= 0);
  const sum = (k: string) => (p[k] as number[]).reduce((a, b) => a + b, 0);
  const len = (k: string) => (p[k] as unknown[]).length;
  if (!['block', 'step', 'ms10', 'count', 'pos', 'tok', 'conf'].every(numbers) || !counts('count')) return false;
  const n = len('block');
  if (len('step') !== n || len('ms10') !== n || len('count') !== n) return false;
  const commits = sum('count');
  if (len('pos') !== commits || len('tok') !== commits || len('conf') !== commits) return false;
  // Top candidates (optional): one count per commit, then their ids and probabilities.
  const cand = ['candCount', 'candTok', 'candProb'].filter((k) => p[k] !== undefined);
  if (cand.length === 0) return true;
  if (cand.length !== 3 || !cand.every(numbers) || !counts('candCount') || len('candCount') !== commits) return false;
  return len('candTok') === sum('candCount') && len('candProb') === sum('candCount');
}
