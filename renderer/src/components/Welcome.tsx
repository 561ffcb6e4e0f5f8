/**
 * The empty chat (first start, or a new chat): example prompts for chat (a click puts one in the message box) and for
 * infill (Ctrl+I in the editor, with an example to open), what the model is, and the colours of the decoding canvas.
 */
import { useEffect, useRef, useState } from 'react';
import type { ColourMode } from '../lib/canvas-grid';
import { CHAT_EXAMPLES, INFILL_EXAMPLE, modelNote } from '../lib/welcome';
import { draftKey, useComposerStore } from '../stores/composer';
import { useConversationsStore } from '../stores/conversations';
import { useEditorStore } from '../stores/editor';
import { useEngineStore } from '../stores/engine';
import { useImportStore } from '../stores/import';
import { useSettingsStore } from '../stores/settings';
import { useUiStore } from '../stores/ui';
import { CanvasLegend } from './CanvasLegend';

function fillComposer(text: string) {
  const { activeId, conversations } = useConversationsStore.getState();
  const shown = activeId && conversations.some((c) => c.id === activeId) ? activeId : null;
  useComposerStore.getState().setDraft(draftKey(shown), text);
  useUiStore.getState().requestComposerFocus();
}

function ModelNote() {
  const engineModel = useEngineStore((s) => s.engine?.model);
  const builtinSelected = useSettingsStore((s) => (s.settings ? s.settings.modelId === 'builtin' : true));
  const note = modelNote(engineModel ?? (builtinSelected ? null : { builtin: false, name: 'your model' }));
  return (
    <div className={`welcome-model${note.builtin ? ' demo' : ''}`} data-testid="welcome-model">
      <p>{note.text}</p>
      {note.builtin && (
        <button
          type="button"
          data-testid="welcome-import"
          onClick={() => {
            useUiStore.getState().openSettings(true);
            useImportStore.getState().show();
          }}
        >
          Import a checkpoint…
        </button>
      )}
    </div>
  );
}

export function Welcome() {
  const [mode, setMode] = useState<ColourMode>('step');
  const root = useRef<HTMLDivElement>(null);
  // Read from the top, whatever the message list's scroll was in the chat shown before.
  useEffect(() => {
    const list = root.current?.closest('.message-list');
    if (list) list.scrollTop = 0;
  }, []);
  return (
    <div className="welcome" data-testid="welcome" ref={root}>
      <h2>Welcome to DiffCoder Studio</h2>
      <p>
        Ask for code. The answer is written by denoising: a block of masked positions fills in a few tokens at a time,
        and you can watch it happen.
      </p>
      <ModelNote />
      <section aria-labelledby="welcome-chat-title">
        <h3 id="welcome-chat-title">Try a chat</h3>
        <ul className="welcome-examples">
          {CHAT_EXAMPLES.map((text) => (
            <li key={text}>
              <button
                type="button"
                className="welcome-example"
                data-testid="example-prompt"
                onClick={() => fillComposer(text)}
              >
                {text}
              </button>
            </li>
          ))}
        </ul>
        <p className="muted">A click puts the prompt in the message box: press Enter to send it.</p>
      </section>
      <section aria-labelledby="welcome-infill-title">
        <h3 id="welcome-infill-title">Fill in code in the editor</h3>
        <p>
          Put the cursor where code is missing (or select code to replace) and press <kbd>Ctrl</kbd>+<kbd>I</kbd> {'('}
          <kbd>Cmd</kbd>+<kbd>I</kbd> on a Mac): the model writes the middle from the code before and after it, and you
          accept it with Tab or reject it with Esc.
        </p>
        <pre className="welcome-code" tabIndex={0} role="region" aria-label="Infill example">
          {'def mean(xs):\n    total = sum(xs)\n    ▮          ← the cursor here, then Ctrl+I\n    return result'}
        </pre>
        <button
          type="button"
          data-testid="welcome-infill-example"
          onClick={() => useEditorStore.getState().open({ ...INFILL_EXAMPLE })}
        >
          Open this example in the editor
        </button>
      </section>
      <section aria-labelledby="welcome-legend-title">
        <h3 id="welcome-legend-title">Reading the decoding canvas</h3>
        <p className="muted">While an answer decodes, each token is coloured; switch what the colours show:</p>
        <CanvasLegend mode={mode} onMode={setMode} />
      </section>
      <p className="muted">Ctrl/Cmd+N new chat · Ctrl/Cmd+K search · Ctrl/Cmd+, settings · Escape stops</p>
    </div>
  );
}
