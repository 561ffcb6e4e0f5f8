import { describe, expect, it } from 'vitest';
import { decodeSettingsSchema } from '../common/contract';
import type { DecodeSettings } from '../common/models';
import {
  applyPreset,
  isValid,
  matchingPreset,
  parseNumber,
  validateDecodeSettings,
} from '../renderer/src/lib/settings';

const base: DecodeSettings = {
  steps: 256,
  genLength: 256,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  stopAtEos: true,
};

describe('decoding settings validation', () => {
  it('accepts the model-card settings', () => {
    expect(validateDecodeSettings(base)).toEqual({});
  });

  it('requires gen_length to be a multiple of block_length', () => {
    const e = validateDecodeSettings({ ...base, genLength: 250 });
    expect(e.genLength).toMatch(/multiple of block_length/);
  });

  it('requires steps to be a multiple of the number of blocks', () => {
    const e = validateDecodeSettings({ ...base, steps: 100 }); // 64 blocks
    expect(e.steps).toMatch(/multiple of gen_length \/ block_length \(64\)/);
    expect(validateDecodeSettings({ ...base, steps: 128 })).toEqual({});
  });

  it('threshold must be in (0, 1] and needs steps per block >= block_length', () => {
    expect(validateDecodeSettings({ ...base, threshold: 0 }).threshold).toBeDefined();
    expect(validateDecodeSettings({ ...base, threshold: 1.2 }).threshold).toBeDefined();
    expect(validateDecodeSettings({ ...base, threshold: 1 })).toEqual({});
    const e = validateDecodeSettings({ ...base, threshold: 0.9, steps: 128 }); // 2 steps per block < 4
    expect(e.threshold).toMatch(/steps per block \(2\) >= block_length \(4\)/);
    // without threshold the same steps are fine
    expect(validateDecodeSettings({ ...base, steps: 128 })).toEqual({});
  });

  it('flags non-numbers and out-of-range values like the contract schema does', () => {
    const cases: Partial<DecodeSettings>[] = [
      { steps: Number.NaN },
      { steps: 0 },
      { genLength: 9000 },
      { blockLength: 300 },
      { temperature: -1 },
      { temperature: 11 },
      { seed: 1.5 },
      { seed: -1 },
    ];
    for (const c of cases) {
      const s = { ...base, ...c };
      expect(isValid(validateDecodeSettings(s)), JSON.stringify(c)).toBe(false);
      expect(decodeSettingsSchema.safeParse(s).success, JSON.stringify(c)).toBe(false);
    }
  });

  it('whatever it accepts, the contract schema accepts', () => {
    for (const genLength of [4, 64, 256]) {
      for (const blockLength of [1, 2, 4, 8]) {
        for (const steps of [genLength / 4, genLength, genLength * 2]) {
          for (const threshold of [null, 0.9]) {
            const s = { ...base, genLength, blockLength, steps, threshold };
            if (isValid(validateDecodeSettings(s))) expect(decodeSettingsSchema.safeParse(s).success).toBe(true);
          }
        }
      }
    }
  });
});

describe('presets', () => {
  it('Reference: steps = gen_length, no threshold', () => {
    const s = applyPreset({ ...base, steps: 64, threshold: 0.5, temperature: 0.7 }, 'reference');
    expect(s).toMatchObject({ steps: 256, genLength: 256, blockLength: 4, threshold: null, temperature: 0 });
    expect(validateDecodeSettings(s)).toEqual({});
    expect(matchingPreset(s)).toBe('reference');
  });

  it('Fast: threshold 0.9, and the result is valid', () => {
    const s = applyPreset({ ...base, genLength: 250, blockLength: 5, steps: 50 }, 'fast');
    expect(s.threshold).toBe(0.9);
    expect(s.blockLength).toBe(4);
    expect(s.genLength % s.blockLength).toBe(0);
    expect(validateDecodeSettings(s)).toEqual({});
    expect(matchingPreset(s)).toBe('fast');
    expect(matchingPreset({ ...s, threshold: 0.8 })).toBeNull();
  });

  it('parses numeric text strictly', () => {
    expect(parseNumber('12')).toBe(12);
    expect(parseNumber(' 0.9 ')).toBe(0.9);
    expect(parseNumber('')).toBeNaN();
    expect(parseNumber('12abc')).toBeNaN();
  });
});
