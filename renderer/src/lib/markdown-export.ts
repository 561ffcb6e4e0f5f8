/** A conversation as a Markdown document, and the file name to save it under. */
import type { Conversation } from '../../../common/models';
import { answerAsMarkdown } from './answer-format';
import { fence } from './conversations';

const ROLE: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System' };

export function conversationToMarkdown(c: Conversation): string {
  const lines: string[] = [
    `# ${c.title}`,
    '',
    `_Exported from DiffCoder Studio, ${new Date(c.updatedAt).toISOString()}_`,
    '',
  ];
  // The chat's own system prompt shaped every answer: the export keeps it (a blank one means the model's default).
  if (c.systemPrompt?.trim()) lines.push('## System prompt', '', c.systemPrompt.trim(), '');
  for (const m of c.messages) {
    lines.push(`## ${ROLE[m.role] ?? m.role}`, '');
    if (m.attachment) lines.push(fence(m.attachment.text, m.attachment.language), '');
    // An answer is exported as the screen shows it: bare code fenced with its language (answer-format.ts).
    if (m.content) lines.push(m.role === 'assistant' ? answerAsMarkdown(m.content) : m.content, '');
    if (m.status === 'stopped') lines.push('_(stopped)_', '');
    if (m.status === 'error') lines.push(`_(error: ${m.error ?? 'unknown'})_`, '');
  }
  return lines.join('\n').replace(/\n+$/, '\n');
}

export function exportFileName(c: Conversation): string {
  const base = c.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${base || 'conversation'}.md`;
}
