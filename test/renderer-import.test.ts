/** The import panel's pure logic (renderer/src/lib/import.ts): formatting, ETA, fit lines, dtype suggestion. */
import { describe, expect, it } from 'vitest';
import type { CheckpointInspection, ImportProgress, ImportTarget } from '../common/models.js';
import {
  acceptProgress,
  etaMs,
  fitSummary,
  formatBytes,
  formatCount,
  formatDuration,
  inspectionRows,
  isUnconvertedFolderError,
  percentDone,
  progressView,
  suggestedDtype,
} from '../renderer/src/lib/import.js';

const target = (dtype: ImportTarget['dtype'], over: Partial<ImportTarget> = {}): ImportTarget => ({
  dtype,
  diskBytes: 1e9,
  memoryBytes: 2e9,
  fitsMemory: true,
  fitsGpu: null,
  fitsDisk: true,
  gpuOnly: dtype === 'fp16',
  ...over,
});

const progress = (over: Partial<ImportProgress> = {}): ImportProgress => ({
  importId: 'a',
  checkpoint: 'ckpt',
  dtype: 'int4',
  outputDir: '/m/ckpt-int4',
  state: 'running',
  doneBytes: 0,
  totalBytes: 16e9,
  tensor: null,
  elapsedMs: 0,
  ...over,
});

describe('formatting', () => {
  it('bytes in decimal units, counts as model cards write them, durations', () => {
    expect([formatBytes(999), formatBytes(1500), formatBytes(16.06e9), formatBytes(999.96e6), formatBytes(-1)]).toEqual(
      ['999 bytes', '1.5 KB', '16.1 GB', '1.0 GB', '?'],
    );
    expect([formatCount(8.03e9), formatCount(5.2e6), formatCount(1234), formatCount(12)]).toEqual([
      '8.0B',
      '5.2M',
      '1.2K',
      '12',
    ]);
    expect([formatDuration(4_400), formatDuration(185_000), formatDuration(3_720_000)]).toEqual([
      '4 s',
      '3 min 05 s',
      '1 h 02 min',
    ]);
  });
});

describe('progress', () => {
  it('percent is whole, clamped, and 0 without a total', () => {
    expect([
      percentDone(0, 10),
      percentDone(5, 10),
      percentDone(9.99, 10),
      percentDone(11, 10),
      percentDone(1, 0),
    ]).toEqual([0, 50, 99, 100, 0]);
  });

  it('ETA extrapolates the rate so far, once there is one', () => {
    expect(etaMs(0, 100, 5000)).toBeNull();
    expect(etaMs(10, 100, 500)).toBeNull();
    expect(etaMs(25, 100, 10_000)).toBe(30_000);
    expect(etaMs(100, 100, 10_000)).toBe(0);
  });

  it('the caption names bytes, the tensor and the time left; the last phase says what it writes', () => {
    expect(progressView(progress())).toEqual({
      percent: 0,
      bytes: '0 bytes of 16.0 GB',
      tensor: 'reading the checkpoint',
      eta: 'estimating time left',
    });
    const mid = progressView(
      progress({ doneBytes: 4e9, elapsedMs: 60_000, tensor: 'model.layers.7.mlp.up_proj.weight' }),
    );
    expect(mid).toEqual({
      percent: 25,
      bytes: '4.0 GB of 16.0 GB',
      tensor: 'model.layers.7.mlp.up_proj.weight',
      eta: 'about 3 min 00 s left',
    });
    expect(progressView(progress({ doneBytes: 16e9, elapsedMs: 60_000, tensor: 'lm_head.weight' })).tensor).toBe(
      'writing the graph and the manifest',
    );
  });

  it("a running import is not replaced by another import's events; a finished one is", () => {
    expect(acceptProgress(null, progress())).toBe(true);
    expect(acceptProgress(progress(), progress({ doneBytes: 5 }))).toBe(true);
    expect(acceptProgress(progress(), progress({ importId: 'b' }))).toBe(false);
    expect(acceptProgress(progress({ state: 'done' }), progress({ importId: 'b' }))).toBe(true);
  });
});

describe('targets', () => {
  const machine = { availableMemoryBytes: 8e9, freeDiskBytes: 20e9 };
  it('fit lines say what does not fit, with the numbers', () => {
    expect(fitSummary(target('int4'), machine)).toEqual({ ok: true, text: 'fits' });
    expect(fitSummary(target('int4', { fitsGpu: true }), machine).text).toBe('fits, fits the GPU');
    expect(fitSummary(target('int8', { fitsGpu: false }), machine).text).toBe(
      'fits, too big for the GPU (runs on CPU)',
    );
    expect(fitSummary(target('fp16', { fitsGpu: false }), machine)).toEqual({
      ok: false,
      text: 'GPU only: the CPU has no fp16 matrix multiply (int8 keeps the quality on CPU)',
    });
    expect(
      fitSummary(target('fp32', { memoryBytes: 33e9, fitsMemory: false, diskBytes: 32e9, fitsDisk: false }), machine),
    ).toEqual({
      ok: false,
      text: 'needs 32.0 GB of disk, 20.0 GB free; needs 33.0 GB of memory, 8.0 GB available',
    });
    expect(fitSummary(target('int8', { fitsMemory: null }), machine)).toEqual({ ok: true, text: 'fit unknown' });
  });

  it('suggests fp16 on a GPU it fits, else the widest quantized dtype that fits, else int4', () => {
    const all = (fit: Record<string, boolean>, gpu: boolean | null = true) =>
      (['fp32', 'fp16', 'int8', 'int4'] as const).map((d) => target(d, { fitsMemory: fit[d] ?? true, fitsGpu: gpu }));
    expect(suggestedDtype(all({}))).toBe('fp16');
    // No GPU: int8 is the quality option on CPU.
    expect(suggestedDtype(all({}, null))).toBe('int8');
    expect(suggestedDtype(all({ fp32: false, fp16: false }))).toBe('int8');
    expect(suggestedDtype(all({ fp32: false, fp16: false, int8: false }))).toBe('int4');
    expect(suggestedDtype(all({ fp32: false, fp16: false, int8: false, int4: false }))).toBe('int4');
    expect(suggestedDtype([target('fp16', { fitsDisk: false, fitsGpu: true }), target('int8')])).toBe('int8');
  });
});

it('lists what inspection found', () => {
  const i = {
    architecture: 'LlamaForCausalLM',
    shape: {
      numLayers: 32,
      hiddenSize: 4096,
      intermediateSize: 14336,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      vocabSize: 155136,
      maxPositions: 8192,
    },
    parameters: 8.25e9,
    checkpointBytes: 16.5e9,
    sourceDtypes: ['BF16'],
    tokenizer: true,
    chatTemplate: false,
  } as CheckpointInspection;
  expect(inspectionRows(i)).toEqual([
    ['Architecture', 'LlamaForCausalLM (32 layers, hidden 4096, 32/8 heads, vocab 155136)'],
    ['Parameters', '8.3B (16.5 GB on disk)'],
    ['Weights', 'BF16'],
    ['Tokenizer', 'present'],
    ['Chat template', 'none (prompts are sent without a template)'],
  ]);
});

it('recognises the add-model error that means "no manifest: maybe a checkpoint"', () => {
  expect(isUnconvertedFolderError('diffcoder.json: missing')).toBe(true);
  expect(isUnconvertedFolderError('diffcoder.json: field dtype: Invalid option')).toBe(false);
  expect(isUnconvertedFolderError('/x: model folder not found')).toBe(false);
});
