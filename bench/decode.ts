/**
 * Decoding benchmark: forwards/token, ms/forward and tokens/s for
 *   (a) the model-card settings (steps = gen_length, block 4, no threshold), reference loop vs fused commit;
 *   (b) threshold 0.9 (fused).
 * Ratios are against the reference loop measured in the same run, on the same machine.
 *
 *   npm run bench -- [--model DIR] [--gen-length 128] [--repeats 3] [--provider cpu]
 *
 * Other benchmarks behind the same command:
 *   npm run bench -- --synthetic-8b --layers 2 [--dtypes fp32,fp16,int8,int4] [--keep] [--json]   (bench/synthetic-8b.ts)
 *   npm run bench -- --quality [--json]                                                       (bench/quality.ts)
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Engine } from '../main/engine/engine.js';
import type { DecodeParams } from '../main/engine/params.js';
import type { ProviderName } from '../main/engine/providers.js';
import { builtinModelDir } from '../main/model/builtin.js';
import { buildTinyModel } from '../test/helpers/tiny-model.js';

const argv = process.argv.slice(2);
if (argv.includes('--synthetic-8b')) {
  await (await import('./synthetic-8b.js')).main(argv);
} else if (argv.includes('--quality')) {
  await (await import('./quality.js')).main(argv);
} else {
  await decodeBench();
}

async function decodeBench(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      'gen-length': { type: 'string' },
      repeats: { type: 'string' },
      provider: { type: 'string' },
    },
  });
  const dir =
    values.model ??
    (existsSync(builtinModelDir())
      ? builtinModelDir()
      : buildTinyModel({ config: { max_position_embeddings: 2048 } }).model);
  const genLength = Number(values['gen-length'] ?? 128);
  const repeats = Number(values.repeats ?? 3);
  const engine = await Engine.load(dir, { provider: (values.provider ?? 'auto') as ProviderName | 'auto' });

  const prompts = [
    'Write a Python function `is_palindrome(s)` that returns True if s reads the same backwards.',
    'Write a Python function `flatten(items)` that flattens a nested list.',
    'Write a Python function `word_count(text)` that counts words in a string.',
  ];

  interface Row {
    name: string;
    forwardsPerToken: number;
    msPerForward: number;
    tokensPerSecond: number;
    tokens: number;
  }

  async function measure(name: string, params: Partial<DecodeParams>): Promise<Row> {
    let forwards = 0;
    let tokens = 0;
    let ms = 0;
    let forwardMs = 0;
    for (let r = 0; r < repeats; r++) {
      for (const content of prompts) {
        const res = await engine.run({
          prompt: { messages: [{ role: 'user', content }] },
          params: { steps: genLength, genLength, blockLength: 4, threshold: null, eosId: null, ...params },
        });
        forwards += res.stats.forwards;
        tokens += res.stats.tokens;
        ms += res.stats.totalMs;
        forwardMs += res.stats.msPerForward * res.stats.forwards;
      }
    }
    return {
      name,
      forwardsPerToken: forwards / tokens,
      msPerForward: forwardMs / forwards,
      tokensPerSecond: (tokens * 1000) / ms,
      tokens,
    };
  }

  // Warm up the session (first runs pay for allocation and kernel selection).
  await measure('warm-up', { fusedCommit: true });
  const rows = [
    await measure('(a) model card, reference loop', { fusedCommit: false }),
    await measure('(a) model card, fused commit', { fusedCommit: true }),
    await measure('(b) threshold 0.9, fused', { fusedCommit: true, threshold: 0.9 }),
  ];
  const base = rows[0];
  console.log(
    `model ${dir} · provider ${engine.provider} · gen_length ${genLength} · ${prompts.length} prompts x ${repeats}`,
  );
  console.log('setting                           fwd/token  ms/fwd  tok/s   speed-up (tok/s vs reference loop)');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(34)}${r.forwardsPerToken.toFixed(3).padStart(9)}${r.msPerForward.toFixed(2).padStart(8)}${r.tokensPerSecond.toFixed(1).padStart(8)}   ${(r.tokensPerSecond / base.tokensPerSecond).toFixed(2)}x`,
    );
  }
  await engine.dispose();
}
