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

  /**
   * A chat whose last message is an assistant's unfinished answer, to be continued: the messages before it with the
   * generation prompt, then its text as it is (not trimmed, no end-of-turn), encoded as one string so the tokens
   * across the seam are the ones the text would have had.
   */
  renderContinuation(messages: ChatMessage[]): string {
    const last = messages[messages.length - 1];
    if (!last || last.role !== 'assistant') throw new Error('a continuation needs an assistant message last');
    return this.renderChat(messages.slice(0, -1), true) + last.content;
  }

  encodeContinuation(messages: ChatMessage[]): number[] {
    return this.tokenizer.encode(this.renderContinuation(messages), { add_special_tokens: false }).ids;
  }

  /**
   * The system prompt the chat template writes when a chat has none, read from the template itself (so it is
   * declared once, in tokenizer_config.json): a chat with one user message is rendered without and with a system
   * message of known text; where the two differ is that text in one and the default in the other. Null when the
   * template writes no default (or renders system messages some other way than in place).
   */
  get defaultSystemPrompt(): string | null {
    if (this.defaultSystem === undefined) this.defaultSystem = this.findDefaultSystemPrompt();
    return this.defaultSystem;
  }

  private defaultSystem: string | null | undefined;

  private findDefaultSystemPrompt(): string | null {
    if (!this.template) return null;
    const user: ChatMessage = { role: 'user', content: 'u' };
    const marker = 'SYSTEM-PROMPT-MARKER';
    let without: string;
    let withSystem: string;
    try {
      without = this.renderChat([user], false);
      withSystem = this.renderChat([{ role: 'system', content: marker }, user], false);
    } catch {
      return null;
    }
    let start = 0;
    while (start < without.length && start < withSystem.length && without[start] === withSystem[start]) start++;
    let end = 0;
    while (
      end < without.length - start &&
      end < withSystem.length - start &&
      without[without.length - 1 - end] === withSystem[withSystem.length - 1 - end]
    )
      end++;
    // The marker's own edges may match the default's: widen to the marker in the system render.
    const at = withSystem.indexOf(marker);
    if (at < 0 || at > start || at + marker.length < withSystem.length - end) return null;
    start = at;
    end = withSystem.length - (at + marker.length);
    const found = without.slice(start, without.length - end);
    return found.trim() ? found : null;
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
