/**
 * Issue 11's chat features in the real UI: the welcome, a chat's system prompt and settings (seen in the run's
 * request and the stored conversation), the greedy-repeat notice and its one-click alternative, answer versions,
 * continue after stop, and a run in one chat while another says so and refuses to send.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { Conversation } from '../../common/models';
import { expect, startServe, test, userDataWith, type Served } from './serve-fixture';

const assistant = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]').last();

interface Start {
  prompt: { kind: 'chat'; messages: { role: string; content: string }[]; continueFinal?: boolean };
  settings: { temperature: number; seed: number; genLength: number; steps: number; remasking: string };
}

/** The generate:start requests the page sends (the WebSocket bridge's invoke frames), in order. */
function recordStarts(page: Page): Start[] {
  const starts: Start[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      try {
        const frame = JSON.parse(String(f.payload));
        if (frame.kind === 'invoke' && frame.channel === 'generate:start') starts.push(frame.request);
      } catch {
        /* not JSON */
      }
    }),
  );
  return starts;
}

async function ready(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('status-bar')).toContainText(/cpu/i, { timeout: 60_000 });
}

/** The conversations main stored, by title. */
function stored(served: Served): Conversation[] {
  const dir = join(served.userData, 'conversations');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Conversation);
}

test('first start: a welcome with example prompts, infill, the model note and the colour legend', async ({
  page,
  served,
}: {
  page: Page;
  served: Served;
}) => {
  await ready(page, served.url);
  const welcome = page.getByTestId('welcome');
  await expect(welcome).toBeVisible();
  await expect(page.getByTestId('welcome-model')).toContainText('about 5 M parameters');
  await expect(page.getByTestId('welcome-model')).toContainText('rarely right');
  await expect(page.getByTestId('welcome-model')).toContainText(
    'Stable-DiffCoder-8B: Settings → Model → Import checkpoint',
  );
  await expect(welcome).toContainText('Ctrl');
  await expect(welcome.getByTestId('canvas-legend')).toBeVisible();
  await expect(page.getByTestId('example-prompt')).toHaveCount(3);
  // Tall enough for the whole welcome (the legend at its end).
  await page.setViewportSize({ width: 1400, height: 1250 });
  await page.screenshot({ path: 'docs/screenshot-welcome.png' });
  await page.setViewportSize({ width: 1400, height: 860 });

  // The import pointer opens Settings on the import panel.
  await page.getByTestId('welcome-import').click();
  await expect(page.getByTestId('settings-dialog').getByTestId('import-panel')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('settings-dialog')).toHaveCount(0);

  // The infill example opens in the editor.
  await page.getByTestId('welcome-infill-example').click();
  await expect(page.getByTestId('editor')).toContainText('def mean(xs):', { timeout: 20_000 });

  // An example prompt fills the message box; Enter sends it.
  const example = (await page.getByTestId('example-prompt').first().innerText()).trim();
  await page.getByTestId('example-prompt').first().click();
  await expect(page.getByTestId('composer')).toHaveValue(example);
  await expect(page.getByTestId('composer')).toBeFocused();
  await page.getByTestId('composer').press('Enter');
  // (Markdown shows the backticks as code.)
  await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText(example.replace(/`/g, ''));
  await expect(welcome).toHaveCount(0);
  await expect(assistant(page)).toHaveAttribute('data-status', /done/, { timeout: 60_000 });
});

test("a chat's system prompt and own settings are used by its runs and stored with it", async ({ page }) => {
  const served = await startServe(userDataWith());
  const starts = recordStarts(page);
  try {
    await ready(page, served.url);
    const header = page.getByTestId('chat-header');
    await expect(header).toContainText("System prompt: the model's default (You are an AI programming assistant.)");
    await page.getByTestId('chat-settings').click();
    const dialog = page.getByTestId('chat-settings-dialog');
    // The model's default is shown, not hidden: the placeholder and the hint.
    await expect(dialog.getByTestId('system-prompt')).toHaveAttribute(
      'placeholder',
      'You are an AI programming assistant.',
    );
    await expect(dialog.getByTestId('system-prompt-default')).toContainText('You are an AI programming assistant.');
    await dialog.getByTestId('use-default-prompt').click();
    await expect(dialog.getByTestId('system-prompt')).toHaveValue('You are an AI programming assistant.');
    const system = 'You are an AI programming assistant. Write short Python functions with type hints.';
    await dialog.getByTestId('system-prompt').fill(system);
    // Its own decoding settings: 64 tokens instead of the app's 128.
    await expect(dialog.getByTestId('chat-use-global')).toBeChecked();
    await dialog.getByTestId('chat-use-own').check();
    await dialog.getByTestId('field-genLength').fill('64');
    await dialog.getByTestId('field-steps').fill('63');
    await expect(dialog.getByTestId('save-chat-settings')).toBeDisabled();
    await expect(dialog.getByTestId('error-steps')).toBeVisible();
    await dialog.getByTestId('field-steps').fill('64');
    await dialog.getByTestId('save-chat-settings').click();
    await expect(dialog).toHaveCount(0);
    await expect(header).toContainText('System prompt: You are an AI programming assistant. Write short');
    await expect(header).toContainText("Decoding: this chat's (temperature 0, low_confidence, gen_length 64)");

    await page.getByTestId('composer').fill('Write a Python function `double(x)` that does this: Return 2 * x.');
    await page.getByTestId('composer').press('Enter');
    await expect(assistant(page)).toHaveAttribute('data-status', /done/, { timeout: 60_000 });
    expect(starts).toHaveLength(1);
    expect(starts[0].prompt.messages[0]).toEqual({ role: 'system', content: system });
    expect(starts[0].prompt.messages[1].role).toBe('user');
    expect(starts[0].settings.genLength).toBe(64);
    expect(starts[0].settings.steps).toBe(64);
    const saved = stored(served).find((c) => c.messages.length > 0)!;
    expect(saved.systemPrompt).toBe(system);
    expect(saved.decoding?.genLength).toBe(64);
    // The chat with its settings open: its own prompt over the model's default, its own decoding settings.
    await page.getByTestId('chat-settings').click();
    await expect(dialog.getByTestId('system-prompt')).toHaveValue(system);
    await expect(dialog.getByTestId('chat-use-own')).toBeChecked();
    await expect(dialog.getByTestId('field-genLength')).toHaveValue('64');
    await page.screenshot({ path: 'docs/screenshot-system-prompt.png' });
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);

    // A new chat follows the app's settings and the model's default again.
    await page.getByTestId('new-chat').click();
    await expect(header).toContainText("System prompt: the model's default");
    await expect(header).toContainText('Decoding: the app settings');
    // After a reload the chat still has them.
    await page.reload();
    await page.getByTestId('conversation-item').first().click();
    await expect(header).toContainText('System prompt: You are an AI programming assistant. Write short');
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('regenerate at temperature 0 says it would repeat, offers temperature 0.7; versions switch and feed the next prompt', async ({
  page,
}) => {
  const served = await startServe(userDataWith({ steps: 64, genLength: 64 }));
  const starts = recordStarts(page);
  try {
    await ready(page, served.url);
    await page
      .getByTestId('composer')
      .fill('Write a Python function `is_odd(n)` that does this: Return True if n is odd.');
    await page.getByTestId('composer').press('Enter');
    await expect(assistant(page)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });

    await assistant(page).getByTestId('regenerate').click();
    const notice = page.getByTestId('regenerate-notice');
    await expect(notice).toContainText('the same prompt gives the same answer');
    await expect(notice).toContainText('a new seed alone changes nothing');
    expect(starts).toHaveLength(1); // nothing ran yet
    // The notice's chat settings button opens the dialog; cancelling comes back to the chat.
    await notice.getByTestId('notice-chat-settings').click();
    await expect(page.getByTestId('chat-settings-dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('chat-settings-dialog')).toHaveCount(0);
    await assistant(page).getByTestId('regenerate').click();
    await expect(notice.getByTestId('regenerate-temperature')).toBeFocused();
    await notice.getByTestId('regenerate-temperature').click();
    await expect(notice).toHaveCount(0);
    await expect.poll(() => starts.length).toBe(2);
    expect(starts[1].settings.temperature).toBe(0.7);
    expect(starts[1].prompt.messages.map((m) => m.role)).toEqual(['user']);
    await expect(assistant(page)).toHaveAttribute('data-status', /done/, { timeout: 60_000 });

    const label = assistant(page).getByTestId('version-label');
    await expect(label).toHaveText('version 2 of 2');
    await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toHaveCount(1);
    const versions = () => stored(served).find((c) => c.messages.length > 0)!.messages[1];
    await expect.poll(() => versions().versions?.length).toBe(1);
    const first = versions().versions![0].content;
    // Previous by click, next by keyboard.
    await assistant(page).getByTestId('version-prev').click();
    await expect(label).toHaveText('version 1 of 2');
    await expect(assistant(page).getByTestId('version-prev')).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(label).toHaveText('version 2 of 2');
    await page.keyboard.press('Home');
    await expect(label).toHaveText('version 1 of 2');
    await expect.poll(() => versions().content).toBe(first);

    // The next prompt uses the version shown.
    await page.getByTestId('composer').fill('Now add a docstring.');
    await page.getByTestId('composer').press('Enter');
    await expect.poll(() => starts.length).toBe(3);
    expect(starts[2].prompt.messages.map((m) => m.content)).toEqual([
      starts[0].prompt.messages[0].content,
      first,
      'Now add a docstring.',
    ]);
    await expect(assistant(page)).toHaveAttribute('data-status', /done/, { timeout: 60_000 });
  } finally {
    served.process.kill('SIGTERM');
  }
});

test('a run belongs to its chat: another chat says where it is, refuses Enter visibly; Stop there, then Continue appends', async ({
  page,
}) => {
  // Long runs: 1024 tokens without stopping at EOS, a few ms per forward.
  const served = await startServe(userDataWith({ steps: 1024, genLength: 1024, stopAtEos: false }), {
    env: { DIFFCODER_TEST_FORWARD_DELAY_MS: '10' },
  });
  const starts = recordStarts(page);
  try {
    await ready(page, served.url);
    await page.getByTestId('composer').fill('Write a Python function `count(xs)` that does this: Count the items.');
    await page.getByTestId('composer').press('Enter');
    const msgA = assistant(page);
    await expect(msgA.locator('.cg-mask').first()).toBeVisible({ timeout: 30_000 });

    // Chat B: no Stop, a note with the way to chat A; Enter is refused with the reason and the text kept.
    await page.getByTestId('new-chat').click();
    await expect(page.getByTestId('welcome')).toBeVisible();
    const elsewhere = page.getByTestId('run-elsewhere');
    await expect(elsewhere).toContainText('A run is in progress in “Write a Python function `count(xs)`');
    await expect(page.getByTestId('stop')).toHaveCount(0);
    await page.getByTestId('composer').fill('hello from B');
    await page.getByTestId('composer').press('Enter');
    await expect(page.getByTestId('send-refused')).toContainText('Not sent.');
    await expect(page.getByTestId('send-refused')).toContainText('in progress in “Write a Python function');
    await expect(page.getByTestId('composer')).toHaveValue('hello from B');
    await expect(page.locator('[data-testid="message"]')).toHaveCount(0);
    expect(starts).toHaveLength(1);
    // Escape here stops nothing.
    await page.getByTestId('composer').press('Escape');
    await page.waitForTimeout(500);
    await expect(elsewhere).toBeVisible();

    // The link goes to chat A, where Stop works.
    await elsewhere.getByTestId('go-to-run').click();
    await expect(page.getByTestId('run-elsewhere')).toHaveCount(0);
    await expect(page.getByTestId('stop')).toBeVisible();
    await page.getByTestId('stop').click();
    await expect(msgA).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });

    // Continue: the partial answer is the start of the assistant turn; the new text is appended to it.
    const chatA = () => stored(served).find((c) => c.messages.some((m) => m.role === 'assistant'))!;
    await expect.poll(() => chatA().messages[1].status).toBe('stopped');
    const partial = chatA().messages[1].content;
    expect(partial.length).toBeGreaterThan(0);
    await msgA.getByTestId('continue').click();
    await expect.poll(() => starts.length).toBe(2);
    expect(starts[1].prompt.continueFinal).toBe(true);
    expect(starts[1].prompt.messages.at(-1)).toEqual({ role: 'assistant', content: partial });
    await expect(msgA.locator('.canvas-meta')).toContainText(/block ([3-9]|\d\d+)\//, { timeout: 30_000 });
    await page.getByTestId('composer').press('Escape');
    await expect(msgA).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
    await expect.poll(() => chatA().messages[1].content.length).toBeGreaterThan(partial.length);
    const continued = chatA().messages[1];
    expect(continued.content.startsWith(partial)).toBe(true);
    expect(chatA().messages).toHaveLength(2);

    // Chat B kept its draft.
    await page.getByTestId('conversation-item').filter({ hasText: 'New chat' }).click();
    await expect(page.getByTestId('composer')).toHaveValue('hello from B');
  } finally {
    served.process.kill('SIGTERM');
  }
});
