/**
 * Hardening of the app's own files (issue 10, items 3 and 8), on real folders: a save that fails for
 * lack of space (a tiny tmpfs when one can be mounted, and a file size limit, RLIMIT_FSIZE, in a child
 * process) answers a clear error through the dispatcher and leaves the previous file intact; a damaged
 * file in a read-only data folder is reported and the rest loads; stale temp files from interrupted
 * saves are removed at start (only the app's own, only in its data folders); a damaged models.json is
 * set aside with a notice the UI shows; a conversation file named differently from the id inside is
 * listed once and can be deleted; a FIFO named *.json is skipped, never opened.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation, LoadNotice } from '../common/models.js';
import { DEFAULT_SETTINGS, createAppCore } from '../main/ipc/app-core.js';
import { ConversationStore } from '../main/persistence/conversation-store.js';
import { SettingsStore } from '../main/persistence/settings-store.js';
import { WorkspaceStateStore } from '../main/persistence/workspace-state-store.js';
import { nobodyCanLoadSources } from './helpers/unprivileged.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));
const src = (p: string) => JSON.stringify(join(repo, p));

const conversation = (id: string, content = 'hi', title = 'T'): Conversation => ({
  id,
  title,
  createdAt: 1,
  updatedAt: 2,
  messages: [{ id: 'm1', role: 'user', content, createdAt: 1 }],
});

/** No engine: these tests never start one (createAppCore only starts it in start()). */
const noEngine = () => {
  throw new Error('no engine in this test');
};
const core = (userData: string) =>
  createAppCore(
    { userData, builtinModelDir: join(userData, 'no-builtin'), launcher: noEngine, mode: 'browser', version: 'test' },
    { broadcast: () => {} },
  );

/** Runs an ES module of TypeScript in a child Node (tsx): as another user, under a file size limit, or with a time limit. */
function runTs(
  code: string,
  opts: { uid?: number; fsizeKiB?: number; timeoutMs?: number } = {},
): { status: number | null; stdout: string; stderr: string; signal: string | null } {
  const dir = tmp('hp-script-');
  chmodSync(dir, 0o755);
  const script = join(dir, 'script.mts');
  writeFileSync(script, code, { mode: 0o644 });
  const node = [process.execPath, '--import', 'tsx', script];
  const common = { cwd: repo, encoding: 'utf8' as const, timeout: opts.timeoutMs ?? 60_000 };
  const r =
    opts.fsizeKiB !== undefined
      ? spawnSync('bash', ['-c', `ulimit -f ${opts.fsizeKiB} && exec "$@"`, 'bash', ...node], common)
      : spawnSync(node[0], node.slice(1), {
          ...common,
          uid: opts.uid,
          gid: opts.uid,
          env: { ...process.env, HOME: dir },
        });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', signal: r.signal };
}

let userData: string;
beforeEach(() => {
  userData = tmp('hp-userdata-');
});
afterEach(() => {
  chmodSync(userData, 0o755);
});

