/** Startup: pick the bridge, route its events into the stores, load state whenever the carrier (re)opens. */
import { createBridge, type AppBridge } from './bridge';
import { appService, setBridge } from './services';
import { useConversationsStore } from './stores/conversations';
import { useEngineStore } from './stores/engine';
import { failActiveRun, routeGenerateEvent } from './stores/run';
import { failInfillRun, routeInfillEvent } from './stores/infill';
import { useSettingsStore } from './stores/settings';

async function refresh(): Promise<void> {
  const engine = useEngineStore.getState();
  try {
    engine.setApp(await appService.status());
  } catch (e) {
    engine.setStatusError((e as Error).message);
  }
  await Promise.all([useSettingsStore.getState().load(), useConversationsStore.getState().load()]);
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
  b.onConnection((c) => {
    useEngineStore.getState().setConnection(c);
    if (c.state === 'open') void refresh();
    if (c.state === 'closed') {
      failActiveRun(c.message);
      failInfillRun(c.message);
    }
  });
  if (b.connection().state === 'open') void refresh();
  return b;
}
