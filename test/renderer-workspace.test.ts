import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvokeChannel } from '../common/contract';
import type { SaveRequest, WorkspaceState } from '../common/workspace';
import type { AppBridge } from '../renderer/src/bridge';
import { setBridge } from '../renderer/src/services';
import { useEditorStore } from '../renderer/src/stores/editor';
import { PERSIST_DELAY_MS, useWorkspaceStore } from '../renderer/src/stores/workspace';
import { restoreDocs, sameState, snapshotState, statePaths } from '../renderer/src/lib/editor-restore';
import {
  activeAfterClose,
  changedOnDisk,
  conflictChoices,
  cycleTab,
  editorShortcut,
  externalChange,
  fileDocument,
  isDirty,
  keptMine,
  reloaded,
  saveConflict,
  saved,
  scratchDocument,
  scratchTitle,
  setComparing,
  tabLabel,
  withText,
  type DiskFile,
} from '../renderer/src/lib/editor-tabs';
import {
  baseName,
  checkWorkspacePath,
  detectLanguage,
  dirName,
  joinPath,
  minimalEdit,
  positionAt,
  toLf,
} from '../renderer/src/lib/file-paths';
import {
  ancestors,
  sortEntries,
  treeKey,
  visibleRows,
  type DirListing,
  type TreeEntry,
} from '../renderer/src/lib/file-tree';

const disk = (path: string, text: string, hash = `h-${text.length}-${text}`): DiskFile => ({
  path,
  text,
  hash,
  encoding: 'utf8',
  eol: 'lf',
  mtimeMs: 1,
});

describe('paths and languages', () => {
  const langs = [
    { id: 'python', extensions: ['.py', '.pyw'] },
    { id: 'typescript', extensions: ['.ts', '.tsx'] },
    { id: 'dts', extensions: ['.d.ts'] },
    { id: 'dockerfile', extensions: ['.dockerfile'], filenames: ['Dockerfile'] },
    { id: 'shell', extensions: ['.sh'] },
  ];
  it('detects by file name, then by the longest extension, case-insensitively', () => {
    expect(detectLanguage('src/a.py', langs)).toBe('python');
    expect(detectLanguage('A.PY', langs)).toBe('python');
    expect(detectLanguage('types/x.d.ts', langs)).toBe('dts');
    expect(detectLanguage('x.ts', langs)).toBe('typescript');
    expect(detectLanguage('deploy/dockerfile', langs)).toBe('dockerfile');
    expect(detectLanguage('notes.txt', langs)).toBe('plaintext');
    expect(detectLanguage('.py', langs)).toBe('plaintext');
    expect(detectLanguage('Makefile', langs)).toBe('plaintext');
  });
  it('splits and joins workspace-relative paths', () => {
    expect(baseName('a/b/c.py')).toBe('c.py');
    expect(baseName('c.py')).toBe('c.py');
    expect(dirName('a/b/c.py')).toBe('a/b');
    expect(dirName('c.py')).toBe('');
    expect(joinPath('', 'x')).toBe('x');
    expect(joinPath('a', 'x')).toBe('a/x');
    expect(ancestors('a/b/c.py')).toEqual(['a', 'a/b']);
    expect(ancestors('c.py')).toEqual([]);
  });
  it('turns offsets into 1-based lines and columns', () => {
    expect(positionAt('ab\ncd\n', 0)).toEqual({ lineNumber: 1, column: 1 });
    expect(positionAt('ab\ncd\n', 2)).toEqual({ lineNumber: 1, column: 3 });
    expect(positionAt('ab\ncd\n', 3)).toEqual({ lineNumber: 2, column: 1 });
    expect(positionAt('ab\ncd\n', 6)).toEqual({ lineNumber: 3, column: 1 });
    expect(positionAt('', 0)).toEqual({ lineNumber: 1, column: 1 });
  });
  it('normalizes line endings to \\n', () => {
    expect(toLf('a\r\nb\rc\n')).toBe('a\nb\nc\n');
    expect(toLf('plain')).toBe('plain');
  });
  it('checks Save As paths: relative, inside the workspace, a file', () => {
    expect(checkWorkspacePath(' src\\new.py ')).toEqual({ ok: true, path: 'src/new.py' });
    expect(checkWorkspacePath('new.py')).toEqual({ ok: true, path: 'new.py' });
    for (const bad of ['', '   ', '/etc/passwd', 'C:\\x.py', '../x.py', 'a/../../x', 'a//b.py', './x.py', 'dir/'])
      expect(checkWorkspacePath(bad).ok).toBe(false);
  });
  it('finds the smallest single edit between two texts', () => {
    expect(minimalEdit('abc', 'abc')).toBeNull();
    expect(minimalEdit('hello world', 'hello brave world')).toEqual({ start: 6, end: 6, text: 'brave ' });
    expect(minimalEdit('aXc', 'aYc')).toEqual({ start: 1, end: 2, text: 'Y' });
    expect(minimalEdit('abc', '')).toEqual({ start: 0, end: 3, text: '' });
    expect(minimalEdit('aaa', 'aaaa')).toEqual({ start: 3, end: 3, text: 'a' });
    // Never splits a surrogate pair.
    const e = minimalEdit('x😀y', 'x😃y')!;
    expect(e.start).toBe(1);
    expect('x😀y'.slice(0, e.start) + e.text + 'x😀y'.slice(e.end)).toBe('x😃y');
    for (const [a, b] of [
      ['line1\nline2\n', 'line1\nline2 changed\nline3\n'],
      ['', 'new'],
      ['same prefix', 'same'],
    ]) {
      const m = minimalEdit(a, b)!;
      expect(a.slice(0, m.start) + m.text + a.slice(m.end)).toBe(b);
    }
  });
});

