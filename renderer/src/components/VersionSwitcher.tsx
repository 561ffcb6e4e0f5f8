/** An answer's versions: "version i of n" with previous/next (←/→/Home/End on the group); lib/versions.ts decides. */
import type { Message } from '../../../common/models';
import { switchVersion, versionAfterKey, versionLabel, versionPosition, versionTarget } from '../lib/versions';
import { useConversationsStore } from '../stores/conversations';

export function VersionSwitcher({ m, conversationId }: { m: Message; conversationId: string }) {
  const { index, count } = versionPosition(m);
  if (count < 2) return null;
  const go = (to: number | null) => {
    const target = versionTarget(index, count, to);
    if (target === null) return;
    useConversationsStore.getState().mutate(conversationId, (c) => switchVersion(c, m.id, target));
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
        {versionLabel(index, count)}
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
