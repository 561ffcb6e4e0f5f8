import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Test-only: when set to a marker file's path, saveFileAtomic writes that marker (its content:
 * the temp file's path) once the temp file is complete and fsynced, then blocks until the
 * marker is deleted (at most 2 minutes) before renaming. An end-to-end test kills the process
 * there and checks that the original file is intact.
 */
export const SAVE_PAUSE_ENV = 'DIFFCODER_TEST_SAVE_PAUSE_FILE';

export interface AtomicSaveOptions {
  /** Permission bits for the new file (e.g. the original's mode & 0o7777); default: 0o666 less the umask. */
  mode?: number;
}

/**
 * Writes all of `bytes`. writeSync makes one write(2), which may write less than asked (a full
 * disk, a file size limit, a signal); the rest is written in a loop, and a write that makes no
 * progress or fails (ENOSPC, EFBIG, EIO) throws.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off);
    if (!(n > 0)) throw new Error(`short write: ${off} of ${bytes.length} bytes written`);
    off += n;
  }
}

/**
 * Replaces `path` with `bytes` so that a crash or a failed write leaves either the old or the
 * new content, never half of one: a temp file in the same folder (created exclusively, chmod to
 * `mode`), every byte written and checked, fsync, rename over the target, fsync the folder. On
 * any failure before the rename the temp file is removed and the target is untouched. `path`
 * must be the real target (a symlink at `path` is replaced by the file, not followed).
 */
export function saveFileAtomic(path: string, bytes: Uint8Array, opts: AtomicSaveOptions = {}): void {
  writeAtomic(path, bytes, opts, true);
}

/** saveFileAtomic for the app's own JSON files (conversations, settings, workspace state). */
export function writeFileAtomic(path: string, data: string): void {
  writeAtomic(path, Buffer.from(data, 'utf8'), {}, false);
}

function writeAtomic(path: string, bytes: Uint8Array, opts: AtomicSaveOptions, pausable: boolean): void {
  const dir = dirname(path);
  // Hidden, unique, and short enough for NAME_MAX whatever the target's name.
  const tmp = join(dir, `.${basename(path).slice(0, 200)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, opts.mode ?? 0o666);
  let renamed = false;
  try {
    try {
      // open()'s mode is masked by the umask; the original's mode is restored exactly.
      if (opts.mode !== undefined && process.platform !== 'win32') fchmodSync(fd, opts.mode);
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (pausable) testPause(tmp);
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) rmSync(tmp, { force: true });
  }
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some platforms (Windows) cannot open a folder for fsync; the rename is still atomic.
  }
}

/** The temp files writeAtomic makes: `.<name>.<pid>-<8 hex>.tmp` beside the target. */
const TEMP_FILE = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** A temp file older than this is stale even if its pid is alive again (pids are reused). */
const STALE_TEMP_MS = 60 * 60_000;

/**
 * Removes the temp files left in `dir` by saves that were interrupted (a crash or kill between
 * the temp file and the rename): only regular files named like writeAtomic's temps for a target
 * `keep(name)` accepts (the app's own files, e.g. `*.json`), whose process is gone or that are over
 * an hour old. Meant for the app's own data folders at start, never for a workspace (the user's
 * files). Returns the names removed; a file that cannot be removed is left alone.
 */
export function removeStaleTemps(dir: string, keep: (target: string) => boolean): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_FILE.exec(name);
    if (!m || !keep(m[1])) continue;
    const pid = Number(m[2]);
    try {
      const st = lstatSync(join(dir, name));
      if (!st.isFile()) continue;
      if (pid !== process.pid && processAlive(pid) && Date.now() - st.mtimeMs < STALE_TEMP_MS) continue;
      rmSync(join(dir, name));
      removed.push(name);
    } catch {
      // read-only folder, or removed meanwhile: nothing to do
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function testPause(tmp: string): void {
  const marker = process.env[SAVE_PAUSE_ENV];
  if (!marker) return;
  writeFileSync(marker, tmp);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 120_000;
  while (existsSync(marker) && Date.now() < until) Atomics.wait(cell, 0, 0, 20);
}
