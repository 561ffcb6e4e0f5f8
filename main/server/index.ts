/**
 * `npm run serve`: the app in a browser. The same handlers and engine as the Electron app, in
 * plain Node, behind a WebSocket on 127.0.0.1. Prints one line with the URL (session token
 * included). Drive a GPU box over an SSH tunnel: `ssh -L 8765:127.0.0.1:8765 gpu-box` then
 * `npm run serve -- --port 8765` there and open the printed URL here.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeLauncher } from '../engine-host/launchers.js';
import { nodeWorkerLauncher } from '../import/worker-launcher.js';
import { createAppCore } from '../ipc/app-core.js';
import type { EventChannel, Events } from '../../common/contract.js';
import type { EventSink } from '../ipc/dispatcher.js';
import { builtinModelDir } from '../model/builtin.js';
import { resolveWorkspaceDir } from '../workspace/workspace-service.js';
import { startBrowserServer } from './http-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'user-data': { type: 'string' },
    renderer: { type: 'string' },
    workspace: { type: 'string' },
  },
});
const userData = resolve(
  values['user-data'] ?? process.env.DIFFCODER_USER_DATA ?? join(homedir(), '.config', 'diffcoder-studio'),
);
const rendererDir = resolve(values.renderer ?? join(here, '..', 'renderer'));
// --workspace DIR: the folder to open at start, relative to where `npm run serve` was typed (npm's INIT_CWD).
let workspace: string | undefined;
try {
  workspace =
    values.workspace === undefined
      ? undefined
      : resolveWorkspaceDir(resolve(process.env.INIT_CWD ?? process.cwd(), values.workspace));
} catch (e) {
  console.error(`--workspace: ${(e as Error).message}`);
  process.exit(2);
}

// Events may start before the server exists (engine status during start-up): forward lazily.
let forward: EventSink | null = null;
const sink: EventSink = {
  broadcast: <E extends EventChannel>(c: E, p: Events[E]) => forward?.broadcast(c, p),
  clients: () => forward?.clients?.() ?? 0,
};
const core = createAppCore(
  {
    userData,
    builtinModelDir: builtinModelDir(join(here, '..', '..', 'resources')),
    launcher: nodeLauncher(join(here, 'engine-process.js')),
    convertWorker: nodeWorkerLauncher(join(here, 'convert-worker.js')),
    mode: 'browser',
    version: process.env.npm_package_version ?? '0.0.0',
    workspace,
  },
  sink,
);
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: a whole number from 0 to 65535, not ${JSON.stringify(values.port)}`);
  await core.dispose();
  process.exit(2);
}
// Limits (open WebSockets, requests per second, frame and request sizes): DEFAULT_LIMITS in http-server.ts.
let server: Awaited<ReturnType<typeof startBrowserServer>>;
try {
  server = await startBrowserServer({ rendererDir, port, dispatch: core.dispatch });
} catch (e) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${(e as Error).message}`);
  await core.dispose();
  process.exit(1);
}
forward = server.sink;
console.log(`DiffCoder Studio: ${server.url}`);
core.start().catch((e: Error) => console.error(`engine: ${e.message}`));

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await core.dispose();
  await server.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
