/**
 * A conversation's own settings, as pure functions: its system prompt and decoding settings (each falls back to the
 * model's and the app's), the settings a run of it uses, the chat settings dialog's draft, and whether regenerating
 * would only repeat the answer (greedy decoding).
 */
import { SYSTEM_PROMPT_LIMIT } from '../../../common/contract';
import type { DecodeSettings } from '../../../common/decoding-settings';
import { DECODE_LIMITS } from '../../../common/decoding-settings';
import type { Conversation } from '../../../common/models';
import type { SettingsErrors } from './settings';
import { draftOf, formErrors, formFromSettings, type DecodingForm } from './settings-form';

/** The chat's own system prompt, or null when it has none (absent or blank: the model's default applies). */
export function customSystemPrompt(c: Pick<Conversation, 'systemPrompt'> | undefined): string | null {
  const s = c?.systemPrompt;
  return s && s.trim() ? s : null;
}

/**
 * The settings a run of this chat uses: the chat's own when it has them, else the app's; then what this one run
 * changes (a regenerate's new seed, or the temperature the greedy-repeat notice offers).
 */
export function effectiveDecoding(
  global: DecodeSettings,
  c?: Pick<Conversation, 'decoding'>,
  override: Partial<DecodeSettings> = {},
): DecodeSettings {
  return { ...(c?.decoding ?? global), ...override };
}

/** A seed for a regenerate: a new draw each time (the settings' seed would sample the same answer again). */
export function regenerateSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (DECODE_LIMITS.seed.max + 1));
}

/** The temperature the greedy-repeat notice offers for one regenerate. */
export const ALTERNATIVE_TEMPERATURE = 0.7;

export interface RepeatAdvice {
  /** Why the same prompt gives the same answer. */
  reason: string;
  /** What to change for this regenerate only, each with its button's label. */
  alternatives: { id: 'temperature' | 'random'; label: string; patch: Partial<DecodeSettings> }[];
}

/**
 * Whether regenerating with these settings repeats the answer. Greedy decoding (temperature 0) proposes each
 * position's most likely token, and low-confidence remasking commits the most confident proposals: nothing in the
 * run is drawn at random, so the same prompt gives the same answer whatever the seed. Sampling (temperature > 0) or
 * random remasking draw from the seed, and a regenerate draws a new seed. Null when a regenerate can differ.
 */
export function regenerateAdvice(s: Pick<DecodeSettings, 'temperature' | 'remasking'>): RepeatAdvice | null {
  if (s.temperature > 0 || s.remasking !== 'low_confidence') return null;
  return {
    reason:
      'At temperature 0 with low-confidence remasking, decoding is greedy: the same prompt gives the same answer, and a new seed alone changes nothing.',
    alternatives: [
      {
        id: 'temperature',
        label: `Regenerate at temperature ${ALTERNATIVE_TEMPERATURE}`,
        patch: { temperature: ALTERNATIVE_TEMPERATURE },
      },
      { id: 'random', label: 'Regenerate with random remasking', patch: { remasking: 'random' } },
    ],
  };
}

/** The chat settings dialog's state: the system prompt as typed, and the chat's own decoding form when it has one. */
export interface ChatSettingsDraft {
  systemPrompt: string;
  /** False: the chat follows the app's settings (the default). */
  ownDecoding: boolean;
  form: DecodingForm;
}

/** The dialog opens on the chat's values; its decoding form starts from the chat's settings, else the app's. */
export function chatSettingsDraft(c: Conversation, global: DecodeSettings): ChatSettingsDraft {
  return {
    systemPrompt: c.systemPrompt ?? '',
    ownDecoding: c.decoding !== undefined,
    form: formFromSettings(c.decoding ?? global),
  };
}

export interface ChatSettingsErrors {
  systemPrompt?: string;
  decoding: SettingsErrors;
}

export function chatSettingsErrors(d: ChatSettingsDraft): ChatSettingsErrors {
  return {
    ...(d.systemPrompt.length > SYSTEM_PROMPT_LIMIT
      ? { systemPrompt: `the system prompt is too long (at most ${SYSTEM_PROMPT_LIMIT} characters)` }
      : {}),
    decoding: d.ownDecoding ? formErrors(d.form) : {},
  };
}

export const chatSettingsValid = (e: ChatSettingsErrors): boolean =>
  !e.systemPrompt && Object.keys(e.decoding).length === 0;

/** The conversation with the draft applied: a blank system prompt and "use the app's settings" drop the fields. */
export function applyChatSettings(c: Conversation, d: ChatSettingsDraft, now = Date.now()): Conversation {
  const { systemPrompt: _s, decoding: _d, ...rest } = c;
  void _s;
  void _d;
  return {
    ...rest,
    ...(d.systemPrompt.trim() ? { systemPrompt: d.systemPrompt } : {}),
    ...(d.ownDecoding ? { decoding: draftOf(d.form) } : {}),
    updatedAt: now,
  };
}

/** One line each on what the chat uses, for its header. */
export function chatSettingsSummary(
  c: Pick<Conversation, 'systemPrompt' | 'decoding'> | undefined,
  defaultSystemPrompt: string | null | undefined,
): { system: string; decoding: string; custom: boolean } {
  const own = customSystemPrompt(c);
  const system = own
    ? `System prompt: ${oneLine(own)}`
    : defaultSystemPrompt
      ? `System prompt: the model's default (${oneLine(defaultSystemPrompt)})`
      : "System prompt: the model's default";
  const d = c?.decoding;
  const decoding = d
    ? `Decoding: this chat's (temperature ${d.temperature}, ${d.remasking}, gen_length ${d.genLength})`
    : 'Decoding: the app settings';
  return { system, decoding, custom: own !== null || d !== undefined };
}

function oneLine(s: string, max = 60): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Under the system prompt field: what an empty prompt means. The model's default (its chat template adds it), no
 * system message at all (null: the template adds none), or not known yet (undefined: the model has not loaded).
 */
export function systemPromptHint(defaultPrompt: string | null | undefined): string {
  if (defaultPrompt)
    return `Empty: the model's default, “${defaultPrompt}” (its chat template adds it when a chat has none).`;
  if (defaultPrompt === null) return "Empty: no system message (this model's chat template adds none).";
  return "Empty: the model's default (shown once the model has loaded).";
}

/** Why the chat settings dialog shows no form: the chat is gone, or the app settings it starts from are. */
export const chatSettingsMissing = (chatExists: boolean) =>
  chatExists ? 'Settings are not available: the engine is not reachable.' : 'This chat no longer exists.';
