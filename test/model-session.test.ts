import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { DecodeEvent, DecodeResult } from '../common/decode-events.js';
import { decode } from '../main/engine/decode.js';
import { Engine, ALLOW_FP16_CPU_ENV } from '../main/engine/engine.js';
import {
  kvBytesPerPosition,
  kvLayoutOf,
  kvTransferBytes,
  ModelSession,
  type KvDtype,
} from '../main/engine/model-session.js';
import { createSession, sessionOptionsFor } from '../main/engine/providers.js';
import { IO_NAMES } from '../main/model/convert.js';
import type { Manifest } from '../main/model/manifest.js';
import { ExternalDataFile, GraphBuilder } from '../main/model/onnx-writer.js';
import { RecomputeModel } from './helpers/models.js';
import { MASK } from './helpers/tiny-checkpoint.js';
import { buildTinyModel } from './helpers/tiny-model.js';

/**
 * The KV plumbing of ModelSession, apart from any model: a synthetic graph whose key for token x
 * in layer l, column j is x + 8l + j (values + 512; exact in fp16), and whose `logits` output is
 * every key attention would see (the fed past followed by the new rows). So the tests read back
 * exactly what ORT was fed, for fp32 and fp16 caches and for both present layouts.
 */
const LAYERS = 2;
const KV_DIM = 4;
const FLOAT = 1;
const FLOAT16 = 10;

type Layout = 'new' | 'all';

function manifestFor(dtype: KvDtype, layout: Layout): Manifest {
  const io = {
    ...IO_NAMES,
    inputs: { ...IO_NAMES.inputs, ...(layout === 'all' ? { kvKeep: 'kv_keep' } : {}) },
    ...(layout === 'all' ? { presentKv: 'all' } : {}),
  };
  return {
    dtype: 'fp32',
    computeDtype: dtype,
    embedding: 'fp32',
    architecture: {
      numLayers: LAYERS,
      numHeads: 2,
      numKvHeads: 1,
      headDim: KV_DIM,
      hiddenSize: 8,
      vocabSize: 1000,
      maxPositions: 64,
    },
    io,
  } as unknown as Manifest;
}

function writeKvGraph(dtype: KvDtype, layout: Layout): string {
  const dir = mkdtempSync(join(tmpdir(), 'kv-graph-'));
  const ext = new ExternalDataFile(join(dir, 'model.onnx.data'), 'model.onnx.data');
  const g = new GraphBuilder(ext);
  const T = dtype === 'fp16' ? 'float16' : 'float32';
  const io = IO_NAMES;
  const ids = g.input(io.inputs.inputIds, 'int64', [1, 'seq']);
  g.input(io.inputs.blockLength, 'int64', [1]);
  g.input(io.inputs.logitsKeep, 'int64', [1]);
  const kvKeep = layout === 'all' ? g.input('kv_keep', 'int64', [1]) : '';
  const idsF = g.op1('Cast', [ids], { to: FLOAT });
  g.op1('Identity', [ids], {}, { output: io.outputs.topToken });
  g.op1('Identity', [idsF], {}, { output: io.outputs.topProb });
  g.output(io.outputs.topToken, 'int64', [1, 'seq']);
  g.output(io.outputs.topProb, 'float32', [1, 'seq']);
  const column = g.op1('Unsqueeze', [idsF, g.constant('int64', [2])]);
  const seen: string[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const pastK = g.input(`past_key.${l}`, T, [1, 'past', KV_DIM]);
    const pastV = g.input(`past_value.${l}`, T, [1, 'past', KV_DIM]);
    const offsets = Array.from({ length: KV_DIM }, (_, j) => 8 * l + j);
    const k = g.op1('Cast', [g.op1('Add', [column, g.constant('float32', offsets, [1, 1, KV_DIM])])], {
      to: dtype === 'fp16' ? FLOAT16 : FLOAT,
    });
    const v = g.op1(
      'Cast',
      [
        g.op1('Add', [
          column,
          g.constant(
            'float32',
            offsets.map((o) => o + 512),
            [1, 1, KV_DIM],
          ),
        ]),
      ],
      { to: dtype === 'fp16' ? FLOAT16 : FLOAT },
    );
    const kAll = g.op1('Concat', [pastK, k], { axis: 1 });
    seen.push(g.op1('Cast', [kAll], { to: FLOAT }));
    if (layout === 'new') {
      g.op1('Identity', [k], {}, { output: `present_key.${l}` });
      g.op1('Identity', [v], {}, { output: `present_value.${l}` });
    } else {
      // The proposed `all` layout: the cache the next forward reads, past + the first kv_keep new rows.
      const keepRows = (x: string) => g.op1('Slice', [x, g.constant('int64', [0]), kvKeep, g.constant('int64', [1])]);
      g.op1('Concat', [pastK, keepRows(k)], { axis: 1 }, { output: `present_key.${l}` });
      g.op1('Concat', [pastV, keepRows(v)], { axis: 1 }, { output: `present_value.${l}` });
    }
    g.output(`present_key.${l}`, T, [1, layout === 'new' ? 'seq' : 'total', KV_DIM]);
    g.output(`present_value.${l}`, T, [1, layout === 'new' ? 'seq' : 'total', KV_DIM]);
  }
  g.op1('Concat', seen, { axis: 2 }, { output: io.outputs.logits });
  g.output(io.outputs.logits, 'float32', [1, 'total', LAYERS * KV_DIM]);
  ext.close();
  g.save(join(dir, 'model.onnx'), { '': 17 }, 'kv-test');
  return join(dir, 'model.onnx');
}

