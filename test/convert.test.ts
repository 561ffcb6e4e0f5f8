import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession } from '../main/engine/model-session.js';
import { createSession } from '../main/engine/providers.js';
import { convertCheckpoint } from '../main/model/convert.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { indexCheckpoint } from '../main/model/safetensors.js';
import { maxAbsDiff } from './helpers/reference-forward.js';
import { writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';

const ids = [0, 17, 4, 99, 120, 7, 42, 8, 200, 3];

async function logitsOf(modelDir: string): Promise<Float32Array> {
  const folder = openModelFolder(modelDir);
  const opened = await createSession(folder.graphPath, 'cpu');
  const m = new ModelSession(opened.session, folder.manifest, opened.provider);
  m.reset(ids.length);
  const out = await m.forward({ ids, rows: ids.length, keep: 0, want: 'logits', blockLength: 4 });
  await m.dispose();
  return out.logits!;
}
const outDir = () => join(mkdtempSync(join(tmpdir(), 'conv-')), 'model');

describe('graph builder', () => {
  it('records where every checkpoint tensor went and how', () => {
    const ckpt = writeTinyCheckpoint();
    const manifest = convertCheckpoint(ckpt, outDir());
    const names = [...indexCheckpoint(ckpt).keys()].sort();
    expect(manifest.tensors.map((t) => t.checkpoint).sort()).toEqual(names);
    const k = manifest.tensors.find((t) => t.checkpoint === 'model.layers.1.self_attn.k_proj.weight')!;
    expect(k).toEqual({
      checkpoint: 'model.layers.1.self_attn.k_proj.weight',
      shape: [12, 48],
      initializer: 'layers.1.attn.qkv_proj',
      transforms: ['transpose'],
      packed: { axis: 1, offset: 48, length: 12 },
    });
    expect(manifest.tensors.find((t) => t.checkpoint === 'model.embed_tokens.weight')!.transforms).toEqual([]);
    // CPU graphs hand ONNX Attention the KV heads as they are (no 4x repeat).
    expect(manifest.attention).toBe('gqa');
    expect(manifest.ops).toContain('Attention');
    expect(manifest.ops).not.toContain('com.microsoft.MultiHeadAttention');
  });

  it('bf16 and fp16 checkpoints convert, to fp32 or fp16 graphs, with matching logits', async () => {
    const ref = await logitsOf(
      (() => {
        const d = outDir();
        convertCheckpoint(writeTinyCheckpoint(), d);
        return d;
      })(),
    );
    for (const [src, out, tol] of [
      ['BF16', 'fp32', 0.15],
      ['F16', 'fp32', 0.02],
      ['F32', 'fp16', 0.02],
    ] as const) {
      const d = outDir();
      const manifest = convertCheckpoint(writeTinyCheckpoint({ dtype: src }), d, { dtype: out });
      expect(manifest.dtype).toBe(out);
      const q = manifest.tensors.find((t) => t.checkpoint.endsWith('0.self_attn.q_proj.weight'))!;
      const expected =
        (src as string) === 'F32' && (out as string) === 'fp32' ? [] : [`cast:${src.toLowerCase()}->${out}`];
      expect(q.transforms).toEqual(['transpose', ...expected]);
      const logits = await logitsOf(d);
      const diff = maxAbsDiff(logits, ref);
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThan(tol);
    }
  });

  it('fp16 output halves the weight file', () => {
    const ckpt = writeTinyCheckpoint();
    const a = outDir();
    const b = outDir();
    convertCheckpoint(ckpt, a, { dtype: 'fp32' });
    convertCheckpoint(ckpt, b, { dtype: 'fp16' });
    const size = (d: string) => statSync(join(d, 'model.onnx.data')).size;
    expect(size(b)).toBeLessThan(size(a) * 0.62);
  });

  it('reports progress up to the checkpoint size', () => {
    const ckpt = writeTinyCheckpoint();
    const seen: number[] = [];
    let total = 0;
    convertCheckpoint(ckpt, outDir(), { onProgress: (done, t) => (seen.push(done), (total = t)) });
    expect(seen.at(-1)).toBe(total);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true);
  });
});

