/**
 * The polite live region: says when a chat run starts, finishes (with its token count), stops or fails, when an
 * infill runs and its suggestion is ready, and what other parts of the UI announce (stores/announcer.ts). It follows
 * the stores from outside: an answer's status in the conversations (so every chat's run is heard, not only the
 * shown one's) and the infill session; the texts come from lib/a11y.ts.
 */
import { useEffect } from 'react';
import { answerStates, infillAnnouncement, runAnnouncements, type InfillState } from '../lib/a11y';
import { announce, useAnnouncerStore } from '../stores/announcer';
import { useConversationsStore } from '../stores/conversations';
import { useInfillStore } from '../stores/infill';

function infillState(s: ReturnType<typeof useInfillStore.getState>): InfillState {
  return {
    phase: s.session?.phase ?? null,
    file: s.session?.file ?? null,
    tokens: s.canvas?.stats?.tokens ?? null,
    stopping: s.session?.stopping ?? false,
  };
}

function useRunAnnouncements() {
  useEffect(() => {
    let answers = answerStates(useConversationsStore.getState().conversations);
    const offConversations = useConversationsStore.subscribe((s, prev) => {
      if (s.conversations === prev.conversations) return;
      const next = answerStates(s.conversations);
      // The first load is not news: a run still going was announced when it started.
      if (prev.loaded) for (const text of runAnnouncements(answers, next, s.activeId)) announce(text);
      answers = next;
    });
    let infill = infillState(useInfillStore.getState());
    const offInfill = useInfillStore.subscribe((s) => {
      const next = infillState(s);
      const text = infillAnnouncement(infill, next);
      if (text) announce(text);
      infill = next;
    });
    return () => {
      offConversations();
      offInfill();
    };
  }, []);
}

export function LiveAnnouncer() {
  useRunAnnouncements();
  const items = useAnnouncerStore((s) => s.items);
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="false" data-testid="live-region">
      {items.map((a) => (
        <p key={a.id}>{a.text}</p>
      ))}
    </div>
  );
}
