import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offsetAt, PositionError, splitAround } from '../common/text-position.js';
import { Engine, InfillUnavailableError } from '../main/engine/engine.js';
import { buildInfillIds, middleIds } from '../main/engine/fim.js';
import { builtinModelDir } from '../main/model/builtin.js';
import type { FimSpec } from '../main/model/fim.js';
import { findFimTokens } from '../main/model/fim.js';

const PSM: FimSpec = { prefix: 3, suffix: 4, middle: 6, order: 'psm', bos: false };

describe('text positions (1-based, UTF-16 columns, line breaks in no column)', () => {
  const text = 'ab\r\ncd\n\u{1F600}x\n';
  it('maps lines and columns to offsets across LF and CRLF', () => {
    expect(offsetAt(text, { line: 1, column: 1 })).toBe(0);
    expect(offsetAt(text, { line: 1, column: 3 })).toBe(2); // end of "ab", before \r\n
    expect(offsetAt(text, { line: 2, column: 1 })).toBe(4);
    // The emoji is two UTF-16 code units: column 3 is after it.
    expect(offsetAt(text, { line: 3, column: 3 })).toBe(9);
    expect(offsetAt(text, { line: 4, column: 1 })).toBe(text.length);
  });

  it('refuses positions outside the file, naming them', () => {
    expect(() => offsetAt(text, { line: 1, column: 4 })).toThrow(/1:4 is outside line 1, which has 2 column/);
    expect(() => offsetAt(text, { line: 5, column: 1 })).toThrow(/outside the file: it has 4 line/);
    expect(() => offsetAt(text, { line: 0, column: 1 })).toThrow(PositionError);
    expect(() => splitAround(text, { line: 2, column: 2 }, { line: 1, column: 1 })).toThrow(/before start/);
  });

  it('splits around a caret and a selection', () => {
    expect(splitAround('abc\ndef', { line: 2, column: 2 })).toEqual({ prefix: 'abc\nd', suffix: 'ef', selected: '' });
    expect(splitAround('abc\ndef', { line: 1, column: 2 }, { line: 2, column: 2 })).toEqual({
      prefix: 'a',
      suffix: 'ef',
      selected: 'bc\nd',
    });
  });
});

describe('FIM prompts', () => {
  it('PSM and SPM orders with the model’s own tokens; bos only when the model wants it', () => {
    expect(buildInfillIds([10, 11], [20], PSM, 0, 100).ids).toEqual([3, 10, 11, 4, 20, 6]);
    expect(buildInfillIds([10, 11], [20], { ...PSM, order: 'spm', bos: true }, 0, 100).ids).toEqual([
      0, 4, 20, 3, 10, 11, 6,
    ]);
    expect(buildInfillIds([10], [20], { ...PSM, bos: true }, null, 100).ids).toEqual([3, 10, 4, 20, 6]);
  });

  it('trims far from the cursor: the prefix loses its start, the suffix its end', () => {
    const prefix = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const suffix = Array.from({ length: 100 }, (_, i) => 2000 + i);
    const r = buildInfillIds(prefix, suffix, PSM, null, 43); // 40 tokens of room after the 3 FIM tokens
    expect(r.ids).toHaveLength(43);
    expect(r.trimmed).toEqual({ prefix: 70, suffix: 90 });
    expect(r.ids.slice(1, 31)).toEqual(prefix.slice(70)); // the 30 tokens nearest the cursor
    expect(r.ids.slice(32, 42)).toEqual(suffix.slice(0, 10));
    // A short suffix gives its unused share to the prefix, and the other way round.
    expect(buildInfillIds(prefix, [7], PSM, null, 43).trimmed).toEqual({ prefix: 61, suffix: 0 });
    expect(buildInfillIds([7], suffix, PSM, null, 43).trimmed).toEqual({ prefix: 0, suffix: 61 });
  });

  it('the middle ends at the first EOS, masks dropped', () => {
    expect(middleIds([9, 5, 8, 2, 7, 2], 2, 5)).toEqual([9, 8]);
    expect(middleIds([9, 5], null, 5)).toEqual([9]);
  });

  it('finds FIM tokens in a tokenizer, or reports none', () => {
    expect(
      findFimTokens({
        added_tokens: [
          { id: 7, content: '<|fim_prefix|>' },
          { id: 8, content: '<|fim_suffix|>' },
          { id: 9, content: '<|fim_middle|>' },
        ],
      }),
    ).toEqual({ prefix: 7, suffix: 8, middle: 9 });
    expect(findFimTokens({ added_tokens: [{ id: 7, content: '<|fim_prefix|>' }] })).toBeNull();
  });
});

