/** Finished assistant text: Markdown (no raw HTML), highlighted code, "Open in editor" per code block. */
import { memo, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import { InsertSuggestionButton } from './InfillInsert';
import { appService } from '../services';
import { useEditorStore } from '../stores/editor';
import { useUiStore } from '../stores/ui';

interface HastNode {
  type: string;
  value?: string;
  tagName?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

function hastText(n: HastNode | undefined): string {
  if (!n) return '';
  if (n.type === 'text') return n.value ?? '';
  return (n.children ?? []).map(hastText).join('');
}

function codeLanguage(code: HastNode | undefined): string {
  const cls = code?.properties?.className;
  const list = Array.isArray(cls) ? cls.map(String) : typeof cls === 'string' ? cls.split(/\s+/) : [];
  const lang = list.find((c) => c.startsWith('language-'));
  return lang ? lang.slice('language-'.length) : 'plaintext';
}

function CodeBlock({ node, children }: { node?: HastNode; children?: ReactNode }) {
  const code = node?.children?.find((c) => c.type === 'element' && c.tagName === 'code');
  const text = hastText(code).replace(/\n$/, '');
  const language = codeLanguage(code);
  const open = useEditorStore((s) => s.open);
  const notify = useUiStore((s) => s.notify);
  return (
    <div className="code-block">
      <div className="code-toolbar">
        <span className="code-lang">{language}</span>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(
              () => notify('info', 'Code copied'),
              () => notify('error', 'Copy failed'),
            );
          }}
        >
          Copy
        </button>
        <button
          type="button"
          className="link-button open-in-editor"
          onClick={() => open({ title: '', language, text })}
        >
          Open in editor
        </button>
        <InsertSuggestionButton text={text} />
      </div>
      {/* Focusable: a long line scrolls sideways, with the arrow keys too. */}
      <pre tabIndex={0} role="region" aria-label={`${language} code`}>
        {children}
      </pre>
    </div>
  );
}

const components: Components = {
  pre: ({ node, children }) => <CodeBlock node={node as unknown as HastNode}>{children}</CodeBlock>,
  a: ({ href, children }) => (
    <a
      href={href}
      onClick={(e) => {
        e.preventDefault();
        if (href && /^https?:\/\//i.test(href)) void appService.openLink(href).catch(() => {});
      }}
      title={href}
    >
      {children}
    </a>
  ),
  img: ({ alt }) => <span className="md-image">[image: {alt}]</span>,
};

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown rehypePlugins={[[rehypeHighlight, { detect: false }]]} components={components} skipHtml>
        {text}
      </ReactMarkdown>
    </div>
  );
});
