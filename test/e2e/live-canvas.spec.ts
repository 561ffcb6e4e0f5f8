/**
 * The live canvas (issue 9, item 2): during a long run every position of gen_length is a cell, masks only
 * ever decrease, the active block is outlined, the latest step is highlighted, tokens show their step
 * and confidence on hover, and the answer replaces the canvas at the end.
 */
import type { Page } from '@playwright/test';
import { FORWARD_DELAY_ENV } from '../../main/engine-host/protocol';
import { expect, startServe, test, userDataWith } from './serve-fixture';

const GEN = 512;
const BLOCK = 4;
const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();

interface Frame {
  cells: number;
  masks: number;
  block: number;
  fresh: number;
}

test('live canvas: every position drawn, masks only decrease, the active block outlined, then the answer', async ({
  page,
}) => {
  const userData = userDataWith({ steps: GEN, genLength: GEN, blockLength: BLOCK, stopAtEos: false });
  // 20 ms more per forward: the 512-step run lasts over 10 s, long enough to look at it mid-run.
  const served = await startServe(userData, { env: { [FORWARD_DELAY_ENV]: '20' } });
  try {
    await page.goto(served.url);
    await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
    // Every change of the canvas, as the page drew it.
    await page.evaluate(() => {
      const seen: Frame[] = [];
      (window as unknown as { __frames: Frame[] }).__frames = seen;
      new MutationObserver(() => {
        const grid = document.querySelector('[data-testid="canvas"]');
        if (!grid) return;
        // Positions not reached yet are one run of mask glyphs (the tail), counted in its data-count.
        const tail = Number(grid.querySelector<HTMLElement>('.cg-tail')?.dataset.count ?? 0);
        seen.push({
          cells: grid.querySelectorAll('.cg-cell').length + tail,
          masks: grid.querySelectorAll('.cg-mask').length + tail,
          block: grid.querySelectorAll('[data-testid="active-block"] > .cg-cell').length,
          fresh: grid.querySelectorAll('.cg-fresh').length,
        });
      }).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ['class'],
      });
    });
    await page.getByTestId('composer').fill('Write a Python function `parse_csv(path)` that reads a CSV file.');
    await page.getByTestId('composer').press('Enter');
    const msg = assistant(page);
    const canvas = msg.getByTestId('canvas');

    // Mid-run: all positions, the outlined block, a legend, tooltips, and the confidence colouring.
    await expect(canvas.locator('.cg-tok').first()).toBeVisible({ timeout: 30_000 });
    const positions = await canvas.evaluate(
      (el) => el.querySelectorAll('.cg-cell').length + Number(el.querySelector<HTMLElement>('.cg-tail')?.dataset.count),
    );
    expect(positions).toBe(GEN);
    await expect(canvas).toHaveAttribute('role', 'img');
    await expect(canvas).toHaveAttribute('aria-label', /positions committed/);
    await expect(msg.locator('.canvas-meta')).toContainText(/block ([4-9]\d|\d{3})\//, { timeout: 30_000 });
    const block = canvas.getByTestId('active-block');
    await expect(block).toBeVisible();
    expect(await block.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('dashed');
    await expect(msg.getByTestId('canvas-legend')).toContainText('latest step');
    await page.screenshot({ path: 'docs/screenshot-canvas.png' });
    const token = canvas.locator('.cg-tok').first();
    await token.hover();
    await expect(token).toHaveAttribute('title', /^position \d+ · step \d+ · confidence [\d.]+ · token \d+$/);
    await expect(token).toHaveAttribute('data-conf', /^\d\.\d{4}$/);
    await msg.getByTestId('canvas-mode-confidence').click();
    await expect(msg.getByTestId('canvas-legend')).toContainText('0.8–1.0');
    expect(
      await canvas
        .locator('.cg-tok')
        .first()
        .evaluate((el) => (el as HTMLElement).style.color),
    ).not.toBe('');
    await msg.getByTestId('canvas-mode-step').click();
    // With stop-at-EOS off the start event names no EOS id: EOS tokens are still chips, never literal text.
    expect(await canvas.locator('.cg-tok', { hasText: 'end▁of▁sentence' }).count()).toBe(0);

    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
    await expect(msg.getByTestId('canvas')).toHaveCount(0);
    await expect(msg.locator('.markdown')).toBeVisible();
    expect((await msg.locator('.markdown').innerText()).trim().length).toBeGreaterThan(0);
    // The list followed the content down (ChatPane's stick-to-bottom, without reading layout per frame).
    const list = page.locator('.message-list');
    await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(40);
    expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);

    const frames = await page.evaluate(() => (window as unknown as { __frames: Frame[] }).__frames);
    expect(frames.length).toBeGreaterThan(20);
    expect(frames.every((f) => f.cells === GEN)).toBe(true);
    for (let i = 1; i < frames.length; i++) expect(frames[i].masks).toBeLessThanOrEqual(frames[i - 1].masks);
    expect(frames[0].masks).toBeGreaterThan(GEN - 8 * BLOCK);
    // The active block is outlined while masks remain; at most one step's tokens are fresh (one per step here).
    expect(frames.filter((f) => f.masks > 0).every((f) => f.block > 0 && f.block <= BLOCK)).toBe(true);
    expect(frames.every((f) => f.fresh <= BLOCK)).toBe(true);
    expect(frames.some((f) => f.fresh > 0)).toBe(true);
  } finally {
    served.process.kill('SIGTERM');
  }
});