describe('a save that cannot be completed keeps the previous file and says why (item 3)', () => {
  it('file size limit (RLIMIT_FSIZE): conversations:save and settings:set answer {ok:false} naming what was not saved; both files are unchanged', () => {
    const store = new ConversationStore(userData);
    store.save(conversation('c1', 'the previous version'));
    const before = readFileSync(join(userData, 'conversations', 'c1.json'), 'utf8');
    new SettingsStore(userData, DEFAULT_SETTINGS).save(DEFAULT_SETTINGS);
    const settingsBefore = readFileSync(join(userData, 'settings.json'), 'utf8');

    const code = `import { createAppCore, DEFAULT_SETTINGS } from ${src('main/ipc/app-core.ts')};
      const c = createAppCore({ userData: ${JSON.stringify(userData)}, builtinModelDir: '/nonexistent', launcher: () => { throw new Error('no engine'); }, mode: 'browser', version: 't' }, { broadcast() {} });
      const conv = ${JSON.stringify(conversation('c1', 'x'.repeat(300_000)))};
      console.log(JSON.stringify(await c.dispatch('conversations:save', { conversation: conv })));
      console.log(JSON.stringify(await c.dispatch('settings:set', { settings: { ...DEFAULT_SETTINGS, modelId: 'm'.repeat(4000) } })));`;
    // 2 KiB: write(2) writes up to the limit and returns the count, the next write fails with EFBIG.
    const r = runTs(code, { fsizeKiB: 2 });
    expect(r.status, r.stderr).toBe(0);
    const [save, set] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(save.ok).toBe(false);
    expect(save.error).toMatch(
      /^file size limit reached: conversation not saved; the copy on disk is unchanged \(EFBIG/,
    );
    expect(set.ok).toBe(false);
    expect(set.error).toMatch(/^file size limit reached: settings not saved; the copy on disk is unchanged \(EFBIG/);
    expect(readFileSync(join(userData, 'conversations', 'c1.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(userData, 'settings.json'), 'utf8')).toBe(settingsBefore);
    expect(readdirSync(join(userData, 'conversations'))).toEqual(['c1.json']);
  });

  it('a full disk (ENOSPC on a tiny tmpfs): "disk full: conversation not saved", the previous 300 KB version intact', async (ctx) => {
    const mnt = tmp('hp-tmpfs-');
    if (!isRoot || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt]).status !== 0) {
      ctx.skip(
        'cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the file size limit test covers failed writes',
      );
      return;
    }
    try {
      const c = core(mnt);
      const previous = conversation('big', 'p'.repeat(300_000));
      expect(await c.dispatch('conversations:save', { conversation: previous })).toEqual({
        ok: true,
        value: { ok: true },
      });
      const r = await c.dispatch('conversations:save', {
        conversation: {
          ...previous,
          messages: [...previous.messages, { id: 'm2', role: 'assistant', content: 'q'.repeat(400_000), createdAt: 3 }],
        },
      });
      expect(r).toMatchObject({ ok: false });
      expect((r as { error: string }).error).toMatch(
        /^disk full: conversation not saved; the copy on disk is unchanged \(ENOSPC/,
      );
      expect(JSON.parse(readFileSync(join(mnt, 'conversations', 'big.json'), 'utf8'))).toEqual(previous);
      expect(readdirSync(join(mnt, 'conversations'))).toEqual(['big.json']);
      await c.dispose();
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});

describe('loading the app data (item 8)', () => {
  // As root the check needs a child running as nobody, which must be able to read this checkout.
  it.skipIf(isRoot && !nobodyCanLoadSources())(
    'one damaged conversation in a read-only data folder: reported, left in place, the rest loads',
    () => {
      const store = new ConversationStore(userData);
      store.save(conversation('good', 'fine'));
      writeFileSync(join(userData, 'conversations', 'broken.json'), '{"id": "broken", "title": ');
      writeFileSync(join(userData, 'models.json'), '{"folders": 7}');
      const code = `import { ConversationStore } from ${src('main/persistence/conversation-store.ts')};
      import { SettingsStore } from ${src('main/persistence/settings-store.ts')};
      import { DEFAULT_SETTINGS } from ${src('main/ipc/app-core.ts')};
      const list = new ConversationStore(${JSON.stringify(userData)}).list();
      const settings = new SettingsStore(${JSON.stringify(userData)}, DEFAULT_SETTINGS);
      console.log(JSON.stringify({ ids: list.conversations.map((c) => c.id), notices: list.notices, folders: settings.modelFolders(), settingsNotices: settings.load().notices }));`;
      let out: { ids: string[]; notices: LoadNotice[]; folders: string[]; settingsNotices: LoadNotice[] };
      if (isRoot) {
        // Root writes anywhere: read it as nobody, for whom the folders are read-only.
        for (const d of [userData, join(userData, 'conversations')]) chmodSync(d, 0o755);
        const r = runTs(code, { uid: 65534 });
        expect(r.status, r.stderr).toBe(0);
        out = JSON.parse(r.stdout);
      } else {
        chmodSync(join(userData, 'conversations'), 0o555);
        chmodSync(userData, 0o555);
        try {
          const r = runTs(code);
          expect(r.status, r.stderr).toBe(0);
          out = JSON.parse(r.stdout);
        } finally {
          chmodSync(userData, 0o755);
          chmodSync(join(userData, 'conversations'), 0o755);
        }
      }
      expect(out.ids).toEqual(['good']);
      expect(out.notices).toHaveLength(1);
      expect(out.notices[0].file).toBe('broken.json');
      expect(out.notices[0].message).toMatch(
        /could not be read .*could not be set aside either \((EACCES|EPERM|EROFS)\), so it stays as it is/,
      );
      expect(out.folders).toEqual([]);
      expect(out.settingsNotices.map((n) => n.file)).toEqual(['models.json']);
      expect(readdirSync(join(userData, 'conversations')).sort()).toEqual(['broken.json', 'good.json']);
    },
  );

  it('start removes temp files of interrupted saves in the data folders, and nothing else', () => {
    const deadPid = 4_194_305; // above Linux's largest pid_max: never a live process
    const livePid = process.ppid;
    const conv = join(userData, 'conversations');
    const wsState = join(userData, 'workspaces');
    const workspace = tmp('hp-workspace-');
    mkdirSync(conv);
    mkdirSync(wsState);
    const stale = [
      join(conv, `.c1.json.${deadPid}-0123abcd.tmp`),
      join(userData, `.settings.json.${deadPid}-deadbeef.tmp`),
      join(wsState, `.0a1b.json.${deadPid}-00ff00ff.tmp`),
    ];
    const oldButLive = join(conv, `.c2.json.${livePid}-11112222.tmp`);
    const kept = [
      join(conv, `.c3.json.${livePid}-33334444.tmp`), // a save in progress in another process
      join(conv, `.notes.txt.${deadPid}-0123abcd.tmp`), // not one of the app's files
      join(conv, `c4.json.${deadPid}-0123abcd.tmp`), // not hidden: not a temp writeAtomic makes
      join(workspace, `.main.py.${deadPid}-0123abcd.tmp`), // a workspace is the user's
      join(workspace, `.data.json.${deadPid}-0123abcd.tmp`),
    ];
    for (const f of [...stale, oldButLive, ...kept]) writeFileSync(f, 'partial');
    const hoursAgo = Date.now() / 1000 - 2 * 3600;
    utimesSync(oldButLive, hoursAgo, hoursAgo);

    const c = core(userData);
    c.services.workspace.open(workspace);
    new WorkspaceStateStore(userData);
    for (const f of [...stale, oldButLive]) expect(existsSync(f), f).toBe(false);
    for (const f of kept) expect(existsSync(f), f).toBe(true);
    void c.dispose();
  });

  it('a damaged models.json is set aside with a notice that settings:get returns, even after the model list read it first', async () => {
    writeFileSync(join(userData, 'models.json'), '{"folders": "not a list"}');
    const c = core(userData);
    // What start() does first: the registry reads models.json (and sets it aside).
    expect((await c.dispatch('models:list', {})).ok).toBe(true);
    const files = readdirSync(userData);
    expect(files.some((f) => /^models\.json\.damaged-\d+$/.test(f))).toBe(true);
    expect(files).not.toContain('models.json');
    const got = await c.dispatch('settings:get', {});
    if (!got.ok) throw new Error(got.error);
    const notices = (got.value as { notices: LoadNotice[] }).notices;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ file: 'models.json' });
    expect(notices[0].message).toMatch(/could not be read \(folders: .*\); kept as models\.json\.damaged-\d+/);
    await c.dispose();
  });

  it('a conversation file named differently from the id inside is listed once, under its file name, and can be deleted', async () => {
    const c = core(userData);
    await c.dispatch('conversations:save', { conversation: conversation('original', 'one', 'Original') });
    // A copy made by hand: same id inside, another name.
    writeFileSync(
      join(userData, 'conversations', 'copy.json'),
      JSON.stringify(conversation('original', 'two', 'Copy')),
    );
    const list = async () => {
      const r = await c.dispatch('conversations:list', {});
      if (!r.ok) throw new Error(r.error);
      return (r.value as { conversations: Conversation[] }).conversations;
    };
    const listed = await list();
    expect(listed.map((x) => [x.id, x.title]).sort()).toEqual([
      ['copy', 'Copy'],
      ['original', 'Original'],
    ]);
    expect(await c.dispatch('conversations:delete', { id: 'copy' })).toEqual({ ok: true, value: { ok: true } });
    expect((await list()).map((x) => x.id)).toEqual(['original']);
    expect(readdirSync(join(userData, 'conversations'))).toEqual(['original.json']);
    await c.dispose();
  });

  it('a FIFO named *.json (conversation or settings.json) is skipped with a notice, never opened', (ctx) => {
    const conv = join(userData, 'conversations');
    new ConversationStore(userData).save(conversation('good'));
    if (
      spawnSync('mkfifo', [join(conv, 'pipe.json')]).status !== 0 ||
      spawnSync('mkfifo', [join(userData, 'settings.json')]).status !== 0
    ) {
      ctx.skip('mkfifo is not available here');
      return;
    }
    mkdirSync(join(conv, 'folder.json'));
    // In a child with a time limit: opening a FIFO for reading blocks until a writer comes (the old code hung there).
    const code = `import { createAppCore } from ${src('main/ipc/app-core.ts')};
      const c = createAppCore({ userData: ${JSON.stringify(userData)}, builtinModelDir: '/nonexistent', launcher: () => { throw new Error('no engine'); }, mode: 'browser', version: 't' }, { broadcast() {} });
      console.log(JSON.stringify(await c.dispatch('conversations:list', {})));
      console.log(JSON.stringify(await c.dispatch('settings:get', {})));`;
    const r = runTs(code, { timeoutMs: 30_000 });
    expect(r.signal, 'the child hung on the FIFO').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const [list, settings] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(list.value.conversations.map((c: Conversation) => c.id)).toEqual(['good']);
    expect(list.value.notices.map((n: LoadNotice) => `${n.file} ${n.message}`).sort()).toEqual([
      'folder.json is not a regular file (a FIFO, socket, device or folder); skipped',
      'pipe.json is not a regular file (a FIFO, socket, device or folder); skipped',
    ]);
    expect(settings.value.settings).toEqual(DEFAULT_SETTINGS);
    expect(settings.value.notices).toEqual([
      { file: 'settings.json', message: 'is not a regular file (a FIFO, socket, device or folder); skipped' },
    ]);
    // Never renamed aside: it is not a damaged file of ours.
    expect(readdirSync(conv).sort()).toEqual(['folder.json', 'good.json', 'pipe.json']);
    rmSync(join(conv, 'pipe.json'));
  });
});

describe('the UI shows what main could not load (item 8)', () => {
  it('notices from conversations:list and settings:get become error notices', async () => {
    const { setBridge } = await import('../renderer/src/services');
    const { useConversationsStore } = await import('../renderer/src/stores/conversations');
    const { useSettingsStore } = await import('../renderer/src/stores/settings');
    const { useUiStore } = await import('../renderer/src/stores/ui');
    const answers: Record<string, unknown> = {
      'conversations:list': {
        conversations: [],
        notices: [{ file: 'broken.json', message: 'could not be read (x); kept as broken.json.damaged-1' }],
      },
      'settings:get': {
        settings: DEFAULT_SETTINGS,
        notices: [{ file: 'models.json', message: 'could not be read (y); kept as models.json.damaged-2' }],
      },
      'models:list': { models: [] },
    };
    setBridge({
      kind: 'electron',
      invoke: (async (channel: string) => answers[channel]) as never,
      on: (() => () => {}) as never,
      connection: () => ({ state: 'open' }),
      onConnection: () => () => {},
    });
    useUiStore.setState({ notices: [] });
    await useConversationsStore.getState().load();
    await useSettingsStore.getState().load();
    expect(useUiStore.getState().notices.map((n) => [n.kind, n.text])).toEqual([
      ['error', 'Conversation file broken.json could not be read (x); kept as broken.json.damaged-1'],
      ['error', 'models.json could not be read (y); kept as models.json.damaged-2'],
    ]);
  });
});
