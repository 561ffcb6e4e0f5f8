import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The user tests run a child as when root would bypass permissions (nobody). */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Whether a child running as nobody can load this checkout's sources. A checkout inside a folder only
 * root can enter (e.g. one made by `mktemp -d`, mode 0700) cannot: tests that need such a child skip there.
 */
export function nobodyCanLoadSources(repo = process.cwd()): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(repo, 'node_modules', 'tsx', 'package.json');
  const r = spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(probe)})`], NOBODY);
  return r.status === 0;
}
