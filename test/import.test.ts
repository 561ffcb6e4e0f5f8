/**
 * Checkpoint import: inspection of a real (tiny) Hugging Face folder, and whole imports through the app core with the
 * real conversion worker process (run from source through tsx here; the e2e test runs the built one).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../common/contract.js';
import type { CheckpointInspection, ImportProgress } from '../common/models.js';
import { WEIGHT_DTYPES } from '../common/model-formats.js';
import { inspectCheckpoint, resolveCheckpointDir, type MachineFacts } from '../main/import/inspect-checkpoint.js';
import { freshOutputDir, safeFolderName } from '../main/import/output-dir.js';
import { PROGRESS_INTERVAL_MS } from '../main/import/protocol.js';
import { nodeWorkerLauncher, type WorkerLauncher } from '../main/import/worker-launcher.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { convertCheckpoint } from '../main/model/convert.js';
import { writeSafetensors } from '../main/model/safetensors.js';
import { importedModelsDir } from '../main/model-registry/registry.js';
import { engineProcessLauncher } from './helpers/engine-host.js';
import { writeSizedCheckpoint } from './helpers/sized-checkpoint.js';
import { TINY, tinyWeights, writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';
import { buildTinyModel } from './helpers/tiny-model.js';
import { DEFAULT_DECODE_SETTINGS } from '../common/decoding-settings.js';

const workerEntry = fileURLToPath(new URL('../main/import/convert-worker.ts', import.meta.url));
/** The worker run from source; `pids` collects every worker started, to kill one from outside. */
function testWorkerLauncher(pids: number[] = []): WorkerLauncher {
  const launch = nodeWorkerLauncher(workerEntry, ['--import', 'tsx']);
  return () => {
    const child = launch();
    if (child.pid) pids.push(child.pid);
    return child;
  };
}

const plenty: MachineFacts = { availableMemoryBytes: 1e12, gpuFreeBytes: null, freeDiskBytes: 1e12 };

