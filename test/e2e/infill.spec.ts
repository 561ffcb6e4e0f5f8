import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, startServe, test, userDataWith, type Served } from './serve-fixture';

async function openFile(page: Page, served: Served, path: string) {
  await page.goto(served.url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
  await page.locator(`[data-testid="file-tree"] [data-path="${path}"]`).click();
  await expect(page.locator(`[data-testid="editor-tab"][data-path="${path}"]`)).toBeVisible();
}

/** Puts the cursor at the end of a 1-based line with the keyboard. */
async function cursorAtEndOfLine(page: Page, line: number) {
  await page.locator('[data-testid="editor"] .view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
}

/**
 * Records every painted frame that changed: mask cells drawn in the editor and the progress text (the model is faster
 * than polling). Sampled after the frame's rendering (a DOM change schedules a check after the next animation frame),
 * so a frame is counted as the user saw it, not halfway through Monaco's render.
 */
async function recordFrames(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: { t: number; cells: number; status: string }[] };
    w.__frames = [];
    let scheduled = false;
    const check = () => {
      scheduled = false;
      let cells = 0;
      for (const el of document.querySelectorAll('[data-testid="editor"] .infill-mask'))
        cells += (el.textContent ?? '').split('·').length - 1;
      const status = document.querySelector('[data-testid="infill-status"]')?.textContent ?? '';
      const last = w.__frames[w.__frames.length - 1];
      if (!last || last.cells !== cells || last.status !== status)
        w.__frames.push({ t: performance.now(), cells, status });
    };
    new MutationObserver(() => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => setTimeout(check, 0));
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}
const frames = (page: Page) =>
  page.evaluate(() => (window as unknown as { __frames: { t: number; cells: number; status: string }[] }).__frames);

/** The infill records saved in the conversation files (what main stored). */
function savedInfills(userData: string): { middle: string; outcome?: string; file: string }[] {
  const dir = join(userData, 'conversations');
  const out: { middle: string; outcome?: string; file: string }[] = [];
  for (const f of readdirSync(dir)) {
    const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      messages: { infill?: { middle: string; outcome?: string; file: string } }[];
    };
    for (const m of c.messages) if (m.infill) out.push(m.infill);
  }
  return out;
}

const SOURCE = ['def is_even(n):', '    """Return True if n is even."""', '    ', '', '', 'print(is_even(4))', ''].join(
  '\n',
);

