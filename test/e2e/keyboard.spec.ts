/**
 * The app by keyboard alone (issue 11): create a chat (Ctrl+N), send (Enter), stop a long run (Escape), switch chats
 * from the search box (↓, Enter) and in the list (Tab, ↑, Enter), rename one (F2), reach its actions with Tab, open
 * the settings (Ctrl+,) and close them (Escape) with the focus back where it was, move the pane divider and close an
 * editor tab. No mouse; at every step the focused element shows a focus ring. Writes docs/screenshot-focus.png.
 */
import type { Locator, Page } from '@playwright/test';
import { assistant, expectFocusVisible, ready, startLongRunServe } from './a11y-helpers';
import { expect, test } from './serve-fixture';

const item = (page: Page, title: string | RegExp) =>
  page.getByTestId('conversation-item').filter({ has: page.locator('.conversation-title', { hasText: title }) });
const chatButton = (page: Page, title: string | RegExp) => item(page, title).locator('.conversation-open');
const activeTitle = (page: Page) => page.locator('.conversation-item.active .conversation-title');

/** Presses Tab until `target` has the focus (at most `max` times). */
async function tabTo(page: Page, target: Locator, max = 30) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

/** Types a prompt, sends it with Enter, lets the long run draw a few blocks, and stops it with Escape. */
async function sendAndStop(page: Page, prompt: string) {
  await page.keyboard.type(prompt);
  await page.keyboard.press('Enter');
  const msg = assistant(page);
  await expect(msg).toHaveAttribute('data-status', 'streaming');
  await expect(msg.locator('.canvas-meta')).toContainText(/block ([2-9]|\d\d+)\//, { timeout: 30_000 });
  await expect(page.getByTestId('live-region')).toContainText('Generating an answer');
  await expectFocusVisible(page, 'the composer while the run goes');
  await page.keyboard.press('Escape');
  await expect(msg).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
  await expect(page.getByTestId('live-region')).toContainText('Answer stopped');
}

test('keyboard only: new chat, send, stop, switch, rename, settings, divider, editor tab', async ({ page }) => {
  test.setTimeout(180_000);
  const served = await startLongRunServe();
  try {
    await ready(page, served.url);

    // Two chats, each created with Ctrl+N (the composer takes the focus), sent with Enter and stopped with Escape.
    await page.keyboard.press('Control+n');
    await expect(page.getByTestId('composer')).toBeFocused();
    await expectFocusVisible(page, 'the composer of a new chat');
    await sendAndStop(page, 'Write a Python function `first(xs)` that does this: Return the first item.');
    await expect(page.getByTestId('composer')).toBeFocused();
    await page.keyboard.press('Control+n');
    await expect(page.getByTestId('composer')).toBeFocused();
    await sendAndStop(page, 'Write a Python function `second(xs)` that does this: Return the second item.');
    await expect(page.getByTestId('conversation-item')).toHaveCount(2);
    await expect(activeTitle(page)).toContainText('second');

    // Switch from the search box: ↓ highlights the results one by one, Enter opens the highlighted one.
    await page.keyboard.press('Control+k');
    await expect(page.getByTestId('search')).toBeFocused();
    await expectFocusVisible(page, 'the search box');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect(page.locator('.conversation-item.highlighted .conversation-title')).toContainText('first');
    await expect(page.getByTestId('live-region')).toContainText('2 of 2');
    await page.keyboard.press('Enter');
    await expect(activeTitle(page)).toContainText('first');
    await expect(page.getByTestId('composer')).toBeFocused();

    // Switch in the list: Tab from the search box reaches the open chat (the list's one tab stop), ↑ the other one.
    await page.keyboard.press('Control+k');
    await page.keyboard.press('Tab');
    await expect(chatButton(page, 'first')).toBeFocused();
    await expectFocusVisible(page, 'the open chat in the list');
    await page.keyboard.press('ArrowUp');
    await expect(chatButton(page, 'second')).toBeFocused();
    await expectFocusVisible(page, 'a chat reached with ↑');
    await page.keyboard.press('Enter');
    await expect(activeTitle(page)).toContainText('second');
    await expect(chatButton(page, 'second')).toHaveAttribute('aria-current', 'true');

    // Rename with F2: the title field takes the focus, Enter keeps the new title and gives the focus back.
    await page.keyboard.press('F2');
    await expect(page.getByTestId('rename-input')).toBeFocused();
    await expectFocusVisible(page, 'the rename field');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Keyboard chat');
    await page.keyboard.press('Enter');
    await expect(chatButton(page, 'Keyboard chat')).toBeFocused();
    await expectFocusVisible(page, 'the renamed chat');

    // Its actions are shown while it has the focus, and Tab reaches them.
    const actions = item(page, 'Keyboard chat').locator('.item-actions');
    await expect(actions).toBeVisible();
    await page.screenshot({ path: 'docs/screenshot-focus.png', clip: { x: 0, y: 0, width: 960, height: 420 } });
    await page.keyboard.press('Tab');
    await expect(item(page, 'Keyboard chat').getByTestId('rename')).toBeFocused();
    await expectFocusVisible(page, 'the rename action');
    await page.keyboard.press('Tab');
    await expect(item(page, 'Keyboard chat').getByTestId('export')).toBeFocused();
    await expectFocusVisible(page, 'the export action');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect(chatButton(page, 'Keyboard chat')).toBeFocused();

    // Settings: Ctrl+, opens them with the focus inside, Escape closes them and the focus comes back.
    await page.keyboard.press('Control+,');
    const dialog = page.getByTestId('settings-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator(':focus')).toHaveCount(1);
    await expectFocusVisible(page, 'the first control of the settings');
    // Tab stays in the dialog.
    for (let i = 0; i < 40; i++) await page.keyboard.press('Tab');
    await expect(dialog.locator(':focus')).toHaveCount(1);
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(chatButton(page, 'Keyboard chat')).toBeFocused();
    await expectFocusVisible(page, 'the chat the settings were opened from');

    // The pane divider: a separator in the Tab order, moved with the arrow keys.
    const divider = page.getByTestId('pane-divider');
    await tabTo(page, divider);
    await expectFocusVisible(page, 'the pane divider');
    await expect(divider).toHaveAttribute('aria-valuenow', '50');
    await page.keyboard.press('ArrowLeft');
    await expect(divider).toHaveAttribute('aria-valuenow', '45');
    await page.keyboard.press('End');
    await expect(divider).toHaveAttribute('aria-valuenow', '80');
    await page.keyboard.press('Home');
    await expect(divider).toHaveAttribute('aria-valuenow', '25');

    // An editor tab: "New untitled file" (Enter), then the tab (a roving tablist) closes with Delete.
    const newFile = page.getByRole('button', { name: 'New untitled file' });
    await tabTo(page, newFile);
    await expectFocusVisible(page, 'the new-file button');
    await page.keyboard.press('Enter');
    const tab = page.getByRole('tab');
    await expect(tab).toHaveCount(1);
    await page.keyboard.press('Shift+Tab');
    await expect(tab).toBeFocused();
    await expectFocusVisible(page, 'an editor tab');
    await page.keyboard.press('Delete');
    await expect(page.getByRole('tab')).toHaveCount(0);
  } finally {
    served.process.kill('SIGTERM');
  }
});
