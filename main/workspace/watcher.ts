/**
 * A hint that open files changed on disk (files:changed), from fs.watch where the platform
 * supports it. Each watched file's real parent folder is watched (not the file: editors and our
 * own atomic save replace the file, which would end a per-file watch), and events for the
 * watched names are debounced per file. Our own saves are reported too: the renderer compares
 * hashes (files:stat) before it calls anything a conflict. Polling files:stat on window focus
 * is the guaranteed path; this only makes it quicker.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { resolveExisting } from './paths.js';

const DEBOUNCE_MS = 100;

export const WATCH_SUPPORTED =
  process.platform === 'linux' || process.platform === 'darwin' || process.platform === 'win32';

export class FileWatcher {
  /** Real folder -> its watcher and the watched names in it (real basename -> relative paths). */
  private readonly dirs = new Map<string, { watcher: FSWatcher; names: Map<string, Set<string>> }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly root: string,
    private readonly onChange: (path: string) => void,
  ) {}

  /** Watches exactly `paths` (replacing the previous set); answers those watched (existing, inside, watchable). */
  set(paths: string[]): string[] {
    this.close();
    if (!WATCH_SUPPORTED) return [];
    const watching: string[] = [];
    for (const p of paths) {
      let rel: string;
      let real: string;
      try {
        ({ rel, real } = resolveExisting(this.root, p));
      } catch {
        continue;
      }
      const dir = dirname(real);
      let entry = this.dirs.get(dir);
      if (!entry) {
        try {
          const names = new Map<string, Set<string>>();
          const watcher = watch(dir, { persistent: false }, (_type, filename) =>
            this.fire(names, filename ? String(filename) : null),
          );
          watcher.on('error', () => this.drop(dir));
          entry = { watcher, names };
          this.dirs.set(dir, entry);
        } catch {
          // Out of inotify watches, or a folder that cannot be watched: files:stat still works.
          continue;
        }
      }
      const name = basename(real);
      if (!entry.names.has(name)) entry.names.set(name, new Set());
      entry.names.get(name)!.add(rel);
      watching.push(rel);
    }
    return watching;
  }

  private fire(names: Map<string, Set<string>>, filename: string | null): void {
    // Some platforms give no name: every watched file in that folder may have changed.
    const rels = filename === null ? [...names.values()].flatMap((s) => [...s]) : [...(names.get(filename) ?? [])];
    for (const rel of rels) {
      clearTimeout(this.timers.get(rel));
      const timer = setTimeout(() => {
        this.timers.delete(rel);
        this.onChange(rel);
      }, DEBOUNCE_MS);
      timer.unref?.();
      this.timers.set(rel, timer);
    }
  }

  private drop(dir: string): void {
    this.dirs.get(dir)?.watcher.close();
    this.dirs.delete(dir);
  }

  close(): void {
    for (const { watcher } of this.dirs.values()) watcher.close();
    this.dirs.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
