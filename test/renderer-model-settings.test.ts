import { describe, expect, it } from 'vitest';
import {
  modelDirProblem,
  modelOptionLabel,
  providerDisabled,
  providerNoteClass,
  providerNoteText,
  unlistedModel,
} from '../renderer/src/lib/model-settings';

describe('Settings -> Model', () => {
  it('labels a model with whether it is built in and why it cannot be picked', () => {
    expect(modelOptionLabel({ name: 'Coder', builtin: true })).toBe('Coder (built in)');
    expect(modelOptionLabel({ name: 'Mine', builtin: false })).toBe('Mine');
    expect(modelOptionLabel({ name: 'Gone', builtin: false, error: 'folder missing' })).toBe('Gone — folder missing');
  });

  it('keeps showing a chosen model that is no longer listed', () => {
    expect(unlistedModel([{ id: 'a' }], 'a')).toBe(false);
    expect(unlistedModel([{ id: 'a' }], 'b')).toBe(true);
    expect(unlistedModel([], 'a')).toBe(true);
  });

  it('asks for a folder path before adding', () => {
    expect(modelDirProblem('  ')).toBe('Enter the path of a model folder.');
    expect(modelDirProblem('/m')).toBeNull();
  });

  it('disables providers this machine cannot run, except the one chosen', () => {
    expect(providerDisabled({ value: 'cuda', available: false }, 'auto')).toBe(true);
    expect(providerDisabled({ value: 'cuda', available: false }, 'cuda')).toBe(false);
    expect(providerDisabled({ value: 'cpu', available: true }, 'auto')).toBe(false);
  });

  it('notes a fallback as a warning, else where the model runs', () => {
    expect(providerNoteText('cuda is not available here', 'cpu')).toBe('cuda is not available here');
    expect(providerNoteText(null, 'cpu')).toBe('running on cpu');
    expect(providerNoteText(null, null)).toBe('');
    expect(providerNoteClass('x')).toBe('provider-note warn');
    expect(providerNoteClass(null)).toBe('muted');
  });
});
