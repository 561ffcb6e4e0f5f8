/**
 * Path confinement: every path the renderer sends is workspace-relative; it is checked
 * lexically (common/workspace.ts pathProblem), joined to the root and resolved with realpath,
 * and the real path must stay inside the root's real path. A symlink (the file itself or any
 * parent folder) whose target is outside is refused like '..'.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { pathProblem, pathSegments } from '../../common/workspace.js';

/** A refusal worth showing as is ("outside the workspace", "not found: a/b.ts", ...). */
export class WorkspaceError extends Error {
  constructor(
    message: string,
    /** The path does not exist (files:stat reports it as missing). */
    readonly missing = false,
  ) {
    super(message);
  }
}

export const realpath = (p: string): string => realpathSync.native(p);

/** True when `real` (a real path) is `root` or below it. */
export function isInside(root: string, real: string): boolean {
  const r = relative(root, real);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

/** The normalised relative path ('' for the root); throws WorkspaceError for NUL, absolute and '..' escapes. */
export function normalise(rel: string): string {
  if (typeof rel !== 'string') throw new WorkspaceError('a path is required');
  const problem = pathProblem(rel);
  if (problem) throw new WorkspaceError(problem);
  return pathSegments(rel).join('/');
}

const outside = (rel: string) => new WorkspaceError(`"${rel}" is outside the workspace (a symlink leads out of it)`);

/** Turns an fs error into a refusal that names the relative path. */
export function fsRefusal(e: unknown, rel: string): Error {
  const err = e as NodeJS.ErrnoException;
  const shown = rel || '(workspace root)';
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new WorkspaceError(`not found: ${shown}`, true);
    case 'EACCES':
    case 'EPERM':
      return new WorkspaceError(`permission denied: ${shown}`);
    case 'EISDIR':
      return new WorkspaceError(`${shown} is a directory, not a file`);
    case 'ELOOP':
      return new WorkspaceError(`${shown}: too many levels of symlinks`);
    case 'ENAMETOOLONG':
      return new WorkspaceError(`${shown}: name too long`);
    default:
      return err instanceof WorkspaceError ? err : new WorkspaceError(`${shown}: ${err.message}`);
  }
}

/** An existing file or folder: its normalised relative path and its real path inside `root`. */
export function resolveExisting(root: string, rel: string): { rel: string; real: string } {
  const norm = normalise(rel);
  const joined = join(root, ...norm.split('/'));
  let real: string;
  try {
    real = realpath(joined);
  } catch (e) {
    // Not there: still say "outside" when the path goes through a symlink that leads out.
    if (norm && leadsOutside(root, norm)) throw outside(norm);
    throw fsRefusal(e, norm);
  }
  if (!isInside(root, real)) throw outside(norm);
  return { rel: norm, real };
}

/** True when the deepest existing ancestor of `norm` resolves outside `root`. */
function leadsOutside(root: string, norm: string): boolean {
  const segs = norm.split('/');
  for (let i = segs.length - 1; i >= 0; i -= 1) {
    try {
      return !isInside(root, realpath(join(root, ...segs.slice(0, i))));
    } catch {
      // keep climbing
    }
  }
  return false;
}

/**
 * Where a save of `rel` writes: the real parent folder (must exist, inside the root) joined with
 * the file name; an existing symlink at the name is followed to its target, which must be inside
 * (so saving through a symlink keeps the link).
 */
export function resolveForWrite(root: string, rel: string): { rel: string; real: string; exists: boolean } {
  const norm = normalise(rel);
  const segs = norm ? norm.split('/') : [];
  if (segs.length === 0) throw new WorkspaceError('a file path is required');
  const parentRel = segs.slice(0, -1).join('/');
  let parent: string;
  try {
    parent = realpath(join(root, ...segs.slice(0, -1)));
  } catch (e) {
    if (parentRel && leadsOutside(root, parentRel)) throw outside(norm);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR')
      throw new WorkspaceError(`the parent folder does not exist: ${parentRel || '(workspace root)'}`);
    throw fsRefusal(e, parentRel);
  }
  if (!isInside(root, parent)) throw outside(norm);
  if (!statSync(parent).isDirectory()) throw new WorkspaceError(`not a folder: ${parentRel}`);
  const target = join(parent, segs[segs.length - 1]);
  let link: boolean;
  try {
    link = lstatSync(target).isSymbolicLink();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rel: norm, real: target, exists: false };
    throw fsRefusal(e, norm);
  }
  if (!link) return { rel: norm, real: target, exists: true };
  let real: string;
  try {
    real = realpath(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new WorkspaceError(`${norm} is a symlink to a missing file`);
    throw fsRefusal(e, norm);
  }
  if (!isInside(root, real)) throw outside(norm);
  return { rel: norm, real, exists: true };
}
