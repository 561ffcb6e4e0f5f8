/**
 * The decoding replay in Chromium against `serve` (real engine, built-in model): a chat answer's decoding
 * replays to exactly its tokens, the slider's step k shows exactly the commits of steps <= k, an exported
 * trace imports and replays the same, a side-by-side comparison runs and shows both decodings, and a bad
 * trace file is refused with its reason. Writes docs/screenshot-canvas.png, -replay.png, -side-by-side.png.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { Trace } from '../../common/trace';
import { expect, startServe, test, userDataWith, type Served } from './serve-fixture';

const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();

/**
 * What each cell shows, read from the DOM: 'mask', 'EOS' or 'tok:<text>', in position order. The grid draws the
 * masked positions past the last cell it has shown as one run of mask glyphs (`.cg-tail`, its count in data-count).
 */
async function cells(canvas: Locator): Promise<string[]> {
  return canvas.evaluate((host) => {
    const shown = [...host.querySelectorAll<HTMLElement>('.cg-cell[data-pos]')]
      .sort((a, b) => Number(a.dataset.pos) - Number(b.dataset.pos))
      .map((el) =>
        el.classList.contains('cg-mask') ? 'mask' : el.classList.contains('cg-eos') ? 'EOS' : `tok:${el.textContent}`,
      );
    const tail = Number(host.querySelector<HTMLElement>('.cg-tail')?.dataset.count ?? 0);
    return [...shown, ...new Array<string>(tail).fill('mask')];
  });
}

/** The same, computed from the trace file alone: the commits of steps 0..k, and the EOS fill after the last step. */
function expectedCells(t: Trace, k: number): string[] {
  const P = t.promptLength;
  const ids: (number | null)[] = new Array(t.params.genLength).fill(null);
  for (const s of t.steps.slice(0, k + 1)) for (const [pos, tok] of s.committed) ids[pos - P] = tok;
  const fill = t.steps[t.steps.length - 1]?.eosFill;
  if (k === t.steps.length - 1 && fill) for (let p = fill[0]; p < fill[1]; p++) ids[p - P] = t.params.eosId;
  return ids.map((id) => (id === null ? 'mask' : id === t.params.eosId ? 'EOS' : `tok:${t.labels[id]}`));
}

async function exported(page: Page, viewer: Locator): Promise<{ trace: Trace; path: string; name: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), viewer.getByTestId('export-trace').click()]);
  const path = join(mkdtempSync(join(tmpdir(), 'e2e-trace-')), download.suggestedFilename());
  await download.saveAs(path);
  const text = readFileSync(path, 'utf8');
  expect(text.startsWith('{"format":"diffcoder-trace","version":1,')).toBe(true);
  return { trace: JSON.parse(text) as Trace, path, name: download.suggestedFilename() };
}

async function seek(viewer: Locator, k: number) {
  await viewer.getByTestId('replay-slider').fill(String(k));
  await expect(viewer.getByTestId('trace-canvas')).toHaveAttribute('data-step', String(k));
}

let served: Served;
test.beforeAll(async () => {
  served = await startServe(userDataWith({}));
});
test.afterAll(() => served?.process.kill('SIGTERM'));

