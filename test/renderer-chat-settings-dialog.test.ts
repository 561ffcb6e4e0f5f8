import { describe, expect, it } from 'vitest';
import { chatSettingsMissing, systemPromptHint } from '../renderer/src/lib/chat-settings';
import { versionLabel, versionTarget } from '../renderer/src/lib/versions';

describe('the chat settings dialog', () => {
  it('says what an empty system prompt means: the default, none, or not known yet', () => {
    expect(systemPromptHint('Be brief.')).toBe(
      "Empty: the model's default, “Be brief.” (its chat template adds it when a chat has none).",
    );
    expect(systemPromptHint(null)).toBe("Empty: no system message (this model's chat template adds none).");
    expect(systemPromptHint(undefined)).toBe("Empty: the model's default (shown once the model has loaded).");
    expect(systemPromptHint('')).toBe("Empty: the model's default (shown once the model has loaded).");
  });

  it('says why it shows no form', () => {
    expect(chatSettingsMissing(false)).toBe('This chat no longer exists.');
    expect(chatSettingsMissing(true)).toBe('Settings are not available: the engine is not reachable.');
  });
});

describe('the answer version switcher', () => {
  it('moves only to another version that exists', () => {
    expect(versionTarget(1, 3, 2)).toBe(2);
    expect(versionTarget(1, 3, 0)).toBe(0);
    expect(versionTarget(1, 3, 1)).toBeNull();
    expect(versionTarget(0, 3, -1)).toBeNull();
    expect(versionTarget(2, 3, 3)).toBeNull();
    expect(versionTarget(1, 3, null)).toBeNull();
  });

  it('counts from one', () => {
    expect(versionLabel(0, 2)).toBe('version 1 of 2');
  });
});
