import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFolderError } from '../model/errors.js';

import type { ChatMessage } from '../../common/prompt.js';

export type { ChatMessage };

const tokenText = (t: unknown): string | undefined =>
  typeof t === 'string'
    ? t
    : typeof t === 'object' && t !== null && 'content' in t
      ? String((t as { content: unknown }).content)
      : undefined;

/**
 * The checkpoint's own tokenizer and chat template. Chat prompts come from the template alone
 * (it writes its own bos); a raw prompt gets a bos only when `add_bos_token` says so.
 */
export class TextCodec {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template | null;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly addBos: boolean;

  constructor(
    tokenizerJson: object,
    private readonly tokenizerConfig: Record<string, unknown>,
  ) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new ModelFolderError('tokenizer.json', `cannot be loaded (${(e as Error).message})`);
    }
    const source = tokenizerConfig.chat_template;
    try {
      this.template = typeof source === 'string' ? new Template(source) : null;
    } catch (e) {
      throw new ModelFolderError('tokenizer_config.json', `chat_template does not parse (${(e as Error).message})`);
    }
    this.bosToken = tokenText(tokenizerConfig.bos_token);
    this.eosToken = tokenText(tokenizerConfig.eos_token);
    this.addBos = tokenizerConfig.add_bos_token === true;
  }

  renderChat(messages: ChatMessage[], addGenerationPrompt = true): string {
    if (!this.template) throw new ModelFolderError('tokenizer_config.json', 'no chat_template: use a raw prompt');
    return this.template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
    });
  }

  encodeChat(messages: ChatMessage[]): number[] {
    return this.tokenizer.encode(this.renderChat(messages), { add_special_tokens: false }).ids;
  }

  /** Text as tokens, no bos or other special tokens added (infill prefix and suffix). */
  encodeText(text: string): number[] {
    return text ? this.tokenizer.encode(text, { add_special_tokens: false }).ids : [];
  }

  encodeRaw(text: string): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const bos = this.bosToken !== undefined ? this.tokenizer.token_to_id(this.bosToken) : undefined;
    return this.addBos && bos !== undefined ? [bos, ...ids] : ids;
  }

  decode(ids: number[]): string {
    return ids.length
      ? this.tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false })
      : '';
  }

  /** One token's text, special tokens included (for drawing the canvas). */
  tokenLabel(id: number): string {
    return this.tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