describe('tabs: dirty state, saves and conflicts', () => {
  it('a file tab is unsaved while its text differs from the disk version', () => {
    const d = fileDocument('d1', disk('src/a.py', 'x = 1\n'), 'python');
    expect(d.title).toBe('a.py');
    expect(isDirty(d)).toBe(false);
    const typed = withText(d, 'x = 2\n');
    expect(isDirty(typed)).toBe(true);
    expect(tabLabel(typed)).toBe('src/a.py, unsaved');
    expect(isDirty(withText(typed, 'x = 1\n'))).toBe(false);
    expect(withText(d, d.text)).toBe(d);
  });
  it('a scratch buffer is unsaved only once edited', () => {
    const s = scratchDocument('s1', 'snippet-1.py', 'python', 'print(1)');
    expect(isDirty(s)).toBe(false);
    expect(tabLabel(s)).toBe('snippet-1.py (untitled)');
    expect(isDirty(withText(s, 'print(2)'))).toBe(true);
  });
  it('a save makes the buffer clean at what was sent, keeping edits typed meanwhile', () => {
    const d = withText(fileDocument('d1', disk('a.py', 'a'), 'python'), 'ab');
    const after = saved(d, { path: 'a.py', hash: 'new', encoding: 'utf8', eol: 'lf', mtimeMs: 2 }, 'ab', 'python');
    expect(isDirty(after)).toBe(false);
    expect(after.base?.hash).toBe('new');
    const typedDuring = saved(
      withText(d, 'abc'),
      { path: 'a.py', hash: 'new', encoding: 'utf8', eol: 'lf', mtimeMs: 2 },
      'ab',
      'python',
    );
    expect(isDirty(typedDuring)).toBe(true);
    // Save As renames the tab.
    const renamed = saved(
      scratchDocument('s', 'snippet-1.py', 'python', 'x'),
      { path: 'lib/x.py', hash: 'h', encoding: 'utf8', eol: 'lf', mtimeMs: 3 },
      'x',
      'python',
    );
    expect(renamed).toMatchObject({ path: 'lib/x.py', title: 'x.py', clean: 'x' });
  });
  it('an external change reloads a clean tab silently and puts the bar on a modified one', () => {
    const d = fileDocument('d1', disk('a.py', 'one\n', 'h1'), 'python');
    const r = externalChange(d, disk('a.py', 'two\n', 'h2'));
    expect(r.outcome).toBe('reloaded');
    expect(r.doc.text).toBe('two\n');
    expect(r.doc.revision).toBe(d.revision + 1);
    expect(isDirty(r.doc)).toBe(false);

    const mine = withText(d, 'mine\n');
    const c = externalChange(mine, disk('a.py', 'two\n', 'h2'));
    expect(c.outcome).toBe('conflict');
    expect(c.doc.text).toBe('mine\n');
    expect(c.doc.conflict).toMatchObject({ reason: 'external', disk: { hash: 'h2' } });
    expect(tabLabel(c.doc)).toBe('a.py, unsaved, changed on disk');
    // The same change seen again changes nothing.
    expect(externalChange(c.doc, disk('a.py', 'two\n', 'h2')).outcome).toBe('none');
    // Unchanged on disk: nothing to do.
    expect(externalChange(mine, disk('a.py', 'one\n', 'h1')).outcome).toBe('none');
    // The disk now holds exactly the buffer: adopted, clean.
    const same = externalChange(mine, disk('a.py', 'mine\n', 'h3'));
    expect(same.outcome).toBe('adopted');
    expect(isDirty(same.doc)).toBe(false);
    // The file reverted to the base: the bar goes away.
    const back = externalChange(c.doc, disk('a.py', 'one\n', 'h1'));
    expect(back.doc.conflict).toBeNull();
    expect(isDirty(back.doc)).toBe(true);
    // Deleted.
    const gone = externalChange(d, null);
    expect(gone.outcome).toBe('conflict');
    expect(gone.doc.conflict?.disk).toBeNull();
    expect(externalChange(gone.doc, null).outcome).toBe('none');
  });
  it('decides from a stat whether the file must be read', () => {
    const d = fileDocument('d1', disk('a.py', 'x', 'h1'), 'python');
    const f = (hash: string | null, mtimeMs: number) => ({
      path: 'a.py',
      state: 'file' as const,
      size: 1,
      hash,
      mtimeMs,
    });
    expect(changedOnDisk(d, f('h1', 5))).toBe(false);
    expect(changedOnDisk(d, f('h2', 1))).toBe(true);
    // Too big to hash: the mtime decides.
    expect(changedOnDisk(d, f(null, 1))).toBe(false);
    expect(changedOnDisk(d, f(null, 2))).toBe(true);
    expect(changedOnDisk(d, { path: 'a.py', state: 'missing' })).toBe(true);
    expect(changedOnDisk(d, { path: 'a.py', state: 'error', error: 'EACCES' })).toBe(false);
    const conflicted = externalChange(withText(d, 'y'), disk('a.py', 'z', 'h2')).doc;
    expect(changedOnDisk(conflicted, f('h2', 9))).toBe(false);
    expect(changedOnDisk(externalChange(d, null).doc, { path: 'a.py', state: 'missing' })).toBe(false);
    expect(changedOnDisk(scratchDocument('s', 't', 'python', ''), { path: 'a.py', state: 'missing' })).toBe(false);
  });
  it('keep mine: stays unsaved, based on the disk version so the next save overwrites', () => {
    const d = externalChange(
      withText(fileDocument('d1', disk('a.py', 'x', 'h1'), 'python'), 'mine'),
      disk('a.py', 'theirs', 'h2'),
    ).doc;
    const k = keptMine(d);
    expect(k.conflict).toBeNull();
    expect(k.base?.hash).toBe('h2');
    expect(k.text).toBe('mine');
    expect(isDirty(k)).toBe(true);
    const deleted = keptMine(externalChange(d, null).doc);
    expect(deleted.base).toBeNull();
    expect(isDirty(deleted)).toBe(true);
  });
  it('reload takes the disk version; a save conflict offers reload, overwrite, compare', () => {
    const d = withText(fileDocument('d1', disk('a.py', 'x', 'h1'), 'python'), 'mine');
    const sc = saveConflict(d, disk('a.py', 'theirs', 'h2'));
    expect(conflictChoices(sc.conflict!).actions.map((a) => a.action)).toEqual(['reload', 'overwrite', 'compare']);
    const cmp = setComparing(sc, true);
    expect(conflictChoices(cmp.conflict!).actions.map((a) => a.action)).toEqual(['reload', 'overwrite', 'endCompare']);
    const r = reloaded(cmp, sc.conflict!.disk!);
    expect(r).toMatchObject({ text: 'theirs', clean: 'theirs', conflict: null, base: { hash: 'h2' } });
    expect(
      conflictChoices(externalChange(d, disk('a.py', 't', 'h9')).doc.conflict!).actions.map((a) => a.label),
    ).toEqual(['Reload from disk', 'Keep mine', 'Compare']);
    expect(conflictChoices({ reason: 'external', disk: null, comparing: false }).actions.map((a) => a.action)).toEqual([
      'keep',
      'close',
    ]);
    expect(conflictChoices({ reason: 'save', disk: null, comparing: false }).actions.map((a) => a.action)).toEqual([
      'overwrite',
      'close',
    ]);
    // Nothing to compare against a deleted file.
    const del = saveConflict(d, null);
    expect(setComparing(del, true)).toBe(del);
  });
  it('maps the window-wide keys', () => {
    const k = (
      key: string,
      mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {},
    ) => editorShortcut({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
    expect(k('s', { ctrlKey: true })).toBe('save');
    expect(k('S', { ctrlKey: true, shiftKey: true })).toBe('saveAs');
    expect(k('s', { metaKey: true })).toBe('save');
    expect(k('o', { ctrlKey: true })).toBe('openFolder');
    expect(k('s')).toBeNull();
    expect(k('s', { ctrlKey: true, altKey: true })).toBeNull();
    expect(k('O', { ctrlKey: true, shiftKey: true })).toBeNull();
  });
  it('closing picks the right neighbour; titles and cycling', () => {
    const docs = ['a', 'b', 'c'].map((id) => scratchDocument(id, `snippet-${id}`, 'python', ''));
    expect(activeAfterClose(docs, 'b', 'b')).toBe('c');
    expect(activeAfterClose(docs, 'c', 'c')).toBe('b');
    expect(activeAfterClose(docs, 'a', 'c')).toBe('c');
    expect(activeAfterClose(docs.slice(0, 1), 'a', 'a')).toBeNull();
    expect(scratchTitle([scratchDocument('x', 'snippet-1.py', 'python', '')], 'py')).toBe('snippet-2.py');
    expect(scratchTitle([], 'py')).toBe('snippet-1.py');
    expect(cycleTab(docs, 'c', 1)).toBe('a');
    expect(cycleTab(docs, 'a', -1)).toBe('c');
    expect(cycleTab([], null, 1)).toBeNull();
  });
});

describe('restore after reload or crash', () => {
  let n = 0;
  const newId = () => `d${++n}`;
  const lang = (p: string) => (p.endsWith('.py') ? 'python' : 'plaintext');

  it('saves file tabs with cursors, unsaved buffers with their base hash; not scratch buffers', () => {
    const a = withText(
      fileDocument('a', { ...disk('a.py', 'x\n', 'ha'), eol: 'crlf', encoding: 'utf8-bom' }, 'python'),
      'x = 1\n',
    );
    const b = fileDocument('b', disk('b.py', 'clean', 'hb'), 'python');
    const s = scratchDocument('s', 'snippet-1.py', 'python', 'print(1)');
    const st = snapshotState([a, s, b], 'b', (id) => (id === 'a' ? { line: 2, column: 3 } : undefined));
    expect(st).toEqual({
      tabs: [{ path: 'a.py', cursor: { line: 2, column: 3 } }, { path: 'b.py' }],
      active: 'b.py',
      buffers: [{ path: 'a.py', text: 'x = 1\n', baseHash: 'ha', encoding: 'utf8-bom', eol: 'crlf' }],
    });
    expect(snapshotState([a, s], 's').active).toBeNull();
    expect(
      sameState(
        st,
        snapshotState([a, s, b], 'b', (id) => (id === 'a' ? { line: 2, column: 3 } : undefined)),
      ),
    ).toBe(true);
    expect(sameState(st, snapshotState([a, b], 'a'))).toBe(false);
    expect(sameState(null, st)).toBe(false);
    expect(
      statePaths({
        tabs: [{ path: 'a.py' }],
        active: null,
        buffers: [
          { path: 'a.py', text: '', baseHash: null },
          { path: 'n.py', text: '', baseHash: null },
        ],
      }),
    ).toEqual(['a.py', 'n.py']);
  });

  it('merges the saved tabs with the files as they are now', () => {
    const state: WorkspaceState = {
      tabs: [
        { path: 'same.py', cursor: { line: 3, column: 1 } },
        { path: 'changed.py' },
        { path: 'clean.py' },
        { path: 'gone.py' },
        { path: 'gone-dirty.py' },
      ],
      active: 'changed.py',
      buffers: [
        { path: 'same.py', text: 'mine', baseHash: 'h1' },
        { path: 'changed.py', text: 'mine', baseHash: 'h1', encoding: 'utf8-bom', eol: 'crlf' },
        { path: 'gone-dirty.py', text: 'keep me', baseHash: 'h1' },
        { path: 'new.py', text: 'never saved', baseHash: null },
      ],
    };
    const files = new Map<string, DiskFile | null>([
      ['same.py', disk('same.py', 'base', 'h1')],
      ['changed.py', disk('changed.py', 'theirs', 'h2')],
      ['clean.py', disk('clean.py', 'on disk', 'h3')],
      ['gone.py', null],
      ['gone-dirty.py', null],
      ['new.py', null],
    ]);
    const r = restoreDocs(state, files, newId, lang);
    expect(r.docs.map((d) => d.path)).toEqual(['same.py', 'changed.py', 'clean.py', 'gone-dirty.py', 'new.py']);
    const [same, changed, clean, goneDirty, fresh] = r.docs;
    expect(same).toMatchObject({ text: 'mine', clean: 'base', conflict: null, base: { hash: 'h1' } });
    expect(isDirty(same)).toBe(true);
    expect(r.cursors.get(same.id)).toEqual({ line: 3, column: 1 });
    expect(changed).toMatchObject({
      text: 'mine',
      conflict: { reason: 'external', disk: { hash: 'h2', text: 'theirs' } },
      base: { hash: 'h1', encoding: 'utf8-bom', eol: 'crlf' },
    });
    expect(isDirty(changed)).toBe(true);
    expect(clean).toMatchObject({ text: 'on disk', conflict: null });
    expect(isDirty(clean)).toBe(false);
    expect(goneDirty).toMatchObject({ text: 'keep me', conflict: { disk: null } });
    expect(fresh).toMatchObject({ text: 'never saved', conflict: null, base: null });
    expect(isDirty(fresh)).toBe(true);
    expect(r.activeId).toBe(changed.id);
    expect(r.missing).toEqual(['gone.py']);
    expect(r.conflicts).toEqual(['changed.py', 'gone-dirty.py']);
  });

  it('a file that already holds the buffer comes back clean; tabs opened before the restore stay first', () => {
    const state: WorkspaceState = {
      tabs: [{ path: 'a.py' }],
      active: 'a.py',
      buffers: [{ path: 'a.py', text: 'new', baseHash: 'old' }],
    };
    const early = scratchDocument('early', 'snippet-1.py', 'python', '');
    const r = restoreDocs(state, new Map([['a.py', disk('a.py', 'new', 'h')]]), newId, lang, [early]);
    expect(r.docs[0]).toBe(early);
    expect(isDirty(r.docs[1])).toBe(false);
    expect(r.activeId).toBe('early');
  });
});

describe('file tree', () => {
  const e = (path: string, kind: 'file' | 'dir'): TreeEntry => ({ path, name: path.split('/').pop()!, kind });
  const listing = (entries: TreeEntry[]): DirListing => ({ entries, loading: false, error: null });
  const dirs: Record<string, DirListing> = {
    '': listing(sortEntries([e('z.py', 'file'), e('src', 'dir'), e('a.txt', 'file'), e('docs', 'dir')])),
    src: listing([e('src/main.py', 'file'), e('src/util', 'dir')]),
    'src/util': { entries: null, loading: true, error: null },
  };

  it('sorts folders first, names naturally', () => {
    expect(sortEntries([e('f10', 'file'), e('f2', 'file'), e('B', 'dir'), e('a', 'dir')]).map((x) => x.name)).toEqual([
      'a',
      'B',
      'f2',
      'f10',
    ]);
  });
  it('lists the rows of expanded folders with levels and positions', () => {
    const rows = visibleRows(dirs, new Set(['src', 'src/util']));
    expect(rows.map((r) => `${r.level}:${r.path}${r.expanded ? '+' : ''}`)).toEqual([
      '1:docs',
      '1:src+',
      '2:src/main.py',
      '2:src/util+',
      '1:a.txt',
      '1:z.py',
    ]);
    expect(rows[3].loading).toBe(true);
    expect(rows[2]).toMatchObject({ posInSet: 1, setSize: 2, parent: 'src' });
    expect(visibleRows(dirs, new Set()).map((r) => r.path)).toEqual(['docs', 'src', 'a.txt', 'z.py']);
    expect(visibleRows({}, new Set())).toEqual([]);
  });
  it('maps keys to tree commands', () => {
    const rows = visibleRows(dirs, new Set(['src']));
    expect(treeKey(rows, 'docs', 'ArrowDown')).toEqual({ focus: 'src' });
    expect(treeKey(rows, 'docs', 'ArrowUp')).toBeNull();
    expect(treeKey(rows, 'z.py', 'ArrowDown')).toBeNull();
    expect(treeKey(rows, 'docs', 'ArrowRight')).toEqual({ expand: 'docs' });
    expect(treeKey(rows, 'src', 'ArrowRight')).toEqual({ focus: 'src/main.py' });
    expect(treeKey(rows, 'src', 'ArrowLeft')).toEqual({ collapse: 'src' });
    expect(treeKey(rows, 'src/main.py', 'ArrowLeft')).toEqual({ focus: 'src' });
    expect(treeKey(rows, 'a.txt', 'ArrowLeft')).toBeNull();
    expect(treeKey(rows, 'src/main.py', 'Enter')).toEqual({ open: 'src/main.py' });
    expect(treeKey(rows, 'docs', 'Enter')).toEqual({ expand: 'docs' });
    expect(treeKey(rows, 'src', ' ')).toEqual({ collapse: 'src' });
    expect(treeKey(rows, 'a.txt', 'Home')).toEqual({ focus: 'docs' });
    expect(treeKey(rows, 'docs', 'End')).toEqual({ focus: 'z.py' });
    expect(treeKey(rows, 'docs', 'z')).toEqual({ focus: 'z.py' });
    expect(treeKey(rows, 'z.py', 'D')).toEqual({ focus: 'docs' });
    expect(treeKey(rows, null, 'ArrowDown')).toEqual({ focus: 'docs' });
    expect(treeKey(rows, null, 'Enter')).toBeNull();
    expect(treeKey([], null, 'ArrowDown')).toBeNull();
    expect(treeKey(rows, 'a.txt', 'Tab')).toBeNull();
  });
});

// ---- The stores against a fake workspace in memory ---------------------------------------------------------------

describe('editor and workspace stores with a fake bridge', () => {
  const files = new Map<string, string>();
  const hash = (t: string) => createHash('sha256').update(t).digest('hex');
  let saves: SaveRequest[] = [];
  let savedStates: WorkspaceState[] = [];
  let storedState: WorkspaceState | null = null;

  const answers: Partial<Record<InvokeChannel, (req: never) => unknown>> = {
    'files:read': ({ path }: { path: string }) => {
      const text = files.get(path);
      if (text === undefined) throw new Error(`not found: ${path}`);
      return {
        path,
        text,
        encoding: 'utf8',
        eol: text.includes('\r\n') ? 'crlf' : 'lf',
        mixedEol: false,
        size: text.length,
        mtimeMs: 1,
        hash: hash(text),
      };
    },
    'files:save': (req: SaveRequest) => {
      saves.push(req);
      const now = files.get(req.path);
      if (!req.force) {
        if (req.expected === null && now !== undefined) return { saved: false, conflict: 'exists' };
        if (req.expected && (now === undefined || hash(now) !== req.expected.hash))
          return { saved: false, conflict: { size: 0, mtimeMs: 2, hash: now ? hash(now) : '0'.repeat(64) } };
      }
      const text = req.text.replace(/\r?\n/g, req.eol === 'crlf' ? '\r\n' : '\n');
      files.set(req.path, text);
      return { saved: true, file: { size: text.length, mtimeMs: 3, hash: hash(text) } };
    },
    'files:stat': ({ paths }: { paths: string[] }) => ({
      files: paths.map((path) =>
        files.has(path)
          ? { path, state: 'file', size: 1, mtimeMs: 1, hash: hash(files.get(path)!) }
          : { path, state: 'missing' },
      ),
    }),
    'files:watch': ({ paths }: { paths: string[] }) => ({ watching: paths, supported: true }),
    'workspace:get': () => ({ workspace: { root: '/ws', name: 'ws' } }),
    'workspace:list': ({ path }: { path: string }) => ({
      path,
      gitHidden: false,
      truncated: false,
      entries: [
        ...new Set(
          [...files.keys()]
            .filter((p) => !path || p.startsWith(`${path}/`))
            .map((p) => (path ? p.slice(path.length + 1) : p).split('/')[0]),
        ),
      ].map((name) => {
        const full = joinPath(path, name);
        return { name, path: full, kind: files.has(full) ? 'file' : 'dir', size: 0, symlink: false };
      }),
    }),
    'workspace:getState': () => ({ state: storedState, notices: [] }),
    'workspace:saveState': ({ state }: { state: WorkspaceState }) => {
      savedStates.push(state);
      storedState = state;
      return { ok: true };
    },
  };
  const bridge: AppBridge = {
    kind: 'websocket',
    invoke: (async (channel: InvokeChannel, request: never) => {
      const a = answers[channel];
      if (!a) throw new Error(`no handler for ${channel}`);
      return a(request);
    }) as AppBridge['invoke'],
    on: (() => () => {}) as AppBridge['on'],
    connection: () => ({ state: 'open' }),
    onConnection: () => () => {},
  };

  beforeEach(() => {
    files.clear();
    files.set('src/a.py', 'a = 1\r\nb = 2\r\n');
    files.set('src/b.py', 'b\n');
    files.set('top.txt', 'top\n');
    saves = [];
    savedStates = [];
    storedState = null;
    setBridge(bridge);
    useEditorStore.setState({
      documents: [],
      activeId: null,
      selection: null,
      attachment: null,
      closing: null,
      saveAsId: null,
      saving: [],
    });
    useWorkspaceStore.setState({ workspace: null, loaded: false, dirs: {}, expanded: [], focused: null });
  });

  const active = () => useEditorStore.getState().documents.find((d) => d.id === useEditorStore.getState().activeId)!;

  it('loads the workspace and its root listing; folders list when expanded', async () => {
    await useWorkspaceStore.getState().load();
    const ws = useWorkspaceStore.getState();
    expect(ws.workspace?.name).toBe('ws');
    expect(ws.dirs['']?.entries?.map((e) => `${e.kind}:${e.path}`)).toEqual(['dir:src', 'file:top.txt']);
    ws.toggle('src');
    await vi.waitFor(() =>
      expect(useWorkspaceStore.getState().dirs.src?.entries?.map((e) => e.path)).toEqual(['src/a.py', 'src/b.py']),
    );
    expect(useWorkspaceStore.getState().expanded).toEqual(['src']);
  });

  it('opens a file once, saves with its line ending and the expected hash; a changed file is a conflict, overwrite forces', async () => {
    const id = await useEditorStore.getState().openFile('src/a.py');
    expect(await useEditorStore.getState().openFile('src/a.py')).toBe(id);
    expect(useEditorStore.getState().documents).toHaveLength(1);
    expect(active().text).toBe('a = 1\nb = 2\n');
    useEditorStore.getState().setText(id!, 'a = 1\nb = 3\n');
    expect(isDirty(active())).toBe(true);
    expect(await useEditorStore.getState().save()).toBe('saved');
    expect(saves[0]).toMatchObject({
      path: 'src/a.py',
      eol: 'crlf',
      encoding: 'utf8',
      expected: { hash: hash('a = 1\r\nb = 2\r\n') },
    });
    expect(files.get('src/a.py')).toBe('a = 1\r\nb = 3\r\n');
    expect(isDirty(active())).toBe(false);

    files.set('src/a.py', 'someone else\r\n');
    useEditorStore.getState().setText(id!, 'mine\n');
    expect(await useEditorStore.getState().save()).toBe('conflict');
    expect(active().conflict).toMatchObject({ reason: 'save', disk: { text: 'someone else\n' } });
    expect(files.get('src/a.py')).toBe('someone else\r\n');
    await useEditorStore.getState().resolveConflict(id!, 'overwrite');
    expect(files.get('src/a.py')).toBe('mine\r\n');
    expect(active().conflict).toBeNull();
    expect(isDirty(active())).toBe(false);
  });

  it('external changes: a clean tab reloads, a modified one gets the bar, a deleted one too', async () => {
    const a = (await useEditorStore.getState().openFile('src/a.py'))!;
    const b = (await useEditorStore.getState().openFile('src/b.py'))!;
    useEditorStore.getState().setText(b, 'my b\n');
    files.set('src/a.py', 'new a\n');
    files.set('src/b.py', 'their b\n');
    await useEditorStore.getState().checkExternal();
    const doc = (id: string) => useEditorStore.getState().documents.find((d) => d.id === id)!;
    expect(doc(a)).toMatchObject({ text: 'new a\n', conflict: null, revision: 1 });
    expect(doc(b)).toMatchObject({ text: 'my b\n', conflict: { reason: 'external', disk: { text: 'their b\n' } } });
    await useEditorStore.getState().resolveConflict(b, 'reload');
    expect(doc(b)).toMatchObject({ text: 'their b\n', conflict: null });
    files.delete('src/a.py');
    await useEditorStore.getState().checkExternal(['src/a.py']);
    expect(doc(a).conflict).toMatchObject({ reason: 'external', disk: null });
  });

  it('closing an unsaved tab asks; Save As refuses paths outside, asks before overwriting, renames the tab', async () => {
    const s = useEditorStore.getState().open({ title: '', language: 'python', text: '' });
    expect(active().title).toBe('snippet-1.py');
    useEditorStore.getState().setText(s, 'print(1)\n');
    useEditorStore.getState().close(s);
    expect(useEditorStore.getState().closing).toBe(s);
    await useEditorStore.getState().answerClose('cancel');
    expect(useEditorStore.getState().documents).toHaveLength(1);
    useEditorStore.getState().close(s);
    await useEditorStore.getState().answerClose('save');
    expect(useEditorStore.getState().saveAsId).toBe(s);
    expect(await useEditorStore.getState().saveAs(s, '../x.py')).toEqual({
      problem: 'The path must stay inside the workspace',
    });
    expect(await useEditorStore.getState().saveAs(s, 'top.txt')).toBe('exists');
    expect(files.get('top.txt')).toBe('top\n');
    expect(await useEditorStore.getState().saveAs(s, 'src/new.py')).toBe('saved');
    expect(files.get('src/new.py')).toBe('print(1)\n');
    // Save chosen while closing: the tab closes once saved.
    expect(useEditorStore.getState().documents).toHaveLength(0);
  });

  it('keeps tabs and unsaved buffers in main and restores them, debounced', async () => {
    vi.useFakeTimers();
    try {
      await useWorkspaceStore.getState().load();
      const a = (await useEditorStore.getState().openFile('src/a.py'))!;
      useEditorStore.getState().setText(a, 'edited\n');
      await vi.advanceTimersByTimeAsync(PERSIST_DELAY_MS + 50);
      expect(savedStates.at(-1)).toEqual({
        tabs: [{ path: 'src/a.py' }],
        active: 'src/a.py',
        buffers: [
          { path: 'src/a.py', text: 'edited\n', baseHash: hash('a = 1\r\nb = 2\r\n'), encoding: 'utf8', eol: 'crlf' },
        ],
      });
      const writes = savedStates.length;
      useEditorStore.getState().setText(a, 'edited\n');
      await vi.advanceTimersByTimeAsync(PERSIST_DELAY_MS + 50);
      expect(savedStates.length).toBe(writes);
    } finally {
      vi.useRealTimers();
    }
    // A fresh start: the buffer comes back unsaved over the same file.
    useEditorStore.setState({ documents: [], activeId: null });
    useWorkspaceStore.setState({ workspace: null });
    await useWorkspaceStore.getState().load();
    expect(active()).toMatchObject({ path: 'src/a.py', text: 'edited\n', conflict: null });
    expect(isDirty(active())).toBe(true);
  });
});
