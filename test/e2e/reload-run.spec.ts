/**
 * A run outlives the page that started it (issue 10, item 7): reload mid-run, the run is still
 * there and progressing, Stop works, and the partial answer is in the conversation (saved by main
 * while it streamed, and as stopped at the end).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { Conversation } from '../../common/models';
import { FORWARD_DELAY_ENV } from '../../main/engine-host/protocol';
import { expect, startServe, test, userDataWith } from './serve-fixture';

const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();
const committedOf = async (page: Page) =>
  Number(/(\d+)\/\d+ tokens/.exec((await assistant(page).locator('.canvas-meta').textContent()) ?? '')?.[1] ?? -1);

function saved(userData: string): Conversation[] {
  const dir = join(userData, 'conversations');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Conversation);
}

test('reload during a run: the run is still shown and progressing, Stop works, the partial answer is saved', async ({
  page,
}) => {
  const userData = userDataWith({ steps: 512, genLength: 512, stopAtEos: false });
  // Every forward takes 30 ms more in the engine process: the 512-token run lasts over 15 s.
  process.env[FORWARD_DELAY_ENV] = '30';
  const served = await startServe(userData).finally(() => delete process.env[FORWARD_DELAY_ENV]);
  try {
    await page.goto(served.url);
    await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
    await page.getByTestId('composer').fill('Write a Python function `total(xs)` that does this: Sum the items.');
    await page.getByTestId('send').click();
    await expect(assistant(page).locator('.cg-mask').first()).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => committedOf(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(8);

    await page.reload();
    // The reloaded page re-attached: the run's canvas is back, with what was committed before the reload, and it goes on.
    const msg = assistant(page);
    await expect(msg).toHaveAttribute('data-status', 'streaming', { timeout: 30_000 });
    await expect(msg.locator('.cg-mask').first()).toBeVisible({ timeout: 10_000 });
    const first = await committedOf(page);
    expect(first).toBeGreaterThanOrEqual(8);
    await expect.poll(() => committedOf(page), { timeout: 20_000 }).toBeGreaterThan(first + 4);
    await expect(page.getByTestId('stop')).toBeVisible();

    // Main saves the streaming answer itself (at least every 2 s).
    await expect
      .poll(() => saved(served.userData)[0]?.messages.find((m) => m.role === 'assistant')?.content.length ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    expect(saved(served.userData)[0].messages.find((m) => m.role === 'assistant')!.status).toBe('streaming');

    const t0 = Date.now();
    await page.getByTestId('stop').click();
    await expect(msg).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect(msg.locator('.cg-mask')).toHaveCount(0);
    const shown = (await msg.locator('.markdown').innerText()).trim();
    expect(shown.length).toBeGreaterThan(0);

    // The partial answer is in the conversation on disk, and after another reload.
    await expect
      .poll(() => saved(served.userData)[0]?.messages.find((m) => m.role === 'assistant')?.status, { timeout: 5000 })
      .toBe('stopped');
    const onDisk = saved(served.userData)[0].messages.find((m) => m.role === 'assistant')!;
    expect(onDisk.content.length).toBeGreaterThan(0);
    await page.reload();
    await expect(assistant(page)).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
    expect((await assistant(page).locator('.markdown').innerText()).trim()).toBe(shown);
  } finally {
    served.process.kill('SIGTERM');
  }
});
