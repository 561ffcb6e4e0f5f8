/**
 * File operations inside a workspace root (an absolute real path): list a folder, read a text
 * file, save one atomically with conflict detection, stat files for external changes. Every
 * path goes through paths.ts first. No Electron import: the app, browser mode and the CLI share it.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import {
  FILE_SIZE_LIMIT,
  LIST_LIMIT,
  type DirEntry,
  type FileStat,
  type FileVersion,
  type SaveRequest,
  type SaveResult,
  type TextFile,
} from '../../common/workspace.js';
import { saveFileAtomic } from '../persistence/atomic-file.js';
import { fsRefusal, isInside, realpath, resolveExisting, resolveForWrite, WorkspaceError } from './paths.js';
import { decodeText, encodeText, sha256 } from './text-codec.js';

const MB = 1024 * 1024;
/** "12.3 MB", "5 MB". */
export const megabytes = (n: number): string => `${Number.isInteger(n / MB) ? n / MB : (n / MB).toFixed(1)} MB`;

const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Opens a regular file for reading; the caller closes the descriptor. */
function openRegular(real: string, rel: string): { fd: number; stats: Stats } {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in after the checks cannot hang the process; O_NOFOLLOW: nor a symlink.
    fd = openSync(real, READ_FLAGS);
  } catch (e) {
    throw fsRefusal(e, rel);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new WorkspaceError(`${rel || '(workspace root)'} is a directory, not a file`);
    if (!stats.isFile()) throw new WorkspaceError(`${rel} is not a regular file`);
    return { fd, stats };
  } catch (e) {
    closeSync(fd);
    throw e instanceof WorkspaceError ? e : fsRefusal(e, rel);
  }
}

/** Reads a regular file's bytes (refused over `limit`) with its stats from the same descriptor. */
function readRegular(real: string, rel: string, limit: number): { bytes: Buffer; stats: Stats } {
  const { fd, stats } = openRegular(real, rel);
  try {
    if (stats.size > limit)
      throw new WorkspaceError(`file too large: ${megabytes(stats.size)}, the limit is ${megabytes(limit)}`);
    const buf = Buffer.alloc(stats.size + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      // Grew past the limit while being read.
      if (got > limit)
        throw new WorkspaceError(`file too large: over ${megabytes(limit)}, the limit is ${megabytes(limit)}`);
      if (got === buf.length) break;
    }
    return { bytes: buf.subarray(0, got), stats };
  } catch (e) {
    throw e instanceof WorkspaceError ? e : fsRefusal(e, rel);
  } finally {
    closeSync(fd);
  }
}

export function readTextFile(root: string, path: string, limit = FILE_SIZE_LIMIT): TextFile {
  const { rel, real } = resolveExisting(root, path);
  const { bytes, stats } = readRegular(real, rel, limit);
  const decoded = decodeText(bytes);
  if (decoded.binary) throw new WorkspaceError(`binary file: not opened (${decoded.reason})`);
  const { text, encoding, eol, mixedEol } = decoded;
  return { path: rel, text, encoding, eol, mixedEol, size: bytes.length, mtimeMs: stats.mtimeMs, hash: sha256(bytes) };
}

/** The version on disk of an existing regular file (`real` already confined), hashed a chunk at a time whatever its size. */
function currentVersion(real: string, rel: string): FileVersion {
  const { fd, stats } = openRegular(real, rel);
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(1024 * 1024);
    let size = 0;
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) hash.update(chunk.subarray(0, n));
    return { size, mtimeMs: stats.mtimeMs, hash: hash.digest('hex') };
  } catch (e) {
    throw e instanceof WorkspaceError ? e : fsRefusal(e, rel);
  } finally {
    closeSync(fd);
  }
}

/**
 * Saves a text file (see text-codec.ts for encoding and line breaks) unless it changed on disk
 * since `expected` (or exists, when expected is null); `force` overwrites anyway. A file that was
 * deleted since it was read is simply written again. The file keeps its permission bits.
 */
