import { useEffect, useRef, useState } from 'react';
import { ChatPane } from './components/ChatPane';
import { EditorPane } from './components/EditorPane';
import { Notices } from './components/Notices';
import { SettingsDialog } from './components/SettingsDialog';
import { Sidebar } from './components/Sidebar';
import { StatusBar } from './components/StatusBar';
import { TraceDialogs } from './components/TraceDialogs';
import { useConversationsStore } from './stores/conversations';
import { useRunStore } from './stores/run';
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
      } else if (e.key === 'Escape' && useRunStore.getState().active && !useUiStore.getState().settingsOpen) {
        e.preventDefault();
        void useRunStore.getState().stop();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}

/** Chat | editor, with a draggable divider. */
function SplitPanes() {
  const [chatFraction, setChatFraction] = useState(0.5);
  const box = useRef<HTMLDivElement>(null);
  const onDown = (e: React.PointerEvent) => {
    const el = box.current;
    if (!el) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const r = el.getBoundingClientRect();
      setChatFraction(Math.min(0.8, Math.max(0.25, (ev.clientX - r.left) / r.width)));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return (
    <div className="panes" ref={box} style={{ ['--chat-fraction' as string]: String(chatFraction) }}>
      <ChatPane />
      <div className="divider" role="separator" aria-orientation="vertical" onPointerDown={onDown} />
      <EditorPane />
    </div>
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
    </div>
  );
}