describe('inspectCheckpoint', () => {
  let ckpt: string;
  let inspection: CheckpointInspection;
  beforeAll(async () => {
    ckpt = writeTinyCheckpoint();
    inspection = await inspectCheckpoint(ckpt, '/nonexistent-models-dir', plenty);
  });

  it('reports architecture, parameters, source dtypes, tokenizer and chat template', () => {
    const params = Object.values(tinyWeights()).reduce((a, t) => a + t.data.length, 0);
    expect(inspection).toMatchObject({
      name: ckpt.split('/').pop(),
      architecture: 'LlamaForCausalLM',
      shape: {
        numLayers: TINY.num_hidden_layers,
        hiddenSize: TINY.hidden_size,
        intermediateSize: TINY.intermediate_size,
        numKvHeads: 2,
        vocabSize: 263,
      },
      parameters: params,
      checkpointBytes: params * 4,
      sourceDtypes: ['F32'],
      tokenizer: true,
      chatTemplate: true,
      problems: [],
      contextLength: TINY.max_position_embeddings,
    });
  });

  it('gives every target dtype a size and a memory estimate, smaller as the weights shrink', () => {
    expect(inspection.targets.map((t) => t.dtype)).toEqual([...WEIGHT_DTYPES]);
    const sizes = inspection.targets.map((t) => t.diskBytes);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1]);
    for (const t of inspection.targets) {
      expect(t.memoryBytes).toBeGreaterThan(t.diskBytes);
      expect(t).toMatchObject({ fitsMemory: true, fitsDisk: true, fitsGpu: null });
    }
  });

  it('says which targets do not fit the memory and disk there are', async () => {
    const [fp32, fp16, int8] = inspection.targets;
    const tight = await inspectCheckpoint(ckpt, '/x', {
      availableMemoryBytes: fp16.memoryBytes,
      gpuFreeBytes: 0,
      freeDiskBytes: int8.diskBytes,
    });
    expect(tight.targets.map((t) => [t.dtype, t.fitsMemory, t.fitsDisk, t.fitsGpu])).toEqual([
      ['fp32', false, false, false],
      ['fp16', true, false, false],
      ['int8', true, true, false],
      ['int4', true, true, false],
    ]);
    expect(fp32.diskBytes).toBeGreaterThan(fp16.diskBytes);
  });

  it('measures this machine when not told (memory and disk are known on Linux)', async () => {
    const here = await inspectCheckpoint(ckpt, tmpdir());
    expect(here.availableMemoryBytes).toBeGreaterThan(0);
    expect(here.freeDiskBytes).toBeGreaterThan(0);
    expect(here.targets[3].fitsMemory).toBe(true);
  });

  it('reports bf16 and fp16 sources, and a chat template kept in chat_template.jinja', async () => {
    const bf16 = writeTinyCheckpoint({ dtype: 'BF16' });
    const cfg = JSON.parse(readFileSync(join(bf16, 'tokenizer_config.json'), 'utf8'));
    writeFileSync(join(bf16, 'chat_template.jinja'), cfg.chat_template);
    delete cfg.chat_template;
    writeFileSync(join(bf16, 'tokenizer_config.json'), JSON.stringify(cfg));
    const r = await inspectCheckpoint(bf16, '/x', plenty);
    expect(r.sourceDtypes).toEqual(['BF16']);
    expect(r.checkpointBytes).toBe(inspection.parameters * 2);
    expect(r.chatTemplate).toBe(true);
    rmSync(join(bf16, 'chat_template.jinja'));
    expect((await inspectCheckpoint(bf16, '/x', plenty)).chatTemplate).toBe(false);
  });

  it('lists what would stop the conversion: a missing tokenizer, no mask token', async () => {
    const noTok = writeTinyCheckpoint();
    rmSync(join(noTok, 'tokenizer.json'));
    const r = await inspectCheckpoint(noTok, '/x', plenty);
    expect(r.tokenizer).toBe(false);
    expect(r.problems).toEqual(['tokenizer.json: missing from the checkpoint folder']);

    const noMask = writeTinyCheckpoint({ config: { mask_token_id: null } });
    const tc = JSON.parse(readFileSync(join(noMask, 'tokenizer_config.json'), 'utf8'));
    delete tc.mask_token;
    writeFileSync(join(noMask, 'tokenizer_config.json'), JSON.stringify(tc));
    const tj = JSON.parse(readFileSync(join(noMask, 'tokenizer.json'), 'utf8'));
    tj.added_tokens = tj.added_tokens.filter((t: { content: string }) => !t.content.includes('MASK'));
    writeFileSync(join(noMask, 'tokenizer.json'), JSON.stringify(tj));
    expect((await inspectCheckpoint(noMask, '/x', plenty)).problems[0]).toMatch(/^config\.json: no mask token/);
  });

  describe('folders that are no checkpoint give errors naming the file and the problem', () => {
    const cases: [string, () => string, RegExp][] = [
      ['relative path', () => 'models/my-checkpoint', /^models\/my-checkpoint: give the full path/],
      ['empty path', () => '   ', /enter the path of a checkpoint folder/],
      [
        'missing folder',
        () => join(tmpdir(), 'no-such-checkpoint-xyz'),
        /no-such-checkpoint-xyz: checkpoint folder not found$/,
      ],
      [
        'a file',
        () => {
          const f = join(mkdtempSync(join(tmpdir(), 'imp-')), 'config.json');
          writeFileSync(f, '{}');
          return f;
        },
        /config\.json: not a folder/,
      ],
      [
        'no config.json',
        () => mkdtempSync(join(tmpdir(), 'imp-empty-')),
        /^config\.json: missing: this is not a Hugging Face checkpoint folder/,
      ],
      [
        'already a model folder',
        () => buildTinyModel().model,
        /^diffcoder\.json: this folder is already a converted model/,
      ],
      [
        'unsupported architecture',
        () => writeTinyCheckpoint({ config: { architectures: ['MistralForCausalLM'], model_type: 'mistral' } }),
        /^config\.json: unsupported architecture: model_type "mistral"/,
      ],
      [
        'no safetensors',
        () => {
          const d = writeTinyCheckpoint();
          rmSync(join(d, 'model.safetensors'));
          return d;
        },
        /no \*\.safetensors file in the checkpoint folder/,
      ],
    ];
    it.each(cases)('%s', async (_, make, error) => {
      await expect(inspectCheckpoint(make(), '/x', plenty)).rejects.toThrow(error);
    });
  });

  it('accepts ~/ for the home folder and answers with the real path', () => {
    expect(resolveCheckpointDir(`  ${ckpt}  `)).toBe(resolveCheckpointDir(ckpt));
    expect(() => resolveCheckpointDir('~/no-such-folder-for-import-tests')).toThrow(
      /\/no-such-folder-for-import-tests: checkpoint folder not found/,
    );
  });
});

