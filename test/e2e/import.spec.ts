/**
 * Importing a Hugging Face checkpoint in the real UI against the BUILT app (out/main/serve.js starting
 * out/main/convert-worker.js): inspect, convert with progress, the model becomes the selected one, and chat runs on it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, startServe, userDataWith } from './serve-fixture';
import { test } from '@playwright/test';

/** The sized tiny checkpoint (12 layers, 76 MB of fp32), written once per machine through tsx like the e2e model. */
function checkpoint(): string {
  const dir = join(tmpdir(), 'diffcoder-e2e-import-checkpoint');
  if (!existsSync(join(dir, 'model.safetensors'))) {
    const args = JSON.stringify({ dir, dims: { num_hidden_layers: 12 } });
    const script = `import('./test/helpers/sized-checkpoint.ts').then((m) => m.writeSizedCheckpoint(${args}))`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('could not write the import checkpoint');
  }
  return dir;
}

/** A returning user's settings: short runs that never stop at EOS, so a random model still answers. */
const userData = () => userDataWith({ steps: 32, genLength: 32, stopAtEos: false });

async function openImport(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
  await page.getByTestId('open-settings').click();
}

test('import a checkpoint by path: inspection, progress, it becomes the selected model, chat answers', async ({
  page,
}) => {
  const ckpt = checkpoint();
  const served = await startServe(userData());
  try {
    await openImport(page, served.url);
    await page.getByTestId('import-checkpoint').click();
    await page.getByLabel('Checkpoint folder').fill(ckpt);
    await page.getByLabel('Checkpoint folder').press('Enter');

    const inspection = page.getByTestId('import-inspection');
    await expect(inspection).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('import-fact-architecture')).toContainText('LlamaForCausalLM (12 layers');
    await expect(page.getByTestId('import-fact-weights')).toHaveText('F32');
    await expect(page.getByTestId('import-fact-tokenizer')).toHaveText('present');
    await expect(page.getByTestId('import-fact-chat-template')).toHaveText('present');
    for (const d of ['fp32', 'int8', 'int4'])
      await expect(page.getByTestId(`import-target-${d}`)).toContainText(/MB.*MB.*fits/);
    // No GPU here: fp16 is marked GPU-only (the engine refuses it on CPU).
    await expect(page.getByTestId('import-target-fp16')).toContainText(/GPU only/);

    // Keyboard: the dtype is a labelled radio; int8 (the CPU's quality option) is offered first.
    await expect(page.getByRole('radio', { name: 'int8' })).toBeChecked();
    await page.getByRole('radio', { name: 'int4' }).check();
    await page.getByRole('radio', { name: 'int8' }).focus();
    await page.keyboard.press('Space');
    await expect(page.getByRole('radio', { name: 'int8' })).toBeChecked();

    // Record every value the progress bar takes (the conversion may take less than a second).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __progress: string[] }).__progress = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('[role="progressbar"]');
        const caption = document.querySelector('[data-testid="import-bytes"]')?.textContent ?? '';
        if (bar) seen.push(`${bar.getAttribute('aria-valuenow')}|${caption}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByTestId('import-start').click();
    await expect(page.getByTestId('import-done')).toBeVisible({ timeout: 60_000 });
    const frames = await page.evaluate(() => (window as unknown as { __progress: string[] }).__progress);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.some((f) => /^\d+\|\d+% · .* of 76\.\d MB$/.test(f))).toBe(true);

    // Registered under the user data models folder and selected; the engine loads it.
    const outputDir = join(served.userData, 'models', 'diffcoder-e2e-import-checkpoint-int8');
    await expect(page.getByTestId('import-done')).toContainText(outputDir);
    await expect(page.getByTestId('model-select')).toHaveValue(outputDir);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(page.getByTestId('status-model')).toContainText('diffcoder-e2e-import-checkpoint-int8');
    await expect(page.getByTestId('status-bar')).toContainText(/ready/i, { timeout: 60_000 });

    await page.getByTestId('composer').fill('Write a Python function `f(x)` that does this: Return x.');
    await page.getByTestId('composer').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    expect((await answer.innerText()).trim().length).toBeGreaterThan(0);
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('a checkpoint picked as a model folder is offered for import; errors are shown as main words them', async ({
  page,
}) => {
  const ckpt = checkpoint();
  const served = await startServe(userData());
  try {
    await openImport(page, served.url);
    await page.getByTestId('add-model').click();
    await page.getByTestId('model-dir').fill(ckpt);
    await page.getByTestId('model-dir').press('Enter');
    await expect(page.locator('.model-error').first()).toContainText('diffcoder.json: missing');
    await expect(page.getByTestId('import-offered')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('import-fact-architecture')).toContainText('LlamaForCausalLM');
    await expect(page.getByTestId('import-start')).toBeEnabled();

    // Not a checkpoint: the converter's words, naming the file.
    const empty = mkdtempSync(join(tmpdir(), 'not-a-checkpoint-'));
    mkdirSync(join(empty, 'sub'));
    await page.getByLabel('Checkpoint folder').fill(empty);
    await page.getByTestId('import-inspect').click();
    await expect(page.getByTestId('import-error')).toHaveText(
      /^config\.json: missing: this is not a Hugging Face checkpoint folder/,
    );
    await page.getByLabel('Checkpoint folder').fill('relative/folder');
    await page.getByTestId('import-inspect').click();
    await expect(page.getByTestId('import-error')).toHaveText(
      /^relative\/folder: give the full path of the checkpoint folder/,
    );
  } finally {
    served.process.kill('SIGTERM');
  }
});
