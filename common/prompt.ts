/**
 * What a run decodes from, declared once: a chat (messages through the model's chat template) or
 * an infill (the text before and after the cursor, encoded as a fill-in-the-middle prompt with the
 * model's own FIM tokens). The same value travels unchanged from the renderer through main and the
 * engine host to the engine, which alone turns it into token ids (it knows the tokenizer, the FIM
 * order and the context length).
 */
import { z } from 'zod';

const text = (max: number) => z.string().max(max);

export const chatMessageSchema = z
  .object({ role: z.enum(['system', 'user', 'assistant']), content: text(1_000_000) })
  .strict();
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A location in a document, 1-based like Monaco; columns in UTF-16 code units. */
export const textPositionSchema = z.object({ line: z.number().int().min(1), column: z.number().int().min(1) }).strict();

/**
 * A chat: the messages through the model's chat template. With `continueFinal` the last message is an assistant's
 * unfinished answer (a stopped run's text) and the run continues it: the engine renders the messages before it with
 * the generation prompt, then that text as it is, unterminated, and generates what follows (its run's text is only
 * the new part). Like `continue_final_message` in Hugging Face's apply_chat_template.
 */
export const chatPromptSchema = z
  .object({
    kind: z.literal('chat'),
    messages: z.array(chatMessageSchema).min(1).max(10_000),
    continueFinal: z.boolean().optional(),
  })
  .strict()
  .refine((p) => !p.continueFinal || p.messages[p.messages.length - 1].role === 'assistant', {
    message: 'continueFinal needs an assistant message last (the answer to continue)',
    path: ['messages'],
  });

export const infillPromptSchema = z
  .object({
    kind: z.literal('infill'),
    /** Text before the cursor (or the selection). The engine trims its start to fit the context. */
    prefix: text(4_000_000),
    /** Text after the cursor (or the selection). The engine trims its end to fit the context. */
    suffix: text(4_000_000),
    /** Where the middle goes, for the record (the file, the range it replaces); not sent to the model. */
    file: z.string().max(4096).optional(),
    range: z.object({ start: textPositionSchema, end: textPositionSchema }).strict().optional(),
  })
  .strict();

export const promptSchema = z.discriminatedUnion('kind', [chatPromptSchema, infillPromptSchema]);
export type PromptSpec = z.infer<typeof promptSchema>;
export type ChatPrompt = z.infer<typeof chatPromptSchema>;
export type InfillPrompt = z.infer<typeof infillPromptSchema>;
