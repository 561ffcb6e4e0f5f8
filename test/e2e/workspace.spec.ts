import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, startServe, test, type Served } from './serve-fixture';

const BOM = '\uFEFF';

/** A temporary workspace: an LF Python file in a folder, a CRLF + BOM text file, a second file. */
function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-workspace-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'hello.py'), 'def hello():\n    return 1\n');
  writeFileSync(join(dir, 'notes.txt'), `${BOM}line one\r\nline two\r\n`);
  writeFileSync(join(dir, 'zeta.md'), '# zeta\n');
  return dir;
}

const bytes = (path: string) => readFileSync(path, 'utf8');
const tab = (page: Page, path: string) => page.locator(`[data-testid="editor-tab"][data-path="${path}"]`);
const dirty = (page: Page, path: string) => tab(page, path).getByRole('img', { name: 'unsaved' });
const row = (page: Page, path: string) => page.locator(`[role="treeitem"][data-path="${path}"]`);

async function ready(page: Page, url: string, workspace: string) {
  await page.goto(url);
  await expect(page.getByTestId('workspace-name')).toHaveText(basename(workspace), { timeout: 30_000 });
  await expect(row(page, 'src')).toBeVisible();
}

/** Puts the caret at the end of the active editor's text. */
async function toEnd(page: Page) {
  await page.locator('.editor-host .view-lines').click();
  await page.keyboard.press('Control+End');
}

