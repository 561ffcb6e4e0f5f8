import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import type { LoadNotice } from '../../common/models.js';
import { writeFileAtomic } from './atomic-file.js';

/** Opening a FIFO for reading blocks until a writer comes; O_NONBLOCK makes it return at once (then fstat says what it is). */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Reads a regular file's text; null when nothing is there. Anything else with the name (a FIFO, a
 * socket, a device, a folder) is never read: opened without blocking, then refused by fstat.
 */
function readRegularFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // EISDIR on some platforms for a folder: not a file either.
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new NotRegularFile();
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new NotRegularFile();
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

class NotRegularFile extends Error {
  constructor() {
    super('not a regular file');
  }
}

/**
 * Reads a JSON file that must match `schema`. A damaged file (unparsable or invalid) is renamed
 * aside with a timestamp, never deleted, and reported as a notice; the caller gets null. When it
 * cannot be renamed (a read-only data folder), it is reported and left where it is. A name that is
 * not a regular file (a FIFO, a folder) is reported and skipped, never opened for reading.
 */
export function readValidated<T>(path: string, schema: z.ZodType<T>, notices: LoadNotice[]): T | null {
  const file = basename(path);
  let problem: string;
  try {
    const text = readRegularFile(path);
    if (text === null) return null;
    const parsed = schema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    problem = `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  } catch (e) {
    if (e instanceof NotRegularFile) {
      notices.push({ file, message: 'is not a regular file (a FIFO, socket, device or folder); skipped' });
      return null;
    }
    problem = (e as Error).message;
  }
  const aside = `${path}.damaged-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    // Read-only folder (EACCES, EPERM, EROFS): the file stays; the rest still loads.
    notices.push({
      file,
      message: `could not be read (${problem}); it could not be set aside either (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}), so it stays as it is`,
    });
    return null;
  }
  notices.push({ file, message: `could not be read (${problem}); kept as ${basename(aside)}` });
  return null;
}

/**
 * Writes one of the app's JSON files atomically (atomic-file.ts). On failure nothing on disk has
 * changed, and the error says so in words, naming what was not saved: "disk full: conversation not
 * saved; the copy on disk is unchanged (ENOSPC: …)".
 */
export function saveJson(path: string, json: string, what: string): void {
  try {
    writeFileAtomic(path, json);
  } catch (e) {
    throw new Error(saveFailureMessage(e, what), { cause: e });
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file size limit reached',
  EROFS: 'the data folder is on a read-only disk',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'disk error',
};

function saveFailureMessage(e: unknown, what: string): string {
  const err = e as NodeJS.ErrnoException;
  const reason = (err.code && REASONS[err.code]) ?? 'save failed';
  return `${reason}: ${what} not saved; the copy on disk is unchanged (${err.message})`;
}
