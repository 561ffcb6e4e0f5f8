import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';
import { buildReplay, canvasAt, parseTraceText } from '../common/trace.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
let model: string;

beforeAll(() => {
  model = join(mkdtempSync(join(tmpdir(), 'cli-')), 'model');
  const r = cli('convert', writeTinyCheckpoint(), model, '--dtype', 'fp32');
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/converting \[#+\] 100%/);
});

describe('CLI', () => {
  it('convert wrote a model folder', () => {
    expect(existsSync(join(model, 'diffcoder.json'))).toBe(true);
  });

  it('generate --json prints one object per step, then the result', () => {
    const r = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--prompt-ids',
      '0,17,4,9,9,30',
      '--gen-length',
      '12',
      '--steps',
      '12',
      '--json',
      '--no-eos',
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = lines.slice(0, -1);
    const done = lines.at(-1);
    expect(steps.every((s) => s.type === 'step')).toBe(true);
    // P = 6: blocks [4,8) (2 prompt tokens + 2 masks), [8,12), [12,16), [16,18); one token per step.
    expect(steps).toHaveLength(12);
    expect(done.type).toBe('done');
    expect(done.tokenIds).toHaveLength(12);
    expect(done.stats).toMatchObject({ forwards: 12, tokens: 12, provider: 'cpu' });
    expect(Object.keys(done.stats)).toEqual(
      expect.arrayContaining(['forwards', 'tokens', 'forwardsPerToken', 'tokensPerSecond', 'msPerForward', 'provider']),
    );
    expect(steps[0]).toMatchObject({ blockIndex: 0, step: 0, blockStart: 4, blockEnd: 8 });
  });

  it('--no-fuse reproduces the reference forward count', () => {
    const r = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--prompt-ids',
      '0,17,4,9',
      '--gen-length',
      '8',
      '--steps',
      '8',
      '--json',
      '--no-fuse',
      '--no-eos',
    );
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(done.stats.forwards).toBe(10);
    expect(done.stats.forwardsPerToken).toBe(1.25);
  });

  it('a chat prompt goes through the template; flags reach the sampler', () => {
    const r = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--gen-length',
      '8',
      '--steps',
      '8',
      '--threshold',
      '0.5',
      '--temperature',
      '0.7',
      '--seed',
      '3',
      '--remasking',
      'random',
      '--no-eos',
      '--json',
      'write a function',
    );
    expect(r.status, r.stderr).toBe(0);
    const again = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--gen-length',
      '8',
      '--steps',
      '8',
      '--threshold',
      '0.5',
      '--temperature',
      '0.7',
      '--seed',
      '3',
      '--remasking',
      'random',
      '--no-eos',
      '--json',
      'write a function',
    );
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).tokenIds).toEqual(
      JSON.parse(r.stdout.trim().split('\n').at(-1)!).tokenIds,
    );
  });

  it('bad flags and bad parameters give a clear error and exit code 2', () => {
    const a = cli('generate', '--model', model, '--steps', 'many', 'x');
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--steps: expected an integer/);
    const b = cli('generate', '--model', model, '--gen-length', '10', 'x');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/gen_length \(10\) must be a multiple of block_length \(4\)/);
    const c = cli('generate', '--model', join(model, 'nope'), 'x');
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/model folder not found/);
  });

  it("--trace writes a trace that replays to the run's tokens (generate and infill)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-trace-'));
    const file = join(dir, 'run.trace.json');
    const r = cli(
      'generate',
      '--model',
      model,
      '--provider',
      'cpu',
      '--gen-length',
      '16',
      '--steps',
      '16',
      '--threshold',
      '0.3',
      '--no-eos',
      '--json',
      '--trace',
      file,
      'sum a list',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`trace: ${file}`);
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const parsed = parseTraceText(readFileSync(file, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    const t = parsed.trace;
    expect(t.steps).toHaveLength(done.stats.forwards);
    expect(t.params).toMatchObject({ genLength: 16, steps: 16, threshold: 0.3, eosId: null });
    expect(Array.from(canvasAt(buildReplay(t), t.steps.length - 1))).toEqual(done.tokenIds);

    const src = join(dir, 'a.py');
    writeFileSync(src, 'def add(a, b):\n    \n    return c\n');
    const infillTrace = join(dir, 'infill.json');
    const i = cli(
      'infill',
      '--model',
      model,
      '--provider',
      'cpu',
      '--file',
      src,
      '--line',
      '2',
      '--column',
      '5',
      '--gen-length',
      '8',
      '--steps',
      '8',
      '--json',
      '--trace',
      infillTrace,
    );
    expect(i.status, i.stderr).toBe(0);
    const idone = JSON.parse(i.stdout.trim().split('\n').at(-1)!);
    const it2 = parseTraceText(readFileSync(infillTrace, 'utf8'));
    if (!it2.ok) throw new Error(it2.error);
    expect(it2.trace.promptIds).toEqual(idone.promptIds);
    expect(Array.from(canvasAt(buildReplay(it2.trace), it2.trace.steps.length - 1))).toEqual(idone.tokenIds);

    const bad = cli('generate', '--model', model, '--trace', join(dir, 'no', 'such', 'x.json'), 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--trace: no folder/);
  });
});
