/**
 * The workspace's files: an ARIA tree (flat rows with aria-level, one tab stop). Folders are listed when first
 * expanded. Keys (lib/file-tree.ts treeKey): ↑/↓, →/← expand/collapse or move in/out, Home/End, Enter opens a file or
 * toggles a folder, a letter jumps by name.
 */
import { useEffect, useMemo, useRef } from 'react';
import { treeKey, visibleRows, type TreeRow } from '../lib/file-tree';
import { useEditorStore } from '../stores/editor';
import { useWorkspaceStore } from '../stores/workspace';

const rowId = (path: string) => `tree-${encodeURIComponent(path).replace(/%/g, '_')}`;

export function FileTree() {
  const dirs = useWorkspaceStore((s) => s.dirs);
  const expanded = useWorkspaceStore((s) => s.expanded);
  const focused = useWorkspaceStore((s) => s.focused);
  const name = useWorkspaceStore((s) => s.workspace?.name ?? '');
  const openPath = useEditorStore((s) => s.documents.find((d) => d.id === s.activeId)?.path ?? null);
  const rows = useMemo(() => visibleRows(dirs, new Set(expanded)), [dirs, expanded]);
  const tree = useRef<HTMLDivElement>(null);
  const root = dirs[''];
  const current = rows.some((r) => r.path === focused) ? focused : (rows[0]?.path ?? null);

  // Keep DOM focus on the focused row while the tree has focus (rows re-render as folders load).
  useEffect(() => {
    if (!current || !tree.current?.contains(document.activeElement)) return;
    const el = document.getElementById(rowId(current));
    if (el && el !== document.activeElement) el.focus();
  }, [current, rows]);

  const activate = (row: TreeRow) => {
    const ws = useWorkspaceStore.getState();
    ws.setFocused(row.path);
    if (row.kind === 'dir') ws.toggle(row.path);
    else void useEditorStore.getState().openFile(row.path);
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const cmd = treeKey(rows, current, e.key);
    if (!cmd) return;
    e.preventDefault();
    const ws = useWorkspaceStore.getState();
    if ('focus' in cmd) {
      ws.setFocused(cmd.focus);
      document.getElementById(rowId(cmd.focus))?.focus();
    } else if ('expand' in cmd) ws.toggle(cmd.expand, true);
    else if ('collapse' in cmd) ws.toggle(cmd.collapse, false);
    else if ('open' in cmd) void useEditorStore.getState().openFile(cmd.open);
  };

  if (!root) return null;
  if (root.error && !root.entries)
    return (
      <p className="tree-note danger-text">
        Cannot list {name}: {root.error}
      </p>
    );
  if (root.entries && root.entries.length === 0) return <p className="tree-note muted">{name} is empty.</p>;

  return (
    <div
      className="file-tree"
      role="tree"
      aria-label={`Files in ${name}`}
      ref={tree}
      onKeyDown={onKey}
      data-testid="file-tree"
      aria-busy={root.loading}
    >
      {rows.map((r) => (
        <div
          key={r.path}
          id={rowId(r.path)}
          role="treeitem"
          aria-level={r.level}
          aria-setsize={r.setSize}
          aria-posinset={r.posInSet}
          aria-expanded={r.kind === 'dir' ? r.expanded : undefined}
          aria-selected={r.path === openPath}
          aria-busy={r.loading || undefined}
          tabIndex={r.path === current ? 0 : -1}
          className={`tree-row ${r.kind}${r.path === openPath ? ' open' : ''}`}
          style={{ paddingLeft: 6 + (r.level - 1) * 14 }}
          data-path={r.path}
          title={r.error ? `${r.path}: ${r.error}` : r.path}
          onClick={() => activate(r)}
          onFocus={() => r.path !== focused && useWorkspaceStore.getState().setFocused(r.path)}
        >
          <span className="tree-icon" aria-hidden="true">
            {r.kind === 'dir' ? (r.expanded ? '▾' : '▸') : ''}
          </span>
          <span className="tree-name">{r.name}</span>
          {r.loading && <span className="muted small"> …</span>}
          {r.error && <span className="danger-text small"> (cannot list)</span>}
        </div>
      ))}
    </div>
  );
}