test('infill: masks fill in at the cursor, Tab accepts as one edit, Ctrl+S writes prefix + middle + suffix, Ctrl+Z restores; Esc rejects', async ({
  page,
}) => {
  const ws = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
  const file = join(ws, 'even.py');
  writeFileSync(file, SOURCE);
  // No stop at EOS: every position is decoded (the middle still ends at the first EOS), so the run spans several frames.
  const userData = userDataWith({ steps: 64, genLength: 64, stopAtEos: false });
  const served = await startServe(userData, { workspace: ws });
  try {
    await openFile(page, served, 'even.py');
    await page.getByTestId('infill-length').fill('128');
    await page.getByTestId('infill-length').press('Enter');
    await cursorAtEndOfLine(page, 3);
    await recordFrames(page);
    await page.keyboard.press('Control+i');
    await expect(page.getByTestId('infill-accept')).toBeVisible({ timeout: 60_000 });
    // Mask cells were drawn in the editor and filled in over several frames; none are left.
    const seen = await frames(page);
    const withMasks = seen.filter((f) => f.cells > 0);
    expect(withMasks.length).toBeGreaterThan(0);
    // All 128 masks appear at once (before the engine's first step), then fill in over several frames.
    expect(withMasks[0].cells).toBe(128);
    expect(new Set(withMasks.map((f) => f.cells)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.map((f) => f.status).filter((s) => s.startsWith('Infilling'))).size).toBeGreaterThanOrEqual(3);
    await expect(page.locator('[data-testid="editor"] .infill-mask')).toHaveCount(0);
    // Replay in place: the stored trace draws the decoding again where the middle goes, then the suggestion is back.
    await page.getByTestId('infill-replay').click();
    await expect(page.locator('[data-testid="editor"] .infill-mask').first()).toBeVisible();
    await expect(page.getByTestId('infill-replay')).toHaveText('Stop replay');
    await expect(page.locator('[data-testid="editor"] .infill-mask')).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByTestId('infill-replay')).toHaveText('Replay decoding');
    await expect(page.getByTestId('infill-accept')).toBeVisible();
    // The document was not edited during the run nor while the suggestion waits.
    await expect(page.locator('[data-testid="editor-tab"][data-path="even.py"]')).toHaveAttribute(
      'data-dirty',
      'false',
    );
    await page.screenshot({ path: '/tmp/infill-pending.png' });

    await page.keyboard.press('Tab');
    await expect(page.getByTestId('infill-accept')).toHaveCount(0);
    await expect.poll(() => savedInfills(userData).at(-1)?.outcome).toBe('accepted');
    const { middle } = savedInfills(userData).at(-1)!;
    const at = SOURCE.indexOf('    \n\n') + 4;
    const expected = SOURCE.slice(0, at) + middle + SOURCE.slice(at);
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(file, 'utf8')).toBe(expected);
    expect(readFileSync(file)).toEqual(Buffer.from(expected, 'utf8'));

    // One Ctrl+Z restores the original text exactly.
    await page.locator('[data-testid="editor"] .view-lines').click();
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(file, 'utf8')).toBe(SOURCE);

    // A second run, rejected with Esc: the buffer stays as saved, the file byte-identical.
    await cursorAtEndOfLine(page, 3);
    await page.keyboard.press('Control+i');
    await expect(page.getByTestId('infill-reject')).toBeVisible({ timeout: 60_000 });
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('infill-run')).toBeVisible();
    await expect(page.locator('[data-testid="editor"] [class*="infill-"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="editor-tab"][data-path="even.py"]')).toHaveAttribute(
      'data-dirty',
      'false',
    );
    await page.keyboard.press('Control+s');
    await expect.poll(() => savedInfills(userData).at(-1)?.outcome).toBe('rejected');
    expect(readFileSync(file)).toEqual(Buffer.from(SOURCE, 'utf8'));
    // Both runs are in the conversation.
    await expect(page.locator('[data-testid="infill-note"]')).toHaveCount(2);
    await expect(page.locator('[data-testid="message"][data-role="user"]').first()).toContainText(
      'Infill in even.py at 3:5',
    );
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('a selection: struck through with the middle as ghost text until accepted; an edit inside it cancels the run; Stop', async ({
  page,
}) => {
  const ws = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
  const file = join(ws, 'even.py');
  writeFileSync(file, SOURCE);
  const userData = userDataWith({ steps: 512, genLength: 512, stopAtEos: false });
  const served = await startServe(userData, { workspace: ws });
  const tab = page.locator('[data-testid="editor-tab"][data-path="even.py"]');
  try {
    await openFile(page, served, 'even.py');
    // The command is in the context menu and the command palette too.
    await cursorAtEndOfLine(page, 3);
    await page.locator('[data-testid="editor"] .view-lines').click({ button: 'right' });
    await expect(page.locator('.monaco-menu').getByText('Infill: fill in the middle at the cursor')).toBeVisible();
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.keyboard.type('Infill');
    await expect(
      page.locator('.quick-input-widget').getByText('Infill: fill in the middle at the cursor'),
    ).toBeVisible();
    await page.keyboard.press('Escape');
    // A short middle first: the replacement is shown as a diff before it is accepted.
    await page.getByTestId('infill-length').fill('16');
    await page.getByTestId('infill-length').press('Enter');
    await cursorAtEndOfLine(page, 2);
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Control+i');
    await expect(page.getByTestId('infill-accept')).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('[data-testid="editor"] .infill-replaced').first()).toBeVisible();
    await expect(page.locator('[data-testid="editor"] .infill-ghost').first()).toBeVisible();
    await page.screenshot({ path: '/tmp/infill-diff.png' });
    await expect(tab).toHaveAttribute('data-dirty', 'false');
    await page.getByTestId('infill-reject').click();
    await expect(page.locator('[data-testid="editor"] [class*="infill-"]')).toHaveCount(0);
    await expect(tab).toHaveAttribute('data-dirty', 'false');

    // A long run over the selection: typing inside it cancels the run; the typed text stays, nothing else changes.
    await page.getByTestId('infill-length').fill('512');
    await page.getByTestId('infill-length').press('Enter');
    await cursorAtEndOfLine(page, 2);
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Control+i');
    await expect(page.locator('[data-testid="editor"] .infill-mask').first()).toBeVisible();
    await page.waitForTimeout(400);
    await page.screenshot({ path: '/tmp/infill-running.png' });
    await page.keyboard.type('X');
    await expect(page.getByTestId('infill-run')).toBeVisible({ timeout: 10_000 });
    await expect(page.locator('[data-testid="editor"] [class*="infill-"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="infill-note"]').last()).toContainText('stopped');
    await page.keyboard.press('Control+s');
    await expect
      .poll(() => readFileSync(file, 'utf8'))
      .toBe(SOURCE.replace('    """Return True if n is even."""', '    X'));
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(file, 'utf8')).toBe(SOURCE);

    // Stop (the button) ends a run at the cursor; nothing is inserted.
    await cursorAtEndOfLine(page, 3);
    await page.keyboard.press('Control+i');
    await expect(page.locator('[data-testid="editor"] .infill-mask').first()).toBeVisible();
    await page.getByTestId('infill-stop').click();
    await expect(page.getByTestId('infill-run')).toBeVisible({ timeout: 10_000 });
    await expect(page.locator('[data-testid="editor"] [class*="infill-"]')).toHaveCount(0);
    await expect(tab).toHaveAttribute('data-dirty', 'false');

    // Editing elsewhere during a run: the insertion point follows; Accept (the button, the cursor is elsewhere) inserts there.
    await page.getByTestId('infill-length').fill('64');
    await page.getByTestId('infill-length').press('Enter');
    await cursorAtEndOfLine(page, 3);
    await page.keyboard.press('Control+i');
    await expect(page.locator('[data-testid="editor"] .infill-mask').first()).toBeVisible();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('# edited during the run\n');
    await expect(page.getByTestId('infill-accept')).toBeVisible({ timeout: 60_000 });
    await page.getByTestId('infill-accept').click();
    await expect.poll(() => savedInfills(userData).at(-1)?.outcome).toBe('accepted');
    const { middle } = savedInfills(userData).at(-1)!;
    const at = SOURCE.indexOf('    \n\n') + 4;
    await page.keyboard.press('Control+s');
    await expect
      .poll(() => readFileSync(file, 'utf8'))
      .toBe('# edited during the run\n' + SOURCE.slice(0, at) + middle + SOURCE.slice(at));
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('chat → editor never pastes blind: "Insert at cursor as suggestion" waits for Tab, then saves exactly', async ({
  page,
}) => {
  const ws = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
  const file = join(ws, 'even.py');
  writeFileSync(file, SOURCE);
  const served = await startServe(userDataWith({ steps: 16, genLength: 16 }), { workspace: ws });
  const tab = page.locator('[data-testid="editor-tab"][data-path="even.py"]');
  try {
    await openFile(page, served, 'even.py');
    await cursorAtEndOfLine(page, 3);
    await page.getByTestId('composer').fill('Use this:\n```python\nreturn n % 2 == 0\n```');
    await page.getByTestId('send').click();
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toHaveAttribute(
      'data-status',
      /done|stopped/,
      { timeout: 60_000 },
    );
    await page.locator('[data-testid="message"][data-role="user"]').last().getByTestId('insert-suggestion').click();
    await expect(page.getByTestId('infill-accept')).toBeVisible();
    await expect(page.locator('[data-testid="editor"] .infill-ghost').first()).toContainText('return n % 2 == 0');
    await expect(tab).toHaveAttribute('data-dirty', 'false');
    await page.keyboard.press('Tab');
    await expect(page.getByTestId('infill-run')).toBeVisible();
    await page.keyboard.press('Control+s');
    const at = SOURCE.indexOf('    \n\n') + 4;
    await expect
      .poll(() => readFileSync(file, 'utf8'))
      .toBe(SOURCE.slice(0, at) + 'return n % 2 == 0' + SOURCE.slice(at));
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('measurement: command → first painted mask on a 2,000-line file; long tasks while typing elsewhere during a run', async ({
  page,
}) => {
  test.info().annotations.push({ type: 'measurement', description: 'prints numbers, asserts no timing' });
  const ws = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(i % 5 === 0 ? `def f${i}(x):` : `    y${i} = x * ${i}  # line ${i}`);
  writeFileSync(join(ws, 'big.py'), lines.join('\n') + '\n');
  // The longest middle the built-in model's 2,048 positions allow beside the prompt: a run of a few seconds.
  const served = await startServe(userDataWith({ steps: 1024, genLength: 1024, stopAtEos: false }), { workspace: ws });
  try {
    await openFile(page, served, 'big.py');
    const typed = 'z = 1  # typed during the run\n'.repeat(2);
    await page.evaluate(() => {
      const w = window as unknown as { __m: { key: number; paint: number; longtasks: number[]; inputs: number[] } };
      w.__m = { key: 0, paint: 0, longtasks: [], inputs: [] };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__m.longtasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
      // Event timing: each keydown's time from the key to the next paint (durationThreshold 16 is the smallest allowed).
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.name === 'keydown') w.__m.inputs.push(e.duration);
      }).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);
      window.addEventListener(
        'keydown',
        (e) => {
          if (e.ctrlKey && e.key === 'i') w.__m.key = e.timeStamp;
        },
        true,
      );
      const mo = new MutationObserver(() => {
        if (document.querySelector('[data-testid="editor"] .infill-mask')) {
          mo.disconnect();
          // The masks are in the DOM inside a rendering step; the task after it runs once that frame is painted.
          setTimeout(() => (w.__m.paint = performance.now()), 0);
        }
      });
      mo.observe(document.body, { subtree: true, childList: true });
    });
    const keyStats = async () => {
      const { longtasks, inputs } = await page.evaluate(() => {
        const m = (window as unknown as { __m: { longtasks: number[]; inputs: number[] } }).__m;
        const r = { longtasks: m.longtasks, inputs: m.inputs };
        m.longtasks = [];
        m.inputs = [];
        return r;
      });
      const sorted = [...inputs].sort((a, b) => a - b);
      const pct = (q: number) =>
        sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
      const lt = `${longtasks.length} long tasks > 50 ms${longtasks.length ? ` (${longtasks.map((d) => d.toFixed(0)).join(', ')} ms)` : ''}`;
      return `${lt}; ${typed.length} keys typed, keydown events whose next paint came after 16 ms: ${inputs.length}, median ${pct(0.5)} ms, max ${pct(1)} ms`;
    };
    // Baseline: the same typing with no run (above the line the infill will use, in view).
    await cursorAtEndOfLine(page, 5);
    await keyStats();
    await page.keyboard.type(typed, { delay: 10 });
    const baseline = await keyStats();
    await cursorAtEndOfLine(page, 12);
    await page.keyboard.press('Control+i');
    await expect(page.getByTestId('infill-stop')).toBeVisible();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __m: { paint: number } }).__m.paint))
      .toBeGreaterThan(0);
    const { firstPaint, steps } = await page.evaluate(() => {
      const m = (window as unknown as { __m: { key: number; paint: number; longtasks: number[] } }).__m;
      const mark = (name: string) => performance.getEntriesByName(name).at(-1)?.startTime ?? Number.NaN;
      const command = mark('infill:command');
      const render = mark('infill:first-mask-render');
      m.longtasks = [];
      (m as unknown as { inputs: number[] }).inputs = [];
      return {
        firstPaint: m.paint - m.key,
        steps: `keydown → command ${(command - m.key).toFixed(1)} ms, → masks laid out ${(render - command).toFixed(1)} ms, → painted ${(m.paint - render).toFixed(1)} ms`,
      };
    });
    // Type elsewhere while the run goes on: above the insertion point, in view, so the masks move down with every line.
    await cursorAtEndOfLine(page, 5);
    const t0 = Date.now();
    await page.keyboard.type(typed, { delay: 10 });
    const typingMs = Date.now() - t0;
    const stillRunning = await page.getByTestId('infill-stop').isVisible();
    const during = await keyStats();
    console.log(
      `[measurement] Ctrl+I → first painted mask (2,000-line file, 1024 masks): ${firstPaint.toFixed(1)} ms (${steps})`,
    );
    console.log(`[measurement] typing ${typed.length} keys elsewhere, no run: ${baseline}`);
    console.log(
      `[measurement] typing ${typed.length} keys elsewhere during the run (${typingMs} ms, still running: ${stillRunning}): ${during}`,
    );
    if (await page.getByTestId('infill-stop').isVisible()) await page.getByTestId('infill-stop').click();
    else await page.getByTestId('infill-reject').click();
    await expect(page.getByTestId('infill-run')).toBeVisible({ timeout: 10_000 });
  } finally {
    served.process.kill('SIGTERM');
  }
});