/** The keys attention sees for these tokens, in the `logits` layout [position][layer][column]. */
const expectedSeen = (tokens: number[]) =>
  tokens.flatMap((x) =>
    Array.from({ length: LAYERS * KV_DIM }, (_, c) => x + 8 * Math.floor(c / KV_DIM) + (c % KV_DIM)),
  );

/** A session that records what crosses into ORT: the past feeds and the fetched presents, in bytes. */
function recording(inner: ort.InferenceSession) {
  const log: { upload: number; download: number; fetches: string[] }[] = [];
  const session = {
    inputMetadata: inner.inputMetadata,
    release: () => inner.release(),
    run: async (feeds: Record<string, ort.Tensor>, fetches: string[]) => {
      const bytes = (t: ort.Tensor) => (t.data as ArrayBufferView).byteLength;
      const upload = Object.entries(feeds)
        .filter(([n]) => n.startsWith('past_'))
        .reduce((a, [, t]) => a + bytes(t), 0);
      const result = await inner.run(feeds, fetches);
      const download = Object.entries(result)
        .filter(([n]) => n.startsWith('present_'))
        .reduce((a, [, t]) => a + bytes(t), 0);
      log.push({ upload, download, fetches });
      return result;
    },
  };
  return { session: session as unknown as ort.InferenceSession, log };
}

const script = [
  { ids: [10, 11, 12, 13, 14, 15, 16, 17], keep: 8 },
  { ids: [20, 21, 22, 23], keep: 0 },
  { ids: [20, 21, 22, 23, 30, 31, 32, 33], keep: 4 },
  { ids: [40, 41, 42, 43], keep: 0 },
];

describe('KV layout and transfer estimates', () => {
  it('reads computeDtype and the proposed present layout from the manifest', () => {
    expect(kvLayoutOf(manifestFor('fp32', 'new'))).toEqual({ dtype: 'fp32', presentKv: 'new', kvKeep: null });
    expect(kvLayoutOf(manifestFor('fp16', 'all'))).toEqual({ dtype: 'fp16', presentKv: 'all', kvKeep: 'kv_keep' });
    const broken = manifestFor('fp32', 'all');
    delete (broken.io.inputs as { kvKeep?: string }).kvKeep;
    expect(() => kvLayoutOf(broken)).toThrow(/kvKeep/);
  });

  it('prices the 8B cache at 128 KiB per position in fp16 and uploads the whole prefix each forward', () => {
    const arch = { numLayers: 32, numKvHeads: 8, headDim: 128 };
    expect(kvBytesPerPosition(arch, 'fp16')).toBe(128 * 1024);
    expect(kvBytesPerPosition(arch, 'fp32')).toBe(256 * 1024);
    expect(kvTransferBytes(arch, 'fp16', { cached: 2048, seq: 4, keep: 0 })).toEqual({
      upload: 256 * 2 ** 20,
      download: 0,
    });
    expect(kvTransferBytes(arch, 'fp32', { cached: 2048, seq: 8, keep: 4 })).toEqual({
      upload: 512 * 2 ** 20,
      download: 8 * 256 * 1024,
    });
    expect(kvTransferBytes(arch, 'fp16', { cached: 2048, seq: 8, keep: 4, presentKv: 'all' }).download).toBe(
      2052 * 128 * 1024,
    );
    expect(
      kvTransferBytes(arch, 'fp16', { cached: 2048, seq: 8, keep: 4, presentKv: 'all', deviceResident: true }),
    ).toEqual({ upload: 0, download: 0 });
  });
});