describe('infill on the built-in model', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.load(builtinModelDir(), { provider: 'cpu' });
  });
  afterAll(() => engine.dispose());

  it('builds the PSM prompt the model was trained on and decodes a middle that stops at EOS', async () => {
    const prefix = 'def add(a, b):\n    ';
    const suffix = '\n\nprint(add(1, 2))\n';
    const ids = engine.promptIds({ kind: 'infill', prefix, suffix }, 32);
    expect(ids[0]).toBe(3);
    expect(ids.at(-1)).toBe(6);
    expect(ids.indexOf(4)).toBeGreaterThan(1);
    const r = await engine.run({ prompt: { kind: 'infill', prefix, suffix }, params: { genLength: 32, steps: 32 } });
    expect(r.text).toBe(engine.codec.decode(middleIds(r.tokenIds, 2, 5)));
    expect(r.text).not.toContain('<[');
  });

  it('a model without FIM tokens says infill is not available', async () => {
    const fim = engine.folder.manifest.fim;
    engine.folder.manifest.fim = null;
    try {
      expect(() => engine.promptIds({ kind: 'infill', prefix: 'a', suffix: 'b' })).toThrow(InfillUnavailableError);
    } finally {
      engine.folder.manifest.fim = fim;
    }
  });
});

describe('CLI infill', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'infill', '--provider', 'cpu', ...args], {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
  const file = (content: string | Buffer) => {
    const p = join(mkdtempSync(join(tmpdir(), 'infill-')), 'code.py');
    writeFileSync(p, content);
    return p;
  };

  it('--json prints steps and a done line; without --write the file is untouched', () => {
    const original = Buffer.from('\uFEFFdef add(a, b):\r\n    \r\nprint(add(1, 2))\r\n', 'utf8');
    const p = file(original);
    const r = cli('--file', p, '--line', '2', '--column', '5', '--gen-length', '16', '--steps', '16', '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const done = lines.at(-1);
    expect(lines.slice(0, -1).every((l) => l.type === 'step')).toBe(true);
    expect(done).toMatchObject({
      type: 'done',
      range: { start: { line: 2, column: 5 }, end: { line: 2, column: 5 } },
      written: false,
    });
    expect(typeof done.middle).toBe('string');
    expect(done.promptIds[0]).toBe(3);
    expect(['eos', 'length']).toContain(done.stopReason);
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  it('--write saves prefix + middle + suffix byte for byte (BOM, CRLF and mode kept); a selection is replaced', () => {
    const original = '\uFEFFx = 1\r\ny = 2\r\nz = 3\r\n';
    const p = file(Buffer.from(original, 'utf8'));
    chmodSync(p, 0o751);
    const r = cli(
      '--file',
      p,
      '--line',
      '2',
      '--column',
      '1',
      '--end-line',
      '2',
      '--end-column',
      '6',
      '--gen-length',
      '8',
      '--steps',
      '8',
      '--json',
      '--write',
    );
    expect(r.status, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(done.written).toBe(true);
    expect(readFileSync(p).equals(Buffer.from(`\uFEFFx = 1\r\n${done.middle}\r\nz = 3\r\n`, 'utf8'))).toBe(true);
    expect(statSync(p).mode & 0o777).toBe(0o751);
  });

  it('positions outside the file and bad files exit 2 with a message that names them', () => {
    const p = file('one\ntwo\n');
    let r = cli('--file', p, '--line', '9', '--column', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--line\/--column 9:1 is outside the file: it has 3 line/);
    r = cli('--file', p, '--line', '1', '--column', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/1:5 is outside line 1/);
    r = cli('--file', file(Buffer.from([0x7f, 0x45, 0x00, 0x01])), '--line', '1', '--column', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/binary file/);
    r = cli('--file', join(tmpdir(), 'nope-does-not-exist.py'), '--line', '1', '--column', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read/);
    r = cli('--line', '1', '--column', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--file/);
  });
});