test.describe('workspace in the editor', () => {
  let workspace: string;
  let served: Served;

  test.beforeEach(async () => {
    workspace = makeWorkspace();
    served = await startServe(undefined, { workspace });
  });
  test.afterEach(() => {
    served.process.kill('SIGTERM');
  });

  test('open from the tree with the keyboard, edit, save: the bytes on disk are exact (LF; CRLF + BOM kept)', async ({
    page,
  }) => {
    await ready(page, served.url, workspace);
    const tree = page.getByRole('tree');
    await expect(tree.getByRole('treeitem')).toHaveCount(3);
    await expect(row(page, 'src')).toHaveAttribute('aria-expanded', 'false');
    // Keyboard: focus the first row (the folder), → expands it, ↓ moves into it, Enter opens the file.
    await row(page, 'src').focus();
    await page.keyboard.press('ArrowRight');
    await expect(row(page, 'src')).toHaveAttribute('aria-expanded', 'true');
    await expect(row(page, 'src/hello.py')).toBeVisible();
    await page.keyboard.press('ArrowDown');
    await expect(row(page, 'src/hello.py')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(tab(page, 'src/hello.py')).toBeVisible();
    await expect(page.getByTestId('editor')).toContainText('def hello():');
    await expect(dirty(page, 'src/hello.py')).toHaveCount(0);

    await toEnd(page);
    await page.keyboard.type('# added');
    await page.keyboard.press('Enter');
    await expect(dirty(page, 'src/hello.py')).toBeVisible();
    await expect(tab(page, 'src/hello.py').getByRole('tab')).toHaveAttribute('aria-label', 'src/hello.py, unsaved');
    await page.keyboard.press('Control+S');
    await expect(dirty(page, 'src/hello.py')).toHaveCount(0);
    expect(bytes(join(workspace, 'src', 'hello.py'))).toBe('def hello():\n    return 1\n# added\n');

    // The CRLF + BOM file: edit the first line, save, line breaks and BOM as found.
    await row(page, 'notes.txt').click();
    await expect(page.getByTestId('editor')).toContainText('line one');
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    await page.keyboard.type(' edited');
    await expect(dirty(page, 'notes.txt')).toBeVisible();
    await page.keyboard.press('Control+S');
    await expect(dirty(page, 'notes.txt')).toHaveCount(0);
    expect(bytes(join(workspace, 'notes.txt'))).toBe(`${BOM}line one edited\r\nline two\r\n`);
  });

  test('external edits: a clean tab reloads; a modified one shows the bar (compare, keep mine); a refused save offers overwrite', async ({
    page,
  }) => {
    await ready(page, served.url, workspace);
    await row(page, 'zeta.md').click();
    await expect(page.getByTestId('editor')).toContainText('# zeta');
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    // Clean tab: the file changes on disk and the tab follows, silently, the caret staying where it was.
    writeFileSync(join(workspace, 'zeta.md'), '# zeta\nchanged outside\n');
    await expect(page.getByTestId('editor')).toContainText('changed outside', { timeout: 10_000 });
    await expect(dirty(page, 'zeta.md')).toHaveCount(0);
    await expect(page.getByTestId('conflict-bar')).toHaveCount(0);
    await page.keyboard.type('X');
    await expect(page.getByTestId('editor')).toContainText('# zetaX');

    // Modified tab: the bar, with reload / keep mine / compare.
    await toEnd(page);
    await page.keyboard.type('mine');
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    writeFileSync(join(workspace, 'zeta.md'), '# zeta\ntheirs\n');
    const bar = page.getByTestId('conflict-bar');
    await expect(bar).toBeVisible({ timeout: 10_000 });
    await expect(bar).toHaveAttribute('data-reason', 'external');
    await bar.getByRole('button', { name: 'Compare' }).click();
    await expect(page.getByTestId('compare-editor')).toBeVisible();
    await expect(page.getByTestId('compare-editor')).toContainText('theirs');
    await bar.getByRole('button', { name: 'Hide comparison' }).click();
    await expect(page.getByTestId('compare-editor')).toHaveCount(0);
    await bar.getByRole('button', { name: 'Keep mine' }).click();
    await expect(bar).toHaveCount(0);
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    await page.keyboard.press('Control+S');
    await expect(dirty(page, 'zeta.md')).toHaveCount(0);
    expect(bytes(join(workspace, 'zeta.md'))).toBe('# zetaX\nchanged outside\nmine');

    // A save that finds the file changed (the change not seen yet: the watcher is bypassed by writing right before
    // saving) is refused; the bar offers reload / overwrite / compare; overwrite writes mine.
    // Focus went back to the editor after the choice.
    await page.keyboard.type('!');
    await expect(page.getByTestId('editor')).toContainText('mine!');
    writeFileSync(join(workspace, 'zeta.md'), 'someone else\n');
    await page.keyboard.press('Control+S');
    await expect(bar).toBeVisible({ timeout: 10_000 });
    if ((await bar.getAttribute('data-reason')) === 'save') {
      await bar.getByRole('button', { name: 'Overwrite' }).click();
    } else {
      // The watcher won the race: the external-change bar; keep mine and save.
      await bar.getByRole('button', { name: 'Keep mine' }).click();
      await page.keyboard.press('Control+S');
    }
    await expect(dirty(page, 'zeta.md')).toHaveCount(0);
    expect(bytes(join(workspace, 'zeta.md'))).toBe('# zetaX\nchanged outside\nmine!');
  });

  test('unsaved buffers come back after a reload, and with the bar when the file changed meanwhile', async ({
    page,
  }) => {
    await ready(page, served.url, workspace);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.accept();
    });
    await row(page, 'zeta.md').click();
    await toEnd(page);
    await page.keyboard.type('unsaved line');
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    await page.reload();
    expect(dialogs).toContain('beforeunload');
    await expect(page.getByTestId('workspace-name')).toHaveText(basename(workspace), { timeout: 30_000 });
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    await expect(page.getByTestId('editor')).toContainText('unsaved line');
    await expect(page.getByTestId('conflict-bar')).toHaveCount(0);
    expect(bytes(join(workspace, 'zeta.md'))).toBe('# zeta\n');

    // Leave the page, change the file, come back: the buffer is restored unsaved, with the bar.
    await page.goto('about:blank');
    writeFileSync(join(workspace, 'zeta.md'), '# zeta\nwhile away\n');
    await ready(page, served.url, workspace);
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    await expect(page.getByTestId('editor')).toContainText('unsaved line');
    await expect(page.getByTestId('conflict-bar')).toBeVisible();
    await page.getByTestId('conflict-bar').getByRole('button', { name: 'Reload from disk' }).click();
    await expect(page.getByTestId('editor')).toContainText('while away');
    await expect(dirty(page, 'zeta.md')).toHaveCount(0);

    // A crash: no beforeunload, only the state written ~500 ms after the last keystroke.
    await page.keyboard.type('typed before the crash');
    await expect(dirty(page, 'zeta.md')).toBeVisible();
    await page.waitForTimeout(1500);
    const context = page.context();
    await page.close({ runBeforeUnload: false });
    const again = await context.newPage();
    await ready(again, served.url, workspace);
    await expect(dirty(again, 'zeta.md')).toBeVisible();
    await expect(again.getByTestId('editor')).toContainText('typed before the crash');
  });

  test('Save As into the workspace; an untitled buffer saves through Save As; closing an unsaved tab asks', async ({
    page,
  }) => {
    await ready(page, served.url, workspace);
    await row(page, 'src').click();
    await row(page, 'src/hello.py').click();
    await expect(tab(page, 'src/hello.py')).toBeVisible();
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('Control+Shift+S');
    const dialog = page.getByTestId('save-as-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByLabel(/Path in/)).toHaveValue('src/hello.py');
    await page.getByLabel(/Path in/).fill('../outside.py');
    await page.keyboard.press('Enter');
    await expect(dialog.getByRole('alert')).toContainText('inside the workspace');
    await page.getByLabel(/Path in/).fill('src/copy.py');
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(tab(page, 'src/copy.py')).toBeVisible();
    expect(bytes(join(workspace, 'src', 'copy.py'))).toBe('def hello():\n    return 1\n');
    await expect(row(page, 'src/copy.py')).toBeVisible();

    // An untitled buffer: Ctrl+S asks for a path; an existing file is not overwritten without confirming.
    await page.getByRole('button', { name: 'New untitled file' }).click();
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.type('print("new")');
    await page.keyboard.press('Control+S');
    await expect(dialog).toBeVisible();
    await page.getByLabel(/Path in/).fill('zeta.md');
    await page.keyboard.press('Enter');
    await expect(dialog.getByRole('alert')).toContainText('already exists');
    await page.getByLabel(/Path in/).fill('src/new.py');
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(tab(page, 'src/new.py')).toBeVisible();
    expect(bytes(join(workspace, 'src', 'new.py'))).toBe('print("new")');

    // Closing an unsaved tab: Cancel keeps it, Don't save closes it and leaves the file alone.
    await page.keyboard.type('\n# more');
    await expect(dirty(page, 'src/new.py')).toBeVisible();
    await tab(page, 'src/new.py').getByRole('button', { name: 'Close new.py', includeHidden: true }).click();
    const ask = page.getByTestId('close-dialog');
    await expect(ask).toBeVisible();
    await expect(ask.getByRole('button', { name: 'Save', exact: true })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(ask).toHaveCount(0);
    await expect(tab(page, 'src/new.py')).toBeVisible();
    await tab(page, 'src/new.py').getByRole('tab').focus();
    await page.keyboard.press('Delete');
    await ask.getByRole('button', { name: 'Don’t save' }).click();
    await expect(tab(page, 'src/new.py')).toHaveCount(0);
    expect(bytes(join(workspace, 'src', 'new.py'))).toBe('print("new")');
  });

  test('open folder: the path field opens another folder; a bad path is refused with the reason', async ({ page }) => {
    await ready(page, served.url, workspace);
    const other = mkdtempSync(join(tmpdir(), 'e2e-other-'));
    writeFileSync(join(other, 'only.py'), 'x = 1\n');
    await page.keyboard.press('Control+O');
    const field = page.getByLabel('Folder path on the server');
    await expect(field).toBeFocused();
    await field.fill(join(other, 'missing'));
    await page.keyboard.press('Enter');
    await expect(page.locator('#folder-error')).toBeVisible();
    await field.fill(other);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('workspace-name')).toHaveText(basename(other));
    await row(page, 'only.py').click();
    await expect(page.getByTestId('editor')).toContainText('x = 1');
  });
});
