/**
 * The infill's middle length (tokens), beside Infill: a draft while typed, kept on Enter or on leaving the field
 * when it is a positive number; the field then shows the length kept (whole blocks; lib/infill.ts).
 */
import { useEffect, useState } from 'react';
import { lengthFieldTitle, typedMiddleLength } from '../lib/infill-bar';
import { effectiveMiddleLength, useInfillStore } from '../stores/infill';
import { useSettingsStore } from '../stores/settings';

export function InfillLengthField() {
  const stored = useInfillStore((s) => s.middleLength);
  const settings = useSettingsStore((s) => s.settings);
  const block = settings?.decoding.blockLength ?? 4;
  const value = effectiveMiddleLength(stored);
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const commit = () => {
    const n = typedMiddleLength(draft);
    if (n !== null) useInfillStore.getState().setMiddleLength(n);
    setDraft(String(effectiveMiddleLength(useInfillStore.getState().middleLength)));
  };
  return (
    <input
      type="number"
      data-testid="infill-length"
      aria-label="Middle length in tokens"
      title={lengthFieldTitle(block)}
      min={block}
      max={8192}
      step={block}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
      }}
    />
  );
}
