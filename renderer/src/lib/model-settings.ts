/**
 * Settings -> Model, as pure decisions: the model picker's options, the add-folder check, and the provider field's
 * note (components/ModelSettings.tsx and the files beside it). The provider list itself is lib/settings-form.ts.
 */
import type { ModelInfo } from '../../../common/models';

/** A model's option text: its name, whether it is built in, and why it cannot be picked. */
export const modelOptionLabel = (m: Pick<ModelInfo, 'name' | 'builtin' | 'error'>) =>
  `${m.name}${m.builtin ? ' (built in)' : ''}${m.error ? ` — ${m.error}` : ''}`;

/** The chosen model is no longer listed: the picker still shows it (by id) rather than silently picking another. */
export const unlistedModel = (models: readonly Pick<ModelInfo, 'id'>[], modelId: string) =>
  !models.some((m) => m.id === modelId);

/** Why a model folder cannot be added as typed, or null. */
export const modelDirProblem = (dir: string): string | null =>
  dir.trim() ? null : 'Enter the path of a model folder.';

/** A provider this machine cannot run is disabled, unless it is the one chosen (a choice is never hidden). */
export const providerDisabled = (p: { value: string; available: boolean }, chosen: string) =>
  !p.available && p.value !== chosen;

/** Beside the provider: the warning when there is one, else where the model runs (empty before it loaded). */
export const providerNoteText = (note: string | null, running: string | null | undefined) =>
  note ?? (running ? `running on ${running}` : '');

export const providerNoteClass = (note: string | null) => (note ? 'provider-note warn' : 'muted');
