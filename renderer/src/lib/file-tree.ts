/**
 * The workspace file tree as data: folders are listed lazily (one `workspace:list` per expanded folder), and what the
 * tree shows is a flat list of rows (ARIA tree with aria-level/aria-setsize/aria-posinset). Keyboard handling is a pure
 * function from (rows, focused row, key) to what to do, following the WAI-ARIA tree pattern.
 */

export interface TreeEntry {
  name: string;
  /** Workspace-relative, '/'-separated. */
  path: string;
  kind: 'file' | 'dir';
}

/** One listed folder: its entries once read, or why it could not be read. */
export interface DirListing {
  entries: TreeEntry[] | null;
  loading: boolean;
  error: string | null;
}

export interface TreeRow {
  path: string;
  name: string;
  kind: 'file' | 'dir';
  /** 1 for the workspace's top-level entries. */
  level: number;
  /** Folders only. */
  expanded: boolean;
  loading: boolean;
  error: string | null;
  posInSet: number;
  setSize: number;
  /** The parent folder's path ('' for the root). */
  parent: string;
}

/** Folders first, then files, each by name (natural order: file2 before file10). */
export function sortEntries(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) =>
    a.kind === b.kind
      ? a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' })
      : a.kind === 'dir'
        ? -1
        : 1,
  );
}

/** The rows the tree shows: the root's entries, and the entries of every expanded folder under its row. */
export function visibleRows(
  dirs: Readonly<Record<string, DirListing>>,
  expanded: ReadonlySet<string>,
  root = '',
): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (dir: string, level: number) => {
    const entries = dirs[dir]?.entries;
    if (!entries) return;
    entries.forEach((e, i) => {
      const open = e.kind === 'dir' && expanded.has(e.path);
      const listing = e.kind === 'dir' ? dirs[e.path] : undefined;
      rows.push({
        path: e.path,
        name: e.name,
        kind: e.kind,
        level,
        expanded: open,
        loading: !!listing?.loading,
        error: listing?.error ?? null,
        posInSet: i + 1,
        setSize: entries.length,
        parent: dir,
      });
      if (open) walk(e.path, level + 1);
    });
  };
  walk(root, 1);
  return rows;
}

export type TreeCommand = { focus: string } | { expand: string } | { collapse: string } | { open: string } | null;

/**
 * What a key does on the focused row: ↓/↑ next/previous row, → expands a closed folder or enters an open one,
 * ← collapses an open folder or goes to the parent, Home/End first/last row, Enter (or Space) opens a file or
 * toggles a folder, a letter jumps to the next row starting with it.
 */
export function treeKey(rows: readonly TreeRow[], focused: string | null, key: string): TreeCommand {
  if (rows.length === 0) return null;
  const i = rows.findIndex((r) => r.path === focused);
  if (i < 0)
    return key === 'ArrowDown' || key === 'ArrowUp' || key === 'Home' || key === 'End'
      ? { focus: rows[key === 'End' || key === 'ArrowUp' ? rows.length - 1 : 0].path }
      : null;
  const row = rows[i];
  switch (key) {
    case 'ArrowDown':
      return i + 1 < rows.length ? { focus: rows[i + 1].path } : null;
    case 'ArrowUp':
      return i > 0 ? { focus: rows[i - 1].path } : null;
    case 'Home':
      return { focus: rows[0].path };
    case 'End':
      return { focus: rows[rows.length - 1].path };
    case 'ArrowRight':
      if (row.kind !== 'dir') return null;
      if (!row.expanded) return { expand: row.path };
      return rows[i + 1]?.parent === row.path ? { focus: rows[i + 1].path } : null;
    case 'ArrowLeft':
      if (row.kind === 'dir' && row.expanded) return { collapse: row.path };
      return row.parent ? { focus: row.parent } : null;
    case 'Enter':
    case ' ':
      if (row.kind === 'file') return { open: row.path };
      return row.expanded ? { collapse: row.path } : { expand: row.path };
    default:
      if (key.length === 1 && /\S/.test(key)) {
        const k = key.toLowerCase();
        for (let n = 1; n <= rows.length; n++) {
          const r = rows[(i + n) % rows.length];
          if (r.name.toLowerCase().startsWith(k)) return { focus: r.path };
        }
      }
      return null;
  }
}

/** Folders on the way to `path` (to expand so a file shows), root excluded: 'a/b/c.py' -> ['a', 'a/b']. */
export function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let n = 1; n < parts.length; n++) out.push(parts.slice(0, n).join('/'));
  return out;
}
