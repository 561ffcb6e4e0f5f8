import { useEffect, useRef, useState } from 'react';
import { ChatPane } from './components/ChatPane';
import { EditorPane } from './components/EditorPane';
import { LiveAnnouncer } from './components/LiveAnnouncer';
import { Notices } from './components/Notices';
import { SettingsDialog } from './components/SettingsDialog';
import { Sidebar } from './components/Sidebar';
import { StatusBar } from './components/StatusBar';
import { TraceDialogs } from './components/TraceDialogs';
import { clampSplit, splitKey, SPLIT_MAX, SPLIT_MIN } from './lib/a11y';
import { useConversationsStore } from './stores/conversations';
import { escapeStopsRun, useRunStore } from './stores/run';
import { useUiStore } from './stores/ui';

function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'n') {
        e.preventDefault();
        useConversationsStore.getState().create();
        useUiStore.getState().requestComposerFocus();
      } else if (mod && e.key === ',') {
        e.preventDefault();
        useUiStore.getState().openSettings(true);
      } else if (mod && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        useUiStore.getState().requestSearchFocus();
      }
    };
    // Escape stops the run from anywhere, unless what has the focus used it (a dialog, a rename, the search box):
    // heard after them (bubbling), where they prevent its default.
    const onEscape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || !escapeStopsRun()) return; // only in the running chat
      if (useUiStore.getState().settingsOpen || document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      void useRunStore.getState().stop();
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keydown', onEscape);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keydown', onEscape);
    };
  }, []);
}

/** Chat | editor, with a divider to drag, or to focus and move with the arrow keys (lib/a11y.ts splitKey). */
function SplitPanes() {
  const [chatFraction, setChatFraction] = useState(0.5);
  const box = useRef<HTMLElement>(null);
  const onDown = (e: React.PointerEvent) => {
    const el = box.current;
    if (!el) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const r = el.getBoundingClientRect();
      setChatFraction(clampSplit((ev.clientX - r.left) / r.width));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const onKey = (e: React.KeyboardEvent) => {
    const next = splitKey(chatFraction, e.key);
    if (next === null) return;
    e.preventDefault();
    setChatFraction(next);
  };
  const percent = Math.round(chatFraction * 100);
  return (
    <main className="panes" ref={box} style={{ ['--chat-fraction' as string]: String(chatFraction) }}>
      <h1 className="sr-only">DiffCoder Studio</h1>
      <ChatPane />
      <div
        className="divider"
        role="separator"
        tabIndex={0}
        aria-orientation="vertical"
        aria-label="Resize the chat and the editor"
        aria-valuemin={Math.round(SPLIT_MIN * 100)}
        aria-valuemax={Math.round(SPLIT_MAX * 100)}
        aria-valuenow={percent}
        aria-valuetext={`chat ${percent}%, editor ${100 - percent}%`}
        data-testid="pane-divider"
        title="Drag, or focus and use the arrow keys, to resize"
        onPointerDown={onDown}
        onKeyDown={onKey}
      />
      <EditorPane />
    </main>
  );
}

export function App() {
  useShortcuts();
  return (
    <div className="app">
      <div className="main">
        <Sidebar />
        <SplitPanes />
      </div>
      <StatusBar />
      <SettingsDialog />
      <TraceDialogs />
      <Notices />
      <LiveAnnouncer />
    </div>
  );
}
