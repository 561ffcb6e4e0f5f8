import { mkdtempSync, statSync } from 'node:fs';
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
    expect(k).toEqual({ checkpoint: 'model.layers.1.self_attn.k_proj.weight', shape: [12, 48], initializer: 'layers.1.attn.qkv_proj', transforms: ['transpose'], packed: { axis: 1, offset: 48, length: 12 } });
    expect(manifest.tensors.find((t) => t.checkpoint === 'model.embed_tokens.weight')!.transforms).toEqual([]);
    // CPU graphs hand ONNX Attention the KV heads as they are (no 4x repeat).
    expect(manifest.attention).toBe('gqa');
    expect(manifest.ops).toContain('Attention');
    expect(manifest.ops).not.toContain('com.microsoft.MultiHeadAttention');
  });

  it('bf16 and fp16 checkpoints convert, to fp32 or fp16 graphs, with matching logits', async () => {
    const ref = await logitsOf((() => {
      const d = outDir();
      convertCheckpoint(writeTinyCheckpoint(), d);
      return d;
    })());
    for (const [src, out, tol] of [
      ['BF16', 'fp32', 0.15],
      ['F16', 'fp32', 0.02],
      ['F32', 'fp16', 0.02],
    ] as const) {
      const d = outDir();
      const manifest = convertCheckpoint(writeTinyCheckpoint({ dtype: src }), d, { dtype: out });
      expect(manifest.dtype).toBe(out);
      const q = manifest.tensors.find((t) => t.checkpoint.endsWith('0.self_attn.q_proj.weight'))!;
      const expected = (src as string) === 'F32' && (out as string) === 'fp32' ? [] : [`cast:${src.toLowerCase()}->${out}`];
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
  it('every op in the graph has a kernel on cpu, cuda and dml (read from ORT sources, see op-support.ts)', async () => {
    const { OP_SUPPORT } = await import('../main/model/op-support.js');
    for (const bias of ['broadcast', 'per-head'] as const) {
      for (const dtype of ['fp32', 'fp16'] as const) {
        const manifest = convertCheckpoint(writeTinyCheckpoint(), outDir(), { dtype, attentionBias: bias });
        for (const op of manifest.ops) {
          const row = OP_SUPPORT.find((r) => r.op === op);
          expect(row, `${op} is not in OP_SUPPORT`).toBeDefined();
          expect([row!.cpu, row!.cuda, row!.dml]).toEqual([true, true, true]);
        }
      }
    }
  });

  it('the per-head attention bias (for DirectML) gives the same logits as the broadcast one', async () => {
    const ckpt = writeTinyCheckpoint();
    const a = outDir();
    const b = outDir();
    convertCheckpoint(ckpt, a);
    expect(convertCheckpoint(ckpt, b, { attentionBias: 'per-head' }).attentionBias).toBe('per-head');
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
