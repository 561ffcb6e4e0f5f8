import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LoadNotice } from '../../common/models.js';
import { STATE_SIZE_LIMIT, workspaceStateSchema, type WorkspaceState } from '../../common/workspace.js';
import { removeStaleTemps } from './atomic-file.js';
import { readValidated, saveJson } from './json-store.js';

const storedSchema = z.object({ root: z.string().min(1), savedAt: z.number(), state: workspaceStateSchema }).strict();
const lastSchema = z.object({ last: z.string().min(1) }).strict();

/**
 * Per-workspace editor state (open tabs, unsaved buffers with the hash they were based on) under
 * <userData>/workspaces/<sha256 of the root>.json, and the last opened workspace in
 * <userData>/workspace.json. Written atomically; a damaged file is set aside with a notice.
 */
export class WorkspaceStateStore {
  private readonly dir: string;

  constructor(private readonly userData: string) {
    this.dir = join(userData, 'workspaces');
    mkdirSync(this.dir, { recursive: true });
    removeStaleTemps(this.dir, (target) => target.endsWith('.json'));
  }

  private file(root: string): string {
    return join(this.dir, `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
  }

  load(root: string): { state: WorkspaceState | null; notices: LoadNotice[] } {
    const notices: LoadNotice[] = [];
    const stored = readValidated(this.file(root), storedSchema, notices);
    return { state: stored && stored.root === root ? stored.state : null, notices };
  }

  /** Refuses a state whose JSON is over STATE_SIZE_LIMIT (the old one stays). */
  save(root: string, state: WorkspaceState): void {
    const json = JSON.stringify({ root, savedAt: Date.now(), state });
    const bytes = Buffer.byteLength(json);
    if (bytes > STATE_SIZE_LIMIT)
      throw new Error(
        `workspace state too large: ${(bytes / 1048576).toFixed(1)} MB, the limit is ${STATE_SIZE_LIMIT / 1048576} MB`,
      );
    saveJson(this.file(root), json, 'workspace state');
  }

  lastWorkspace(): string | null {
    return readValidated(join(this.userData, 'workspace.json'), lastSchema, [])?.last ?? null;
  }

  setLastWorkspace(root: string): void {
    saveJson(join(this.userData, 'workspace.json'), JSON.stringify({ last: root }), 'last workspace');
  }
}
