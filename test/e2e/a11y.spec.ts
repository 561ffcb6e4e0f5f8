/**
 * Accessibility (issue 11): axe-core (WCAG 2.0/2.1 A and AA rules) on each main view of the app, with no serious
 * or critical violation: first start, a chat streaming a long run, the run stopped, the settings dialog, a finished
 * answer and its decoding, the comparison dialogs, the editor with a file open and its dialogs, and the app at 200%
 * zoom (640 CSS px wide), where it must reflow without horizontal scrolling. Also prefers-reduced-motion: nothing
 * animates. The results (moderate and minor included) are written to test-output/a11y.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from '@playwright/test';
import {
  assistant,
  expectFocusVisible,
  ready,
  scan,
  seriousOrCritical,
  startLongRunServe,
  type ScanResult,
} from './a11y-helpers';
import { expect, startServe, test, userDataWith } from './serve-fixture';

const results: ScanResult[] = [];
test.afterAll(() => {
  mkdirSync('test-output', { recursive: true });
  writeFileSync(join('test-output', 'a11y.json'), JSON.stringify(results, null, 1));
});

async function check(page: Page, view: string) {
  const r = await scan(page, view);
  results.push(r);
  const list = r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes}: ${v.target})`).join('; ');
  console.log(`[axe] ${view}: ${list || 'no violations'}`);
  const bad = seriousOrCritical(r);
  expect.soft(bad, `${view}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
}

/** The animations and transitions in effect on the elements matching `selector` (reduced motion: none). */
async function motion(page: Page, selector: string) {
  return page.locator(selector).evaluateAll((els) =>
    els.map((el) => {
      const cs = getComputedStyle(el);
      const seconds = (v: string) => Math.max(...v.split(',').map((s) => parseFloat(s) || 0));
      return {
        animation: cs.animationName !== 'none' && seconds(cs.animationDuration) > 0.01,
        transition: seconds(cs.transitionDuration) > 0.01,
      };
    }),
  );
}

test('chat views: first start, chat settings, streaming, stopped, settings, done, decoding, comparison', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const served = await startLongRunServe();
  try {
    await ready(page, served.url);
    await check(page, 'first start');

    // The chat's own settings (a dialog of its own): Escape closes it, the focus back on its button.
    const chatSettings = page.getByTestId('chat-settings');
    await chatSettings.click();
    await expect(page.getByTestId('chat-settings-dialog')).toBeVisible();
    await check(page, 'chat settings dialog');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('chat-settings-dialog')).toHaveCount(0);
    await expect(chatSettings).toBeFocused();

    await page.getByTestId('composer').fill('Write a Python function `count(xs)` that does this: Count the items.');
    await page.getByTestId('composer').press('Enter');
    const msg = assistant(page);
    await expect(msg.locator('.canvas-meta')).toContainText(/block ([3-9]|\d\d+)\//, { timeout: 30_000 });
    await check(page, 'chat streaming');
    await expect(page.getByTestId('live-region')).toContainText('Generating an answer');

    // prefers-reduced-motion: the running dot and the spinner stand still, nothing transitions.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    for (const m of await motion(page, '.dot-running, .spinner, .cg-cell, .conversation-item, button'))
      expect(m).toEqual({ animation: false, transition: false });
    await page.emulateMedia({ reducedMotion: 'no-preference' });

    await page.keyboard.press('Escape');
    await expect(msg).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
    await expect(page.getByTestId('live-region')).toContainText(/Answer stopped/);
    await check(page, 'chat stopped');

    await page.keyboard.press('Control+,');
    const dialog = page.getByTestId('settings-dialog');
    await expect(dialog).toBeVisible();
    await check(page, 'settings dialog');
    // Short runs from here on.
    await page.getByTestId('field-genLength').fill('32');
    await page.getByTestId('field-steps').fill('32');
    await page.getByTestId('apply-settings').click();
    await expect(dialog).toHaveCount(0);

    await page.getByTestId('composer').fill('Write a Python function `double(x)` that does this: Double x.');
    await page.getByTestId('composer').press('Enter');
    await expect(assistant(page)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('live-region')).toContainText(/Answer finished: \d+ tokens?\./);
    await check(page, 'chat done');

    // The replay opens still, at its end, when the user prefers reduced motion (else it plays from the masks).
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await assistant(page).getByTestId('show-decoding').click();
    // The pointer off the canvas: hovering a token changes the details below it (and the list follows its bottom).
    await page.mouse.move(0, 0);
    const viewer = assistant(page).getByTestId('trace-viewer');
    await expect(viewer).toBeVisible();
    await expect(viewer.getByTestId('replay-play')).toHaveAttribute('aria-label', 'Play');
    const slider = viewer.getByTestId('replay-slider');
    await expect(slider).toHaveValue((await slider.getAttribute('max'))!);
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await check(page, 'decoding view');

    await assistant(page).getByTestId('compare-settings').click({ timeout: 20_000 });
    await expect(page.getByTestId('compare-dialog')).toBeVisible();
    await check(page, 'compare dialog');
    await page.getByTestId('compare-run').click();
    const sbs = page.getByTestId('side-by-side-dialog');
    await expect(sbs.getByTestId('side-by-side')).toBeVisible({ timeout: 60_000 });
    await check(page, 'side-by-side dialog');
    // Stop went away when the run ended: the focus stayed in the dialog, so Escape closes it.
    await expect(sbs.locator(':focus')).toHaveCount(1);
    await page.keyboard.press('Escape');
    await expect(sbs).toHaveCount(0);
    // The comparison dialog that opened it is gone too: the focus is back on "Compare settings…".
    await expect(assistant(page).getByTestId('compare-settings')).toBeFocused();
  } finally {
    served.process.kill('SIGTERM');
  }
});

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-a11y-ws-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'hello.py'), 'def hello():\n    return 1\n');
  writeFileSync(join(dir, 'notes.txt'), 'line one\n');
  return dir;
}

