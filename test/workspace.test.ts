/**
 * The workspace and its files, on real folders: path confinement, refusals, encodings and line
 * breaks, atomic saves (real write failures through a file size limit and a full tmpfs, a
 * kill -9 mid-save through the test pause hook on the real browser-mode server), conflicts,
 * state across restarts, the watcher, and the dispatcher refusing bad requests on every channel.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Events } from '../common/contract.js';
import { FILE_SIZE_LIMIT, PATHS_LIMIT, type WorkspaceState } from '../common/workspace.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { saveFileAtomic, SAVE_PAUSE_ENV } from '../main/persistence/atomic-file.js';
import { WorkspaceService } from '../main/workspace/workspace-service.js';
import { engineProcessLauncher } from './helpers/engine-host.js';
import { nobodyCanLoadSources } from './helpers/unprivileged.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const isRoot = process.getuid?.() === 0;
const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

let root: string;
let outside: string;
let userData: string;
let ws: WorkspaceService;
const changed: string[] = [];

beforeEach(() => {
  root = tmp('ws-root-');
  outside = tmp('ws-outside-');
  userData = tmp('ws-userdata-');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  changed.length = 0;
  ws = new WorkspaceService({ userData, requirePicked: false, onFileChanged: (p) => changed.push(p) });
  ws.open(root);
});
afterEach(() => ws.dispose());

const saveReq = (
  path: string,
  text: string,
  expected: string | null,
  extra: Partial<{ force: boolean; encoding: 'utf8' | 'utf8-bom'; eol: 'lf' | 'crlf' }> = {},
) => ({
  path,
  text,
  encoding: extra.encoding ?? ('utf8' as const),
  eol: extra.eol ?? ('lf' as const),
  expected: expected === null ? null : { hash: expected },
  ...(extra.force ? { force: true } : {}),
});

describe('path confinement', () => {
  it('refuses .. escapes, absolute paths and NUL bytes; normalises paths that stay inside', () => {
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'b.txt'), 'b');
    for (const p of ['../secret.txt', 'a/../../secret.txt', '..', 'a/../..', '..\\secret.txt'])
      expect(() => ws.read(p)).toThrow(/outside the workspace/);
    for (const p of ['/etc/passwd', join(outside, 'secret.txt'), '\\etc\\passwd', 'C:\\Windows\\win.ini', 'c:/x'])
      expect(() => ws.read(p)).toThrow(/absolute paths are refused/);
    expect(() => ws.read('b.txt\0.png')).toThrow(/NUL byte/);
    expect(ws.read('a/../b.txt')).toMatchObject({ path: 'b.txt', text: 'b' });
    expect(ws.read('./a/./../b.txt').path).toBe('b.txt');
    // The same checks guard save, stat and list.
    expect(() => ws.save(saveReq('../escape.txt', 'x', null))).toThrow(/outside the workspace/);
    expect(() => ws.save(saveReq('/tmp/escape.txt', 'x', null))).toThrow(/absolute/);
    expect(() => ws.list('..')).toThrow(/outside the workspace/);
    expect(ws.stat(['../secret.txt'])[0]).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/outside the workspace/),
    });
    expect(existsSync(join(root, '..', 'escape.txt'))).toBe(false);
  });

  it('a symlinked file that leads out is refused for read, save and stat, and listed as symlink-outside', () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    expect(() => ws.read('link.txt')).toThrow(/outside the workspace/);
    expect(() => ws.save(saveReq('link.txt', 'overwritten', null, { force: true }))).toThrow(/outside the workspace/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(ws.stat(['link.txt'])[0].state).toBe('error');
    expect(ws.list('').entries).toEqual([
      { name: 'link.txt', path: 'link.txt', kind: 'symlink-outside', size: 0, symlink: true },
    ]);
  });

  it('a symlinked parent folder that leads out is refused, for existing and new files alike', () => {
    symlinkSync(outside, join(root, 'out'));
    expect(() => ws.read('out/secret.txt')).toThrow(/outside the workspace/);
    expect(() => ws.read('out/missing.txt')).toThrow(/outside the workspace/);
    expect(() => ws.list('out')).toThrow(/outside the workspace/);
    expect(() => ws.save(saveReq('out/new.txt', 'x', null))).toThrow(/outside the workspace/);
    expect(() => ws.save(saveReq('out/deeper/new.txt', 'x', null))).toThrow(/outside the workspace/);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('symlinks that stay inside work; saving through one writes its target and keeps the link', () => {
    mkdirSync(join(root, 'real'));
    writeFileSync(join(root, 'real', 'f.txt'), 'one');
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    symlinkSync(join(root, 'real', 'f.txt'), join(root, 'f-link.txt'));
    const f = ws.read('alias/f.txt');
    expect(f).toMatchObject({ path: 'alias/f.txt', text: 'one' });
    expect(ws.save(saveReq('f-link.txt', 'two', f.hash))).toMatchObject({ saved: true });
    expect(readFileSync(join(root, 'real', 'f.txt'), 'utf8')).toBe('two');
    expect(ws.list('').entries.find((e) => e.name === 'f-link.txt')).toMatchObject({
      kind: 'file',
      symlink: true,
      size: 3,
    });
    symlinkSync(join(root, 'nowhere.txt'), join(root, 'dangling.txt'));
    expect(() => ws.save(saveReq('dangling.txt', 'x', null, { force: true }))).toThrow(/symlink to a missing file/);
    expect(ws.list('').entries.find((e) => e.name === 'dangling.txt')?.kind).toBe('other');
  });

  it('nothing works before a workspace is open; opening checks the folder', () => {
    const none = new WorkspaceService({ userData: tmp('ws-ud2-'), requirePicked: false });
    expect(none.current()).toBeNull();
    expect(() => none.read('a.txt')).toThrow(/no workspace is open/);
    expect(() => none.open('relative/dir')).toThrow(/absolute path/);
    expect(() => none.open(join(root, 'missing'))).toThrow(/folder not found/);
    writeFileSync(join(root, 'file.txt'), 'x');
    expect(() => none.open(join(root, 'file.txt'))).toThrow(/not a folder/);
    symlinkSync(root, join(outside, 'root-link'));
    expect(none.open(join(outside, 'root-link'))).toEqual({ root, name: root.split('/').pop() });
  });
});

describe('reading: refusals', () => {
  it('binary (NUL byte or invalid UTF-8), too large, a directory, a FIFO, missing', () => {
    writeFileSync(join(root, 'nul.bin'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(join(root, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(() => ws.read('nul.bin')).toThrow('binary file: not opened (contains NUL bytes)');
    expect(() => ws.read('latin1.txt')).toThrow('binary file: not opened (not valid UTF-8)');
    writeFileSync(join(root, 'big.txt'), '');
    truncateSync(join(root, 'big.txt'), Math.round(12.3 * 1024 * 1024));
    expect(() => ws.read('big.txt')).toThrow('file too large: 12.3 MB, the limit is 5 MB');
    writeFileSync(join(root, 'at-limit.txt'), Buffer.alloc(FILE_SIZE_LIMIT, 0x61));
    expect(ws.read('at-limit.txt').size).toBe(FILE_SIZE_LIMIT);
    mkdirSync(join(root, 'dir'));
    expect(() => ws.read('dir')).toThrow('dir is a directory, not a file');
    expect(spawnSync('mkfifo', [join(root, 'fifo')]).status).toBe(0);
    expect(() => ws.read('fifo')).toThrow('fifo is not a regular file');
    expect(() => ws.read('missing.txt')).toThrow('not found: missing.txt');
    expect(ws.stat(['missing.txt', 'big.txt', 'dir'])).toEqual([
      { path: 'missing.txt', state: 'missing' },
      {
        path: 'big.txt',
        state: 'file',
        size: Math.round(12.3 * 1024 * 1024),
        mtimeMs: statSync(join(root, 'big.txt')).mtimeMs,
        hash: null,
      },
      { path: 'dir', state: 'error', error: 'dir is a directory, not a file' },
    ]);
  });

  // As root the check needs a child running as nobody, which must be able to read this checkout.
  it.skipIf(isRoot && !nobodyCanLoadSources(repo))('unreadable (EACCES) is refused as permission denied', () => {
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'locked.txt'), 'x');
    chmodSync(join(root, 'locked.txt'), 0o000);
    // root reads anything: check as an unprivileged user in a child process.
    const code = `import { readTextFile } from ${JSON.stringify(join(repo, 'main/workspace/files.ts'))};
      try { readTextFile(${JSON.stringify(root)}, 'locked.txt'); console.log('read it'); } catch (e) { console.log(e.message); }`;
    const out = isRoot
      ? runTs(code, { uid: 65534, gid: 65534 }).stdout
      : ((): string => {
          try {
            ws.read('locked.txt');
            return 'read it';
          } catch (e) {
            return (e as Error).message;
          }
        })();
    expect(out.trim()).toBe('permission denied: locked.txt');
  });
});

describe('encodings and line breaks: kept as found', () => {
  it('a CRLF file with a BOM reads as utf8-bom/crlf and saves byte-identical, from the text as read or with \\n', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('def f():\r\n    return "é"\r\n', 'utf8'),
    ]);
    writeFileSync(join(root, 'crlf.py'), bytes);
    const f = ws.read('crlf.py');
    expect(f).toMatchObject({
      encoding: 'utf8-bom',
      eol: 'crlf',
      mixedEol: false,
      text: 'def f():\r\n    return "é"\r\n',
      size: bytes.length,
      hash: sha(bytes),
    });
    expect(
      ws.save({ path: 'crlf.py', text: f.text, encoding: f.encoding, eol: f.eol, expected: { hash: f.hash } }),
    ).toMatchObject({
      saved: true,
      file: { hash: sha(bytes), size: bytes.length },
    });
    expect(readFileSync(join(root, 'crlf.py')).equals(bytes)).toBe(true);
    const again = ws.save({
      path: 'crlf.py',
      text: f.text.replace(/\r\n/g, '\n'),
      encoding: f.encoding,
      eol: f.eol,
      expected: { hash: f.hash },
    });
    expect(again).toMatchObject({ saved: true, file: { hash: sha(bytes) } });
    expect(readFileSync(join(root, 'crlf.py')).equals(bytes)).toBe(true);
  });

  it('plain LF UTF-8, a doubled BOM, no line break at all, and mixed line breaks (majority reported, text as is)', () => {
    writeFileSync(join(root, 'lf.ts'), 'a\nb\n');
    expect(ws.read('lf.ts')).toMatchObject({ encoding: 'utf8', eol: 'lf', mixedEol: false, text: 'a\nb\n' });
    const twoBoms = Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x78]);
    writeFileSync(join(root, 'boms.txt'), twoBoms);
    const b = ws.read('boms.txt');
    expect(b).toMatchObject({ encoding: 'utf8-bom', text: '\ufeffx' });
    ws.save({ path: 'boms.txt', text: b.text, encoding: b.encoding, eol: b.eol, expected: { hash: b.hash } });
    expect(readFileSync(join(root, 'boms.txt')).equals(twoBoms)).toBe(true);
    writeFileSync(join(root, 'one.txt'), 'x');
    expect(ws.read('one.txt')).toMatchObject({ eol: 'lf', mixedEol: false });
    writeFileSync(join(root, 'mixed.txt'), 'a\r\nb\r\nc\nd\r\n');
    const m = ws.read('mixed.txt');
    expect(m).toMatchObject({ eol: 'crlf', mixedEol: true, text: 'a\r\nb\r\nc\nd\r\n' });
    // Saved as the majority line break (documented in text-codec.ts).
    ws.save({ path: 'mixed.txt', text: m.text, encoding: m.encoding, eol: m.eol, expected: { hash: m.hash } });
    expect(readFileSync(join(root, 'mixed.txt'), 'utf8')).toBe('a\r\nb\r\nc\r\nd\r\n');
    writeFileSync(join(root, 'mostly-lf.txt'), 'a\nb\nc\r\n');
    expect(ws.read('mostly-lf.txt')).toMatchObject({ eol: 'lf', mixedEol: true });
  });
});

describe('saving: atomic, conflicts', () => {
  it('keeps the file mode; a new file gets the default mode; the parent folder must exist', () => {
    writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(root, 'run.sh'), 0o754);
    const f = ws.read('run.sh');
    expect(ws.save(saveReq('run.sh', '#!/bin/sh\necho hi\n', f.hash))).toMatchObject({ saved: true });
    expect(statSync(join(root, 'run.sh')).mode & 0o7777).toBe(0o754);
    writeFileSync(join(root, 'private.txt'), 'x');
    chmodSync(join(root, 'private.txt'), 0o600);
    ws.save(saveReq('private.txt', 'y', sha('x')));
    expect(statSync(join(root, 'private.txt')).mode & 0o7777).toBe(0o600);
    mkdirSync(join(root, 'src'));
    const created = ws.save(saveReq('src/new.ts', 'export {};\n', null));
    expect(created).toEqual({
      saved: true,
      file: { size: 11, mtimeMs: statSync(join(root, 'src/new.ts')).mtimeMs, hash: sha('export {};\n') },
    });
    expect(statSync(join(root, 'src/new.ts')).mode & 0o777).toBe(0o666 & ~process.umask());
    expect(() => ws.save(saveReq('nope/new.ts', 'x', null))).toThrow('the parent folder does not exist: nope');
    expect(() => ws.save(saveReq('src', 'x', null, { force: true }))).toThrow('src is a directory, not a file');
    expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a file changed on disk since it was read is not overwritten (conflict with its version) unless forced', () => {
    writeFileSync(join(root, 'a.txt'), 'v1');
    const f = ws.read('a.txt');
    writeFileSync(join(root, 'a.txt'), 'v2 from another editor');
    const r = ws.save(saveReq('a.txt', 'mine', f.hash));
    expect(r).toEqual({
      saved: false,
      conflict: { size: 22, mtimeMs: statSync(join(root, 'a.txt')).mtimeMs, hash: sha('v2 from another editor') },
    });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('v2 from another editor');
    expect(ws.stat(['a.txt'])[0]).toMatchObject({ state: 'file', hash: sha('v2 from another editor') });
    expect(ws.save(saveReq('a.txt', 'mine', f.hash, { force: true }))).toMatchObject({
      saved: true,
      file: { hash: sha('mine') },
    });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('mine');
  });

  it('expected null (new file, Save As) answers conflict "exists" for an existing file; a deleted file is written again', () => {
    writeFileSync(join(root, 'taken.txt'), 'keep');
    expect(ws.save(saveReq('taken.txt', 'new', null))).toEqual({ saved: false, conflict: 'exists' });
    expect(readFileSync(join(root, 'taken.txt'), 'utf8')).toBe('keep');
    expect(ws.save(saveReq('taken.txt', 'new', null, { force: true }))).toMatchObject({ saved: true });
    const f = ws.read('taken.txt');
    rmSync(join(root, 'taken.txt'));
    expect(ws.stat(['taken.txt'])).toEqual([{ path: 'taken.txt', state: 'missing' }]);
    expect(ws.save(saveReq('taken.txt', 'back', f.hash))).toMatchObject({ saved: true });
    expect(readFileSync(join(root, 'taken.txt'), 'utf8')).toBe('back');
  });

  it('a short write (file size limit: write returns less, then EFBIG) fails the save and leaves the original intact, for files and app JSON', () => {
    writeFileSync(join(root, 'keep.txt'), 'original');
    writeFileSync(join(root, 'conv.json'), '{"original":true}');
    const code = `import { saveFileAtomic, writeFileAtomic } from ${JSON.stringify(join(repo, 'main/persistence/atomic-file.ts'))};
      for (const [f, fn] of [['keep.txt', (p) => saveFileAtomic(p, Buffer.alloc(200000, 120))], ['conv.json', (p) => writeFileAtomic(p, JSON.stringify({ big: 'x'.repeat(200000) }))]]) {
        try { fn(${JSON.stringify(root)} + '/' + f); console.log(f, 'saved'); } catch (e) { console.log(f, e.code ?? e.message); }
      }`;
    // 64 KiB file size limit for the child: write(2) writes up to it and returns the count, the next one fails.
    const r = runTs(code, { fsizeKiB: 64 });
    expect(r.stdout.trim().split('\n')).toEqual(['keep.txt EFBIG', 'conv.json EFBIG']);
    expect(readFileSync(join(root, 'keep.txt'), 'utf8')).toBe('original');
    expect(readFileSync(join(root, 'conv.json'), 'utf8')).toBe('{"original":true}');
    expect(readdirSync(root).sort()).toEqual(['conv.json', 'keep.txt']);
  });

  it('a full disk (ENOSPC on a tiny tmpfs) fails the save with the original intact and no temp file', (ctx) => {
    const mnt = tmp('ws-tmpfs-');
    if (!isRoot || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) {
      ctx.skip(
        'cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the file size limit test covers short writes',
      );
      return;
    }
    try {
      writeFileSync(join(mnt, 'f.txt'), 'original');
      const small = new WorkspaceService({ userData, requirePicked: false });
      small.open(mnt);
      expect(() => small.save(saveReq('f.txt', 'y'.repeat(200_000), sha('original')))).toThrow(
        /could not save f\.txt: ENOSPC.*the file on disk is unchanged/,
      );
      expect(readFileSync(join(mnt, 'f.txt'), 'utf8')).toBe('original');
      expect(readdirSync(mnt)).toEqual(['f.txt']);
      small.dispose();
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('a read-only folder: the save is refused and the original stays', (ctx) => {
    if (isRoot) {
      ctx.skip('root writes into read-only folders; the EFBIG and ENOSPC tests cover failed writes');
      return;
    }
    writeFileSync(join(root, 'ro.txt'), 'original');
    chmodSync(root, 0o555);
    try {
      expect(() => ws.save(saveReq('ro.txt', 'new', sha('original')))).toThrow(/permission denied/);
      expect(readFileSync(join(root, 'ro.txt'), 'utf8')).toBe('original');
    } finally {
      chmodSync(root, 0o755);
    }
  });

  it('saveFileAtomic replaces a file with exactly the bytes given and the mode asked', () => {
    const p = join(root, 'bytes.bin');
    writeFileSync(p, 'old');
    const bytes = Buffer.from([0, 1, 2, 255]);
    saveFileAtomic(p, bytes, { mode: 0o640 });
    expect(readFileSync(p).equals(bytes)).toBe(true);
    expect(statSync(p).mode & 0o7777).toBe(0o640);
  });
});

describe('listing', () => {
  it('folders first, then names in natural order; hidden files listed; .git contents only on request', () => {
    for (const d of ['src', '.git', 'Docs']) mkdirSync(join(root, d));
    writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    for (const f of ['file10.txt', 'file2.txt', '.env', 'B.md', 'a.md']) writeFileSync(join(root, f), 'xy');
    const top = ws.list('');
    expect(top.entries.map((e) => e.name)).toEqual([
      '.git',
      'Docs',
      'src',
      '.env',
      'a.md',
      'B.md',
      'file2.txt',
      'file10.txt',
    ]);
    expect(top.entries.find((e) => e.name === 'a.md')).toEqual({
      name: 'a.md',
      path: 'a.md',
      kind: 'file',
      size: 2,
      symlink: false,
    });
    expect(top).toMatchObject({ path: '', gitHidden: false, truncated: false });
    expect(ws.list('.git')).toEqual({ path: '.git', entries: [], gitHidden: true, truncated: false });
    expect(ws.list('.git', true).entries.map((e) => e.path)).toEqual(['.git/HEAD']);
    writeFileSync(join(root, 'src', 'm.ts'), '');
    expect(ws.list('./src/').entries.map((e) => e.path)).toEqual(['src/m.ts']);
    expect(() => ws.list('a.md')).toThrow('not a folder: a.md');
    expect(() => ws.list('nope')).toThrow('not found: nope');
  });
});

describe('external changes', () => {
  it('stat reports the version on disk; a watched file changed by someone else is pushed as files:changed', async () => {
    writeFileSync(join(root, 'w.txt'), 'one');
    const f = ws.read('w.txt');
    expect(ws.stat(['w.txt'])).toEqual([{ path: 'w.txt', state: 'file', size: 3, mtimeMs: f.mtimeMs, hash: f.hash }]);
    const w = ws.watch(['w.txt', 'missing.txt', '../secret.txt']);
    expect(w).toEqual({
      watching:
        process.platform === 'linux' || process.platform === 'darwin' || process.platform === 'win32' ? ['w.txt'] : [],
      supported: w.supported,
    });
    if (!w.supported) return;
    writeFileSync(join(root, 'w.txt'), 'two');
    await until(() => changed.includes('w.txt'));
    expect(ws.stat(['w.txt'])[0]).toMatchObject({ hash: sha('two') });
    // Replacing the watched set stops the old one.
    ws.watch([]);
    changed.length = 0;
    writeFileSync(join(root, 'w.txt'), 'three');
    await new Promise((r) => setTimeout(r, 300));
    expect(changed).toEqual([]);
  });
});

describe('workspace state', () => {
  const state = (text: string, baseHash: string | null): WorkspaceState => ({
    tabs: [{ path: 'a.txt', cursor: { line: 2, column: 5 }, scroll: { top: 120, left: 0 } }, { path: 'new.txt' }],
    active: 'a.txt',
    buffers: [
      { path: 'a.txt', text, baseHash, encoding: 'utf8', eol: 'lf' },
      { path: 'new.txt', text: 'draft', baseHash: null },
    ],
  });

  it('round-trips per workspace, survives a restart (the last workspace reopens) and keeps base hashes to detect changes on disk', async () => {
    writeFileSync(join(root, 'a.txt'), 'base');
    const base = ws.read('a.txt');
    expect(ws.getState()).toEqual({ state: null, notices: [] });
    ws.saveState(state('base + edits', base.hash));
    expect(ws.getState().state).toEqual(state('base + edits', base.hash));

    // Another workspace has its own state.
    const other = tmp('ws-other-');
    ws.open(other);
    expect(ws.getState().state).toBeNull();

    // Restart: a new core on the same user data reopens the last workspace.
    ws.open(root);
    writeFileSync(join(root, 'a.txt'), 'changed while the app was down');
    const core = createAppCore(
      {
        userData,
        builtinModelDir: join(userData, 'no-model'),
        launcher: engineProcessLauncher(),
        mode: 'browser',
        version: 'test',
      },
      { broadcast: () => undefined },
    );
    try {
      expect(await core.dispatch('workspace:get', {})).toEqual({
        ok: true,
        value: { workspace: { root, name: root.split('/').pop() } },
      });
      const got = await core.dispatch('workspace:getState', {});
      expect(got).toEqual({ ok: true, value: { state: state('base + edits', base.hash), notices: [] } });
      const now = await core.dispatch('files:stat', { paths: ['a.txt'] });
      expect(now.ok && (now.value as { files: { hash: string }[] }).files[0].hash).not.toBe(base.hash);
    } finally {
      await core.dispose();
    }
  });

  it('refuses a state over the size cap (the saved one stays); a damaged state file is set aside with a notice', () => {
    ws.saveState(state('small', null));
    const huge: WorkspaceState = {
      tabs: [],
      active: null,
      buffers: Array.from({ length: 3 }, (_, i) => ({
        path: `f${i}.txt`,
        text: 'x'.repeat(3 * 1024 * 1024),
        baseHash: null,
      })),
    };
    expect(() => ws.saveState(huge)).toThrow(/workspace state too large: 9\.0 MB, the limit is 8 MB/);
    expect(ws.getState().state).toEqual(state('small', null));
    const dir = join(userData, 'workspaces');
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file), '{"root": ');
    const r = ws.getState();
    expect(r.state).toBeNull();
    expect(r.notices[0].message).toMatch(/kept as .*\.damaged-/);
  });
});

describe('dispatcher: every workspace and files channel validates its request', () => {
  let core: ReturnType<typeof createAppCore>;
  let events: { channel: keyof Events; payload: unknown }[];
  beforeEach(() => {
    events = [];
    core = createAppCore(
      {
        userData: tmp('ws-core-'),
        builtinModelDir: join(root, 'no-model'),
        launcher: engineProcessLauncher(),
        mode: 'browser',
        version: 'test',
      },
      { broadcast: (channel, payload) => events.push({ channel, payload }) },
    );
  });
  afterEach(() => core.dispose());

  const good = { path: 'a.txt', text: 'x', encoding: 'utf8', eol: 'lf', expected: null };
  const cases: [string, unknown, RegExp][] = [
    ['workspace:get', { extra: 1 }, /Unrecognized key/],
    ['workspace:open', {}, /dir/],
    ['workspace:open', { dir: '' }, /dir/],
    ['workspace:open', { dir: 42 }, /dir/],
    ['workspace:pickFolder', { purpose: 'model' }, /Unrecognized key/],
    ['workspace:list', {}, /path/],
    ['workspace:list', { path: '../' }, /path: "\.\.\/" is outside the workspace/],
    ['workspace:list', { path: '/etc' }, /path: absolute paths are refused/],
    ['workspace:list', { path: 'a\0b' }, /path: NUL byte in path/],
    ['workspace:list', { path: '', includeGit: 'yes' }, /includeGit/],
    ['workspace:getState', { state: {} }, /Unrecognized key/],
    ['workspace:saveState', { state: { tabs: 'a.txt', active: null, buffers: [] } }, /state\.tabs/],
    [
      'workspace:saveState',
      { state: { tabs: [{ path: '../x' }], active: null, buffers: [] } },
      /state\.tabs\.0\.path: .*outside the workspace/,
    ],
    [
      'workspace:saveState',
      { state: { tabs: [], active: null, buffers: [{ path: 'a', text: 'x', baseHash: 'abc' }] } },
      /baseHash: a sha256 hex digest/,
    ],
    ['workspace:saveState', { state: { tabs: [], active: '/abs', buffers: [] } }, /state\.active: absolute/],
    ['files:read', { path: '' }, /path: a file path is required/],
    ['files:read', { path: '../../etc/passwd' }, /outside the workspace/],
    ['files:read', { path: '/etc/passwd' }, /absolute paths are refused/],
    ['files:read', { path: 'x\0' }, /NUL byte/],
    ['files:read', { path: 'a.txt', encoding: 'latin1' }, /Unrecognized key/],
    ['files:save', { ...good, path: '../a.txt' }, /outside the workspace/],
    ['files:save', { ...good, encoding: 'latin1' }, /encoding/],
    ['files:save', { ...good, eol: 'cr' }, /eol/],
    ['files:save', { ...good, expected: { hash: 'not-a-hash' } }, /expected\.hash: a sha256 hex digest/],
    ['files:save', { ...good, expected: undefined }, /expected/],
    ['files:save', { ...good, force: 'yes' }, /force/],
    ['files:save', { ...good, mode: 0o777 }, /Unrecognized key/],
    ['files:stat', { paths: 'a.txt' }, /paths/],
    ['files:stat', { paths: Array.from({ length: PATHS_LIMIT + 1 }, (_, i) => `f${i}`) }, /paths/],
    ['files:stat', { paths: ['ok.txt', 'C:\\x'] }, /paths\.1: absolute/],
    ['files:watch', { paths: ['../x'] }, /paths\.0: .*outside the workspace/],
  ];
  it.each(cases)('%s %j', async (channel, request, error) => {
    const r = await core.dispatch(channel, request);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(new RegExp(`invalid request for ${channel}`));
    expect((r as { error: string }).error).toMatch(error);
  });

  it('valid requests with no workspace open are refused by the handler; open checks the folder in main; then everything works', async () => {
    expect(await core.dispatch('workspace:get', {})).toEqual({ ok: true, value: { workspace: null } });
    for (const [c, req] of [
      ['workspace:list', { path: '' }],
      ['files:read', { path: 'a.txt' }],
      ['files:save', good],
      ['files:stat', { paths: ['a.txt'] }],
      ['workspace:getState', {}],
    ] as const) {
      expect(await core.dispatch(c, req)).toEqual({ ok: false, error: 'no workspace is open: open a folder first' });
    }
    expect(await core.dispatch('workspace:open', { dir: 'relative' })).toEqual({
      ok: false,
      error: 'the folder must be an absolute path: relative',
    });
    expect(await core.dispatch('workspace:open', { dir: join(root, 'missing') })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/folder not found/),
    });
    expect(await core.dispatch('workspace:pickFolder', {})).toEqual({ ok: true, value: { dir: null } });
    expect(await core.dispatch('workspace:open', { dir: root })).toEqual({
      ok: true,
      value: { workspace: { root, name: root.split('/').pop() } },
    });
    expect(events).toContainEqual({
      channel: 'workspace:changed',
      payload: { workspace: { root, name: root.split('/').pop() } },
    });
    const saved = await core.dispatch('files:save', good);
    expect(saved).toMatchObject({ ok: true, value: { saved: true, file: { hash: sha('x'), size: 1 } } });
    expect(await core.dispatch('files:read', { path: 'a.txt' })).toMatchObject({
      ok: true,
      value: { path: 'a.txt', text: 'x', encoding: 'utf8', eol: 'lf' },
    });
    expect(await core.dispatch('workspace:list', { path: '' })).toMatchObject({
      ok: true,
      value: { entries: [{ name: 'a.txt', kind: 'file' }] },
    });
    expect(await core.dispatch('files:read', { path: 'nope.txt' })).toEqual({
      ok: false,
      error: 'not found: nope.txt',
    });
  });

  it('Electron: only a folder picked in the native dialog (or the last workspace) can be opened', async () => {
    const picked = tmp('ws-picked-');
    const ud = tmp('ws-core-e-');
    const electron = createAppCore(
      {
        userData: ud,
        builtinModelDir: join(root, 'no-model'),
        launcher: engineProcessLauncher(),
        mode: 'electron',
        version: 'test',
        pickFolder: async (purpose) => (purpose === 'workspace' ? picked : null),
      },
      { broadcast: () => undefined },
    );
    try {
      expect(await electron.dispatch('workspace:open', { dir: root })).toEqual({
        ok: false,
        error: 'open a folder through the folder dialog (workspace:pickFolder)',
      });
      expect(await electron.dispatch('workspace:pickFolder', {})).toEqual({ ok: true, value: { dir: picked } });
      expect(await electron.dispatch('workspace:open', { dir: picked })).toMatchObject({
        ok: true,
        value: { workspace: { root: picked } },
      });
    } finally {
      await electron.dispose();
    }
    const restarted = createAppCore(
      {
        userData: ud,
        builtinModelDir: join(root, 'no-model'),
        launcher: engineProcessLauncher(),
        mode: 'electron',
        version: 'test',
      },
      { broadcast: () => undefined },
    );
    try {
      expect(await restarted.dispatch('workspace:get', {})).toMatchObject({
        ok: true,
        value: { workspace: { root: picked } },
      });
      expect(await restarted.dispatch('workspace:open', { dir: picked })).toMatchObject({ ok: true });
    } finally {
      await restarted.dispose();
    }
  });
});

describe('browser-mode server: --workspace and a kill -9 in the middle of a save', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('the original file is intact after the server dies between fsync and rename; without the kill the save completes', async () => {
    writeFileSync(join(root, 'a.txt'), 'original\n');
    const marker = join(outside, 'pause-marker');
    const ud = tmp('ws-serve-');

    const first = await serve(['--workspace', root, '--user-data', ud], { [SAVE_PAUSE_ENV]: marker });
    children.push(first.child);
    expect(await first.invoke('workspace:get', {})).toEqual({
      ok: true,
      value: { workspace: { root, name: root.split('/').pop() } },
    });
    const f = (await first.invoke('files:read', { path: 'a.txt' })) as { ok: true; value: { hash: string } };
    void first.invoke('files:save', saveReq('a.txt', 'new content\n', f.value.hash));
    await until(() => existsSync(marker));
    const tempFile = readFileSync(marker, 'utf8');
    expect(readFileSync(tempFile, 'utf8')).toBe('new content\n');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('original\n');
    rmSync(marker);

    // A second server, same hook: releasing the pause lets the save finish.
    const second = await serve(['--workspace', root, '--user-data', ud], { [SAVE_PAUSE_ENV]: marker });
    children.push(second.child);
    const saving = second.invoke('files:save', saveReq('a.txt', 'new content\n', f.value.hash));
    await until(() => existsSync(marker));
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('original\n');
    rmSync(marker);
    expect(await saving).toMatchObject({ ok: true, value: { saved: true, file: { hash: sha('new content\n') } } });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('new content\n');

    // A big save fits in one WebSocket frame (10 MB of UTF-8 here).
    const big = 'é'.repeat(5_000_000);
    const bigSave = second.invoke('files:save', saveReq('big.txt', big, null));
    await until(() => existsSync(marker));
    rmSync(marker);
    expect(await bigSave).toMatchObject({
      ok: true,
      value: { saved: true, file: { size: 10_000_000, hash: sha(big) } },
    });
    second.child.kill('SIGKILL');
  });

  it('--workspace that is not a folder stops the server with the reason', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'main/server/index.ts',
        '--workspace',
        join(root, 'missing'),
        '--user-data',
        tmp('ws-serve-'),
      ],
      {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: repo },
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--workspace: folder not found: ${join(root, 'missing')}`);
  });
});

/** Runs an ES module of TypeScript in a child Node (tsx), optionally as another user or under a file size limit. */
function runTs(
  code: string,
  opts: { uid?: number; gid?: number; fsizeKiB?: number } = {},
): { stdout: string; stderr: string } {
  const dir = tmp('ws-script-');
  chmodSync(dir, 0o755);
  const script = join(dir, 'script.mts');
  writeFileSync(script, code, { mode: 0o644 });
  const node = [process.execPath, '--import', 'tsx', script];
  const r =
    opts.fsizeKiB !== undefined
      ? spawnSync('bash', ['-c', `ulimit -f ${opts.fsizeKiB} && exec "$@"`, 'bash', ...node], {
          cwd: repo,
          encoding: 'utf8',
        })
      : spawnSync(node[0], node.slice(1), {
          cwd: repo,
          encoding: 'utf8',
          uid: opts.uid,
          gid: opts.gid,
          env: { ...process.env, HOME: dir },
        });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The real browser-mode server from source (no engine build needed for files), driven over its WebSocket. */
async function serve(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/server/index.ts', '--port', '0', ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) resolve(new URL(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
  const socket = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, {
    origin: `http://${url.host}`,
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pending = new Map<number, (r: unknown) => void>();
  socket.on('message', (d) => {
    const frame = JSON.parse(String(d));
    if (frame.kind === 'result') pending.get(frame.id)?.(frame.result);
  });
  socket.on('error', () => undefined);
  let next = 0;
  const invoke = (channel: string, request: unknown) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ kind: 'invoke', id, channel, request }));
    });
  return { child, invoke };
}