export function saveTextFile(root: string, req: SaveRequest): SaveResult {
  const target = resolveForWrite(root, req.path);
  let mode: number | undefined;
  if (target.exists) {
    let st: Stats;
    try {
      st = statSync(target.real);
    } catch (e) {
      throw fsRefusal(e, target.rel);
    }
    if (st.isDirectory()) throw new WorkspaceError(`${target.rel} is a directory, not a file`);
    if (!st.isFile()) throw new WorkspaceError(`${target.rel} is not a regular file`);
    mode = st.mode & 0o7777;
    if (!req.force) {
      if (req.expected === null) return { saved: false, conflict: 'exists' };
      const now = currentVersion(target.real, target.rel);
      if (now.hash !== req.expected.hash) return { saved: false, conflict: now };
    }
  }
  const bytes = encodeText(req.text, req.encoding, req.eol);
  try {
    saveFileAtomic(target.real, bytes, { mode });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS')
      throw new WorkspaceError(`permission denied: cannot write in the folder of ${target.rel}`);
    throw new WorkspaceError(`could not save ${target.rel}: ${err.message} (the file on disk is unchanged)`);
  }
  const after = statSync(target.real);
  return { saved: true, file: { size: bytes.length, mtimeMs: after.mtimeMs, hash: sha256(bytes) } };
}

/** For external-change detection: each path's version on disk now, or missing, or why not. */
export function statFiles(root: string, paths: string[], limit = FILE_SIZE_LIMIT): FileStat[] {
  // Each answer carries the path exactly as asked, so the renderer can match it to its tab.
  return paths.map((path): FileStat => {
    try {
      const { rel, real } = resolveExisting(root, path);
      const st = statSync(real);
      if (st.isDirectory())
        return { path, state: 'error', error: `${rel || '(workspace root)'} is a directory, not a file` };
      if (!st.isFile()) return { path, state: 'error', error: `${rel} is not a regular file` };
      if (st.size > limit) return { path, state: 'file', size: st.size, mtimeMs: st.mtimeMs, hash: null };
      return { path, state: 'file', ...currentVersion(real, rel) };
    } catch (e) {
      if (e instanceof WorkspaceError && e.missing) return { path, state: 'missing' };
      return { path, state: 'error', error: (e as Error).message };
    }
  });
}

/**
 * A folder's entries, folders first, then by name (case-insensitive, numbers in order). Hidden
 * files are listed; the contents of `.git` folders are not unless `includeGit` (gitHidden: true
 * says they were left out). At most LIST_LIMIT entries (truncated: true beyond).
 */
export function listDir(
  root: string,
  path: string,
  includeGit = false,
): { path: string; entries: DirEntry[]; gitHidden: boolean; truncated: boolean } {
  const { rel, real } = resolveExisting(root, path);
  let st: Stats;
  try {
    st = statSync(real);
  } catch (e) {
    throw fsRefusal(e, rel);
  }
  if (!st.isDirectory()) throw new WorkspaceError(`not a folder: ${rel}`);
  if (!includeGit && rel.split('/').includes('.git'))
    return { path: rel, entries: [], gitHidden: true, truncated: false };
  let names: string[];
  try {
    names = readdirSync(real);
  } catch (e) {
    throw fsRefusal(e, rel);
  }
  const entries = names.map((name): DirEntry => {
    const abs = join(real, name);
    const path = rel ? `${rel}/${name}` : name;
    try {
      const l = lstatSync(abs);
      if (!l.isSymbolicLink())
        return {
          name,
          path,
          kind: l.isDirectory() ? 'dir' : l.isFile() ? 'file' : 'other',
          size: l.isFile() ? l.size : 0,
          symlink: false,
        };
      let target: string;
      try {
        target = realpath(abs);
      } catch {
        return { name, path, kind: 'other', size: 0, symlink: true };
      }
      if (!isInside(root, target)) return { name, path, kind: 'symlink-outside', size: 0, symlink: true };
      const t = statSync(target);
      return {
        name,
        path,
        kind: t.isDirectory() ? 'dir' : t.isFile() ? 'file' : 'other',
        size: t.isFile() ? t.size : 0,
        symlink: true,
      };
    } catch {
      // Vanished between readdir and lstat, or unreadable: listed, not openable.
      return { name, path, kind: 'other', size: 0, symlink: false };
    }
  });
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  entries.sort(
    (a, b) =>
      Number(b.kind === 'dir') - Number(a.kind === 'dir') ||
      collator.compare(a.name, b.name) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return { path: rel, entries: entries.slice(0, LIST_LIMIT), gitHidden: false, truncated: entries.length > LIST_LIMIT };
}
