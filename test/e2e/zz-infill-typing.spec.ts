import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, startServe, test } from './serve-fixture';

test('typing long tasks with and without a run', async ({ page }) => {
  const ws = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(i % 5 === 0 ? `def f${i}(x):` : `    y${i} = x * ${i}  # line ${i}`);
  writeFileSync(join(ws, 'big.py'), lines.join('\n') + '\n');
  const ud = mkdtempSync(join(tmpdir(), 'e2e-userdata-'));
  writeFileSync(join(ud, 'settings.json'), JSON.stringify({ decoding: { steps: 1024, genLength: 1024, blockLength: 4, temperature: 0, seed: 0, remasking: 'low_confidence', threshold: null, shift: false, stopAtEos: false }, modelId: 'builtin', provider: 'cpu' }));
  const served = await startServe(ud, { workspace: ws });
  try {
    await page.goto(served.url);
    await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
    await page.locator(`[data-testid="file-tree"] [data-path="big.py"]`).click();
    await page.locator('[data-testid="editor"] .view-lines').click();
    await page.evaluate(() => {
      const w = window as unknown as { __lt: number[]; __ev: number[] };
      w.__lt = [];
      w.__ev = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__lt.push(Math.round(e.duration)))).observe({ type: 'longtask' });
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__ev.push(Math.round(e.duration)))).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);
    });
    const get = () => page.evaluate(() => { const w = window as unknown as { __lt: number[]; __ev: number[] }; const r = { lt: w.__lt, ev: w.__ev }; w.__lt = []; w.__ev = []; return r; });
    for (let round = 0; round < 2; round++) {
      await page.keyboard.press('Control+End');
      await page.keyboard.type('z = 1  # typed baseline\n'.repeat(2), { delay: 10 });
      console.log('baseline', JSON.stringify(await get()));
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('End');
      await page.keyboard.press('Control+i');
      await page.waitForTimeout(100);
      await get();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('z = 1  # typed during the run\n'.repeat(2), { delay: 10 });
      console.log('during run', JSON.stringify(await get()), await page.getByTestId('infill-stop').isVisible());
      if (await page.getByTestId('infill-stop').isVisible()) await page.getByTestId('infill-stop').click();
      else await page.getByTestId('infill-reject').click();
      await expect(page.getByTestId('infill-run')).toBeVisible();
    }
  } finally {
    served.process.kill('SIGTERM');
  }
});