describe.each([
  ['fp32', 'new'],
  ['fp16', 'new'],
  ['fp32', 'all'],
  ['fp16', 'all'],
] as const)('ModelSession on ORT CPU: %s cache, %s present rows', (dtype, layout) => {
  it('feeds exactly the cached prefix, keeps the right rows and moves the bytes kvTransferBytes says', async () => {
    const manifest = manifestFor(dtype, layout);
    const opened = await createSession(writeKvGraph(dtype, layout), 'cpu', (p) => sessionOptionsFor(manifest, p));
    const { session, log } = recording(opened.session);
    const m = new ModelSession(session, manifest, 'cpu');
    m.reset(32);
    const committed: number[] = [];
    for (const step of script) {
      const out = await m.forward({
        ids: step.ids,
        rows: step.ids.length,
        keep: step.keep,
        want: 'logits',
        blockLength: 4,
      });
      expect(Array.from(out.logits!)).toEqual(expectedSeen([...committed, ...step.ids]));
      expect(Array.from(out.topToken)).toEqual(step.ids);
      const moved = kvTransferBytes(manifest.architecture, dtype, {
        cached: committed.length,
        seq: step.ids.length,
        keep: step.keep,
        presentKv: layout,
      });
      expect(log.at(-1)).toMatchObject(moved);
      expect(log.at(-1)!.fetches.some((n) => n.startsWith('present_'))).toBe(step.keep > 0);
      committed.push(...step.ids.slice(0, step.keep));
    }
    expect(m.cacheLength).toBe(12);
    expect(m.deviceResident).toBe(false);
    await m.dispose();
  });
});

describe('WebGPU options on a CPU session', () => {
  it("onnxruntime-node 1.30 fails a narrower fetch once a session has a 'gpu-buffer' output (what fetch-all works around)", async () => {
    const opened = await createSession(writeKvGraph('fp32', 'all'), 'cpu', {
      preferredOutputLocation: { 'present_key.0': 'gpu-buffer' },
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.of(1n, 2n, 3n, 4n), [1, 4]),
      block_length: new ort.Tensor('int64', BigInt64Array.of(4n), [1]),
      logits_keep: new ort.Tensor('int64', BigInt64Array.of(4n), [1]),
      kv_keep: new ort.Tensor('int64', BigInt64Array.of(4n), [1]),
    };
    for (const n of opened.session.inputNames)
      if (n.startsWith('past_')) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, 0, KV_DIM]);
    const all = await opened.session.run(feeds, [...opened.session.outputNames]);
    // The CPU EP accepts the request and returns host tensors: only `location` tells.
    expect(all['present_key.0'].location).toBe('cpu');
    await expect(opened.session.run(feeds, ['top_token'])).rejects.toThrow(/Output count mismatch/);
    await opened.session.release();
  });

  it("a session asked for 'gpu-buffer' presents that returns host tensors decodes exactly as a plain CPU session", async () => {
    const manifest = manifestFor('fp32', 'all');
    const options = sessionOptionsFor(manifest, 'webgpu');
    expect(options.preferredOutputLocation).toEqual({
      'present_key.0': 'gpu-buffer',
      'present_value.0': 'gpu-buffer',
      'present_key.1': 'gpu-buffer',
      'present_value.1': 'gpu-buffer',
    });
    const graph = writeKvGraph('fp32', 'all');
    const plain = new ModelSession((await createSession(graph, 'cpu')).session, manifest, 'cpu');
    // Labelled webgpu so ModelSession takes the device code path (fetch every output); the CPU EP answers.
    const asked = new ModelSession(
      (await createSession(graph, 'cpu', { preferredOutputLocation: options.preferredOutputLocation })).session,
      manifest,
      'webgpu',
    );
    for (const m of [plain, asked]) m.reset(32);
    const committed: number[] = [];
    for (const step of script) {
      for (const want of ['top', 'logits'] as const) {
        const req = { ids: step.ids, rows: step.ids.length, keep: 0, want, blockLength: 4 };
        const [a, b] = [await plain.forward(req), await asked.forward(req)];
        expect(b).toEqual(a);
      }
      const req = { ids: step.ids, rows: step.ids.length, keep: step.keep, want: 'logits' as const, blockLength: 4 };
      const [a, b] = [await plain.forward(req), await asked.forward(req)];
      expect(b).toEqual(a);
      expect(Array.from(b.logits!)).toEqual(expectedSeen([...committed, ...step.ids]));
      committed.push(...step.ids.slice(0, step.keep));
    }
    expect(asked.deviceResident).toBe(false);
    expect(asked.cacheLength).toBe(12);
    await plain.dispose();
    await asked.dispose();
  });
});

