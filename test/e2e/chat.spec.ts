import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { e2eModelDir, expect, startServe, test, userDataWith, type Served } from './serve-fixture';

const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();

async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
}

const maxPositions = () =>
  JSON.parse(readFileSync(join(e2eModelDir(), 'config.json'), 'utf8')).max_position_embeddings as number;

/** A server whose runs last long enough to act mid-run: as many tokens as fit, no EOS stop. */
function startLongRunServe(): Promise<Served> {
  const gen = Math.min(2048, Math.floor((maxPositions() - 256) / 4) * 4);
  return startServe(userDataWith({ steps: gen, genLength: gen, stopAtEos: false }));
}

test('chat: masks appear, fill in over several steps, end as Markdown; reload keeps the conversation', async ({
  page,
}) => {
  // The built-in model can finish a short answer within two painted frames on a busy machine: a few ms per
  // forward keeps the steps apart so the page paints several of them (the engine's test hook).
  const served = await startServe(userDataWith({ steps: 128, genLength: 128 }), {
    env: { DIFFCODER_TEST_FORWARD_DELAY_MS: '15' },
  });
  try {
    await ready(page, served.url);
    // Record every frame the page renders (a small model decodes faster than a test can poll).
    await page.evaluate(() => {
      const seen: { committed: number; masks: number }[] = [];
      (window as unknown as { __frames: typeof seen }).__frames = seen;
      new MutationObserver(() => {
        const metas = document.querySelectorAll('.canvas-meta');
        const m = /(\d+)\/\d+ tokens/.exec(metas[metas.length - 1]?.textContent ?? '');
        if (m) seen.push({ committed: Number(m[1]), masks: document.querySelectorAll('.cg-mask').length });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page
      .getByTestId('composer')
      .fill('Write a Python function `is_even(n)` that does this: Return True if n is even.');
    await page.getByTestId('composer').press('Enter');
    const msg = assistant(page);
    await expect(msg).toHaveAttribute('data-status', /done/, { timeout: 60_000 });
    await expect(msg.locator('.cg-mask')).toHaveCount(0);
    await expect(msg.locator('.markdown')).toBeVisible();
    // Mask placeholders were drawn, and the committed count grew over several rendered steps.
    const frames = await page.evaluate(
      () => (window as unknown as { __frames: { committed: number; masks: number }[] }).__frames,
    );
    const withMasks = frames.filter((f) => f.masks > 0);
    expect(withMasks.length).toBeGreaterThan(0);
    expect(new Set(withMasks.map((f) => f.committed)).size).toBeGreaterThanOrEqual(3);
    const finalText = (await msg.locator('.markdown').innerText()).trim();
    expect(finalText.length).toBeGreaterThan(0);
    await expect(page.getByTestId('status-bar')).toContainText(/tok\/s/);
    await page.screenshot({ path: 'docs/screenshot-done.png' });

    await page.reload();
    await expect(page.getByTestId('conversation-item')).toHaveCount(1);
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('is_even');
    await expect(assistant(page)).toHaveAttribute('data-status', 'done');
    expect((await assistant(page).locator('.markdown').innerText()).trim()).toBe(finalText);
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('Stop ends the run quickly and keeps the partial text marked as stopped', async ({ page }) => {
  const served = await startLongRunServe();
  try {
    await ready(page, served.url);
    await page.getByTestId('composer').fill('Write a Python function `count(xs)` that does this: Count the items.');
    await page.getByTestId('send').click();
    const msg = assistant(page);
    await expect(msg.locator('.cg-mask').first()).toBeVisible({ timeout: 30_000 });
    await expect(msg.locator('.canvas-meta')).toContainText(/block ([4-9]|\d\d+)\//, { timeout: 30_000 });
    await page.screenshot({ path: 'docs/screenshot-decoding.png' });
    const t0 = Date.now();
    await page.getByTestId('stop').click();
    await expect(msg).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect(msg.locator('.stopped-marker')).toBeVisible();
    await expect(msg.locator('.cg-mask')).toHaveCount(0);
    // The composer is usable again at once.
    await expect(page.getByTestId('send')).toBeVisible();
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('a code block in the chat opens in the editor with one click', async ({
  page,
  served,
}: {
  page: Page;
  served: Served;
}) => {
  await ready(page, served.url);
  await page.getByTestId('composer').fill('Explain this code:\n```python\ndef square(x):\n    return x * x\n```');
  await page.getByTestId('send').click();
  const user = page.locator('[data-testid="message"][data-role="user"]').last();
  await user.locator('.open-in-editor').first().click();
  await expect(page.getByTestId('editor')).toContainText('def square(x):', { timeout: 20_000 });
  await expect(assistant(page)).toHaveAttribute('data-status', /done|stopped/, { timeout: 60_000 });
});

test('a bad model folder shows its error', async ({ page, served }: { page: Page; served: Served }) => {
  await ready(page, served.url);
  await page.getByTestId('open-settings').click();
  await page.getByTestId('add-model').click();
  const bad = mkdtempSync(join(tmpdir(), 'not-a-model-'));
  await page.getByTestId('model-dir').fill(bad);
  await page.getByTestId('model-dir').press('Enter');
  await expect(page.locator('.model-error')).toContainText('diffcoder.json: missing');
});

test('a crashed engine process: the run ends with a clear error, the next one succeeds', async ({ page }) => {
  const served = await startLongRunServe();
  try {
    await ready(page, served.url);
    await page.getByTestId('composer').fill('Write a Python function `f(x)` that does this: Return x.');
    await page.getByTestId('send').click();
    const msg = assistant(page);
    await expect(msg.locator('.cg-mask').first()).toBeVisible({ timeout: 30_000 });
    // The engine process is serve's only child: kill -9 it mid-run.
    const child = execFileSync('pgrep', ['-P', String(served.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
    process.kill(Number(child), 'SIGKILL');
    await expect(msg).toHaveAttribute('data-status', 'error', { timeout: 20_000 });
    await expect(msg.locator('.run-error')).toContainText('engine process stopped unexpectedly');
    // Main restarts the engine and reloads the model; the conversation is intact.
    await expect(page.getByTestId('status-bar')).toContainText(/ready/i, { timeout: 60_000 });
    await page.getByTestId('composer').fill('Write a Python function `g(x)` that does this: Return x.');
    await page.getByTestId('send').click();
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toHaveCount(2);
    await expect(page.getByTestId('stop')).toBeVisible();
    await page.getByTestId('stop').click();
    await expect(assistant(page)).toHaveAttribute('data-status', /stopped|done/, { timeout: 20_000 });
  } finally {
    served.process.kill('SIGTERM');
  }
});
