/**
 * The theme's contrast, computed from the CSS (WCAG 2.1 AA): text 4.5:1 or more on every background it is drawn on,
 * focus rings and the borders that identify text fields 3:1 (1.4.11). Also: no focus outline is removed, and
 * prefers-reduced-motion turns animations and transitions off.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contrastRatio, parseColour } from '../renderer/src/lib/canvas-grid';

const dir = join(__dirname, '..', 'renderer', 'src');
const styles = readFileSync(join(dir, 'styles.css'), 'utf8');
const componentCss = readdirSync(join(dir, 'components'))
  .filter((f) => f.endsWith('.css'))
  .map((f) => ({ name: f, text: readFileSync(join(dir, 'components', f), 'utf8') }));

/** The custom properties of :root, e.g. { '--bg': '#12151a' }. */
function rootVars(css: string): Record<string, string> {
  const root = /:root\s*{([^}]*)}/.exec(css)![1];
  return Object.fromEntries([...root.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
}

const vars = rootVars(styles);
/** A var name or a literal colour; a literal must be in the CSS (the test follows the stylesheet). */
function colour(c: string): string {
  if (c.startsWith('--')) return vars[c];
  const all = styles + componentCss.map((f) => f.text).join('\n');
  expect(all.toLowerCase(), `${c} is not in the CSS any more`).toContain(c.toLowerCase());
  return c.replace(/^#([0-9a-f])([0-9a-f])([0-9a-f])$/i, '#$1$1$2$2$3$3');
}
const ratio = (fg: string, bg: string) => contrastRatio(parseColour(colour(fg)).rgb, parseColour(colour(bg)).rgb);

const BACKGROUNDS = ['--bg', '--bg-2', '--bg-3', '--bg-4'];

describe('theme contrast', () => {
  it('text: 4.5:1 or more where it is drawn', () => {
    const pairs: [string, string][] = [
      ...['--text', '--text-dim', '--accent', '--danger', '--warn', '--ok'].flatMap((fg) =>
        BACKGROUNDS.map((bg): [string, string] => [fg, bg]),
      ),
      ['#fff', '--accent-2'], // primary buttons
      ['#fff', '#355f9c'], // primary buttons, hovered
      ['#fff', '#8a3a40'], // danger buttons
      ['--text-dim', '#0e1115'], // the status bar
      ['--text', '#0d1117'], // code blocks
      ['--warn', '#3a3222'], // the "stopped" marker
      ['#f1c6ca', '#3a1f24'], // errors
      ['#f0d7b4', '#3a2f1f'], // warnings
      ['--text', '#3a2f1e'], // the conflict bar
      ['#8fd19e', '#24302a'], // EOS chips
      ['#7d889b', '--bg'], // mask glyphs on the canvas
      ['#7d889b', '--bg-2'],
    ];
    for (const [fg, bg] of pairs) expect(ratio(fg, bg), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
  });

  it('focus rings, text-field borders and chart bars: 3:1 or more', () => {
    for (const bg of BACKGROUNDS) {
      expect(ratio('--focus', bg), `focus on ${bg}`).toBeGreaterThanOrEqual(3);
      expect(ratio('--control-border', bg), `field border on ${bg}`).toBeGreaterThanOrEqual(3);
    }
    expect(ratio('#6b7688', '--bg')).toBeGreaterThanOrEqual(3);
  });

  it('no focus outline is removed, and a :focus-visible ring is drawn everywhere', () => {
    for (const f of [{ name: 'styles.css', text: styles }, ...componentCss])
      expect(f.text, `${f.name} removes an outline`).not.toMatch(/outline:\s*(none|0)\b/);
    expect(styles).toMatch(/:focus-visible\s*{\s*outline:\s*2px solid var\(--focus\)/);
  });

  it('prefers-reduced-motion turns every animation and transition off', () => {
    const block = /@media \(prefers-reduced-motion: reduce\)\s*{([\s\S]*?)\n}/.exec(styles)?.[1] ?? '';
    expect(block).toMatch(/animation:\s*none !important/);
    expect(block).toMatch(/transition:\s*none !important/);
  });
});