const FAKE_OUTPUTS = [
  'top_token',
  'top_prob',
  'logits',
  'present_key.0',
  'present_value.0',
  'present_key.1',
  'present_value.1',
];

/** A stand-in for a WebGPU session: presents come back as gpu-buffer tensors, as the binding returns them. */
function deviceSession(layout: Layout) {
  const disposed: string[] = [];
  const fed: Record<string, ort.Tensor>[] = [];
  const fetched: string[][] = [];
  let serial = 0;
  const session = {
    inputMetadata: [],
    outputNames: FAKE_OUTPUTS,
    release: async () => {},
    run: async (feeds: Record<string, ort.Tensor>, fetches: string[]) => {
      fed.push(feeds);
      fetched.push(fetches);
      const seq = feeds.input_ids.dims[1];
      const past = feeds['past_key.0'].dims[1];
      const keep = layout === 'all' ? Number((feeds.kv_keep.data as BigInt64Array)[0]) : seq;
      const out: Record<string, ort.Tensor> = {};
      for (const name of fetches) {
        if (!name.startsWith('present_')) {
          out[name] =
            name === 'top_token'
              ? new ort.Tensor('int64', new BigInt64Array(seq), [1, seq])
              : new ort.Tensor('float32', new Float32Array(seq), [1, seq]);
          continue;
        }
        const id = `${name}#${serial++}`;
        const buffer = { id } as unknown as ort.Tensor.GpuBufferType;
        out[name] = ort.Tensor.fromGpuBuffer(buffer, {
          dataType: 'float32',
          dims: [1, layout === 'all' ? past + keep : seq, KV_DIM],
          dispose: () => disposed.push(id),
          download: async () => {
            throw new Error('not implemented');
          },
        });
      }
      return out;
    },
  };
  return { session: session as unknown as ort.InferenceSession, disposed, fed, fetched };
}

const gpuId = (t: ort.Tensor) => (t.gpuBuffer as unknown as { id: string }).id;

describe('device-resident cache (WebGPU with an `all` graph)', () => {
  it('feeds the previous present tensors back untouched and frees every device buffer it does not keep', async () => {
    const { session, disposed, fed, fetched } = deviceSession('all');
    const m = new ModelSession(session, manifestFor('fp32', 'all'), 'webgpu');
    m.reset(32);
    await m.forward({ ids: [1, 2, 3, 4, 5, 6, 7, 8], rows: 0, keep: 8, want: 'none', blockLength: 4 });
    expect(m.deviceResident).toBe(true);
    expect(m.cacheLength).toBe(8);
    expect(Number((fed[0].kv_keep.data as BigInt64Array)[0])).toBe(8);
    expect(fed[0]['past_key.0'].location).toBe('cpu');
    expect(fetched.every((f) => f.length === FAKE_OUTPUTS.length)).toBe(true);

    // A denoising step reads the device cache; the presents it had to fetch are freed at once.
    const step = await m.forward({ ids: [9, 9, 9, 9], rows: 4, keep: 0, want: 'top', blockLength: 4 });
    expect(step.logits).toBeUndefined();
    expect(fed[1]['past_key.0'].location).toBe('gpu-buffer');
    expect(gpuId(fed[1]['past_key.0'])).toBe('present_key.0#0');
    expect(gpuId(fed[1]['past_value.1'])).toBe('present_value.1#3');
    expect(fed[1]['past_value.1'].dims).toEqual([1, 8, KV_DIM]);
    expect([...disposed].sort()).toEqual([
      'present_key.0#4',
      'present_key.1#6',
      'present_value.0#5',
      'present_value.1#7',
    ]);

    // A commit replaces the cache; the old buffers are released after the run that read them.
    await m.forward({ ids: [9, 9, 9, 9, 5, 5, 5, 5], rows: 4, keep: 4, want: 'top', blockLength: 4 });
    expect(m.cacheLength).toBe(12);
    expect(disposed.slice(4).sort()).toEqual([
      'present_key.0#0',
      'present_key.1#2',
      'present_value.0#1',
      'present_value.1#3',
    ]);
    await m.forward({ ids: [7, 7, 7, 7], rows: 4, keep: 0, want: 'top', blockLength: 4 });
    expect(gpuId(fed[3]['past_key.1'])).toBe('present_key.1#10');
    expect(fed[3]['past_key.1'].dims).toEqual([1, 12, KV_DIM]);

    // A new run starts from an empty host cache and frees the device one.
    m.reset(32);
    expect(disposed).toHaveLength(16);
    expect(m.deviceResident).toBe(false);
    await m.forward({ ids: [1, 2, 3, 4], rows: 4, keep: 0, want: 'top', blockLength: 4 });
    expect(fed[4]['past_key.0'].location).toBe('cpu');
    expect(fed[4]['past_key.0'].dims).toEqual([1, 0, KV_DIM]);
    await m.dispose();
  });

  it('refuses device presents from a graph that returns only new rows (they could not be appended)', async () => {
    const { session } = deviceSession('new');
    const m = new ModelSession(session, manifestFor('fp32', 'new'), 'webgpu');
    m.reset(32);
    await expect(m.forward({ ids: [1, 2, 3, 4], rows: 0, keep: 4, want: 'none', blockLength: 4 })).rejects.toThrow(
      /only new rows/,
    );
  });
});

