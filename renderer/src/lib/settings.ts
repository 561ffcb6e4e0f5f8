/**
 * Decoding settings: validation that mirrors decodeSettingsSchema (common/contract.ts) and the
 * engine's own preconditions (main/engine/params.ts), and the Reference/Fast presets.
 */
import { PRESETS, type DecodeSettings } from '../../../common/models';

export type SettingsField = keyof DecodeSettings;
export type SettingsErrors = Partial<Record<SettingsField, string>>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Every problem with the settings, one message per field (empty object when valid). */
export function validateDecodeSettings(s: DecodeSettings): SettingsErrors {
  const errors: SettingsErrors = {};
  const intIn = (field: SettingsField, v: number, min: number, max: number, label: string) => {
    if (!isInt(v)) errors[field] = `${label} must be a whole number`;
    else if (v < min || v > max) errors[field] = `${label} must be between ${min} and ${max}`;
  };
  intIn('steps', s.steps, 1, 8192, 'steps');
  intIn('genLength', s.genLength, 1, 8192, 'gen_length');
  intIn('blockLength', s.blockLength, 1, 256, 'block_length');
  intIn('seed', s.seed, 0, 2 ** 31 - 1, 'seed');
  if (typeof s.temperature !== 'number' || !Number.isFinite(s.temperature) || s.temperature < 0 || s.temperature > 10) {
    errors.temperature = 'temperature must be a number between 0 and 10';
  }
  if (s.remasking !== 'low_confidence' && s.remasking !== 'random') errors.remasking = 'remasking must be low_confidence or random';
  if (s.threshold !== null && (typeof s.threshold !== 'number' || !Number.isFinite(s.threshold) || !(s.threshold > 0 && s.threshold <= 1))) {
    errors.threshold = 'threshold must be in (0, 1], or off';
  }
  if (typeof s.shift !== 'boolean') errors.shift = 'shift must be on or off';
  if (typeof s.stopAtEos !== 'boolean') errors.stopAtEos = 'stop at EOS must be on or off';

  // The engine's cross-field rules, only once the fields themselves are sound.
  if (!errors.genLength && !errors.blockLength) {
    if (s.genLength % s.blockLength !== 0) {
      errors.genLength = `gen_length (${s.genLength}) must be a multiple of block_length (${s.blockLength})`;
    } else if (!errors.steps) {
      const numBlocks = s.genLength / s.blockLength;
      if (s.steps % numBlocks !== 0) {
        errors.steps = `steps (${s.steps}) must be a multiple of gen_length / block_length (${numBlocks})`;
      } else if (s.threshold !== null && !errors.threshold) {
        const stepsPerBlock = s.steps / numBlocks;
        if (stepsPerBlock < s.blockLength) {
          errors.threshold = `threshold decoding needs steps per block (${stepsPerBlock}) >= block_length (${s.blockLength}); raise steps to ${numBlocks * s.blockLength}`;
        }
      }
    }
  }
  return errors;
}

export function isValid(errors: SettingsErrors): boolean {
  return Object.keys(errors).length === 0;
}

export type PresetName = keyof typeof PRESETS;

/** Applies a preset; both presets use one step per token (steps = gen_length, rounded to whole blocks). */
export function applyPreset(s: DecodeSettings, preset: PresetName): DecodeSettings {
  const next: DecodeSettings = { ...s, ...PRESETS[preset] };
  // Keep gen_length but make it a whole number of blocks.
  const blocks = Math.max(1, Math.round(next.genLength / next.blockLength));
  next.genLength = Math.min(8192, blocks * next.blockLength);
  next.steps = next.genLength;
  return next;
}

/** Which preset the settings match, if any. */
export function matchingPreset(s: DecodeSettings): PresetName | null {
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const p = PRESETS[name];
    const fieldsMatch = (Object.keys(p) as SettingsField[]).every((k) => s[k] === p[k]);
    if (fieldsMatch && s.steps === s.genLength) return name;
  }
  return null;
}

/** Parses a numeric text field: NaN for anything that is not a plain number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (t === '' || !/^-?\d*\.?\d+(e-?\d+)?$/i.test(t)) return Number.NaN;
  return Number(t);
}
