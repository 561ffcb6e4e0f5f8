/** Under the tabs: the infill controls (InfillBar, the infill feature's) and "Attach selection" for the chat. */
import { useEditorStore } from '../stores/editor';
import { useUiStore } from '../stores/ui';
import { InfillBar } from './InfillBar';

export function EditorToolbar() {
  const selection = useEditorStore((s) => s.selection);
  const attach = () => {
    if (useEditorStore.getState().attachSelection()) useUiStore.getState().requestComposerFocus();
    else useUiStore.getState().notify('info', 'Select some code in the editor first.');
  };
  return (
    <div className="editor-toolbar" role="group" aria-label="Editor actions">
      <InfillBar />
      <span className="spacer" />
      <button
        type="button"
        data-testid="attach-selection"
        disabled={!selection}
        onClick={attach}
        title="Attach the selected code to the next chat message"
      >
        Attach selection
      </button>
    </div>
  );
}
