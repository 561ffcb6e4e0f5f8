/** Startup: pick the bridge, route its events into the stores, load state whenever the carrier (re)opens. */
import { createBridge, type AppBridge } from './bridge';
import { appService, generationService, setBridge } from './services';
import { useConversationsStore } from './stores/conversations';
import { useEngineStore } from './stores/engine';
import { failActiveRun, routeGenerateEvent, useRunStore } from './stores/run';
import { failInfillRun, routeInfillEvent, useInfillStore } from './stores/infill';
import { useSettingsStore } from './stores/settings';
import { failCompareRun, routeCompareEvent } from './stores/traces';

/** Whether the page has not loaded its state yet: the first attach after a (re)load shows the run's conversation. */
let firstRefresh = true;

async function refresh(): Promise<void> {
  const engine = useEngineStore.getState();
  try {
    engine.setApp(await appService.status());
  } catch (e) {
    engine.setStatusError((e as Error).message);
  }
  await Promise.all([useSettingsStore.getState().load(), useConversationsStore.getState().load()]);
  const first = firstRefresh;
  firstRefresh = false;
  await reattach(first);
}

/**
 * A run main is running (started before a reload or a dropped connection, or in another window) is
 * followed again: its progress so far from generate:active, then its generate:event events as usual.
 * Called once the conversations are loaded, so the run's message is there to stream into.
 */
export async function reattach(select: boolean): Promise<void> {
  let run;
  try {
    ({ run } = await generationService.active());
  } catch {
    return; // no bridge, or a main without the channel: nothing to follow
  }
  if (!run) return;
  if (run.prompt.kind === 'infill') useInfillStore.getState().attach(run);
  else useRunStore.getState().attach(run, { select });
}

export function initApp(): AppBridge {
  const b = createBridge();
  setBridge(b);
  const engine = useEngineStore.getState();
  engine.setBridgeKind(b.kind);
  engine.setConnection(b.connection());
  b.on('engine:status', (s) => useEngineStore.getState().setEngine(s));
  b.on('generate:event', routeGenerateEvent);
  b.on('generate:event', routeInfillEvent);
  b.on('generate:event', routeCompareEvent);
  b.onConnection((c) => {
    useEngineStore.getState().setConnection(c);
    if (c.state === 'open') void refresh();
    if (c.state === 'closed') {
      failActiveRun(c.message);
      failInfillRun(c.message);
      failCompareRun(c.message);
    }
  });
  if (b.connection().state === 'open') void refresh();
  return b;
}
