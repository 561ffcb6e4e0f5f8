/**
 * Pure helpers for workspace files in the editor: workspace-relative paths, language detection from a file name,
 * line endings, and the smallest single edit that turns one text into another (so a reload keeps the cursor and the
 * undo stack). No Monaco import: the app passes Monaco's language registry in.
 */

/** What Monaco's `languages.getLanguages()` lists, the part language detection reads. */
export interface LanguageInfo {
  id: string;
  extensions?: string[];
  filenames?: string[];
}

/** The last segment of a workspace-relative path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** The folder of a workspace-relative path ('' for the root). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Joins a workspace-relative folder ('' for the root) and a name. */
export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/**
 * The Monaco language for a file: an exact file name first (`Dockerfile`, `CMakeLists.txt`), then the longest
 * matching extension, case-insensitively (`.d.ts` before `.ts`); 'plaintext' when no registered language claims it.
 */
export function detectLanguage(path: string, languages: readonly LanguageInfo[]): string {
  const name = baseName(path);
  const lower = name.toLowerCase();
  for (const l of languages) if (l.filenames?.some((f) => f.toLowerCase() === lower)) return l.id;
  let best: { id: string; length: number } | null = null;
  for (const l of languages) {
    for (const ext of l.extensions ?? []) {
      const e = ext.toLowerCase();
      if (lower.endsWith(e) && lower.length > e.length && (!best || e.length > best.length))
        best = { id: l.id, length: e.length };
    }
  }
  return best?.id ?? 'plaintext';
}

/** Text with every line ending as \n: how the editor's buffers are kept and compared. */
export function toLf(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Checks a Save As path typed by the user: workspace-relative, forward or back slashes, no `..` leaving the
 * workspace, no empty or `.` segments, no drive letters or absolute paths. Answers the normalized path or why not.
 * Main checks the path again before writing.
 */
export function checkWorkspacePath(input: string): { ok: true; path: string } | { ok: false; reason: string } {
  const raw = input.trim().replace(/\\/g, '/');
  if (!raw) return { ok: false, reason: 'Type a path inside the workspace, e.g. src/new_file.py' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
    return { ok: false, reason: 'Use a path relative to the workspace folder' };
  if (raw.endsWith('/')) return { ok: false, reason: 'The path names a folder; add a file name' };
  const parts = raw.split('/');
  if (parts.some((p) => p === '..')) return { ok: false, reason: 'The path must stay inside the workspace' };
  if (parts.some((p) => p === '' || p === '.')) return { ok: false, reason: 'The path has an empty segment' };
  if (parts.some((p) => p.includes('\0'))) return { ok: false, reason: 'The path has a character files cannot have' };
  return { ok: true, path: parts.join('/') };
}

/** One replacement, as offsets into the old text: replace [start, end) with `text`. Null when the texts are equal. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The smallest single replacement from `before` to `after` (common prefix and suffix kept). */
export function minimalEdit(before: string, after: string): TextEdit | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB--;
    endA--;
  }
  // Do not split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (endB < before.length && isLowSurrogate(before.charCodeAt(endB))) {
    endB++;
    endA++;
  }
  return { start, end: endB, text: after.slice(start, endA) };
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** A 1-based line and column for an offset into a \n text (Monaco's positions). */
export function positionAt(text: string, offset: number): { lineNumber: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { lineNumber: line, column: offset - lineStart + 1 };
}
