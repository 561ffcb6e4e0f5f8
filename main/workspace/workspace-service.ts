/**
 * The open workspace (one at a time) and every file operation on it, for the dispatcher: the
 * renderer never touches the file system, it sends workspace-relative paths over the contract.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import type { LoadNotice } from '../../common/models.js';
import type {
  DirEntry,
  FileStat,
  SaveRequest,
  SaveResult,
  TextFile,
  Workspace,
  WorkspaceState,
} from '../../common/workspace.js';
import { WorkspaceStateStore } from '../persistence/workspace-state-store.js';
import { listDir, readTextFile, saveTextFile, statFiles } from './files.js';
import { realpath, WorkspaceError } from './paths.js';
import { FileWatcher, WATCH_SUPPORTED } from './watcher.js';

export interface WorkspaceServiceOptions {
  userData: string;
  /**
   * Electron: the renderer may only open a folder the user picked in the native dialog this
   * session, or the last workspace (so a compromised page cannot open '/'). Browser mode: the
   * user types the path, any folder may be opened.
   */
  requirePicked: boolean;
  /** Native folder dialog (Electron). */
  pickFolder?: () => Promise<string | null>;
  onFileChanged?: (path: string) => void;
  onWorkspaceChanged?: (workspace: Workspace | null) => void;
}

/** The real path of a folder that can be a workspace: absolute, existing, a folder, readable; else a WorkspaceError saying why. */
export function resolveWorkspaceDir(dir: string): string {
  if (typeof dir !== 'string' || !dir || dir.includes('\0')) throw new WorkspaceError('a folder path is required');
  if (!isAbsolute(dir)) throw new WorkspaceError(`the folder must be an absolute path: ${dir}`);
  let real: string;
  try {
    real = realpath(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WorkspaceError(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `folder not found: ${dir}`
        : code === 'EACCES'
          ? `permission denied: ${dir}`
          : `cannot open ${dir}: ${(e as Error).message}`,
    );
  }
  if (!statSync(real).isDirectory()) throw new WorkspaceError(`not a folder: ${dir}`);
  try {
    readdirSync(real);
  } catch (e) {
    throw new WorkspaceError(
      `cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return real;
}

export class WorkspaceService {
  private ws: Workspace | null = null;
  private watcher: FileWatcher | null = null;
  private readonly picked = new Set<string>();
  private readonly store: WorkspaceStateStore;

  constructor(private readonly opts: WorkspaceServiceOptions) {
    this.store = new WorkspaceStateStore(opts.userData);
  }

  current(): Workspace | null {
    return this.ws;
  }

  private root(): string {
    if (!this.ws) throw new WorkspaceError('no workspace is open: open a folder first');
    return this.ws.root;
  }

  /**
   * Opens `dir` (absolute, an existing readable folder, resolved with realpath) as the workspace,
   * replacing the previous one. `trusted`: the command line's --workspace or the last workspace.
   */
  open(dir: string, { trusted = false }: { trusted?: boolean } = {}): Workspace {
    const real = resolveWorkspaceDir(dir);
    if (this.opts.requirePicked && !trusted && !this.picked.has(real) && real !== this.store.lastWorkspace()) {
      throw new WorkspaceError('open a folder through the folder dialog (workspace:pickFolder)');
    }
    this.watcher?.close();
    this.watcher = new FileWatcher(real, (path) => this.opts.onFileChanged?.(path));
    this.ws = { root: real, name: basename(real) || real };
    try {
      this.store.setLastWorkspace(real);
    } catch {
      // Only a convenience for the next start; the workspace is open.
    }
    this.opts.onWorkspaceChanged?.(this.ws);
    return this.ws;
  }

  /** Reopens the last workspace when it still exists; false otherwise (nothing thrown). */
  reopenLast(): boolean {
    const last = this.store.lastWorkspace();
    if (!last) return false;
    try {
      this.open(last, { trusted: true });
      return true;
    } catch {
      return false;
    }
  }

  /** The native folder dialog; null when cancelled or where there is none (browser mode). */
  async pick(): Promise<string | null> {
    if (!this.opts.pickFolder) return null;
    const dir = await this.opts.pickFolder();
    if (!dir) return null;
    try {
      this.picked.add(realpath(dir));
    } catch {
      // open() reports it.
    }
    return dir;
  }

  list(
    path: string,
    includeGit = false,
  ): { path: string; entries: DirEntry[]; gitHidden: boolean; truncated: boolean } {
    return listDir(this.root(), path, includeGit);
  }

  read(path: string): TextFile {
    return readTextFile(this.root(), path);
  }

  save(req: SaveRequest): SaveResult {
    return saveTextFile(this.root(), req);
  }

  stat(paths: string[]): FileStat[] {
    return statFiles(this.root(), paths);
  }

  watch(paths: string[]): { watching: string[]; supported: boolean } {
    this.root();
    return { watching: this.watcher!.set(paths), supported: WATCH_SUPPORTED };
  }

  getState(): { state: WorkspaceState | null; notices: LoadNotice[] } {
    return this.store.load(this.root());
  }

  saveState(state: WorkspaceState): void {
    this.store.save(this.root(), state);
  }

  dispose(): void {
    this.watcher?.close();
  }
}
