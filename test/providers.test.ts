import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { appSettingsSchema, requests } from '../common/contract.js';
import {
  AUTO_ORDER,
  GPU_PROVIDERS,
  isGpuProvider,
  isProviderChoice,
  PROVIDER_CHOICES,
  PROVIDER_LABELS,
  PROVIDERS,
  providerChoiceSchema,
} from '../common/providers.js';
import { ModelSession } from '../main/engine/model-session.js';
import {
  createSession,
  KEEP_FP16_WEIGHTS,
  sessionOptionsFor,
  type SessionOptionsSource,
} from '../main/engine/providers.js';
import { convertCheckpoint, IO_NAMES } from '../main/model/convert.js';
import type { Manifest } from '../main/model/manifest.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { maxAbsDiff } from './helpers/reference-forward.js';
import { writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';

const { onnx } = onnxProto;

describe('common/providers.ts', () => {
  it('is the one list: choices, labels, auto order and the contract schema agree', () => {
    expect(PROVIDER_CHOICES).toEqual(['auto', ...PROVIDERS]);
    expect(Object.keys(PROVIDER_LABELS).sort()).toEqual([...PROVIDER_CHOICES].sort());
    for (const c of PROVIDER_CHOICES) {
      expect(providerChoiceSchema.safeParse(c).success).toBe(true);
      expect(requests['models:select'].safeParse({ modelId: 'builtin', provider: c }).success).toBe(true);
    }
    expect(providerChoiceSchema.safeParse('tpu').success).toBe(false);
    expect(appSettingsSchema.shape.provider.options).toEqual([...PROVIDER_CHOICES]);
    expect(isProviderChoice('auto') && isProviderChoice('webgpu') && !isProviderChoice('tensorrt')).toBe(true);
    // auto never picks experimental WebGPU and always ends on CPU.
    expect(AUTO_ORDER.at(-1)).toBe('cpu');
    expect(AUTO_ORDER).not.toContain('webgpu');
    expect(AUTO_ORDER.every((p) => PROVIDERS.includes(p))).toBe(true);
    expect(GPU_PROVIDERS).toEqual(['cuda', 'dml', 'webgpu']);
    expect(isGpuProvider('cpu') || isGpuProvider('coreml')).toBe(false);
  });
});

function manifest(over: Partial<Manifest> & { presentKv?: 'all' } = {}): Manifest {
  const { presentKv, ...rest } = over;
  const io = presentKv ? { ...IO_NAMES, presentKv, inputs: { ...IO_NAMES.inputs, kvKeep: 'kv_keep' } } : IO_NAMES;
  return {
    dtype: 'fp32',
    computeDtype: 'fp32',
    embedding: 'fp32',
    architecture: {
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 1,
      headDim: 8,
      hiddenSize: 32,
      vocabSize: 100,
      maxPositions: 64,
    },
    io,
    ...rest,
  } as Manifest;
}

const keepFp16 = { extra: { optimization: { disable_specified_optimizers: KEEP_FP16_WEIGHTS } } };
const webgpuInt64 = { 'ep.webgpuexecutionprovider.enableInt64': '1' };

describe('sessionOptionsFor', () => {
  it('adds nothing for an fp32 folder on CPU, CUDA, DML or Core ML', () => {
    for (const p of ['cpu', 'cuda', 'dml', 'coreml'] as const) expect(sessionOptionsFor(manifest(), p)).toEqual({});
  });

  it('keeps fp16 weights resident on CPU (semicolon-separated optimizer names), for fp16 folders and fp16 embedding tables', () => {
    expect(KEEP_FP16_WEIGHTS).toBe('ConstantFolding;FuseFp16InitializerToFp32NodeTransformer');
    expect(sessionOptionsFor(manifest({ dtype: 'fp16' }), 'cpu')).toEqual(keepFp16);
    expect(sessionOptionsFor(manifest({ dtype: 'int4', embedding: 'fp16' }), 'cpu')).toEqual(keepFp16);
    expect(sessionOptionsFor(manifest({ dtype: 'int4', embedding: 'q4' }), 'cpu')).toEqual({});
    // GPU providers compute fp16 natively: nothing to keep from folding.
    expect(sessionOptionsFor(manifest({ dtype: 'fp16', computeDtype: 'fp16' }), 'cuda')).toEqual({});
  });

  it("gives WebGPU its int64 kernels, and 'gpu-buffer' presents only for a graph that returns the whole cache", () => {
    expect(sessionOptionsFor(manifest(), 'webgpu')).toEqual({ extra: webgpuInt64 });
    expect(sessionOptionsFor(manifest({ dtype: 'fp16', computeDtype: 'fp16' }), 'webgpu')).toEqual({
      extra: webgpuInt64,
    });
    expect(sessionOptionsFor(manifest({ presentKv: 'all' }), 'webgpu')).toEqual({
      extra: webgpuInt64,
      preferredOutputLocation: {
        'present_key.0': 'gpu-buffer',
        'present_value.0': 'gpu-buffer',
        'present_key.1': 'gpu-buffer',
        'present_value.1': 'gpu-buffer',
      },
    });
    expect(sessionOptionsFor(manifest({ presentKv: 'all' }), 'cpu')).toEqual({});
  });
});

/** Logits of a fixed prompt, and the graph ORT actually runs (dumped after optimization). */
async function run(modelDir: string, options: SessionOptionsSource) {
  const folder = openModelFolder(modelDir);
  const dump = join(mkdtempSync(join(tmpdir(), 'optimized-')), 'model.onnx');
  const withDump: SessionOptionsSource = (p) => ({
    ...(typeof options === 'function' ? options(p) : options),
    optimizedModelFilePath: dump,
  });
  const opened = await createSession(folder.graphPath, 'cpu', withDump);
  const m = new ModelSession(opened.session, folder.manifest, opened.provider);
  const ids = [0, 17, 4, 99, 120, 7, 42, 8, 200, 3];
  m.reset(ids.length);
  const out = await m.forward({ ids, rows: ids.length, keep: 0, want: 'logits', blockLength: 4 });
  await m.dispose();
  const graph = onnx.ModelProto.decode(readFileSync(dump)).graph!;
  const fp16 = new Set(
    graph.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16).map((t) => t.name),
  );
  const castsOfFp16 = graph.node!.filter((n) => n.opType === 'Cast' && fp16.has(n.input![0])).length;
  return { logits: out.logits!, fp16Initializers: fp16.size, castsOfFp16, manifest: folder.manifest };
}

