import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_SETTINGS } from '../common/decoding-settings';
import { PROVIDER_CHOICES, PROVIDER_LABELS } from '../common/providers';
import {
  draftOf,
  formErrors,
  formFromSettings,
  presetForm,
  providerNote,
  providerOptions,
  setOption,
} from '../renderer/src/lib/settings-form';

describe('the decoding form', () => {
  it('stands for the settings it was made from, and reports typed problems per field', () => {
    const f = formFromSettings(DEFAULT_DECODE_SETTINGS);
    expect(draftOf(f)).toEqual(DEFAULT_DECODE_SETTINGS);
    expect(formErrors(f)).toEqual({});
    const typed = { ...f, raw: { ...f.raw, genLength: '10', seed: 'x' } };
    expect(Object.keys(formErrors(typed)).sort()).toEqual(['genLength', 'seed']);
    expect(formErrors({ ...f, thresholdOn: true, thresholdRaw: '1.5' }).threshold).toMatch(/threshold/);
  });

  it('applies a preset to what is typed and keeps a typed threshold when the preset turns it off', () => {
    const f = { ...formFromSettings(DEFAULT_DECODE_SETTINGS), thresholdOn: true, thresholdRaw: '0.7' };
    const ref = presetForm(f, 'reference');
    expect(draftOf(ref)).toMatchObject({ threshold: null, steps: 256, genLength: 256, blockLength: 4 });
    expect(ref.thresholdRaw).toBe('0.7');
    const fast = presetForm({ ...f, raw: { ...f.raw, genLength: 'abc' } }, 'fast');
    expect(draftOf(fast)).toMatchObject({ threshold: 0.9, genLength: 256, steps: 256 });
    expect(draftOf(setOption(f, { remasking: 'random' })).remasking).toBe('random');
  });
});

describe('providers', () => {
  it('marks the providers this machine lacks; auto and cpu are always offered', () => {
    const opts = providerOptions(PROVIDER_CHOICES, PROVIDER_LABELS, ['cpu']);
    expect(opts.filter((o) => o.available).map((o) => o.value)).toEqual(['auto', 'cpu']);
    expect(opts.find((o) => o.value === 'cuda')!.label).toMatch(/not available on this machine/);
    expect(providerOptions(PROVIDER_CHOICES, PROVIDER_LABELS, undefined).every((o) => o.available)).toBe(true);
  });

  it('says when the chosen provider fell back', () => {
    expect(providerNote('cuda', 'cpu', ['cuda: libcudart.so.12 not found'])).toBe(
      'cuda is not available here: running on cpu (cuda: libcudart.so.12 not found)',
    );
    expect(providerNote('cpu', 'cpu', [])).toBeNull();
    expect(providerNote('auto', 'cpu', [])).toBeNull();
    expect(providerNote('auto', 'cpu', ['cuda: no device'])).toBe('running on cpu; tried cuda: no device');
    expect(providerNote('cuda', null, undefined)).toBeNull();
  });
});
