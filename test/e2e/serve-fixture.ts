import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { DEFAULT_DECODE_SETTINGS, type DecodeSettings } from '../../common/decoding-settings';

export interface Served {
  url: string;
  userData: string;
  process: ChildProcess;
}

/** The built-in model when it is in the checkout, else a tiny random model built by the tests. */
export function e2eModelDir(): string {
  const builtin = join(process.cwd(), 'resources', 'models', 'diffcoder-mini');
  if (existsSync(join(builtin, 'diffcoder.json'))) return builtin;
  const dir = join(tmpdir(), 'diffcoder-e2e-tiny-model');
  if (!existsSync(join(dir, 'diffcoder.json'))) {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./test/helpers/tiny-model.ts').then(async (m) => { const { convertCheckpoint } = await import('./main/model/convert.ts'); const { writeTinyCheckpoint } = await import('./test/helpers/tiny-checkpoint.ts'); convertCheckpoint(writeTinyCheckpoint({ config: { max_position_embeddings: 4096 } }), ${JSON.stringify(dir)}); })`,
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('could not build the tiny model');
  }
  return dir;
}

/**
 * A user-data folder with settings written before start-up, as a returning user would have them: the built-in
 * model on CPU, 128-token runs unless `decoding` says otherwise.
 */
export function userDataWith(decoding: Partial<DecodeSettings> = {}, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-userdata-'));
  const settings = {
    decoding: { ...DEFAULT_DECODE_SETTINGS, steps: 128, genLength: 128, ...decoding },
    modelId: 'builtin',
    provider: 'cpu',
    ...extra,
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
  return dir;
}

export interface ServeOptions {
  /** Passed as `--workspace DIR`: the folder open at start. */
  workspace?: string;
  /** Extra environment for the server and its engine process (test hooks such as a per-forward delay). */
  env?: Record<string, string>;
}

/** Starts `node out/main/serve.js` (built by the test command) and reads the URL it prints. */
export async function startServe(
  userData = mkdtempSync(join(tmpdir(), 'e2e-userdata-')),
  options: ServeOptions = {},
): Promise<Served> {
  if (!existsSync('out/main/serve.js')) throw new Error('out/main/serve.js is missing: run `npm run build` first');
  const args = [
    'out/main/serve.js',
    '--user-data',
    userData,
    ...(options.workspace ? ['--workspace', options.workspace] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, DIFFCODER_MODEL_DIR: e2eModelDir(), ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
  return { url, userData, process: child };
}

export const test = base.extend<{ served: Served }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take their dependencies by destructuring
  served: async ({}, use) => {
    const served = await startServe();
    await use(served);
    served.process.kill('SIGTERM');
  },
});
export { expect } from '@playwright/test';
