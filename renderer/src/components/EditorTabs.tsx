/**
 * The tab strip: one tab per document (a dot for unsaved changes), a tablist with one tab stop: ←/→/Home/End move
 * between tabs, Delete or Ctrl/Cmd+W closes the focused one (asking when unsaved; the browser keeps Ctrl+W for itself,
 * the desktop app does not). Then "New file".
 */
import { cycleTab, isDirty, tabLabel } from '../lib/editor-tabs';
import { useEditorStore } from '../stores/editor';

export const tabDomId = (id: string) => `editor-tab-${id}`;

export function EditorTabs() {
  const documents = useEditorStore((s) => s.documents);
  const activeId = useEditorStore((s) => s.activeId);

  const focusTab = (id: string | null) => {
    if (!id) return;
    useEditorStore.getState().activate(id);
    requestAnimationFrame(() => document.getElementById(tabDomId(id))?.focus());
  };

  const onKey = (e: React.KeyboardEvent, id: string) => {
    const docs = useEditorStore.getState().documents;
    const moves: Record<string, () => string | null> = {
      ArrowRight: () => cycleTab(docs, id, 1),
      ArrowLeft: () => cycleTab(docs, id, -1),
      Home: () => docs[0]?.id ?? null,
      End: () => docs[docs.length - 1]?.id ?? null,
    };
    if (moves[e.key]) {
      e.preventDefault();
      focusTab(moves[e.key]());
    } else if (
      (e.key === 'Delete' && !e.ctrlKey && !e.metaKey && !e.altKey) ||
      ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'w')
    ) {
      e.preventDefault();
      useEditorStore.getState().close(id);
    }
  };

  const newFile = () => useEditorStore.getState().open({ title: '', language: 'python', text: '' });

  return (
    <div className="tabs">
      {/* A tablist with no tab is not one (nothing open: the strip is empty). */}
      <div
        className="tab-list"
        role={documents.length > 0 ? 'tablist' : undefined}
        aria-label={documents.length > 0 ? 'Open files' : undefined}
      >
        {documents.map((d) => {
          const active = d.id === activeId;
          const dirty = isDirty(d);
          return (
            <div
              key={d.id}
              role="presentation"
              className={`tab${active ? ' active' : ''}${d.conflict ? ' conflicted' : ''}`}
              data-testid="editor-tab"
              data-path={d.path ?? ''}
              data-dirty={dirty}
            >
              <div
                id={tabDomId(d.id)}
                role="tab"
                tabIndex={active ? 0 : -1}
                aria-selected={active}
                aria-controls="editor-panel"
                aria-label={tabLabel(d)}
                aria-keyshortcuts="Delete Control+W"
                className="tab-main"
                title={d.path ?? `${d.title} (untitled)`}
                onClick={() => useEditorStore.getState().activate(d.id)}
                onKeyDown={(e) => onKey(e, d.id)}
              >
                <span className="tab-title">{d.title}</span>
                {d.conflict && (
                  <span className="tab-warn" aria-hidden="true" title="Changed on disk">
                    !
                  </span>
                )}
                {dirty && (
                  <span className="tab-dirty" role="img" aria-label="unsaved" data-testid="tab-dirty">
                    ●
                  </span>
                )}
              </div>
              <button
                type="button"
                className="tab-x"
                tabIndex={-1}
                // For the mouse: the keyboard (and a screen reader) closes the focused tab with Delete.
                aria-hidden="true"
                aria-label={`Close ${d.title}`}
                title="Close (Delete)"
                onClick={() => useEditorStore.getState().close(d.id)}
              >
                <span aria-hidden="true">×</span>
              </button>
            </div>
          );
        })}
      </div>
      <button
        type="button"
        className="icon-button new-tab"
        title="New untitled file"
        aria-label="New untitled file"
        onClick={newFile}
      >
        <span aria-hidden="true">+</span>
      </button>
    </div>
  );
}
