/**
 * Code models often answer with bare code, no Markdown fence. Shown as prose it loses its
 * indentation and gets no "Open in editor" button, so an answer that reads as code is fenced.
 */
const CODE_START = /^(def |async def |class |import |from \S+ import |@\w|function |const |let |export |#!)/;

export function looksLikeBareCode(text: string): boolean {
  const t = text.trim();
  if (!t || t.includes('```')) return false;
  return CODE_START.test(t);
}

export function answerAsMarkdown(text: string): string {
  if (!looksLikeBareCode(text)) return text;
  const t = text.replace(/\s+$/, '');
  const lang = /^(function |const |let |export )/.test(t.trim()) ? 'javascript' : 'python';
  return `\`\`\`${lang}\n${t}\n\`\`\``;
}
