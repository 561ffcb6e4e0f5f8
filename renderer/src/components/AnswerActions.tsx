/**
 * An assistant answer's Continue (after a stop) and Regenerate, which first says when greedy decoding would give the
 * same answer again (RegenerateNotice offers what changes it). Its versions are VersionSwitcher. The decisions are
 * pure: lib/chat-settings.ts (regenerateAdvice), lib/conversations.ts (canContinue).
 */
import type { Message } from '../../../common/models';
import { effectiveDecoding, regenerateAdvice, type RepeatAdvice } from '../lib/chat-settings';
import { canContinue } from '../lib/conversations';
import { useConversationsStore } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { useSettingsStore } from '../stores/settings';

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
