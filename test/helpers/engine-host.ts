import { fileURLToPath } from 'node:url';
import { nodeLauncher } from '../../main/engine-host/launchers.js';

/** The engine process entry run from source through tsx, as the tests' Node launcher. */
export const engineProcessLauncher = () =>
  nodeLauncher(fileURLToPath(new URL('../../main/engine-host/engine-process.ts', import.meta.url)), [
    '--import',
    'tsx',
  ]);
