/**
 * The tab strip: one tab per document (a dot for unsaved changes), a tablist with one tab stop: ←/→/Home/End move
 * between tabs, Delete closes the focused one (asking when unsaved). Then "New file".
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
    } else if (e.key === 'Delete') {
      e.preventDefault();
      useEditorStore.getState().close(id);
    }
  };

  const newFile = () => useEditorStore.getState().open({ title: '', language: 'python', text: '' });

  return (
    <div className="tabs">
      <div className="tab-list" role="tablist" aria-label="Open files">
        {documents.map((d) => {
          const active = d.id === activeId;
          const dirty = isDirty(d);
          return (
            <div
              key={d.id}
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
                aria-keyshortcuts="Delete"
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
                aria-label={`Close ${d.title}`}
                title="Close (Delete)"
                onClick={() => useEditorStore.getState().close(d.id)}
              >
                ×
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
        +
      </button>
    </div>
  );
}
