/**
 * Shared by the accessibility e2e (a11y.spec.ts, keyboard.spec.ts): an axe-core scan against WCAG 2.1 A/AA, a
 * server whose runs last long enough to act mid-run, and what "focus is visible" means for the focused element.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { FORWARD_DELAY_ENV } from '../../main/engine-host/protocol';
import { expect, startServe, userDataWith, type Served } from './serve-fixture';

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface ScanResult {
  view: string;
  /** Every violation: rule id, impact, how many nodes, the first node's target. */
  violations: { id: string; impact: string; nodes: number; target: string; summary: string }[];
}

/** Runs axe on the page as it is now; the caller asserts (serious and critical: none). */
export async function scan(page: Page, view: string): Promise<ScanResult> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const violations = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? 'unknown',
    nodes: v.nodes.length,
    target: String(v.nodes[0]?.target ?? ''),
    summary: (v.nodes[0]?.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300),
  }));
  return { view, violations };
}

export function seriousOrCritical(r: ScanResult) {
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A server whose chat runs last long: 1024 tokens, no stop at EOS, every forward a few ms slower. */
export function startLongRunServe(options: { workspace?: string; delayMs?: number } = {}): Promise<Served> {
  return startServe(userDataWith({ steps: 1024, genLength: 1024, stopAtEos: false }), {
    workspace: options.workspace,
    env: { [FORWARD_DELAY_ENV]: String(options.delayMs ?? 20) },
  });
}

export async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
}

export const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();

/**
 * The focused element and whether its focus is drawn: a non-none outline of some width, or a box-shadow, on it
 * (Monaco draws its own focus: its hidden textarea counts when the editor shows the focused border).
 */
export async function focusState(page: Page): Promise<{ tag: string; label: string; visible: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'body', label: '', visible: false };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow !== 'none' && cs.boxShadow !== '';
    const monaco = !!el.closest('.monaco-editor.focused');
    const label =
      el.getAttribute('aria-label') || el.getAttribute('data-testid') || el.textContent?.trim().slice(0, 40) || '';
    return { tag: el.tagName.toLowerCase(), label, visible: outline || shadow || monaco };
  });
}

export async function expectFocusVisible(page: Page, what: string) {
  const f = await focusState(page);
  expect(f.visible, `${what}: focus on ${f.tag} "${f.label}" is not drawn`).toBe(true);
  return f;
}
