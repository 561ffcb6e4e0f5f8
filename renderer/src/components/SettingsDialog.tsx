/**
 * Settings: model and provider, decoding parameters with inline validation and presets, traces. A modal dialog
 * (ModalDialog: focus trapped inside, Escape closes, focus goes back where it was); nothing applies until Apply.
 */
import { useEffect, useState } from 'react';
import type { AppSettings } from '../../../common/models';
import { isValid } from '../lib/settings';
import { draftOf, formErrors, formFromSettings, type DecodingForm } from '../lib/settings-form';
import { useSettingsStore } from '../stores/settings';
import { useUiStore } from '../stores/ui';
import { DecodingSettings } from './DecodingSettings';
import { ModalDialog } from './ModalDialog';
import { ModelSettings } from './ModelSettings';
import { TraceSettings } from './TraceSettings';

function SettingsForm({ settings, close }: { settings: AppSettings; close(): void }) {
  const [base, setBase] = useState<AppSettings>(settings);
  const [form, setForm] = useState<DecodingForm>(() => formFromSettings(settings.decoding));
  const [applyError, setApplyError] = useState<string | null>(null);
  const [applying, setApplying] = useState(false);
  const errors = formErrors(form);

  useEffect(() => void useSettingsStore.getState().loadModels(), []);

  const apply = async () => {
    if (!isValid(errors)) return;
    setApplying(true);
    setApplyError(null);
    try {
      await useSettingsStore.getState().apply({ ...base, decoding: draftOf(form) });
      close();
    } catch (e) {
      setApplyError((e as Error).message);
    } finally {
      setApplying(false);
    }
  };

  return (
    <>
      <div className="dialog-body">
        <ModelSettings value={base} onChange={(v) => setBase({ ...base, ...v })} />
        <DecodingSettings form={form} errors={errors} onChange={setForm} />
        <TraceSettings
          record={base.recordTraces}
          candidates={base.traceCandidates}
          onChange={(t) => setBase({ ...base, ...t })}
        />
        {applyError && (
          <div className="run-error" role="alert">
            {applyError}
          </div>
        )}
      </div>
      <footer className="dialog-foot">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          data-testid="apply-settings"
          disabled={!isValid(errors) || applying}
          onClick={() => void apply()}
        >
          {applying ? 'Applying…' : 'Apply'}
        </button>
      </footer>
    </>
  );
}

export function SettingsDialog() {
  const open = useUiStore((s) => s.settingsOpen);
  const settings = useSettingsStore((s) => s.settings);
  const loadError = useSettingsStore((s) => s.loadError);
  if (!open) return null;
  const close = () => useUiStore.getState().openSettings(false);
  return (
    <ModalDialog title="Settings" size="wide" closeButton onCancel={close} testId="settings-dialog">
      {settings ? (
        // Keyed by the settings: a change from elsewhere (another window) starts the form again from it.
        <SettingsForm key={JSON.stringify(settings)} settings={settings} close={close} />
      ) : (
        <div className="dialog-body">
          <p className="run-error">Settings are not available: {loadError ?? 'the engine is not reachable'}.</p>
        </div>
      )}
    </ModalDialog>
  );
}