describe('output folder names', () => {
  it('are named after the checkpoint and dtype, safe, and never an existing folder', () => {
    expect(safeFolderName('Stable-DiffCoder-8B-Instruct')).toBe('Stable-DiffCoder-8B-Instruct');
    expect(safeFolderName('../..//etc passwd')).toBe('etc-passwd');
    expect(safeFolderName('...')).toBe('model');
    const taken = new Set(['/m/ckpt-int4', '/m/ckpt-int4-2']);
    expect(freshOutputDir('/m', 'ckpt', 'int4', (p) => taken.has(p))).toBe('/m/ckpt-int4-3');
    expect(freshOutputDir('/m', 'ckpt', 'fp16', (p) => taken.has(p))).toBe('/m/ckpt-fp16');
  });
});

describe('import through the app core with the real worker process', () => {
  let core: ReturnType<typeof createAppCore>;
  let userData: string;
  let modelsDir: string;
  const events: { channel: keyof Events; payload: unknown }[] = [];
  const workerPids: number[] = [];
  let sized: string;

  const progress = (importId?: string) =>
    events
      .filter((e) => e.channel === 'models:importProgress')
      .map((e) => e.payload as ImportProgress)
      .filter((p) => !importId || p.importId === importId);
  const outcome = (importId: string) =>
    new Promise<ImportProgress>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const end = progress(importId).find((p) => p.state !== 'running');
        if (end || Date.now() - started > 100_000) {
          clearInterval(poll);
          if (end) resolve(end);
          else reject(new Error('import did not finish'));
        }
      }, 20);
    });
  const waitFor = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      const poll = setInterval(() => pred() && (clearInterval(poll), resolve()), 5);
    });
  const startImport = async (dir: string, dtype: string) => {
    const r = await core.dispatch('models:import', { dir, dtype });
    if (!r.ok) throw new Error(r.error);
    return r.value as { importId: string; outputDir: string };
  };

  beforeAll(async () => {
    userData = mkdtempSync(join(tmpdir(), 'userdata-import-'));
    modelsDir = importedModelsDir(userData);
    const builtin = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
    core = createAppCore(
      {
        userData,
        builtinModelDir: builtin,
        launcher: engineProcessLauncher(),
        convertWorker: testWorkerLauncher(workerPids),
        mode: 'browser',
        version: 'test',
      },
      { broadcast: (channel, payload) => events.push({ channel, payload }) },
    );
    await core.start();
    // Wide enough (12 layers, 76 MB) that converting takes a while: long enough to cancel or kill half-way.
    sized = writeSizedCheckpoint({ dims: { num_hidden_layers: 12 } });
  });
  afterAll(() => core.dispose());

  it('converts, registers and selects the model; chat then runs on it', async () => {
    const ckpt = writeTinyCheckpoint({ config: { max_position_embeddings: 4096 } });
    const name = ckpt.split('/').pop()!;
    const inspected = await core.dispatch('models:inspectCheckpoint', { dir: ckpt });
    expect(inspected.ok && (inspected.value as { inspection: CheckpointInspection }).inspection.modelsDir).toBe(
      modelsDir,
    );

    const { importId, outputDir } = await startImport(ckpt, 'int8');
    expect(outputDir).toBe(join(modelsDir, `${name}-int8`));
    const end = await outcome(importId);
    expect(end).toMatchObject({
      state: 'done',
      dtype: 'int8',
      checkpoint: name,
      model: { id: outputDir, dir: outputDir, builtin: false },
    });
    expect(end.model!.error).toBeUndefined();
    expect(end.doneBytes).toBe(end.totalBytes);
    expect(JSON.parse(readFileSync(join(outputDir, 'diffcoder.json'), 'utf8')).dtype).toBe('int8');
    // Nothing but the model folder is left in the models folder (the partial folder was renamed).
    expect(readdirSync(modelsDir)).toEqual([`${name}-int8`]);

    const listed = await core.dispatch('models:list', {});
    expect(listed.ok && (listed.value as { models: { id: string }[] }).models.map((m) => m.id)).toContain(outputDir);
    const settings = await core.dispatch('settings:get', {});
    expect(settings.ok && (settings.value as { settings: { modelId: string } }).settings.modelId).toBe(outputDir);
    await waitFor(
      () => core.services.host.status.state === 'ready' && core.services.host.status.model?.id === outputDir,
    );

    const before = events.length;
    const gen = await core.dispatch('generate:start', {
      requestId: 'after-import',
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] },
      settings: { ...DEFAULT_DECODE_SETTINGS, steps: 8, genLength: 8, stopAtEos: false },
    });
    expect(gen.ok).toBe(true);
    await waitFor(() =>
      events
        .slice(before)
        .some((e) => e.channel === 'generate:event' && (e.payload as Events['generate:event']).event.type === 'done'),
    );

    // The same checkpoint again goes to a fresh folder; the first is left alone.
    const again = await startImport(ckpt, 'int8');
    expect(again.outputDir).toBe(join(modelsDir, `${name}-int8-2`));
    expect((await outcome(again.importId)).state).toBe('done');
    expect(readdirSync(modelsDir).sort()).toEqual([`${name}-int8`, `${name}-int8-2`]);
  });

  it('reports progress from the worker at most ~10 times a second, and runs one import at a time', async () => {
    const { importId } = await startImport(sized, 'fp16');
    const second = await core.dispatch('models:import', { dir: sized, dtype: 'int4' });
    expect(second).toEqual({
      ok: false,
      error: expect.stringMatching(/^an import is already running \(.*, fp16\): wait for it to finish or cancel it$/),
    });
    expect((await outcome(importId)).state).toBe('done');
    const fromWorker = progress(importId).filter((p) => p.state === 'running' && p.tensor !== null);
    expect(fromWorker.length).toBeGreaterThanOrEqual(1);
    // The worker spaces them PROGRESS_INTERVAL_MS apart; measured on arrival (IPC and event-loop jitter), so count
    // them over the time they span instead of checking each gap. Unthrottled there would be one per tensor (111 here).
    const span = fromWorker.at(-1)!.elapsedMs - fromWorker[0].elapsedMs;
    expect(fromWorker.length).toBeLessThanOrEqual(span / PROGRESS_INTERVAL_MS + 2);
    // Bytes only grow.
    for (let i = 1; i < fromWorker.length; i++)
      expect(fromWorker[i].doneBytes).toBeGreaterThan(fromWorker[i - 1].doneBytes);
  });

  it('cancel kills the worker and removes its partial folder; existing folders are untouched', async () => {
    const name = sized.split('/').pop()!;
    // An unrelated folder, and the model the test above imported under the name this import would want.
    const unrelated = join(modelsDir, 'unrelated');
    mkdirSync(unrelated, { recursive: true });
    writeFileSync(join(unrelated, 'notes.txt'), 'mine');
    const taken = join(modelsDir, `${name}-fp16`);
    const takenManifest = readFileSync(join(taken, 'diffcoder.json'), 'utf8');
    const before = readdirSync(modelsDir).sort();

    // fp16 converts slower than fp32 (every weight is rounded), which leaves time to cancel half-way.
    const { importId, outputDir } = await startImport(sized, 'fp16');
    expect(outputDir).toBe(join(modelsDir, `${name}-fp16-2`));
    await waitFor(() => progress(importId).some((p) => p.tensor !== null));
    // The worker is writing its partial folder now.
    expect(readdirSync(modelsDir).some((f) => f.startsWith(`${name}-fp16-2.partial-`))).toBe(true);
    expect(await core.dispatch('models:importCancel', { importId })).toEqual({ ok: true, value: { cancelled: true } });
    expect((await outcome(importId)).state).toBe('cancelled');
    expect(readdirSync(modelsDir).sort()).toEqual(before);
    expect(readFileSync(join(unrelated, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(taken, 'diffcoder.json'), 'utf8')).toBe(takenManifest);
    // Cancelling again, or an unknown import, is a plain false.
    expect(await core.dispatch('models:importCancel', { importId })).toEqual({ ok: true, value: { cancelled: false } });
    // The next import runs.
    const next = await startImport(writeTinyCheckpoint(), 'int8');
    expect((await outcome(next.importId)).state).toBe('done');
  });

  it('a worker that dies is an error (not a hang), and its partial folder is removed', async () => {
    const before = readdirSync(modelsDir).sort();
    const { importId } = await startImport(sized, 'fp16');
    await waitFor(() => progress(importId).some((p) => p.tensor !== null));
    process.kill(workerPids[workerPids.length - 1], 'SIGKILL');
    const end = await outcome(importId);
    expect(end).toMatchObject({
      state: 'error',
      message: expect.stringMatching(/^the conversion process was killed \(SIGKILL\) before finishing/),
    });
    expect(readdirSync(modelsDir).sort()).toEqual(before);
  });

  it("the converter's error reaches the UI verbatim; refusals come before any worker starts", async () => {
    // A q_proj of the wrong shape: inspection (headers only) passes, the converter refuses.
    const bad = writeTinyCheckpoint();
    const w = tinyWeights();
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const [n, t] of Object.entries(w)) tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
    tensors['model.layers.1.self_attn.q_proj.weight'] = {
      dtype: 'F32',
      shape: [5, TINY.hidden_size],
      data: new Float32Array(5 * TINY.hidden_size),
    };
    writeSafetensors(join(bad, 'model.safetensors'), tensors);
    let direct = '';
    try {
      convertCheckpoint(bad, join(mkdtempSync(join(tmpdir(), 'imp-direct-')), 'out'));
    } catch (e) {
      direct = (e as Error).message;
    }
    expect(direct).toMatch(/shape mismatch/);
    const before = readdirSync(modelsDir).sort();
    const { importId } = await startImport(bad, 'fp16');
    expect(await outcome(importId)).toMatchObject({ state: 'error', message: direct });
    expect(readdirSync(modelsDir).sort()).toEqual(before);

    const started = workerPids.length;
    const noTok = writeTinyCheckpoint();
    rmSync(join(noTok, 'tokenizer.json'));
    expect(await core.dispatch('models:import', { dir: noTok, dtype: 'fp16' })).toEqual({
      ok: false,
      error: 'tokenizer.json: missing from the checkpoint folder',
    });
    expect(await core.dispatch('models:import', { dir: 'relative/path', dtype: 'fp16' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/give the full path/),
    });
    expect(await core.dispatch('models:import', { dir: sized, dtype: 'int3' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid request for models:import: dtype/),
    });
    expect(await core.dispatch('models:importCancel', { importId: '../x' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/importId/),
    });
    expect(workerPids.length).toBe(started);
  });

  it('dispose (window closed, server stopped) kills a running import and removes its partial folder', async () => {
    const before = readdirSync(modelsDir).sort();
    const { importId } = await startImport(sized, 'fp16');
    await waitFor(() => progress(importId).some((p) => p.tensor !== null));
    await core.services.imports!.dispose();
    expect(progress(importId).at(-1)!.state).toBe('cancelled');
    expect(readdirSync(modelsDir).sort()).toEqual(before);
  });
});
