#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { preflightModel } from '../engine/memory-preflight.js';
import { ContextLengthError, DecodeParamError, type DecodeParams } from '../engine/params.js';
import { isProviderChoice, PROVIDERS } from '../../common/providers.js';
import { convertCheckpoint, type ConvertOptions } from '../model/convert.js';
import { EMBEDDING_FORMATS, GRAPH_TARGETS, QUANT_BLOCK_SIZES, QUANT_SCHEMES, WEIGHT_DTYPES } from '../../common/model-formats.js';
import { builtinModelDir } from '../model/builtin.js';
import { exportWeights } from '../model/export-weights.js';
import { ConvertOptionError, ModelFolderError } from '../model/errors.js';
import { TerminalCanvas } from './canvas.js';
import { progressBar } from './progress.js';

const USAGE = `usage:
  npm run cli -- generate [flags] "prompt"
      --model DIR            model folder (default: the built-in model)
      --steps N --gen-length N --block-length N
      --temperature T --seed N --remasking low_confidence|random
      --threshold P          commit top-1 plus every token with confidence >= P
      --shift                use the previous position's logits (shift=True)
      --no-eos               do not stop at the end-of-sequence token
      --no-fuse              plain loop: a separate commit forward per block
      --provider auto|${PROVIDERS.join('|')}
      --prompt-ids 0,17,4    exact prompt ids, no chat template
      --raw                  tokenize the prompt as is, no chat template
      --system TEXT          system message for the chat template
      --json                 one JSON object per line: steps, then the result
  npm run cli -- convert <checkpoint-dir> <model-dir> [flags]
      --dtype ${WEIGHT_DTYPES.join('|')}   weights (default fp32); int8 = quality, int4 = speed/size on CPU
      --block-size ${QUANT_BLOCK_SIZES.join('|')}   int4/int8 quantization block along K (default 32)
      --quant ${QUANT_SCHEMES.join('|')}          int4/int8 scheme (default asym: the lower measured error)
      --embedding ${EMBEDDING_FORMATS.join('|')}   embedding table of int4/int8/fp16 folders (default fp16)
      --target ${GRAPH_TARGETS.join('|')}   provider family: dml/webgpu get MultiHeadAttention (dml: per-head bias)
      --default-gen-length N the model's default gen_length (= steps) in diffcoder.json
  npm run cli -- export-weights <model-dir> <out-dir>
      writes the checkpoint tensors back (model.safetensors), using diffcoder.json's mapping`;

class UsageError extends Error {}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name}: expected an integer, got "${v}"`);
  return Number(v);
}
function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got "${v}"`);
  return n;
}

