#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { InfillUnavailableError } from '../engine/engine.js';
import { ContextLengthError, DecodeParamError } from '../engine/params.js';
import { PROVIDERS } from '../../common/providers.js';
import { convertCheckpoint, type ConvertOptions } from '../model/convert.js';
import {
  EMBEDDING_FORMATS,
  GRAPH_TARGETS,
  QUANT_BLOCK_SIZES,
  QUANT_SCHEMES,
  WEIGHT_DTYPES,
} from '../../common/model-formats.js';
import { exportWeights } from '../model/export-weights.js';
import { ConvertOptionError, ModelFolderError } from '../model/errors.js';
import { choice, DECODE_FLAGS, decodeParamsFromFlags, int, UsageError } from './args.js';
import { TerminalCanvas } from './canvas.js';
import { infill, INFILL_USAGE } from './infill.js';
import { interruptSignal, loadEngine, PreflightRefusal } from './load.js';
import { progressBar } from './progress.js';
import { traceFile, TRACE_USAGE } from './trace-file.js';

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
${TRACE_USAGE}
${INFILL_USAGE}
  npm run cli -- convert <checkpoint-dir> <model-dir> [flags]
      --dtype ${WEIGHT_DTYPES.join('|')}   weights (default fp32); int8 = quality, int4 = speed/size on CPU
      --block-size ${QUANT_BLOCK_SIZES.join('|')}   int4/int8 quantization block along K (default 32)
      --quant ${QUANT_SCHEMES.join('|')}          int4/int8 scheme (default asym: the lower measured error)
      --embedding ${EMBEDDING_FORMATS.join('|')}   embedding table of int4/int8/fp16 folders (default fp16)
      --target ${GRAPH_TARGETS.join('|')}   provider family: dml/webgpu get MultiHeadAttention (dml: per-head bias)
      --default-gen-length N the model's default gen_length (= steps) in diffcoder.json
      --force                replace a model folder an earlier convert wrote at <model-dir> (only the files
                             its diffcoder.json lists; a folder holding anything else is still refused)
  npm run cli -- export-weights <model-dir> <out-dir>
      writes the checkpoint tensors back (model.safetensors), using diffcoder.json's mapping`;

async function generate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...DECODE_FLAGS,
      'prompt-ids': { type: 'string' },
      raw: { type: 'boolean' },
      system: { type: 'string' },
      trace: { type: 'string' },
    },
  });
  const text = positionals.join(' ');
  if (!values['prompt-ids'] && !text) throw new UsageError('give a prompt, or --prompt-ids');
  const promptIds = values['prompt-ids']?.split(',').map((s) => int('prompt-ids', s.trim())!);
  const params = decodeParamsFromFlags(values);
  const trace = traceFile(values.trace);
  const engine = await loadEngine(values.model, values.provider);
  const prompt = promptIds
    ? { ids: promptIds }
    : values.raw
      ? { text }
      : {
          messages: [
            ...(values.system ? [{ role: 'system' as const, content: values.system }] : []),
            { role: 'user' as const, content: text },
          ],
        };
  const ids = engine.promptIds(prompt);
  const signal = interruptSignal();

  const json = values.json === true;
  const canvas =
    !json && process.stdout.isTTY ? new TerminalCanvas(process.stdout, (id) => engine.codec.tokenLabel(id)) : null;
  for await (const ev of engine.generate({ prompt: { ids }, params, signal })) {
    trace?.add(ev);
    if (ev.type === 'start') canvas?.start(ev, ids);
    else if (ev.type === 'step') {
      if (json) process.stdout.write(`${JSON.stringify(ev)}\n`);
      canvas?.step(ev);
    } else {
      const s = ev.stats;
      const summary = `${ev.stopReason} · ${s.tokens} tokens · ${s.forwards} forwards (${s.forwardsPerToken.toFixed(2)}/token) · ${s.tokensPerSecond.toFixed(1)} tok/s · ${s.msPerForward.toFixed(1)} ms/forward · ${s.provider}`;
      if (json)
        process.stdout.write(
          `${JSON.stringify({ type: 'done', tokenIds: ev.tokenIds, text: ev.text, stopReason: ev.stopReason, stats: s })}\n`,
        );
      else if (canvas) {
        canvas.finish(ev.tokenIds, summary);
        process.stdout.write(`\n${ev.text}\n`);
      } else {
        process.stdout.write(`${ev.text}\n`);
        process.stderr.write(`${summary}\n`);
      }
    }
  }
  const written = trace?.write();
  if (written) process.stderr.write(`trace: ${written}\n`);
  await engine.dispose();
  return 0;
}

function convert(argv: string[]): number {
  const flags = ['dtype', 'target', 'block-size', 'quant', 'embedding', 'default-gen-length'] as const;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }])),
      force: { type: 'boolean' as const },
    },
  });
  const v = values as Partial<Record<(typeof flags)[number], string>> & { force?: boolean };
  const defaultGen = int('default-gen-length', v['default-gen-length']);
  if (positionals.length !== 2) throw new UsageError('convert takes <checkpoint-dir> <model-dir>');
  const options: ConvertOptions = {
    dtype: choice('dtype', v.dtype, WEIGHT_DTYPES),
    target: choice('target', v.target, GRAPH_TARGETS),
    blockSize: choice('block-size', v['block-size'], QUANT_BLOCK_SIZES),
    quant: choice('quant', v.quant, QUANT_SCHEMES),
    embedding: choice('embedding', v.embedding, EMBEDDING_FORMATS),
    decoding: defaultGen ? { steps: defaultGen, genLength: defaultGen } : undefined,
    force: v.force === true,
  };
  const bar = progressBar('converting');
  const t0 = performance.now();
  const manifest = convertCheckpoint(positionals[0], positionals[1], {
    ...options,
    onProgress: (done, total, name) => bar(done, total, name),
  });
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
    if (command === 'infill') return await infill(rest);
    if (command === 'convert') return convert(rest);
    if (command === 'export-weights') return exportWeightsCommand(rest);
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof ConvertOptionError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (
      e instanceof ModelFolderError ||
      e instanceof DecodeParamError ||
      e instanceof ContextLengthError ||
      e instanceof PreflightRefusal ||
      e instanceof InfillUnavailableError
    ) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main();
