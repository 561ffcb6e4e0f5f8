/**
 * Hardening of model folders, conversion, decoding parameters and the engine host (issue 10, items 4,
 * 9, 10 and 12): convert never deletes what it did not write (the manifest lists its files; --force
 * to replace a model folder); manifest paths stay in the folder and errors say nothing about files
 * outside it; a folder whose shapes lie is refused at load naming the field; a process that dies at
 * start ends with "crashed N times", not a stale message; settings that cannot run are refused when
 * saved; an absurd step count is a parameter error, not an out-of-memory abort.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodeSettings } from '../common/decoding-settings.js';
import type { EngineStatus } from '../common/models.js';
import { decode } from '../main/engine/decode.js';
import { Engine } from '../main/engine/engine.js';
import { paramsFromDefaults } from '../main/engine/params.js';
import { EngineHost } from '../main/engine-host/engine-host.js';
import type { EngineChild } from '../main/engine-host/launchers.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { convertCheckpoint } from '../main/model/convert.js';
import { ModelFolderError } from '../main/model/errors.js';
import { DEFAULT_DECODING, MANIFEST_FILE } from '../main/model/manifest.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { ScriptedModel } from './helpers/models.js';
import { MASK, writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';
import { buildTinyModel } from './helpers/tiny-model.js';

const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 120_000,
  });
const folderError = (f: () => unknown): ModelFolderError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFolderError);
    return e as ModelFolderError;
  }
  throw new Error('no error');
};
const editJson = (dir: string, file: string, edit: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  edit(j);
  writeFileSync(join(dir, file), JSON.stringify(j, null, 2));
};
const snapshot = (dir: string): Record<string, unknown> =>
  Object.fromEntries(
    readdirSync(dir, { withFileTypes: true }).map((e) => [
      e.name,
      e.isDirectory() ? snapshot(join(dir, e.name)) : readFileSync(join(dir, e.name)).toString('base64'),
    ]),
  );

let ckpt: string;
beforeAll(() => {
  ckpt = writeTinyCheckpoint();
});

describe('convert writes only where it may (item 4)', () => {
  it('the manifest lists every file convert wrote', () => {
    const out = join(tmp('hm-conv-'), 'model');
    const manifest = convertCheckpoint(ckpt, out);
    expect(manifest.files).toEqual(readdirSync(out).sort());
    expect(manifest.files).toEqual(
      expect.arrayContaining([MANIFEST_FILE, 'model.onnx', 'model.onnx.data', 'config.json', 'tokenizer.json']),
    );
    expect(JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')).files).toEqual(manifest.files);
  });

  it('cli convert refuses an existing model folder without --force (nothing changed), and replaces it with --force', () => {
    const out = join(tmp('hm-cli-'), 'model');
    expect(cli('convert', ckpt, out).status).toBe(0);
    const before = snapshot(out);
    const again = cli('convert', ckpt, out, '--dtype', 'int8');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/the output folder holds a model already; pass --force to replace it/);
    expect(snapshot(out)).toEqual(before);
    const forced = cli('convert', ckpt, out, '--dtype', 'int8', '--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(openModelFolder(out).manifest.dtype).toBe('int8');
  });

  it('even with --force: a folder of other files, a file, or a model folder with files added are refused and left untouched', () => {
    const root = tmp('hm-force-');
    const unrelated = join(root, 'photos');
    mkdirSync(unrelated);
    writeFileSync(join(unrelated, 'a.jpg'), 'a');
    mkdirSync(join(unrelated, 'sub'));
    writeFileSync(join(unrelated, 'sub', 'b.jpg'), 'b');
    expect(folderError(() => convertCheckpoint(ckpt, unrelated, { force: true })).message).toMatch(
      /not empty and is not a model folder \(no readable diffcoder\.json\)/,
    );
    expect(readFileSync(join(unrelated, 'sub', 'b.jpg'), 'utf8')).toBe('b');

    const file = join(root, 'notes.txt');
    writeFileSync(file, 'keep me');
    expect(folderError(() => convertCheckpoint(ckpt, file, { force: true })).message).toMatch(
      /exists and is not a folder/,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');

    const model = join(root, 'model');
    convertCheckpoint(ckpt, model);
    writeFileSync(join(model, 'my-notes.md'), 'mine');
    mkdirSync(join(model, 'lora'));
    const before = snapshot(join(model));
    const e = folderError(() => convertCheckpoint(ckpt, model, { force: true }));
    expect(e.message).toMatch(
      /holds a model and files convert did not write \((lora, my-notes\.md|my-notes\.md, lora)\)/,
    );
    expect(snapshot(model)).toEqual(before);
  });

  it('--force on a model folder written before manifests listed their files replaces only the files convert has always written', () => {
    const model = join(tmp('hm-legacy-'), 'model');
    convertCheckpoint(ckpt, model);
    editJson(model, MANIFEST_FILE, (j) => delete j.files);
    expect(convertCheckpoint(ckpt, model, { force: true, dtype: 'int4' }).dtype).toBe('int4');
    writeFileSync(join(model, 'extra.bin'), 'x');
    editJson(model, MANIFEST_FILE, (j) => delete j.files);
    expect(folderError(() => convertCheckpoint(ckpt, model, { force: true })).message).toMatch(
      /files convert did not write \(extra\.bin\)/,
    );
  });

  it('an empty output folder is written into', () => {
    const out = tmp('hm-empty-');
    convertCheckpoint(ckpt, out);
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(true);
  });
});

describe('model folders stay in their folder and tell the truth about their shapes (item 9)', () => {
  let fp32: string;
  let int4: string;
  beforeAll(() => {
    fp32 = buildTinyModel().model;
    int4 = buildTinyModel({ convert: { dtype: 'int4', embedding: 'q4' } }).model;
  });
  const copy = (from: string) => {
    const dir = join(tmp('hm-folder-'), 'model');
    cpSync(from, dir, { recursive: true });
    return dir;
  };

  it('manifest paths that leave the folder are refused, and the error says nothing of the file outside', () => {
    const outside = join(tmp('hm-outside-'), 'secret.bin');
    writeFileSync(outside, Buffer.alloc(12345));
    for (const [field, value] of [
      ['graph', '../../etc/passwd'],
      ['externalData', `../${'x'}/../../${outside}`],
      ['externalData', outside],
      ['graph', 'sub/../model.onnx'],
    ] as const) {
      const dir = copy(fp32);
      editJson(dir, MANIFEST_FILE, (j) => (j[field] = value));
      const e = folderError(() => openModelFolder(dir));
      expect(e.file).toBe(MANIFEST_FILE);
      expect(e.problem).toMatch(new RegExp(`^field ${field}: must be a file name inside the model folder`));
      expect(e.message).not.toMatch(/12345/);
    }
  });

  it('a weights file that is a link leading out of the folder is refused without its size', () => {
    const outside = join(tmp('hm-outside-'), 'secret.bin');
    writeFileSync(outside, Buffer.alloc(12345));
    const dir = copy(fp32);
    rmSync(join(dir, 'model.onnx.data'));
    symlinkSync(outside, join(dir, 'model.onnx.data'));
    const e = folderError(() => openModelFolder(dir));
    expect(e.message).toBe('model.onnx.data: is a link to a file outside the model folder; refused');
  });

  it('a graph whose initializers point at data outside the folder is refused', async () => {
    const onnxProto = (await import('onnx-proto')).default;
    const dir = copy(fp32);
    const m = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
    const loc = m
      .graph!.initializer!.find((t) => t.name === 'embed_tokens')!
      .externalData!.find((e) => e.key === 'location')!;
    loc.value = '../../../etc/passwd';
    writeFileSync(join(dir, 'model.onnx'), onnxProto.onnx.ModelProto.encode(m).finish());
    expect(folderError(() => openModelFolder(dir)).message).toMatch(
      /^model\.onnx: initializer embed_tokens has its data in "\.\.\/\.\.\/\.\.\/etc\/passwd", not in model\.onnx\.data; refused/,
    );
  });

  // Each lie is told consistently by config.json and diffcoder.json, so only the graph can expose it.
  const lies: [string, Record<string, number>, Record<string, number>, RegExp][] = [
    [
      'vocab_size',
      { vocab_size: 300 },
      { vocabSize: 300 },
      /field architecture\.vocabSize: 300 does not match the graph \(model\.onnx\), whose embedding table embed_tokens has that many rows \(263\)/,
    ],
    [
      'max_position_embeddings',
      { max_position_embeddings: 4096 },
      { maxPositions: 4096 },
      /field architecture\.maxPositions: 4096 does not match the graph .* rope\.cos has that many positions \(96\)/,
    ],
    [
      'head_dim',
      { head_dim: 8 },
      { headDim: 8 },
      /field architecture\.headDim: 8 does not match the graph .* rope\.cos gives that head_dim \(6\)/,
    ],
    [
      'num_key_value_heads',
      { num_key_value_heads: 4 },
      { numKvHeads: 4 },
      /fields architecture\.numHeads\/numKvHeads\/headDim: \(8 \+ 2 \* 4\) \* 6 = 96 does not match .* layers\.0\.attn\.qkv_proj has 72 outputs/,
    ],
    [
      'num_hidden_layers',
      { num_hidden_layers: 2 },
      { numLayers: 2 },
      /field architecture\.numLayers: 2 does not match the graph .* layers are that many \(3\)/,
    ],
  ];
  for (const layout of ['fp32', 'int4'] as const) {
    it.each(lies)(
      `${layout}: a folder that lies about %s is refused at load, naming the field`,
      async (_, config, arch, problem) => {
        const dir = copy(layout === 'fp32' ? fp32 : int4);
        editJson(dir, 'config.json', (j) => Object.assign(j, config));
        editJson(dir, MANIFEST_FILE, (j) => Object.assign(j.architecture as object, arch));
        expect(folderError(() => openModelFolder(dir)).message).toMatch(problem);
        const err = await Engine.load(dir, { provider: 'cpu' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ModelFolderError);
        expect((err as ModelFolderError).file).toBe(MANIFEST_FILE);
      },
    );
  }

  it('max_position_embeddings in config.json must match the manifest too', () => {
    const dir = copy(fp32);
    editJson(dir, 'config.json', (j) => (j.max_position_embeddings = 4096));
    expect(folderError(() => openModelFolder(dir)).message).toBe(
      'config.json: shape mismatch: max_position_embeddings is 4096 but the graph was built for 96',
    );
  });

  it('a FIFO named config.json in a model folder is refused, never opened', (ctx) => {
    const dir = copy(fp32);
    rmSync(join(dir, 'config.json'));
    if (spawnSync('mkfifo', [join(dir, 'config.json')]).status !== 0) {
      ctx.skip('mkfifo is not available here');
      return;
    }
    // In a child with a time limit: reading a FIFO blocks until a writer comes.
    const code = `import('./main/model/model-folder.ts').then((m) => { try { m.openModelFolder(${JSON.stringify(dir)}); } catch (e) { console.log(e.message); } })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, 'hung on the FIFO').toBeNull();
    expect(r.stdout.trim()).toBe('config.json: is not a regular file');
  });

  it('a graph file that is not ONNX is named', () => {
    const dir = copy(fp32);
    writeFileSync(join(dir, 'model.onnx'), 'not a protobuf at all');
    expect(folderError(() => openModelFolder(dir)).message).toMatch(/^model\.onnx: not an ONNX graph/);
  });
});

describe('engine host restarts (item 9)', () => {
  it('a process that dies at every start ends with "crashed N times", not a stale "exited before it was ready"', async () => {
    let launches = 0;
    const dying = (): EngineChild => {
      launches++;
      const exits: ((code: number | null, signal: string | null) => void)[] = [];
      setTimeout(() => exits.forEach((l) => l(1, null)), 5);
      return { pid: undefined, post: () => {}, onMessage: () => {}, onExit: (l) => void exits.push(l), kill: () => {} };
    };
    const host = new EngineHost(dying);
    const statuses: EngineStatus[] = [];
    host.onStatus((s) => statuses.push(s));
    await expect(host.start()).rejects.toThrow(/exited before it was ready/);
    const until = Date.now() + 5000;
    while (launches < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(launches).toBe(4);
    expect(host.status.state).toBe('error');
    expect(host.status.message).toMatch(
      /^the engine process crashed 4 times in a minute \(exit code 1\); not restarting/,
    );
    expect(statuses.some((s) => /exited before it was ready/.test(s.message ?? ''))).toBe(false);
    await host.dispose();
  });
});

describe('decoding settings that can never run (items 10 and 12)', () => {
  let model: string;
  beforeAll(() => {
    model = buildTinyModel().model; // 96 positions
  });
  const decoding = (patch: Partial<DecodeSettings> = {}): DecodeSettings => ({
    ...DEFAULT_DECODING,
    seed: 0,
    steps: 16,
    genLength: 16,
    blockLength: 4,
    ...patch,
  });

  it('settings:set refuses rules between fields and, for a known model, gen_length beyond its positions; nothing is saved', async () => {
    const userData = tmp('hm-settings-');
    const core = createAppCore(
      { userData, builtinModelDir: model, launcher: () => ({}) as EngineChild, mode: 'browser', version: 't' },
      { broadcast: () => {} },
    );
    const set = (d: DecodeSettings, modelId = 'builtin') =>
      core.dispatch('settings:set', { settings: { decoding: d, modelId, provider: 'cpu' } });
    expect(await set(decoding({ genLength: 10 }))).toEqual({
      ok: false,
      error:
        'invalid request for settings:set: settings.decoding.genLength: gen_length (10) must be a multiple of block_length (4)',
    });
    expect(await set(decoding({ steps: 6 }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /settings\.decoding\.steps: steps \(6\) must be a multiple of gen_length \/ block_length \(4\)/,
      ),
    });
    expect(await set(decoding({ threshold: 0.9, steps: 8 }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/settings\.decoding\.threshold: threshold decoding needs steps per block/),
    });
    expect(await set(decoding({ genLength: 128, steps: 128 }))).toEqual({
      ok: false,
      error:
        "invalid request for settings:set: settings.decoding.genLength: gen_length (128) leaves no room for a prompt in the model's 96 positions",
    });
    expect(existsSync(join(userData, 'settings.json'))).toBe(false);
    expect(await set(decoding({ genLength: 64, steps: 64 }))).toMatchObject({ ok: true });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8')).decoding.genLength).toBe(64);
    await core.dispose();
  });

  it('cli generate --steps 2000000000 is a parameter error (exit 2), not an out-of-memory abort', () => {
    for (const extra of [[], ['--threshold', '0.9']]) {
      const r = cli(
        'generate',
        '--model',
        model,
        '--provider',
        'cpu',
        '--prompt-ids',
        '0,1,2',
        '--gen-length',
        '8',
        '--steps',
        '2000000000',
        ...extra,
      );
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: steps \(2000000000\) exceeds the model's 96 positions/);
    }
    const long = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--prompt-ids',
      '0,1,2',
      '--gen-length',
      '2000000000',
      '--steps',
      '2000000000',
    );
    expect(long.status).toBe(2);
    expect(long.stderr).toMatch(/^error: .* exceeds the model's 96 positions/);
  });

  it('steps beyond block_length per block are capped without changing a token, a step or a forward', async () => {
    // Position 9 proposes the mask id itself (it stays masked, like the reference), the rest real tokens.
    const predict = (p: number) =>
      p === 9 ? { token: MASK, prob: 0.99 } : { token: 7 + ((p * 31) % 200), prob: 0.3 + ((p * 37) % 60) / 100 };
    const run = async (steps: number) => {
      const m = new ScriptedModel(263, predict);
      const gen = decode(
        m,
        [0, 17, 4],
        { ...paramsFromDefaults(DEFAULT_DECODING, null), genLength: 16, steps, blockLength: 4 },
        { maskId: MASK, detokenize: (ids) => ids.join(' ') },
      );
      const events: string[] = [];
      let r = await gen.next();
      while (!r.done) {
        if (r.value.type === 'step')
          events.push(
            `${r.value.blockIndex}/${r.value.step}:${r.value.committed.map((c) => `${c.position}=${c.tokenId}`).join(',')}`,
          );
        r = await gen.next();
      }
      return { tokens: r.value.tokenIds, forwards: r.value.stats.forwards, events, requests: m.requests.length };
    };
    const exact = await run(16);
    expect(exact.tokens).toContain(MASK);
    expect(await run(16 * 64)).toEqual(exact);
    expect(await run(96)).toEqual(exact);
  });
});
