/**
 * The decoding form of the settings dialog (and of a conversation's own settings): the text of each numeric field as
 * typed, the threshold switch, and the settings they stand for. Pure, so the dialog's sections only draw it.
 */
import type { DecodeSettings } from '../../../common/decoding-settings';
import type { ProviderChoice, ProviderName } from '../../../common/providers';
import { applyPreset, parseNumber, validateDecodeSettings, type PresetName, type SettingsErrors } from './settings';

export type NumField = 'steps' | 'genLength' | 'blockLength' | 'temperature' | 'seed';

export const NUM_FIELDS: { field: NumField; label: string; hint: string; step?: string }[] = [
  { field: 'genLength', label: 'gen_length', hint: 'tokens to generate (a multiple of block_length)' },
  { field: 'blockLength', label: 'block_length', hint: 'positions decoded together' },
  { field: 'steps', label: 'steps', hint: 'denoising steps in all (a multiple of the number of blocks)' },
  { field: 'temperature', label: 'temperature', hint: '0 = greedy', step: '0.1' },
  { field: 'seed', label: 'seed', hint: 'for sampling and random remasking' },
];

export interface DecodingForm {
  /** The settings the form started from; fields without a text box (remasking, shift, stop at EOS) live here. */
  base: DecodeSettings;
  raw: Record<NumField, string>;
  thresholdOn: boolean;
  thresholdRaw: string;
}

export function formFromSettings(d: DecodeSettings): DecodingForm {
  return {
    base: d,
    raw: {
      steps: String(d.steps),
      genLength: String(d.genLength),
      blockLength: String(d.blockLength),
      temperature: String(d.temperature),
      seed: String(d.seed),
    },
    thresholdOn: d.threshold !== null,
    thresholdRaw: String(d.threshold ?? 0.9),
  };
}

/** The settings the form stands for; fields that do not parse are NaN (the errors say which). */
export function draftOf(f: DecodingForm): DecodeSettings {
  return {
    ...f.base,
    steps: parseNumber(f.raw.steps),
    genLength: parseNumber(f.raw.genLength),
    blockLength: parseNumber(f.raw.blockLength),
    temperature: parseNumber(f.raw.temperature),
    seed: parseNumber(f.raw.seed),
    threshold: f.thresholdOn ? parseNumber(f.thresholdRaw) : null,
  };
}

export const formErrors = (f: DecodingForm): SettingsErrors => validateDecodeSettings(draftOf(f));

/** A field without a text box changed (remasking, shift, stop at EOS). */
export function setOption(f: DecodingForm, patch: Partial<Pick<DecodeSettings, 'remasking' | 'shift' | 'stopAtEos'>>) {
  return { ...f, base: { ...f.base, ...patch } };
}

/** A preset applied to what is typed now; an unusable gen_length falls back to the one the form started from. */
export function presetForm(f: DecodingForm, name: PresetName): DecodingForm {
  const draft = draftOf(f);
  const genLength = Number.isInteger(draft.genLength) && draft.genLength > 0 ? draft.genLength : f.base.genLength;
  const next = formFromSettings(applyPreset({ ...draft, genLength }, name));
  // Keep a typed threshold when the preset turns thresholds off, so switching back restores it.
  return next.thresholdOn ? next : { ...next, thresholdRaw: f.thresholdRaw };
}

/** How a provider is offered: available here or not, and whether it is the one running. */
export function providerOptions(
  choices: readonly ProviderChoice[],
  labels: Record<ProviderChoice, string>,
  available: readonly ProviderName[] | undefined,
): { value: ProviderChoice; label: string; available: boolean }[] {
  return choices.map((value) => {
    const ok = value === 'auto' || available === undefined || available.includes(value);
    return { value, label: ok ? labels[value] : `${labels[value]} (not available on this machine)`, available: ok };
  });
}

/**
 * What to say about the provider actually running: nothing when it is the one chosen (or auto found it), else that
 * the choice fell back, with the reason the engine gave.
 */
export function providerNote(
  chosen: ProviderChoice,
  running: ProviderName | null,
  fallbacks: readonly string[] | undefined,
): string | null {
  if (!running) return null;
  if (chosen !== 'auto' && chosen !== running)
    return `${chosen} is not available here: running on ${running}${fallbacks?.length ? ` (${fallbacks.join('; ')})` : ''}`;
  if (chosen === 'auto' && fallbacks?.length) return `running on ${running}; tried ${fallbacks.join('; ')}`;
  return null;
}