describe('execution provider coverage', () => {
  // The providers each target's graph is built for. Every op must have a kernel there (op-support.ts, read from the
  // ORT sources), at the default-domain opset the graph actually declares. CPU is always in the list: it is the
  // fallback for any node a provider declines.
  const TARGET_EPS = {
    any: ['cpu'],
    cpu: ['cpu'],
    cuda: ['cpu', 'cuda'],
    dml: ['cpu', 'dml'],
    webgpu: ['cpu', 'webgpu'],
  } as const;
  // WebGPU runs int64 shape arithmetic on CPU per node (documented in op-support.ts), so only the ops that carry the
  // weights and the attention are required on WebGPU itself.
  const WEBGPU_HEAVY = new Set([
    'MatMul',
    'Gather',
    'Attention',
    'com.microsoft.MatMulNBits',
    'com.microsoft.MultiHeadAttention',
    'com.microsoft.GroupQueryAttention',
    'com.microsoft.GatherBlockQuantized',
  ]);
  const FORMS = [
    { dtype: 'fp32' },
    { dtype: 'fp16', embedding: 'fp16' },
    { dtype: 'fp16', embedding: 'q4' },
    { dtype: 'int8', embedding: 'fp16' },
    { dtype: 'int8', embedding: 'q4' },
    { dtype: 'int4', embedding: 'fp16' },
    { dtype: 'int4', embedding: 'q4' },
  ] as const;

  /** The graph's default-domain opset and its node ops (spelled as manifest.ops), read back from model.onnx. */
  async function readGraph(modelDir: string, graphFile: string): Promise<{ opset: number; ops: string[] }> {
    const { readFileSync } = await import('node:fs');
    const { default: onnxProto } = await import('onnx-proto');
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(modelDir, graphFile)));
    const imports = (model.opsetImport ?? []).filter((o) => !o.domain);
    expect(imports).toHaveLength(1);
    const ops = new Set(
      (model.graph?.node ?? []).map((n) => (n.domain ? `${n.domain}.${n.opType}` : String(n.opType))),
    );
    return { opset: Number(imports[0].version), ops: [...ops].sort() };
  }

  for (const [target, eps] of Object.entries(TARGET_EPS) as [
    keyof typeof TARGET_EPS,
    readonly ('cpu' | 'cuda' | 'dml' | 'webgpu')[],
  ][]) {
    it(`${target}: every op has a kernel on ${eps.join(' and ')} at the graph's opset (read from ORT sources, see op-support.ts)`, async () => {
      const { opSupported } = await import('../main/model/op-support.js');
      const ckpt = writeTinyCheckpoint();
      const missing: string[] = [];
      for (const form of FORMS) {
        // DirectML has no GatherBlockQuantized: convert refuses q4/q8 embeddings for it (tested below).
        if (target === 'dml' && 'embedding' in form && form.embedding !== 'fp16') continue;
        const dir = outDir();
        const manifest = convertCheckpoint(ckpt, dir, { ...form, target });
        const graph = await readGraph(dir, manifest.graph);
        expect(manifest.ops).toEqual(graph.ops);
        for (const op of manifest.ops) {
          for (const ep of eps) {
            if (ep === 'webgpu' && !WEBGPU_HEAVY.has(op)) continue;
            const ok = opSupported(op, ep, graph.opset);
            if (ok !== true)
              missing.push(
                `${form.dtype}/${'embedding' in form ? form.embedding : 'fp32'} (opset ${graph.opset}): ${op} on ${ep}: ${ok === undefined ? 'no OP_SUPPORT row' : 'no kernel'}`,
              );
          }
        }
      }
      expect(missing.join('\n')).toBe('');
    });
  }

  it('a quantized embedding for DirectML is refused with the reason, before anything is written', () => {
    const dir = outDir();
    expect(() =>
      convertCheckpoint(writeTinyCheckpoint(), dir, { dtype: 'int4', embedding: 'q4', target: 'dml' }),
    ).toThrow(/--embedding: q4 needs GatherBlockQuantized, which DirectML has no kernel for/);
    expect(existsSync(dir)).toBe(false);
  });

  it('fp16 graphs for GPU targets load and run with a quantized embedding (cast to fp16)', async () => {
    for (const target of ['cuda', 'webgpu'] as const) {
      const dir = outDir();
      convertCheckpoint(writeTinyCheckpoint(), dir, { dtype: 'fp16', embedding: 'q8', target });
      const { default: ort } = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(join(dir, 'model.onnx'), { executionProviders: ['cpu'] });
      await s.release();
    }
  });

  it('OP_SUPPORT has at most one row per op and opset', async () => {
    const { OP_SUPPORT, opSupportRow } = await import('../main/model/op-support.js');
    for (const row of OP_SUPPORT) {
      for (let opset = 1; opset <= 30; opset++)
        expect(() => opSupportRow(row.op, opset), `${row.op} at ${opset}`).not.toThrow();
      if (row.opsets) expect(row.opsets[0] <= row.opsets[1] && row.since === row.opsets[0], row.op).toBe(true);
    }
  });

  it('the per-head attention bias (for DirectML) gives the same logits as the broadcast one', async () => {
    const ckpt = writeTinyCheckpoint();
    const a = outDir();
    const b = outDir();
    // Only the MultiHeadAttention graphs (dml, webgpu) take a 4-D bias; ONNX Attention graphs get [S, T] either way.
    expect(convertCheckpoint(ckpt, a, { target: 'dml', attentionBias: 'broadcast' })).toMatchObject({
      attention: 'mha-repeat',
      attentionBias: 'broadcast',
    });
    expect(convertCheckpoint(ckpt, b, { target: 'dml' })).toMatchObject({
      attention: 'mha-repeat',
      attentionBias: 'per-head',
    });
    expect(maxAbsDiff(await logitsOf(a), await logitsOf(b))).toBeLessThan(1e-5);
  });
});

describe('mapping weights back', () => {
  it('export-weights recovers every checkpoint tensor exactly from an fp32 model folder', async () => {
    const { exportWeights } = await import('../main/model/export-weights.js');
    const { readTensorBytes } = await import('../main/model/safetensors.js');
    const ckpt = writeTinyCheckpoint();
    const model = outDir();
    convertCheckpoint(ckpt, model);
    const back = mkdtempSync(join(tmpdir(), 'back-'));
    const r = exportWeights(model, back);
    const original = indexCheckpoint(ckpt);
    const recovered = indexCheckpoint(back);
    expect(r.tensors).toBe(original.size);
    for (const [name, t] of original) {
      const u = recovered.get(name)!;
      expect(u.shape).toEqual(t.shape);
      expect(Buffer.compare(Buffer.from(readTensorBytes(u)), Buffer.from(readTensorBytes(t))), name).toBe(0);
    }
  });
});
