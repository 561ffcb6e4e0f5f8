/**
 * An assistant answer's own controls: its versions ("version i of n" with previous/next), Regenerate (which first says
 * when greedy decoding would give the same answer again, and offers what changes it), and Continue after a stop.
 * The decisions are pure: lib/versions.ts, lib/chat-settings.ts (regenerateAdvice), lib/conversations.ts (canContinue).
 */
import type { DecodeSettings } from '../../../common/decoding-settings';
import type { Message } from '../../../common/models';
import { effectiveDecoding, regenerateAdvice, type RepeatAdvice } from '../lib/chat-settings';
import { canContinue } from '../lib/conversations';
import { switchVersion, versionAfterKey, versionPosition } from '../lib/versions';
import { useConversationsStore } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { useSettingsStore } from '../stores/settings';

export function VersionSwitcher({ m, conversationId }: { m: Message; conversationId: string }) {
  const { index, count } = versionPosition(m);
  if (count < 2) return null;
  const go = (to: number | null) => {
    if (to === null || to === index || to < 0 || to >= count) return;
    useConversationsStore.getState().mutate(conversationId, (c) => switchVersion(c, m.id, to));
  };
  return (
    <span
      className="version-switcher"
      role="group"
      aria-label="Answer versions"
      data-testid="versions"
      onKeyDown={(e) => {
        const to = versionAfterKey(index, count, e.key);
        if (to === null) return;
        e.preventDefault();
        go(to);
      }}
    >
      <button
        type="button"
        className="icon-button"
        data-testid="version-prev"
        aria-label="Previous version"
        aria-disabled={index === 0}
        onClick={() => go(index - 1)}
      >
        <span aria-hidden="true">‹</span>
      </button>
      <span data-testid="version-label" aria-live="polite">
        version {index + 1} of {count}
      </span>
      <button
        type="button"
        className="icon-button"
        data-testid="version-next"
        aria-label="Next version"
        aria-disabled={index === count - 1}
        onClick={() => go(index + 1)}
      >
        <span aria-hidden="true">›</span>
      </button>
    </span>
  );
}

/** Regenerate, or (greedy decoding) the advice to show instead: the settings this chat's next run would use decide. */
function adviceFor(conversationId: string): RepeatAdvice | null {
  const global = useSettingsStore.getState().settings?.decoding;
  const c = useConversationsStore.getState().conversations.find((x) => x.id === conversationId);
  return global ? regenerateAdvice(effectiveDecoding(global, c)) : null;
}

export function AnswerButtons({
  m,
  conversationId,
  isLast,
  onAdvice,
}: {
  m: Message;
  conversationId: string;
  isLast: boolean;
  onAdvice(advice: RepeatAdvice): void;
}) {
  return (
    <>
      {canContinue(m, isLast) && (
        <button
          type="button"
          className="link-button"
          data-testid="continue"
          title="Continue the stopped answer from where it ended"
          onClick={() => void useRunStore.getState().continueAnswer(conversationId, m.id)}
        >
          Continue
        </button>
      )}
      {isLast && !m.infill && (
        <button
          type="button"
          className="link-button"
          data-testid="regenerate"
          onClick={() => {
            const advice = adviceFor(conversationId);
            if (advice) onAdvice(advice);
            else void useRunStore.getState().regenerate(conversationId);
          }}
        >
          Regenerate
        </button>
      )}
    </>
  );
}

/** Said before a regenerate that would repeat the answer: why, and one click to what changes it. */
export function RegenerateNotice({
  advice,
  conversationId,
  onClose,
}: {
  advice: RepeatAdvice;
  conversationId: string;
  onClose(): void;
}) {
  const run = (patch?: Partial<DecodeSettings>) => {
    onClose();
    void useRunStore.getState().regenerate(conversationId, patch);
  };
  return (
    <div className="regenerate-notice" data-testid="regenerate-notice" role="group" aria-label="Regenerate">
      <p role="status">{advice.reason}</p>
      <div className="row">
        {advice.alternatives.map((a, i) => (
          <button
            key={a.id}
            type="button"
            className={i === 0 ? 'primary' : undefined}
            data-testid={`regenerate-${a.id}`}
            autoFocus={i === 0}
            onClick={() => run(a.patch)}
          >
            {a.label}
          </button>
        ))}
        <button
          type="button"
          data-testid="notice-chat-settings"
          onClick={() => {
            onClose();
            useConversationsStore.getState().openChatSettings(conversationId);
          }}
        >
          Chat settings…
        </button>
        <button type="button" data-testid="regenerate-anyway" onClick={() => run()}>
          Regenerate anyway
        </button>
        <button type="button" data-testid="regenerate-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
