/**
 * The workspace (one folder the user opened) and its files, as they travel over the contract:
 * plain types, limits and the zod schemas contract.ts uses. No Node imports (the renderer
 * imports this too).
 *
 * Paths are always relative to the workspace root, '/'-separated ('' is the root itself).
 * Main normalises them ('a/./b' -> 'a/b', 'a/../b' -> 'b'), resolves them with realpath and
 * refuses anything that leads out of the root: '..' past the root, absolute paths, NUL bytes and
 * symlinks (the file or any parent folder) whose target is outside. '\\' counts as a separator
 * everywhere, so a Linux file whose name contains a backslash cannot be opened.
 */
import { z } from 'zod';

/** files:read refuses bigger files; files:stat reports hash null for them. */
export const FILE_SIZE_LIMIT = 5 * 1024 * 1024;
/** The most characters files:save accepts (a file read at the limit, plus room to edit). */
export const SAVE_TEXT_LIMIT = 8 * 1024 * 1024;
/** workspace:saveState refuses a state whose JSON is bigger than this (bytes). */
export const STATE_SIZE_LIMIT = 8 * 1024 * 1024;
/** workspace:list answers at most this many entries (then truncated: true). */
export const LIST_LIMIT = 10_000;
/** files:stat and files:watch take at most this many paths. */
export const PATHS_LIMIT = 500;

export interface Workspace {
  /** Absolute real path (symlinks resolved) of the folder. */
  root: string;
  /** Its last path component, for titles. */
  name: string;
}

/**
 * 'symlink-outside': a symlink whose target is outside the workspace (listed, never opened).
 * 'other': a FIFO, socket or device, or a symlink whose target is missing.
 */
export type EntryKind = 'file' | 'dir' | 'symlink-outside' | 'other';

export interface DirEntry {
  name: string;
  /** Workspace-relative path, usable in files:read / workspace:list. */
  path: string;
  kind: EntryKind;
  /** Bytes (of the target, for a symlink); 0 for folders. */
  size: number;
  /** True for a symlink whose target is inside the workspace (kind is the target's kind). */
  symlink: boolean;
}

export type TextEncoding = 'utf8' | 'utf8-bom';
export type Eol = 'lf' | 'crlf';

/** One version of a file on disk: hash is the sha256 (hex) of its bytes, BOM included. */
export interface FileVersion {
  size: number;
  mtimeMs: number;
  hash: string;
}

export interface TextFile extends FileVersion {
  path: string;
  /** The file's text exactly as on disk (line breaks untouched), without the BOM. */
  text: string;
  encoding: TextEncoding;
  /** The majority line break ('lf' when there is none or a tie). */
  eol: Eol;
  /** Both CRLF and lone LF occur; saving writes every line break as `eol`. */
  mixedEol: boolean;
}

export type SaveResult = { saved: true; file: FileVersion } | { saved: false; conflict: FileVersion | 'exists' };

/** files:stat, per path: the version on disk now (hash null when over FILE_SIZE_LIMIT), missing, or why it cannot be read. */
export type FileStat =
  | { path: string; state: 'file'; size: number; mtimeMs: number; hash: string | null }
  | { path: string; state: 'missing' }
  | { path: string; state: 'error'; error: string };

/**
 * Why `p` is not an acceptable workspace-relative path, or null. Lexical only: main also
 * resolves symlinks. Used by the contract's schemas and again by main before any file access.
 */
export function pathProblem(p: string): string | null {
  if (p.includes('\0')) return 'NUL byte in path';
  if (/^[\\/]/.test(p) || /^[A-Za-z]:/.test(p))
    return 'absolute paths are refused: paths are relative to the workspace root';
  let depth = 0;
  for (const seg of p.split(/[\\/]/)) {
    if (seg === '..') depth -= 1;
    else if (seg !== '' && seg !== '.') depth += 1;
    if (depth < 0) return `"${p}" is outside the workspace`;
  }
  return null;
}

/** The normalised segments of a path pathProblem accepted ('' -> []). */
export function pathSegments(p: string): string[] {
  const out: string[] = [];
  for (const seg of p.split(/[\\/]/)) {
    if (seg === '..') out.pop();
    else if (seg !== '' && seg !== '.') out.push(seg);
  }
  return out;
}

const pathString = z
  .string()
  .max(4096)
  .superRefine((p, ctx) => {
    const problem = pathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** A workspace-relative path; '' is the root. */
export const relativePathSchema = pathString;
/** A workspace-relative path to a file (not the root). */
export const filePathSchema = pathString.refine((p) => pathSegments(p).length > 0, 'a file path is required');

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');

export const saveRequestSchema = z
  .object({
    path: filePathSchema,
    text: z.string().max(SAVE_TEXT_LIMIT),
    encoding: z.enum(['utf8', 'utf8-bom']),
    eol: z.enum(['lf', 'crlf']),
    /** The version the editor last read or saved; null for a file that should not exist yet (new file, Save As). */
    expected: z.object({ hash: sha256 }).strict().nullable(),
    /** Overwrite even when the file changed on disk (or exists, with expected null): after the user confirmed. */
    force: z.boolean().optional(),
  })
  .strict();
export type SaveRequest = z.infer<typeof saveRequestSchema>;

/** Open tabs and unsaved buffers of one workspace, kept in the user data folder across reloads and crashes. */
export const workspaceStateSchema = z
  .object({
    tabs: z
      .array(
        z
          .object({
            path: filePathSchema,
            cursor: z
              .object({ line: z.number().int().min(1), column: z.number().int().min(1) })
              .strict()
              .optional(),
            scroll: z
              .object({ top: z.number().min(0), left: z.number().min(0) })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .max(PATHS_LIMIT),
    active: filePathSchema.nullable(),
    /** Unsaved edits: the text and the hash of the version it was based on (null: the file did not exist), so a file changed on disk meanwhile is detectable. */
    buffers: z
      .array(
        z
          .object({
            path: filePathSchema,
            text: z.string().max(SAVE_TEXT_LIMIT),
            baseHash: sha256.nullable(),
            encoding: z.enum(['utf8', 'utf8-bom']).optional(),
            eol: z.enum(['lf', 'crlf']).optional(),
          })
          .strict(),
      )
      .max(PATHS_LIMIT),
  })
  .strict();
export type WorkspaceState = z.infer<typeof workspaceStateSchema>;
