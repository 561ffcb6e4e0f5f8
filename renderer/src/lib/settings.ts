/**
 * Decoding settings in the dialog: per-field errors and the Reference/Fast presets. The bounds, the
 * rules and the presets are common/decoding-settings.ts's, the same the dispatcher and the engine use.
 */
import {
  decodeSettingsProblems,
  type DecodeSettings,
  type DecodeSettingsField,
} from '../../../common/decoding-settings';

export { applyPreset, matchingPreset, type PresetName } from '../../../common/decoding-settings';

export type SettingsField = DecodeSettingsField;
export type SettingsErrors = Partial<Record<SettingsField, string>>;

/** Every problem with the settings, one message per field (empty object when valid). */
export function validateDecodeSettings(s: DecodeSettings): SettingsErrors {
  const errors: SettingsErrors = {};
  for (const p of decodeSettingsProblems(s)) errors[p.field] = p.message;
  return errors;
}

export function isValid(errors: SettingsErrors): boolean {
  return Object.keys(errors).length === 0;
}

/** Parses a numeric text field: NaN for anything that is not a plain number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (t === '' || !/^-?\d*\.?\d+(e-?\d+)?$/i.test(t)) return Number.NaN;
  return Number(t);
}