test('editor views: a file open, the unsaved-changes question, the folder form', async ({ page }) => {
  const workspace = makeWorkspace();
  const served = await startServe(undefined, { workspace });
  try {
    await ready(page, served.url);
    await expect(page.getByTestId('workspace-name')).toHaveText(basename(workspace));
    await page.locator('[role="treeitem"][data-path="notes.txt"]').click();
    await expect(page.getByTestId('editor')).toContainText('line one');
    await check(page, 'editor with a file');

    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.type('x');
    await page.getByRole('tab', { name: /notes\.txt/ }).focus();
    await page.keyboard.press('Delete');
    await expect(page.getByTestId('close-dialog')).toBeVisible();
    await check(page, 'unsaved-changes dialog');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('close-dialog')).toHaveCount(0);

    await page.getByTestId('open-folder').click();
    await expect(page.getByTestId('folder-path')).toBeFocused();
    await check(page, 'open-folder form');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('open-folder')).toBeFocused();
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('every Tab stop shows a focus ring: the whole app, forwards, with a chat answer and a file open', async ({
  page,
}) => {
  const workspace = makeWorkspace();
  const served = await startServe(userDataWith({ steps: 16, genLength: 16 }), { workspace });
  try {
    await ready(page, served.url);
    await page.keyboard.type('Write a Python function `one()` that does this: Return 1.');
    await page.keyboard.press('Enter');
    await expect(assistant(page)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await page.locator('[role="treeitem"][data-path="notes.txt"]').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('editor')).toContainText('line one');
    await page.getByTestId('new-chat').focus();
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) {
      const f = await expectFocusVisible(page, `Tab stop ${i}`);
      seen.push(`${f.tag}:${f.label}`);
      // Monaco keeps Tab for indenting (Ctrl+M makes Tab move the focus, as its own help says): the walk ends there.
      if (await page.evaluate(() => !!document.activeElement?.closest('.monaco-editor'))) break;
      await page.keyboard.press('Tab');
    }
    // The chats, their actions, the answer's controls, the composer, the divider, the tree, the tabs, the editor.
    expect(seen.length).toBeGreaterThan(20);
    expect(seen).toContain('div:Resize the chat and the editor');
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('200% zoom: 640 CSS px wide, the app reflows without horizontal scrolling, every main control reachable', async ({
  browser,
}) => {
  const workspace = makeWorkspace();
  const served = await startServe(undefined, { workspace });
  // 1280 x 860 at 200%: 640 x 430 CSS pixels.
  const context = await browser.newContext({ viewport: { width: 640, height: 430 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  try {
    await ready(page, served.url);
    const overflow = await page.evaluate(() => {
      const root = document.scrollingElement!;
      return { scroll: root.scrollWidth, client: root.clientWidth, body: document.body.scrollWidth };
    });
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    expect(overflow.body).toBeLessThanOrEqual(640);
    for (const id of ['new-chat', 'search', 'composer', 'send', 'open-settings', 'open-trace', 'open-folder']) {
      const el = page.getByTestId(id);
      await el.scrollIntoViewIfNeeded();
      await expect(el, id).toBeInViewport();
      const box = (await el.boundingBox())!;
      expect(box.x, id).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, id).toBeLessThanOrEqual(640.5);
    }
    await check(page, '200% zoom');
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-dialog')).toBeVisible();
    const dialogBox = (await page.getByTestId('settings-dialog').boundingBox())!;
    expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(640.5);
    await page.getByTestId('apply-settings').scrollIntoViewIfNeeded();
    await expect(page.getByTestId('apply-settings')).toBeInViewport();
    await check(page, '200% zoom, settings');
    await page.keyboard.press('Escape');

    // 400% (320 CSS px, WCAG 1.4.10's width): still no sideways scrolling.
    await page.setViewportSize({ width: 320, height: 430 });
    const narrow = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(narrow).toBeLessThanOrEqual(320);
  } finally {
    await context.close();
    served.process.kill('SIGTERM');
  }
});