describe('fp16 folder on CPU with sessionOptionsFor', () => {
  it('keeps the fp16 weights behind runtime Casts and gives the same logits', async () => {
    const ckpt = writeTinyCheckpoint();
    const dirs = {
      fp32: join(mkdtempSync(join(tmpdir(), 'p32-')), 'model'),
      fp16: join(mkdtempSync(join(tmpdir(), 'p16-')), 'model'),
    };
    convertCheckpoint(ckpt, dirs.fp32);
    convertCheckpoint(ckpt, dirs.fp16, { dtype: 'fp16' });

    const ref = await run(dirs.fp32, {});
    const folded = await run(dirs.fp16, {});
    const kept = await run(dirs.fp16, (p) => sessionOptionsFor(openModelFolder(dirs.fp16).manifest, p));
    expect(kept.manifest.dtype).toBe('fp16');

    // Without the options ORT folds every Cast(fp16 weight) into an fp32 copy; with them none is folded.
    // (An fp16 table read by Gather stays fp16 either way: only its gathered rows are cast.)
    expect(folded.castsOfFp16).toBe(0);
    expect(kept.castsOfFp16).toBeGreaterThan(0);
    expect(kept.fp16Initializers).toBe(folded.fp16Initializers + kept.castsOfFp16);

    // A runtime Cast gives the very weights the folded copy held; fp16 rounding stays within convert.test's tolerance.
    expect(maxAbsDiff(kept.logits, folded.logits)).toBeLessThan(1e-5);
    const diff = maxAbsDiff(kept.logits, ref.logits);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.02);
  });
});
