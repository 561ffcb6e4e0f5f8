import { beforeAll, describe, expect, it } from 'vitest';
import { TextCodec } from '../main/engine/tokenizer.js';
import { BOS, byteTokenizerJson, CHAT_TEMPLATE, EOS, SPECIAL_TOKENS } from './helpers/tiny-checkpoint.js';

let codec: TextCodec;
const config = (extra: Record<string, unknown> = {}) => ({
  bos_token: SPECIAL_TOKENS[0],
  eos_token: SPECIAL_TOKENS[2],
  add_bos_token: false,
  chat_template: CHAT_TEMPLATE,
  ...extra,
});
beforeAll(() => {
  codec = new TextCodec(byteTokenizerJson(), config());
});

describe('tokenizer and chat template from the checkpoint files', () => {
  it('renders the chat template with a default system turn and the generation prompt', () => {
    const text = codec.renderChat([{ role: 'user', content: '  write add  ' }]);
    expect(text).toBe(
      `${SPECIAL_TOKENS[0]}system\nYou are a test assistant.${SPECIAL_TOKENS[2]}${SPECIAL_TOKENS[0]}user\nwrite add${SPECIAL_TOKENS[2]}${SPECIAL_TOKENS[0]}assistant\n`,
    );
  });
  it('encodes special tokens in the template as single ids, with one bos per turn', () => {
    const ids = codec.encodeChat([
      { role: 'system', content: 's' },
      { role: 'user', content: 'u' },
    ]);
    expect(ids.filter((i) => i === BOS)).toHaveLength(3);
    expect(ids.filter((i) => i === EOS)).toHaveLength(2);
    expect(ids[0]).toBe(BOS);
  });
  it('respects add_bos_token for raw prompts', () => {
    expect(codec.encodeRaw('ab')[0]).not.toBe(BOS);
    const withBos = new TextCodec(byteTokenizerJson(), config({ add_bos_token: true }));
    expect(withBos.encodeRaw('ab')[0]).toBe(BOS);
  });
  it('round-trips text and never leaks special tokens into decoded text', () => {
    const text = 'def f(x):\n    return x + 1  # ünïcødé ✓\n';
    const ids = codec.encodeRaw(text);
    expect(codec.decode(ids)).toBe(text);
    expect(codec.decode([BOS, ...ids, 5, EOS, EOS])).toBe(text);
    expect(codec.tokenLabel(5)).toBe('<[MASK_TOKEN]>');
  });
});