async function generate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      steps: { type: 'string' },
      'gen-length': { type: 'string' },
      'block-length': { type: 'string' },
      temperature: { type: 'string' },
      seed: { type: 'string' },
      remasking: { type: 'string' },
      threshold: { type: 'string' },
      shift: { type: 'boolean' },
      'no-eos': { type: 'boolean' },
      'no-fuse': { type: 'boolean' },
      provider: { type: 'string' },
      'prompt-ids': { type: 'string' },
      raw: { type: 'boolean' },
      system: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const provider = values.provider ?? 'auto';
  if (!isProviderChoice(provider)) throw new UsageError(`--provider: expected auto or one of ${PROVIDERS.join(', ')}`);
  const text = positionals.join(' ');
  if (!values['prompt-ids'] && !text) throw new UsageError('give a prompt, or --prompt-ids');
  const promptIds = values['prompt-ids']?.split(',').map((s) => int('prompt-ids', s.trim())!);

  const modelDir = values.model ?? builtinModelDir();
  // Refuse before loading what this machine cannot hold: an OOM kill tells the user nothing.
  const check = await preflightModel(modelDir, { provider });
  if (check.severity === 'refuse') {
    process.stderr.write(`error: ${check.message}\n`);
    return 2;
  }
  if (check.severity === 'warn') process.stderr.write(`note: ${check.message}\n`);
  const engine = await Engine.load(modelDir, { provider });
  for (const f of engine.fallbacks) process.stderr.write(`note: ${f.provider} did not start (${f.error}); using ${engine.provider}\n`);
  const params: Partial<DecodeParams> = {
    steps: int('steps', values.steps),
    genLength: int('gen-length', values['gen-length']),
    blockLength: int('block-length', values['block-length']),
    temperature: num('temperature', values.temperature),
    seed: int('seed', values.seed),
    remasking: values.remasking as DecodeParams['remasking'] | undefined,
    threshold: num('threshold', values.threshold),
    shift: values.shift,
    eosId: values['no-eos'] ? null : undefined,
    fusedCommit: values['no-fuse'] ? false : undefined,
  };
  for (const k of Object.keys(params) as (keyof DecodeParams)[]) if (params[k] === undefined) delete params[k];
  const prompt = promptIds ? { ids: promptIds } : values.raw ? { text } : { messages: [...(values.system ? [{ role: 'system' as const, content: values.system }] : []), { role: 'user' as const, content: text }] };
  const ids = engine.promptIds(prompt);

  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    ac.abort();
  });

  const json = values.json === true;
  const canvas = !json && process.stdout.isTTY ? new TerminalCanvas(process.stdout, (id) => engine.codec.tokenLabel(id)) : null;
  for await (const ev of engine.generate({ prompt: { ids }, params, signal: ac.signal })) {
    if (ev.type === 'start') canvas?.start(ev, ids);
    else if (ev.type === 'step') {
      if (json) process.stdout.write(`${JSON.stringify(ev)}\n`);
      canvas?.step(ev);
    } else {
      const s = ev.stats;
      const summary = `${ev.stopReason} · ${s.tokens} tokens · ${s.forwards} forwards (${s.forwardsPerToken.toFixed(2)}/token) · ${s.tokensPerSecond.toFixed(1)} tok/s · ${s.msPerForward.toFixed(1)} ms/forward · ${s.provider}`;
      if (json) process.stdout.write(`${JSON.stringify({ type: 'done', tokenIds: ev.tokenIds, text: ev.text, stopReason: ev.stopReason, stats: s })}\n`);
      else if (canvas) {
        canvas.finish(ev.tokenIds, summary);
        process.stdout.write(`\n${ev.text}\n`);
      } else {
        process.stdout.write(`${ev.text}\n`);
        process.stderr.write(`${summary}\n`);
      }
    }
  }
  await engine.dispose();
  return 0;
}

/** One of `allowed`, or a usage error naming the flag. */
function choice<T extends string | number>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => String(a) === v);
  if (hit === undefined) throw new UsageError(`--${name}: expected ${allowed.join(', ')}, got "${v}"`);
  return hit;
}

function convert(argv: string[]): number {
  const flags = ['dtype', 'target', 'block-size', 'quant', 'embedding', 'default-gen-length'] as const;
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }])) });
  const v = values as Partial<Record<(typeof flags)[number], string>>;
  const defaultGen = int('default-gen-length', v['default-gen-length']);
  if (positionals.length !== 2) throw new UsageError('convert takes <checkpoint-dir> <model-dir>');
  const options: ConvertOptions = {
    dtype: choice('dtype', v.dtype, WEIGHT_DTYPES),
    target: choice('target', v.target, GRAPH_TARGETS),
    blockSize: choice('block-size', v['block-size'], QUANT_BLOCK_SIZES),
    quant: choice('quant', v.quant, QUANT_SCHEMES),
    embedding: choice('embedding', v.embedding, EMBEDDING_FORMATS),
    decoding: defaultGen ? { steps: defaultGen, genLength: defaultGen } : undefined,
  };
  const bar = progressBar('converting');
  const t0 = performance.now();
  const manifest = convertCheckpoint(positionals[0], positionals[1], { ...options, onProgress: (done, total, name) => bar(done, total, name) });
  const gb = (manifest.externalDataBytes / 1e9).toFixed(2);
  process.stderr.write(
    `wrote ${positionals[1]} (${manifest.dtype}, ${manifest.attention} attention, ${manifest.architecture.numLayers} layers, ${gb} GB of weights) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}

function exportWeightsCommand(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 2) throw new UsageError('export-weights takes <model-dir> <out-dir>');
  const r = exportWeights(positionals[0], positionals[1]);
  process.stderr.write(`wrote ${r.tensors} tensors to ${r.file}\n`);
  return 0;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'generate') return await generate(rest);
    if (command === 'convert') return convert(rest);
    if (command === 'export-weights') return exportWeightsCommand(rest);
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConvertOptionError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ModelFolderError || e instanceof DecodeParamError || e instanceof ContextLengthError) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main();
