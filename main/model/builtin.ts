import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const BUILTIN_MODEL_NAME = 'diffcoder-mini';

/**
 * The model shipped in resources/models/. In a packaged app `resourcesPath` is Electron's
 * process.resourcesPath; from a checkout it is the repository's resources/ folder.
 */
export function builtinModelDir(resourcesPath?: string): string {
  if (process.env.DIFFCODER_MODEL_DIR) return process.env.DIFFCODER_MODEL_DIR;
  const candidates = [
    ...(resourcesPath ? [join(resourcesPath, 'models', BUILTIN_MODEL_NAME)] : []),
    fileURLToPath(new URL(`../../resources/models/${BUILTIN_MODEL_NAME}`, import.meta.url)),
    join(process.cwd(), 'resources', 'models', BUILTIN_MODEL_NAME),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}
