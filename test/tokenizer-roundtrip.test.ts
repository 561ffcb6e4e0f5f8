import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { builtinModelDir } from '../main/model/builtin.js';

/**
 * The built-in model's tokenizer (trained by training/train_tokenizer.py in Python) must load
 * with @huggingface/tokenizers and round-trip its validation files byte for byte.
 */
const dir = process.env.DIFFCODER_TOKENIZER_DIR ?? builtinModelDir();
const present = existsSync(join(dir, 'tokenizer.json'));
const validation = JSON.parse(readFileSync('training/validation-files.json', 'utf8')) as {
  root: string;
  files: string[];
};
const rootPresent = existsSync(validation.root);

describe.skipIf(!present)('built-in tokenizer', () => {
  const tok = () =>
    new Tokenizer(
      JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
      JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
    );
  const roundTrip = (t: Tokenizer, text: string) =>
    t.decode(t.encode(text, { add_special_tokens: false }).ids, {
      skip_special_tokens: false,
      clean_up_tokenization_spaces: false,
    });

  it('has the Stable-DiffCoder special tokens at their ids', () => {
    const t = tok();
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => t.id_to_token(i))).toEqual([
      '<[begin▁of▁sentence]>',
      '<[PAD▁TOKEN]>',
      '<[end▁of▁sentence]>',
      '<[fim-prefix]>',
      '<[fim-suffix]>',
      '<[MASK_TOKEN]>',
      '<[fim-middle]>',
    ]);
  });

  it('round-trips the held-out evaluation prompts and references', () => {
    const t = tok();
    const lines = readFileSync('training/eval_prompts.jsonl', 'utf8').trim().split('\n');
    for (const line of lines) {
      const p = JSON.parse(line) as { messages: { content: string }[]; reference: string };
      for (const text of [...p.messages.map((m) => m.content), p.reference]) expect(roundTrip(t, text)).toBe(text);
    }
  });

  it.skipIf(!rootPresent)(
    `round-trips every validation file byte for byte (${validation.files.length} files under ${validation.root})`,
    () => {
      const t = tok();
      for (const f of validation.files) {
        const text = readFileSync(join(validation.root, f), 'utf8');
        expect(roundTrip(t, text), f).toBe(text);
      }
    },
  );
});
if (!rootPresent)
  console.log(`tokenizer round-trip of validation files skipped: ${validation.root} is not on this machine`);
