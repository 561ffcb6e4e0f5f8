// eng-disable AUXCLICK_JS_CHECK: reviewed, see the note below (electronegativity reads file-wide disables on line 1).
/**
 * Electron's main process: owns the model through a supervised engine utility process, serves
 * the contract over IPC to one hardened window.
 *
 * AUXCLICK_JS_CHECK (line 1) asks for `disableBlinkFeatures: 'Auxclick'`; Chromium has no such feature any more. A middle
 * click that would open a window is denied by setWindowOpenHandler, and navigation by will-navigate (security.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, shell } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../common/channels.js';
import type { EventChannel, Events } from '../../common/contract.js';
import { createAppCore } from '../ipc/app-core.js';
import { builtinModelDir } from '../model/builtin.js';
import { isAllowedLink } from '../security/links.js';
import { rendererEntryUrl } from './app-protocol.js';
import { denyPermissions, hardenApp, isTrustedSender } from './security.js';
import { utilityWorkerLauncher } from './convert-launcher.js';
import { utilityLauncher } from './utility-launcher.js';
import { registerAppScheme, serveRenderer } from './renderer-protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');
// app://diffcoder/index.html, served from rendererDir; electron-vite's dev server only when not packaged.
const rendererUrl = rendererEntryUrl({ isPackaged: app.isPackaged, devServerUrl: process.env.ELECTRON_RENDERER_URL });

// Before app 'ready': the app:// scheme is privileged (standard, secure) only if registered now.
registerAppScheme();
app.enableSandbox();
hardenApp();
// Tests and portable setups point the app at their own user data folder.
if (process.env.DIFFCODER_USER_DATA) app.setPath('userData', process.env.DIFFCODER_USER_DATA);

/**
 * Opens a link from model output in the user's browser. The dispatcher (links:open) already refused links off the
 * https allowlist (main/security/links.ts); checked again here, at the call that opens them.
 */
function openAllowedLink(url: string): Promise<void> {
  if (!isAllowedLink(url)) return Promise.reject(new Error('link not on the allowlist'));
  return shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK (reviewed: allowlisted https only)
}

/** What the renderer last reported as unsaved (app:setUnsaved): closing the window asks first. */
let unsaved: string[] = [];

const core = createAppCore(
  {
    userData: app.getPath('userData'),
    builtinModelDir: builtinModelDir(app.isPackaged ? process.resourcesPath : join(here, '..', '..', 'resources')),
    launcher: utilityLauncher(join(here, 'engine-process.js')),
    mode: 'electron',
    version: app.getVersion(),
    openExternal: openAllowedLink,
    convertWorker: utilityWorkerLauncher(join(here, 'convert-worker.js')),
    onUnsaved: (documents) => (unsaved = documents),
    pickFolder: async (purpose) => {
      const win = BrowserWindow.getFocusedWindow();
      const title =
        purpose === 'checkpoint'
          ? 'Import checkpoint folder'
          : purpose === 'workspace'
            ? 'Open folder'
            : 'Add model folder';
      const options = { title, properties: ['openDirectory' as const] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  },
  {
    broadcast<E extends EventChannel>(channel: E, payload: Events[E]) {
      for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_EVENT, channel, payload);
    },
  },
);

ipcMain.handle(IPC_INVOKE, (event, channel: unknown, request: unknown) => {
  if (!isTrustedSender(event.senderFrame, rendererUrl)) return { ok: false, error: 'untrusted sender' };
  return core.dispatch(channel, request);
});

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'DiffCoder Studio',
    backgroundColor: '#15171c',
    webPreferences: {
      // Reviewed (PRELOAD_JS_CHECK): it exposes only invoke/on for contract channels; main checks the sender and the request.
      preload: join(here, '..', 'preload', 'index.cjs'), // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.on('close', (e) => {
    if (unsaved.length === 0) return;
    const names = unsaved.slice(0, 5).join('\n') + (unsaved.length > 5 ? `\n… and ${unsaved.length - 5} more` : '');
    // Unsaved buffers are also kept in the workspace state and restored on the next start, so closing loses nothing.
    const choice = dialog.showMessageBoxSync(win, {
      type: 'warning',
      buttons: ['Cancel', 'Close without saving'],
      defaultId: 0,
      cancelId: 0,
      message: `${unsaved.length} document(s) have unsaved changes`,
      detail: `${names}\n\nUnsaved changes are kept and restored the next time you open this workspace.`,
    });
    if (choice === 0) e.preventDefault();
  });
  void win.loadURL(rendererUrl);
}

void app.whenReady().then(() => {
  denyPermissions();
  serveRenderer(rendererDir);
  createWindow();
  core.start().catch((e: Error) => console.error(`engine: ${e.message}`));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  // The import's progress and outcome have nowhere to go without a window (macOS keeps the app running).
  void core.services.imports?.dispose();
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => void core.dispose());
