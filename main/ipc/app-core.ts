import { DEFAULT_RECORD_TRACES, DEFAULT_TRACE_CANDIDATES } from '../../common/contract.js';
import { DEFAULT_DECODE_SETTINGS } from '../../common/decoding-settings.js';
import type { AppSettings } from '../../common/models.js';
import { EngineHost } from '../engine-host/engine-host.js';
import type { Launcher } from '../engine-host/launchers.js';
import { ImportService } from '../import/import-service.js';
import type { WorkerLauncher } from '../import/worker-launcher.js';
import { openModelFolder } from '../model/model-folder.js';
import { BUILTIN_ID, ModelRegistry, importedModelsDir } from '../model-registry/registry.js';
import { ConversationStore } from '../persistence/conversation-store.js';
import { SettingsStore } from '../persistence/settings-store.js';
import { TraceStore } from '../persistence/trace-store.js';
import { WorkspaceService } from '../workspace/workspace-service.js';
import { createDispatcher, type EventSink, type Services } from './dispatcher.js';

export const DEFAULT_SETTINGS: AppSettings = {
  decoding: DEFAULT_DECODE_SETTINGS,
  modelId: BUILTIN_ID,
  provider: 'auto',
  recordTraces: DEFAULT_RECORD_TRACES,
  traceCandidates: DEFAULT_TRACE_CANDIDATES,
};

export interface CoreOptions {
  userData: string;
  builtinModelDir: string;
  launcher: Launcher;
  mode: Services['mode'];
  version: string;
  openExternal?: Services['openExternal'];
  pickFolder?: Services['pickFolder'];
  onUnsaved?: Services['onUnsaved'];
  /** Starts the checkpoint conversion worker (main/import/convert-worker.ts, built to out/main/convert-worker.js). */
  convertWorker?: WorkerLauncher;
  /** A folder to open as the workspace at start (`serve --workspace DIR`); throws when it cannot be opened. Else the last workspace reopens. */
  workspace?: string;
  /** The traces' total size cap (default DEFAULT_TRACE_CAP_BYTES), e.g. for tests. */
  traceCapBytes?: number;
}

/** First-start settings: the built-in model's own decoding defaults when its folder is readable. */
function defaultSettings(builtinDir: string): AppSettings {
  try {
    const { steps, genLength, blockLength, temperature, remasking, threshold, shift, stopAtEos } =
      openModelFolder(builtinDir).manifest.decoding;
    return {
      ...DEFAULT_SETTINGS,
      decoding: { steps, genLength, blockLength, temperature, seed: 0, remasking, threshold, shift, stopAtEos },
    };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

/**
 * Everything main owns, wired the same way for Electron and browser mode: stores, model
 * registry, the supervised engine process and the dispatcher that serves the contract.
 */
export function createAppCore(opts: CoreOptions, sink: EventSink) {
  const settings = new SettingsStore(opts.userData, defaultSettings(opts.builtinModelDir));
  const services: Services = {
    host: new EngineHost(opts.launcher),
    conversations: new ConversationStore(opts.userData),
    traces: new TraceStore(opts.userData, opts.traceCapBytes === undefined ? {} : { capBytes: opts.traceCapBytes }),
    settings,
    models: new ModelRegistry(opts.builtinModelDir, settings),
    mode: opts.mode,
    version: opts.version,
    openExternal: opts.openExternal,
    pickFolder: opts.pickFolder,
    onUnsaved: opts.onUnsaved,
    workspace: new WorkspaceService({
      userData: opts.userData,
      requirePicked: opts.mode === 'electron',
      pickFolder: opts.pickFolder ? () => opts.pickFolder!('workspace') : undefined,
      onFileChanged: (path) => sink.broadcast('files:changed', { path }),
      onWorkspaceChanged: (workspace) => sink.broadcast('workspace:changed', { workspace }),
    }),
  };
  if (opts.workspace) services.workspace.open(opts.workspace, { trusted: true });
  else services.workspace.reopenLast();
  if (opts.convertWorker) {
    services.imports = new ImportService({
      modelsDir: importedModelsDir(opts.userData),
      launcher: opts.convertWorker,
      emit: (p) => sink.broadcast('models:importProgress', p),
      // An import ends with its model registered and selected, like adding a folder and choosing it in Settings.
      register: (dir) => {
        const model = services.models.add(dir);
        const { settings: s } = settings.load();
        settings.save({ ...s, modelId: model.id });
        // Not awaited: engine:status reports loading, then ready or the loader's error.
        services.host.load(model, s.provider).catch(() => undefined);
        return model;
      },
    });
  }
  const dispatch = createDispatcher(services, sink);

  /** Starts the engine process and loads the selected model (the built-in one if that fails). */
  async function start(): Promise<void> {
    await services.host.start();
    const { settings: s } = settings.load();
    const model = services.models.get(s.modelId) ?? services.models.get(BUILTIN_ID)!;
    await services.host.load(model, s.provider);
  }

  /** Ends the import worker (its partial folder removed) and the engine process. */
  async function dispose(): Promise<void> {
    services.workspace.dispose();
    await services.imports?.dispose();
    await services.host.dispose();
  }

  return { services, dispatch, start, dispose };
}