describe('fp16 outputs in Electron', () => {
  it('copies the bits of any 16-bit view (the Tensor constructor wraps float16 data in a Float16Array where one exists)', async () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001];
    const session = {
      inputMetadata: [],
      outputNames: FAKE_OUTPUTS,
      release: async () => {},
      // Int16Array stands in for Float16Array (absent in Node 20): same bytes, another element type.
      run: async (_feeds: Record<string, ort.Tensor>, fetches: string[]) =>
        Object.fromEntries(
          fetches.map((n) => [
            n,
            { location: 'cpu', dims: [1, 1, KV_DIM], data: new Int16Array(Uint16Array.from(bits).buffer) },
          ]),
        ),
    } as unknown as ort.InferenceSession;
    const m = new ModelSession(session, manifestFor('fp16', 'new'), 'cpu');
    m.reset(4);
    await m.forward({ ids: [1], rows: 0, keep: 1, want: 'none', blockLength: 4 });
    const keys = (m as unknown as { keys: Uint16Array[] }).keys[1];
    expect(keys).toBeInstanceOf(Uint16Array);
    expect(Array.from(keys.subarray(0, KV_DIM))).toEqual(bits);
  });
});

describe('graph and manifest agreement', () => {
  it('names the mismatch when the graph declares another KV dtype than computeDtype', async () => {
    const opened = await createSession(writeKvGraph('fp32', 'new'), 'cpu');
    expect(() => new ModelSession(opened.session, manifestFor('fp16', 'new'), 'cpu')).toThrow(
      /past_key\.0 is float32 but diffcoder\.json says computeDtype fp16/,
    );
    await opened.session.release();
  });
});

describe.each(['webgpu', 'cuda'] as const)(
  'fp16 KV cache of a real %s-target fp16 folder, on the CPU fallback',
  (target) => {
    it('is kept as float16 bits and decodes exactly like recomputing the prefix', async () => {
      const { model } = buildTinyModel({ convert: { dtype: 'fp16', target } });
      // fp16 folders are refused on CPU by default (no fp16 GEMM there); this test wants the fp16 KV path itself.
      process.env[ALLOW_FP16_CPU_ENV] = '1';
      const engine = await Engine.load(model, { provider: 'cpu' }).finally(
        () => delete process.env[ALLOW_FP16_CPU_ENV],
      );
      const session = (engine as unknown as { model: ModelSession }).model;
      expect(session.kv.dtype).toBe('fp16');
      const run = async (m: ModelSession | RecomputeModel, ids: number[]) => {
        const gen: AsyncGenerator<DecodeEvent, DecodeResult> = decode(
          m,
          ids,
          { ...engine.defaults, eosId: null, steps: 16, genLength: 16, fusedCommit: true },
          { maskId: MASK, detokenize: (t) => engine.codec.decode(t) },
        );
        for (;;) {
          const r = await gen.next();
          if (r.done) return r.value.tokenIds;
        }
      };
      for (const n of [8, 9, 11]) {
        const prompt = Array.from({ length: n }, (_, i) => (i * 29 + 3) % 263);
        expect(await run(session, prompt)).toEqual(await run(new RecomputeModel(session), prompt));
      }
      expect((session as unknown as { keys: unknown[] }).keys[0]).toBeInstanceOf(Uint16Array);
      await engine.dispose();
    });
  },
);