test('a chat answer replays its decoding exactly; export, import and side by side', async ({ page }) => {
  test.setTimeout(180_000);
  await page.emulateMedia({ reducedMotion: 'reduce' }); // the viewer opens at the end, still
  await page.goto(served.url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
  await page
    .getByTestId('composer')
    .fill('Write a Python function `count_vowels(s)` that does this: Count the vowels in a string.');
  await page.getByTestId('composer').press('Enter');
  const msg = assistant(page);
  await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 60_000 });

  // (a) Its decoding, replayed to the end, is exactly the answer's tokens.
  await msg.getByTestId('show-decoding').click();
  const viewer = msg.getByTestId('trace-viewer');
  const canvas = viewer.getByTestId('trace-canvas');
  await expect(viewer).toBeVisible();
  const { trace, path, name } = await exported(page, viewer);
  expect(name).toMatch(/-trace\.json$/);
  const last = trace.steps.length - 1;
  expect(last).toBeGreaterThan(4);
  await expect(canvas).toHaveAttribute('data-step', String(last));
  const atEnd = await cells(canvas);
  expect(atEnd).toEqual(expectedCells(trace, last));
  expect(atEnd.slice(0, trace.result.tokenIds.length)).toEqual(
    trace.result.tokenIds.map((id) => (id === trace.params.eosId ? 'EOS' : `tok:${trace.labels[id]}`)),
  );
  // Play from the start runs to the end.
  await viewer.getByTestId('replay-play').click();
  await expect(canvas).toHaveAttribute('data-step', String(last), { timeout: 30_000 });
  expect(await cells(canvas)).toEqual(atEnd);
  await viewer.getByTestId('canvas-mode-order').click();
  await page.screenshot({ path: 'docs/screenshot-canvas.png' });

  // (b) The slider's step k shows exactly the commits of steps <= k; the keys step too.
  const ks = [-1, 0, 1, Math.floor(last / 3), Math.floor(last / 2), last - 1];
  for (const k of ks) {
    await seek(viewer, k);
    expect(await cells(canvas), `step ${k}`).toEqual(expectedCells(trace, k));
  }
  await viewer.getByTestId('export-trace').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(canvas).toHaveAttribute('data-step', String(last - 2));
  await page.keyboard.press('End');
  await expect(canvas).toHaveAttribute('data-step', String(last));
  // A token's details on focus: arrows move between tokens inside the canvas.
  await seek(viewer, Math.floor(last / 2));
  await viewer.getByTestId('canvas-mode-step').click();
  await canvas.locator('.cg-cell[tabindex="0"]').focus();
  await page.keyboard.press('ArrowRight');
  await expect(canvas.locator('.cg-cell[data-pos="1"]')).toBeFocused();
  await expect(viewer.getByTestId('token-details')).toContainText(/Position\s*2/);
  await expect(viewer.getByTestId('token-details')).toContainText(/Block\s*1/);
  await page.screenshot({ path: 'docs/screenshot-replay.png' });

  // (c) The exported file opens and replays identically.
  await page.getByTestId('open-trace-file').setInputFiles(path);
  const dialog = page.getByTestId('trace-file-dialog');
  const opened = dialog.getByTestId('trace-viewer');
  await expect(opened).toBeVisible();
  await expect(opened.getByTestId('trace-canvas')).toHaveAttribute('data-step', String(last));
  expect(await cells(opened.getByTestId('trace-canvas'))).toEqual(atEnd);
  for (const k of [0, Math.floor(last / 2)]) {
    await seek(opened, k);
    expect(await cells(opened.getByTestId('trace-canvas'))).toEqual(expectedCells(trace, k));
  }
  await dialog.getByTestId('close-trace').click();
  await expect(dialog).toHaveCount(0);

  // (d) Side by side with the Fast preset: two canvases, each with its stats, in sync.
  await viewer.getByTestId('compare-settings').click();
  await page.getByTestId('compare-fast').check();
  await page.getByTestId('compare-run').click();
  const sbs = page.getByTestId('side-by-side');
  await expect(sbs).toBeVisible({ timeout: 60_000 });
  await expect(sbs.locator('[data-testid^="trace-canvas-"]')).toHaveCount(2);
  await expect(sbs.getByTestId('trace-stats')).toHaveCount(2);
  await expect(sbs.getByTestId('side-1')).toContainText('Fast');
  await expect(sbs.getByTestId('side-1').getByTestId('trace-stats')).toContainText(/\d+ forwards · [\d.]+ tok\/s/);
  await expect(sbs.getByTestId('answer-diff')).toContainText(/answers (are the same|differ)/);
  // The longer run sets the slider's range.
  expect(Number(await sbs.getByTestId('replay-slider').getAttribute('max')) + 1).toBeGreaterThanOrEqual(
    trace.steps.length,
  );
  await sbs.getByTestId('replay-slider').fill(String(Math.floor(last / 3)));
  await expect(sbs.getByTestId('trace-canvas-0')).toHaveAttribute('data-step', String(Math.floor(last / 3)));
  // Nothing was added to the chat.
  await page.getByTestId('close-side-by-side').click();
  await expect(page.locator('[data-testid="message"]')).toHaveCount(2);
  // Random remasking writes another answer: where they differ is outlined.
  await viewer.getByTestId('compare-settings').click();
  await page.getByTestId('compare-random').check();
  await page.getByTestId('compare-run').click();
  await expect(sbs).toBeVisible({ timeout: 60_000 });
  await sbs.getByTestId('replay-slider').fill(String(Math.floor((last * 2) / 3)));
  await sbs.getByTestId('trace-canvas-1').locator('.cg-cell[data-diff]').first().hover();
  await page.screenshot({ path: 'docs/screenshot-side-by-side.png' });
  await page.getByTestId('close-side-by-side').click();
  await expect(page.locator('[data-testid="message"]')).toHaveCount(2);

  // (e) A bad file is refused with its reason; the chat is untouched.
  await page.getByTestId('open-trace-file').setInputFiles({
    name: 'bad-trace.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ ...trace, format: 'something-else' })),
  });
  await expect(page.getByTestId('notice').last()).toContainText('bad-trace.json is not a trace');
  await expect(page.getByTestId('notice').last()).toContainText('not a diffcoder-trace file');
  await expect(page.getByTestId('trace-file-dialog')).toHaveCount(0);
  await expect(msg.getByTestId('trace-viewer')).toBeVisible();
});

test('Stop ends a comparison run; its partial decoding still replays beside the answer', async ({ page }) => {
  // A few ms per forward: the comparison lasts long enough to stop (the engine's test hook).
  const slow = await startServe(userDataWith({ stopAtEos: false, genLength: 64, steps: 64 }), {
    env: { DIFFCODER_TEST_FORWARD_DELAY_MS: '40' },
  });
  try {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(slow.url);
    await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
    await page.getByTestId('composer').fill('Write a Python function `double(x)` that does this: Double x.');
    await page.getByTestId('composer').press('Enter');
    const msg = assistant(page);
    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await msg.getByTestId('show-decoding').click();
    await msg.getByTestId('compare-settings').click();
    await page.getByTestId('compare-reference').check();
    await page.getByTestId('compare-run').click();
    const progress = page.getByTestId('compare-progress');
    await expect(progress).toContainText(/Running “Reference”… [1-9]\d*\/64 tokens/, { timeout: 30_000 });
    await page.getByTestId('compare-stop').click();
    const sbs = page.getByTestId('side-by-side');
    await expect(sbs).toBeVisible({ timeout: 10_000 });
    await expect(sbs.getByTestId('side-1').getByTestId('trace-stats')).toContainText('stopped');
    await expect(sbs.getByTestId('side-0').getByTestId('trace-stats')).not.toContainText('stopped');
    await page.getByTestId('close-side-by-side').click();
    // The engine is free again: a new chat run goes through.
    await page.getByTestId('composer').fill('Write a Python function `half(x)` that does this: Halve x.');
    await page.getByTestId('composer').press('Enter');
    await expect(assistant(page)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(page.locator('[data-testid="message"]')).toHaveCount(4);
  } finally {
    slow.process.kill('SIGTERM');
  }
});
