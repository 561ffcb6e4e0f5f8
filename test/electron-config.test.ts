import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The packaged app's Electron fuses (electron-builder.yml) and what they rely on. Electron cannot run here, so this
 * checks the configuration with electron-builder's own loader and schema, from node_modules.
 */
const require = createRequire(import.meta.url);
const builderRequire = createRequire(require.resolve('electron-builder/package.json'));
const libRequire = createRequire(builderRequire.resolve('app-builder-lib/package.json'));
const yaml = libRequire('js-yaml') as { load(text: string): unknown };
const { getConfig, validateConfiguration } = libRequire('./out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = libRequire('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const EXPECTED_FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
};

describe('electron-builder.yml', () => {
  const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;

  it('sets every fuse as reviewed', () => {
    expect(config.electronFuses).toEqual(EXPECTED_FUSES);
    // Both asar fuses need the app packed into app.asar.
    expect(config.asar).not.toBe(false);
  });

  it('names every fuse the installed @electron/fuses knows (a new fuse needs a decision here)', () => {
    const { FuseV1Options } = libRequire('@electron/fuses') as { FuseV1Options: Record<string, string | number> };
    const known = Object.keys(FuseV1Options)
      .filter((k) => Number.isNaN(Number(k)))
      .map((k) => k[0].toLowerCase() + k.slice(1));
    expect(known.sort()).toEqual(Object.keys(EXPECTED_FUSES).sort());
  });

  it('is what electron-builder loads, and valid against its schema (a misspelt fuse key fails)', async () => {
    const loaded = await getConfig(process.cwd(), null, null);
    expect(loaded.electronFuses).toEqual(EXPECTED_FUSES);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
    const misspelt = { ...loaded, electronFuses: { ...EXPECTED_FUSES, runAsNod: false } };
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });
});

describe('main/app with the runAsNode fuse off', () => {
  it('starts the engine and the import worker with utilityProcess, never child_process', () => {
    const dir = 'main/app';
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, name), 'utf8');
      expect(source, name).not.toMatch(
        /from ['"](node:)?child_process['"]|require\(['"](node:)?child_process['"]\)|ELECTRON_RUN_AS_NODE\s*=/,
      );
    }
    expect(readFileSync('main/app/utility-launcher.ts', 'utf8')).toMatch(/utilityProcess\.fork\(/);
    expect(readFileSync('main/app/convert-launcher.ts', 'utf8')).toMatch(/utilityProcess\.fork\(/);
    const index = readFileSync('main/app/index.ts', 'utf8');
    expect(index).toMatch(/launcher: utilityLauncher\(/);
    expect(index).toMatch(/convertWorker: utilityWorkerLauncher\(/);
  });

  it('loads the window from app://, registers the scheme before ready and never uses file:// or the env URL directly', () => {
    const index = readFileSync('main/app/index.ts', 'utf8');
    expect(index).not.toMatch(/loadFile\(|pathToFileURL|file:\/\//);
    expect(index).toMatch(
      /rendererEntryUrl\(\{ isPackaged: app\.isPackaged, devServerUrl: process\.env\.ELECTRON_RENDERER_URL \}\)/,
    );
    expect(index.match(/process\.env\.ELECTRON_RENDERER_URL/g)).toHaveLength(1);
    const register = index.indexOf('registerAppScheme();');
    expect(register).toBeGreaterThan(0);
    expect(register).toBeLessThan(index.indexOf('app.whenReady()'));
  });
});
