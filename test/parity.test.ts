import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../main/engine/engine.js';
import type { ModelSession } from '../main/engine/model-session.js';
import type { DecodeParams } from '../main/engine/params.js';
import { builtinModelDir } from '../main/model/builtin.js';

/**
 * Reference parity: test/fixtures/parity.json is written by training/make_fixtures.py, a
 * PyTorch port of the reference decoding loop written independently of this engine, run on the
 * built-in model's weights. The engine must reproduce every case token for token (plain loop:
 * with the reference's forward count too; fused commit: the same tokens) and the logits of the
 * first denoising forward within 1e-4.
 */
interface Case {
  name: string;
  promptIds: number[];
  params: {
    steps: number;
    genLength: number;
    blockLength: number;
    temperature: number;
    remasking: 'low_confidence' | 'random';
    threshold: number | null;
    shift: boolean;
    eosId: number | null;
  };
  tokenIds: number[];
  forwards: number;
  firstStepLogits?: { rows: number[][] };
}

const fixtureFile = process.env.DIFFCODER_PARITY_FIXTURES ?? join('test', 'fixtures', 'parity.json');
const modelDir = process.env.DIFFCODER_PARITY_MODEL ?? builtinModelDir();
const fixtures: { model: string; cases: Case[] } | null = existsSync(fixtureFile)
  ? JSON.parse(readFileSync(fixtureFile, 'utf8'))
  : null;

let engine: Engine;
beforeAll(async () => {
  if (fixtures) engine = await Engine.load(modelDir, { provider: 'cpu' });
});
afterAll(() => engine?.dispose());

describe.skipIf(!fixtures)('parity with the PyTorch reference decoding', () => {
  const cases = fixtures?.cases ?? [];
  it('has at least 20 cases covering every prompt remainder mod 4, threshold and EOS', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map((c) => c.promptIds.length % 4)).size).toBe(4);
    expect(cases.some((c) => c.params.threshold !== null)).toBe(true);
    expect(cases.some((c) => c.params.eosId !== null && c.tokenIds.includes(c.params.eosId))).toBe(true);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const params = (fusedCommit: boolean): Partial<DecodeParams> => ({ ...c.params, seed: 0, fusedCommit });
    const plain = await engine.run({ prompt: { ids: c.promptIds }, params: params(false) });
    expect(plain.tokenIds).toEqual(c.tokenIds);
    expect(plain.stats.forwards).toBe(c.forwards);
    const fused = await engine.run({ prompt: { ids: c.promptIds }, params: params(true) });
    expect(fused.tokenIds).toEqual(c.tokenIds);
    expect(fused.stats.forwards).toBeLessThanOrEqual(c.forwards);

    if (c.firstStepLogits) {
      const B = c.params.blockLength;
      const prefill = Math.floor(c.promptIds.length / B) * B;
      const session = (engine as unknown as { model: ModelSession }).model;
      session.reset(c.promptIds.length + B);
      if (prefill > 0)
        await session.forward({
          ids: c.promptIds.slice(0, prefill),
          rows: 0,
          keep: prefill,
          want: 'none',
          blockLength: B,
        });
      const block = [
        ...c.promptIds.slice(prefill),
        ...Array(B - (c.promptIds.length - prefill)).fill(engine.folder.manifest.tokens.mask),
      ];
      const out = await session.forward({ ids: block, rows: B, keep: 0, want: 'logits', blockLength: B });
      const V = engine.folder.manifest.architecture.vocabSize;
      c.firstStepLogits.rows.forEach((row, r) => {
        let max = 0;
        for (let v = 0; v < V; v++) max = Math.max(max, Math.abs(out.logits![r * V + v] - row[v]));
        expect(max).toBeLessThan(1e-4);
      });
    }
  });
});
